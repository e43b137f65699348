"""The drift audit report: status, drift against the Last Implemented State, and today's decision panel."""
from __future__ import annotations

import html
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.report.figures import LABEL_SIZE, date_axis, legend_below, number_axis, percent_axis
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import OVER, STATUS_COLORS, UNDER, pyplot
from rebal.report.widgets import badge, card, note, signed_pct, yes_no

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["REPORT", "summary_card", "asof_note", "drift_sources_note", "drift_scraps", "planner_card",
           "planner_flags", "economics_table", "freshness_table", "planner_scraps", "VERDICT_COLORS",
           "ECONOMICS_FORMATS", "scraps", "drift_overview", "weights_comparison", "drift_path_plot", "ladder_table"]


def summary_card(audit: Any) -> Any:
    """Build the headline box of the drift audit: status, drift, thresholds, dates."""
    r, p, th = audit.result, audit.profile, audit.profile.drift
    rows = [
        ("Profile", f"{html.escape(p.name)} — {html.escape(p.description)}"),
        ("Status", f"{badge(r.status.value)} &nbsp; {html.escape(r.status.meaning)}"),
        ("Why", "; ".join(html.escape(x) for x in r.reasons)),
        ("Portfolio drift", f"{r.portfolio_drift:.2%} (rebalance above {th.rebalance:.0%}, "
                            f"urgent above {th.urgent:.0%})"),
        ("Largest asset drift", f"{html.escape(r.max_drift_asset)} {audit.table.loc[r.max_drift_asset, 'drift']:+.2%} "
                                f"(urgent beyond ±{th.single_asset_urgent:.1%})"),
        ("Portfolio value", f"${audit.total_value:,.0f} on {audit.as_of}" if audit.total_value is not None
         else "not known (the Last Implemented State records weights only)"),
        ("Last Implemented State", html.escape(audit.lis.detail)),
        ("Target", f"{html.escape(audit.target.method)}" + (
            f", fitted on {audit.target.n_observations} daily returns "
            f"{audit.target.window_start} .. {audit.target.fitted_on}"
            if audit.target.n_observations else ", fixed in the profile")),
        ("Data as of", f"{audit.as_of}; latest data in the lakehouse {audit.data_latest}"),
    ]
    return card(rows)


def asof_note(audit: Any) -> Any:
    """Say what data the report saw: the as-of date, the look-ahead guarantee, real vs synthetic inputs."""
    if audit.is_rerun:
        when = (f"(a rerun: the lakehouse holds data to {audit.data_latest}; nothing dated after "
                f"{audit.as_of} was read).")
    else:
        when = "(the latest data in the lakehouse)."
    age = (date.today() - audit.as_of).days
    old = (f" The report was generated on {date.today()}, {age} days after the as-of date: these are "
           "historical figures, not today's." if age > 7 else "")
    return note(f"Computed as of <b>{audit.as_of}</b> using only data dated on or before that day {when} "
                "Inputs: real adjusted closes only; the synthetic volume layer is not used in this report."
                + old)


def drift_sources_note(audit: Any) -> Any:
    """Return the drift against today's target, split into parts that add up, and the two distances apart."""
    return note(f"Drift against today's target: <b>{audit.result.portfolio_drift:.2%}</b>, of which prices "
                f"<b>{audit.price_part:+.2%}</b> and the target's move <b>{audit.target_part:+.2%}</b> (parts that add "
                f"up; a negative part brought the book closer to the target). As distances, not parts: prices moved "
                f"the holdings {audit.price_drift:.2%} from the weights implemented on {audit.lis.as_of}, and the "
                f"target moved {audit.target_change:.2%} from them.")


def ladder_table(audit: Any, panel: Any) -> pd.DataFrame:
    """Return the profile's drift thresholds as one ladder (:func:`rebal.monitor.ladder.threshold_ladder`)."""
    from rebal.monitor.ladder import threshold_ladder

    t = panel.thresholds
    base = float(t.loc[t["selected"], "threshold"].iloc[0]) if t["selected"].any() else None
    widen = panel.metrics["effective_threshold"] / base if base else 1.0
    return threshold_ladder(audit.profile, planner_threshold=base, widen=widen, regime=panel.regime).set_index("name")


