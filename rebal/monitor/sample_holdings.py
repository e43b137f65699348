"""The sample profiles' holdings: each implemented on its own schedule, drifting with real prices."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.allocation.target import compute_target
from rebal.data.holdings import replace_profile_holdings
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["implementation_dates", "seed_sample_holdings"]


def implementation_dates(sessions: pd.DatetimeIndex, start: date, every: str) -> list[pd.Timestamp]:
    """List the sample implementation dates of ``sessions`` from ``start``.

    The first session on or after ``start``, then the last session of every complete ``every``
    period after it (a period is complete when a later session exists).
    """
    s = sessions[sessions >= pd.Timestamp(start)]
    if len(s) == 0:
        return []
    key = {
        "month": s.year * 12 + s.month,
        "quarter": s.year * 4 + (s.month - 1) // 3,
        "half_year": s.year * 2 + (s.month > 6),
        "year": s.year,
    }[every]
    ends = pd.Series(s, index=s).groupby(np.asarray(key)).max()
    return [s[0]] + [d for d in ends if s[0] < d < sessions[-1]]


def seed_sample_holdings(lh: Lakehouse, profiles: list[Profile]) -> dict[str, object]:
    """Implement each profile with ``sample_holdings`` on its schedule, drifting with real prices.

    On each implementation date the portfolio (initially ``initial_value`` in cash) is traded to
    the target of that date in whole shares, cost-free and self-financed; the rest is cash.
    Snapshots go to ``holdings`` and ``cash_balances`` with source ``sample``.
    """
    sessions = lh.sessions()
    summary: dict[str, object] = {}
    for prof in profiles:
        sh = prof.sample_holdings
        if sh is None:
            continue
        if not len(sessions) or pd.Timestamp(sh.start) > sessions[-1]:
            raise DataError(f"{prof.source}: `sample_holdings.start`: {sh.start} is after the last session of the data "
                            f"({sessions[-1].date() if len(sessions) else 'no prices'}): nothing could be implemented")
        if sh.every == "rebalance_day":
            rows, cash_rows, dates, blocked = _seed_risk4(lh, prof, sessions)
        else:
            rows, cash_rows, dates, blocked = _seed_periodic(lh, prof, sessions)
        with lh.transaction() as con:
            replace_profile_holdings(con, prof.name, rows, cash_rows)
        summary[prof.name] = {"implementations": len(dates) - len(blocked),
                              "last_implemented": str(dates[-1]) if dates else None,
                              "blocked": [str(d) for d in blocked]}
    return {"sample_holdings": summary}


def _seed_periodic(lh: Lakehouse, prof: Profile, sessions: pd.DatetimeIndex):
    sh = prof.sample_holdings
    dates = implementation_dates(sessions, sh.start, sh.every)
    shares = pd.Series(dtype=float)
    cash = sh.initial_value
    rows, cash_rows = [], []
    for d in dates:
        day = d.date()
        view = lh.at(day)
        target = compute_target(prof, lh, day).weights
        inv = target.drop(CASH, errors="ignore")
        px = view.prices(list(set(inv.index) | set(shares.index)), start=day).iloc[-1]
        if px.isna().any():
            raise DataError(f"{prof.source}: no price on {day} for {px.index[px.isna()][0]!r}")
        value = cash + float((shares * px.reindex(shares.index)).sum())
        shares = np.floor(value * inv / px.reindex(inv.index)).rename("shares")
        shares = shares[shares > 0]
        cash = value - float((shares * px.reindex(shares.index)).sum())
        rows += [(prof.name, day, t, float(n), "sample") for t, n in shares.items()]
        cash_rows.append((prof.name, day, cash, "sample"))
    return rows, cash_rows, [d.date() for d in dates], []


def _seed_risk4(lh: Lakehouse, prof: Profile, sessions: pd.DatetimeIndex):
    """Run the Risk4 process on every rebalance day from ``start`` (before the last session).

    Its trades are implemented in whole shares; a blocked day keeps the holdings.
    """
    from rebal.calendar import rebalance_days
    from rebal.selection.risk4 import Prior, run_risk4

    sh, spec = prof.sample_holdings, prof.risk4
    last = sessions[-1].date()
    dates = [d for d in rebalance_days(sh.start, last, anchor=spec.anchor, every=spec.every) if d < last]
    prior = Prior(pd.Series(dtype=float), sh.initial_value, "sample start (cash)")
    rows, cash_rows, blocked = [], [], []
    for day in dates:
        res = run_risk4(prof, lh.at(day), day, prior=prior)
        if res.blocked:
            blocked.append(day)
            continue
        shares = res.picks.set_index("ticker")["target_shares"]
        shares = shares[shares > 0]
        prior = Prior(shares, res.cash_after, f"sample implementation of {day}", day)
        rows += [(prof.name, day, t, float(k), "sample (risk4)") for t, k in shares.items()]
        cash_rows.append((prof.name, day, res.cash_after, "sample (risk4)"))
    return rows, cash_rows, dates, blocked
