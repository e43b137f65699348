"""SQL writes of implemented holdings: the ``holdings`` and ``cash_balances`` snapshots of a profile.

Reads are :meth:`rebal.data.lakehouse.Lakehouse.holdings` and ``holdings_dates``. The writers take
an open connection, so they join the caller's transaction (a paper execution writes its orders,
fills, snapshot and history all or nothing).
"""
from __future__ import annotations

from datetime import date
from typing import Sequence

import duckdb
import pandas as pd

__all__ = ["write_snapshot", "replace_profile_holdings", "snapshot_sources"]


def write_snapshot(con: duckdb.DuckDBPyConnection, profile: str, as_of: date, positions: pd.Series, cash: float,
                   source: str) -> None:
    """Replace the profile's snapshot of ``as_of``: ``positions`` (shares by ticker; may be empty) and ``cash``."""
    con.execute("DELETE FROM holdings WHERE profile = ? AND as_of = ?", [profile, as_of])
    con.execute("DELETE FROM cash_balances WHERE profile = ? AND as_of = ?", [profile, as_of])
    if len(positions):
        con.executemany("INSERT INTO holdings VALUES (?, ?, ?, ?, ?)",
                        [(profile, as_of, t, float(n), source) for t, n in positions.items()])
    con.execute("INSERT INTO cash_balances VALUES (?, ?, ?, ?)", [profile, as_of, cash, source])


def replace_profile_holdings(con: duckdb.DuckDBPyConnection, profile: str, rows: Sequence[tuple],
                             cash_rows: Sequence[tuple]) -> None:
    """Replace every snapshot of ``profile`` with ``rows`` and ``cash_rows``.

    ``rows`` are ``(profile, as_of, ticker, shares, source)``, ``cash_rows`` are ``(profile, as_of,
    cash, source)``; no rows leaves the profile without holdings.
    """
    con.execute("DELETE FROM holdings WHERE profile = ?", [profile])
    con.execute("DELETE FROM cash_balances WHERE profile = ?", [profile])
    if rows:
        con.executemany("INSERT INTO holdings VALUES (?, ?, ?, ?, ?)", rows)
        con.executemany("INSERT INTO cash_balances VALUES (?, ?, ?, ?)", cash_rows)


def snapshot_sources(lh, profile: str, after: date, until: date) -> dict[date, str]:
    """Return the profile's holdings snapshots dated in (``after``, ``until``] with who wrote each (its ``source``).

    ``lh`` is a :class:`~rebal.data.lakehouse.Lakehouse`; a snapshot with rows of several sources lists them
    all, comma-separated.
    """
    rows = lh.con.execute(
        "SELECT as_of, string_agg(DISTINCT coalesce(source, 'unknown'), ', ' ORDER BY coalesce(source, 'unknown')) "
        "FROM (SELECT as_of, source FROM holdings WHERE profile = ? UNION ALL "
        "SELECT as_of, source FROM cash_balances WHERE profile = ?) WHERE as_of > ? AND as_of <= ? "
        "GROUP BY as_of ORDER BY as_of", [profile, profile, after, until]).fetchall()
    return {r[0]: r[1] for r in rows}
