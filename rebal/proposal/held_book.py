"""The book as actually held over a window: the baseline of the impact simulation.

A fair out-of-sample comparison gives both sides only what they knew on each date. The proposal
side is the walk-forward (refitted on data up to each refit date); the baseline side is the
**book as held on each date**: on every session t of the window the return is that of the
holdings in effect at the previous close t − 1 (the latest holdings snapshot dated on or before
t − 1: shares x closes + cash)::

    r_t = (Σ_i n_i P_i,t + cash) / (Σ_i n_i P_i,t−1 + cash) − 1,   (n, cash) = snapshot in effect at t − 1

so a snapshot dated d earns from the session after d on (trades at the close of d), and deposits
or withdrawals between snapshots do not count as returns. Closes are carried forward over gaps.

Where the holdings history starts after the window start, the accepted weight-only states of the
Last Implemented State (:mod:`rebal.monitor.state`) dated before the first snapshot stand in for
it: a state's weights w_i on its date d become n_i = w_i / P_i,d (value 1) and cash w_CASH, so
they drift with prices until the next state or snapshot. When neither covers the window start,
the baseline falls back to **today's holdings replayed** over the window, which may carry
hindsight (holdings chosen with information up to today) and is labelled so.

The walk-forward starts from the same book: the weights held at the close before the window.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH, Lakehouse
from rebal.proposal.simulation import path_returns

if TYPE_CHECKING:
    from rebal.monitor.state import StateStore

__all__ = ["HeldBook", "held_book"]


@dataclass(frozen=True)
class HeldBook:
    """The baseline path over a window and the book it starts from.

    Attributes
    ----------
    returns
        Daily simple returns (fractions) over the window's sessions.
    start_weights
        Weights held at the close before the window (fractions of value, incl. ``CASH``).
    label
        What the baseline is, for the JSON, the report and the explanation.
    hindsight
        True when today's holdings are replayed (no history covers the window start).
    dates
        Dates of the snapshots (and states) in effect over the window.
    notes
        Anything the reader should know (a price missing for a held ticker...).
    """

    returns: pd.Series
    start_weights: pd.Series
    label: str
    hindsight: bool
    dates: list[date] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def held_book(view: Lakehouse, profile: str, window: pd.DataFrame, start: pd.Timestamp, today: pd.Series,
              states: StateStore | None = None) -> HeldBook:
    """Replay the book as held on each session of ``window`` (see the module docstring).

    Parameters
    ----------
    view
        The lakehouse limited to the as-of date.
    profile
        The profile whose holdings (and states) are read.
    window
        Daily simple returns of the window (dates x tickers): its index gives the sessions; its
        columns must cover ``today`` for the fallback.
    start
        The session before the window (the close the first return starts from).
    today
        Today's weights (incl. ``CASH``), replayed when no history covers ``start``.
    states
        Accepted states, used only before the first holdings snapshot.
    """
    sessions = pd.DatetimeIndex([start, *window.index])
    last_effect = sessions[-2].date()  # holdings of the last session earn nothing inside the window
    start_d = start.date()
    snaps = [d for d in view.holdings_dates(profile) if d <= last_effect]
    events: list[tuple[date, str, pd.Series, float]] = []
    for d in snaps:
        _, shares, cash = view.holdings(profile, d)
        events.append((d, "snapshot", shares[shares != 0].astype(float), float(cash)))
    first_snap = snaps[0] if snaps else None
    if states is not None and (first_snap is None or first_snap > start_d):
        for e in states.history(profile):
            if e.as_of <= last_effect and (first_snap is None or e.as_of < first_snap):
                events.append((e.as_of, "state", e.weights.astype(float), 0.0))
        events.sort(key=lambda ev: (ev[0], ev[1] == "snapshot"))  # a snapshot wins over a state of its day
    before = [ev for ev in events if ev[0] <= start_d]
    if not before:
        return HeldBook(path_returns(today, window), today.copy(), f"today's holdings replayed (no holdings history on "
                        f"or before {start_d}: may carry hindsight)", True)
    events = [before[-1], *[ev for ev in events if ev[0] > start_d]]
    tickers = sorted({t for ev in events for t in ev[2].index if t != CASH})
    lookback = (pd.Timestamp(min(ev[0] for ev in events)) - pd.Timedelta(days=10)).date()
    px = view.prices(tickers, start=lookback) if tickers else pd.DataFrame(index=sessions)
    p = px.reindex(px.index.union(sessions)).ffill()  # closes carried forward over gaps
    books: list[tuple[pd.Series, float]] = []
    for d, kind, held, cash in events:
        if kind == "state":  # weights -> shares of a book worth 1 on the state's date
            w = held.drop(CASH, errors="ignore")
            cash = float(held.get(CASH, 0.0))
            on = p[p.index <= pd.Timestamp(d)]
            held = w / (on.iloc[-1].reindex(w.index) if len(on) else np.nan)
        books.append((held, cash))
    at = p.reindex(sessions)
    notes: list[str] = []
    values = []
    for held, cash in books:
        v = at.reindex(columns=held.index) * held
        missing = list(held.index[v.isna().any().to_numpy()])
        if missing:
            notes.append(f"no close for {', '.join(missing[:3])} on some sessions of the window: valued at 0 there")
        values.append(v.fillna(0.0).sum(axis=1) + cash)
    dates = [ev[0] for ev in events]
    k = np.searchsorted(np.array([pd.Timestamp(d) for d in dates], dtype="datetime64[ns]"),
                        sessions[:-1].to_numpy(), side="right") - 1  # book in effect at each previous close
    prev = np.array([values[j].iloc[i] for i, j in enumerate(k)])
    cur = np.array([values[j].iloc[i + 1] for i, j in enumerate(k)])
    with np.errstate(divide="ignore", invalid="ignore"):  # a book without any price has no return (NaN)
        returns = pd.Series(np.where(prev > 0, cur / prev - 1.0, np.nan), index=window.index, name="return")
    held0, cash0 = books[0]
    start_v = pd.concat([(at.loc[start].reindex(held0.index) * held0).fillna(0.0), pd.Series({CASH: cash0})])
    total = float(start_v.sum())
    start_w = start_v[start_v != 0] / total if total > 0 else today.copy()
    n_snap = sum(ev[1] == "snapshot" for ev in events)
    n_state = len(events) - n_snap
    what = _plural(n_snap, "snapshot") if n_snap else ""
    if n_state:
        what += (" and " if what else "") + _plural(n_state, "accepted weight-only state") + \
            " drifting with prices in between"
    return HeldBook(returns, start_w.rename("weight"), f"holdings as held on each date ({what})", False, dates, notes)
