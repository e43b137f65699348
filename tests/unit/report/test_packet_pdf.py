"""The packet PDF assembled from separate PDFs (rebal.report.packet.pdf): links, numbering, outline, sample mark.

Two small reports and a decision document are laid out with WeasyPrint, as the weekly job does; the
assembly is read back with pypdf: every link lands on the page its source names (the same heading id in
both reports resolves inside its own report), the decision document's link lands on the cited section,
every page carries "p. n / N", and the outline lists every report with its sections.
"""
from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from rebal.report.packet.entries import PacketEntry
from rebal.report.packet.pdf import assemble_pdf
from rebal.report.packet.refs import Refs, appendix_items
from rebal.report.render import REPORT_CSS, html_to_pdf, layout_pdf

pytestmark = pytest.mark.pdf

FILLER = "<p>" + "A line of the report. " * 180 + "</p>"


def _report(title: str, sections: list[str]) -> str:
    toc = "".join(f"<li><a href='#{s}'>{s}</a></li>" for s in sections)
    body = "".join(f"<h2 id='{s}'>{s}</h2>{FILLER}" for s in sections)
    return (f"<html><head><style>{REPORT_CSS}</style></head><body><main class='rebal-report'>"
            f"<h1 id='top'>{title}</h1><nav class='rebal-toc'><h2>Contents</h2><ol>{toc}</ol></nav>{body}"
            "</main></body></html>")


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    root = tmp_path_factory.mktemp("week")
    entries = []
    for profile, nb, sections in (("alpha", "drift_audit", ["Summary", "Method"]),
                                  ("alpha", "risk_stress", ["Summary", "Historical-episodes", "Method"]),
                                  ("beta", "drift_audit", ["Summary", "Method"])):
        (root / profile).mkdir(exist_ok=True)
        pdf = root / profile / f"{nb}.pdf"
        html_to_pdf(_report(f"{profile} {nb}", sections), pdf)
        entries.append(PacketEntry(profile, nb, {}, pdf=pdf, href=f"{profile}/{nb}.html"))
    return root, entries


def _decision(refs: Refs, sample: bool = False) -> str:
    link = refs.link("alpha", "risk_stress", "Historical-episodes", text="stress table")
    mark = "@top-center { content: 'SAMPLE'; }" if sample else ""
    return (f"<html><head><style>@page {{ size: A4; {mark} }}</style></head><body><h1 id='cover'>Cover</h1>"
            f"<p>See the {link}.</p><h1 id='signoff' style='break-before: page'>Sign-off</h1></body></html>")


def _assemble(week, tmp_path, *, sample=False):
    root, entries = week
    items = appendix_items(entries)
    refs = Refs(items, mode="pdf", offset=2)
    doc = layout_pdf(_decision(refs, sample))
    assert len(doc.pages) == 2
    doc.write_pdf(str(tmp_path / "decision.pdf"))
    out = tmp_path / "packet.pdf"
    n = assemble_pdf(tmp_path / "decision.pdf", items, refs, out, decision_title="Decision document",
                     appendix_title="Appendix", sample=sample, title="t")
    return items, refs, out, n


def _links(reader: PdfReader) -> list[tuple[int, int]]:
    """(page of the link, page it lands on) for every link annotation."""
    out = []
    index = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    for i, page in enumerate(reader.pages):
        for a in page.get("/Annots") or []:
            a = a.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            dest = a.get("/Dest")
            assert dest is not None and "/A" not in a, f"page {i + 1}: a link that is not a page link: {a}"
            out.append((i, index[dest[0].idnum]))
    return out


def test_pages_are_numbered_continuously_and_every_link_lands_in_its_own_report(week, tmp_path):
    items, refs, out, n = _assemble(week, tmp_path)
    reader = PdfReader(out)
    assert n == len(reader.pages) == 2 + sum(it.pages for it in items)
    for i, page in enumerate(reader.pages):
        assert f"p. {i + 1} / {n}" in page.extract_text(), i
    starts = [refs.first_page(it) - 1 for it in items]
    ends = [s + it.pages for s, it in zip(starts, items, strict=True)]
    links = _links(reader)
    for src, dst in [x for x in links if x[0] >= 2]:  # the reports' contents: a link stays inside its own report
        k = next(j for j, (s, e) in enumerate(zip(starts, ends, strict=True)) if s <= src < e)
        assert starts[k] <= dst < ends[k]
    # "Summary" exists in all three reports: beta's contents lead to beta's Summary, not alpha's
    beta = items[2]
    beta_links = [d for s, d in links if starts[2] <= s < ends[2]]
    assert beta_links[0] == starts[2] + beta.dests["Summary"]


def test_the_decision_documents_link_lands_on_the_cited_section_and_shows_its_page(week, tmp_path):
    items, refs, out, _ = _assemble(week, tmp_path)
    reader = PdfReader(out)
    page = refs.page("alpha", "risk_stress", "Historical-episodes")
    assert page == refs.first_page(items[1]) + items[1].dests["Historical-episodes"]
    assert f"stress table p. {page}" in re.sub(r"\s+", " ", reader.pages[0].extract_text().replace("\xa0", " "))
    src, dst = _links(reader)[0]
    assert src == 0 and dst == page - 1
    assert "Historical-episodes" in reader.pages[dst].extract_text().replace(" ", "-")


def test_the_outline_lists_every_report_with_its_sections(week, tmp_path):
    _, _, out, _ = _assemble(week, tmp_path)
    reader = PdfReader(out)

    def titles(nodes, depth=0):
        for x in nodes:
            if isinstance(x, list):
                yield from titles(x, depth + 1)
            else:
                yield depth, x.title
    got = list(titles(reader.outline))
    assert got[:3] == [(0, "Decision document"), (1, "Cover"), (1, "Sign-off")]
    assert (0, "Appendix") in got and (1, "alpha") in got and (1, "beta") in got
    assert (2, "Risk and stress") in got and got.count((2, "Drift audit")) == 2
    assert (3, "Historical-episodes") in got and (3, "Contents") not in got


@pytest.mark.parametrize("sample", [True, False])
def test_the_sample_mark_is_stamped_on_every_page_only_for_the_sample(week, tmp_path, sample):
    _, _, out, _ = _assemble(week, tmp_path, sample=sample)
    texts = [p.extract_text() for p in PdfReader(out).pages]
    assert all(("SAMPLE DATA — NOT FOR INVESTMENT DECISIONS" in t) is sample for t in texts)


def test_the_packet_is_written_in_a_folder_whose_path_has_spaces_hash_percent_question_and_accents(week, tmp_path):
    """No path becomes a URL: the PDFs are read as files and the HTML packet links reports relative to itself."""
    import shutil

    from rebal.report.packet.build import write_packet

    root, entries = week
    odd = tmp_path / "my #1 100% ?wk é" / "2024-01-05"
    shutil.copytree(root, odd)
    moved = [PacketEntry(e.profile, e.notebook, {}, pdf=odd / e.profile / f"{e.notebook}.pdf", href=e.href)
             for e in entries]
    built = write_packet(moved, odd, as_of="2024-01-05", data_latest="2024-01-05", facts={})
    reader = PdfReader(built.pdf)
    assert built.pages == len(reader.pages) == built.decision_pages + sum(
        len(PdfReader(e.pdf).pages) for e in moved)
    html = built.html.read_text()
    assert 'href="alpha/risk_stress.html"' in html and "my #1" not in html
    assert not list(odd.glob("*.decision.pdf")) and not list(odd.glob(".*tmp*"))
