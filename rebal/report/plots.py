"""Figures the notebooks show. Every figure has a title, labelled axes and units."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

__all__ = ["STATUS_COLORS", "drift_overview", "weights_comparison", "drift_path_plot"]

STATUS_COLORS = {"MAINTAIN": "#2e7d32", "REBALANCE": "#ef6c00", "URGENT": "#c62828"}
#: colours of the proposal recommendations (reports and the packet cover)
REC_COLORS = {"REBALANCE": STATUS_COLORS["REBALANCE"], "OPTIONAL": "#1565c0", "HOLD": STATUS_COLORS["MAINTAIN"],
              "BLOCKED": STATUS_COLORS["URGENT"]}
_OVER, _UNDER, _NEUTRAL = "#c62828", "#1565c0", "#9e9e9e"


def drift_overview(audit) -> Figure:
    """Two panels: per-asset drift (points) with the single-asset limit, and portfolio drift on the status scale."""
    th = audit.profile.drift
    t = audit.table.sort_values("drift")
    d = t["drift"].to_numpy() * 100
    fig, (ax, gx) = plt.subplots(1, 2, figsize=(10, max(3.2, 0.24 * len(t) + 1.2)),
                                 gridspec_kw={"width_ratios": [3, 1.25]})
    colors = [_OVER if v > 0 else _UNDER for v in d]
    ax.barh(np.arange(len(t)), d, color=colors, height=0.7)
    ax.set_yticks(np.arange(len(t)), t.index)
    lim = th.single_asset_urgent * 100
    span = max(lim * 1.25, float(np.abs(d).max(initial=0)) * 1.1)
    ax.axvspan(lim, span, color=_OVER, alpha=0.07)
    ax.axvspan(-span, -lim, color=_OVER, alpha=0.07)
    for x in (-lim, lim):
        ax.axvline(x, color="#555", ls="--", lw=1)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-span, span)
    ax.set_xlabel("drift = actual − target (percentage points of portfolio)")
    ax.set_title(f"Per-asset drift (dashed: ±{lim:.1f} pt urgent limit)", fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3)

    pdv = audit.result.portfolio_drift * 100
    top = max(th.urgent * 100 * 1.5, pdv * 1.15)
    zones = [(0, th.rebalance * 100, STATUS_COLORS["MAINTAIN"], "MAINTAIN"),
             (th.rebalance * 100, th.urgent * 100, STATUS_COLORS["REBALANCE"], "REBALANCE"),
             (th.urgent * 100, top, STATUS_COLORS["URGENT"], "URGENT")]
    for lo, hi, c, label in zones:
        gx.axhspan(lo, hi, color=c, alpha=0.18)
        gx.text(0.97, (lo + hi) / 2, label, ha="right", va="center", fontsize=8, color=c,
                transform=gx.get_yaxis_transform())
    gx.bar([0], [pdv], width=0.45, color=STATUS_COLORS[audit.result.status.value])
    gx.text(0, pdv, f"{pdv:.1f}%", ha="center", va="bottom", fontsize=10, fontweight="bold")
    gx.set_xlim(-0.5, 0.9)
    gx.set_ylim(0, top)
    gx.set_xticks([])
    gx.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    gx.set_ylabel("portfolio drift (½ Σ|drift|)")
    gx.set_title(f"Status: {audit.result.status.value}", fontsize=11, loc="left",
                 color=STATUS_COLORS[audit.result.status.value])
    fig.tight_layout()
    return fig


def weights_comparison(audit) -> Figure:
    """Actual vs target weight per asset (grouped horizontal bars)."""
    t = audit.table.sort_values("target")
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.26 * len(t) + 1.0)))
    ax.barh(y - 0.19, t["target"] * 100, height=0.38, color="#90a4ae", label="target")
    ax.barh(y + 0.19, t["actual"] * 100, height=0.38, color="#263238", label="actual")
    ax.set_yticks(y, t.index)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("weight (% of portfolio value)")
    ax.set_title("Actual vs target weights", fontsize=11, loc="left")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def drift_path_plot(audit) -> Figure:
    """Portfolio drift of the implemented holdings since implementation, with the status thresholds."""
    th = audit.profile.drift
    p = audit.path * 100
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.plot(p.index, p.to_numpy(), color="#263238", lw=1.6, label="price drift since implementation")
    ax.axhline(th.rebalance * 100, color=STATUS_COLORS["REBALANCE"], ls="--", lw=1, label=f"rebalance {th.rebalance:.0%}")
    ax.axhline(th.urgent * 100, color=STATUS_COLORS["URGENT"], ls="--", lw=1, label=f"urgent {th.urgent:.0%}")
    ax.scatter([p.index[-1]], [audit.result.portfolio_drift * 100], color=STATUS_COLORS[audit.result.status.value],
               zorder=5, label="drift vs today's target")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylabel("portfolio drift")
    ax.set_ylim(0, max(th.urgent * 100 * 1.2, float(p.max()) * 1.1, audit.result.portfolio_drift * 110))
    ax.set_title(f"Drift since implementation on {audit.lis.as_of}", fontsize=11, loc="left")
    ax.legend(loc="upper left", frameon=False, fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def beta_scatter(sens) -> Figure:
    """Daily profile returns against benchmark returns with the OLS line."""
    b, p = sens.benchmark_returns * 100, sens.portfolio_returns * 100
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    ax.scatter(b, p, s=8, alpha=0.45, color="#455a64", label="daily returns")
    xs = np.linspace(float(b.min()), float(b.max()), 50)
    r = sens.beta
    ax.plot(xs, r.alpha_daily * 100 + r.beta * xs, color="#c62828", lw=2,
            label=f"OLS: β = {r.beta:.2f} ± {1.96 * r.beta_se:.2f}, R² = {r.r_squared:.2f}")
    ax.plot(xs, xs, color="#90a4ae", ls="--", lw=1, label="β = 1")
    ax.set_xlabel(f"{sens.profile.benchmark} daily return (%)")
    ax.set_ylabel(f"{sens.profile.name} daily return (%)")
    ax.set_title(f"Profile vs benchmark, {r.start} .. {r.end}", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def rolling_beta_plot(sens) -> Figure:
    """Rolling beta with the full-window beta and, for defensive profiles, the limit."""
    spec = sens.profile.sensitivity
    fig, ax = plt.subplots(figsize=(10, 3.3))
    ax.plot(sens.rolling.index, sens.rolling.to_numpy(), color="#263238", lw=1.5,
            label=f"rolling {spec.rolling_days}-session beta")
    ax.axhline(sens.beta.beta, color="#1565c0", ls=":", lw=1.2, label=f"full window {sens.beta.beta:.2f}")
    if spec.defensive:
        ax.axhline(spec.beta_limit, color="#c62828", ls="--", lw=1.2, label=f"defensive limit {spec.beta_limit:.2f}")
    ax.set_ylabel("beta to benchmark")
    ax.set_title("Rolling beta", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left", ncol=3)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def factor_map_plot(fm, leads=None, *, title: str = "Factor map: cluster centroids (metric MDS)") -> Figure:
    """Clusters as points (size by members), labelled by lead asset and dominant sector."""
    fig, ax = plt.subplots(figsize=(8, 6))
    xy = fm.coords
    sizes = fm.members["size"].reindex(xy.index)
    colors = ["#c62828" if c in fm.isolated else "#1565c0" for c in xy.index]
    ax.scatter(xy["x"], xy["y"], s=250 * sizes, c=colors, alpha=0.35, edgecolors="#263238")
    for c, row in xy.iterrows():
        lead = f"lead {leads[c]}" if leads is not None and c in leads.index else ""
        sector = fm.members.loc[c, "dominant_sector"]
        label = f"C{c} ({fm.members.loc[c, 'size']}): {lead}\n{sector}".strip()
        ax.annotate(label, (row["x"], row["y"]), ha="center", va="center", fontsize=8)
    pad = 0.15 * max(float(np.ptp(xy["x"].to_numpy())), float(np.ptp(xy["y"].to_numpy())), 0.1)
    ax.set_xlim(xy["x"].min() - pad, xy["x"].max() + pad)
    ax.set_ylim(xy["y"].min() - pad, xy["y"].max() + pad)
    ax.set_xlabel("MDS dimension 1 (correlation distance)")
    ax.set_ylabel("MDS dimension 2")
    ax.set_title(f"{title}\nKruskal stress-1 {fm.stress:.3f}; red = isolated diversifiers", loc="left", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def dendrogram_plot(fm) -> Figure:
    """Dendrogram of the assets on correlation distance, coloured at the cut."""
    from scipy.cluster.hierarchy import dendrogram

    fig, ax = plt.subplots(figsize=(10, 3.8))
    k = int(fm.labels.max())
    link = fm.linkage
    cut = float(link[-(k - 1), 2]) if k > 1 else None
    dendrogram(link, labels=list(fm.labels.index), ax=ax, color_threshold=cut, leaf_font_size=9)
    if cut is not None:
        ax.axhline(cut, color="#c62828", ls="--", lw=1, label=f"cut into {k} clusters")
        ax.legend(frameon=False, fontsize=8)
    ax.set_ylabel("correlation distance √((1 − ρ)/2)")
    ax.set_title("Hierarchical clustering of the universe", loc="left")
    fig.tight_layout()
    return fig


def sector_caps_plot(res) -> Figure:
    """Risk4 sector weights (of the invested part) against their caps and the universe's sector shares."""
    t = res.sectors.sort_values("weight_of_invested")
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(10, max(2.8, 0.4 * len(t) + 1.0)))
    ax.barh(y, t["weight_of_invested"] * 100, height=0.6, color="#263238", label="portfolio (of invested)")
    ax.scatter(t["universe_share"] * 100, y, marker="|", s=260, color="#1565c0", zorder=4, label="universe share")
    ax.scatter(t["cap"] * 100, y, marker="|", s=260, color="#c62828", zorder=4,
               label=f"cap = {res.profile.risk4.sector_multiple:g} × universe share")
    ax.set_yticks(y, t.index)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("weight (% of the invested portfolio)")
    ax.set_title("Sector weights vs caps", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def weights_vs_prior_plot(res) -> Figure:
    """Risk4 target weight vs prior weight per name (after whole-share rounding), largest first."""
    p = res.positions.sort_values(["weight_after", "prior_weight"])
    y = np.arange(len(p))
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.26 * len(p) + 1.0)))
    ax.barh(y - 0.19, p["prior_weight"] * 100, height=0.38, color="#90a4ae", label=f"prior ({res.prior.source})")
    ax.barh(y + 0.19, p["weight_after"] * 100, height=0.38, color="#263238", label="new target (whole shares)")
    ax.axvline(res.profile.risk4.max_position * 100, color="#c62828", ls="--", lw=1,
               label=f"position cap {res.profile.risk4.max_position:.0%}")
    ax.set_yticks(y, p.index)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("weight (% of portfolio value)")
    ax.set_title(f"Weights: prior vs new (turnover {res.turnover:.1%})", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def alpha_vol_plot(res) -> Figure:
    """The universe in (vol_blend, alpha z): picked names highlighted, point size = weight."""
    u = res.universe
    picked = res.picks.set_index("ticker")["weight"]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    out = u[~u.index.isin(picked.index)]
    ax.scatter(out["vol_blend"] * 100, out["alpha_z"], s=22, color="#b0bec5", label="not held")
    inn = u[u.index.isin(picked.index)]
    ax.scatter(inn["vol_blend"] * 100, inn["alpha_z"], s=40 + 1500 * picked.reindex(inn.index).to_numpy(),
               color="#1565c0", alpha=0.75, label="held (size = weight)")
    if len(u) <= 60:
        for t, r in u.iterrows():
            ax.annotate(t, (r["vol_blend"] * 100, r["alpha_z"]), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("vol_blend: mean of 20- and 60-session realized vol (% a year)")
    ax.set_ylabel("alpha z-score (clipped)")
    ax.set_title(f"Universe on {res.feature_date}: alpha vs volatility", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# -- rebalance proposal ---------------------------------------------------------------------------

def allocation_plot(p) -> Figure:
    """Current, target and proposed weight per asset (and cash), percent of portfolio value."""
    ch = p.changes(held_only=True)
    y = np.arange(len(ch))
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.32 * len(ch) + 1.2)))
    for k, (col, color) in enumerate((("current", "#90a4ae"), ("target", "#1565c0"), ("proposed", "#263238"))):
        ax.barh(y + (k - 1) * 0.26, ch[col] * 100, height=0.26, color=color, label=col)
    lim = p.profile.proposal.limits.max_single * 100
    ax.axvline(lim, color="#c62828", ls="--", lw=1, label=f"single-asset limit {lim:.0f}%")
    ax.set_yticks(y, ch.index)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("weight (% of portfolio value)")
    ax.set_title("Current vs target vs proposed allocation", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def correlation_heatmap(p) -> Figure:
    """Correlation of the sleeves over the mode's window, clusters outlined in red."""
    import seaborn as sns

    corr = p.allocation.correlation
    fig, ax = plt.subplots(figsize=(min(10, 1.6 + 0.5 * len(corr)), min(8.5, 1.2 + 0.45 * len(corr))))
    order = [a for c in p.allocation.clusters for a in c]
    order += [a for a in corr.index if a not in order]
    c = corr.loc[order, order]
    sns.heatmap(c, vmin=-1, vmax=1, cmap="RdBu_r", annot=len(c) <= 12, fmt=".2f", annot_kws={"fontsize": 7},
                square=True, cbar_kws={"label": "correlation of daily returns", "shrink": 0.7}, ax=ax)
    start = 0
    for cl in p.allocation.clusters:
        ax.add_patch(plt.Rectangle((start, start), len(cl), len(cl), fill=False, ec="#c62828", lw=2.2))
        start += len(cl)
    lim = p.profile.proposal.limits
    ax.set_title(f"Correlations over {p.profile.proposal.correlation_days} sessions "
                 f"(red boxes: clusters, every pair > {lim.high_corr:.2f})", loc="left")
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.tight_layout()
    return fig


def simulation_plot(p) -> Figure:
    """Growth of $1: baseline, projected in-sample and out-of-sample, net of costs."""
    s = p.simulation
    fig, ax = plt.subplots(figsize=(10, 3.8))
    styles = {"baseline": ("#90a4ae", "-", "baseline: current allocation held"),
              "in_sample": ("#1565c0", "--", "projected, in-sample (look-ahead)"),
              "out_of_sample": ("#263238", "-", "projected, out-of-sample (walk-forward)")}
    for col in s.paths.columns:
        color, ls, label = styles[col]
        ax.plot(s.paths.index, s.paths[col], color=color, ls=ls, lw=1.6, label=label)
    for r in s.refits[1:]:
        ax.axvline(np.datetime64(r["date"]), color="#bdbdbd", lw=0.6, ls=":")
    ax.set_ylabel("value of $1 (net of costs)")
    ax.set_title(f"Impact simulation, {s.start} to {s.end} (dotted: walk-forward refits)", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def frontier_plot(fr, pts, *, title: str = "Efficient frontier (long-only, annual estimates)") -> Figure:
    """Frontier line, assets as grey points, current / target / proposed portfolios marked."""
    fig, ax = plt.subplots(figsize=(10, 4.4))
    fr = fr.round(10).drop_duplicates()
    if len(fr) > 1:
        ax.plot(fr["vol"] * 100, fr["ret"] * 100, color="#263238", lw=2, marker=".", label="efficient frontier")
    else:  # one asset has both the lowest risk and the highest return: the frontier is that one point
        ax.scatter(fr["vol"] * 100, fr["ret"] * 100, s=90, color="#263238", marker="s",
                   label="efficient frontier (a single portfolio)")
    a = pts[pts["kind"] == "asset"]
    ax.scatter(a["vol"] * 100, a["ret"] * 100, s=18, color="#b0bec5", label="assets")
    if len(a) <= 30:
        for r in a.itertuples():
            ax.annotate(r.name, (r.vol * 100, r.ret * 100), fontsize=6.5, color="#78909c", xytext=(3, 2),
                        textcoords="offset points")
    marks = {"current": ("o", "#90a4ae"), "target": ("*", "#1565c0"), "proposed": ("D", "#c62828")}
    for r in pts[pts["kind"] == "portfolio"].itertuples():
        m, c = marks[r.name]
        ax.scatter([r.vol * 100], [r.ret * 100], marker=m, s=150 if m == "*" else 70, color=c, zorder=5,
                   edgecolor="white", label=r.name)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("volatility (% a year)")
    ax.set_ylabel("expected return (% a year, EW mean)")
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# -- rule lab -------------------------------------------------------------------------------------

#: one colour per rule family (the part of the spec before the colon)
FAMILY_COLORS = {"calendar": "#546e7a", "threshold": "#1565c0", "hybrid": "#6a1b9a", "bands": "#00838f",
                 "highvol": "#ad1457", "costbenefit": "#ef6c00", "dynamic": "#2e7d32", "delay": "#9e9d24",
                 "partial": "#5d4037", "tax": "#c62828"}


def _family(spec: str) -> str:
    return spec.split(":")[0]


def lab_frontier_plot(summary, cost_bps: float, *, title: str = "Tracking error vs cost of every rule") -> Figure:
    """TE (x) vs transaction cost per year (y) of each rule at one cost level; the rules no other
    beats on both are joined (the frontier) and named."""
    from rebal.lab.study import frontier_mask

    s = summary[np.isclose(summary["cost_bps"], cost_bps)]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for fam, grp in s.groupby(s["rule"].map(_family), sort=False):
        ax.scatter(grp["tracking_error"] * 100, grp["cost_per_year"] * 100, s=32, color=FAMILY_COLORS.get(fam, "#9e9e9e"),
                   label=fam, alpha=0.9, edgecolor="white", lw=0.5, zorder=3)
    m = frontier_mask(s["tracking_error"], s["cost_per_year"])
    fr = s[m].sort_values("tracking_error")
    ax.plot(fr["tracking_error"] * 100, fr["cost_per_year"] * 100, color="#263238", lw=1, ls="--", label="frontier")
    for i, r in enumerate(fr.itertuples()):
        ax.annotate(r.rule, (r.tracking_error * 100, r.cost_per_year * 100), fontsize=7, color="#37474f",
                    xytext=(5, 6 if i % 2 == 0 else -10), textcoords="offset points")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=2))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=3))
    ax.set_xlabel("tracking error vs target (annualised)")
    ax.set_ylabel("transaction costs (% of value per year)")
    ax.set_title(f"{title} at {cost_bps:g} bps (named: the frontier)", loc="left")
    ax.legend(frameon=False, fontsize=7.5, ncol=2, loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def lab_turnover_plot(summary, cost_bps: float) -> Figure:
    """One-way turnover per year of each rule at one cost level, coloured by family."""
    s = summary[np.isclose(summary["cost_bps"], cost_bps)].sort_values("turnover_per_year")
    fig, ax = plt.subplots(figsize=(10, max(2.6, 0.24 * len(s) + 0.9)))
    ax.barh(s["rule"], s["turnover_per_year"] * 100, color=[FAMILY_COLORS.get(_family(r), "#9e9e9e") for r in s["rule"]])
    for y, (v, n) in enumerate(zip(s["turnover_per_year"], s["rebalances"])):
        ax.text(v * 100, y, f"  {v:.1%} ({int(n)} trades)", va="center", fontsize=7, color="#37474f")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("one-way turnover (% of value per year)")
    ax.set_title(f"Turnover by rule at {cost_bps:g} bps (number of trading days in brackets)", loc="left")
    ax.set_xlim(0, s["turnover_per_year"].max() * 135 if len(s) else 1)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def lab_heatmaps(summary, thresholds) -> Figure:
    """Thresholds x cost levels: tracking error and costs per year."""
    import seaborn as sns

    from rebal.lab.rules import parse_rule

    specs = [parse_rule(f"threshold:{t:g}").spec for t in thresholds]
    s = summary[summary["rule"].isin(specs)]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.0))
    for ax, (col, title, fmt) in zip(axes, (("tracking_error", "Tracking error (annualised)", ".2%"),
                                           ("cost_per_year", "Costs (% of value per year)", ".3%"))):
        piv = s.pivot_table(index="rule", columns="cost_bps", values=col).reindex(specs)
        sns.heatmap(piv, annot=True, fmt=fmt, cmap="Blues", cbar=False, ax=ax, annot_kws={"fontsize": 8})
        ax.set_title(title, loc="left")
        ax.set_xlabel("cost level (bps)")
        ax.set_ylabel("drift threshold")
    fig.tight_layout()
    return fig


