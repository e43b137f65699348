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
