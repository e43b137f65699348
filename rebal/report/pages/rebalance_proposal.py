"""The rebalance proposal report: target, mode, circuit breakers, simulation, costs, trades and frontier."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.allocation.registry import METHODS, describe
from rebal.report.figures import CELL_SIZE, date_axis, legend_below, number_axis, percent_axis, place_labels
from rebal.report.pages.rebalance_proposal_evidence import evidence
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import CONFLICT_COLOR, STATUS_COLORS, VERDICT_COLORS, pyplot
from rebal.report.widgets import badge, card, html_block, note

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rebal.config import Profile

__all__ = ["REPORT", "proposal_card", "proposal_flags", "changes_table", "limits_table", "simulation_table",
           "SIMULATION_FORMATS", "noise_table", "NOISE_FORMATS", "costs_table", "proposal_trades", "proposal_scraps",
           "scraps", "proposal_parameters", "target_method_note", "black_litterman_tables", "allocation_plot",
           "correlation_heatmap", "simulation_plot", "frontier_plot"]


def proposal_card(p: Any) -> Any:
    """Headline of a rebalance proposal: conflicts and breaches first, then the simulation verdict and the numbers."""
    b, c, s = p.allocation.breaker, p.costs, p.simulation
    floor = p.profile.proposal.sharpe_floor
    mode = p.allocation.mode.replace("_", "-")
    if p.allocation.mode != p.mode_requested:
        mode += f" (requested {p.mode_requested.replace('_', '-')}: fell back)"
    rows = []
    if p.target_conflicts:
        rows.append(("Configuration conflict",
                     badge("CONFIGURATION CONFLICT", CONFLICT_COLOR) + " the profile's own target breaks its hard "
                     "limits, so trading towards it cannot comply: not a routine trade, the profile must change "
                     "first<br>" + "<br>".join(html.escape(t) for t in p.target_conflicts)))
    rows.append(("Simulation verdict", badge(p.verdict, VERDICT_COLORS[p.verdict]) + " "
                 + html.escape(p.verdict_reason)))
    rows.append(("Hard limits breached now", "<br>".join(html.escape(h) for h in p.hard_breaches)
                 or "none (total deployed, correlated clusters and single assets within their limits)"))
    rows += [("Proposal", f"<code>{html.escape(p.id)}</code> as of {p.as_of}; holdings of {p.holdings_date}"),
             ("Portfolio", f"${p.value:,.0f}; deployed {1 - p.current.get('CASH', 0.0):.1%} now, "
                           f"{1 - p.proposed.get('CASH', 0.0):.1%} proposed"),
             ("Drift", f"{p.drift:.2%} from the {html.escape(p.data['target_method'].replace('_', ' '))} target "
                       f"({p.drift_status})"),
             ("Mode", html.escape(mode)),
             ("Circuit breakers", f"{b.status}: {len(b.checks)} checks, {len(b.adjustments)} adjustment(s) in "
                                  f"{b.iterations} round(s)" + (f" — {html.escape(b.reason)}" if b.reason else "")),
             ("Trades", f"{len(p.trades.trades)} worth ${c['traded_value']:,.0f}; "
                        f"estimated cost {c['total_bps']:.1f} bps (${c['total_usd']:,.0f})"),
             ("Baseline", html.escape(p.baseline))]
    if s is not None:
        oos = (f"{s.improvement_out_of_sample:+.1%} ± {s.comparison_out_of_sample.relative_se:.1%} out-of-sample "
               f"(walk-forward; Sharpe difference {s.comparison_out_of_sample.difference:+.2f} ± "
               f"{s.comparison_out_of_sample.difference_se:.2f})" if s.comparison_out_of_sample is not None
               else "no out-of-sample estimate")
        rows.append(("Improvement", f"{oos}; {s.improvement_in_sample:+.1%} in-sample (look-ahead, not judged) — "
                                    f"Sharpe change relative to max(|baseline Sharpe|, {floor:g}), net of costs, "
                                    "± one standard error"))
    return card(rows)


def proposal_flags(p: Any) -> Any:
    """Warnings and alerts, or a note that there are none."""
    items = [("ALERT", a, STATUS_COLORS["URGENT"]) for a in p.alerts] + \
            [("WARNING", w, STATUS_COLORS["REBALANCE"]) for w in p.warnings]
    if not items:
        return note("No warnings or alerts.")
    rows = "".join(f'<tr><td style="color:{c};font-weight:700">{k}</td>'
                   f'<td style="text-align:left">{html.escape(m)}</td></tr>'
                   for k, m, c in items)
    return html_block(f'<table class="rebal-table"><thead><tr><th>level</th><th>message</th></tr></thead><tbody>{rows}'
                 "</tbody></table>")


def changes_table(p: Any) -> pd.DataFrame:
    """Tabulate current, target and proposed weights with the change and its reason (rows with any weight)."""
    return p.changes(held_only=True)


def limits_table(p: Any) -> pd.DataFrame:
    """Every limit check on the proposal, with the current allocation's value next to it.

    ``failed`` marks a row failing on the proposal or on the current allocation.
    """
    cur = p.current_checks
    t = p.allocation.breaker.checks.copy()
    t["current"] = cur["proposed"].to_numpy()
    t["current status"] = cur["status"].to_numpy()
    t = t[["check", "item", "current", "current status", "proposed", "limit", "status", "buffer"]]
    return t.assign(failed=(t["status"] == "FAIL") | (t["current status"] == "FAIL")).set_index(["check", "item"])


#: short headings of the simulation metrics (:data:`rebal.proposal.simulation.METRIC_LABELS` keys)
_METRICS = {"sharpe": "Sharpe (annualised)", "max_drawdown": "max drawdown", "win_rate": "up days",
            "total_return": "return over the window", "volatility": "volatility (annualised)"}
#: formats of :func:`simulation_table`: the Sharpe ratio as a number, everything else in percent
SIMULATION_FORMATS = {"Sharpe (annualised)": "{:.2f}", "max drawdown": "{:.1%}", "up days": "{:.1%}",
                      "return over the window": "{:+.1%}", "volatility (annualised)": "{:.1%}"}


def simulation_table(p: Any) -> pd.DataFrame:
    """Metrics by path (rows: baseline, in-sample, out-of-sample; columns: metrics, see :data:`SIMULATION_FORMATS`)."""
    from rebal.proposal.simulation import METRIC_LABELS

    t = p.simulation.table().T.rename(columns={label: _METRICS[k] for k, label in METRIC_LABELS.items()})
    t.index.name = "path"
    return t


_NBSP = "\u00a0"
_NOISE = {"baseline Sharpe": "Sharpe baseline", "projected Sharpe": "Sharpe projected",
          "difference": "difference", "SE of the difference": f"±{_NBSP}SE", "z": "z", "correlation": "ρ",
          "relative to max(|baseline|, floor)": "relative", "SE of the relative figure": f"±{_NBSP}SE relative",
          "sessions": "sessions"}
#: formats of :func:`noise_table` (ρ: correlation of the two daily paths)
NOISE_FORMATS = {"Sharpe baseline": "{:.2f}", "Sharpe projected": "{:.2f}", "difference": "{:+.2f}",
                 f"±{_NBSP}SE": "{:.2f}", "z": "{:+.2f}", "ρ": "{:.2f}", "relative": "{:+.1%}",
                 f"±{_NBSP}SE relative": "{:.1%}", "sessions": "{:.0f}"}


def noise_table(p: Any) -> pd.DataFrame:
    """Sharpe ratios of each comparison with the baseline, their difference ± SE, z and the relative figure ± SE.

    relative = difference / max(|baseline Sharpe|, the profile's ``sharpe_floor``).
    """
    t = p.simulation.noise_table().rename(columns=_NOISE)
    t.index.name = "projection"
    return t


def costs_table(p: Any) -> pd.DataFrame:
    """Tabulate the cost estimate in bps of portfolio value and in dollars."""
    c = p.costs
    return pd.DataFrame({"bps of value": [c["slippage_bps"], c["commission_bps"], c["total_bps"]],
                         "USD": [c["slippage_usd"], c["commission_usd"], c["total_usd"]]},
                        index=pd.Index(["slippage (spread + impact)", "commission", "total"], name="cost"))


def proposal_trades(p: Any) -> pd.DataFrame:
    """Tabulate the trades as the committee reads them."""
    t = p.trades.trades
    cols = {"action": "action", "shares": "shares", "price": "price", "value": "value ($)", "reason": "reason",
            "est_cost": "est. cost ($)", "weight_before": "weight before", "weight_target": "weight target",
            "weight_after": "weight after"}
    t = t.assign(reason=t["reason"].astype(str).str.replace("_", _NBSP))  # "exit position" kept on one line
    return t.set_index("ticker")[list(cols)].rename(columns=cols)


def proposal_scraps(p: Any, decision: Any = None) -> dict[str, Any]:
    """Key proposal results as plain types, with the week's decision (``rebal.decision``) when given."""
    s = p.simulation
    extra = ({"decision_action": decision.action, "decision_reason": decision.reason, "decision_rule": decision.rule}
             if decision is not None else {})

    def num(x: Any) -> float | None:
        return None if x is None else float(x)

    return {"proposal_id": p.id, "simulation_verdict": p.verdict, "verdict_reason": p.verdict_reason,
            "blocked": bool(p.blocked), "hard_breaches": list(p.hard_breaches),
            "target_conflicts": list(p.target_conflicts), "baseline": p.baseline,
            "improvement": num(p.improvement), "improvement_se": num(p.improvement_se),
            "sharpe_difference": num(p.sharpe_difference), "sharpe_difference_se": num(p.sharpe_difference_se),
            "mode": p.allocation.mode, "breakers": p.allocation.breaker.status,
            "n_adjustments": len(p.allocation.breaker.adjustments), "n_trades": int(len(p.trades.trades)),
            "cost_bps": float(p.costs["total_bps"]), "drift": float(p.drift),
            "deployed": float(1 - p.proposed.get("CASH", 0.0)),
            "improvement_in_sample": float(s.improvement_in_sample) if s else None,
            "improvement_out_of_sample": (float(s.improvement_out_of_sample) if s and
                                          s.improvement_out_of_sample is not None else None),
            "warnings": list(p.warnings), "alerts": list(p.alerts),
            "proposed": {k: float(v) for k, v in p.proposed.items()}, **extra}


def proposal_parameters(profile: Profile) -> pd.DataFrame:
    """Tabulate the profile's proposal parameters next to the defaults (the rebalance-modes spec's values)."""
    from dataclasses import fields

    from rebal.proposal.spec import Limits, ProposalSpec

    spec, dflt = profile.proposal, ProposalSpec()
    rows = [(f.name, getattr(spec, f.name), getattr(dflt, f.name)) for f in fields(ProposalSpec) if f.name != "limits"]
    rows += [(f"limits.{f.name}", getattr(spec.limits, f.name), getattr(Limits(), f.name)) for f in fields(Limits)]
    t = pd.DataFrame(rows, columns=["parameter", "this profile", "default"]).set_index("parameter")
    # whole amounts read 5,000, not 5000.0 (the same rule as the Risk4 parameters)
    t = t.map(lambda v: f"{v:,.0f}" if isinstance(v, float) and v.is_integer() and abs(v) >= 1000 else str(v))
    return t.assign(changed=t["this profile"] != t["default"])


def target_method_note(profile: Profile) -> Any:
    """One paragraph on how the profile's target is made, with its parameters."""
    t = profile.target
    method = METHODS[t.method]
    text = describe(t)
    bits = [f"lookback {t.lookback_days} sessions"] if method.fits_returns else []
    if method.sector_caps:
        bits.append(f"weights in [{t.min_weight:.0%}, {t.max_weight:.0%}]")
        if t.max_sector_weight < 1 or t.sector_max:
            caps = [f"every sector ≤ {t.max_sector_weight:.0%}"] if t.max_sector_weight < 1 else []
            caps += [f"{k} ≤ {v:.0%}" for k, v in t.sector_max.items()]
            bits.append("sector caps: " + ", ".join(caps))
    if t.method == "max_sharpe":
        bits.append(f"risk-free rate {t.risk_free_rate:.1%}")
    if t.cash:
        bits.append(f"{t.cash:.0%} cash")
    return note(f"<b>Target</b>: {html.escape(text)}" + (f" ({html.escape('; '.join(bits))})" if bits else "") + ".")


def black_litterman_tables(p: Any) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """For a black_litterman target: (per asset: market weight, π, μ_BL, weight; the views), else None."""
    m = p.target_model
    if m is None or not hasattr(m, "result_"):
        return None
    r = m.result_
    assets = pd.DataFrame({"market weight (prior)": m.market_weights_, "equilibrium π": r.pi,
                           "posterior μ_BL": r.posterior_returns, "weight": m.weights_})
    assets["μ_BL − π"] = assets["posterior μ_BL"] - assets["equilibrium π"]
    views = pd.DataFrame([{"view": v.label,
                           "picks": ", ".join(f"{a} {w:+.2f}" for a, w in zip(v.assets, v.weights, strict=True)),
                           "expected return": v.value, "confidence": v.confidence} for v in m.views_]).set_index("view")
    return assets.sort_values("weight", ascending=False), views



# -- figures ----------------------------------------------------------------------------------------


def allocation_plot(p) -> Figure:
    """Plot current, target and proposed weight per asset (and cash), percent of portfolio value."""
    plt = pyplot()
    ch = p.changes(held_only=True)
    y = np.arange(len(ch))
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.32 * len(ch) + 1.2)), layout="constrained")
    for k, (col, color) in enumerate((("current", "#90a4ae"), ("target", "#1565c0"), ("proposed", "#263238"))):
        ax.barh(y + (k - 1) * 0.26, ch[col] * 100, height=0.26, color=color, label=col)
    lim = p.profile.proposal.limits.max_single * 100
    ax.axvline(lim, color="#c62828", ls="--", lw=1, label=f"single-asset limit {lim:.0f}%")
    ax.set_yticks(y, ch.index)
    ax.invert_yaxis()
    percent_axis(ax.xaxis)
    ax.set_xlabel("weight (% of portfolio value)")
    ax.set_title("Current vs target vs proposed allocation", loc="left")
    ax.grid(axis="x", alpha=0.3)
    legend_below(fig, ncol=4)
    return fig


