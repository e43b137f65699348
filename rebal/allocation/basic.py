"""Baseline allocators.

- :class:`FixedWeights`: the weights written in the profile (``target.method: fixed``);
- :class:`EqualWeight`: 1/N (``equal_weight``);
- :class:`InverseVolatility`: w_i proportional to 1 / sigma_i, sigma the sample standard deviation
  of daily returns (``inverse_vol``).

All are scikit-learn estimators (:class:`~rebal.allocation.base.BaseAllocator`).
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from rebal.allocation.base import BaseAllocator
from rebal.errors import ConfigError, DataError

__all__ = ["FixedWeights", "EqualWeight", "InverseVolatility"]


class FixedWeights(BaseAllocator):
    """Weights given up front, normalised to sum to 1 over the invested part.

    Parameters
    ----------
    weights : Mapping[str, float] or None
        Ticker -> weight (fractions, any positive total: they are divided by their sum).

    Attributes
    ----------
    weights_ : pandas.Series
        ``weights / sum(weights)``, indexed by ticker.
    """

    def __init__(self, weights: Mapping[str, float] | None = None):
        self.weights = weights

    def fit(self, X: pd.DataFrame | None = None, y: None = None) -> FixedWeights:
        """Normalise ``weights``; the returns ``X`` are not used (they may be None).

        Parameters
        ----------
        X : pandas.DataFrame, array-like or None
            Daily returns, accepted for the estimator interface: checked when given, not used.
        y : None
            Ignored.

        Returns
        -------
        FixedWeights
            ``self``, with ``weights_`` (fractions summing to 1).

        Raises
        ------
        ConfigError
            ``weights`` is not a mapping.
        DataError
            The weights do not have a positive sum (or there are none).
        """
        if not isinstance(self.weights, Mapping):
            raise ConfigError(f"Invalid `weights` of FixedWeights: expected a mapping ticker -> weight, "
                              f"found {self.weights!r}")
        if X is not None:  # not used, but checked and its shape recorded as scikit-learn does
            self._returns(X)
        w = pd.Series(dict(self.weights), dtype=float)
        total = w.sum()
        if total <= 0:
            raise DataError("fixed weights must have a positive sum")
        self.weights_ = (w / total).rename("weight")
        return self


class EqualWeight(BaseAllocator):
    """1/N over the columns of the returns.

    Attributes
    ----------
    weights_ : pandas.Series
        1/N for each of the N tickers.
    """

    def fit(self, X: pd.DataFrame, y: None = None) -> EqualWeight:
        """Give each column of ``X`` (daily simple returns, dates x tickers) the weight 1/N.

        Returns
        -------
        EqualWeight
            ``self``, with ``weights_``.
        """
        cols = self._returns(X).columns
        self.weights_ = pd.Series(1.0 / len(cols), index=cols, name="weight")
        return self


class InverseVolatility(BaseAllocator):
    r"""Inverse-volatility weights.

    .. math:: w_i = \frac{1/\sigma_i}{\sum_j 1/\sigma_j}

    with σ_i the sample standard deviation (ddof 1) of ticker i's daily returns (not annualised:
    the factor sqrt(252) cancels).

    Attributes
    ----------
    weights_ : pandas.Series
        Fractions summing to 1, indexed by ticker.
    """

    def fit(self, X: pd.DataFrame, y: None = None) -> InverseVolatility:
        """Fit on daily simple returns ``X`` (dates x tickers).

        Returns
        -------
        InverseVolatility
            ``self``, with ``weights_``.

        Raises
        ------
        DataError
            Missing values, fewer than 2 observations, or a ticker with zero volatility.
        """
        sd = self._returns(X).std(ddof=1)
        if (sd <= 0).any():
            raise DataError(f"zero volatility for {', '.join(sd.index[sd <= 0].astype(str))}")
        inv = 1.0 / sd
        self.weights_ = (inv / inv.sum()).rename("weight")
        return self
