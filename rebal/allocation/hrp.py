"""Hierarchical Risk Parity (López de Prado 2016), lean: from the covariance matrix only.

1. Correlation distance d_ij = sqrt((1 - rho_ij) / 2) (skfolio's ``PearsonDistance``).
2. Hierarchical clustering (scipy ``linkage``, method a parameter, Ward by default as in skfolio),
   the leaf order being the quasi-diagonalisation. Optimal leaf ordering (skfolio's default) is a
   parameter, off by default: López de Prado's original has none, and it costs ~0.9 s at N = 500.
3. Recursive bisection of the ordered list into halves; each half's risk is the variance of its
   inverse-variance portfolio, and the split gives the left half 1 - V_left / (V_left + V_right).

The result equals skfolio's ``HierarchicalRiskParity(risk_measure=VARIANCE)`` with the same
linkage and leaf ordering (tested to 1e-8), at a fraction of the time (``bench_allocation.py``),
which matters in backtests that refit it many times.
"""
from __future__ import annotations

import typing
from typing import Literal

import numpy as np
import pandas as pd

from rebal.allocation.base import BaseAllocator, check_choice
from rebal.errors import ConfigError, DataError

__all__ = ["HRP", "hrp_weights"]

Linkage = Literal["single", "complete", "average", "ward", "weighted", "centroid", "median"]


def hrp_weights(cov: np.ndarray, *, linkage: Linkage = "ward", optimal_ordering: bool = False) -> np.ndarray:
    """HRP weights from a covariance matrix (see the module docstring).

    Parameters
    ----------
    cov : numpy.ndarray of shape (n, n)
        Covariance of the assets' returns (any periodicity: the weights do not depend on its scale).
    linkage : str, default "ward"
        scipy linkage method.
    optimal_ordering : bool, default False
        Reorder the leaves optimally (scipy ``optimal_leaf_ordering``).

    Returns
    -------
    numpy.ndarray of shape (n,)
        Weights, fractions summing to 1, in the order of ``cov``.

    Raises
    ------
    DataError
        Non-finite covariance or a variance <= 0.
    """
    from scipy.cluster import hierarchy as sch
    from scipy.spatial.distance import squareform

    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    var = np.diag(cov).copy()
    if not np.all(np.isfinite(cov)) or np.any(var <= 0):
        raise DataError("HRP needs a finite covariance with positive variances")
    if n == 1:
        return np.ones(1)
    sd = np.sqrt(var)
    corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    dist = np.sqrt(np.clip(0.5 * (1.0 - corr), 0.0, None))
    np.fill_diagonal(dist, 0.0)
    condensed = squareform(dist, checks=False)
    link = sch.linkage(condensed, method=linkage)
    if optimal_ordering:
        link = sch.optimal_leaf_ordering(link, condensed)
    order = sch.leaves_list(link)
    inv_var = 1.0 / var
    w = np.ones(n)
    items = [order]
    while items:
        nxt = []
        for ids in items:
            if len(ids) < 2:
                continue
            mid = len(ids) // 2
            left, right = ids[:mid], ids[mid:]
            risks = []
            for c in (left, right):
                iv = inv_var[c] / inv_var[c].sum()
                risks.append(float(iv @ cov[np.ix_(c, c)] @ iv))
            alpha = 1.0 - risks[0] / (risks[0] + risks[1])
            w[left] *= alpha
            w[right] *= 1.0 - alpha
            nxt += [left, right]
        items = nxt
    return w


class HRP(BaseAllocator):
    """HRP allocator on the sample covariance (ddof 1) of daily returns (see the module docstring).

    Parameters
    ----------
    linkage : {"ward", "single", "complete", "average", "weighted", "centroid", "median"}, default "ward"
        Linkage method of the hierarchical clustering.
    optimal_ordering : bool, default False
        Optimal leaf ordering (skfolio's default is True; López de Prado's original has none).

    Attributes
    ----------
    weights_ : pandas.Series
        Fractions summing to 1, indexed by ticker.
    """

    def __init__(self, linkage: Linkage = "ward", optimal_ordering: bool = False):
        self.linkage = linkage
        self.optimal_ordering = optimal_ordering

    def fit(self, X: pd.DataFrame, y: None = None) -> HRP:
        """Fit on daily simple returns ``X`` (dates x tickers, fractions).

        Returns
        -------
        HRP
            ``self``, with ``weights_``.

        Raises
        ------
        ConfigError
            Unknown ``linkage`` or a non-boolean ``optimal_ordering``.
        DataError
            Missing values, fewer than 2 observations, or a zero variance.
        """
        check_choice(self, "linkage", typing.get_args(Linkage))
        if not isinstance(self.optimal_ordering, (bool, np.bool_)):
            raise ConfigError(f"Invalid `optimal_ordering` of HRP: expected true or false, "
                              f"found {self.optimal_ordering!r}")
        X = self._returns(X)
        cov = np.cov(X.to_numpy(float), rowvar=False, ddof=1)
        w = hrp_weights(np.atleast_2d(cov), linkage=self.linkage, optimal_ordering=self.optimal_ordering)
        self.weights_ = pd.Series(w, index=X.columns, name="weight")
        return self
