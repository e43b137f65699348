"""SQL of paper trading: ``orders``, ``fills`` and the ``rebalance_history`` of executions.

The writers take an open connection, so the broker and the execution write orders, fills, the
new holdings (:mod:`rebal.data.holdings`), the history row and the proposal's status in **one**
transaction: a rejected order rolls all of it back.
"""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from rebal.data.lakehouse import Lakehouse

__all__ = ["insert_order", "insert_fill", "append_history", "rebalance_history"]


def insert_order(con: duckdb.DuckDBPyConnection, *, order_id: str, proposal_id: str, profile: str, day: date,
                 ticker: str, side: str, shares: float, est_price: float, est_cost: float, created_at: str) -> None:
    """One row of ``orders``."""
    con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [order_id, proposal_id, profile, day, ticker, side, shares, est_price, est_cost, created_at])


def insert_fill(con: duckdb.DuckDBPyConnection, *, order_id: str, proposal_id: str, profile: str, day: date,
                ticker: str, side: str, shares: float, price: float, ref_price: float, slippage_bps: float,
                commission: float, value: float) -> None:
    """One row of ``fills``."""
    con.execute("INSERT INTO fills VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [order_id, proposal_id, profile, day, ticker, side, shares, price, ref_price, slippage_bps,
                 commission, value])


def append_history(con: duckdb.DuckDBPyConnection, *, profile: str, executed_at: str, proposal_id: str, as_of: date,
                   status: str, mode: str | None, n_trades: int, est_cost_bps: float | None,
                   actual_cost_bps: float | None, drift_before: float | None, drift_after: float | None,
                   limits_ok: bool | None, summary_json: str, keep: int) -> None:
    """Append an execution summary and keep only the profile's newest ``keep`` rows."""
    con.execute("INSERT INTO rebalance_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [profile, executed_at, proposal_id, as_of, status, mode, n_trades, est_cost_bps, actual_cost_bps,
                 drift_before, drift_after, limits_ok, summary_json])
    con.execute("DELETE FROM rebalance_history WHERE profile = ? AND rowid NOT IN (SELECT rowid FROM rebalance_history "
                "WHERE profile = ? ORDER BY executed_at DESC, rowid DESC LIMIT ?)",
                [profile, profile, keep])


def rebalance_history(lh: Lakehouse, profile: str) -> pd.DataFrame:
    """Read the profile's execution summaries (without the JSON), newest first; empty without the table."""
    if "rebalance_history" not in lh.table_names():
        return pd.DataFrame()
    return lh.con.execute("SELECT * EXCLUDE (summary) FROM rebalance_history WHERE profile = ? "
                          "ORDER BY executed_at DESC, rowid DESC", [profile]).df()
