"""The Risk4 picks report: schedule, pre-rebalance checks, picks, sector caps, turnover and trades."""
from __future__ import annotations

import html
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.report.figures import legend_below, number_axis, percent_axis, place_labels
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import STATUS_COLORS, pyplot
from rebal.report.widgets import card, html_block, note

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rebal.config import Profile

__all__ = ["REPORT", "risk4_card", "risk4_alerts", "checks_table", "picks_table", "PICKS_FORMATS", "sectors_table",
           "SECTOR_FORMATS", "trades_table", "TRADES_FORMATS", "schedule_table",
           "risk4_parameters", "risk4_synthetic_note", "risk4_scraps", "scraps", "sector_caps_plot",
           "weights_vs_prior_plot", "alpha_vol_plot"]


_R4_COLORS = {"OK": STATUS_COLORS["MAINTAIN"], "WARNING": STATUS_COLORS["REBALANCE"],
              "BLOCKED": STATUS_COLORS["URGENT"]}


def risk4_card(res: Any, implemented: date | None = None) -> Any:
    """Headline of a Risk4 run (``implemented``: the date its trades were already implemented, if so)."""
    spec = res.profile.risk4
    status = (f'<span style="background:{_R4_COLORS[res.status]};color:#fff;padding:2px 10px;border-radius:4px;'
              f'font-weight:700">{res.status}</span>')
    rows = [("Run", f"{status} rebalance of {res.date}" + ("" if res.is_rebalance_day else " (not a scheduled day)")
             + f"; next {res.next_rebalance} (every {spec.every} NYSE sessions from {spec.anchor})")]
    if implemented is not None:
        rows.append(("Implemented", f"on {implemented}: the holdings snapshot of that day equals these picks, so the "
                                    "trade list below is history, and the drift audit starts from it"))
    if res.blocked:
        return card(rows + [("Blocked because", html.escape(res.block_reason))])
    s = res.summary()
    return card(rows + [
        ("Portfolio", f"{s['portfolio']['n_positions']} positions from a universe of {len(res.universe)}; exposure "
                      f"{res.exposure:.1%}, cash {1 - res.exposure:.1%} (vol targeting, gross ≤ {spec.max_gross:.0%}); "
                      f"value ${res.value:,.0f}"),
        ("Estimated volatility", f"{res.estimated_vol:.1%} a year vs target {spec.target_vol:.0%} "
                                 f"({res.vol_unscaled:.1%} before scaling; Ledoit-Wolf, {spec.cov_lookback} sessions)"),
        ("Estimated beta", f"{res.estimated_beta:.2f} to {html.escape(res.profile.benchmark)}"),
        ("Turnover vs prior", f"{res.turnover:.1%} of value traded one way "
                              f"(composition {res.turnover_composition:.1%}, "
                              f"capped at {spec.max_turnover:.0%}); prior: {html.escape(res.prior.source)}"),
        ("Top 5 weight", f"{s['portfolio']['top_5_weight']:.1%}"),
        ("Regime", f"{html.escape(res.regime.get('current', ''))} (VIX {res.regime.get('vix')}: "
                   f"{html.escape(str(res.regime.get('vix_source')))}; "
                   f"trend: {html.escape(res.regime.get('trend_rule', ''))})"),
        ("Data", f"features of {res.feature_date} "
                 f"({res.data_freshness.get('sessions_stale')} session(s) before the run)"),
    ])


def risk4_alerts(res: Any) -> Any:
    """Show the alerts as a table, or a note that there are none."""
    if not res.alerts:
        return note("No alerts.")
    colors = {"CRITICAL": STATUS_COLORS["URGENT"], "WARNING": STATUS_COLORS["REBALANCE"], "INFO": "#1565c0"}
    rows = "".join(f'<tr><td style="color:{colors[a.severity]};font-weight:700">{a.severity}</td>'
                   f"<td style='text-align:left'>{html.escape(a.code.replace('_', ' '))}</td>"
                   f"<td style='text-align:left'>{html.escape(a.message)}</td></tr>"
                   for a in res.alerts)
    return html_block('<table class="rebal-table"><thead><tr><th>severity</th><th style="text-align:left">alert</th>'
                      '<th style="text-align:left">message</th></tr>'
                      f"</thead><tbody>{rows}</tbody></table>")


