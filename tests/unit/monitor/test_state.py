"""Last Implemented State: first run, acceptance, history, atomic writes, corrupted files."""
from __future__ import annotations

import json
import os
from datetime import date

import pandas as pd
import pytest

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError, StateError
from rebal.monitor.baseline import accept_target, drift_monitor
from rebal.monitor.state import StateStore


def test_accept_keeps_history_with_who_and_when(tmp_path):
    st = StateStore(tmp_path)
    assert st.history("p") == [] and st.current("p") is None
    st.accept("p", pd.Series({"A": 0.6, "CASH": 0.4}), as_of=date(2024, 1, 2), source="target", accepted_by="ann")
    st.accept("p", pd.Series({"A": 0.5, "B": 0.5}), as_of=date(2024, 2, 1), source="target", accepted_by="bob")
    h = st.history("p")
    assert [e.accepted_by for e in h] == ["ann", "bob"]
    assert st.current("p").weights.to_dict() == {"A": 0.5, "B": 0.5}
    assert st.current("p", as_of=date(2024, 1, 31)).accepted_by == "ann"  # no look-ahead on reruns
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_weights_must_sum_to_one(tmp_path):
    with pytest.raises(StateError, match="sum to 1"):
        StateStore(tmp_path).accept("p", pd.Series({"A": 0.7}), as_of=date(2024, 1, 2), source="target")


@pytest.mark.parametrize("content", ["", "{not json", '{"schema": 1, "profile": "p", "history": []}',
                                     '{"schema": 1, "profile": "p", "history": [{"weights": {"A": 0.5}}]}'])
def test_corrupted_state_is_a_clear_error_and_left_untouched(tmp_path, content):
    st = StateStore(tmp_path)
    st.path("p").write_text(content)
    with pytest.raises(StateError, match=r"p\.json: corrupted state file"):
        st.history("p")
    with pytest.raises(StateError, match="corrupted state file"):
        st.accept("p", pd.Series({"A": 1.0}), as_of=date(2024, 1, 2), source="target")
    assert st.path("p").read_text() == content


def test_a_crash_mid_write_leaves_the_old_state(tmp_path, monkeypatch):
    st = StateStore(tmp_path)
    st.accept("p", pd.Series({"A": 1.0}), as_of=date(2024, 1, 2), source="target")
    before = st.path("p").read_text()

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    from rebal.errors import StateError

    with pytest.raises(StateError, match=r"p\.json: cannot write the state file \(disk full\); nothing was recorded"):
        st.accept("p", pd.Series({"B": 1.0}), as_of=date(2024, 1, 3), source="target")
    assert st.path("p").read_text() == before
    assert [f.name for f in tmp_path.iterdir() if f.name != ".p.lock"] == ["p.json"]  # no temporary file left


def test_unsafe_profile_name_for_state(tmp_path):
    from rebal.errors import ConfigError

    with pytest.raises(ConfigError, match="invalid profile name"):
        StateStore(tmp_path).path("../x")


def test_monitor_first_run_snapshots_then_reports_then_accepts(tiny_home):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    prof = load_profile("tiny", tiny_home / "params" / "profiles")
    st = StateStore(tiny_home / "data" / "lakehouse" / "states")
    with Lakehouse(lake) as lh:
        first = drift_monitor(prof, lh, st)
        assert first.first_run and first.audit is None
        assert first.baseline.source == "holdings" and first.baseline.as_of == date(2024, 1, 2)
        # implemented 40/30/20/10 % on 2024-01-02 (see conftest)
        assert first.baseline.weights.to_dict() == pytest.approx({"AAA": 0.4, "BBB": 0.3, "CCC": 0.2, "CASH": 0.1})
        second = drift_monitor(prof, lh, st)
        assert not second.first_run
        # same hand-worked drift as the notebook test: 460 / 10400
        assert second.audit.result.portfolio_drift == pytest.approx(460 / 10400)
        assert second.audit.lis.source == "accepted state"
        accept_target(prof, lh, st, accepted_by="committee")
        third = drift_monitor(prof, lh, st)
        assert third.audit.result.portfolio_drift == pytest.approx(0.0, abs=1e-12)
    assert [e.accepted_by for e in st.history("tiny")] == ["rebal drift-monitor", "committee"]


def test_monitor_without_holdings_snapshots_the_target(tiny_home):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(lake, read_only=False) as lh:
        lh.con.execute("DELETE FROM holdings")
        lh.con.execute("DELETE FROM cash_balances")
    prof = load_profile("tiny", tiny_home / "params" / "profiles")
    st = StateStore(tmp := tiny_home / "states")
    with Lakehouse(lake) as lh:
        res = drift_monitor(prof, lh, st)
    assert res.baseline.source == "target" and res.baseline.as_of == date(2024, 1, 5)
    assert json.loads((tmp / "tiny.json").read_text())["history"][0]["weights"]["AAA"] == pytest.approx(0.4)


def test_no_lis_at_all_is_a_data_error(tiny_home):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(lake, read_only=False) as lh:
        lh.con.execute("DELETE FROM holdings")
        lh.con.execute("DELETE FROM cash_balances")
    from rebal.monitor.audit import drift_audit

    prof = load_profile("tiny", tiny_home / "params" / "profiles")
    with Lakehouse(lake) as lh, pytest.raises(DataError, match="no Last Implemented State"):
        drift_audit(prof, lh, None, StateStore(tiny_home / "states"))
