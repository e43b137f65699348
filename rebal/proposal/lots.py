"""A profile's tax lots from what the lakehouse knows: its holdings snapshots, paper fills and lot statements.

:func:`lot_history` replays the profile's recorded implementations in date order through a
:class:`~rebal.analytics.lots.LotBook` (the profile's lot method and wash-sale groups):

1. each **holdings snapshot** is an implementation: a ticker whose shares went up opened a lot
   on that day, one whose shares went down sold shares (lots relieved by the profile's lot
   method, the gain or loss realised in that year);
2. the price of those trades is the **paper fill** price (plus its commission per share) where
   the profile's execution recorded one for that day and ticker (``fills``); otherwise the
   basis is **inferred from the close of the implementation day (adjusted closes)**: the
   lakehouse's closes are dividend- and split-adjusted, so an inferred basis is below the price
   actually paid before later dividends and the gains it gives are overstated by them;
3. an imported **lot statement** (``tax_lots``, :mod:`rebal.data.lots`) replaces the lots of its
   tickers on its date with the stated ones (after that day's snapshot); where its shares differ
   from the holdings, the holdings win (the newest stated lots are cut, or inferred lots fill the
   gap) and a note says so.

Before the first snapshot nothing is known: lots start there, and so do realised results.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.analytics.lots import Lot, LotBook
from rebal.data.lakehouse import Lakehouse
from rebal.data.lots import holdings_history, lot_statements, profile_fills

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["INFERRED", "LotHistory", "lot_history"]

#: how an inferred basis is labelled wherever it is shown
INFERRED = "inferred from the close of the implementation day (adjusted closes)"


@dataclass
class LotHistory:
    """The open lots as of a date and what the recorded implementations realised, by year (USD)."""

    book: LotBook
    #: recognised short- and long-term results by calendar year (index), wash-sale adjustments included
    realised: pd.DataFrame
    first: date | None
    notes: list[str] = field(default_factory=list)

    def year_to_date(self, year: int) -> tuple[float, float]:
        """Short- and long-term results realised in ``year`` before the proposal."""
        if year not in self.realised.index:
            return 0.0, 0.0
        r = self.realised.loc[year]
        return float(r["short_term"]), float(r["long_term"])

    def basis_sources(self) -> dict[str, int]:
        """Count the open lots by where their basis comes from (inferred, paper fill, imported statement)."""
        out = {"inferred": 0, "paper fill": 0, "imported": 0}
        for lots in self.book.lots.values():
            for lot in lots:
                kind = ("imported" if lot.source.startswith("imported") else
                        "paper fill" if lot.source.startswith("paper fill") else "inferred")
                out[kind] += 1
        return out


def lot_history(profile: Profile, view: Lakehouse) -> LotHistory:
    """Replay the recorded implementations of ``profile`` up to ``view``'s as-of date (module docstring)."""
    tax = profile.tax
    name = profile.name
    held = holdings_history(view, name)
    snaps = list(held)
    statements = lot_statements(view, name)
    fills = profile_fills(view, name)
    book = LotBook(tax.groups)
    records: list[tuple[int, float, float]] = []
    notes: list[str] = []
    days = sorted({*snaps, *statements["as_of"]})
    if not days:
        return LotHistory(book, _by_year(records), None, notes)
    tickers = sorted({t for s in held.values() for t in s.index} | set(statements.get("ticker", [])))
    closes = _Closes(view.prices(tickers).ffill() if tickers else pd.DataFrame())
    by_day = {k: g for k, g in fills.groupby("date")} if len(fills) else {}
    last: pd.Series = pd.Series(dtype=float)
    for d in days:
        if d in held:
            last = held[d][held[d] != 0]
            _implement(book, tax, d, last, closes, by_day.get(d), records, notes)
        st = statements[statements["as_of"] == d]
        if len(st):
            _apply_statement(book, d, st, last, notes)
    return LotHistory(book, _by_year(records), days[0], notes)


