"""The base of every allocator: a scikit-learn estimator whose ``fit`` sets ``weights_``.

Conventions shared by all allocators (as in skfolio):

- ``__init__`` only stores its keyword arguments under the same names (no validation, no derived
  state), so :func:`sklearn.base.clone`, ``get_params(deep=True)`` and ``set_params`` work;
- ``fit(X, y=None)`` validates the parameters and the data, sets ``weights_`` and returns ``self``;
- ``X`` is a DataFrame of daily simple returns (dates x tickers, fractions: 0.01 = 1 %);
- ``weights_`` is a Series indexed by ticker, fractions summing to 1 (the invested part: the
  profile's cash is applied by :mod:`rebal.allocation.target`);
- ``score(X)`` is the annualised Sharpe ratio of the fitted weights on ``X``
  (:func:`rebal.allocation.scoring.portfolio_sharpe`), so an allocator works in ``GridSearchCV``.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator

from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.errors import ConfigError, DataError

__all__ = ["ANNUAL", "BaseAllocator", "check_returns", "check_choice"]

#: Sessions in a year (the one definition lives in :mod:`rebal.analytics.measures`).
ANNUAL = PERIODS_PER_YEAR


def check_returns(returns: Any) -> pd.DataFrame:
    """Check daily returns for an allocator: a DataFrame (dates x tickers), no NaN, >= 2 rows.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily simple returns (fractions), one column per ticker.

    Returns
    -------
    pandas.DataFrame
        ``returns`` itself.

    Raises
    ------
    DataError
        Not a non-empty DataFrame, missing values, or fewer than 2 observations.
    """
    if not isinstance(returns, pd.DataFrame) or returns.shape[1] == 0:
        raise DataError("returns must be a non-empty DataFrame (dates x tickers)")
    bad = returns.columns[returns.isna().any()].tolist()
    if bad:
        raise DataError(f"returns have missing values for {', '.join(map(str, bad[:5]))} in the lookback window")
    if len(returns) < 2:
        raise DataError(f"need at least 2 return observations, found {len(returns)}")
    return returns


def check_choice(estimator: object, name: str, valid: tuple[str, ...]) -> str:
    """Check that parameter ``name`` of ``estimator`` is one of ``valid``.

    Raises
    ------
    ConfigError
        ``Invalid `name` of Estimator: 'x'; valid: a, b, c``.
    """
    value = getattr(estimator, name)
    if value not in valid:
        raise ConfigError(f"Invalid `{name}` of {type(estimator).__name__}: {value!r}; valid: {', '.join(valid)}")
    return value


class BaseAllocator(BaseEstimator):
    """Base class of the allocators (see the module docstring).

    Attributes
    ----------
    weights_ : pandas.Series
        Set by ``fit``: weight of each ticker, fractions summing to 1.
    """

    weights_: pd.Series

    def fit(self, X: pd.DataFrame | None, y: None = None) -> BaseAllocator:  # pragma: no cover - abstract
        """Fit the weights on daily simple returns ``X`` (dates x tickers, fractions); sets ``weights_``.

        ``weights_`` is a Series of fractions summing to 1 by ticker; ``fit`` returns ``self``.
        """
        raise NotImplementedError

    def score(self, X: pd.DataFrame, y: None = None) -> float:
        """Annualised Sharpe ratio of the fitted weights on ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            Daily simple returns (dates x tickers), e.g. a test fold of a ``TimeSeriesSplit``.
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        float
            mean / standard deviation (ddof 1) of the daily portfolio returns ``X @ weights_``,
            times sqrt(252); risk-free rate 0. NaN when the portfolio returns do not vary.
        """
        from sklearn.utils.validation import check_is_fitted

        from rebal.allocation.scoring import portfolio_sharpe

        check_is_fitted(self, "weights_")
        return portfolio_sharpe(self.weights_, X)
