"""SQL writes of implemented holdings: the ``holdings`` and ``cash_balances`` snapshots of a profile.

Reads are :meth:`rebal.data.lakehouse.Lakehouse.holdings` and ``holdings_dates``; :func:`check_book`
refuses a snapshot its consumer cannot value (naming the snapshot and the file it came from). The writers take
an open connection, so they join the caller's transaction (a paper execution writes its orders,
fills, snapshot and history all or nothing).
"""
from __future__ import annotations

from datetime import date
from typing import Sequence

import duckdb
import pandas as pd

__all__ = ["write_snapshot", "replace_profile_holdings", "replace_snapshots", "check_book", "snapshot_sources"]


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


def replace_snapshots(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Replace the snapshots (profile, as_of) of ``df`` (profile, as_of, ticker, shares; ``CASH`` rows are cash).

    Returns the snapshots written (profile, as_of).
    """
    from rebal.data.lakehouse import CASH

    stock = df[df["ticker"] != CASH]
    cash = df[df["ticker"] == CASH].rename(columns={"shares": "cash"})[["profile", "as_of", "cash"]]
    snaps = df[["profile", "as_of"]].drop_duplicates()
    con.register("snaps", snaps)
    con.register("stock", stock)
    con.register("cashdf", cash)
    con.execute("DELETE FROM holdings WHERE (profile, as_of) IN (SELECT (profile, as_of) FROM snaps)")
    con.execute("DELETE FROM cash_balances WHERE (profile, as_of) IN (SELECT (profile, as_of) FROM snaps)")
    con.execute("INSERT INTO holdings SELECT profile, as_of, ticker, shares, ? FROM stock", [source])
    con.execute("INSERT INTO cash_balances SELECT profile, as_of, cash, ? FROM cashdf", [source])
    return snaps


def _sources(lh, profile: str, snap: date) -> str:
    rows = lh.con.execute("SELECT DISTINCT source FROM (SELECT source FROM holdings WHERE profile = ? AND as_of = ? "
                          "UNION ALL SELECT source FROM cash_balances WHERE profile = ? AND as_of = ?) ORDER BY 1",
                          [profile, snap, profile, snap]).fetchall()
    return ", ".join(str(r[0]) for r in rows) or "no source recorded"


def check_book(lh, profile: str, snap: date, shares: pd.Series, cash: float, prices: pd.Series | None, *,
               long_only: bool) -> None:
    """Raise :class:`~rebal.errors.DataError` when the holdings snapshot of ``profile`` on ``snap`` cannot be valued.

    A short position in a ``long_only`` profile, a book that holds nothing, or (given the ``prices`` of
    the held tickers) a book worth $0 or less. The message names the lakehouse, the snapshot, the
    holding and the file the snapshot was imported from (its ``source``).
    """
    from rebal.errors import DataError

    where = f"{lh.path}: holdings of {profile!r} on {snap} ({_sources(lh, profile, snap)})"
    short = shares[shares < 0]
    if long_only and len(short):
        raise DataError(f"{where}: {short.index[0]!r} is held short ({short.iloc[0]:g} shares) but the profile is "
                        "long-only; correct the holdings, or set `long_only: false` in the profile")
    if not (shares != 0).any() and not cash:
        raise DataError(f"{where}: the book holds nothing (no position, no cash): a book worth $0 has no weights; "
                        "import its positions")
    if prices is not None:
        value = float(cash) + float((shares * prices.reindex(shares.index)).sum())
        if value <= 0:
            raise DataError(f"{where}: the book is worth ${value:,.2f} at the closes of {snap}: a book worth "
                            "nothing or less has no weights; correct the holdings")
