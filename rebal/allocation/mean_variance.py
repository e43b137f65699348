"""Mean-variance allocators (Markowitz) solved as quadratic programs with Clarabel.

Inputs: expected returns μ as exponentially weighted means of daily returns (half-life
``half_life`` sessions, pandas ``ewm(halflife, adjust=True)``, the same estimate as skfolio's
``EWMu``), covariance Σ by Ledoit-Wolf shrinkage (:func:`rebal.analytics.risk.ledoit_wolf`), both
annualised with 252 sessions. Constraints: fully invested, bounds ``min_weight <= w_i <= max_weight``
(long-only when ``min_weight >= 0``; a negative ``min_weight`` allows shorts down to it, long-short
with the weights still summing to 1) and sector caps ``Σ_{i in s} w_i <= cap_s``.

Objectives
----------
``min_variance``
    min wᵀΣw.
``max_sharpe``
    max (μ - r_f)ᵀw / sqrt(wᵀΣw), made convex by the Cornuejols-Tütüncü change of variables
    y = κw: min yᵀΣy s.t. (μ - r_f)ᵀy = 1, Σy = κ, κ·lo <= y <= κ·hi, sector rows scaled by κ.
``max_utility``
    max μᵀw - (δ/2) wᵀΣw (used with Black-Litterman posterior returns).

The quadratic programmes and their solution (Clarabel, an interior-point solver; above 100 assets
min variance and max Sharpe are solved on a working set of assets, checked optimal for all of
them) are in :mod:`rebal.allocation.qp`; ``benchmarks/bench_allocation.py`` compares the fits with
PyPortfolioOpt and skfolio. :func:`efficient_frontier` traces min-variance portfolios for a range of
target returns under the same constraints.
"""
from __future__ import annotations

import typing
from typing import Literal, Mapping

import numpy as np
import pandas as pd

from rebal.allocation.base import ANNUAL, BaseAllocator, check_choice
from rebal.allocation.qp import group_rows, mv_weights
from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.errors import ConfigError, DataError

__all__ = ["MeanVariance", "ew_mean", "efficient_frontier", "check_bounds", "check_feasible", "ANNUAL"]
Objective = Literal["min_variance", "max_sharpe", "max_utility"]


def ew_mean(returns: pd.DataFrame, half_life: float) -> pd.Series:
    """Exponentially weighted mean of daily returns (pandas ``adjust=True``; equals skfolio ``EWMu``).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily simple returns (dates x tickers, fractions).
    half_life : float
        Half-life in sessions.

    Returns
    -------
    pandas.Series
        Daily expected return by ticker (fractions a day; x 252 for annual).
    """
    return returns.ewm(halflife=half_life, adjust=True).mean().iloc[-1]


