"""The weekly run under trouble and in reruns: a broken profile beside valid ones, a run killed mid-way, two runs at
once, --html-only and --no-packet, a rerun with nothing to make.

The killed run, the two runs at once and the reruns share one week (:func:`recovered_week`, built once per test
session under a file lock, so xdist workers wait for it rather than build it again): the two runs at once are the
runs after the killed one, so one week of notebooks shows both that a killed run leaves nothing running and a
stale marker the next runs clear, and that two runs of different profiles merge into run.json and the packet.
The tests read it; the reruns work on a copy.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, TINY_CASH, TINY_HOLDINGS, assert_one_line_error, make_tiny_home

from rebal.data.lakehouse import Lakehouse
from rebal.paths import get_paths
from rebal.report import week
from rebal.report.runner import run_weekly

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf, pytest.mark.slow]

WEEK = "2024-01-05"


def _add_profile(home: Path, name: str, holdings: bool = True) -> None:
    (home / "params" / "profiles" / f"{name}.yaml").write_text((home / "params" / "profiles" / "tiny.yaml").read_text())
    if holdings:
        with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=False) as lh, lh.transaction() as con:
            for t, n in TINY_HOLDINGS.items():
                con.execute("INSERT INTO holdings VALUES (?, DATE '2024-01-02', ?, ?, 'test')", [name, t, n])
            con.execute("INSERT INTO cash_balances VALUES (?, DATE '2024-01-02', ?, 'test')", [name, TINY_CASH])


def _rebal(home: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen([sys.executable, "-m", "rebal", "--home", str(home), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_broken_profile_is_reported_and_the_valid_ones_run(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
    (home / "params" / "profiles" / "broken.yaml").write_text(
        (home / "params" / "profiles" / "tiny.yaml").read_text() + "drift: {rebalance: 0.1}\ndrift: {urgent: 0.3}\n")
    _add_profile(home, "unheld", holdings=False)  # valid file, but nothing implemented: its data is unfit
    res = _rebal(home, "run", "--workers", "1", "--quiet")
    out, err = res.communicate(timeout=600)
    assert res.returncode == 1, err  # something failed: not 0, and not 2 (the valid profile ran)
    assert "Traceback" not in err
    assert "rebal: profile left out:" in err and "duplicate key `drift`" in err and "unheld" in err
    out_dir = home / "reports" / WEEK
    assert (out_dir / "tiny" / "drift_audit.pdf").is_file()
    doc = json.loads((out_dir / week.MANIFEST).read_text())
    entries = {(r["profile"], r["notebook"]): r for r in doc["reports"]}
    assert entries[("tiny", "drift_audit")]["ok"]
    assert entries[("broken", "")] == {**week.invalid_profile_entry("broken", entries[("broken", "")]["error"])}
    assert "duplicate key `drift` at line 10 (first at line 9)" in entries[("broken", "")]["error"]
    assert "no Last Implemented State" in entries[("unheld", "")]["error"] or "holdings" in entries[("unheld", "")]["error"]
    assert doc["ok"] is False and doc["status"] == "complete" and doc["runs"][-1]["invalid_profiles"] == ["broken", "unheld"]
    packet = (out_dir / "committee_packet.html").read_text()
    assert "broken" in packet and "duplicate key" in packet  # on the cover, as the profile's failure

    # a rerun of another profile keeps the entry; once the profile runs, its "could not run" entry goes
    # (notebooks and HTML only: these reruns are about run.json's entries, not the PDFs or the packet)
    run_weekly(profiles=["tiny"], paths=get_paths(home), workers=1, progress=False, pdf=False)
    assert ("broken", "") in {(r["profile"], r["notebook"]) for r in week.read_manifest(out_dir)["reports"]}
    (home / "params" / "profiles" / "broken.yaml").unlink()
    _add_profile(home, "broken")  # fixed: a valid file and its holdings
    run_weekly(profiles=["broken"], paths=get_paths(home), workers=1, progress=False, pdf=False)
    keys = {(r["profile"], r["notebook"]) for r in week.read_manifest(out_dir)["reports"]}
    assert ("broken", "drift_audit") in keys and ("broken", "") not in keys


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class RecoveredWeek:
    """A week whose first run was killed mid-way, then run again by two runs of different profiles at once."""

    home: Path
    killed_pid: int
    in_progress: dict  # run.json while the killed run was running
    survivors: list[int]  # its workers and kernels still alive 15 s after the kill
    after_kill: dict  # run.json after the kill
    stale_staging: list[str]
    #: profile -> (exit code, stderr) of the run after the kill
    runs: dict[str, tuple[int, str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def recovered_week(tmp_path_factory) -> RecoveredWeek:
    """The week of :func:`_kill_then_run_twice`, built once per session (every xdist worker shares the base temp)."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("reads the process tree from /proc")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    built = shared / "recovered_week" / "week.json"
    with open(shared / "recovered_week.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.is_file():
            w = _kill_then_run_twice(built.parent / "proj")
            built.write_text(json.dumps({**asdict(w), "home": str(w.home)}))
    doc = json.loads(built.read_text())
    return RecoveredWeek(**{**doc, "home": Path(doc["home"])})


def _kill_then_run_twice(home: Path) -> RecoveredWeek:
    """Kill a run of profiles tiny and tiny2 while its kernel works, then run tiny and tiny2 at once (see the module)."""
    home = make_tiny_home(home)
    _add_profile(home, "tiny2")
    nb_path = home / "notebooks" / "drift_audit.ipynb"
    original = nb_path.read_text()
    nb = json.loads(original)
    idx = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", []))
    nb["cells"].insert(idx + 1, {"cell_type": "code", "id": "slow", "metadata": {}, "execution_count": None,
                                 "outputs": [], "source": ["import time\n", "time.sleep(120)"]})
    nb_path.write_text(json.dumps(nb))
    proc = _rebal(home, "run", "--workers", "1", "--quiet")
    out_dir = home / "reports" / WEEK
    deadline = time.monotonic() + 120
    tree: set[int] = set()
    while time.monotonic() < deadline:  # wait for the worker's kernel: the whole chain is running
        tree = _descendants(proc.pid)
        kernels = [p for p in tree if "rebal.report._kernel" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]
        if kernels:
            break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("no kernel started within 120 s")
    in_progress = week.read_manifest(out_dir)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    gone_by = time.monotonic() + 15
    while time.monotonic() < gone_by and any(_alive(p) for p in tree):
        time.sleep(0.25)
    killed = RecoveredWeek(home, proc.pid, in_progress, [p for p in tree if _alive(p)], week.read_manifest(out_dir),
                           [p.name for p in out_dir.glob(".staging-*")])
    nb_path.write_text(original)
    procs = {name: _rebal(home, "run", "--profile", name, "--workers", "1") for name in ("tiny", "tiny2")}
    for name, p in procs.items():
        out, err = p.communicate(timeout=600)
        killed.runs[name] = (p.returncode, err)
    return killed


def test_a_killed_run_takes_its_workers_and_kernels_with_it_and_leaves_a_stale_marker(recovered_week):
    w = recovered_week
    doc = w.in_progress
    assert doc["status"] == "in progress" and doc["ok"] is False and doc["in_progress"][0]["pid"] == w.killed_pid
    assert not w.survivors, "workers or kernels outlived the killed run"
    doc = w.after_kill
    assert doc["status"] == "interrupted" and doc["stale"] is True and doc["ok"] is False
    assert w.stale_staging, "the killed run's staging folder is there to be cleaned"
    # the next runs (two at once) complete the week and clear the killed run's staging folder
    assert all(rc == 0 for rc, _ in w.runs.values()), w.runs
    out_dir = w.home / "reports" / WEEK
    doc = week.read_manifest(out_dir)
    assert doc["status"] == "complete" and doc["ok"] is True and not doc["in_progress"]
    assert [r.get("interrupted") for r in doc["runs"]] == [True, None, None]
    assert not list(out_dir.glob(".staging-*"))


def test_two_runs_of_different_profiles_at_once_both_end_up_in_run_json_and_the_packet(recovered_week):
    w = recovered_week
    for rc, err in w.runs.values():
        assert rc == 0, err
    doc = week.read_manifest(w.home / "reports" / WEEK)
    assert {(r["profile"], r["notebook"]) for r in doc["reports"]} == {("tiny", "drift_audit"), ("tiny2", "drift_audit")}
    assert doc["status"] == "complete" and doc["ok"] is True and len(doc["runs"]) == 3
    assert sorted(tuple(r["profiles"]) for r in doc["runs"][1:]) == [("tiny",), ("tiny2",)]
    packet = (w.home / "reports" / WEEK / "committee_packet.html").read_text()
    assert "tiny2" in packet and packet.count("tiny2") >= 2  # the packet is built from both runs' reports
    pdf_sections = [e.profile for e in week.packet_entries(w.home / "reports" / WEEK, doc) if e.ok]
    assert sorted(pdf_sections) == ["tiny", "tiny2"]


def test_a_run_says_what_it_does_in_the_pdf_and_packet_stage(recovered_week):
    lines = recovered_week.runs["tiny"][1].splitlines()
    at = {key: next(i for i, x in enumerate(lines) if key in x)
          for key in ("ok  tiny/drift_audit", "rendering 1 PDF(s)", "pdf tiny/drift_audit (", "committee packet: "
                      "the decision document", "of decision document", "1/1 report(s)")}
    # in the order they happen: the reports' PDFs are the packet's appendix, so the packet follows them
    first, render, pdf, lay, laid, end = at.values()
    assert first < render < pdf < lay < laid < end, lines
    assert ", packet " in lines[end]


def test_html_only_no_packet_and_a_rerun_with_nothing_to_make(recovered_week, tmp_path, cli):
    home = tmp_path / "proj"
    shutil.copytree(recovered_week.home, home)  # a copy: the other tests read the week as it was built
    out = home / "reports" / WEEK
    report = out / "tiny" / "drift_audit"
    packet = (out / week.PACKET).read_bytes()
    assert report.with_suffix(".pdf").is_file() and week.read_manifest(out)["runs"][-1]["outputs"] == "all"

    # --html-only: the notebook and its HTML are published, the report's old PDF is removed, the packet is kept
    old_html = report.with_suffix(".html").stat().st_mtime_ns
    res = cli(home, "run", "--profile", "tiny", "--workers", "1", "--html-only")
    assert res.returncode == 0, res.stderr
    assert "pdf tiny/" not in res.stderr and "committee packet" not in res.stderr
    assert "packet not rebuilt (--html-only" in res.stderr and f"rebal packet --as-of {WEEK}" in res.stderr
    assert report.with_suffix(".html").stat().st_mtime_ns != old_html and report.with_suffix(".ipynb").is_file()
    assert not report.with_suffix(".pdf").exists() and (out / "tiny2" / "drift_audit.pdf").is_file()
    assert (out / week.PACKET).read_bytes() == packet
    doc = week.read_manifest(out)
    assert doc["runs"][-1]["outputs"] == "html only" and doc["ok"] and doc["status"] == "complete"
    entry = next(r for r in doc["reports"] if r["profile"] == "tiny")
    assert entry["outputs"] == [str(report.with_suffix(".ipynb")), str(report.with_suffix(".html"))]

    # --no-packet: the PDF again, the packet kept
    res = cli(home, "run", "--profile", "tiny", "--workers", "1", "--no-packet")
    assert res.returncode == 0, res.stderr
    assert "pdf tiny/drift_audit (" in res.stderr and "committee packet:" not in res.stderr
    assert report.with_suffix(".pdf").is_file() and (out / week.PACKET).read_bytes() == packet
    assert week.read_manifest(out)["runs"][-1]["outputs"] == "no packet"

    # nothing to make: say why, write nothing, leave the packet, exit 2
    before = (out / week.MANIFEST).read_text()
    res = cli(home, "run", "--notebook", "risk4_picks")
    assert_one_line_error(res, "no report to run", "tiny: no risk4 picks", "tiny2: no risk4 picks", "risk4")
    assert (out / week.MANIFEST).read_text() == before and (out / week.PACKET).read_bytes() == packet
    assert cli(home, "run", "--html-only", "--no-packet").returncode == 2  # one or the other
