"""reports/<date>/index.html: every report of the week by profile, decision, status, links; self-contained, escaped."""
from __future__ import annotations

import re

from rebal.report.week import write_manifest
from rebal.report.week_index import INDEX, index_html


def _week(tmp_path):
    out = tmp_path / "2022-12-28"
    (out / "min_variance").mkdir(parents=True)
    for ext in ("html", "pdf", "ipynb"):
        (out / "min_variance" / f"drift_audit.{ext}").write_text("x")
    (out / "committee_packet.pdf").write_text("x")
    manifest = {
        "as_of": "2022-12-28", "data_latest": "2022-12-28", "status": "complete", "updated_at": "2026-12-07T10:00:00",
        "reports": [
            {"profile": "min_variance", "notebook": "drift_audit", "ok": True,
             "scraps": {"decision_action": "DEFER", "decision_reason": "drift <b>12%</b> but the planner waits",
                        "drift_status": "REBALANCE"}},
            {"profile": "min_variance", "notebook": "risk_stress", "ok": False, "error": "cell 3 raised <KeyError>"},
            {"profile": "<script>alert(1)</script>", "notebook": "", "ok": False, "error": "invalid profile"},
        ]}
    return out, manifest


def test_the_index_lists_each_profile_with_its_decision_status_and_links(tmp_path):
    out, manifest = _week(tmp_path)
    page = index_html(out, manifest)
    assert "Weekly reports as of 2022-12-28" in page
    assert '<a href="committee_packet.pdf">committee packet (PDF)</a>' in page
    assert "committee_packet.html" not in page  # not there: no dead link
    assert ">DEFER</span>" in page and "drift status <b>REBALANCE</b>" in page
    for ext in ("html", "pdf", "ipynb"):
        assert f'href="min_variance/drift_audit.{ext}"' in page
    assert "1 of 2 report(s) ok" in page and "FAILED" in page


def test_every_value_from_the_data_is_escaped_and_nothing_is_fetched(tmp_path):
    out, manifest = _week(tmp_path)
    page = index_html(out, manifest)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;12%&lt;/b&gt;" in page and "&lt;KeyError&gt;" in page
    assert not re.search(r'(src|href)="(https?:|//|file:)', page)  # relative links only, no fetch
    assert "<script" not in page.lower()


def test_writing_run_json_writes_the_index_beside_it(tmp_path):
    out, manifest = _week(tmp_path)
    write_manifest(out, manifest)
    assert (out / "run.json").is_file() and (out / INDEX).read_text() == index_html(out, manifest)
