"""The decision document's navigation and notes: contents, the index of the reports, the cover's caveats, the method.

- the **index of the reports**: one row per profile, one column per report, each cell a link to the
  report's first page in the appendix (or to its HTML file in the HTML packet);
- the **caveats** on the cover: every report's flags (the registry's ``flags``), by profile, each
  linked to its evidence;
- the **method appendix**: how the stress and VaR figures are defined, and the reports' notes on
  where they depart from their specifications (the registry's ``method_notes``), once per report.
"""
from __future__ import annotations

import html

from rebal.report.packet.decision import flags_of
from rebal.report.packet.entries import PacketEntry, profiles
from rebal.report.packet.refs import Refs
from rebal.report.registry import reports

__all__ = ["caveats_block", "reports_index", "method_appendix", "contents"]


def caveats_block(entries: list[PacketEntry], refs: Refs) -> str:
    """List the cover's caveats: each profile's flags, linked to the report they come from (HTML; "" when none)."""
    e = html.escape
    items = []
    for p in profiles(entries):
        flags = flags_of(entries, p)
        if flags:
            items.append(f"<li><b>{e(p)}</b>: " + "; ".join(f"{e(text)} ({refs.link(p, nb)})" for nb, text in flags)
                         + "</li>")
    if not items:
        return ""
    return ("<h3>Caveats the numbers carry</h3><ul class='caveats'>" + "".join(items) + "</ul>")


def reports_index(entries: list[PacketEntry], refs: Refs) -> str:
    """Tabulate the reports of the week as a grid: profiles x reports, each cell a link into the appendix (HTML)."""
    e = html.escape
    present = [s for s in reports() if any(x.notebook == s.name for x in entries)]
    head = "".join(f"<th>{e(s.title)}</th>" for s in present)
    rows = []
    for p in profiles(entries):
        cells = []
        for s in present:
            it = refs.item(p, s.name)
            failed = next((x for x in entries if x.profile == p and x.notebook == s.name and not x.ok), None)
            if it is not None:
                shared = " (shared)" if it.also and it.entry.profile != p else ""
                cells.append(f"<td>{refs.link(p, s.name, text='')}{shared}</td>")
            elif failed is not None:
                cells.append("<td class='failed'>failed</td>")
            else:
                cells.append("<td class='muted'>—</td>")
        rows.append(f"<tr><th>{e(p)}</th>{''.join(cells)}</tr>")
    keep = " keep" if len(rows) <= 18 else ""
    return (f"<table class='summary appendix-index{keep}'><colgroup><col style='width:16%'></colgroup>"
            f"<thead><tr><th>Profile</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def method_appendix(entries: list[PacketEntry], *, benchmark_note: str = "") -> str:
    """How the figures on the decision pages are defined, and the notes on the specifications, once (HTML)."""
    e = html.escape
    present = [s for s in reports() if any(x.notebook == s.name and x.ok for x in entries)]
    notes = "".join(f"<li><b>{e(s.title)}</b>: {e(n)}</li>" for s in present for n in s.method_notes)
    return ("<p>How the figures on the decision pages are made (the reports' own Method sections say more).</p><ul>"
            "<li><b>Stress episodes</b>: the standard windows run from the S&amp;P 500's closing peak to its closing "
            "trough (2007-2009: 2007-10-09 to 2009-03-09, a fall of 56.8 %), so the benchmark's own loss, shown "
            "beside the book's, is its whole fall; a window chosen by an event (post-Lehman) is marked as such. The "
            "book is held through the window without trading; its loss is the largest fall from a running peak. "
            "An asset without prices then is replayed through its beta to the benchmark: the episode is marked "
            "<b>proxied</b> with the share of value so replayed.</li>"
            "<li><b>Shocks</b>: every asset's and factor's volatility is the sample standard deviation of its daily "
            "returns over the risk window; the covariance estimate is used for the portfolio's risk only.</li>"
            "<li><b>VaR</b>: the 1-day historical VaR of the current book; its backtest on the profile's own "
            "holdings history is judged by Kupiec's test at 5 %: a rejected model says so on its figure, with the "
            "direction (too many exceptions: it understates the loss; too few: it overstates it) and the model the "
            "report would use instead, or why none passes.</li>"
            + (f"<li><b>Data</b>: {benchmark_note}</li>" if benchmark_note else "") + "</ul>"
            + ("<h2>Where the methods depart from their specifications</h2><p>Notes for the authors of the "
               f"specifications, each said once here rather than in every report.</p><ul>{notes}</ul>"
               if notes else ""))


def contents(items: list[tuple[str, str]]) -> str:
    """List the decision document's contents: (anchor, title) with their page numbers in print (HTML)."""
    e = html.escape
    lis = "".join(f"<li><a href='#{e(a)}'>{e(t)}</a></li>" for a, t in items)
    return f"<nav class='packet-toc'><ol>{lis}</ol></nav>"
