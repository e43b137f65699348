"""The rebalance proposal report's figures: allocations, correlations, the simulated paths, the frontier."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rebal.report.figures import CELL_SIZE, date_axis, legend_below, number_axis, percent_axis, place_labels
from rebal.report.style import pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["allocation_plot", "correlation_heatmap", "simulation_plot", "frontier_plot"]


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


def frontier_plot(fr, pts, *, title: str = "Efficient frontier (long-only, on trailing annual estimates)") -> Figure:
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
    ax.set_ylabel("trailing EW mean return (% a year; an estimate, not a forecast)")
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=5)
    if len(a) <= 30:
        place_labels(ax, list(a["vol"] * 100), list(a["ret"] * 100), list(a["name"]), color="#546e7a")
    return fig
