"""Data freshness: the latest close of each ticker against the as-of date, on the NYSE calendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

import pandas as pd

from rebal.calendar import sessions_after
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

__all__ = ["Freshness", "check_freshness"]


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
