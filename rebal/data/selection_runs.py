"""SQL of recorded Risk4 runs: the ``risk4_runs`` and ``risk4_picks`` tables.

Each recorded run per (profile, date) holds its status, alerts (JSON), cash and metrics, and its
picks with target weights and shares; the next run finds its prior holdings here. The Risk4
process itself is :mod:`rebal.selection.risk4`.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import pandas as pd

from rebal.data.lakehouse import Lakehouse

__all__ = ["latest_unblocked_run", "run_picks", "save_run", "runs_between"]


def latest_unblocked_run(lh: Lakehouse, profile: str, before: date) -> tuple[date, float] | None:
    """Find the (date, cash) of the profile's newest run before ``before`` that was not BLOCKED.

    Strictly before ``before``; None when there is none (or the lakehouse predates ``risk4_runs``).
    Cash is in dollars.
    """
    if "risk4_runs" not in lh.table_names():
        return None
    row = lh.con.execute(
        "SELECT date, cash FROM risk4_runs WHERE profile = ? AND date < ? AND status <> 'BLOCKED' "
        "ORDER BY date DESC LIMIT 1", [profile, before]).fetchone()
    return None if row is None else (row[0], row[1])


def run_picks(lh: Lakehouse, profile: str, day: date) -> pd.DataFrame:
    """Read the picks of the profile's run of ``day``: columns ``ticker``, ``target_shares``."""
    return lh.con.execute("SELECT ticker, target_shares FROM risk4_picks WHERE profile = ? AND date = ?",
                          [profile, day]).df()


def save_run(lh: Lakehouse, profile: str, day: date, *, status: str, generated_at: str, prior_source: str | None,
             value: float | None, cash: float | None, exposure: float | None, turnover: float | None,
             estimated_vol: float | None, estimated_beta: float | None, alerts_json: str,
             picks: Iterable[tuple] = ()) -> None:
    """Record a run in ``risk4_runs`` and its ``picks`` in ``risk4_picks``, in one transaction.

    The run of the same profile and date is replaced.

    Each pick is ``(ticker, rank, weight, target_shares, price, sector, alpha_z, vol_blend, adv_20)``.
    """
    picks = list(picks)
    with lh.transaction() as con:
        con.execute("DELETE FROM risk4_picks WHERE profile = ? AND date = ?", [profile, day])
        con.execute("DELETE FROM risk4_runs WHERE profile = ? AND date = ?", [profile, day])
        con.execute("INSERT INTO risk4_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [profile, day, status, generated_at, prior_source, value, cash, exposure, turnover,
                     estimated_vol, estimated_beta, alerts_json])
        if picks:
            con.executemany("INSERT INTO risk4_picks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(profile, day, *p) for p in picks])


def runs_between(lh: Lakehouse, profile: str, after: date, until: date) -> pd.DataFrame:
    """Read the profile's recorded Risk4 runs dated in (``after``, ``until``]: date, status, turnover, value."""
    if "risk4_runs" not in lh.table_names():
        return pd.DataFrame(columns=["date", "status", "turnover", "value"])
    return lh.con.execute("SELECT date, status, turnover, value FROM risk4_runs WHERE profile = ? AND date > ? "
                          "AND date <= ? ORDER BY date", [profile, after, until]).df()
