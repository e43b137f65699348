"""Render an executed notebook to a self-contained HTML report and an A4 PDF.

HTML: nbconvert's ``basic`` template without code, prompts, stderr or warnings; images embedded as
data URIs; every ``<script>`` and external ``<link>`` removed (no network fetch, no JavaScript);
a table of contents from the headings; the print CSS of ``report.css``. The clean-up
(:func:`strip_external`) is a sanitiser, so that text from data can never act even if some page
forgot to escape it: active elements (``script``, ``iframe``, ``object``, ``embed``, ``base``,
``form``, ``meta`` refresh, ``link`` other than a ``data:`` stylesheet) are removed, every event
handler attribute (``on*``) is dropped, and every URL attribute (``href``, ``src``, ``srcset``,
``xlink:href``, ``action``, ``formaction``, ``poster``, ``background``, ``data``) keeps only a ``data:``
URL or an in-page ``#anchor``; ``url(...)`` in styles keeps only ``data:``.

PDF: WeasyPrint on that HTML: A4, page numbers "Page n / N", the table of contents with page
numbers, repeated table headers, headings kept with what follows.
"""
from __future__ import annotations

import logging
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nbformat imports jsonschema: only the functions that convert a notebook load it
    import nbformat

__all__ = ["REPORT_CSS", "clean_notebook", "notebook_to_html", "html_to_pdf", "layout_pdf", "add_toc",
           "strip_external", "safe_url_fetcher"]

REPORT_CSS = resources.files("rebal.report").joinpath("report.css").read_text(encoding="utf-8")
_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove", "remove-cell"}


def clean_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Drop parameter cells, stderr streams and warnings from a copy of ``nb``.

    Returns the cleaned notebook and the number of stderr outputs removed (for the run log).
    """
    import nbformat

    nb = nbformat.from_dict(nb)
    removed = 0
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _HIDDEN_TAGS:
            continue
        if cell.cell_type == "code":
            keep = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    removed += 1
                    continue
                data = out.get("data", {})
                if data and all(k.startswith("application/scrapbook") for k in data):
                    continue  # scraps are data for the packet, not content
                keep.append(out)
            cell.outputs = keep
        cells.append(cell)
    nb.cells = cells
    return nb, removed


_ACTIVE_TAGS = ("script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "portal",
                "noscript", "template")
_URL_ATTRS = ("href", "src", "srcset", "xlink:href", "action", "formaction", "poster", "background", "data",
              "longdesc", "cite", "ping", "manifest", "codebase", "archive", "lowsrc", "dynsrc")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:)[^)]*\)", re.I)


def _safe_url(value: str, attr: str) -> bool:
    """Tell whether a report may keep this URL: a ``data:`` URL, or an in-page ``#anchor`` (``href`` only)."""
    v = re.sub(r"[\x00-\x20]", "", value).lower()  # browsers ignore whitespace and controls in schemes
    return v.startswith("data:") or (attr in ("href", "xlink:href") and v.startswith("#"))


def strip_external(soup) -> None:
    """Sanitise ``soup`` in place: nothing in a report fetches, runs or attaches (see the module docstring)."""
    for tag in soup.find_all(_ACTIVE_TAGS):
        tag.decompose()
    for tag in soup.find_all("meta"):
        if tag.get("http-equiv", "").lower() == "refresh":
            tag.decompose()
    for tag in soup.find_all("link"):
        if not _safe_url(tag.get("href", ""), "src"):
            tag.decompose()
    empty = []
    for tag in soup.find_all(True):
        for attr in list(tag.attrs):
            name = attr.lower()
            value = tag.attrs[attr]
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.startswith("on"):
                del tag.attrs[attr]
            elif name in _URL_ATTRS and not _safe_url(text, name):
                del tag.attrs[attr]
            elif name == "style" and ("url(" in text.lower() or "expression(" in text.lower()):
                tag.attrs[attr] = _CSS_URL.sub("none", re.sub(r"expression\s*\(", "(", text, flags=re.I))
        if tag.name in ("img", "source", "image", "use") and not any(a in tag.attrs for a in _URL_ATTRS):
            empty.append(tag)  # an image whose only source was refused shows nothing: drop it
    for tag in empty:
        tag.decompose()
    for style in soup.find_all("style"):
        text = style.string or ""
        if "@import" in text or "url(" in text.lower():
            text = re.sub(r"@import[^;]+;?", "", text)
            style.string = _CSS_URL.sub("none", text)