def lab_regime_heatmap(regimes, thresholds, cost_bps: float) -> Figure:
    """Thresholds x VIX regime: tracking error and costs per year of that regime's days."""
    import seaborn as sns

    from rebal.lab.rules import parse_rule

    specs = [parse_rule(f"threshold:{t:g}").spec for t in thresholds] + ["calendar:monthly", "calendar:quarterly",
                                                                            "hybrid:monthly,0.1"]
    r = regimes[regimes["rule"].isin(specs) & np.isclose(regimes["cost_bps"], cost_bps)]
    order = [x for x in ("normal", "elevated", "stress") if x in set(r["regime"])]
    days = r.drop_duplicates("regime").set_index("regime")["days"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for ax, (col, title, fmt) in zip(axes, (("tracking_error", "Tracking error by regime", ".2%"),
                                           ("cost_per_year", "Costs per year by regime", ".3%"))):
        piv = r.pivot_table(index="rule", columns="regime", values=col).reindex(index=[s for s in specs if s in set(r["rule"])],
                                                                               columns=order)
        piv.columns = [f"{c}\n({int(days[c])} days)" for c in piv.columns]
        sns.heatmap(piv, annot=True, fmt=fmt, cmap="Oranges", cbar=False, ax=ax, annot_kws={"fontsize": 8})
        ax.set_title(f"{title} at {cost_bps:g} bps", loc="left")
        ax.set_xlabel("regime (VIX < 20, 20-30, >= 30)")
        ax.set_ylabel("")
    fig.tight_layout()
    return fig


def lab_paths_plot(result, cost_bps: float, rules=("calendar:quarterly", "threshold:0.05", "partial:edge,0.05",
                                                     "tax:hifo,0.05")) -> Figure:
    """Value relative to the target path (top) and portfolio drift (bottom) of a few rules at one cost level."""
    labels = [f"{r} @ {cost_bps:g} bps" for r in rules]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 5.6), sharex=True)
    cols = [result.labels.index(x) for x in labels if x in result.labels]
    for k in cols:
        color = FAMILY_COLORS.get(_family(result.specs[k]), "#9e9e9e")
        ls = "-" if _family(result.specs[k]) != "partial" else "--"
        a1.plot(result.index, (result.values[:, k] / result.target_values - 1) * 100, lw=1.1, color=color, ls=ls,
                label=result.labels[k])
        a2.plot(result.index, result.drift[:, k] * 100, lw=0.8, color=color, ls=ls)
    a1.axhline(0, color="#263238", lw=0.6)
    a1.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    a1.set_ylabel("value vs target path")
    a1.set_title("Cumulative difference to the target (daily rebalanced, cost-free) and portfolio drift", loc="left")
    a1.legend(frameon=False, fontsize=7.5, ncol=2, loc="upper left")
    a2.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    a2.set_ylabel("portfolio drift ½Σ|w − w*|")
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def lab_regime_plot(inputs) -> Figure:
    """The regime series of a lab run: real VIX where available, the labelled realised-volatility proxy elsewhere."""
    index, vix, source = inputs.vix.index, inputs.vix.to_numpy(), inputs.vix_source.to_numpy()
    stress, elevated = inputs.market.settings.stress_vix, inputs.market.settings.elevated_vix
    fig, ax = plt.subplots(figsize=(10, 2.6))
    real = np.where(source == "VIX", vix, np.nan)
    proxy = np.where(source != "VIX", vix, np.nan)
    ax.plot(index, real, color="#263238", lw=0.8, label="VIX close")
    ax.plot(index, proxy, color="#8e24aa", lw=0.8, label="proxy: 21-day realised vol of the benchmark (not VIX)")
    for lvl, c in ((elevated, "#ef6c00"), (stress, "#c62828")):
        ax.axhline(lvl, color=c, lw=0.7, ls="--")
    ax.set_ylabel("VIX points")
    ax.set_title(f"Volatility regime (dashed: {elevated:g} elevated, {stress:g} stress)", loc="left")
    ax.legend(frameon=False, fontsize=7.5, loc="upper left")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
