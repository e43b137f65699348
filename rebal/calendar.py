"""NYSE sessions (``exchange_calendars`` XNYS), used for data freshness and schedules.

A federal-holiday business-day calendar is *not* the NYSE calendar (it counts Good Friday as a
trading day and misses special closures); everything here uses XNYS.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import pandas as pd

from rebal.errors import DataError

__all__ = ["nyse_sessions", "calendar_end", "check_in_calendar", "is_session", "sessions_after", "previous_session",
           "non_sessions",
           "DEFAULT_ANCHOR", "is_rebalance_day", "next_rebalance_dates", "rebalance_days", "schedule_document"]

#: Default anchor of the every-K-sessions rebalance schedule (first session of 2015).
DEFAULT_ANCHOR = "2015-01-02"

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


def calendar_end() -> date:
    """Return the last date the NYSE calendar knows (``exchange_calendars`` looks about a year ahead of today)."""
    return nyse_sessions()[-1].date()


def check_in_calendar(day: date | pd.Timestamp, what: str = "date") -> None:
    """Raise :class:`~rebal.errors.DataError` when ``day`` lies after the end of the NYSE calendar.

    Beyond its end the calendar knows no session, so counting sessions there would silently undercount.
    """
    end = calendar_end()
    if pd.Timestamp(day).date() > end:
        raise DataError(f"{what} {pd.Timestamp(day).date()}: after the end of the NYSE calendar ({end}); "
                        "sessions beyond it are unknown")


def is_session(day: date | pd.Timestamp) -> bool:
    """Whether ``day`` is an NYSE session."""
    return pd.Timestamp(day).normalize() in nyse_sessions()


def sessions_after(start: date | pd.Timestamp, end: date | pd.Timestamp) -> int:
    """Count the NYSE sessions in ``(start, end]`` (0 when ``end <= start``).

    With ``start`` the date of the latest price and ``end`` the as-of date, this is how many
    sessions the data is stale by. Raises :class:`~rebal.errors.DataError` past the calendar's end.
    """
    check_in_calendar(end)
    s = nyse_sessions()
    a, b = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if b <= a:
        return 0
    return int(s.searchsorted(b, side="right") - s.searchsorted(a, side="right"))


#: names of the NYSE's ad hoc closures since 1985 (``exchange_calendars.us_holidays`` lists them by variable name)
_ADHOC_NAMES = {"HurricaneGloriaClosing": "closed for Hurricane Gloria", "HurricaneSandyClosings":
                "closed for Hurricane Sandy", "September11Closings": "closed after the attacks of September 11, 2001",
                "USNationalDaysofMourning": "a national day of mourning"}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@lru_cache(maxsize=1)
def _long_calendar():
    """XNYS from 1900, loaded only for dates before the package's calendar starts (1990)."""
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xcals.get_calendar("XNYS", start="1900-01-01")


def _closure_names(cal, first: pd.Timestamp, last: pd.Timestamp) -> dict[pd.Timestamp, str]:
    """Weekday closures of ``cal`` in ``[first, last]``, by date: the holiday's name or the ad hoc closure's."""
    import exchange_calendars.us_holidays as us

    names: dict[pd.Timestamp, str] = {}
    for var, label in _ADHOC_NAMES.items():
        for d in getattr(us, var, []):
            names[pd.Timestamp(d).normalize()] = label
    for d in cal.adhoc_holidays:
        names.setdefault(pd.Timestamp(d).normalize(), "a special closure")
    for rule in cal.regular_holidays.rules:
        for d in rule.dates(first, last):
            names.setdefault(pd.Timestamp(d).normalize(), rule.name)
    return names


@lru_cache(maxsize=2)
def _reasons(long: bool) -> tuple[pd.DatetimeIndex, dict[pd.Timestamp, str]]:
    cal = _long_calendar() if long else _calendar()
    s = cal.sessions
    s = pd.DatetimeIndex(s.tz_localize(None) if s.tz is not None else s)
    return s, _closure_names(cal, s[0], s[-1])


