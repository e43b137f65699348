"""Baseline allocators and the factory that builds one from a profile's :class:`TargetSpec`.

- :class:`FixedWeights`: the weights written in the profile;
- :class:`EqualWeight`: 1/N;
- :class:`InverseVolatility`: w_i proportional to 1 / sigma_i (sample std of daily returns);
- :class:`SkfolioAllocator`: wraps any skfolio portfolio estimator.

The factory :func:`make_allocator` builds ``min_variance`` / ``max_sharpe`` as
:class:`~rebal.allocation.mean_variance.MeanVariance` (Clarabel QPs, equal to skfolio's
``MeanRisk`` on the same estimates), ``hrp`` as the lean :class:`~rebal.allocation.hrp.HRP`
(equal to skfolio's ``HierarchicalRiskParity``) and ``black_litterman`` as
:class:`~rebal.allocation.black_litterman.BlackLittermanAllocator`.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from rebal.errors import DataError

__all__ = ["FixedWeights", "EqualWeight", "InverseVolatility", "SkfolioAllocator", "make_allocator"]


def _check_returns(returns: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame) or returns.shape[1] == 0:
        raise DataError("returns must be a non-empty DataFrame (dates x tickers)")
    bad = returns.columns[returns.isna().any()].tolist()
    if bad:
        raise DataError(f"returns have missing values for {', '.join(map(str, bad[:5]))} in the lookback window")
    if len(returns) < 2:
        raise DataError(f"need at least 2 return observations, found {len(returns)}")
    return returns


class _Base:
    weights_: pd.Series

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (scikit-learn convention)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}


class FixedWeights(_Base):
    """Weights given up front, normalised to sum to 1 over the invested part."""

    def __init__(self, weights: Mapping[str, float]):
        self.weights = dict(weights)

    def fit(self, returns: pd.DataFrame | None = None) -> "FixedWeights":
        w = pd.Series(self.weights, dtype=float)
        total = w.sum()
        if total <= 0:
            raise DataError("fixed weights must have a positive sum")
        self.weights_ = (w / total).rename("weight")
        return self


class EqualWeight(_Base):
    """1/N over the columns of ``returns``."""

    def fit(self, returns: pd.DataFrame) -> "EqualWeight":
        cols = _check_returns(returns).columns
        self.weights_ = pd.Series(1.0 / len(cols), index=cols, name="weight")
        return self


class InverseVolatility(_Base):
    """w_i = (1/sigma_i) / sum_j (1/sigma_j), sigma the sample std of daily returns."""

    def fit(self, returns: pd.DataFrame) -> "InverseVolatility":
        sd = _check_returns(returns).std(ddof=1)
        if (sd <= 0).any():
            raise DataError(f"zero volatility for {', '.join(sd.index[sd <= 0].astype(str))}")
        inv = 1.0 / sd
        self.weights_ = (inv / inv.sum()).rename("weight")
        return self


class SkfolioAllocator(_Base):
    """Adapter around a skfolio portfolio estimator so it returns ``weights_`` as a Series."""

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def fit(self, returns: pd.DataFrame) -> "SkfolioAllocator":
        X = _check_returns(returns)
        try:
            self.estimator.fit(X)
        except Exception as exc:  # solver failures are data problems for the caller
            raise DataError(f"{type(self.estimator).__name__} failed to fit: {exc}") from None
        # Solvers return weights like 1e-10 for assets they exclude: treat them as zero.
        w = np.asarray(self.estimator.weights_, dtype=float)
        w = np.where(w < 1e-8, 0.0, w)
        self.weights_ = pd.Series(w / w.sum(), index=X.columns, name="weight")
        return self


def make_allocator(spec: Any, *, sectors: Mapping[str, str] | None = None, views: Any = None) -> _Base:
    """Build the allocator for a :class:`rebal.allocation.spec.TargetSpec`.

    ``sectors`` (ticker -> GICS sector) feeds the sector caps of the mean-variance methods;
    ``views`` is the :class:`~rebal.allocation.black_litterman.ViewsProvider` of a
    ``black_litterman`` target.
    """
    method = spec.method
    if method == "fixed":
        return FixedWeights(spec.weights)
    if method == "equal_weight":
        return EqualWeight()
    if method == "inverse_vol":
        return InverseVolatility()
    if method == "hrp":
        from rebal.allocation.hrp import HRP

        return HRP(linkage=spec.linkage)
    caps = {}
    if sectors is not None and (spec.max_sector_weight < 1.0 or spec.sector_max):
        caps = {s: spec.max_sector_weight for s in set(sectors.values()) if s}
        for s, cap in spec.sector_max.items():
            caps[s] = min(cap, caps.get(s, 1.0))
    common = dict(min_weight=spec.min_weight, max_weight=spec.max_weight, half_life=spec.half_life,
                  groups=sectors, group_max=caps)
    if method in ("min_variance", "max_sharpe"):
        from rebal.allocation.mean_variance import MeanVariance

        return MeanVariance(method, risk_free_rate=spec.risk_free_rate, **common)
    if method == "black_litterman":
        from rebal.allocation.black_litterman import BlackLittermanAllocator

        bl = spec.black_litterman
        return BlackLittermanAllocator(views, delta=bl.delta, tau=bl.tau, omega=bl.omega,
                                       market_weights=bl.market_weights or None, **common)
    raise ValueError(f"unknown target method {method!r}")  # the config loader rejects unknown methods
