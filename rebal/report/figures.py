"""Figure helpers shared by the report pages: print sizes, legends off the data, tick labels, non-colliding labels.

Reports are read printed: a figure's PNG is shown ``figwidth * 72`` px wide and scaled down to the A4 text
width (about 180 mm), so a 10-inch figure prints at 0.72 of its size and a 9-point label becomes 6.5 points.
The sizes here keep every label of a 10-inch figure at 7 points or more on paper.

- :data:`LEGEND_SIZE`, :data:`LABEL_SIZE`, :data:`CELL_SIZE`: font sizes (points at figure scale);
- :func:`legend_below`: the legend under the plot, where it cannot hide data or labels;
- :func:`percent_axis` / :func:`number_axis`: ticks on round steps (never 2.5 shown as "2%"), signs where the
  quantity is signed;
- :func:`date_axis`: concise date ticks that do not overlap;
- :func:`place_labels`: point labels that do not collide with each other or with the markers.

Matplotlib is imported inside the functions: the report registry reads the page modules cheaply.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

__all__ = ["LEGEND_SIZE", "LABEL_SIZE", "CELL_SIZE", "legend_below", "percent_axis", "number_axis", "date_axis",
           "place_labels"]

#: legend text (10 pt at figure scale: 7.2 pt printed from a 10-inch figure)
LEGEND_SIZE = 10.0
#: labels written on the plot (point names, bar values)
LABEL_SIZE = 10.0
#: numbers in heatmap cells
CELL_SIZE = 10.5
_MINUS = "\N{MINUS SIGN}"


def legend_below(fig: Figure, axes: Axes | Sequence[Axes] | None = None, *, ncol: int | None = None,
                 **kw: Any) -> Legend | None:
    """Put one legend for ``axes`` (default: every axes of ``fig``) under the plot, outside the data.

    The figure must use the constrained layout (``plt.subplots(..., layout="constrained")``), which makes
    room for it. Returns None when nothing is labelled.
    """
    if axes is None:
        axes = fig.axes
    elif not isinstance(axes, (list, tuple)):
        axes = [axes]
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if not labels:
        return None
    ncol = ncol or min(len(labels), 3)
    return fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False,
                      fontsize=kw.pop("fontsize", LEGEND_SIZE), **kw)


def _tick_formatter(*, signed: bool, suffix: str, decimals: int | None, prefix: str = ""):
    from matplotlib.ticker import Formatter

    class _Ticks(Formatter):
        _ticks: list[float] = []

        def set_locs(self, locs: Sequence[float]) -> None:
            self._ticks = sorted(float(x) for x in locs)

        def __call__(self, x: float, pos: int | None = None) -> str:
            d = decimals
            if d is None:
                steps = [b - a for a, b in zip(self._ticks, self._ticks[1:], strict=False) if b > a]
                step = min(steps) if steps else 1.0
                d = max(0, -math.floor(math.log10(step) + 1e-9))
            if abs(x) < 0.5 * 10 ** -d:
                return f"{prefix}0{suffix}"
            text = f"{x:+.{d}f}" if signed else f"{x:.{d}f}"
            sign = text[0] if text[0] in "+-" else ""
            return sign.replace("-", _MINUS) + prefix + text[len(sign):] + suffix

    return _Ticks()


def _round_steps(axis: Axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10], min_n_ticks=4))


def percent_axis(axis: Axis, *, signed: bool = False, decimals: int | None = None) -> None:
    """Ticks of an axis whose data are in percent (already × 100): round steps, ``%`` on every label.

    ``signed`` writes ``+5%`` / ``−5%`` (for returns, drift, changes); ``decimals`` fixes the decimals,
    else they follow the tick step (so a 2.5 step is written 2.5%, not rounded to 2% or 3%).
    """
    _round_steps(axis)
    axis.set_major_formatter(_tick_formatter(signed=signed, suffix="%", decimals=decimals))


def number_axis(axis: Axis, *, signed: bool = False, decimals: int | None = None, prefix: str = "",
                suffix: str = "") -> None:
    """Ticks of a plain number axis on round steps; ``signed`` writes ``+2`` / ``−2``; ``prefix``: e.g. ``$``."""
    _round_steps(axis)
    axis.set_major_formatter(_tick_formatter(signed=signed, suffix=suffix, decimals=decimals, prefix=prefix))


def date_axis(ax: Axes) -> None:
    """Concise date ticks on the x axis (year shown once, no slanted labels that collide)."""
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=9)
    fmt = mdates.ConciseDateFormatter(loc, show_offset=False)
    # ticks in days: the first of a month reads "Oct 2022"; ticks in months: January reads its year
    fmt.zero_formats = ["", "%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M"]
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(fmt)


def place_labels(ax: Axes, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], *,
                 radii: Sequence[float] | None = None, avoid: tuple[Sequence[float], Sequence[float]] | None = None,
                 fontsize: float = LABEL_SIZE, color: str = "#37474f", gap: float = 4.0, **kw: Any) -> list:
    """Write ``texts`` next to the points ``(xs, ys)`` (data units) so that no two labels overlap.

    Each label goes to the right of its point (to the left near the right edge), just outside the
    marker (``radii``: marker radius in points, default 3); when that place is taken by another label
    or marker (``avoid``: more points, ``(xs, ys)``, that labels must not cover) it moves up or down in
    steps of a line, joined to its point by a thin leader line. Call it last, after the legend and the
    axis limits. Label sizes are estimated from the font size (no renderer needed); the estimate errs wide.
    """
    fig = ax.figure
    fig.canvas.draw()  # final layout and limits, so that data -> display is the one printed
    to_pt = 72.0 / fig.dpi
    pts = [(float(a) * to_pt, float(b) * to_pt) for a, b in
           (ax.transData.transform((x, y)) for x, y in zip(xs, ys, strict=True))]
    radii = list(radii) if radii is not None else [3.0] * len(pts)
    box = ax.get_window_extent()
    right = box.x1 * to_pt
    h = fontsize * 1.25
    taken = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(pts, radii, strict=True)]
    if avoid is not None:
        for a, b in (ax.transData.transform((x, y)) for x, y in zip(*avoid, strict=True)):
            taken.append((a * to_pt - 3, b * to_pt - 3, a * to_pt + 3, b * to_pt + 3))

    def free(b: tuple[float, float, float, float], own: int) -> bool:
        for k, t in enumerate(taken):
            if k == own:
                continue
            if b[0] < t[2] and t[0] < b[2] and b[1] < t[3] and t[1] < b[3]:
                return False
        return True

    out = []
    order = sorted(range(len(pts)), key=lambda i: -pts[i][1])
    for i in order:
        (x, y), r, text = pts[i], radii[i], str(texts[i])
        lines = text.split("\n")
        w = 0.62 * fontsize * max(len(s) for s in lines)
        hh = h * len(lines)
        left = x + r + gap + w > right
        x0 = x - r - gap - w if left else x + r + gap
        chosen = None
        for k in range(0, 12):
            for dy in ((0.0,) if k == 0 else (k * h * 0.8, -k * h * 0.8)):
                b = (x0, y + dy - hh / 2, x0 + w, y + dy + hh / 2)
                if free(b, i):
                    chosen = dy
                    break
            if chosen is not None:
                break
        dy = chosen if chosen is not None else 0.0
        taken.append((x0, y + dy - hh / 2, x0 + w, y + dy + hh / 2))
        dx = -(r + gap) if left else r + gap
        arrow = {"arrowstyle": "-", "lw": 0.7, "color": "#78909c", "shrinkA": 0, "shrinkB": r} if abs(dy) > 1 else None
        ann = ax.annotate(text, (xs[i], ys[i]), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                          color=color, ha="right" if left else "left", va="center", arrowprops=arrow, **kw)
        ann.set_in_layout(False)
        out.append(ann)
    return out
