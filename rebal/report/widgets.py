"""Generic helpers for template notebooks: start-up, tables, cards, notes, figures and scraps.

Templates stay thin: they call :func:`start`, compute with the package, show results with these
helpers and their report's page module (:mod:`rebal.report.pages`), and record their scraps with
:func:`glue`. Nothing here computes a metric. Report-specific cards, tables and figures live in
the report's page module.
"""
from __future__ import annotations

import base64
import html
import io
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from rebal.data.lakehouse import Lakehouse
from rebal.monitor.state import StateStore
from rebal.paths import Paths, get_paths
from rebal.provenance import provenance
from rebal.report.style import STATUS_COLORS, setup_theme

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.report.registry import ReportSpec

__all__ = ["ReportRun", "setup", "check_parameters", "start", "show", "html_block", "badge", "note", "signed_pct",
           "table", "card", "provenance_table", "yes_no", "glue", "inline_styles", "checks"]


@dataclass(frozen=True)
class ReportRun:
    """What a template notebook runs against."""

    paths: Paths
    profile: Profile
    lakehouse: Lakehouse
    as_of: date
    data_latest: date
    started: datetime
    requested_as_of: str

    @property
    def states(self) -> StateStore:
        """Accepted portfolio states (Last Implemented State history)."""
        return StateStore(self.paths.states_dir)

    def provenance(self) -> dict[str, str]:
        """Provenance facts for the end of the report."""
        return provenance(as_of=self.as_of, profile_source=self.profile.source,
                          profile_sha256=self.profile.sha256, snapshot=self.lakehouse.snapshot(),
                          home=self.paths.home, started=self.started)


def setup() -> None:
    """Quiet, consistent output: no warnings in reports, readable tables and figures."""
    warnings.filterwarnings("ignore")
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.width", 120)
    setup_theme()


def check_parameters(profile: Any, as_of: Any, home: Any) -> date | None:
    """Check the values of a template's parameters cell (what papermill ``-p`` injected); return the as-of date.

    ``profile`` a non-empty string, ``as_of`` ``""`` or a ``YYYY-MM-DD`` string (``-p as_of 20220630``
    arrives as an integer: refused, not read as a date), ``home`` a string. Raises
    :class:`~rebal.errors.ParameterError` (a ``ConfigError`` whose notebook output is its one line, no
    traceback) naming the parameter, the value and its type.
    """
    from rebal.config.loader import shorten
    from rebal.errors import ParameterError

    def bad(name: str, value: Any, need: str) -> ParameterError:
        return ParameterError(f"notebook parameter `{name}`: expected {need}, found {shorten(value)} "
                              f"({type(value).__name__})")

    if not isinstance(profile, str) or not profile:
        raise bad("profile", profile, "a profile name (a non-empty string)")
    if not isinstance(home, str):
        raise bad("home", home, "a directory (a string; \"\" for the default)")
    if isinstance(as_of, date) and not isinstance(as_of, datetime):
        return as_of
    if not isinstance(as_of, str):
        text = str(as_of)
        hint = f"; write -p as_of {text[:4]}-{text[4:6]}-{text[6:]}" if isinstance(as_of, int) and len(text) == 8 \
            else ""
        raise ParameterError(f"notebook parameter `as_of`: expected a YYYY-MM-DD string (\"\" for the latest "
                             f"data), found {shorten(as_of)} ({type(as_of).__name__}){hint}")
    if not as_of:
        return None
    try:
        return date.fromisoformat(as_of)
    except ValueError:
        raise bad("as_of", as_of, "a YYYY-MM-DD date that exists") from None


def start(profile: str, as_of: str = "", home: str = "") -> ReportRun:
    """Load the profile and open the lakehouse as of ``as_of`` (``""``: latest data).

    The parameters are checked first: names papermill injected that the template does not declare
    (:func:`rebal.report.parameters.check_injected_parameters`, "did you mean"), then the values
    (:func:`check_parameters`), and the date against the data
    (:func:`rebal.data.freshness.check_as_of`, the rule of ``rebal run``). Every read through
    ``run.lakehouse`` is limited to rows dated on or before the as-of date.
    """
    from rebal.config import load_profile
    from rebal.data.freshness import check_as_of
    from rebal.report.parameters import check_injected_parameters

    check_injected_parameters()  # papermill -p with a name the template does not declare
    when = check_parameters(profile, as_of, home)
    setup()
    started = datetime.now(timezone.utc)
    paths = get_paths(home or None)
    base = Lakehouse(paths.lakehouse)
    prof = load_profile(profile, paths.params_dir, known_tickers=base.known_tickers())
    latest = base.latest_date()
    when = check_as_of(base, when, max_stale_sessions=prof.data.max_stale_sessions)
    return ReportRun(paths, prof, base.at(when), when, latest, started, str(as_of or ""))


