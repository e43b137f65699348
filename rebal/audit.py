"""The drift audit of one profile as of a date: what the drift_audit notebook and the CLI show.

:func:`drift_audit` gathers the implemented portfolio, the current target, per-asset drift, the
status, data freshness, and the drift path since implementation into one frozen result.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from rebal.config import Profile
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.drift import DriftResult, drift_path, drift_status, drift_table, portfolio_drift
from rebal.portfolio import (
    CurrentPortfolio,
    Freshness,
    TargetWeights,
    check_freshness,
    compute_target,
    current_portfolio,
)

__all__ = ["DriftAudit", "drift_audit"]


@dataclass(frozen=True)
class DriftAudit:
    """Everything the drift audit reports for one profile and as-of date."""

    profile: Profile
    as_of: date
    data_latest: date
    current: CurrentPortfolio
    target: TargetWeights
    implemented: pd.Series      # weights on the snapshot date (what was implemented)
    result: DriftResult
    table: pd.DataFrame         # per asset: name, sector, actual, target, drift, breach, value
    path: pd.Series             # daily drift since implementation vs the implemented weights
    price_drift: float          # implemented weights vs today's weights (market moves only)
    target_change: float        # implemented weights vs today's target (the target moved)
    freshness: Freshness

    @property
    def is_rerun(self) -> bool:
        """Whether the as-of date is before the latest data in the lakehouse."""
        return self.as_of < self.data_latest


def drift_audit(profile: Profile, lh: Lakehouse, as_of: date | None = None) -> DriftAudit:
    """Run the drift audit of ``profile`` on lakehouse ``lh`` as of ``as_of`` (default: latest data).

    Only data dated on or before ``as_of`` is read. Raises :class:`~rebal.errors.DataError` when
    holdings are missing or any needed ticker is stale beyond ``profile.data.max_stale_sessions``.
    """
    data_latest = lh.at(None).latest_date()
    as_of = as_of or data_latest
    view = lh.at(as_of)
    current = current_portfolio(profile, view, as_of)
    needed = list(dict.fromkeys([*profile.tickers, *current.shares.index, profile.benchmark]))
    freshness = check_freshness(view, needed, as_of, max_stale_sessions=profile.data.max_stale_sessions,
                                source=profile.source)
    target = compute_target(profile, view, as_of)
    th = profile.drift
    result = drift_status(current.weights, target.weights, rebalance=th.rebalance, urgent=th.urgent,
                          single_asset_urgent=th.single_asset_urgent)
    table = drift_table(current.weights, target.weights, single_asset_urgent=th.single_asset_urgent)
    ref = lh.tickers()
    table.insert(0, "sector", [("Cash" if a == CASH else ref["sector"].get(a)) for a in table.index])
    table.insert(0, "name", [("Cash (USD)" if a == CASH else ref["name"].get(a, a)) for a in table.index])
    table["value"] = current.values.reindex(table.index).fillna(0.0)

    px = view.prices(list(current.shares.index), start=current.snapshot_date).ffill()
    implemented_px = px.iloc[0]
    implemented = pd.Series(
        (current.shares * implemented_px).to_dict() | ({CASH: current.cash} if current.cash else {}))
    implemented = implemented / implemented.sum()
    path = drift_path(current.shares, px, current.cash, implemented)
    return DriftAudit(
        profile=profile,
        as_of=as_of,
        data_latest=data_latest,
        current=current,
        target=target,
        implemented=implemented.rename("implemented"),
        result=result,
        table=table,
        path=path,
        price_drift=portfolio_drift(current.weights, implemented),
        target_change=portfolio_drift(implemented, target.weights),
        freshness=freshness,
    )
