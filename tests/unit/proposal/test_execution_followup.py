"""`propose --execute` checks what can fail before the broker commits; after the commit, a failing follow-up
(the state write) is reported as executed with the repair command and exit code 3, never as a failure."""
from __future__ import annotations

import errno
import json
import os
from datetime import date

import pytest
from conftest import assert_one_line_error

from rebal.analytics.drift import weights_from_holdings
from rebal.data.lakehouse import Lakehouse
from rebal.errors import StateError
from rebal.monitor.state import StateStore

AS_OF = date(2022, 12, 28)
TABLES = ("holdings", "cash_balances", "orders", "fills", "rebalance_history")


def _lake(home, write=False):
    return Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=not write)


def _digest(home):
    with _lake(home, True) as lh:
        return {t: lh.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def _status(home, pid):
    with _lake(home) as lh:
        return lh.con.execute("SELECT status FROM proposals WHERE id = ?", [pid]).fetchone()[0]


@pytest.fixture
def approved(sample_home, cli):
    res = cli(sample_home, "propose", "--profile", "min_variance", "--json")
    assert res.returncode == 0, res.stderr
    pid = json.loads(res.stdout)["id"]
    assert cli(sample_home, "approve", pid, "--by", "committee").returncode == 0
    return sample_home, pid


def _states_dir(home):
    return home / "data" / "lakehouse" / "states"


def test_a_state_directory_that_refuses_files_stops_the_execution_before_the_commit(approved, cli, monkeypatch):
    home, pid = approved
    before = _digest(home)
    real = os.open

    def read_only(path, flags, *a, **k):
        if str(path).startswith(str(_states_dir(home))) and flags & (os.O_WRONLY | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", read_only)
    res = cli(home, "propose", "--profile", "min_variance", "--execute")
    assert_one_line_error(res, "min_variance.json", "cannot write the state file", "Read-only file system")
    assert _digest(home) == before and _status(home, pid) == "APPROVED"  # nothing executed: approve stands


def test_a_state_that_cannot_be_built_rolls_the_batch_back(approved, cli, monkeypatch):
    home, pid = approved
    before = _digest(home)

    def broken(self, profile, weights, **kw):
        raise StateError(f"{self.path(profile)}: the new state cannot be written as JSON (test)")

    monkeypatch.setattr(StateStore, "prepare", broken)
    assert_one_line_error(cli(home, "propose", "--profile", "min_variance", "--execute"), "cannot be written as JSON")
    assert _digest(home) == before and _status(home, pid) == "APPROVED"


def test_a_state_write_failing_after_the_commit_reports_executed_and_the_repair(approved, cli, monkeypatch):
    home, pid = approved
    real = os.replace

    def disk_full(src, dst, *a, **k):
        if str(dst).endswith(os.path.join("states", "min_variance.json")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(src))
        return real(src, dst, *a, **k)

    with monkeypatch.context() as m:
        m.setattr(os, "replace", disk_full)
        res = cli(home, "propose", "--profile", "min_variance", "--execute", "--by", "ops")
    assert res.returncode == 3, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    repair = f"rebal accept-state --profile min_variance --as-of {AS_OF} --from-holdings"
    assert lines[0].startswith("rebal: executed, but updating the Last Implemented State failed:")
    assert "No space left on device" in lines[0] and f"repair with `{repair}`" in lines[0]
    assert "✅ executed" in res.stdout and "failed" not in res.stdout.split("✅ executed")[0]
    assert _status(home, pid) == "EXECUTED"
    assert StateStore(_states_dir(home)).current("min_variance") is None or \
        StateStore(_states_dir(home)).current("min_variance").source != "paper execution"

    # the repair records the executed holdings, valued at the as-of closes (worked out here from the tables)
    fix = cli(home, *repair.split()[1:])
    assert fix.returncode == 0, fix.stderr
    state = StateStore(_states_dir(home)).current("min_variance")
    with _lake(home) as lh:
        snap, shares, cash = lh.at(AS_OF).holdings("min_variance")
        closes = lh.at(AS_OF).prices(list(shares.index)).iloc[-1]
    assert snap == AS_OF and state.source == "holdings" and state.as_of == AS_OF
    expected = weights_from_holdings(shares, closes, cash)
    expected = expected[expected.abs() > 0]
    assert state.weights.sort_index().to_dict() == pytest.approx(expected.sort_index().to_dict(), abs=1e-12)