def show(fig: Any) -> None:
    """Display a matplotlib figure as an embedded PNG and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png", width=int(fig.get_figwidth() * 72)))


def html_block(markup: str) -> Any:
    """Raw HTML output (the caller escapes every value that comes from data)."""
    from IPython.display import HTML

    return HTML(markup)


def badge(status: str, color: str | None = None) -> str:
    """Coloured status badge (HTML); the colour defaults to the drift status colours."""
    color = color or STATUS_COLORS.get(status, "#455a64")
    return (f'<span style="background:{color};color:#fff;padding:2px 10px;border-radius:4px;'
            f'font-weight:700;letter-spacing:.04em">{html.escape(status)}</span>')


def note(text: str, kind: str = "info", *, lead: bool = False) -> Any:
    """Render a highlighted paragraph (``info``, ``warning`` or ``synthetic``); ``text`` is HTML.

    ``lead``: the note introduces the output that follows it (a chart, a table), so a printed page never
    ends with it.
    """
    colors = {"info": ("#e3f2fd", "#1565c0"), "warning": ("#fff3e0", "#ef6c00"), "synthetic": ("#f3e5f5", "#6a1b9a")}
    bg, fg = colors.get(kind, colors["info"])
    cls = "rebal-note rebal-lead" if lead else "rebal-note"
    return html_block(f'<div class="{cls}" style="background:{bg};border-left:4px solid {fg};'
                      f'padding:6px 12px;margin:6px 0">{text}</div>')


def signed_pct(x: float) -> str:
    """``+1.23%`` style, with rounding noise shown as ``0.00%`` rather than ``-0.00%``."""
    return "0.00%" if abs(x) < 5e-5 else f"{x:+.2%}"


def yes_no(flag: Any) -> str:
    """``yes`` / ``no`` for booleans in tables."""
    return "yes" if bool(flag) else "no"


def table(df: pd.DataFrame, formats: Mapping[str, Any] | str | None = None, *, caption: str = "",
          highlight: str | None = None, highlight_color: str = "#c62828", index: bool = True) -> Any:
    """Render a DataFrame as a clean HTML table.

    ``highlight`` names a boolean column whose true rows are shown bold in ``highlight_color``
    (red by default: a breach; pass another colour when the mark is not a warning). Every text
    value, index label and column name is HTML-escaped (text from data never becomes markup), and
    cell styles are written inline on the cells, so a table keeps its colours wherever its HTML
    is copied (the committee packet renames element ids).
    """
    show_df = df.drop(columns=[highlight]) if highlight else df
    if index and not show_df.index.is_unique:  # e.g. two lots of one name: Styler needs unique labels
        show_df, index = show_df.reset_index(), False
    esc = [None if n is None else html.escape(str(n)) for n in show_df.index.names]  # Styler leaves these raw
    show_df = show_df.rename_axis(index=esc if len(esc) > 1 else esc[0])
    # the index's name goes in the header's corner, not on a row of its own under the column headings
    corner = index and show_df.columns.nlevels == 1 and any(n is not None for n in esc)
    sty = show_df.style.format(formats or {}, na_rep="—", escape="html")
    sty = sty.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    text_cols = [c for c in show_df.columns if not pd.api.types.is_numeric_dtype(show_df[c])]
    if text_cols:
        sty = sty.set_properties(subset=text_cols, **{"text-align": "left"})
    if highlight:
        rows = [i for i, f in enumerate(df[highlight].to_numpy()) if f]

        def _mark(data: pd.DataFrame) -> pd.DataFrame:
            out = pd.DataFrame("", index=data.index, columns=data.columns)
            out.iloc[rows, :] = f"color:{highlight_color};font-weight:600"
            return out

        sty = sty.apply(_mark, axis=None)
    if not index:
        sty = sty.hide(axis="index")
    elif corner:
        sty = sty.hide(axis="index", names=True)
    if caption:
        sty = sty.set_caption(html.escape(caption))
    # a short table (and its caption) is never split across pages; a long one repeats its header
    keep = " keep" if len(show_df) <= KEEP_TOGETHER_ROWS else ""
    sty = sty.set_table_attributes(f'class="rebal-table{keep}"')
    markup = sty.to_html()
    return html_block(inline_styles(_corner_names(markup, esc) if corner else markup))


#: tables with at most this many rows are kept on one page (with their caption)
KEEP_TOGETHER_ROWS = 18
_BLANK_TH = re.compile(r'<th class="blank[^"]*" >&nbsp;</th>')


def _corner_names(markup: str, names: list[str | None]) -> str:
    """Write the index's names into the blank corner cells of the first header row of a Styler table."""
    head_end = markup.find("</tr>", markup.find("<thead>"))
    if head_end < 0:
        return markup
    first, rest = markup[:head_end], markup[head_end:]
    for level, name in enumerate(names):
        cell = f'<th class="index_name level{level}" >{name or ""}</th>'
        first = _BLANK_TH.sub(lambda _m, c=cell: c, first, count=1)
    return first + rest


