"""The profile's own history: the weights it held over each past session, from its holdings snapshots.

A holdings snapshot dated d holds the shares and cash at the close of d (implementations trade at
the close). Over session t the portfolio holds the latest snapshot dated on or before the previous
session t − 1, valued at the closes of t − 1: w_i = s_i P_i,t−1 / (Σ_j s_j P_j,t−1 + cash). Its
return over t is then Σ_i w_i r_i,t, the profit and loss of the shares held (cash earns nothing).
Nothing after t − 1 enters the weights of day t.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from rebal.data.lakehouse import Lakehouse

__all__ = ["Snapshot", "read_snapshots", "weights_over_days"]

#: (shares by ticker, cash) of one holdings snapshot
Snapshot = tuple[pd.Series, float]


def read_snapshots(lh: Lakehouse, profile: str) -> dict[date, Snapshot]:
    """Every holdings snapshot of ``profile`` within the lakehouse's as-of limit, oldest first."""
    out = {}
    for d in lh.holdings_dates(profile):
        _, shares, cash = lh.holdings(profile, as_of=d)
        out[d] = (shares[shares != 0], cash)
    return out


def weights_over_days(snapshots: dict[date, Snapshot], closes: pd.DataFrame) -> pd.DataFrame:
    """Weights held over each session of ``closes`` after the first snapshot (see the module docstring).

    Parameters
    ----------
    snapshots
        Snapshot date -> (shares, cash), as :func:`read_snapshots` returns them.
    closes
        Closes (sessions x tickers) of every ticker ever held; missing closes are carried forward.

    Returns
    -------
    Sessions x tickers: fractions of the previous close's portfolio value, cash left out (so a row
    sums to 1 − the cash weight). Sessions whose previous session precedes the first snapshot are
    left out.
    """
    if not snapshots:
        return pd.DataFrame(columns=closes.columns, dtype=float)
    px = closes.ffill()
    snap_dates = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in snapshots))
    rows, days = [], []
    for i in range(1, len(px.index)):
        prev = px.index[i - 1]
        k = snap_dates.searchsorted(prev, side="right") - 1
        if k < 0:
            continue
        shares, cash = snapshots[snap_dates[k].date()]
        p = px.loc[prev].reindex(shares.index)
        values = shares * p
        total = float(values.sum()) + cash
        if not np.isfinite(total) or total <= 0:
            continue
        rows.append((values / total).reindex(px.columns).fillna(0.0).to_numpy(float))
        days.append(px.index[i])
    return pd.DataFrame(rows, index=pd.DatetimeIndex(days, name="date"), columns=px.columns)
