"""Colours and the plotting theme shared by every report and the packet cover."""
from __future__ import annotations

__all__ = ["STATUS_COLORS", "VERDICT_COLORS", "CONFLICT_COLOR", "OVER", "UNDER", "NEUTRAL", "setup_theme", "pyplot"]

#: drift status badges and the zones of the drift scale
STATUS_COLORS = {"MAINTAIN": "#2e7d32", "REBALANCE": "#ef6c00", "URGENT": "#c62828"}
#: colours of the proposal's simulation verdicts (reports and the packet cover)
VERDICT_COLORS = {"IMPROVES": "#2e7d32", "WITHIN NOISE": "#1565c0", "WORSENS": "#ef6c00", "NOT SIMULATED": "#78909c"}
#: colour of a configuration conflict or a blocked proposal
CONFLICT_COLOR = "#c62828"
#: over- / under-weight and neutral marks in figures
OVER, UNDER, NEUTRAL = "#c62828", "#1565c0", "#9e9e9e"


def setup_theme() -> None:
    """Seaborn's white grid and readable sizes for every report figure (idempotent)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "font.size": 10,
                         "axes.titlesize": 11, "axes.titleweight": "bold"})


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend, imported on first use.

    Figures are encoded to PNG by :func:`rebal.report.widgets.show`, so no interactive backend is
    needed; importing pyplot only when a figure is drawn keeps the report registry (read when a
    profile is validated) free of matplotlib's import time.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt
