"""Write a week's packet: the decision document laid out once, then assembled with the reports' own PDFs.

The decision document cites appendix pages (``stress table → p. 38``), and those numbers depend on
its own length: it is laid out with a guess of that length and again only when the guess was wrong
(the second layout then uses the length found; the numbers sit in boxes of fixed width, so they
cannot change the length), so once or twice, and only this short document; the reports are never
laid out again (:mod:`rebal.report.packet.pdf`). The HTML packet is the same decision document with
links to the reports' HTML files.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rebal.fileio import atomic_write, atomic_write_text
from rebal.report.packet.assemble import decision_html
from rebal.report.packet.decision import quiet_profiles
from rebal.report.packet.entries import PacketEntry
from rebal.report.packet.pdf import assemble_pdf
from rebal.report.packet.refs import Refs, appendix_items

__all__ = ["PacketFiles", "write_packet", "PDF_NAME", "HTML_NAME"]

PDF_NAME, HTML_NAME = "committee_packet.pdf", "committee_packet.html"
#: the decision document's pages besides the profiles' own, as a first guess: the cover; the contents, what changed
#: and the rules; the quiet profiles, the sign-off and the method notes
_FIXED_PAGES = 5


@dataclass(frozen=True)
class PacketFiles:
    """Where the packet went, how long it is, and where its time went (seconds by step)."""

    pdf: Path
    html: Path
    pages: int
    reports: int
    decision_pages: int
    layouts: int
    seconds: dict[str, float] = field(default_factory=dict)


def _layout(entries: list[PacketEntry], items, *, as_of: str, data_latest: str, facts: dict):
    """Lay the decision document out until the length it assumed is its length; return (document, refs, layouts)."""
    from rebal.report.render import layout_pdf

    active, quiet = quiet_profiles(entries)
    guess = _FIXED_PAGES + len(active) + len(quiet) // 40  # a quiet profile is a table row
    layouts = 0
    while True:
        refs = Refs(items, mode="pdf", offset=guess)
        doc = layout_pdf(decision_html(entries, refs, as_of=as_of, data_latest=data_latest, facts=facts))
        layouts += 1
        if len(doc.pages) == guess or layouts == 3:  # the third guess is the length the second found
            return doc, refs, layouts
        guess = len(doc.pages)


def write_packet(entries: list[PacketEntry], where: Path, *, as_of: str, data_latest: str,
                 facts: dict | None = None) -> PacketFiles:
    """Write ``committee_packet.pdf`` and ``.html`` into ``where`` (atomically) from the week's ``entries``."""
    facts = facts or {}
    t = {"start": time.perf_counter()}
    items = appendix_items(entries)
    t["appendix"] = time.perf_counter()
    doc, refs, layouts = _layout(entries, items, as_of=as_of, data_latest=data_latest, facts=facts)
    t["layout"] = time.perf_counter()
    pages: list[int] = []

    def write(tmp: Path) -> None:
        decision = tmp.with_name(tmp.name + ".decision.pdf")
        try:
            doc.write_pdf(str(decision))
            pages.append(assemble_pdf(decision, items, refs, tmp, sample=bool(facts.get("sample")),
                                      title=f"rebal committee packet — {as_of}", decision_title="Decision document",
                                      appendix_title="Appendix — the reports"))
        finally:
            decision.unlink(missing_ok=True)

    pdf = atomic_write(where / PDF_NAME, write)
    t["assemble"] = time.perf_counter()
    html = atomic_write_text(where / HTML_NAME, decision_html(entries, Refs(items, mode="html"), as_of=as_of,
                                                             data_latest=data_latest, facts=facts))
    t["html"] = time.perf_counter()
    steps = ("appendix", "layout", "assemble", "html")
    prev = ("start", *steps[:-1])
    return PacketFiles(pdf, html, pages[0], len(items), len(doc.pages), layouts,
                       {s: round(t[s] - t[p], 3) for s, p in zip(steps, prev, strict=True)})
