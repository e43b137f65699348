"""The committee packet as a reader gets it: highlighted cells still coloured in the PDF; the decision part's size."""
from __future__ import annotations

import re
import shutil
import zlib

import pandas as pd
import pytest
from conftest import REPO
from pypdf import PdfReader

from rebal.report import widgets
from rebal.report.packet import PacketEntry, packet_html
from rebal.report.render import REPORT_CSS, html_to_pdf

pytestmark = [pytest.mark.integration, pytest.mark.pdf]
BLUE = b"0.082353 0.396078 0.752941 rg"  # #1565c0, the highlight colour used below


def _fills(pdf) -> set[bytes]:
    out = set()
    for s in re.findall(rb"stream\r?\n(.*?)endstream", pdf.read_bytes(), re.S):
        try:
            out |= set(re.findall(rb"[\d.]+ [\d.]+ [\d.]+ rg", zlib.decompress(s)))
        except zlib.error:
            continue
    return out


@pytest.mark.parametrize("flagged", [True, False])
def test_a_highlighted_cell_of_a_report_is_highlighted_in_the_packet_pdf(tmp_path, flagged):
    tbl = widgets.table(pd.DataFrame({"v": [1.0, 2.0], "mark": [False, flagged]}), highlight="mark",
                        highlight_color="#1565c0").data
    report = f"<html><head><style>{REPORT_CSS}</style></head><body><main><h1 id='t'>t</h1>{tbl}</main></body></html>"
    doc = packet_html([PacketEntry("p", "beta_correlation", report, {})], as_of="2024-01-05", data_latest="2024-01-05")
    html_to_pdf(doc, tmp_path / "packet.pdf")
    assert (BLUE in _fills(tmp_path / "packet.pdf")) is flagged


@pytest.mark.slow
def test_the_decision_part_of_the_sample_packet_fits_its_page_budget(sample_lakehouse, tmp_path, monkeypatch):
    """Cover, summary, changes, one page of essentials per profile and the sign-off: about 25 pages at most."""
    from rebal.paths import get_paths
    from rebal.report.runner import run_weekly

    home = tmp_path / "proj"
    shutil.copytree(REPO / "params", home / "params")
    shutil.copytree(REPO / "notebooks", home / "notebooks")
    (home / "data" / "lakehouse").mkdir(parents=True)
    shutil.copy(sample_lakehouse, home / "data" / "lakehouse" / "rebal.duckdb")
    for var in ("REBAL_HOME", "REBAL_LAKEHOUSE", "REBAL_REPORTS_DIR", "REBAL_PARAMS_DIR", "REBAL_NOTEBOOKS_DIR"):
        monkeypatch.delenv(var, raising=False)
    out = run_weekly(paths=get_paths(home), notebooks=["weekly_review"], workers=2, progress=False)
    assert out.ok and len(out.reports) == 7
    pages = [p.extract_text() for p in PdfReader(out.packet).pages]
    appendix = next(i for i, t in enumerate(pages) if "Appendix A — the reports" in t and "Contents" not in t)
    assert appendix + 1 <= 25, appendix
    # seven sample profiles since llm_tilts: the decisions table starts on page 1 and ends on page 2
    cover = pages[0] + pages[1]
    assert "This week's decisions" in pages[0] and all(p in cover for p in ("bl_tilts", "llm_tilts", "strategy_sleeves"))
