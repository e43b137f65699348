"""Drift monitor and state acceptance (rebal.monitor.baseline) on the tiny hand-worked project.

The tiny project (tests/conftest.py): AAA, BBB, CCC at 40/44, 20/18, 40/46 on 2024-01-02/05; implemented
on 2024-01-02 as 100 AAA, 150 BBB, 50 CCC and $1,000 cash = $10,000 at the 40/30/20/10 % target.
Portfolio drift D = 1/2 x sum |actual - target| over the assets and cash.
"""
from __future__ import annotations

from datetime import date

import pytest
from conftest import TINY_PRICES

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError
from rebal.monitor.baseline import accept_target, drift_monitor, monitor_json
from rebal.monitor.state import StateStore

TARGET = {"AAA": 0.40, "BBB": 0.30, "CCC": 0.20, "CASH": 0.10}


@pytest.fixture
def tiny(tiny_home):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    prof = load_profile("tiny", tiny_home / "params" / "profiles")
    return tiny_home, lake, prof, StateStore(tiny_home / "data" / "lakehouse" / "states")


def _drop_holdings(lake):
    with Lakehouse(lake, read_only=False) as lh:
        lh.con.execute("DELETE FROM holdings")
        lh.con.execute("DELETE FROM cash_balances")


def _carried(weights: dict[str, float], d0: str, d1: str) -> dict[str, float]:
    """Weights implemented on d0 held (buy and hold) to d1, by hand from TINY_PRICES."""
    col = {"AAA": 0, "BBB": 1, "CCC": 2}
    value = {t: w * (TINY_PRICES[d1][col[t]] / TINY_PRICES[d0][col[t]] if t in col else 1.0) for t, w in weights.items()}
    total = sum(value.values())
    return {t: v / total for t, v in value.items()}


def test_first_run_records_the_holdings_as_baseline_and_reports_no_drift(tiny):
    _, lake, prof, st = tiny
    with Lakehouse(lake) as lh:
        res = drift_monitor(prof, lh, st)
    assert res.first_run and res.audit is None and res.as_of == date(2024, 1, 5)
    js = monitor_json(res)
    assert js["first_run"] is True and js["profile"] == "tiny" and js["as_of"] == "2024-01-05"
    assert js["message"] == "baseline from the holdings implemented on 2024-01-02 (first drift-monitor run)"
    base = js["baseline"]
    assert base["as_of"] == "2024-01-02" and base["source"] == "holdings" and base["accepted_by"] == "rebal drift-monitor"
    # 4000 / 3000 / 2000 of stock and 1000 cash out of 10,000 on 2024-01-02
    assert base["weights"] == pytest.approx(TARGET)
    assert [e.source for e in st.history("tiny")] == ["holdings"]


def test_second_run_audits_drift_against_the_baseline_by_hand(tiny):
    _, lake, prof, st = tiny
    with Lakehouse(lake) as lh:
        drift_monitor(prof, lh, st)
        res = drift_monitor(prof, lh, st)
    assert not res.first_run and res.baseline is None
    js = monitor_json(res)
    # as of 2024-01-05: 4400 + 2700 + 2300 + 1000 = 10,400; gaps vs 40/30/20/10 %: +240, -420, +220, -40
    assert js["first_run"] is False and js["status"] == "MAINTAIN"
    assert js["turnover"] == pytest.approx(460 / 10400)
    assert js["max_drift_asset"] == "BBB" and js["max_abs_drift"] == pytest.approx(420 / 10400)
    assert js["thresholds"] == {"rebalance": 0.10, "urgent": 0.20, "single_asset_urgent": 0.075}
    assert js["last_implemented"]["as_of"] == "2024-01-02" and js["last_implemented"]["source"] == "accepted state"
    assets = {r["asset"]: r for r in js["assets"]}
    assert {a: r["actual"] for a, r in assets.items()} == pytest.approx(
        {"AAA": 4400 / 10400, "BBB": 2700 / 10400, "CCC": 2300 / 10400, "CASH": 1000 / 10400})
    assert {a: r["target"] for a, r in assets.items()} == pytest.approx(TARGET)
    assert {a: r["drift"] for a, r in assets.items()} == pytest.approx(
        {"AAA": 240 / 10400, "BBB": -420 / 10400, "CCC": 220 / 10400, "CASH": -40 / 10400})
    assert not any(r["beyond_band"] for r in assets.values())


