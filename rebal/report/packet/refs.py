"""The appendix (the reports' own PDFs, in order) and the links from the decision document into it.

Every rendered report of the week is one appendix item, by profile in the registry's report order;
reports that show the same content for several profiles (the registry's ``shared`` key, e.g. one
universe's factor map) appear once, under the first of them. An item knows its PDF's page count and
its named destinations (WeasyPrint writes one per element id, e.g. a section heading's), read with
pypdf, so a link to ``(profile, report, heading id)`` resolves to a page of the packet once the
decision document's length is known.

:class:`Refs` writes those links. In the PDF packet a link is ``<a href="rebal-ref:N">p. 38</a>``:
WeasyPrint keeps it as a URI annotation, and the assembly (:mod:`rebal.report.packet.pdf`) turns it
into a link to the page. In the HTML packet it is a relative link to the report's HTML file and
heading (``min_variance/risk_stress.html#Historical-episodes``), quoted, so a link never depends on
where the week's folder is.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from rebal.report.packet.entries import PacketEntry, ordered

__all__ = ["REF_SCHEME", "AppendixItem", "appendix_items", "Refs"]

#: URI scheme of a link into the appendix, in the decision document's PDF (resolved by the assembly)
REF_SCHEME = "rebal-ref:"


@dataclass
class AppendixItem:
    """One report PDF of the appendix."""

    entry: PacketEntry
    #: other profiles whose report shows the same content (it appears once, here)
    also: list[str] = field(default_factory=list)
    pages: int = 0
    #: named destination (an element id) -> page index within the report's PDF
    dests: dict[str, int] = field(default_factory=dict)
    #: the pypdf reader of the report's PDF (kept: the assembly copies its pages without parsing it again)
    reader: Any = None

    @property
    def title(self) -> str:
        """The report's title, naming the profiles that share it."""
        t = self.entry.title
        return f"{t} (shared by {', '.join([self.entry.profile, *self.also])})" if self.also else t


def _read_pdf(item: AppendixItem) -> None:
    from pypdf import PdfReader

    reader = item.reader = PdfReader(str(item.entry.pdf))
    item.pages = len(reader.pages)
    index = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    for name, dest in reader.named_destinations.items():
        ref = getattr(dest, "page", None)
        num = getattr(ref, "idnum", None)
        if num in index:
            item.dests[str(name)] = index[num]


def appendix_items(entries: list[PacketEntry]) -> list[AppendixItem]:
    """Collect the appendix of the week: every rendered report once, in order, with its page count and destinations."""
    items: list[AppendixItem] = []
    seen: dict[tuple, AppendixItem] = {}
    for e in ordered([x for x in entries if x.ok]):
        key = e.spec.shared(e.scraps) if e.spec is not None and e.spec.shared is not None else None
        if key is not None and (e.notebook, key) in seen:
            seen[(e.notebook, key)].also.append(e.profile)
            continue
        item = AppendixItem(e)
        if key is not None:
            seen[(e.notebook, key)] = item
        items.append(item)
    for item in items:
        _read_pdf(item)
    return items


class Refs:
    """Links from the decision document to the appendix (see the module docstring).

    ``offset`` is the number of pages before the appendix (the decision document's length), so the
    appendix's first page is ``offset + 1``.
    """

    def __init__(self, items: list[AppendixItem], *, mode: Literal["pdf", "html"], offset: int = 0):
        self.items, self.mode, self.offset = items, mode, offset
        self.targets: list[tuple[AppendixItem, str]] = []
        self._by: dict[tuple[str, str], AppendixItem] = {}
        self._before: dict[int, int] = {}
        before = 0
        for it in items:
            self._before[id(it)] = before
            before += it.pages
            for p in [it.entry.profile, *it.also]:
                self._by[(p, it.entry.notebook)] = it

    def item(self, profile: str, notebook: str) -> AppendixItem | None:
        """Return the appendix item showing ``notebook`` of ``profile`` (a shared one for the profiles sharing it)."""
        return self._by.get((profile, notebook))

    def first_page(self, item: AppendixItem) -> int:
        """Return the packet page number of the item's first page."""
        return self.offset + self._before[id(item)] + 1

    def page(self, profile: str, notebook: str, anchor: str = "") -> int | None:
        """Return the packet page of a section of a report (its first page when the anchor is unknown)."""
        it = self.item(profile, notebook)
        if it is None:
            return None
        return self.first_page(it) + it.dests.get(anchor, 0)

    def link(self, profile: str, notebook: str, anchor: str = "", *, text: str = "") -> str:
        """Write a link to a report's section (HTML): ``p. 38`` in the PDF, the report's title in the HTML packet.

        ``text`` replaces the link's words (the page number is added in the PDF). A report not in the
        appendix gives plain text (its title, or ``text``).
        """
        it = self.item(profile, notebook)
        if it is None:
            return html.escape(text)
        if self.mode == "html":
            href = f"{quote(it.entry.href)}" + (f"#{quote(anchor)}" if anchor else "")
            return f'<a class="pref" href="{html.escape(href)}">{html.escape(text or it.entry.title)}&nbsp;↗</a>'
        self.targets.append((it, anchor))
        words = f"{html.escape(text)} " if text else ""
        # the number sits in a box of fixed width: another number cannot move a line, so a second layout with
        # the right numbers (:mod:`rebal.report.packet.build`) has the same pages as the first
        return (f'<a class="pref" href="{REF_SCHEME}{len(self.targets) - 1}">{words}'
                f'<span class="pn">p.&nbsp;{self.page(profile, notebook, anchor)}</span></a>')

    def target(self, uri: str) -> tuple[AppendixItem, str] | None:
        """Return the (item, anchor) of a ``rebal-ref:N`` URI written by :meth:`link` (None for anything else)."""
        if not uri.startswith(REF_SCHEME):
            return None
        try:
            return self.targets[int(uri[len(REF_SCHEME):])]
        except (ValueError, IndexError):
            return None


def html_href(week_dir: Path, entry_html: Path) -> str:
    """Return the path of a report's HTML file relative to the week's folder, with forward slashes."""
    return entry_html.relative_to(week_dir).as_posix()