def add_toc(soup, *, levels: tuple[str, ...] = ("h1", "h2")) -> None:
    """Insert a table of contents after the first h1, linking to every heading with an id."""
    heads = [h for h in soup.find_all(list(levels)) if h.get("id")]
    if len(heads) < 2:
        return
    nav = soup.new_tag("nav", attrs={"class": "rebal-toc"})
    title = soup.new_tag("h2")
    title.string = "Contents"
    nav.append(title)
    ol = soup.new_tag("ol")
    for h in heads[1:]:
        li = soup.new_tag("li")
        a = soup.new_tag("a", href=f"#{h['id']}")
        a.string = h.get_text(" ", strip=True).rstrip("¶").strip()
        li.append(a)
        ol.append(li)
    nav.append(ol)
    heads[0].insert_after(nav)


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str, header: str = "") -> tuple[str, int]:
    """Self-contained HTML report of an executed notebook.

    nbconvert's ``basic`` template gives the cells' HTML without JupyterLab's 240 KB of CSS;
    ``report.css`` styles it for screen and print (smaller files, a PDF about twice as fast).
    Returns the HTML and the number of stderr outputs removed.
    """
    import html as _html

    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    cleaned, removed = clean_notebook(nb)
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(cleaned)
    head = f'<div class="rebal-header">{_html.escape(header)}</div>' if header else ""
    doc = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">'
           f'<meta name="generator" content="rebal"><title>{_html.escape(title)}</title>'
           f'<style>{REPORT_CSS}</style></head><body><main class="rebal-report">{head}{body}</main></body></html>')
    soup = BeautifulSoup(doc, "html.parser")
    strip_external(soup)
    for a in soup.select("a.anchor-link"):
        a.decompose()
    add_toc(soup)
    return str(soup), removed


def safe_url_fetcher() -> Any:
    """Build a WeasyPrint URL fetcher that serves ``data:`` URLs only.

    A report is self-contained: its images are data URIs. Anything else (``file:`` paths that
    would attach a local file to the PDF, network URLs) is refused, whatever the HTML asks for.
    """
    from weasyprint import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


#: OpenType layout tables: WeasyPrint drops GSUB and GPOS from the fonts it embeds, and a PDF viewer uses none
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF")
_WITHOUT_LAYOUT: dict[bytes, bytes | None] = {}


def _without_layout(content: bytes) -> bytes | None:
    """Return the font file ``content`` without its layout tables (None when it has none, or is a collection)."""
    import io

    from fontTools.ttLib import TTFont

    if content[:4] == b"ttcf":
        return None
    font = TTFont(io.BytesIO(content))
    present = [t for t in _LAYOUT_TABLES if t in font]
    if not present:
        return None
    for t in present:
        del font[t]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def quicker_font_subsetting() -> None:
    """Let WeasyPrint subset fonts without decoding the layout tables it drops (once per process; idempotent).

    Without HarfBuzz's subsetter (a system library pip cannot install), WeasyPrint subsets each embedded
    font with fontTools, whose subsetter (4.6x) decodes the font's GSUB, GPOS and GDEF tables before
    dropping them: 0.4-0.5 s of every PDF. The font is given to the subsetter without those tables
    (stripped once per font file and process), so the embedded subset is the same but for GDEF, which a
    PDF viewer does not read. Any failure falls back on WeasyPrint's own path.
    """
    import hashlib

    try:
        from weasyprint.pdf import fonts
    except ImportError:
        return
    original = getattr(fonts.Font, "_fonttools_subset", None)
    if original is None or getattr(original, "_rebal", False):
        return

    def subset(self: Any, to_unicode: Any, hinting: Any) -> None:
        full = self.file_content
        key = hashlib.sha256(full).digest()
        if key not in _WITHOUT_LAYOUT:
            try:
                _WITHOUT_LAYOUT[key] = _without_layout(full) if getattr(self, "index", 0) == 0 else None
            except Exception:
                _WITHOUT_LAYOUT[key] = None
        lean = _WITHOUT_LAYOUT[key]
        if lean is not None:
            self.file_content = lean
            try:
                return original(self, to_unicode, hinting)
            except Exception:
                self.file_content = full
        return original(self, to_unicode, hinting)

    subset._rebal = True  # type: ignore[attr-defined]
    fonts.Font._fonttools_subset = subset


def layout_pdf(html: str) -> Any:
    """Lay ``html`` out with WeasyPrint (quietly, nothing fetched, no base URL): the document, not yet written.

    For a document without relative resources (the packet's decision document): its page count is
    ``len(doc.pages)`` and ``doc.write_pdf(path)`` writes it.
    """
    for name in ("weasyprint", "fontTools", "fontTools.subset"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from weasyprint import HTML

    quicker_font_subsetting()
    return HTML(string=html, url_fetcher=safe_url_fetcher()).render()


def html_to_pdf(html: str, out: Path) -> int:
    """Render HTML to an A4 PDF at ``out`` with WeasyPrint (quietly, nothing fetched); return its page count."""
    for name in ("weasyprint", "fontTools", "fontTools.subset"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from weasyprint import HTML

    quicker_font_subsetting()

    document = HTML(string=html, base_url=str(out.parent), url_fetcher=safe_url_fetcher()).render()
    document.write_pdf(str(out))
    return len(document.pages)