def non_sessions(days) -> dict[pd.Timestamp, str]:
    """Map each date of ``days`` that is not an NYSE session to the reason: ``a Saturday``, ``Thanksgiving``.

    Dates the calendar does not cover (before 1900, after :func:`calendar_end`) are not judged here
    (the future is refused on its own). A weekday closure without a holiday rule is ``a special closure``.
    """
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(days))).normalize().unique()
    if len(idx) == 0:
        return {}
    sessions = nyse_sessions()
    out: dict[pd.Timestamp, str] = {}
    for long, part in ((False, idx[(idx >= sessions[0]) & (idx <= sessions[-1])]), (True, idx[idx < sessions[0]])):
        if len(part) == 0:
            continue
        s, names = _reasons(long)
        part = part[(part >= s[0]) & ~part.isin(s)]
        for d in part:
            out[d] = f"a {_WEEKDAYS[d.weekday()]}" if d.weekday() >= 5 else names.get(d, "a weekday closure")
    return dict(sorted(out.items()))


def previous_session(day: date | pd.Timestamp) -> pd.Timestamp:
    """Return the latest NYSE session on or before ``day``."""
    s = nyse_sessions()
    i = s.searchsorted(pd.Timestamp(day).normalize(), side="right") - 1
    if i < 0:
        raise ValueError(f"no NYSE session on or before {day}")
    return s[i]


def _session_index(day: date | pd.Timestamp) -> int | None:
    s = nyse_sessions()
    ts = pd.Timestamp(day).normalize()
    i = int(s.searchsorted(ts))
    return i if i < len(s) and s[i] == ts else None


def is_rebalance_day(day: date | pd.Timestamp, *, anchor: date | str = DEFAULT_ANCHOR, every: int = 5) -> bool:
    """Whether ``day`` is a rebalance day: an NYSE session a multiple of ``every`` sessions after ``anchor``.

    A non-session (weekend, holiday, special closure) is never a rebalance day; neither is a day
    before the anchor. The anchor must itself be a session.
    """
    if every < 1:
        raise ValueError(f"`every` must be >= 1, found {every}")
    a = _session_index(anchor)
    if a is None:
        raise ValueError(f"anchor {anchor} is not an NYSE session")
    i = _session_index(day)
    return i is not None and i >= a and (i - a) % every == 0


def next_rebalance_dates(from_date: date | pd.Timestamp, n: int = 10, *, anchor: date | str = DEFAULT_ANCHOR,
                         every: int = 5) -> list[date]:
    """List the first ``n`` rebalance days on or after ``from_date`` (see :func:`is_rebalance_day`)."""
    s = nyse_sessions()
    out = rebalance_days(from_date, s[-1], anchor=anchor, every=every)[:n]
    if len(out) < n:
        raise DataError(f"the NYSE calendar ends {s[-1].date()}: only {len(out)} rebalance dates after {from_date}")
    return out


def rebalance_days(start: date | pd.Timestamp, end: date | pd.Timestamp, *, anchor: date | str = DEFAULT_ANCHOR,
                   every: int = 5) -> list[date]:
    """All rebalance days in ``[start, end]`` (see :func:`is_rebalance_day`)."""
    if every < 1:
        raise ValueError(f"`every` must be >= 1, found {every}")
    a = _session_index(anchor)
    if a is None:
        raise ValueError(f"anchor {anchor} is not an NYSE session")
    s = nyse_sessions()
    lo = max(int(s.searchsorted(pd.Timestamp(start).normalize())), a)
    hi = int(s.searchsorted(pd.Timestamp(end).normalize(), side="right"))
    first = lo + (-(lo - a)) % every
    return [s[i].date() for i in range(first, hi, every)]


def schedule_document(from_date: date, *, n: int = 10, anchor: date | str = DEFAULT_ANCHOR, every: int = 5) -> dict:
    """Build the ``schedule.json`` content: generated_at, anchor_date, frequency_days, next_<n>_rebalances."""
    from rebal.provenance import utc_stamp

    dates = next_rebalance_dates(from_date, n, anchor=anchor, every=every)
    return {
        "generated_at": utc_stamp(),
        "calendar": "XNYS (exchange_calendars)",
        "anchor_date": str(pd.Timestamp(anchor).date()),
        "frequency_days": every,
        "from_date": str(from_date),
        "is_rebalance_day": is_rebalance_day(from_date, anchor=anchor, every=every),
        f"next_{n}_rebalances": [str(d) for d in dates],
    }