_STYLE_BLOCK = re.compile(r'<style type="text/css">(.*?)</style>\s*', re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def inline_styles(markup: str) -> str:
    """Move a pandas Styler's id-selected CSS rules onto the elements' ``style`` attributes.

    Styler writes ``#T_x_row1_col0 { color: red; }`` in a ``<style>`` block and ids on the cells;
    once inline, the styling no longer depends on ids that another document may rename.
    """
    rules: dict[str, str] = {}
    for block in _STYLE_BLOCK.findall(markup):
        for selectors, body in _RULE.findall(block):
            decl = " ".join(d.strip() + ";" for d in body.split(";") if d.strip())
            for sel in selectors.split(","):
                sel = sel.strip()
                if sel.startswith("#") and re.fullmatch(r"#[\w-]+", sel):
                    rules[sel[1:]] = (rules.get(sel[1:], "") + " " + decl).strip()
    markup = _STYLE_BLOCK.sub("", markup)

    def _attach(m: re.Match) -> str:
        style = rules.get(m.group(1))
        return m.group(0) + (f' style="{html.escape(style)}"' if style else "")

    # the Styler's ids (one per cell) have done their work: dropped, they no longer become hundreds of named
    # destinations in every PDF
    return re.sub(r'\s*\bid="T_[\w-]+"', "", re.sub(r'\bid="([\w-]+)"', _attach, markup))


def checks(df: pd.DataFrame, formats: Mapping[str, Any] | str | None = None, *, failed: str = "failed",
           what: str = "checks") -> Any:
    """Show a table of checks as one line when every check passes, else the line and the failing rows only.

    ``failed`` names the boolean column marking a failing row (shown in red). A committee reads "28 checks
    passed" rather than 28 rows of PASS.
    """
    bad = df[df[failed].astype(bool)]
    n, k = len(df), len(bad)
    if k == 0:
        return note(f"All {n} {html.escape(what)} passed.")
    head = f"<p><b>{n - k} of {n} {html.escape(what)} passed; {k} failed:</b></p>"
    return html_block(head + table(bad, formats, highlight=failed).data)


def card(rows: list[tuple[str, str]]) -> Any:
    """Render a headline box: one row per (label, HTML value)."""
    body = "".join('<tr><th style="text-align:left;padding:3px 12px 3px 0;vertical-align:top;white-space:nowrap">'
                   f'{k}</th>'
                   f'<td style="text-align:left;padding:3px 0">{v}</td></tr>' for k, v in rows)
    return html_block(f'<div class="rebal-card" style="border:1px solid #cfd8dc;border-radius:6px;padding:10px 14px;'
                      f'margin:8px 0"><table style="border:none;width:100%">{body}</table></div>')


def provenance_table(facts: Mapping[str, str]) -> Any:
    """Show the provenance facts compactly: two facts per row (fact, value, fact, value), in small type."""
    e = html.escape
    items = [f"<th>{e(str(k))}</th><td>{e(str(v))}</td>" for k, v in facts.items()]
    rows = "".join(f"<tr>{''.join(items[i:i + 2])}</tr>" for i in range(0, len(items), 2))
    return html_block(f'<table class="rebal-provenance keep"><tbody>{rows}</tbody></table>')


#: the media type scrapbook reads a glued scrap from (``scrapbook.schemas.GLUE_PAYLOAD_FMT``)
SCRAP_MEDIA_TYPE = "application/scrapbook.scrap.{encoder}+json"


def scrap_payload(name: str, value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the display data and metadata ``scrapbook.glue(name, value)`` records, without importing scrapbook.

    Importing scrapbook imports papermill, nbformat and jsonschema (1-6 s in a notebook kernel) just to
    record a few values. The record is a display output of one media type per encoder, chosen as
    scrapbook chooses (its registry order): a string is ``text``; a list, dict, int, float or bool is
    ``json``; a DataFrame is ``pandas`` (Parquet written by pyarrow, base64). scrapbook reads them back
    (the runner and the packet use ``scrapbook`` to read). Anything else raises ``TypeError``.
    """
    if isinstance(value, str):
        encoder, data = "text", value
    elif isinstance(value, (list, dict, int, float, bool)):
        encoder, data = "json", value
    elif isinstance(value, pd.DataFrame):
        buf = io.BytesIO()
        value.to_parquet(buf, engine="pyarrow")
        encoder, data = "pandas", base64.b64encode(buf.getvalue()).decode()
    else:
        raise TypeError(f"scrap {name!r}: no scrapbook encoder for a {type(value).__name__}")
    payload = {"name": name, "data": data, "encoder": encoder, "version": 1}
    return {SCRAP_MEDIA_TYPE.format(encoder=encoder): payload}, {"scrapbook": {"name": name, "data": True,
                                                                               "display": False}}


def glue(spec: ReportSpec, scraps: Mapping[str, Any]) -> None:
    """Check ``scraps`` against the report's declared schema, then record each as scrapbook records it.

    A missing or mistyped scrap fails the notebook with an error naming the report and the key.
    The records are those of ``scrapbook.glue`` (:func:`scrap_payload`), made without its import.
    """
    from IPython.display import display

    from rebal.report.registry import check_scraps

    check_scraps(spec, scraps)
    for name, value in scraps.items():
        data, metadata = scrap_payload(name, value)
        display(data, metadata=metadata, raw=True)