def test_a_rerun_as_of_an_earlier_date_audits_that_date(tiny):
    _, lake, prof, st = tiny
    with Lakehouse(lake) as lh:
        drift_monitor(prof, lh, st)
        res = drift_monitor(prof, lh, st, date(2024, 1, 3))
    # 4200 + 2850 + 2050 + 1000 = 10,100; gaps 160, 180, 30, 10 -> 190 / 10,100
    assert res.audit.as_of == date(2024, 1, 3)
    assert res.audit.result.portfolio_drift == pytest.approx(190 / 10100)


def test_accept_target_becomes_the_state_the_next_audit_drifts_from(tiny):
    _, lake, prof, st = tiny
    with Lakehouse(lake) as lh:
        drift_monitor(prof, lh, st)
        entry = accept_target(prof, lh, st, date(2024, 1, 4), accepted_by="ops")
        res = drift_monitor(prof, lh, st)
    assert entry.as_of == date(2024, 1, 4) and entry.source == "target" and entry.accepted_by == "ops"
    assert entry.note == "fixed target accepted as implemented"
    assert entry.weights.to_dict() == pytest.approx(TARGET)
    # the 40/30/20/10 % accepted on 2024-01-04 held to 2024-01-05 (AAA 43 -> 44, BBB 18.5 -> 18, CCC 44 -> 46)
    actual = _carried(TARGET, "2024-01-04", "2024-01-05")
    expected = 0.5 * sum(abs(actual[t] - TARGET[t]) for t in TARGET)
    assert res.audit.lis.as_of == date(2024, 1, 4) and res.audit.lis.source == "accepted state"
    assert res.audit.actual.to_dict() == pytest.approx(actual)
    assert res.audit.result.portfolio_drift == pytest.approx(expected)
    assert [e.accepted_by for e in st.history("tiny")] == ["rebal drift-monitor", "ops"]


def test_accept_target_defaults_to_the_latest_date_and_keeps_a_note(tiny):
    _, lake, prof, st = tiny
    with Lakehouse(lake) as lh:
        entry = accept_target(prof, lh, st, note="weekly committee")
    assert entry.as_of == date(2024, 1, 5) and entry.note == "weekly committee"
    assert st.current("tiny").note == "weekly committee"


def test_first_run_without_holdings_takes_the_target_as_of_the_date(tiny):
    _, lake, prof, st = tiny
    _drop_holdings(lake)
    with Lakehouse(lake) as lh:
        res = drift_monitor(prof, lh, st, date(2024, 1, 3))
    assert res.baseline.source == "target" and res.baseline.as_of == date(2024, 1, 3)
    assert res.baseline.note == ("baseline: the current target as of 2024-01-03, taken as implemented "
                                 "(first drift-monitor run)")
    assert res.baseline.weights.to_dict() == pytest.approx(TARGET)


def test_first_run_with_neither_holdings_nor_enough_data_for_the_target_is_a_data_error(tiny):
    home, lake, _, st = tiny
    _drop_holdings(lake)
    path = home / "params" / "profiles" / "ew.yaml"
    path.write_text("universe: [AAA, BBB, CCC]\nbenchmark: IDX\ntarget: {method: equal_weight, lookback_days: 20}\n"
                    "notebooks: [drift_audit]\n")
    with Lakehouse(lake) as lh, pytest.raises(DataError, match=r"ew\.yaml: `target.lookback_days`: needs 20 daily "
                                                               r"returns up to 2024-01-05, only 3 available"):
        drift_monitor(load_profile(path), lh, st)
    assert st.history("ew") == []  # nothing recorded
