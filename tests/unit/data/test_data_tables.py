"""The SQL modules of the data layer, one table group each, on an empty lakehouse built here."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from rebal.data import holdings, proposals, selection_runs, trading
from rebal.data.lakehouse import Lakehouse
from rebal.errors import LakehouseError

D1, D2, D3 = date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)


@pytest.fixture
def lh(tmp_path):
    with Lakehouse(tmp_path / "lake.duckdb", read_only=False) as lake:
        yield lake


def _run(lh, day, status="OK", picks=(("AAA", 1, 0.6, 10.0, 40.0, "Tech", 1.2, 0.2, 1e6),), cash=100.0):
    selection_runs.save_run(lh, "p", day, status=status, generated_at="t", prior_source=None, value=1000.0, cash=cash,
                            exposure=0.9, turnover=0.1, estimated_vol=0.1, estimated_beta=1.0, alerts_json="[]",
                            picks=picks)


def test_recorded_runs_replace_the_same_day_and_the_prior_skips_blocked_runs(lh):
    _run(lh, D1, cash=100.0)
    _run(lh, D2, status="BLOCKED", picks=())
    _run(lh, D1, cash=250.0, picks=(("BBB", 1, 0.5, 5.0, 20.0, "Energy", 0.9, 0.3, 2e6),))  # re-recorded
    assert lh.con.execute("SELECT count(*) FROM risk4_runs").fetchone()[0] == 2
    assert selection_runs.latest_unblocked_run(lh, "p", D3) == (D1, 250.0)       # D2 was blocked
    assert selection_runs.latest_unblocked_run(lh, "p", D1) is None              # strictly before
    assert selection_runs.run_picks(lh, "p", D1).to_dict("records") == [{"ticker": "BBB", "target_shares": 5.0}]


def test_a_failed_run_record_leaves_the_earlier_one(lh):
    _run(lh, D1, cash=100.0)
    dup = (("AAA", 1, 0.5, 1.0, 1.0, "Tech", 0.0, 0.1, 1.0),) * 2  # the same ticker twice: primary key violation
    with pytest.raises(LakehouseError, match="ConstraintException"):  # one line naming the file, not a traceback
        _run(lh, D1, cash=999.0, picks=dup)
    assert selection_runs.latest_unblocked_run(lh, "p", D2) == (D1, 100.0)
    assert len(selection_runs.run_picks(lh, "p", D1)) == 1


def test_without_the_runs_table_there_is_no_prior_run(lh):
    lh.con.execute("DROP TABLE risk4_picks")
    lh.con.execute("DROP TABLE risk4_runs")
    assert selection_runs.latest_unblocked_run(lh, "p", D3) is None


def _propose(lh, pid, created, path="", status="PROPOSED"):
    proposals.insert_proposal(lh, proposal_id=pid, profile=pid.split("-")[0], as_of=D1, created_at=created,
                              status=status, recommendation="REBALANCE", path=path, doc="{}")


def test_proposals_keep_their_approval_when_recorded_again(lh):
    _propose(lh, "p-1", "2024-01-02T10:00Z")
    proposals.mark_approved(lh, "p-1", by="ops@host", at="2024-01-02T11:00Z", note="ok")
    _propose(lh, "p-1", "2024-01-02T12:00Z", path="reports/p.json")
    row = proposals.get_proposal(lh, "p-1")
    assert row["status"] == "APPROVED" and row["approved_by"] == "ops@host" and row["path"] == "reports/p.json"
    assert row["created_at"] == "2024-01-02T10:00Z" and "doc" not in row and row["executed_at"] is None
    _propose(lh, "p-1", "x", path="")  # an empty path leaves the recorded one
    assert proposals.get_proposal(lh, "p-1")["path"] == "reports/p.json"
    assert proposals.get_proposal(lh, "nope") is None


def test_latest_approval_listing_and_execution_status(lh):
    _propose(lh, "p-1", "2024-01-02T10:00Z")
    _propose(lh, "p-2", "2024-01-03T10:00Z")
    _propose(lh, "q-1", "2024-01-04T10:00Z")
    assert proposals.latest_approved_id(lh, "p") is None
    for pid in ("p-1", "p-2"):
        proposals.mark_approved(lh, pid, by="a", at="t", note="")
    assert proposals.latest_approved_id(lh, "p") == "p-2"
    assert list(proposals.list_proposals(lh)["id"]) == ["q-1", "p-2", "p-1"]      # newest first
    assert list(proposals.list_proposals(lh, "p")["id"]) == ["p-2", "p-1"]
    with pytest.raises(RuntimeError):
        with lh.transaction() as con:
            proposals.mark_executed(con, "p-2", "2024-01-05T10:00Z")
            raise RuntimeError("a fill was rejected (test)")
    assert proposals.get_proposal(lh, "p-2")["status"] == "APPROVED"               # rolled back with the batch
    with lh.transaction() as con:
        proposals.mark_executed(con, "p-2", "2024-01-05T10:00Z")
    assert proposals.get_proposal(lh, "p-2")["status"] == "EXECUTED"


def test_without_the_proposals_table(lh):
    lh.con.execute("DROP TABLE proposals")
    assert proposals.get_proposal(lh, "p-1") is None and proposals.list_proposals(lh).empty


def _history(con, profile, i, keep):
    trading.append_history(con, profile=profile, executed_at=f"2024-01-0{i}T00:00Z", proposal_id=f"{profile}-{i}",
                           as_of=D1, status="EXECUTED", mode="proportional", n_trades=1, est_cost_bps=1.0,
                           actual_cost_bps=1.1, drift_before=0.1, drift_after=0.0, limits_ok=True,
                           summary_json="{}", keep=keep)


def test_history_keeps_the_newest_rows_per_profile(lh):
    with lh.transaction() as con:
        for i in range(1, 6):
            _history(con, "p", i, keep=3)
        _history(con, "q", 1, keep=3)
    h = trading.rebalance_history(lh, "p")
    assert list(h["proposal_id"]) == ["p-5", "p-4", "p-3"] and "summary" not in h.columns
    assert len(trading.rebalance_history(lh, "q")) == 1


def test_orders_fills_and_snapshot_roll_back_together(lh):
    holdings.write_snapshot(lh.con, "p", D1, pd.Series({"AAA": 10.0}), 500.0, "test")
    with pytest.raises(RuntimeError):
        with lh.transaction() as con:
            trading.insert_order(con, order_id="o1", proposal_id="p-1", profile="p", day=D2, ticker="AAA", side="BUY",
                                 shares=5.0, est_price=40.0, est_cost=0.1, created_at="t")
            trading.insert_fill(con, order_id="o1", proposal_id="p-1", profile="p", day=D2, ticker="AAA", side="BUY",
                                shares=5.0, price=40.1, ref_price=40.0, slippage_bps=25.0, commission=0.02, value=200.5)
            holdings.write_snapshot(con, "p", D2, pd.Series({"AAA": 15.0}), 299.48, "paper (p-1)")
            raise RuntimeError("insufficient cash (test)")
    assert [lh.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("orders", "fills")] == [0, 0]
    snap, shares, cash = lh.holdings("p")
    assert lh.holdings_dates("p") == [D1] and shares.to_dict() == {"AAA": 10.0} and cash == 500.0


def test_snapshots_replace_their_day_and_the_profile(lh):
    holdings.write_snapshot(lh.con, "p", D1, pd.Series({"AAA": 10.0, "BBB": 5.0}), 500.0, "test")
    holdings.write_snapshot(lh.con, "p", D1, pd.Series(dtype=float), 900.0, "test")  # all sold: cash only
    snap, shares, cash = lh.holdings("p")
    assert snap == D1 and shares.empty and cash == 900.0
    holdings.replace_profile_holdings(lh.con, "p", [("p", D2, "AAA", 3.0, "sample")], [("p", D2, 10.0, "sample")])
    assert lh.holdings_dates("p") == [D2]
    assert lh.holdings("p")[1].to_dict() == {"AAA": 3.0}
    holdings.replace_profile_holdings(lh.con, "p", [], [])
    assert lh.holdings_dates("p") == []
