"""NYSE sessions (``exchange_calendars`` XNYS), used for data freshness and schedules.

A federal-holiday business-day calendar is *not* the NYSE calendar (it counts Good Friday as a
trading day and misses special closures); everything here uses XNYS.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import pandas as pd

__all__ = ["nyse_sessions", "is_session", "sessions_after", "previous_session"]

_START = "1990-01-01"


@lru_cache(maxsize=1)
def _calendar():
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():  # exchange_calendars trips a pandas 3 deprecation on import
        warnings.simplefilter("ignore")
        return xcals.get_calendar("XNYS", start=_START)


@lru_cache(maxsize=1)
def nyse_sessions() -> pd.DatetimeIndex:
    """All XNYS sessions from 1990 to the calendar's end (naive dates)."""
    s = _calendar().sessions
    return pd.DatetimeIndex(s.tz_localize(None) if s.tz is not None else s)


def is_session(day: date | pd.Timestamp) -> bool:
    """Whether ``day`` is an NYSE session."""
    return pd.Timestamp(day).normalize() in nyse_sessions()


def sessions_after(start: date | pd.Timestamp, end: date | pd.Timestamp) -> int:
    """Number of NYSE sessions in ``(start, end]`` (0 when ``end <= start``).

    With ``start`` the date of the latest price and ``end`` the as-of date, this is how many
    sessions the data is stale by.
    """
    s = nyse_sessions()
    a, b = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if b <= a:
        return 0
    return int(s.searchsorted(b, side="right") - s.searchsorted(a, side="right"))


def previous_session(day: date | pd.Timestamp) -> pd.Timestamp:
    """The latest NYSE session on or before ``day``."""
    s = nyse_sessions()
    i = s.searchsorted(pd.Timestamp(day).normalize(), side="right") - 1
    if i < 0:
        raise ValueError(f"no NYSE session on or before {day}")
    return s[i]
