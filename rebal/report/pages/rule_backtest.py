"""The rebalancing-rule lab report: hypotheses, TE-vs-cost frontier, heatmaps, turnover and paths."""
from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.report.figures import CELL_SIZE, LABEL_SIZE, date_axis, legend_below, percent_axis, place_labels
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import pyplot
from rebal.report.widgets import card, note

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["REPORT", "LAB_FORMATS", "lab_card", "lab_notes", "lab_table", "verdicts_table", "lab_scraps", "scraps",
           "FAMILY_COLORS", "lab_frontier_plot", "lab_turnover_plot", "lab_heatmaps", "lab_regime_heatmap",
           "lab_paths_plot", "lab_regime_plot"]


LAB_FORMATS = {"TE": "{:.2%}", "cost/yr": "{:.3%}", "turnover/yr": "{:.1%}", "trading days": "{:,.0f}",
               "Sharpe": "{:.2f}", "vs target": "{:+.2f}", "max DD": "{:.1%}", "taxes": "{:.1%}",
               "cost bps": "{:g}", "skipped": "{:,.0f}"}


def lab_card(run: Any) -> Any:
    """Headline of a rule-lab run: window, target, configurations, data sources."""
    inp, s = run.inputs, run.summary
    src = inp.vix_source.value_counts()
    best = s.loc[s["tracking_error"].idxmin()]
    cheap = s.loc[s["cost_per_year"].idxmin()]
    rows = [
        ("Profile", f"{html.escape(run.profile.name)} — {html.escape(run.profile.description)}"),
        ("Window", f"{inp.start} to {inp.end} ({len(inp.vix_source):,} NYSE sessions)"),
        ("Target", "fitted once at the start (no look-ahead)" if len(inp.target) == 1
         else f"refitted {len(inp.target)} times ({html.escape(run.profile.lab.refit)})"),
        ("Configurations", f"{len(s)} ({html.escape(run.which)} set)"),
        ("Lowest tracking error", f"{html.escape(best.name)}: {best['tracking_error']:.2%}"),
        ("Lowest cost", f"{html.escape(cheap.name)}: {cheap['cost_per_year']:.3%} per year"),
        ("Regime source", f"VIX close on {src.get('VIX', 0):,} sessions; realised-volatility proxy on "
                          f"{src.get('proxy', 0):,} sessions"),
        ("Volume", "synthetic (ADV and market impact rest on it)" if inp.synthetic_volume else "from the lakehouse"),
    ]
    return card(rows)


def lab_notes(run: Any) -> Any:
    """Say what is synthetic, what is proxied, what is assumed (shown before any number)."""
    inp, st = run.inputs, run.inputs.market.settings
    parts = []
    if inp.synthetic_volume:
        parts.append("<b>Synthetic volume.</b> No package ships per-stock volume; the sample's volumes are generated "
                     "(seeded, calibrated to real 2014 dollar ADV). Dollar ADV, the square-root market impact and the "
                     "illiquid-asset skip rest on them.")
    n_proxy = int((inp.vix_source != "VIX").sum())
    if n_proxy:
        parts.append("<b>Proxied VIX.</b> The real VIX ships only for 2014-01-03 .. 2019-01-03; "
                     f"on {n_proxy:,} sessions "
                     "the regime comes from the 21-day realised volatility of the benchmark, annualised, in VIX points "
                     "(a proxy, not the VIX).")
    parts.append(f"<b>Cost assumptions.</b> Flat spread + commission level per configuration (10 / 20 / 50 bps in the "
                 f"grid), plus square-root impact {st.impact_coefficient:g}·σ·√(trade / ADV) on a "
                 f"${st.notional:,.0f} portfolio, times {st.cost_multipliers[1]:g} in the elevated and "
                 f"{st.cost_multipliers[2]:g} in the stress regime "
                 "(the planner spec: spreads and impact 2-3x in stress).")
    for n in inp.notes:
        parts.append(html.escape(n))
    return note("<br>".join(parts), "synthetic")


def lab_table(summary: pd.DataFrame, cost_bps: float | None = None) -> pd.DataFrame:
    """Tabulate the per-configuration metrics readably (optionally one cost level, in bps).

    ``skipped`` (trades of illiquid assets not done) is left out when no configuration skipped any, so
    that the table fits the page width.
    """
    s = summary if cost_bps is None else summary[np.isclose(summary["cost_bps"], cost_bps)]
    out = pd.DataFrame({
        "rule": s["rule"], "cost bps": s["cost_bps"], "TE": s["tracking_error"], "cost/yr": s["cost_per_year"],
        "turnover/yr": s["turnover_per_year"], "trading days": s["rebalances"], "Sharpe": s["sharpe"],
        "vs target": s["sharpe_vs_target"], "max DD": s["max_drawdown"], "taxes": s["taxes"],
        "skipped": s["skipped_illiquid"]})
    if not out["skipped"].astype(bool).any():
        out = out.drop(columns="skipped")
    return out.reset_index(drop=True)


def verdicts_table(verdicts: list) -> pd.DataFrame:
    """One row per hypothesis or literature check: verdict and evidence."""
    name = {True: "SUPPORTED", False: "NOT SUPPORTED", None: "NOT TESTED"}
    return pd.DataFrame([{"#": v.number, "statement": v.statement, "verdict": name[v.supported],
                          "evidence": v.evidence, "not_supported": v.supported is False} for v in verdicts])


def lab_scraps(run: Any) -> dict[str, Any]:
    """Key results of a lab run for scrapbook."""
    s = run.summary
    out = {"lab_start": str(run.inputs.start), "lab_end": str(run.inputs.end), "lab_configurations": int(len(s)),
           "lab_proxy_sessions": int((run.inputs.vix_source != "VIX").sum())}
    for v in run.verdicts + run.literature:
        out[f"lab_check_{v.number}"] = {True: "supported", False: "not supported", None: "not tested"}[v.supported]
    keep = s[["rule", "cost_bps", "tracking_error", "cost_per_year", "turnover_per_year", "rebalances", "sharpe",
              "taxes"]]
    out["lab_summary"] = json.loads(keep.reset_index().to_json(orient="records", double_precision=15))
    return out



# -- figures ----------------------------------------------------------------------------------------


#: one colour per rule family (the part of the spec before the colon)
FAMILY_COLORS = {"calendar": "#546e7a", "threshold": "#1565c0", "hybrid": "#6a1b9a", "bands": "#00838f",
                 "highvol": "#ad1457", "costbenefit": "#ef6c00", "dynamic": "#2e7d32", "delay": "#9e9d24",
                 "partial": "#5d4037", "tax": "#c62828"}


def _family(spec: str) -> str:
    return spec.split(":")[0]


def lab_frontier_plot(summary, cost_bps: float, *, title: str = "Tracking error vs cost of every rule") -> Figure:
    """Plot TE (x) vs transaction cost per year (y) of each rule at one cost level (bps).

    The rules no other beats on both are joined (the frontier) and named.
    """
    plt = pyplot()
    from rebal.lab.study import frontier_mask

    s = summary[np.isclose(summary["cost_bps"], cost_bps)]
    fig, ax = plt.subplots(figsize=(10, 5.4), layout="constrained")
    for fam, grp in s.groupby(s["rule"].map(_family), sort=False):
        ax.scatter(grp["tracking_error"] * 100, grp["cost_per_year"] * 100, s=36,
                   color=FAMILY_COLORS.get(fam, "#9e9e9e"), label=fam, alpha=0.9, edgecolor="white", lw=0.5, zorder=3)
    m = frontier_mask(s["tracking_error"], s["cost_per_year"])
    fr = s[m].sort_values("tracking_error")
    ax.plot(fr["tracking_error"] * 100, fr["cost_per_year"] * 100, color="#263238", lw=1, ls="--", label="frontier")
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    ax.set_xlabel("tracking error vs target (% a year)")
    ax.set_ylabel("transaction costs (% of value per year)")
    ax.set_title(f"{title} at {cost_bps:g} bps (named: the frontier)", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=6)
    place_labels(ax, list(fr["tracking_error"] * 100), list(fr["cost_per_year"] * 100), list(fr["rule"]),
                 avoid=(list(s["tracking_error"] * 100), list(s["cost_per_year"] * 100)))
    return fig


