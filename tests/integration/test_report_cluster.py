"""`rebal run --scheduler`: the weekly job on a Dask ``LocalCluster`` equals the local run."""
from __future__ import annotations

import json
import time

import pytest
import scrapbook as sb
from conftest import add_failing_profile, make_tiny_home

from rebal.paths import get_paths
from rebal.report.runner import run_weekly

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf, pytest.mark.dask]


def _home(root):
    home = make_tiny_home(root / "proj")
    add_failing_profile(home)
    return home


def _layout(home):
    out = home / "reports" / "2024-01-05"
    return sorted(str(p.relative_to(out)) for p in out.rglob("*"))


def _scraps(path):
    return {k: (v.data.to_dict() if hasattr(v.data, "to_dict") else v.data)
            for k, v in sb.read_notebook(str(path)).scraps.items()}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same two tiny profiles (one notebook fails) run locally and on a 2-worker LocalCluster."""
    from distributed import LocalCluster

    local = _home(tmp_path_factory.mktemp("local"))
    remote = _home(tmp_path_factory.mktemp("remote"))
    lo = run_weekly(paths=get_paths(local), workers=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        address = c.scheduler_address
        da = run_weekly(paths=get_paths(remote), scheduler=address, progress=False)
    return local, lo, remote, da, address


def test_cluster_run_has_the_local_runs_scraps_and_files(both):
    local, lo, remote, da, _ = both
    assert [(r.profile, r.notebook, r.ok) for r in da.reports] == [(r.profile, r.notebook, r.ok) for r in lo.reports]
    for a, b in zip(lo.reports, da.reports, strict=True):
        assert b.scraps == a.scraps
        assert [o.replace(str(remote), "") for o in b.outputs] == [o.replace(str(local), "") for o in a.outputs]
    assert _layout(remote) == _layout(local)
    out_l, out_r = local / "reports" / "2024-01-05", remote / "reports" / "2024-01-05"
    assert _scraps(out_r / "tiny" / "drift_audit.ipynb") == _scraps(out_l / "tiny" / "drift_audit.ipynb")
    assert (out_r / "committee_packet.pdf").is_file() and not list(out_r.glob(".staging-*"))


def test_a_failing_notebook_on_the_cluster_fails_only_its_report(both):
    _, _, remote, da, address = both
    assert not da.ok
    by = {r.profile: r for r in da.reports}
    assert by["tiny"].ok and not by["tiny_fail"].ok
    assert "profile tiny_fail" in by["tiny_fail"].error
    assert "RuntimeError: injected failure for the test" in by["tiny_fail"].error
    out = remote / "reports" / "2024-01-05"
    assert sorted(p.name for p in (out / "tiny_fail").iterdir()) == ["drift_audit.failed.ipynb"]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["ok"] is False and len(manifest["reports"]) == 2 and not manifest["in_progress"]
    assert manifest["runs"][-1]["scheduler"] == address and manifest["runs"][-1]["workers"] == 2
    assert [o for r in manifest["reports"] for o in r["outputs"]] == [str(out / "tiny" / f"drift_audit.{e}")
                                                                       for e in ("ipynb", "html", "pdf")]


def test_the_local_run_records_that_it_ran_locally(both):
    local = both[0]
    manifest = json.loads((local / "reports" / "2024-01-05" / "run.json").read_text())
    assert manifest["runs"][-1]["scheduler"] == "local"


def test_an_interrupt_cancels_the_tasks_still_on_the_cluster():
    """Ctrl-C after the first result: every task is cancelled (force) and the scheduler forgets them."""
    from distributed import Client, LocalCluster

    from rebal.report.cluster import run_on_cluster

    def interrupt(_):
        raise KeyboardInterrupt

    args = [("p", nb, "2024-01-05", "/nowhere", "/nowhere/staging", "/nowhere/final")
            for nb in ("quick", "slow1", "slow2", "slow3")]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c, \
            Client(c) as client:
        cancelled = []
        cancel = client.cancel
        client.cancel = lambda futures, **kw: (cancelled.append((len(futures), kw)), cancel(futures, **kw))[1]
        with pytest.raises(KeyboardInterrupt):  # the first result arrives and the user presses Ctrl-C
            run_on_cluster(client, _first_quick, args, interrupt, lambda a, e: None)
        assert cancelled == [(4, {"force": True})]
        deadline = time.monotonic() + 2  # well before the slow tasks would have run (3 s each)
        while time.monotonic() < deadline and client.run_on_scheduler(_n_tasks):
            time.sleep(0.1)
        assert client.run_on_scheduler(_n_tasks) == 0


def _first_quick(args):
    """A job that returns at once for notebook ``quick`` and takes 3 s for the others."""
    if args[1] != "quick":
        time.sleep(3)
    from rebal.report.runner import ReportResult

    return ReportResult(args[0], args[1], False, 0.0, error="quick")


def _n_tasks(dask_scheduler=None):
    return len(dask_scheduler.tasks)