def checks_table(res: Any) -> pd.DataFrame:
    """Tabulate the checks with a ``failed`` marker column for :func:`table`'s highlight."""
    t = res.checks.copy()
    t["value"] = t["value"].astype(str)
    return t.assign(failed=t["status"] == "FAIL").set_index("check")


#: formats of :func:`picks_table`
PICKS_FORMATS = {"alpha z": "{:+.2f}", "vol blend": "{:.1%}", "ADV 20d ($M)": "{:,.1f}", "weight": "{:.2%}",
                 "target shares": "{:,.0f}", "price": "{:,.2f}", "value ($)": "{:,.0f}"}


def picks_table(res: Any) -> pd.DataFrame:
    """Tabulate the picks as the committee reads them (ADV in millions of dollars)."""
    p = res.picks.copy()
    p["value"] = p["target_shares"] * p["price"]
    p["adv_20"] = p["adv_20"] / 1e6
    p = p.rename(columns={"alpha_z": "alpha z", "vol_blend": "vol blend", "adv_20": "ADV 20d ($M)",
                          "target_shares": "target shares", "value": "value ($)"})
    p["rank"] = p["rank"].astype("Int64")
    return p.set_index("ticker")[["rank", "sector", "alpha z", "vol blend", "ADV 20d ($M)", "weight",
                                  "target shares", "price", "value ($)"]]


#: formats of :func:`sectors_table` (all fractions)
_OF_VALUE, _OF_INVESTED = "weight (of\u00a0value)", "weight (of\u00a0invested)"
SECTOR_FORMATS = {_OF_VALUE: "{:.2%}", _OF_INVESTED: "{:.2%}", "universe share": "{:.1%}",
                  "cap (of\u00a0invested)": "{:.1%}"}


def sectors_table(res: Any) -> pd.DataFrame:
    """Sector weights of the picks (of the portfolio's value and of its invested part), universe share and cap.

    The cap applies to the weight of the invested part: the profile's ``sector_multiple`` × universe share.
    """
    return res.sectors.rename(columns={"weight": _OF_VALUE, "weight_of_invested": _OF_INVESTED,
                                       "universe_share": "universe share", "cap": "cap (of\u00a0invested)"})


#: formats of :func:`trades_table`
TRADES_FORMATS = {"shares": "{:,.0f}", "value ($)": "{:,.0f}", "price": "{:,.2f}"}


def trades_table(res: Any) -> pd.DataFrame:
    """Tabulate the trades, sells first then buys, largest first; reasons in words."""
    t = res.trades.copy()
    t["order"] = t["action"].map({"SELL": 0, "BUY": 1})
    t = t.sort_values(["order", "estimated_value"], ascending=[True, False]).drop(columns="order")
    if "reason" in t.columns:
        t["reason"] = t["reason"].astype(str).str.replace("_", "\u00a0")  # words, kept on one line
    return t.set_index("ticker").rename(columns={"estimated_value": "value ($)"})


def schedule_table(res: Any) -> pd.DataFrame:
    """Tabulate the next 10 rebalance dates with their weekday."""
    from rebal.calendar import next_rebalance_dates

    spec = res.profile.risk4
    d = next_rebalance_dates(res.date + pd.Timedelta(days=1), 10, anchor=spec.anchor, every=spec.every)
    return pd.DataFrame({"date": [str(x) for x in d], "weekday": [pd.Timestamp(x).day_name() for x in d]},
                        index=pd.RangeIndex(1, 11, name="#"))


