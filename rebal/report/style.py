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


#: seaborn 0.13's ``set_theme(style="whitegrid", context="notebook")`` as matplotlib settings (what it changes
#: from matplotlib's defaults), applied without importing seaborn: seaborn's import brings scipy.stats and
#: costs 1.4 s of a notebook's first cell. ``image.cmap`` (seaborn's "rocket", registered by its import) is
#: left out: no report figure uses the default colormap (heatmaps name theirs). A test checks this table
#: against seaborn itself.
SEABORN_WHITEGRID: dict[str, object] = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.grid": True, "axes.labelcolor": ".15",
    "axes.labelsize": 12.0, "axes.linewidth": 1.25, "axes.titlesize": 12.0,
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "font.size": 12.0, "grid.color": ".8", "grid.linewidth": 1.0, "legend.fontsize": 11.0,
    "legend.title_fontsize": 12.0, "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "text.color": ".15", "xtick.bottom": False, "xtick.color": ".15",
    "xtick.labelsize": 11.0, "xtick.major.size": 6.0, "xtick.major.width": 1.25, "xtick.minor.size": 4.0,
    "xtick.minor.width": 1.0, "ytick.color": ".15", "ytick.labelsize": 11.0, "ytick.left": False,
    "ytick.major.size": 6.0, "ytick.major.width": 1.25, "ytick.minor.size": 4.0, "ytick.minor.width": 1.0,
}
#: seaborn's "deep" palette (the colour cycle, and the colours of the codes b g r m y c; k is seaborn's dark grey)
DEEP = ((0.2980392156862745, 0.4470588235294118, 0.6901960784313725),
        (0.8666666666666667, 0.5176470588235295, 0.3215686274509804),
        (0.3333333333333333, 0.6588235294117647, 0.40784313725490196),
        (0.7686274509803922, 0.3058823529411765, 0.3215686274509804),
        (0.5058823529411764, 0.4470588235294118, 0.7019607843137254),
        (0.5764705882352941, 0.47058823529411764, 0.3764705882352941),
        (0.8549019607843137, 0.5450980392156862, 0.7647058823529411),
        (0.5490196078431373, 0.5490196078431373, 0.5490196078431373),
        (0.8, 0.7254901960784313, 0.4549019607843137),
        (0.39215686274509803, 0.7098039215686275, 0.803921568627451))
COLOR_CODES = {"b": DEEP[0], "g": DEEP[2], "r": DEEP[3], "m": DEEP[4], "y": DEEP[8], "c": DEEP[9], "k": (0.1, 0.1, 0.1)}


def setup_theme() -> None:
    """Seaborn's white grid (:data:`SEABORN_WHITEGRID`) and readable sizes for every report figure (idempotent)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(SEABORN_WHITEGRID)
    mpl.rcParams["axes.prop_cycle"] = cycler("color", list(DEEP))
    mpl.colors.get_named_colors_mapping().update(COLOR_CODES)
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