def lab_turnover_plot(summary, cost_bps: float) -> Figure:
    """One-way turnover per year of each rule at one cost level, coloured by family."""
    plt = pyplot()
    s = summary[np.isclose(summary["cost_bps"], cost_bps)].sort_values("turnover_per_year")
    fig, ax = plt.subplots(figsize=(10, max(2.6, 0.3 * len(s) + 1.0)), layout="constrained")
    ax.barh(s["rule"], s["turnover_per_year"] * 100,
            color=[FAMILY_COLORS.get(_family(r), "#9e9e9e") for r in s["rule"]])
    for y, (v, n) in enumerate(zip(s["turnover_per_year"], s["rebalances"], strict=True)):
        ax.text(v * 100, y, f"  {v:.1%} ({int(n)} days)", va="center", fontsize=LABEL_SIZE, color="#37474f")
    ax.set_xlim(0, s["turnover_per_year"].max() * 140 if len(s) else 1)
    percent_axis(ax.xaxis)
    ax.set_xlabel("one-way turnover (% of value per year)")
    ax.set_title(f"Turnover by rule at {cost_bps:g} bps (trading days over the window in brackets)", loc="left")
    ax.grid(alpha=0.3, axis="x")
    return fig


def _threshold_label(spec: str) -> str:
    """``threshold:0.05`` -> ``5%`` (the heatmaps' axis already says it is the drift threshold)."""
    return f"{float(spec.split(':', 1)[1]):.0%}"


def lab_heatmaps(summary, thresholds) -> Figure:
    """Thresholds x cost levels: tracking error and costs per year."""
    plt = pyplot()
    import seaborn as sns

    from rebal.lab.rules import parse_rule

    specs = [parse_rule(f"threshold:{t:g}").spec for t in thresholds]
    s = summary[summary["rule"].isin(specs)]
    fig, axes = plt.subplots(1, 2, figsize=(10, max(2.8, 0.5 * len(specs) + 1.4)), layout="constrained")
    for ax, (col, title, fmt) in zip(axes, (("tracking_error", "Tracking error (annualised)", ".2%"),
                                           ("cost_per_year", "Costs (% of value per year)", ".3%")), strict=True):
        piv = s.pivot_table(index="rule", columns="cost_bps", values=col).reindex(specs)
        piv.index = [_threshold_label(r) for r in piv.index]
        piv.columns = [f"{c:g}" for c in piv.columns]
        sns.heatmap(piv, annot=True, fmt=fmt, cmap="Blues", cbar=False, ax=ax, annot_kws={"fontsize": CELL_SIZE})
        ax.set_title(title, loc="left")
        ax.set_xlabel("cost level (bps)")
        ax.set_ylabel("drift threshold (% of value)")
        ax.tick_params(axis="y", labelrotation=0)
    return fig


def lab_regime_heatmap(regimes, thresholds, cost_bps: float) -> Figure:
    """Thresholds x VIX regime: tracking error and costs per year of that regime's days."""
    plt = pyplot()
    import seaborn as sns

    from rebal.lab.rules import parse_rule

    specs = [parse_rule(f"threshold:{t:g}").spec for t in thresholds] + ["calendar:monthly", "calendar:quarterly",
                                                                            "hybrid:monthly,0.1"]
    r = regimes[regimes["rule"].isin(specs) & np.isclose(regimes["cost_bps"], cost_bps)]
    order = [x for x in ("normal", "elevated", "stress") if x in set(r["regime"])]
    days = r.drop_duplicates("regime").set_index("regime")["days"]
    rows = [s for s in specs if s in set(r["rule"])]
    fig, axes = plt.subplots(1, 2, figsize=(10, max(3.0, 0.42 * len(rows) + 1.6)), layout="constrained")
    for ax, (col, title, fmt) in zip(axes, (("tracking_error", "Tracking error by regime", ".2%"),
                                           ("cost_per_year", "Costs per year by regime", ".3%")), strict=True):
        piv = r.pivot_table(index="rule", columns="regime", values=col).reindex(index=rows, columns=order)
        piv.columns = [f"{c}\n({int(days[c])} days)" for c in piv.columns]
        sns.heatmap(piv, annot=True, fmt=fmt, cmap="Oranges", cbar=False, ax=ax, annot_kws={"fontsize": CELL_SIZE})
        ax.set_title(f"{title} at {cost_bps:g} bps", loc="left")
        ax.set_xlabel("VIX regime (< 20, 20-30, ≥ 30)")
        ax.set_ylabel("rule" if ax is axes[0] else "")
        ax.tick_params(axis="y", labelrotation=0)
    return fig


def lab_paths_plot(result, cost_bps: float, rules=("calendar:quarterly", "threshold:0.05", "partial:edge,0.05",
                                                     "tax:hifo,0.05")) -> Figure:
    """Value relative to the target path (top) and portfolio drift (bottom) of a few rules at one cost level."""
    plt = pyplot()
    labels = [f"{r} @ {cost_bps:g} bps" for r in rules]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 6.0), sharex=True, layout="constrained")
    cols = [result.labels.index(x) for x in labels if x in result.labels]
    for k in cols:
        color = FAMILY_COLORS.get(_family(result.specs[k]), "#9e9e9e")
        ls = "-" if _family(result.specs[k]) != "partial" else "--"
        a1.plot(result.index, (result.values[:, k] / result.target_values - 1) * 100, lw=1.1, color=color, ls=ls,
                label=result.labels[k])
        a2.plot(result.index, result.drift[:, k] * 100, lw=0.8, color=color, ls=ls)
    a1.axhline(0, color="#263238", lw=0.6)
    percent_axis(a1.yaxis, signed=True)
    a1.set_ylabel("value vs target path (%)")
    a1.set_title("Cumulative difference to the target (daily rebalanced, cost-free) and portfolio drift", loc="left")
    percent_axis(a2.yaxis)
    a2.set_ylabel("drift ½Σ|w − w*| (% of value)")
    date_axis(a2)
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
    legend_below(fig, a1, ncol=4)
    return fig


def lab_regime_plot(inputs) -> Figure:
    """Plot the regime series of a lab run: real VIX where available, the labelled proxy elsewhere."""
    plt = pyplot()
    index, vix, source = inputs.vix.index, inputs.vix.to_numpy(), inputs.vix_source.to_numpy()
    stress, elevated = inputs.market.settings.stress_vix, inputs.market.settings.elevated_vix
    fig, ax = plt.subplots(figsize=(10, 3.0), layout="constrained")
    real = np.where(source == "VIX", vix, np.nan)
    proxy = np.where(source != "VIX", vix, np.nan)
    ax.plot(index, real, color="#263238", lw=0.8, label="VIX close")
    ax.plot(index, proxy, color="#8e24aa", lw=0.8, label="proxy: 21-day realised vol of the benchmark (not VIX)")
    for lvl, c in ((elevated, "#ef6c00"), (stress, "#c62828")):
        ax.axhline(lvl, color=c, lw=0.7, ls="--")
    ax.set_ylabel("VIX points")
    date_axis(ax)
    ax.set_title(f"Volatility regime (dashed: {elevated:g} elevated, {stress:g} stress)", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=2)
    return fig


scraps = lab_scraps


def _summary(s: Any) -> str:
    held = [str(i) for i in range(1, 5) if s.get(f"lab_check_{i}") == "supported"]
    tested = sum(s.get(f"lab_check_{i}") != "not tested" for i in range(1, 5))
    return (f"{s['lab_configurations']} rule configurations; hypotheses supported: "
            f"{', '.join(held) if held else 'none'} of {tested} tested")


def _cell(s: Any) -> str:
    """H1-H4 as ✓ (supported), ✗ (not) or – (not tested)."""
    mark = {"supported": "✓", "not supported": "✗"}
    return " ".join(f"{i}{mark.get(s.get(f'lab_check_{i}'), '–')}" for i in range(1, 5))


REPORT = ReportSpec(
    name="rule_backtest", title="Rebalancing-rule lab", order=50,
    scraps={"lab_start": str, "lab_end": str, "lab_configurations": int, "lab_proxy_sessions": int,
            **{f"lab_check_{i}": str for i in range(1, 7)}, "lab_summary": list},
    summary=_summary,
    cover=(Cover("Rule lab (H1-H4)", _cell),),
    method_notes=("The planner specification's cost-benefit ratio divides a one-off cost by an annualised tracking "
                  "error; taken literally it is below 1 at any drift of a few basis points and the rule trades "
                  "daily. The rule lab puts the benefit in the cost's unit instead: the certainty-equivalent gain "
                  "½·λ·H·TE².",
                  "The specification's tax rule \"rebalance when drift ≥ 5 % or a loss ≥ 10 %\" is read as: a loss "
                  "alone harvests that loss; a full rebalance on a loss alone would realise gains elsewhere (it "
                  "raised taxes on the sample)."),
    legend="Rule lab: the planner's hypotheses 1-4 tested on ten years of the profile's data, ✓ supported, "
           "✗ not supported, – not tested; the VIX before 2014 and after 2018 is a realised-volatility proxy.",
)