def correlation_heatmap(p) -> Figure:
    """Correlation of the sleeves over the mode's window, clusters outlined in black."""
    plt = pyplot()
    import seaborn as sns

    corr = p.allocation.correlation
    n = len(corr)
    annot = n <= 12
    # annotated cells get room for their numbers; a large matrix fills the text width (printed at 0.72)
    side = min(8.5, 1.2 + (0.75 if annot else 0.45) * n)
    fig, ax = plt.subplots(figsize=(min(10, side + 1.6), side), layout="constrained")
    order = [a for c in p.allocation.clusters for a in c]
    order += [a for a in corr.index if a not in order]
    c = corr.loc[order, order]
    sns.heatmap(c, vmin=-1, vmax=1, cmap="RdBu_r", annot=annot, fmt=".2f", annot_kws={"fontsize": CELL_SIZE},
                square=True, cbar_kws={"label": "correlation of daily returns", "shrink": 0.7}, ax=ax)
    start = 0
    for cl in p.allocation.clusters:
        ax.add_patch(plt.Rectangle((start, start), len(cl), len(cl), fill=False, ec="black", lw=2.5))
        start += len(cl)
    lim = p.profile.proposal.limits
    ax.set_title(f"Correlations over {p.profile.proposal.correlation_days} sessions\n"
                 f"(black boxes: clusters, every pair > {lim.high_corr:.2f})", loc="left")
    ax.tick_params(axis="y", labelrotation=0)
    ax.tick_params(axis="x", labelrotation=90 if n > 8 else 0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return fig


def simulation_plot(p) -> Figure:
    """Growth of $1: baseline, projected in-sample and out-of-sample, net of costs."""
    plt = pyplot()
    s = p.simulation
    fig, ax = plt.subplots(figsize=(10, 4.0), layout="constrained")
    styles = {"baseline": ("#90a4ae", "-", f"baseline: {s.baseline_source}"),
              "in_sample": ("#1565c0", "--", "projected, in-sample (look-ahead)"),
              "out_of_sample": ("#263238", "-", "projected, out-of-sample (walk-forward)")}
    for col in s.paths.columns:
        color, ls, label = styles[col]
        ax.plot(s.paths.index, s.paths[col], color=color, ls=ls, lw=1.6, label=label)
    for r in s.refits[1:]:
        ax.axvline(np.datetime64(r["date"]), color="#bdbdbd", lw=0.6, ls=":")
    number_axis(ax.yaxis, prefix="$")
    ax.set_ylabel("value of $1 (net of costs)")
    date_axis(ax)
    ax.set_title(f"Impact simulation, {s.start} to {s.end} (dotted: walk-forward refits)", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=2)
    return fig


def frontier_plot(fr, pts, *, title: str = "Efficient frontier (long-only, annual estimates)") -> Figure:
    """Frontier line, assets as grey points, current / target / proposed portfolios marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    fr = fr.round(10).drop_duplicates()
    if len(fr) > 1:
        ax.plot(fr["vol"] * 100, fr["ret"] * 100, color="#263238", lw=2, marker=".", label="efficient frontier")
    else:  # one asset has both the lowest risk and the highest return: the frontier is that one point
        ax.scatter(fr["vol"] * 100, fr["ret"] * 100, s=90, color="#263238", marker="s",
                   label="efficient frontier (a single portfolio)")
    a = pts[pts["kind"] == "asset"]
    ax.scatter(a["vol"] * 100, a["ret"] * 100, s=22, color="#90a4ae", label="assets")
    # drawn largest first so that portfolios in the same place all stay visible
    marks = {"current": ("o", 190, "none", "#546e7a"), "target": ("*", 230, "#1565c0", "white"),
             "proposed": ("D", 45, "#c62828", "white")}
    port = pts[pts["kind"] == "portfolio"].set_index("name")
    for name, (m, size, face, edge) in marks.items():
        if name in port.index:
            ax.scatter([port.loc[name, "vol"] * 100], [port.loc[name, "ret"] * 100], marker=m, s=size,
                       facecolor=face, edgecolor=edge, lw=1.8 if face == "none" else 0.8, zorder=5, label=name)
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis, signed=True)
    ax.set_xlabel("volatility (% a year)")
    ax.set_ylabel("expected return (% a year, EW mean)")
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=5)
    if len(a) <= 30:
        place_labels(ax, list(a["vol"] * 100), list(a["ret"] * 100), list(a["name"]), color="#546e7a")
    return fig


scraps = proposal_scraps


def _summary(s: Any) -> str:
    imp, se = s.get("improvement"), s.get("improvement_se")
    imp = f", OOS {imp:+.1%} ± {se:.1%}" if imp is not None and se is not None else ""
    conflict = "; CONFIGURATION CONFLICT" if s.get("target_conflicts") else ""
    return (f"{s['simulation_verdict']} ({s['mode'].replace('_', '-')}; {s['n_trades']} trades, "
            f"{s['cost_bps']:.1f} bps{imp}){conflict}")


def _cell(s: Any) -> str:
    verdict = str(s.get("simulation_verdict", ""))
    imp, se = s.get("improvement"), s.get("improvement_se")
    conflict = (f'<span style="color:{CONFLICT_COLOR};font-weight:700">configuration conflict</span><br>'
                if s.get("target_conflicts") else "")
    return (conflict + f'<span style="color:{VERDICT_COLORS.get(verdict, "#455a64")};font-weight:700">'
            f'{html.escape(verdict)}</span><br>'
            f'{html.escape(str(s.get("mode", "")).replace("_", "-"))}; {s.get("n_trades", 0)} trades, '
            f'{s.get("cost_bps", float("nan")):.1f} bps'
            + (f"; OOS {imp:+.1%} ± {se:.1%}" if imp is not None and se is not None else ""))


def _applies(profile: Profile, has_holdings: bool) -> str | None:
    if has_holdings:
        return None
    return "no holdings on or before the as-of date (import them with `rebal data import holdings`)"


REPORT = ReportSpec(
    name="rebalance_proposal", title="Rebalance proposal", order=20,
    scraps={"proposal_id": str, "simulation_verdict": str, "verdict_reason": str, "blocked": bool,
            "hard_breaches": list, "target_conflicts": list, "baseline": str,
            "improvement": (float, type(None)), "improvement_se": (float, type(None)),
            "sharpe_difference": (float, type(None)), "sharpe_difference_se": (float, type(None)),
            "mode": str, "breakers": str, "n_adjustments": int, "n_trades": int, "cost_bps": float, "drift": float,
            "deployed": float, "improvement_in_sample": (float, type(None)),
            "improvement_out_of_sample": (float, type(None)), "warnings": list, "alerts": list, "proposed": dict,
            "decision_action": str, "decision_reason": str, "decision_rule": int},
    summary=_summary, applies=_applies,
    cover=(Cover("Proposal", _cell),), evidence=evidence,
    method_notes=("The rebalance-modes specification subtracts a cost in percent of value from a relative Sharpe "
                  "change (its example: 14.3 % − 0.30 % = 14.0 %), which mixes units; here the cost is charged to "
                  "the simulated path instead, so the Sharpe change is net of costs.",),
    legend="<b>Proposal</b>: the simulation verdict (IMPROVES / WITHIN NOISE / WORSENS / NOT SIMULATED) of the "
           "out-of-sample Sharpe change against the book as held; OOS is that change relative to max(|baseline "
           "Sharpe|, the profile's sharpe_floor), ± one standard error (Jobson-Korkie-Memmel).",
)