def _param(v: Any) -> str:
    """Write a parameter value: whole numbers with thousands separators (``2,000,000``, not ``2000000.0``)."""
    if isinstance(v, float) and v.is_integer() and abs(v) >= 1000:
        return f"{v:,.0f}"
    return str(v)


def risk4_parameters(profile: Profile) -> pd.DataFrame:
    """Tabulate the profile's Risk4 parameters next to the production defaults of the spec."""
    from dataclasses import fields

    from rebal.selection.spec import Risk4Checks, Risk4Spec

    spec, dflt = profile.risk4, Risk4Spec()
    rows = []
    for f in fields(Risk4Spec):
        if f.name != "checks":
            rows.append((f.name, getattr(spec, f.name), getattr(dflt, f.name)))
    for f in fields(Risk4Checks):
        rows.append((f"checks.{f.name}", getattr(spec.checks, f.name), getattr(dflt.checks, f.name)))
    t = pd.DataFrame(rows, columns=["parameter", "this profile", "production default"]).set_index("parameter")
    t = t.map(_param)
    return t.assign(scaled=t["this profile"] != t["production default"])


def risk4_synthetic_note(res: Any) -> Any:
    """Say what in the inputs is synthetic or estimated."""
    items = list(res.synthetic_inputs) + [
        "alpha is this package's documented public composite (12-1 momentum, 1-month reversal, low volatility), "
        "not the original proprietary alpha" if res.data_freshness.get("alpha_source") == "features" else
        "alpha is the user's imported signal (alpha_imported)",
        "beta and volatility are estimates from the last year of daily returns (Ledoit-Wolf shrinkage)",
        "the sample universe is 20 stocks chosen after the fact (survivorship bias); thresholds are scaled to it",
    ]
    body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return note(f"<b>Synthetic, proxied or estimated inputs</b><ul style='margin:2px 0'>{body}</ul>", "synthetic")


def risk4_scraps(res: Any, implemented: date | None = None) -> dict[str, Any]:
    """Key Risk4 results as plain types (``implemented_on``: the date its trades were implemented, or "")."""
    out: dict[str, Any] = {"risk4_status": res.status, "rebalance_date": str(res.date),
                           "implemented_on": str(implemented) if implemented else "",
                           "is_rebalance_day": bool(res.is_rebalance_day), "next_rebalance": str(res.next_rebalance),
                           "alerts": [f"{a.severity}: {a.message}" for a in res.alerts]}
    if res.blocked:
        return out
    return out | {"n_positions": int((res.weights > 0).sum()), "turnover": float(res.turnover),
                  "estimated_vol": float(res.estimated_vol), "estimated_beta": float(res.estimated_beta),
                  "exposure": float(res.exposure), "universe_size": int(len(res.universe)),
                  "picks": res.picks[["ticker", "weight", "target_shares", "sector", "alpha_z", "rank"]],
                  "trades": res.trades}



# -- figures ----------------------------------------------------------------------------------------


def sector_caps_plot(res) -> Figure:
    """Risk4 sector weights (of the invested part) against their caps and the universe's sector shares."""
    plt = pyplot()
    t = res.sectors.sort_values("weight_of_invested")
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(10, max(2.8, 0.45 * len(t) + 1.4)), layout="constrained")
    ax.barh(y, t["weight_of_invested"] * 100, height=0.6, color="#263238", label="portfolio (of invested)")
    ax.scatter(t["universe_share"] * 100, y, marker="|", s=300, lw=2.5, color="#1565c0", zorder=4,
               label="universe share")
    ax.scatter(t["cap"] * 100, y, marker="|", s=300, lw=2.5, color="#c62828", zorder=4,
               label=f"cap = {res.profile.risk4.sector_multiple:g} × universe share")
    ax.set_yticks(y, t.index)
    percent_axis(ax.xaxis)
    ax.set_xlabel("weight (% of the invested portfolio)")
    ax.set_title("Sector weights vs caps", loc="left")
    ax.grid(axis="x", alpha=0.3)
    legend_below(fig)
    return fig