class _Closes:
    """Closes by (ticker, day): the last close on or before the day (the first one when there is none before)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.days = frame.index.values
        self.values = frame.to_numpy(float)
        self.col = {t: j for j, t in enumerate(frame.columns)}

    def at(self, ticker: str, d: date, notes: list[str]) -> float:
        j = self.col.get(ticker)
        if j is not None:
            col = self.values[:, j]
            i = int(np.searchsorted(self.days, np.datetime64(d), side="right")) - 1
            if i >= 0 and np.isfinite(col[i]):
                return float(col[i])
            ok = np.flatnonzero(np.isfinite(col))
            if len(ok):
                notes.append(f"{ticker}: no close on or before {d}; its basis uses the first close, "
                             f"{pd.Timestamp(self.days[ok[0]]).date()}")
                return float(col[ok[0]])
        raise ValueError(f"no close for {ticker} to value its lots")  # cannot happen: holdings need prices


def _implement(book: LotBook, tax, d: date, shares: pd.Series, closes: _Closes, f: pd.DataFrame | None,
               records: list, notes: list[str]) -> None:
    """Trade ``book`` to the snapshot ``shares`` of day ``d`` (``f``: the day's fills): sells first, then buys."""
    day = pd.Timestamp(d)
    delta = {t: float(shares.get(t, 0.0)) - book.shares(t) for t in sorted(set(shares.index) | set(book.lots))}
    for t, q in delta.items():
        if q < -1e-9:
            px, _ = _fill_price(f, t, "SELL")
            got = book.sell(t, -q, px if px is not None else closes.at(t, d, notes), day, relief=tax.lot_method,
                            rates=tax)
            records.append((d.year, got.short_term, got.long_term))
    for t, q in delta.items():
        if q > 1e-9:
            px, filled = _fill_price(f, t, "BUY")
            parts = []
            if px is not None:
                parts.append((min(q, filled), px, f"paper fill of {d}"))
            if q - sum(p[0] for p in parts) > 1e-9:
                parts.append((q - sum(p[0] for p in parts), closes.at(t, d, notes), f"{INFERRED}, {d}"))
            for n, p, src in parts:
                got = book.buy(t, n, p, day, source=src)
                for w in got.washes:  # an earlier loss disallowed: it belongs to the year of its sale
                    records.append((w.sale_day.year, 0.0 if w.long_term else w.amount,
                                    w.amount if w.long_term else 0.0))


def _fill_price(fills: pd.DataFrame | None, ticker: str, side: str) -> tuple[float | None, float]:
    """Average fill price of the day's ``side`` fills of ``ticker``, commission included per share; shares filled."""
    if fills is None or not len(fills):
        return None, 0.0
    m = fills[(fills["ticker"] == ticker) & (fills["side"] == side)]
    n = float(m["shares"].sum())
    if n <= 0:
        return None, 0.0
    gross = float((m["shares"] * m["price"]).sum())
    comm = float(m["commission"].sum())
    # a buy's commission adds to its basis; a sale's reduces the amount realised (IRS Publication 550)
    return (gross + comm) / n if side == "BUY" else (gross - comm) / n, n


def _apply_statement(book: LotBook, d: date, st: pd.DataFrame, held: pd.Series, notes: list[str]) -> None:
    """Replace the lots of the statement's tickers with the stated lots, reconciled to the holdings."""
    for t, rows in st.groupby("ticker"):
        stated = [Lot(r.shares, r.cost_basis / r.shares, pd.Timestamp(r.acquired), pd.Timestamp(r.acquired),
                      f"imported lot statement of {d}") for r in rows.sort_values("acquired").itertuples()]
        want = float(held.get(t, 0.0))
        have = float(sum(lot.shares for lot in stated))
        old = sorted(book.lots.get(t, []), key=lambda lot: lot.bought, reverse=True)
        if have > want + 1e-6:
            notes.append(f"lot statement of {d}: {t} lots total {have:,.0f} shares, the holdings {want:,.0f}: the "
                         "newest stated lots are cut to the holdings")
            cut = have - want
            for lot in reversed(stated):
                take = min(cut, lot.shares)
                lot.shares -= take
                lot.free = min(lot.free, lot.shares)
                cut -= take
            stated = [lot for lot in stated if lot.shares > 1e-9]
        elif have < want - 1e-6:
            notes.append(f"lot statement of {d}: {t} lots total {have:,.0f} shares, the holdings {want:,.0f}: the "
                         f"other {want - have:,.0f} keep their inferred lots")
            gap = want - have
            for lot in old:
                if gap <= 1e-9:
                    break
                part = lot.copy()
                part.shares = part.free = min(gap, lot.shares)
                stated.append(part)
                gap -= part.shares
        book.lots[t] = stated


def _by_year(records: list[tuple[int, float, float]]) -> pd.DataFrame:
    if not records:
        return pd.DataFrame(columns=["short_term", "long_term"], dtype=float)
    df = pd.DataFrame(records, columns=["year", "short_term", "long_term"])
    return df.groupby("year")[["short_term", "long_term"]].sum().astype(np.float64)