def drift_scraps(audit: Any) -> dict[str, Any]:
    """Key results of a drift audit as plain types scrapbook can encode."""
    r = audit.result
    t = audit.table.reset_index()
    t["beyond_band"] = t["beyond_band"].astype(bool)
    return {
        "profile": audit.profile.name,
        "as_of": str(audit.as_of),
        "data_latest": str(audit.data_latest),
        "status": r.status.value,
        "portfolio_drift": float(r.portfolio_drift),
        "max_abs_drift": float(r.max_abs_drift),
        "max_drift": float(audit.table.loc[r.max_drift_asset, "drift"]) if r.max_drift_asset else 0.0,
        "max_drift_asset": str(r.max_drift_asset),
        "reasons": list(r.reasons),
        "n_assets": int(len(audit.table)),
        "total_value": float(audit.total_value) if audit.total_value is not None else float("nan"),
        "last_implemented": str(audit.lis.as_of),
        "lis_source": audit.lis.source,
        "price_drift": float(audit.price_drift),
        "target_change": float(audit.target_change),
        "thresholds": {"rebalance": audit.profile.drift.rebalance, "urgent": audit.profile.drift.urgent,
                       "single_asset_urgent": audit.profile.drift.single_asset_urgent},
        "drift_table": t[["asset", "name", "sector", "actual", "target", "drift", "beyond_band", "value"]].astype(
            {"name": str, "sector": str}),
    }


def _trade_usd(x: float) -> str:
    """Write a signed dollar amount; less than half a dollar is no trade (0, not +0)."""
    return "0" if abs(x) < 0.5 else f"{x:+,.0f}"


ECONOMICS_FORMATS = {"drift": signed_pct, "vol 60d": "{:.1%}", "drift speed": "{:.1%}",
                     "speed percentile": "{:.0%}", "trade (USD)": _trade_usd, "dollar ADV ($M)": "{:,.1f}",
                     "liquidity days": "{:.3f}", "spread bps": "{:.1f}", "impact bps": "{:.2f}", "cost bps": "{:.2f}"}


#: colours of the planner's verdicts (on the drift status palette)
VERDICT_COLORS = {"TRADE": STATUS_COLORS["URGENT"], "REVIEW": STATUS_COLORS["REBALANCE"],
                  "DELAY": STATUS_COLORS["REBALANCE"], "QUIET": STATUS_COLORS["MAINTAIN"]}


def planner_card(panel: Any) -> Any:
    """Headline of the decision panel."""
    m = panel.metrics
    return card([
        ("Planner verdict", f'<span style="background:{VERDICT_COLORS[panel.verdict]};color:#fff;padding:2px 10px;'
                            f'border-radius:4px;font-weight:700">{html.escape(panel.verdict)}</span> '
                            f"{html.escape(panel.verdict_reason)}"),
        ("Tracking error of the drift", f"{m['te_252d']:.2%} a year (252-session covariance); {m['te_60d']:.2%} (60 "
                                        f"sessions); {m['te_diagonal_252d']:.2%} ignoring correlations"),
        ("Cost of a full rebalance", f"{m['rebalancing_cost'] * 1e4:.2f} bps of ${m['portfolio_value']:,.0f} "
                                     "(one-off): the weights traded to the target, before the circuit breakers, "
                                     "whole shares and minimum trade sizes; the proposal prices its own trades with "
                                     "the same cost model and inputs, so its cost differs only by its trades"),
        ("Benefit of a full rebalance", f"{m['benefit'] * 1e4:.2f} bps of value: ½ λ H TE² with λ = "
                                        f"{m['risk_aversion']:g}, H = {m['horizon_years']:g} year(s), TE = "
                                        f"{m['te_252d']:.2%} a year"),
        ("Cost-benefit ratio", f"{m['cost_benefit']:.3f} (cost / benefit, both fractions of value; act when "
                               "below 1)"),
        ("Market regime", f"VIX {panel.vix:.1f}: {html.escape(panel.regime)} ({html.escape(panel.vix_source)})"),
        ("Drift threshold in force", f"{m['effective_threshold']:.2%} vs portfolio drift {m['portfolio_drift']:.2%} "
                                     f"(hybrid early override {m['effective_override']:.2%}; both widened for the "
                                     f"{html.escape(panel.regime)} regime. The drift status above uses its own "
                                     f"thresholds: rebalance above {panel.status_rebalance_threshold:.0%})"),
        ("Sessions since implementation", f"{m['days_since_implementation']:.0f}"),
    ])


def planner_flags(panel: Any) -> Any:
    """List what the panel estimated rather than observed (one highlighted box)."""
    if not panel.flags:
        return note("All inputs observed; nothing estimated.")
    items = "".join(f"<li>{html.escape(f)}</li>" for f in panel.flags)
    kind = "synthetic" if panel.synthetic_inputs else "warning"
    return note(f"<b>Estimated or synthetic inputs</b><ul style='margin:2px 0'>{items}</ul>", kind)


