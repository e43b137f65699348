"""Data freshness: the latest close of each ticker against the as-of date, on the NYSE calendar.

:func:`check_as_of` is the one rule for an as-of date given on the command line (``rebal run``,
``accept-state``, ``drift-monitor``, ``factor-map``, ``backtest``, ``risk4``): inside the data, i.e.
not before the lakehouse's first price date and not more NYSE sessions after its latest price date
than the data may be stale (``data.max_stale_sessions`` of the profile, 1 by default).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

import pandas as pd

from rebal.calendar import check_in_calendar, sessions_after
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

__all__ = ["Freshness", "check_freshness", "check_as_of"]


@dataclass(frozen=True)
class Freshness:
    """Latest price date per ticker and how many NYSE sessions it lags the as-of date."""

    as_of: date
    table: pd.DataFrame  # index ticker; columns last_price_date, sessions_stale, ok
    max_stale_sessions: int

    @property
    def ok(self) -> bool:
        """Whether every ticker is within the staleness limit."""
        return bool(self.table["ok"].all())


def check_freshness(lh: Lakehouse, tickers: Iterable[str], as_of: date, *, max_stale_sessions: int,
                    source: str = "", raise_on_stale: bool = True) -> Freshness:
    """Check that each ticker has a close within ``max_stale_sessions`` NYSE sessions of ``as_of``.

    Raises :class:`DataError` (naming the profile file and the ticker) on the first stale or
    missing ticker when ``raise_on_stale``.
    """
    tickers = list(dict.fromkeys(tickers))
    last = lh.at(as_of).last_price_dates(tickers)
    rows = []
    for t, d in last.items():
        stale = None if pd.isna(d) else sessions_after(d, as_of)
        rows.append((t, None if pd.isna(d) else d.date(), stale, stale is not None and stale <= max_stale_sessions))
    table = pd.DataFrame(rows, columns=["ticker", "last_price_date", "sessions_stale", "ok"]).set_index("ticker")
    fr = Freshness(as_of, table, max_stale_sessions)
    if raise_on_stale and not fr.ok:
        bad = table[~table["ok"]].iloc[0]
        t = table.index[~table["ok"]][0]
        prefix = f"{source}: " if source else ""
        if bad["last_price_date"] is None:
            raise DataError(f"{prefix}no prices for {t!r} on or before {as_of}")
        raise DataError(
            f"{prefix}stale data: latest close of {t!r} is {bad['last_price_date']}, "
            f"{int(bad['sessions_stale'])} NYSE sessions before {as_of} (limit {max_stale_sessions})"
        )
    return fr


def check_as_of(lh: Lakehouse, as_of: date | None, *, max_stale_sessions: int | None = 1,
                what: str = "--as-of") -> date:
    """Return the as-of date to use (the latest price date when ``as_of`` is None), refusing one outside the data.

    Raises :class:`DataError` naming ``what`` when ``as_of`` is before the first price date, after the
    end of the NYSE calendar, or more than ``max_stale_sessions`` NYSE sessions after the latest price
    date (no data speaks for that day; a state or report dated then would claim what nothing shows).
    ``max_stale_sessions=None`` leaves staleness to the caller (Risk4 records it as a CRITICAL alert).
    """
    base = lh.at(None)
    latest = base.latest_date()
    if as_of is None:
        return latest
    row = base.con.execute("SELECT min(date) FROM prices").fetchone()
    first = row[0] if row else None
    if first is not None and as_of < first:
        raise DataError(f"{what} {as_of}: before the first date in the lakehouse ({first})")
    check_in_calendar(as_of, what)
    lag = sessions_after(latest, as_of)
    if max_stale_sessions is not None and lag > max_stale_sessions:
        raise DataError(f"{what} {as_of}: after the latest data in the lakehouse ({latest}) by {lag} NYSE sessions "
                        f"(at most {max_stale_sessions}); import newer prices or choose an earlier date")
    return as_of