def weights_vs_prior_plot(res) -> Figure:
    """Risk4 target weight vs prior weight per name (after whole-share rounding), largest first."""
    plt = pyplot()
    p = res.positions.sort_values(["weight_after", "prior_weight"])
    y = np.arange(len(p))
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.28 * len(p) + 1.4)), layout="constrained")
    ax.barh(y - 0.19, p["prior_weight"] * 100, height=0.38, color="#90a4ae", label=f"prior ({res.prior.source})")
    ax.barh(y + 0.19, p["weight_after"] * 100, height=0.38, color="#263238", label="new target (whole shares)")
    ax.axvline(res.profile.risk4.max_position * 100, color="#c62828", ls="--", lw=1,
               label=f"position cap {res.profile.risk4.max_position:.0%}")
    ax.set_yticks(y, p.index)
    percent_axis(ax.xaxis)
    ax.set_xlabel("weight (% of portfolio value)")
    ax.set_title(f"Weights: prior vs new (turnover {res.turnover:.1%})", loc="left")
    ax.grid(axis="x", alpha=0.3)
    legend_below(fig)
    return fig


def alpha_vol_plot(res) -> Figure:
    """Plot the universe in (vol_blend, alpha z): picked names highlighted, point size = weight."""
    plt = pyplot()
    u = res.universe
    picked = res.picks.set_index("ticker")["weight"]
    fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    out = u[~u.index.isin(picked.index)]
    ax.scatter(out["vol_blend"] * 100, out["alpha_z"], s=22, color="#b0bec5", label="not held")
    inn = u[u.index.isin(picked.index)]
    areas = pd.Series(40 + 1500 * picked.reindex(inn.index).to_numpy(), index=inn.index)
    ax.scatter(inn["vol_blend"] * 100, inn["alpha_z"], s=areas, color="#1565c0", alpha=0.75,
               label="held (size = weight)")
    ax.axhline(0, color="black", lw=0.8)
    percent_axis(ax.xaxis)
    number_axis(ax.yaxis, signed=True)
    ax.set_xlabel("volatility blend: mean of 20- and 60-session realised volatility (% a year)")
    ax.set_ylabel("alpha z-score (clipped)")
    ax.set_title(f"Universe on {res.feature_date}: alpha vs volatility", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=2)
    if len(u) <= 60:
        radii = [float(np.sqrt(areas[t] / np.pi)) if t in areas.index else 3.0 for t in u.index]
        place_labels(ax, list(u["vol_blend"] * 100), list(u["alpha_z"]), list(u.index), radii=radii)
    return fig


scraps = risk4_scraps


def _summary(s: Any) -> str:
    done = f"; implemented on {s['implemented_on']}" if s.get("implemented_on") else ""
    return (f"{s['risk4_status']} {s['n_positions']} positions, turnover {s['turnover']:.1%}, "
            f"est. vol {s['estimated_vol']:.1%}{done}")


def _applies(profile: Profile, has_holdings: bool) -> str | None:
    return None if profile.risk4 is not None else "not a Risk4 profile (no `risk4` block)"


REPORT = ReportSpec(
    name="risk4_picks", title="Risk4 picks", order=60, default=False,
    scraps={"risk4_status": str, "rebalance_date": str, "implemented_on": str, "is_rebalance_day": bool,
            "next_rebalance": str,
            "alerts": list},
    optional={"n_positions": int, "turnover": float, "estimated_vol": float, "estimated_beta": float,
              "exposure": float, "universe_size": int, "picks": "DataFrame", "trades": "DataFrame"},
    summary=_summary, applies=_applies,
    cover=(Cover("Stock selection", lambda s: html.escape(REPORT.summary_line(s))),),
    method_notes=("The Risk4 specification caps weights once and renormalises, which can push weights back over "
                  "the caps; here the caps are met exactly by water-filling, or the run is blocked as infeasible.",),
)
