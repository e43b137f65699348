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

from typing import Literal

import numpy as np
import pandas as pd

from rebal.allocation.basic import _Base, _check_returns
from rebal.errors import DataError

__all__ = ["HRP", "hrp_weights"]

Linkage = Literal["single", "complete", "average", "ward", "weighted", "centroid", "median"]


def hrp_weights(cov: np.ndarray, *, linkage: Linkage = "ward", optimal_ordering: bool = False) -> np.ndarray:
    """HRP weights from a covariance matrix (see the module docstring)."""
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


class HRP(_Base):
    """HRP allocator: ``fit(returns)`` then ``weights_`` (sample covariance of the returns)."""

    def __init__(self, linkage: Linkage = "ward", optimal_ordering: bool = False):
        self.linkage = linkage
        self.optimal_ordering = optimal_ordering

    def fit(self, returns: pd.DataFrame) -> "HRP":
        X = _check_returns(returns)
        cov = np.cov(X.to_numpy(float), rowvar=False, ddof=1)
        w = hrp_weights(np.atleast_2d(cov), linkage=self.linkage, optimal_ordering=self.optimal_ordering)
        self.weights_ = pd.Series(w, index=X.columns, name="weight")
        return self
