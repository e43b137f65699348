"""The drift audit of one profile as of a date: what the drift_audit notebook and the CLI show.

The Last Implemented State (LIS) is the most recent of: the profile's latest accepted state
(:mod:`rebal.monitor.state`) and its latest holdings snapshot in the lakehouse, both on or before the
as-of date (ties go to the accepted state). Its weights are carried forward with real prices to
the as-of date (buy and hold) and compared with the current target.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from rebal.allocation.target import TargetWeights, compute_target
from rebal.analytics.drift import (
    DriftResult,
    drift_path,
    drift_split,
    drift_status,
    drift_table,
    portfolio_drift,
    weights_from_holdings,
)
from rebal.config import Profile
from rebal.data.freshness import Freshness, check_freshness
from rebal.data.holdings import check_book
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError
from rebal.monitor.state import StateStore

__all__ = ["LastImplemented", "DriftAudit", "last_implemented", "check_inputs", "drift_audit"]


@dataclass(frozen=True)
class LastImplemented:
    """What was implemented, when, and where the record comes from."""

    as_of: date
    weights: pd.Series           # weights on the implementation date (CASH included)
    source: str                  # "holdings" or "accepted state"
    detail: str                  # one line for readers
    units: pd.Series             # units held per ticker (shares, or weight / price for a state)
    cash: float                  # cash (dollars for holdings, weight for a state)
    dollars: bool                # whether units/cash are real shares and dollars


def last_implemented(profile: Profile, lh: Lakehouse, as_of: date, states: StateStore | None = None) -> LastImplemented:
    """Resolve the LIS of ``profile`` on or before ``as_of`` (see the module docstring)."""
    view = lh.at(as_of)
    hold = None
    if view.holdings_dates(profile.name):
        hold = view.holdings(profile.name)
    state = states.current(profile.name, as_of) if states is not None else None
    if hold is None and state is None:
        raise DataError(f"{profile.source}: no Last Implemented State on or before {as_of}: no accepted state "
                        "and no holdings (import holdings, or run `rebal drift-monitor` to record a baseline)")
    if state is not None and (hold is None or state.as_of >= hold[0]):
        tickers = [t for t in state.weights.index if t != CASH]
        px = view.prices(tickers, start=state.as_of)
        if len(px) == 0 or px.iloc[0].isna().any():
            raise DataError(f"no prices on {state.as_of} for the accepted state of {profile.name!r}")
        p0 = px.iloc[0]
        units = state.weights[tickers] / p0
        return LastImplemented(state.as_of, state.weights, "accepted state",
                               f"accepted {state.accepted_at} by {state.accepted_by} (as of {state.as_of})",
                               units, float(state.weights.get(CASH, 0.0)), False)
    snap, shares, cash = hold
    check_book(lh, profile.name, snap, shares, cash, None, long_only=profile.long_only)
    px = view.prices(list(shares.index), start=snap)
    p0 = px.iloc[0] if len(px) else pd.Series(float("nan"), index=shares.index)
    if p0.isna().any():
        raise DataError(f"{lh.path}: no price on {snap} for held {p0.index[p0.isna()][0]!r}")
    check_book(lh, profile.name, snap, shares, cash, p0, long_only=profile.long_only)
    return LastImplemented(snap, weights_from_holdings(shares, p0, cash), "holdings",
                           f"holdings implemented on {snap}", shares, cash, True)


def check_inputs(profile: Profile, lh: Lakehouse, as_of: date,
                 states: StateStore | None = None) -> tuple[LastImplemented, Freshness]:
    """Return the LIS of ``profile`` and the freshness of every ticker its reports need (universe, held, benchmark).

    Raises :class:`~rebal.errors.DataError` when there is no LIS or a ticker is stale.
    """
    view = lh.at(as_of)
    lis = last_implemented(profile, view, as_of, states)
    needed = list(dict.fromkeys([*profile.tickers, *lis.units.index, profile.benchmark]))
    fresh = check_freshness(view, needed, as_of, max_stale_sessions=profile.data.max_stale_sessions,
                            source=profile.source)
    return lis, fresh


@dataclass(frozen=True)
class DriftAudit:
    """Everything the drift audit reports for one profile and as-of date."""

    profile: Profile
    as_of: date
    data_latest: date
    lis: LastImplemented
    actual: pd.Series            # weights today (LIS carried forward with prices)
    prices: pd.Series            # latest close on or before as_of per held ticker
    total_value: float | None    # dollars, when the LIS is a holdings snapshot
    target: TargetWeights
    result: DriftResult
    table: pd.DataFrame          # per asset: name, sector, actual, target, drift, beyond_band, value
    path: pd.Series              # daily drift since implementation vs the implemented weights
    price_drift: float           # implemented weights vs today's weights (market moves only)
    target_change: float         # implemented weights vs today's target (the target moved)
    freshness: Freshness
    #: the drift against today's target split into parts that add up (prices, the target's move)
    price_part: float = float("nan")
    target_part: float = float("nan")

    @property
    def is_rerun(self) -> bool:
        """Whether the as-of date is before the latest data in the lakehouse."""
        return self.as_of < self.data_latest


def drift_audit(profile: Profile, lh: Lakehouse, as_of: date | None = None,
                states: StateStore | None = None) -> DriftAudit:
    """Run the drift audit of ``profile`` on lakehouse ``lh`` as of ``as_of`` (default: latest data).

    Only data dated on or before ``as_of`` is read. Raises :class:`~rebal.errors.DataError` when
    there is no LIS or any needed ticker is stale beyond ``profile.data.max_stale_sessions``.
    """
    data_latest = lh.at(None).latest_date()
    as_of = as_of or data_latest
    view = lh.at(as_of)
    lis, freshness = check_inputs(profile, view, as_of, states)
    px = view.prices(list(lis.units.index), start=lis.as_of).ffill()
    path = drift_path(lis.units, px, lis.cash, lis.weights)
    last_px = px.iloc[-1]
    actual = weights_from_holdings(lis.units, last_px, lis.cash).rename("actual")
    values = lis.units * last_px
    if lis.cash:
        values = pd.concat([values, pd.Series({CASH: lis.cash})])
    target = compute_target(profile, view, as_of)
    th = profile.drift
    result = drift_status(actual, target.weights, rebalance=th.rebalance, urgent=th.urgent,
                          single_asset_urgent=th.single_asset_urgent)
    table = drift_table(actual, target.weights, single_asset_urgent=th.single_asset_urgent)
    ref = lh.tickers()
    table.insert(0, "sector", [("Cash" if a == CASH else ref["sector"].get(a)) for a in table.index])
    table.insert(0, "name", [("Cash (USD)" if a == CASH else ref["name"].get(a, a)) for a in table.index])
    total = float(values.sum()) if lis.dollars else None
    price_part, target_part = drift_split(actual, lis.weights, target.weights)
    table["value"] = values.reindex(table.index).fillna(0.0) if lis.dollars else float("nan")
    return DriftAudit(
        profile=profile, as_of=as_of, data_latest=data_latest, lis=lis, actual=actual,
        prices=last_px.rename("price"), total_value=total, target=target, result=result, table=table,
        path=path, price_drift=portfolio_drift(actual, lis.weights),
        target_change=portfolio_drift(lis.weights, target.weights), freshness=freshness,
        price_part=price_part, target_part=target_part,
    )
