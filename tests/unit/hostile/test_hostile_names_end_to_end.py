"""Ticker names and sectors that are HTML (issue 16, item 1), imported with `rebal data import tickers` and run
through a weekly run: no live tag in any HTML report or the packet, no attachment or file/script link in any PDF."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hostile_corpus import HOSTILE_NAMES
from pypdf import PdfReader

from rebal.data.lakehouse import Lakehouse
from rebal.paths import get_paths
from rebal.report.runner import run_weekly

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf, pytest.mark.slow]

NOTEBOOKS = ["weekly_review", "drift_audit", "rebalance_proposal", "factor_map", "risk_stress", "risk4_picks"]
ACTIVE = ["script", "iframe", "frame", "object", "embed", "link", "base", "form", "meta[http-equiv]"]


def _hostile_tickers(lake) -> str:
    """Every ticker renamed to hostile markup, every sector to hostile markup (one per original sector)."""
    with Lakehouse(lake) as lh:
        t = lh.tickers()
    sectors = {s: f"{HOSTILE_NAMES[i % len(HOSTILE_NAMES)]} {s}" for i, s in enumerate(sorted(t["sector"].dropna().unique()))}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["ticker", "name", "sector", "asset_class", "is_benchmark"])
    for i, (tk, r) in enumerate(t.iterrows()):
        w.writerow([tk, f"{HOSTILE_NAMES[i % len(HOSTILE_NAMES)]} {tk}", sectors.get(r["sector"], ""),
                    r["asset_class"], str(bool(r["is_benchmark"])).lower()])
    return buf.getvalue()


#: the packet's links to the week's own reports: <profile>/<report>.html, optionally #<heading id>
REPORT_LINK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*/[a-z0-9_]+\.html(#[A-Za-z0-9_%.?-]*)?$")


def _live(html: str, week: Path | None = None) -> list[str]:
    """Live tags and attributes; with ``week``, links to its own report files (that exist) are allowed."""
    soup = BeautifulSoup(html, "html.parser")
    found = [f"<{t.name}>" for sel in ACTIVE for t in soup.select(sel)]
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attr.lower().startswith("on"):
                found.append(f"<{tag.name} {attr}>")
            own = (week is not None and attr.lower() == "href" and REPORT_LINK.match(text)
                   and (week / text.split("#")[0]).is_file())
            if attr.lower() in ("href", "src", "xlink:href", "srcset", "action") and not own and \
                    not text.strip().lower().startswith(("data:", "#")):
                found.append(f"<{tag.name} {attr}={text[:40]}>")
    return found  # an <svg> of the report's own (sparklines) may stay: its handlers and links are checked above


def _pdf_problems(path) -> list[str]:
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    out = []
    if "/Names" in root and "/EmbeddedFiles" in root["/Names"]:
        out.append("/EmbeddedFiles")
    if "/AF" in root:
        out.append("/AF")
    for i, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") == "/FileAttachment":
                out.append(f"page {i + 1}: /FileAttachment")
            uri = str((a.get("/A") or {}).get("/URI", ""))
            if uri and not uri.startswith("#"):
                out.append(f"page {i + 1}: link to {uri[:40]}")
    return out


def test_hostile_names_and_sectors_never_become_live_html_or_pdf_attachments(sample_home, cli, monkeypatch):
    from conftest import REPO

    lake = sample_home / "data" / "lakehouse" / "rebal.duckdb"
    f = sample_home / "hostile_tickers.csv"
    f.write_text(_hostile_tickers(lake))
    res = cli(sample_home, "data", "import", "tickers", str(f))
    assert res.returncode == 0, res.stderr
    monkeypatch.setenv("REBAL_NOTEBOOKS_DIR", str(REPO / "notebooks"))
    outcome = run_weekly(profiles=["min_variance", "risk4_us"], notebooks=NOTEBOOKS, paths=get_paths(sample_home),
                         workers=2, progress=False)
    assert outcome.ok, [r.error for r in outcome.reports if not r.ok]
    htmls = sorted(p for p in outcome.out_dir.rglob("*.html") if p.name != "index.html")  # the week's index: no PDF
    # the week's index links only the week's own files (relative paths, no scheme), and runs nothing
    index = _live((outcome.out_dir / "index.html").read_text())
    assert all(x.startswith("<a href=") and ":" not in x for x in index) and len(index) >= 10, index[:5]
    pdfs = sorted(outcome.out_dir.rglob("*.pdf"))
    assert len(htmls) >= 8 and len(pdfs) == len(htmls) and any(p.name == "committee_packet.html" for p in htmls)
    shown = 0
    for h in htmls:
        html = h.read_text()
        week = outcome.out_dir if h.name == "committee_packet.html" else None  # the packet links the reports
        assert _live(html, week) == [], (h.name, _live(html, week)[:5])
        text = BeautifulSoup(html, "html.parser").get_text()
        shown += sum(name in text for name in HOSTILE_NAMES)  # the data is there, as text
    assert shown > 0
    for p in pdfs:
        assert _pdf_problems(p) == [], (p.name, _pdf_problems(p))
