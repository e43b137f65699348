"""Scoring fitted allocators on returns, for model selection (``GridSearchCV``, ``cross_validate``).

- :func:`portfolio_returns`: daily returns of fixed weights, ``X @ w`` (rebalanced to the weights
  every day; tickers of ``X`` without a weight get 0);
- :func:`annualised_sharpe`: mean / standard deviation (ddof 1) x sqrt(252), risk-free rate 0 (the
  convention of :func:`rebal.lab.metrics.sharpe`);
- :func:`portfolio_sharpe`: the two together; :meth:`BaseAllocator.score` calls it;
- :func:`sharpe_scorer`: the same as a scikit-learn scorer ``scorer(estimator, X, y=None)``.

Example
-------
>>> from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
>>> search = GridSearchCV(MeanVariance(), {"objective": ["min_variance", "max_sharpe"]},
...                       cv=TimeSeriesSplit(4), scoring=sharpe_scorer)  # doctest: +SKIP
>>> search.fit(daily_returns).best_params_  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rebal.allocation.base import ANNUAL
from rebal.analytics.measures import sharpe_ratio
from rebal.errors import DataError

__all__ = ["portfolio_returns", "annualised_sharpe", "portfolio_sharpe", "sharpe_scorer"]


def portfolio_returns(weights: pd.Series, X: pd.DataFrame) -> pd.Series:
    """Daily returns of a portfolio held at ``weights`` (rebalanced daily).

    Parameters
    ----------
    weights : pandas.Series
        Fractions by ticker; every ticker must be a column of ``X``.
    X : pandas.DataFrame
        Daily simple returns (dates x tickers, fractions).

    Returns
    -------
    pandas.Series
        r_p,t = sum_i w_i r_i,t, daily simple returns (fractions), indexed like ``X``.

    Raises
    ------
    DataError
        A weighted ticker is not in ``X``, or ``X`` has missing values in a weighted column.
    """
    if not isinstance(X, pd.DataFrame):
        raise DataError("returns must be a DataFrame (dates x tickers)")
    missing = [t for t in weights.index if t not in X.columns]
    if missing:
        raise DataError(f"no returns for the weighted ticker(s) {', '.join(map(str, missing[:5]))}")
    Xw = X[list(weights.index)]
    if Xw.isna().to_numpy().any():
        raise DataError("returns have missing values in a weighted ticker")
    return pd.Series(Xw.to_numpy(float) @ weights.to_numpy(float), index=X.index, name="portfolio")


def annualised_sharpe(returns: pd.Series | np.ndarray, *, periods: int = ANNUAL) -> float:
    r"""Annualised Sharpe ratio of daily returns, risk-free rate 0.

    .. math:: SR = \frac{\bar r}{s_r} \sqrt{252}, \quad s_r \text{ the sample standard deviation (ddof 1)}

    Parameters
    ----------
    returns : pandas.Series or numpy.ndarray
        Daily simple returns (fractions).
    periods : int, default 252
        Periods a year.

    Returns
    -------
    float
        The ratio (unitless, per year); NaN with fewer than 2 returns or zero deviation.
    """
    r = np.asarray(returns, dtype=float)
    if r.size < 2:
        return float("nan")
    return float(sharpe_ratio(r, periods_per_year=periods))


def portfolio_sharpe(weights: pd.Series, X: pd.DataFrame) -> float:
    """Annualised Sharpe ratio (risk-free 0) of ``weights`` held on daily returns ``X``.

    See :func:`portfolio_returns` and :func:`annualised_sharpe`.
    """
    return annualised_sharpe(portfolio_returns(weights, X))


def sharpe_scorer(estimator: Any, X: pd.DataFrame, y: Any = None) -> float:
    """scikit-learn scorer: annualised Sharpe ratio of a fitted allocator's ``weights_`` on ``X``.

    Parameters
    ----------
    estimator
        A fitted allocator (anything with ``weights_``, a Series of fractions by ticker).
    X : pandas.DataFrame
        Daily simple returns (dates x tickers), typically a test fold.
    y : None
        Ignored.

    Returns
    -------
    float
        :func:`portfolio_sharpe` of ``estimator.weights_`` on ``X`` (greater is better).
    """
    return portfolio_sharpe(estimator.weights_, X)
