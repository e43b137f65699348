"""The market regime's input on a date: the VIX close, or a labelled realised-volatility proxy.

The classification of a VIX level (normal / elevated / stress) is
:func:`rebal.analytics.measures.vix_regime`; this module finds the level to classify.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from rebal.analytics.risk import realized_vol_proxy_vix
from rebal.calendar import sessions_after
from rebal.data.lakehouse import Lakehouse

__all__ = ["market_vix"]


def market_vix(lh: Lakehouse, benchmark: str, as_of: date) -> tuple[float, str]:
    """Find the VIX level of ``as_of``: the close when fresh, else a labelled realised-volatility proxy.

    Parameters
    ----------
    lh
        The lakehouse (a point-in-time view when ``as_of`` is in the past).
    benchmark
        Ticker whose 21-session realised volatility stands in when the VIX is stale.
    as_of
        Run date; the VIX close counts as fresh within 1 NYSE session of it.

    Returns
    -------
    The level in VIX points (NaN when neither is available) and a label saying where it came from.
    """
    tickers = lh.known_tickers()
    if "VIX" in tickers:
        last = lh.last_price_dates(["VIX"]).iloc[0]
        if pd.notna(last) and sessions_after(last, as_of) <= 1:
            v = lh.prices(["VIX"], start=last.date())["VIX"].iloc[-1]
            return float(v), f"VIX close of {last.date()}"
    px = lh.prices([benchmark], last=60)[benchmark]
    proxy = realized_vol_proxy_vix(px).iloc[-1] if len(px) > 21 else float("nan")
    if pd.isna(proxy):
        return float("nan"), f"unavailable: no VIX for {as_of} and under 22 sessions of {benchmark} for the proxy"
    return float(proxy), f"proxy: 21-day realised volatility of {benchmark}, annualised (no VIX for {as_of})"