def check_bounds(min_weight: float, max_weight: float, owner: str) -> None:
    """Refuse weight bounds that are not numbers in [-1, 1] with ``min_weight <= max_weight`` (fractions).

    A negative ``min_weight`` is a long-short bound and is supported; ``max_weight`` must be > 0.
    """
    for name, v in (("min_weight", min_weight), ("max_weight", max_weight)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not -1.0 <= v <= 1.0:
            raise ConfigError(f"Invalid `{name}` of {owner}: must be a number in [-1, 1] (a fraction; negative "
                              f"min_weight allows shorts), found {v!r}")
    if not max_weight > 0:
        raise ConfigError(f"Invalid `max_weight` of {owner}: must be > 0, found {max_weight!r}")
    if min_weight > max_weight:
        raise ConfigError(f"Invalid `min_weight` of {owner}: {min_weight} > `max_weight` {max_weight}")


def check_feasible(min_weight: float, max_weight: float, n: int, what: str) -> None:
    """Raise :class:`DataError` when the bounds admit no fully invested portfolio of ``n`` assets."""
    if max_weight * n < 1.0 - 1e-12 or min_weight * n > 1.0 + 1e-12:
        raise DataError(f"{what}: bounds [{min_weight}, {max_weight}] x {n} assets admit no fully invested portfolio")


class MeanVariance(BaseAllocator):
    """Mean-variance allocator (see the module docstring).

    Parameters
    ----------
    objective : {"min_variance", "max_sharpe", "max_utility"}, default "min_variance"
        What the quadratic programme optimises.
    risk_free_rate : float, default 0.0
        Annual risk-free rate (fraction, e.g. 0.02), for ``max_sharpe``.
    half_life : float, default 126
        Half-life of the exponentially weighted means, in sessions.
    min_weight, max_weight : float, default 0.0 and 1.0
        Bounds on every weight (fractions, in [-1, 1]); a negative ``min_weight`` allows shorts
        down to it (long-short, the weights still sum to 1).
    groups : Mapping[str, str] or None
        Ticker -> group (e.g. GICS sector), for ``group_max``.
    group_max : Mapping[str, float] or None
        Group -> maximum total weight (fraction).
    risk_aversion : float, default 2.5
        δ of ``max_utility`` (unitless, on annual μ and Σ).
    mu : pandas.Series or None
        Annual expected returns by ticker to use instead of estimating them (e.g. a
        Black-Litterman posterior); used only together with ``covariance``.
    covariance : pandas.DataFrame or None
        Annual covariance by ticker to use instead of estimating it.

    Attributes
    ----------
    weights_ : pandas.Series
        Fractions summing to 1, indexed by ticker.
    mu_ : pandas.Series
        Annual expected returns used (fractions a year).
    covariance_ : pandas.DataFrame
        Annual covariance used.
    """

    def __init__(self, objective: Objective = "min_variance", *, risk_free_rate: float = 0.0, half_life: float = 126,
                 min_weight: float = 0.0, max_weight: float = 1.0, groups: Mapping[str, str] | None = None,
                 group_max: Mapping[str, float] | None = None, risk_aversion: float = 2.5,
                 mu: pd.Series | None = None, covariance: pd.DataFrame | None = None):
        self.objective = objective
        self.risk_free_rate = risk_free_rate
        self.half_life = half_life
        self.min_weight = min_weight
        self.max_weight = max_weight
        self.groups = groups
        self.group_max = group_max
        self.risk_aversion = risk_aversion
        self.mu = mu
        self.covariance = covariance

    def estimate(self, returns: pd.DataFrame | None) -> tuple[pd.Series, pd.DataFrame]:
        """Annual μ and Σ: the given ``mu``/``covariance``, else estimated from ``returns``.

        Parameters
        ----------
        returns : pandas.DataFrame or None
            Daily simple returns (dates x tickers); not used when ``mu`` and ``covariance`` are given.

        Returns
        -------
        (pandas.Series, pandas.DataFrame)
            μ: exponentially weighted mean of daily returns (half-life ``half_life`` sessions) x 252;
            Σ: Ledoit-Wolf covariance of daily returns x 252.
        """
        if self.mu is not None and self.covariance is not None:
            return self.mu.astype(float), self.covariance.astype(float)
        from rebal.analytics.risk import ledoit_wolf

        X = self._returns(returns)
        cov, _ = ledoit_wolf(X.to_numpy(float))
        mu = ew_mean(X, self.half_life) * PERIODS_PER_YEAR
        return mu, pd.DataFrame(cov * PERIODS_PER_YEAR, index=X.columns, columns=X.columns)

    def _validate(self) -> None:
        check_choice(self, "objective", typing.get_args(Objective))
        check_bounds(self.min_weight, self.max_weight, "MeanVariance")
        if not self.half_life > 0:
            raise ConfigError(f"Invalid `half_life` of MeanVariance: must be > 0 sessions, found {self.half_life!r}")
        if not self.risk_aversion > 0:
            raise ConfigError(f"Invalid `risk_aversion` of MeanVariance: must be > 0, found {self.risk_aversion!r}")
        if (self.mu is None) != (self.covariance is None):
            raise ConfigError("Invalid `mu`/`covariance` of MeanVariance: give both or neither")

    def fit(self, X: pd.DataFrame | None, y: None = None) -> MeanVariance:
        """Fit on daily simple returns ``X`` (dates x tickers), or on the given ``mu`` and ``covariance``.

        Parameters
        ----------
        X : pandas.DataFrame or None
            Daily simple returns (fractions); may be None when ``mu`` and ``covariance`` are given.
        y : None
            Ignored.

        Returns
        -------
        MeanVariance
            ``self``, with ``weights_``, ``mu_`` and ``covariance_``.

        Raises
        ------
        ConfigError
            An invalid parameter (named in the message).
        DataError
            Bad returns, bounds that admit no fully invested portfolio, or a solver failure.
        """
        self._validate()
        mu, cov = self.estimate(X)
        assets = list(cov.index)
        n = len(assets)
        check_feasible(self.min_weight, self.max_weight, n, self.objective)
        Gs, caps, _ = group_rows(assets, dict(self.groups or {}), dict(self.group_max or {}))
        w = mv_weights(self.objective, mu.reindex(assets).to_numpy(float), cov.to_numpy(float), self.min_weight,
                        self.max_weight, Gs, caps, risk_free=self.risk_free_rate, risk_aversion=self.risk_aversion)
        self.mu_, self.covariance_ = mu.reindex(assets), cov
        self.weights_ = pd.Series(w, index=assets, name="weight")
        return self


def efficient_frontier(mu: pd.Series, cov: pd.DataFrame, *, min_weight: float = 0.0, max_weight: float = 1.0,
                       groups: Mapping[str, str] | None = None, group_max: Mapping[str, float] | None = None,
                       points: int = 25) -> pd.DataFrame:
    """Trace the efficient frontier: min-variance portfolios for a range of target returns.

    ``points`` target returns from the min-variance portfolio's return to the highest feasible one,
    under the same bounds and caps.

    Parameters
    ----------
    mu : pandas.Series
        Annual expected returns by ticker (fractions a year).
    cov : pandas.DataFrame
        Annual covariance by ticker.
    min_weight, max_weight : float
        Bounds on every weight (fractions, in [-1, 1]); a negative ``min_weight`` allows shorts
        down to it (long-short, the weights still sum to 1).
    groups, group_max : Mapping or None
        Ticker -> group and group -> maximum total weight (fractions).
    points : int, default 25
        Target returns tried (infeasible ones are skipped).

    Returns
    -------
    pandas.DataFrame
        Columns ``ret`` (annual return), ``vol`` (annual volatility) and ``sharpe`` (ret / vol, risk-free
        rate 0), one row per portfolio, by increasing return.
    """
    assets = list(cov.index)
    check_bounds(min_weight, max_weight, "efficient_frontier")
    check_feasible(min_weight, max_weight, len(assets), "efficient_frontier")
    m, S = mu.reindex(assets).to_numpy(float), cov.to_numpy(float)
    Gs, caps, _ = group_rows(assets, groups, group_max)
    w0 = mv_weights("min_variance", m, S, min_weight, max_weight, Gs, caps)
    # highest feasible return: a linear programme, solved as max_utility with tiny risk aversion
    w1 = mv_weights("max_utility", m, S, min_weight, max_weight, Gs, caps, risk_aversion=1e-6)
    r0, r1 = float(m @ w0), float(m @ w1)
    rows = []
    for r in np.linspace(r0, r1, points):
        try:
            w = w0 if r <= r0 else mv_weights("min_variance", m, S, min_weight, max_weight, Gs, caps,
                                               target_return=r - 1e-10 * abs(r))
        except DataError:
            continue
        ret, vol = float(m @ w), float(np.sqrt(w @ S @ w))
        rows.append({"ret": ret, "vol": vol, "sharpe": ret / vol if vol > 0 else np.nan})
    return pd.DataFrame(rows)
