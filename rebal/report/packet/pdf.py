"""The packet PDF, assembled from the decision document and the reports' own PDFs: no second layout pass.

pypdf copies the pages as they are, then:

- **links**: a report's internal links (named destinations: its contents, its cross-references) are
  rewritten as links to the page and position in the packet, so names that several reports share
  never clash; the decision document's ``rebal-ref:N`` links (:class:`~rebal.report.packet.refs.Refs`)
  become links to the report section they cite;
- **one page numbering**: ``p. n / N`` is stamped at the foot of every page, right; a report keeps its
  own ``Page k / K`` at the centre (its contents' numbers are its own), so the packet number is the one
  to quote and the outline is the way in;
- **outline** (bookmarks): the decision document's sections, then the appendix by profile, each report
  with its sections;
- **sample mark**: on the built-in sample lakehouse, every page also carries SAMPLE DATA — NOT FOR
  INVESTMENT DECISIONS at the foot, left.

The stamps are short content streams in a standard PDF font (Helvetica), appended to each page's own
content after restoring its graphics state; nothing of a page is re-encoded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rebal.report.packet.refs import AppendixItem, Refs

__all__ = ["assemble_pdf", "Outline"]

#: Helvetica advance widths (1/1000 em) of the characters a page stamp uses
_WIDTHS = {**dict.fromkeys("0123456789", 556), "p": 556, ".": 278, " ": 278, "/": 278}
_STAMP_FONT = "/RebalStamp"
_SIZE = 7.5
_MARGIN = 39.7  # 14 mm, the reports' side margin
_BASELINE = 22.0  # in the bottom margin, level with the reports' own page numbers
#: the sample mark in WinAnsi (\227 is the em dash)
_SAMPLE = b"SAMPLE DATA \\227 NOT FOR INVESTMENT DECISIONS"

#: an outline node: (title, packet page index 0-based, top of the target or None, children)
Outline = tuple[str, int, float | None, list]


def _stream(writer: Any, data: bytes) -> Any:
    """Add a content stream to ``writer`` and return its reference (pypdf's writer registers objects here only)."""
    from pypdf.generic import DecodedStreamObject

    s = DecodedStreamObject()
    s.set_data(data)
    return writer._add_object(s)


def _font(writer: Any) -> Any:
    from pypdf.generic import DictionaryObject, NameObject

    return writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))


def _stamp(writer: Any, page: Any, number: str, sample: bool, font: Any, head: Any) -> None:
    """Append the page-number stamp (and the sample mark) to ``page``, its own drawing wrapped in q ... Q."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    width = float(page.mediabox.width)
    x = width - _MARGIN - sum(_WIDTHS.get(c, 556) for c in number) * _SIZE / 1000
    text = (f"Q BT {_STAMP_FONT} {_SIZE} Tf 0.33 0.43 0.48 rg {x:.2f} {_BASELINE} Td ({number}) Tj ET\n").encode()
    if sample:
        text += (f"BT {_STAMP_FONT} {_SIZE} Tf 0.78 0.16 0.16 rg {_MARGIN} {_BASELINE} Td (").encode() + _SAMPLE \
            + b") Tj ET\n"
    contents = page.get("/Contents")
    parts = list(contents) if isinstance(contents, ArrayObject) else ([contents.indirect_reference or contents]
                                                                       if contents is not None else [])
    page[NameObject("/Contents")] = ArrayObject([head, *parts, _stream(writer, text)])
    res = page.get("/Resources")
    res = res.get_object() if res is not None else None
    if res is None:
        res = DictionaryObject()
        page[NameObject("/Resources")] = res
    fonts = res.get("/Font")
    if fonts is None:
        fonts = DictionaryObject()
        res[NameObject("/Font")] = fonts
    fonts.get_object()[NameObject(_STAMP_FONT)] = font


def _dests(reader: Any) -> dict[str, tuple[int, float | None, float | None]]:
    """Named destinations of a reader: name -> (page index, left, top)."""
    index = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    out = {}
    for name, d in reader.named_destinations.items():
        num = getattr(getattr(d, "page", None), "idnum", None)
        if num in index:
            out[str(name)] = (index[num], d.get("/Left"), d.get("/Top"))
    return out


def _explicit(writer: Any, page: int, left: float | None = None, top: float | None = None) -> Any:
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NullObject

    def num(v: float | None) -> Any:
        return FloatObject(v) if v is not None else NullObject()

    return ArrayObject([writer.pages[page].indirect_reference, NameObject("/XYZ"), num(left), num(top),
                        FloatObject(0)])


def _outline_tree(reader: Any, items: list, start: int) -> list[Outline]:
    """Return the reader's outline as nodes with packet page indices (a list after an item holds its children)."""
    nodes: list[Outline] = []
    for it in items:
        if isinstance(it, list):
            if nodes:
                nodes[-1][3].extend(_outline_tree(reader, it, start))
            continue
        try:
            page = reader.get_destination_page_number(it)
        except Exception:  # an outline entry without a page: left out
            continue
        if page is None or page < 0:
            continue
        nodes.append((str(it.title), start + page, it.get("/Top"), []))
    return nodes


