"""SQL reads of closes for point-in-time valuation: latest closes, a window of closes, the last n closes.

The wide, as-of limited reads are :meth:`rebal.data.lakehouse.Lakehouse.prices`; these are the
narrower queries of the Risk4 process (valuation at a date, covariance windows, trend).
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from rebal.data.lakehouse import Lakehouse

__all__ = ["latest_closes", "closes_between", "last_closes"]


def latest_closes(lh: Lakehouse, tickers: list[str], day: date, *, within_days: int = 30) -> pd.DataFrame:
    """Read the latest close of each ticker on or before ``day``, no older than ``within_days`` calendar days.

    Returns columns ``price`` and ``price_date``, one row per ticker (NaN where none).
    """
    if not tickers:
        return pd.DataFrame(columns=["price", "price_date"])
    start = day - timedelta(days=within_days)
    df = lh.con.execute(
        "SELECT ticker, arg_max(close, date) AS price, max(date) AS price_date FROM prices "
        "WHERE ticker IN (SELECT unnest(?)) AND date <= ? AND date >= ? GROUP BY ticker",
        [tickers, day, start]).df()
    return df.set_index("ticker").reindex(tickers)


def closes_between(lh: Lakehouse, tickers: list[str], start: date, end: date) -> pd.DataFrame:
    """Read the closes of ``tickers`` from ``start`` to ``end`` (inclusive): dates x tickers, in that order."""
    long = lh.con.execute(
        "SELECT date, ticker, close FROM prices WHERE ticker IN (SELECT unnest(?)) AND date <= ? AND date >= ?",
        [tickers, end, start]).df()
    return long.pivot(index="date", columns="ticker", values="close").sort_index().reindex(columns=tickers)


def last_closes(lh: Lakehouse, ticker: str, day: date, n: int) -> pd.Series:
    """Read the last ``n`` closes of ``ticker`` on or before ``day``, oldest first (positional index)."""
    rows = lh.con.execute("SELECT close FROM (SELECT date, close FROM prices WHERE ticker = ? AND date <= ? "
                          "ORDER BY date DESC LIMIT ?) ORDER BY date", [ticker, day, n]).fetchall()
    return pd.Series([r[0] for r in rows], dtype=float)
