"""The weekly run under trouble: a broken profile beside valid ones, a run killed mid-way, two runs at once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, TINY_CASH, TINY_HOLDINGS, make_tiny_home

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
    run_weekly(profiles=["tiny"], paths=get_paths(home), workers=1, progress=False)
    assert ("broken", "") in {(r["profile"], r["notebook"]) for r in week.read_manifest(out_dir)["reports"]}
    (home / "params" / "profiles" / "broken.yaml").unlink()
    _add_profile(home, "broken")  # fixed: a valid file and its holdings
    run_weekly(profiles=["broken"], paths=get_paths(home), workers=1, progress=False)
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


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
def test_a_killed_run_takes_its_workers_and_kernels_with_it_and_leaves_a_stale_marker(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
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
    doc = week.read_manifest(out_dir)
    assert doc["status"] == "in progress" and doc["ok"] is False and doc["in_progress"][0]["pid"] == proc.pid
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    gone_by = time.monotonic() + 15
    while time.monotonic() < gone_by and any(_alive(p) for p in tree):
        time.sleep(0.25)
    assert not [p for p in tree if _alive(p)], "workers or kernels outlived the killed run"
    doc = week.read_manifest(out_dir)
    assert doc["status"] == "interrupted" and doc["stale"] is True and doc["ok"] is False
    stale = list(out_dir.glob(".staging-*"))
    assert stale, "the killed run's staging folder is there to be cleaned"

    nb_path.write_text(original)
    outcome = run_weekly(paths=get_paths(home), workers=1, progress=False)
    assert outcome.ok
    doc = week.read_manifest(out_dir)
    assert doc["status"] == "complete" and doc["ok"] is True and not doc["in_progress"]
    assert [r.get("interrupted") for r in doc["runs"]] == [True, None]
    assert not list(out_dir.glob(".staging-*"))


def test_two_runs_of_different_profiles_at_once_both_end_up_in_run_json_and_the_packet(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
    _add_profile(home, "tiny2")
    a, b = _rebal(home, "run", "--profile", "tiny", "--workers", "1", "--quiet"), \
        _rebal(home, "run", "--profile", "tiny2", "--workers", "1", "--quiet")
    for p in (a, b):
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    doc = week.read_manifest(home / "reports" / WEEK)
    assert {(r["profile"], r["notebook"]) for r in doc["reports"]} == {("tiny", "drift_audit"), ("tiny2", "drift_audit")}
    assert doc["status"] == "complete" and doc["ok"] is True and len(doc["runs"]) == 2
    packet = (home / "reports" / WEEK / "committee_packet.html").read_text()
    assert "tiny2" in packet and packet.count("tiny2") >= 2  # the packet is built from both runs' reports
    pdf_sections = [e.profile for e in week.packet_entries(home / "reports" / WEEK, doc) if e.ok]
    assert sorted(pdf_sections) == ["tiny", "tiny2"]
