"""The record of the week: every implementation recorded since the last committee, whichever command recorded it.

A committee signs what it is asked to sign and must see what was done since it last met. The
implementations of a profile in the window (last committee, as-of date] come from four records:

- **holdings snapshots** (the ``holdings`` and ``cash_balances`` tables): a snapshot is the book as
  implemented at that close. Its ``source`` says who wrote it: ``paper (<batch>)`` a paper execution
  (``rebal propose --execute``), ``sample (risk4)`` / ``sample`` the sample's Risk4 or periodic
  implementations (``rebal data build-sample``), anything else an import (``rebal data import
  holdings``). Each is described by its trades (tickers whose shares changed) and its one-way
  turnover ½ Σ |w_after − w_before| against the previous snapshot, both valued at that day's closes
  (cash included as a weight);
- **paper executions** (``rebalance_history``): the proposal executed, its trades and cost;
- **Risk4 runs** recorded by ``rebal risk4`` (``risk4_runs``): status and turnover;
- **accepted states** (the state files beside the lakehouse): ``rebal accept-state`` (a target or the
  holdings accepted as implemented), and the drift monitor's first baseline (``rebal drift-monitor``
  on a profile without a state).

Records of the same day and profile are one line, naming every command that recorded it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from rebal.data.holdings import snapshot_sources
from rebal.data.selection_runs import runs_between
from rebal.data.trading import rebalance_history

if TYPE_CHECKING:
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.state import StateStore

__all__ = ["Implementation", "snapshot_change", "implementations_since"]


@dataclass(frozen=True)
class Implementation:
    """One implementation recorded on one day: what it did and which commands recorded it."""

    day: date
    what: str
    #: the records behind it, each naming its command, e.g. "holdings snapshot (rebal data import holdings)"
    records: tuple[str, ...]

    def line(self) -> str:
        """Write the implementation in one line: ``2022-12-27: 11 trade(s), 8.1 % one-way turnover [records]``."""
        return f"{self.day}: {self.what} [{'; '.join(self.records)}]"

    def to_json(self) -> dict[str, object]:
        """Plain types for scraps."""
        return {"date": str(self.day), "what": self.what, "records": list(self.records), "line": self.line()}


def _snapshot_command(source: str) -> str:
    s = source.lower()
    if s.startswith("paper"):
        return f"holdings snapshot of a paper execution, {source} (rebal propose --execute)"
    if s.startswith("sample"):
        kind = "Risk4" if "risk4" in s else "periodic"
        return f"holdings snapshot, sample {kind} implementation (rebal data build-sample)"
    return f"holdings snapshot, source {source} (rebal data import holdings)"


def snapshot_change(lh: Lakehouse, profile: str, day: date) -> tuple[int, float] | None:
    """Trades and one-way turnover of the snapshot of ``day`` against the one before (see the module docstring).

    None when there is no earlier snapshot (an initial implementation) or no close to value it.
    """
    dates = [d for d in lh.at(day).holdings_dates(profile) if d <= day]
    if len(dates) < 2 or dates[-1] != day:
        return None
    _, before, cash_b = lh.holdings(profile, as_of=dates[-2])
    _, after, cash_a = lh.holdings(profile, as_of=day)
    tickers = sorted(set(before.index) | set(after.index))
    if not tickers:
        return 0, 0.0
    px = lh.at(day).prices(tickers).ffill().iloc[-1]
    if px.isna().any():
        return None
    b, a = before.reindex(tickers, fill_value=0.0), after.reindex(tickers, fill_value=0.0)
    vb, va = float((b * px).sum() + cash_b), float((a * px).sum() + cash_a)
    if vb <= 0 or va <= 0:
        return None
    wb = pd.concat([b * px / vb, pd.Series({"CASH": cash_b / vb})])
    wa = pd.concat([a * px / va, pd.Series({"CASH": cash_a / va})])
    trades = int(((a - b).abs() > 1e-9).sum())
    return trades, float(0.5 * (wa - wb).abs().sum())


def _state_command(accepted_by: str, source: str) -> str:
    if accepted_by == "rebal drift-monitor":
        return f"first baseline of the drift monitor, from the {source} (rebal drift-monitor)"
    return f"accepted state, the {source} accepted as implemented by {accepted_by} (rebal accept-state)"


def implementations_since(lh: Lakehouse, profile: str, after: date, until: date,
                          states: StateStore | None = None) -> list[Implementation]:
    """List the implementations of ``profile`` recorded in (``after``, ``until``], oldest first (module docstring)."""
    what: dict[date, str] = {}
    records: dict[date, list[str]] = {}

    def add(day: date, record: str, text: str = "") -> None:
        records.setdefault(day, []).append(record)
        if text and day not in what:
            what[day] = text

    for when, source in snapshot_sources(lh, profile, after, until).items():
        day = pd.Timestamp(when).date()
        change = snapshot_change(lh, profile, day)
        text = ("initial implementation (no earlier snapshot)" if change is None
                else f"{change[0]} trade(s), {change[1]:.1%} one-way turnover".replace("%", " %"))
        add(day, _snapshot_command(source), text)
    hist = rebalance_history(lh, profile)
    if len(hist):
        days = pd.to_datetime(hist["as_of"]).dt.date
        hist = hist[(days > after) & (days <= until)]
        for r in hist.itertuples():
            cost = f", cost {r.actual_cost_bps:.1f} bps" if pd.notna(r.actual_cost_bps) else ""
            add(pd.Timestamp(r.as_of).date(),
                f"paper execution of {r.proposal_id}, {r.n_trades} trade(s){cost} (rebal propose --execute)",
                f"proposal {r.proposal_id} executed")
    for r in runs_between(lh, profile, after, until).itertuples():
        if r.status == "BLOCKED":
            continue
        turnover = f", {r.turnover:.1%} turnover".replace("%", " %") if pd.notna(r.turnover) else ""
        add(pd.Timestamp(r.date).date(), f"Risk4 run, status {r.status}{turnover} (rebal risk4)",
            f"Risk4 run {r.status}")
    if states is not None:
        for e in states.history(profile):
            if after < e.as_of <= until:
                add(e.as_of, _state_command(e.accepted_by, e.source), f"state accepted ({e.source})")
    return [Implementation(d, what.get(d, "recorded"), tuple(records[d])) for d in sorted(records)]