def economics_table(panel: Any) -> pd.DataFrame:
    """Per-asset economics with readable column names (dollar ADV in millions), largest |drift| first."""
    t = panel.assets.assign(dollar_adv=panel.assets["dollar_adv"] / 1e6)
    t = t.rename(columns={"vol_60d": "vol 60d", "drift_speed": "drift speed", "speed_pct": "speed percentile",
                          "trade_usd": "trade (USD)", "dollar_adv": "dollar ADV ($M)",
                          "liquidity_days": "liquidity days", "spread_bps": "spread bps",
                          "impact_bps": "impact bps", "cost_bps": "cost bps"})
    return t.iloc[t["drift"].abs().to_numpy().argsort()[::-1]]


def freshness_table(audit: Any) -> pd.DataFrame:
    """Latest close per ticker and how many NYSE sessions it lags the as-of date; ``ok`` as yes / no."""
    t = audit.freshness.table.rename(columns={"last_price_date": "latest close", "sessions_stale": "sessions stale",
                                              "ok": "fresh"})
    return t.assign(fresh=[yes_no(v) for v in t["fresh"]]) if "fresh" in t.columns else t


def planner_scraps(panel: Any) -> dict[str, Any]:
    """Key planner results as plain types."""
    m = {f"planner_{k}": float(v) for k, v in panel.metrics.items()}
    return {**m, "recommendation": panel.recommendation, "planner_verdict": panel.verdict,
            "planner_reason": panel.verdict_reason, "vix": float(panel.vix), "vix_source": panel.vix_source,
            "regime": panel.regime, "planner_flags": list(panel.flags),
            "triggers_fired": [str(r) for r, f in zip(panel.triggers["rule"], panel.triggers["fires"], strict=True)
                               if f]}



# -- figures ----------------------------------------------------------------------------------------


def drift_overview(audit) -> Figure:
    """Two panels: per-asset drift (points) with the single-asset urgent band, portfolio drift on the status scale."""
    plt = pyplot()
    th = audit.profile.drift
    t = audit.table.sort_values("drift")
    d = t["drift"].to_numpy() * 100
    fig, (ax, gx) = plt.subplots(1, 2, figsize=(10, max(3.2, 0.24 * len(t) + 1.2)), layout="constrained",
                                 gridspec_kw={"width_ratios": [3, 1.25]})
    colors = [OVER if v > 0 else UNDER for v in d]
    ax.barh(np.arange(len(t)), d, color=colors, height=0.7)
    ax.set_yticks(np.arange(len(t)), t.index)
    lim = th.single_asset_urgent * 100
    span = max(lim * 1.25, float(np.abs(d).max(initial=0)) * 1.1)
    ax.axvspan(lim, span, color=OVER, alpha=0.07)
    ax.axvspan(-span, -lim, color=OVER, alpha=0.07)
    for x in (-lim, lim):
        ax.axvline(x, color="#555", ls="--", lw=1)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-span, span)
    number_axis(ax.xaxis, signed=True)
    ax.set_xlabel("drift = actual − target (percentage points of portfolio value)")
    ax.set_title(f"Per-asset drift (dashed: the ±{lim:.1f} pt urgent band)", fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3)

    pdv = audit.result.portfolio_drift * 100
    top = max(th.urgent * 100 * 1.5, pdv * 1.15)
    zones = [(0, th.rebalance * 100, STATUS_COLORS["MAINTAIN"], "MAINTAIN"),
             (th.rebalance * 100, th.urgent * 100, STATUS_COLORS["REBALANCE"], "REBALANCE"),
             (th.urgent * 100, top, STATUS_COLORS["URGENT"], "URGENT")]
    for lo, hi, c, label in zones:
        gx.axhspan(lo, hi, color=c, alpha=0.18)
        gx.text(0.97, (lo + hi) / 2, label, ha="right", va="center", fontsize=LABEL_SIZE, fontweight="bold", color=c,
                transform=gx.get_yaxis_transform())
    gx.bar([0], [pdv], width=0.45, color=STATUS_COLORS[audit.result.status.value])
    gx.text(0, pdv, f"{pdv:.1f}%", ha="center", va="bottom", fontsize=11, fontweight="bold")
    gx.set_xlim(-0.5, 0.9)
    gx.set_ylim(0, top)
    gx.set_xticks([])
    percent_axis(gx.yaxis)
    gx.set_ylabel("portfolio drift ½ Σ|drift| (% of value)")
    gx.set_title(f"Status: {audit.result.status.value}", fontsize=11, loc="left",
                 color=STATUS_COLORS[audit.result.status.value])
    return fig


def weights_comparison(audit) -> Figure:
    """Actual vs target weight per asset (grouped horizontal bars)."""
    plt = pyplot()
    t = audit.table.sort_values("target")
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.26 * len(t) + 1.0)), layout="constrained")
    ax.barh(y - 0.19, t["target"] * 100, height=0.38, color="#90a4ae", label="target")
    ax.barh(y + 0.19, t["actual"] * 100, height=0.38, color="#263238", label="actual")
    ax.set_yticks(y, t.index)
    percent_axis(ax.xaxis)
    ax.set_xlabel("weight (% of portfolio value)")
    ax.set_title("Actual vs target weights", fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3)
    legend_below(fig)
    return fig


