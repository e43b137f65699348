"""The record of the week (rebal.decision.record): every implementation since the last committee, by any command.

Tiny lakehouse (conftest): implemented on 2024-01-02 as 100 AAA, 150 BBB, 50 CCC and $1,000 cash. A second
snapshot on 2024-01-04 sells 10 AAA at 43 and buys 10 BBB at 18.5 (cash 1000 + 430 - 185 = 1245). At the
2024-01-04 closes both books are worth 4300 + 2775 + 2200 + 1000 = 3870 + 2960 + 2200 + 1245 = 10275, so the
one-way turnover is (430 + 185 + 245) / 2 / 10275 = 430 / 10275 = 4.18 %, with 2 trades.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from rebal.data.lakehouse import Lakehouse
from rebal.decision.record import implementations_since, snapshot_change
from rebal.monitor.state import StateStore


@pytest.fixture
def lake(tiny_home):
    path = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for t, n in (("AAA", 90.0), ("BBB", 160.0), ("CCC", 50.0)):
            con.execute("INSERT INTO holdings VALUES ('tiny', DATE '2024-01-04', ?, ?, 'broker file')", [t, n])
        con.execute("INSERT INTO cash_balances VALUES ('tiny', DATE '2024-01-04', 1245, 'broker file')")
    return path


def test_a_snapshot_is_described_by_its_trades_and_one_way_turnover(lake):
    with Lakehouse(lake) as lh:
        trades, turnover = snapshot_change(lh, "tiny", date(2024, 1, 4))
        assert trades == 2 and turnover == pytest.approx(430 / 10275, rel=1e-12)
        assert snapshot_change(lh, "tiny", date(2024, 1, 2)) is None  # the first snapshot: nothing before it


def test_every_record_since_the_last_committee_is_listed_with_its_command(lake, tiny_home):
    states = StateStore(tiny_home / "states")
    w = pd.Series({"AAA": 0.4, "BBB": 0.3, "CCC": 0.2, "CASH": 0.1})
    states.accept("tiny", w, as_of=date(2024, 1, 3), source="holdings", accepted_by="rebal drift-monitor")
    states.accept("tiny", w, as_of=date(2024, 1, 5), source="target", accepted_by="alice")
    with Lakehouse(lake, read_only=False) as lh, lh.transaction() as con:
        con.execute("INSERT INTO risk4_runs (profile, date, status, generated_at, turnover) VALUES "
                    "('tiny', DATE '2024-01-04', 'REBALANCE', 'now', 0.0418)")
        con.execute("INSERT INTO rebalance_history (profile, executed_at, proposal_id, as_of, status, n_trades, "
                    "actual_cost_bps) VALUES ('tiny', 'now', 'tiny-20240105-ab', DATE '2024-01-05', 'EXECUTED', 3, 4.5)")
    with Lakehouse(lake) as lh:
        got = implementations_since(lh, "tiny", date(2024, 1, 2), date(2024, 1, 5), states)
    assert [i.day for i in got] == [date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 5)]
    assert got[0].records == ("first baseline of the drift monitor, from the holdings (rebal drift-monitor)",)
    assert got[1].what == "2 trade(s), 4.2 % one-way turnover"
    assert got[1].records == ("holdings snapshot, source broker file (rebal data import holdings)",
                              "Risk4 run, status REBALANCE, 4.2 % turnover (rebal risk4)")
    assert "paper execution of tiny-20240105-ab, 3 trade(s), cost 4.5 bps (rebal propose --execute)" in got[2].records
    assert "accepted state, the target accepted as implemented by alice (rebal accept-state)" in got[2].records
    assert got[1].line().startswith("2024-01-04: 2 trade(s), 4.2 % one-way turnover [holdings snapshot")
    # the window is (after, until]: the implementation of 2024-01-02 itself is the last committee's
    with Lakehouse(lake) as lh:
        assert implementations_since(lh, "tiny", date(2024, 1, 4), date(2024, 1, 4)) == []
