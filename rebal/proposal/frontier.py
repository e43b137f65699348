"""The efficient frontier of a profile's universe, with the current, target and proposed portfolios on it."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.analytics.returns import simple_returns
from rebal.data.lakehouse import CASH, Lakehouse

if TYPE_CHECKING:
    from rebal.proposal.build import Proposal

__all__ = ["frontier"]


def frontier(p: Proposal, lh: Lakehouse, points: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trace the long-only efficient frontier of the profile's universe under the profile's bounds.

    Estimates are EW means and Ledoit-Wolf covariance, annualised. Also returns the (vol, ret) of
    the current, target and proposed portfolios and of each asset under the same estimates (cash:
    zero return, zero risk); vol and ret are annual fractions.
    """
    from rebal.allocation.mean_variance import MeanVariance, efficient_frontier

    spec = p.profile.target
    held = [a for a in p.current.index if a != CASH]
    universe = list(dict.fromkeys([*p.profile.tickers, *held,
                                   *[a for a in p.proposed.index if a != CASH]]))
    px = lh.at(p.as_of).prices(universe, last=spec.lookback_days + 1)
    rets = simple_returns(px, fill="none").iloc[1:].dropna(axis=1)
    mv = MeanVariance(half_life=spec.half_life)
    mu, cov = mv.estimate(rets)
    lo = spec.min_weight if spec.method in ("min_variance", "max_sharpe", "black_litterman") else 0.0
    hi = spec.max_weight if spec.method in ("min_variance", "max_sharpe", "black_litterman") else 1.0
    if hi * len(mu) < 1.0:
        lo, hi = 0.0, 1.0
    fr = efficient_frontier(mu, cov, min_weight=lo, max_weight=hi, points=points)

    def point(w: pd.Series) -> tuple[float, float]:
        x = w.drop(CASH, errors="ignore").reindex(mu.index).fillna(0.0).to_numpy()
        return float(mu.to_numpy() @ x), float(np.sqrt(x @ cov.to_numpy() @ x))

    rows = [{"name": n, "kind": "portfolio", "ret": point(w)[0], "vol": point(w)[1]}
            for n, w in (("current", p.current), ("target", p.target), ("proposed", p.proposed))]
    rows += [{"name": a, "kind": "asset", "ret": float(mu[a]), "vol": float(np.sqrt(cov.loc[a, a]))} for a in mu.index]
    return fr, pd.DataFrame(rows)