def drift_path_plot(audit) -> Figure:
    """Portfolio drift of the implemented holdings since implementation, with the status thresholds."""
    plt = pyplot()
    th = audit.profile.drift
    p = audit.path * 100
    fig, ax = plt.subplots(figsize=(10, 3.6), layout="constrained")
    ax.plot(p.index, p.to_numpy(), color="#263238", lw=1.6, label="price drift since implementation")
    ax.axhline(th.rebalance * 100, color=STATUS_COLORS["REBALANCE"], ls="--", lw=1,
               label=f"rebalance threshold {th.rebalance:.0%}")
    ax.axhline(th.urgent * 100, color=STATUS_COLORS["URGENT"], ls="--", lw=1, label=f"urgent threshold {th.urgent:.0%}")
    ax.scatter([p.index[-1]], [audit.result.portfolio_drift * 100], color=STATUS_COLORS[audit.result.status.value],
               zorder=5, label="drift against today's target")
    percent_axis(ax.yaxis)
    ax.set_ylabel("portfolio drift (% of value)")
    ax.set_ylim(0, max(th.urgent * 100 * 1.2, float(p.max()) * 1.1, audit.result.portfolio_drift * 110))
    date_axis(ax)
    ax.set_title(f"Drift since implementation on {audit.lis.as_of}", fontsize=11, loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=2)
    return fig


def scraps(review: Any) -> dict[str, Any]:
    """Every scrap of the drift audit report: drift audit, decision panel and the week's decision."""
    d = review.decision
    return {**drift_scraps(review.audit), **planner_scraps(review.panel), "decision_action": d.action,
            "decision_reason": d.reason, "decision_rule": d.rule}


def _verdict(s: Any) -> str:
    return str(s.get("planner_verdict") or str(s.get("recommendation", "")).split(":")[0])


def _summary(s: Any) -> str:
    verdict = _verdict(s)
    return f"{s['status']} drift {s['portfolio_drift']:.2%}" + (f"; planner {verdict}" if verdict else "")


def _status_cell(s: Any) -> str:
    st = str(s.get("status", ""))
    return (f'<span style="color:{STATUS_COLORS.get(st, "#455a64")};font-weight:700">{html.escape(st)}</span>'
            f'<br>{s.get("portfolio_drift", float("nan")):.2%} drift; largest '
            f'{html.escape(str(s.get("max_drift_asset", "")))} {s.get("max_drift", float("nan")):+.2%}')


def _planner_cell(s: Any) -> str:
    return html.escape(_verdict(s))


_PLANNER = ("portfolio_drift", "te_60d", "te_252d", "te_diagonal_252d", "rebalancing_cost", "benefit", "cost_benefit",
            "horizon_years", "risk_aversion", "portfolio_value", "sigma_p", "effective_threshold",
            "effective_override", "days_since_implementation")

REPORT = ReportSpec(
    name="drift_audit", title="Drift audit", order=10,
    scraps={"profile": str, "as_of": str, "data_latest": str, "status": str, "portfolio_drift": float,
            "max_abs_drift": float, "max_drift_asset": str, "reasons": list, "n_assets": int, "total_value": float,
            "last_implemented": str, "lis_source": str, "price_drift": float, "target_change": float,
            "thresholds": dict, "drift_table": "DataFrame", **{f"planner_{k}": float for k in _PLANNER},
            "recommendation": str, "planner_verdict": str, "planner_reason": str, "vix": float, "vix_source": str,
            "regime": str, "planner_flags": list, "max_drift": float,
            "triggers_fired": list, "decision_action": str, "decision_reason": str, "decision_rule": int},
    summary=_summary,
    cover=(Cover("Drift status", _status_cell), Cover("Planner", _planner_cell)),
    method_notes=("The planner specification's optimal threshold sqrt(2c / (σp² T)) is implemented as stated; its "
                  "worked example (20 bps, σ 15 %, one year: \"about 5 %\") does not follow from it: the formula "
                  "gives 42 %. The drift audit shows the formula's value beside the fixed threshold and the "
                  "no-trade band.",),
    legend="Status: MAINTAIN (portfolio drift at or below the rebalance threshold, every asset within its urgent "
           "band), REBALANCE (above the rebalance threshold), URGENT (above the urgent threshold, or one asset "
           "beyond the single-asset urgent band). Planner: TRADE (a drift rule fires and the cost is below the "
           "benefit), REVIEW (a drift rule fires but the cost exceeds the benefit), DELAY (stress regime, moderate "
           "drift: the trade waits), QUIET (no drift rule fires).",
)
