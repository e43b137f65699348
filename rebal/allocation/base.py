"""The base of every allocator: a scikit-learn estimator whose ``fit`` sets ``weights_``.

Conventions shared by all allocators (as in skfolio):

- ``__init__`` only stores its keyword arguments under the same names (no validation, no derived
  state), so :func:`sklearn.base.clone`, ``get_params(deep=True)`` and ``set_params`` work;
- ``fit(X, y=None)`` validates the parameters and the data, sets ``weights_`` and returns ``self``;
- ``X`` is a DataFrame of daily simple returns (dates x tickers, fractions: 0.01 = 1 %), or an array
  (columns 0..n-1), as scikit-learn estimators take; a frame that is plainly prices is refused;
- the allocators pass scikit-learn's estimator checks (``parametrize_with_checks``; the exceptions
  are listed with their reasons in ``tests/unit/allocation/test_estimator_checks.py``);
- ``weights_`` is a Series indexed by ticker, fractions summing to 1 (the invested part: the
  profile's cash is applied by :mod:`rebal.allocation.target`);
- ``score(X)`` is the annualised Sharpe ratio of the fitted weights on ``X``
  (:func:`rebal.allocation.scoring.portfolio_sharpe`), so an allocator works in ``GridSearchCV``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.errors import ConfigError, ReturnsError

__all__ = ["ANNUAL", "BaseAllocator", "check_returns", "looks_like_prices", "check_choice"]

#: Sessions in a year (the one definition lives in :mod:`rebal.analytics.measures`).
ANNUAL = PERIODS_PER_YEAR


def check_returns(returns: Any) -> pd.DataFrame:
    """Check daily returns for an allocator: dates x tickers, numbers, no NaN or inf, >= 2 rows, not prices.

    Parameters
    ----------
    returns : pandas.DataFrame or array-like
        Daily simple returns (fractions), one column per ticker. An array (as scikit-learn estimators
        take) becomes a DataFrame with columns 0..n-1.

    Returns
    -------
    pandas.DataFrame
        ``returns`` as floats (the same frame when it already is one).

    Raises
    ------
    ReturnsError
        A ``DataError`` that is also a ``ValueError``: not 2-D, empty, not numeric, missing or infinite
        values, fewer than 2 observations, or a frame that is plainly prices (see :func:`looks_like_prices`).
    """
    if isinstance(returns, pd.DataFrame):
        frame = returns
    else:
        from sklearn.utils import check_array

        try:  # scikit-learn's own checks and messages (sparse, complex, 1-D, object arrays)
            frame = pd.DataFrame(check_array(returns, dtype="numeric", ensure_all_finite=False, ensure_min_samples=1,
                                             ensure_min_features=1))
        except (TypeError, ValueError) as exc:
            raise ReturnsError(f"returns (dates x tickers): {exc}") from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ReturnsError(f"returns must be a non-empty DataFrame (dates x tickers), found {frame.shape[0]} sample(s) "
                           f"x {frame.shape[1]} ticker(s)")
    if not all(pd.api.types.is_float_dtype(t) for t in frame.dtypes):
        try:
            frame = frame.astype(float)
        except (TypeError, ValueError) as exc:
            raise ReturnsError(f"returns must be numbers (fractions): {exc}") from None
    bad = frame.columns[frame.isna().any()].tolist()
    if bad:
        raise ReturnsError(f"returns have missing values for {', '.join(map(str, bad[:5]))} in the lookback window "
                           "(NaN)")
    inf = frame.columns[np.isinf(frame.to_numpy()).any(axis=0)].tolist()
    if inf:
        raise ReturnsError(f"returns are infinite (inf) for {', '.join(map(str, inf[:5]))}")
    if len(frame) < 2:
        raise ReturnsError(f"need at least 2 return observations, found {len(frame)} sample(s) (n_samples = 1)")
    why = looks_like_prices(frame)
    if why:
        raise ReturnsError(f"these look like prices, not returns: {why}; pass daily simple returns, e.g. "
                           "prices.pct_change().dropna() or rebal.analytics.returns.simple_returns")
    return frame


def looks_like_prices(frame: pd.DataFrame) -> str:
    """Say why ``frame`` is plainly prices rather than daily returns (``""`` when it is not).

    Prices are all positive, mostly above 0.5 (a daily return of 50 % is not a return), move little
    from one row to the next relative to their level, and wander: a path, not independent draws.
    The rule: every value > 0, the median value above 0.5, the median absolute log change between
    consecutive rows below 0.1 and, with 5 rows or more, the median absolute change below 0.7 times
    the standard deviation of the levels (about 0.95 for independent draws, far less for a path).
    Daily returns are never all positive over a window; the independent draws of scikit-learn's
    estimator checks (normal around 100) fail the last test.
    """
    x = frame.to_numpy(dtype=float)
    if not (x > 0).all():
        return ""
    level = float(np.median(x))
    step = float(np.median(np.abs(np.diff(np.log(x), axis=0))))
    if not (level > 0.5 and step < 0.1):
        return ""
    if len(x) >= 5:
        sd = x.std(axis=0, ddof=1)
        moves = np.median(np.abs(np.diff(x, axis=0)), axis=0)
        ratio = float(np.median(np.where(sd > 0, moves / np.where(sd > 0, sd, 1.0), np.inf)))
        if not ratio < 0.7:
            return ""
    return (f"every value is positive, the median is {level:,.4g} and consecutive rows differ by {step:.2%} in the "
            "median, the path of a price")


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

    def _returns(self, X: Any, *, reset: bool = True) -> pd.DataFrame:
        """Check ``X`` (:func:`check_returns`) and record or check its shape as scikit-learn does.

        ``reset`` (in ``fit``) sets ``n_features_in_`` and, for a DataFrame with text column names,
        ``feature_names_in_``; otherwise (in ``score``) ``X`` must have the same columns as at fit.
        """
        from sklearn.utils.validation import validate_data

        frame = check_returns(X)
        try:
            validate_data(self, frame if isinstance(X, pd.DataFrame) else frame.to_numpy(), reset=reset,
                          skip_check_array=True)
        except ValueError as exc:
            raise ReturnsError(str(exc)) from None
        return frame

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
        return portfolio_sharpe(self.weights_, self._returns(X, reset=False))
