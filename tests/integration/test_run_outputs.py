"""What a rerun makes: --html-only, --no-packet, a rerun with nothing to make, and the progress it prints."""
from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error, make_tiny_home

from rebal.report import week

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf]

WEEK = "2024-01-05"


def _runs(out) -> list[dict]:
    return json.loads((out / week.MANIFEST).read_text())["runs"]


def test_html_only_no_packet_and_a_rerun_with_nothing_to_make(tmp_path, cli):
    home = make_tiny_home(tmp_path / "proj")
    out = home / "reports" / WEEK
    report = out / "tiny" / "drift_audit"

    # a full run says what it does in the PDF and packet stage, as it does for the notebooks
    full = cli(home, "run", "--workers", "1")
    assert full.returncode == 0, full.stderr
    lines = full.stderr.splitlines()
    at = {key: next(i for i, x in enumerate(lines) if key in x)
          for key in ("ok  tiny/drift_audit", "rendering 1 PDF(s)", "pdf tiny/drift_audit (", "committee packet: "
                      "laying out", "pages, 1 report(s)", "1/1 report(s)")}
    # in the order they happen (the PDF renders while the packet is laid out: either may finish first)
    first, render, pdf, lay, laid, end = at.values()
    assert first < render < min(pdf, lay) and lay < laid and max(pdf, laid) < end, full.stderr
    assert ", packet " in lines[at["1/1 report(s)"]]
    packet = (out / week.PACKET).read_bytes()
    assert report.with_suffix(".pdf").is_file() and _runs(out)[-1]["outputs"] == "all"

    # --html-only: the notebook and its HTML are published, the report's old PDF is removed, the packet is kept
    old_html = report.with_suffix(".html").stat().st_mtime_ns
    res = cli(home, "run", "--workers", "1", "--html-only")
    assert res.returncode == 0, res.stderr
    assert "pdf tiny/" not in res.stderr and "committee packet" not in res.stderr
    assert "packet not rebuilt (--html-only" in res.stderr and f"rebal packet --as-of {WEEK}" in res.stderr
    assert report.with_suffix(".html").stat().st_mtime_ns != old_html and report.with_suffix(".ipynb").is_file()
    assert not report.with_suffix(".pdf").exists()
    assert (out / week.PACKET).read_bytes() == packet
    doc = json.loads((out / week.MANIFEST).read_text())
    assert doc["runs"][-1]["outputs"] == "html only" and doc["ok"] and doc["status"] == "complete"
    assert [r["outputs"] for r in doc["reports"]] == [[str(report.with_suffix(".ipynb")),
                                                       str(report.with_suffix(".html"))]]

    # --no-packet: the PDF again, the packet kept
    res = cli(home, "run", "--workers", "1", "--no-packet")
    assert res.returncode == 0, res.stderr
    assert "pdf tiny/drift_audit (" in res.stderr and "committee packet:" not in res.stderr
    assert report.with_suffix(".pdf").is_file() and (out / week.PACKET).read_bytes() == packet
    assert _runs(out)[-1]["outputs"] == "no packet"

    # nothing to make: say why, write nothing, leave the packet, exit 2
    before = (out / week.MANIFEST).read_text()
    res = cli(home, "run", "--notebook", "risk4_picks")
    assert_one_line_error(res, "no report to run", "tiny: no risk4 picks", "risk4")
    assert (out / week.MANIFEST).read_text() == before and (out / week.PACKET).read_bytes() == packet
    assert cli(home, "run", "--html-only", "--no-packet").returncode == 2  # one or the other
