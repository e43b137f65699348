"""A week's folder across runs: reruns merge into run.json and the packet; `rebal packet` rebuilds from files."""
from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import TINY_CASH, TINY_HOLDINGS, make_tiny_home

from rebal.cli import main
from rebal.data.lakehouse import Lakehouse
from rebal.paths import get_paths
from rebal.report import week
from rebal.report.runner import run_weekly

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf]


def _two_profile_home(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
    prof = (home / "params" / "profiles" / "tiny.yaml").read_text()
    (home / "params" / "profiles" / "tiny2.yaml").write_text(prof)
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=False) as lh, lh.transaction() as con:
        for t, n in TINY_HOLDINGS.items():
            con.execute("INSERT INTO holdings VALUES ('tiny2', DATE '2024-01-02', ?, ?, 'test')", [t, n])
        con.execute("INSERT INTO cash_balances VALUES ('tiny2', DATE '2024-01-02', ?, 'test')", [TINY_CASH])
    return home


def test_a_rerun_of_one_profile_keeps_the_others_and_packet_rebuilds_from_files(tmp_path, capsys):
    home = _two_profile_home(tmp_path)
    paths = get_paths(home)
    first = run_weekly(paths=paths, workers=2, progress=False)
    out = first.out_dir
    assert first.ok and {r.profile for r in first.reports} == {"tiny", "tiny2"}
    tiny2_before = (out / "tiny2" / "drift_audit.html").read_text()
    # rerun tiny only: its report is replaced, tiny2's stays in run.json and in the packet
    second = run_weekly(profiles=["tiny"], paths=paths, workers=1, progress=False)
    manifest = json.loads((out / "run.json").read_text())
    assert [(r["profile"], r["notebook"]) for r in manifest["reports"]] == [("tiny", "drift_audit"),
                                                                         ("tiny2", "drift_audit")]
    assert manifest["ok"] and len(manifest["runs"]) == 2 and manifest["runs"][-1]["profiles"] == ["tiny"]
    assert second.packet is not None
    packet = (out / "committee_packet.html").read_text()
    assert 'href="tiny2/drift_audit.html"' in packet and 'href="tiny/drift_audit.html"' in packet
    # rebuilding from the files gives the same packet (but for the time it was generated)
    assert main(["--home", str(home), "packet", "--as-of", str(second.as_of)]) == 0
    assert "rebuilt" in capsys.readouterr().out
    rebuilt = (out / "committee_packet.html").read_text()
    stamp = re.compile(r"generated \d{4}-\d\d-\d\dT[\d:+]+")
    assert stamp.sub("", rebuilt) == stamp.sub("", packet)
    assert (out / "tiny2" / "drift_audit.html").read_text() == tiny2_before  # tiny2 untouched by the rerun


def test_reports_whose_files_are_gone_leave_the_manifest(tmp_path):
    home = _two_profile_home(tmp_path)
    out = run_weekly(paths=get_paths(home), workers=2, progress=False).out_dir
    shutil.rmtree(out / "tiny2")
    merged = week.merge_manifest(out, {"as_of": "2024-01-05", "data_latest": "2024-01-05"}, [])
    assert [r["profile"] for r in merged["reports"]] == ["tiny"]


def test_packet_without_a_run_is_a_one_line_error(tmp_path, capsys):
    home = make_tiny_home(tmp_path / "proj")
    assert main(["--home", str(home), "packet", "--as-of", "2024-01-05"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no weekly run for 2024-01-05" in err[0]


def test_a_packet_that_fails_to_render_keeps_the_weeks_reports(tmp_path, monkeypatch):
    """The packet follows the reports' PDFs: a packet failure must not take the reports with it."""
    home = make_tiny_home(tmp_path / "proj")

    def broken(out_dir, **kw):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(week, "build_packet", broken)
    with pytest.raises(RuntimeError, match="layout failed"):
        run_weekly(paths=get_paths(home), workers=1, progress=False)
    out = next((home / "reports").iterdir())
    for ext in ("ipynb", "html", "pdf"):
        assert (out / "tiny" / f"drift_audit.{ext}").is_file()  # published in full
    doc = json.loads((out / "run.json").read_text())
    assert [(r["notebook"], r["ok"]) for r in doc["reports"]] == [("drift_audit", True)]
    assert not (out / week.PACKET).exists() and not list(out.glob(".staging-*"))  # no packet, no staging left
