"""`rebal run --scheduler`: a scheduler that cannot be reached stops the run before anything is written."""
from __future__ import annotations

import socket

import pytest
from conftest import assert_one_line_error, make_tiny_home

import rebal.report.cluster as cluster
from rebal.errors import ClusterError, RebalError
from rebal.paths import get_paths


def _closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.dask  # imports distributed and tries to connect
def test_unreachable_scheduler_is_one_line_exit_2_and_nothing_written(tmp_path, cli, monkeypatch):
    home = make_tiny_home(tmp_path / "proj")
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1.0)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    res = cli(home, "run", "--scheduler", address)
    assert_one_line_error(res, "--scheduler", address, "cannot reach")
    assert not (home / "reports").exists()
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before


@pytest.mark.dask
def test_connect_raises_a_rebal_error_naming_the_address(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(ClusterError, match=r"--scheduler: cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:\d+' "
                                           r"within 0\.5 s") as info:
        cluster.connect(address, get_paths(home), timeout=0.5)
    assert isinstance(info.value, RebalError)


def test_publish_mirrors_the_local_job(tmp_path):
    """A good report replaces the three files and drops an old .failed; a failed one does the opposite."""
    from rebal.report.runner import ReportResult

    final, staging = tmp_path / "final", tmp_path / "staging"
    (final / "p").mkdir(parents=True)
    (final / "p" / "nb.failed.ipynb").write_text("old failure")
    ok = ReportResult("p", "nb", True, 1.0, outputs=["/elsewhere/nb.ipynb"])
    out = cluster.publish(ok, {"ipynb": b"{}", "html": b"<html>", "pdf": b"%PDF"}, staging, final)
    assert sorted(f.name for f in (final / "p").iterdir()) == ["nb.html", "nb.ipynb", "nb.pdf"]
    assert out.outputs == [str(final / "p" / f"nb.{ext}") for ext in ("ipynb", "html", "pdf")]
    assert (final / "p" / "nb.pdf").read_bytes() == b"%PDF"
    bad = ReportResult("p", "nb", False, 1.0, error="profile p: nb: cell 3 raised")
    cluster.publish(bad, {"failed.ipynb": b"{partial}"}, staging, final)
    assert [f.name for f in (final / "p").iterdir()] == ["nb.failed.ipynb"]
    assert not list((staging / "p").iterdir())  # every staged file was moved into place
    untouched = ReportResult("p", "nb", False, 0.5, error="rendering failed")
    cluster.publish(untouched, None, staging, final)
    assert [f.name for f in (final / "p").iterdir()] == ["nb.failed.ipynb"]
