"""Simple returns from prices, with the treatment of missing prices stated by the caller.

pandas changed what ``DataFrame.pct_change()`` does with a missing price: before pandas 3 it
carried the last price forward (``fill_method="pad"``, deprecated in 2.1), from pandas 3 on it
does not fill. Every return in rebal is computed here instead, with the fill policy an explicit,
required argument, so the numbers do not depend on the installed pandas.
"""
from __future__ import annotations

from typing import Literal, TypeVar, get_args

import pandas as pd

__all__ = ["FillPolicy", "simple_returns"]

#: ``"none"``: a missing price gives a missing return on its day and on the next;
#: ``"ffill"``: missing prices are first carried forward from the last known one.
FillPolicy = Literal["none", "ffill"]

P = TypeVar("P", pd.Series, pd.DataFrame)


def simple_returns(prices: P, *, fill: FillPolicy) -> P:
    """Daily simple returns r_t = P_t / P_{t-1} - 1 of each column, aligned on the prices' index.

    Parameters
    ----------
    prices
        Prices (dates x assets, or one Series), oldest first; NaN where a price is missing.
    fill
        ``"none"``: no filling, so a gap gives NaN on the gap day and the day after (the move
        across the gap is not attributed to any day); this is pandas >= 3's ``pct_change()``.
        ``"ffill"``: prices are carried forward first, so the gap day's return is 0 and the
        day after gets the whole move across the gap (pandas < 3's default); leading NaN stay.

    Returns
    -------
    Same shape and labels as ``prices``; the first row is NaN (no previous price).
    """
    if fill not in get_args(FillPolicy):
        raise ValueError(f"`fill`: unknown fill policy {fill!r}; valid: {', '.join(get_args(FillPolicy))}")
    data = prices.ffill() if fill == "ffill" else prices
    return data / data.shift(1) - 1