def _add_outline(writer: Any, nodes: list[Outline], parent: Any = None) -> None:
    for title, page, _top, children in nodes:
        ref = writer.add_outline_item(title=title, page_number=page, parent=parent)
        if children:
            _add_outline(writer, children, ref)


def _relink(writer: Any, first: int, n: int, dests: dict, offsets: dict, refs: Refs) -> None:
    """Rewrite the links of pages ``first``..``first + n - 1`` (one source document) as explicit destinations."""
    from pypdf.generic import NameObject

    for i in range(first, first + n):
        annots = writer.pages[i].get("/Annots")
        for a in (annots.get_object() if annots is not None else []):
            a = a.get_object()
            target = None
            if "/Dest" in a and not isinstance(a["/Dest"], list):
                d = dests.get(str(a["/Dest"]))
                target = (first + d[0], d[1], d[2]) if d else None
            elif "/A" in a and str(a["/A"].get_object().get("/URI", "")).startswith("rebal-ref:"):
                hit = refs.target(str(a["/A"].get_object()["/URI"]))
                if hit is not None:
                    item, anchor = hit
                    start, item_dests = offsets[id(item)]
                    d = item_dests.get(anchor, (0, None, None))
                    target = (start + d[0], d[1], d[2])
                del a["/A"]
            else:
                continue
            if target is None:  # a link to nowhere is dropped, never left dangling
                a.pop("/Dest", None)
                continue
            a[NameObject("/Dest")] = _explicit(writer, *target)


def assemble_pdf(decision: Path, items: list[AppendixItem], refs: Refs, out: Path, *,
                 decision_title: str, appendix_title: str, sample: bool, title: str) -> int:
    """Write the packet to ``out``: ``decision`` then every appendix item's PDF (see the module docstring).

    Returns the page count.
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    sources = [(PdfReader(str(decision)), None)] + [(it.reader or PdfReader(str(it.entry.pdf)), it) for it in items]
    starts, offsets, outlines = [], {}, []
    for reader, item in sources:
        starts.append(len(writer.pages))
        for p in reader.pages:
            writer.add_page(p)
        if item is not None:
            offsets[id(item)] = (starts[-1], _dests(reader))
    for (reader, item), start in zip(sources, starts, strict=True):
        dests = _dests(reader) if item is None else offsets[id(item)][1]
        _relink(writer, start, len(reader.pages), dests, offsets, refs)
        outlines.append(_outline_tree(reader, reader.outline, start))
    total = len(writer.pages)
    font, head = _font(writer), _stream(writer, b"q\n")
    for i, page in enumerate(writer.pages):
        _stamp(writer, page, f"p. {i + 1} / {total}", sample, font, head)
    _add_outline(writer, [(decision_title, 0, None, outlines[0])])
    _add_outline(writer, _appendix_outline(items, outlines[1:], starts[1:], appendix_title))
    writer.add_metadata({"/Title": title, "/Creator": "rebal"})
    writer.page_mode = "/UseOutlines"
    with open(out, "wb") as fh:
        writer.write(fh)
    return total


def _appendix_outline(items: list[AppendixItem], outlines: list[list[Outline]], starts: list[int],
                      title: str) -> list[Outline]:
    """Build the appendix's bookmarks: profile -> report -> its sections (its own title and contents left out)."""
    by_profile: dict[str, list[Outline]] = {}
    for item, nodes, start in zip(items, outlines, starts, strict=True):
        sections = nodes[0][3] if len(nodes) == 1 else nodes  # under the report's own title
        sections = [n for n in sections if n[0].strip().lower() != "contents"]
        by_profile.setdefault(item.entry.profile, []).append((item.title, start, None, sections))
    children = [(p, reports[0][1], None, reports) for p, reports in by_profile.items()]
    return [(title, starts[0], None, children)] if starts else []
