"""Covariance estimates of daily returns, by name: sample, Ledoit-Wolf, exponentially weighted.

One entry point, :func:`estimate_covariance`, so that a report can state which estimate its risk
figures rest on (the profile's ``stress.covariance``). All estimates are **daily**; annualise with
:func:`rebal.analytics.measures.annualise_variance`.

Formulas (``T`` returns r_1 .. r_T, oldest first, of ``N`` assets)
-----------------------------------------------------------------
- ``sample``: S = Σ_t (r_t − r̄)(r_t − r̄)ᵀ / (T − 1);
- ``ledoit_wolf``: Ledoit & Wolf (2004), the sample covariance (divided by T) shrunk toward a
  scaled identity, :func:`rebal.analytics.risk.ledoit_wolf`;
- ``ewma``: RiskMetrics (J.P. Morgan 1996), zero mean, weights λ^(T−t) normalised to sum to one:
  Σ = Σ_t a_t r_t r_tᵀ with a_t = λ^(T−t) (1 − λ) / (1 − λ^T); λ = 0.94 is RiskMetrics' daily
  decay (a half-life of ln 0.5 / ln λ ≈ 11.2 sessions).
"""
from __future__ import annotations

import typing
from typing import Literal

import numpy as np
import pandas as pd

from rebal.analytics.risk import ledoit_wolf

__all__ = ["CovarianceMethod", "COVARIANCE_METHODS", "COVARIANCE_LABELS", "ewma_weights", "ewma_covariance",
           "estimate_covariance"]

CovarianceMethod = Literal["sample", "ledoit_wolf", "ewma"]
#: Names accepted by :func:`estimate_covariance` (and by a profile's ``stress.covariance``).
COVARIANCE_METHODS: tuple[str, ...] = typing.get_args(CovarianceMethod)
#: How a report names each estimate.
COVARIANCE_LABELS = {"sample": "sample covariance", "ledoit_wolf": "Ledoit-Wolf shrinkage (to a scaled identity)",
                     "ewma": "exponentially weighted (RiskMetrics)"}


def ewma_weights(n: int, lam: float) -> np.ndarray:
    """Weights of the ``n`` observations (oldest first) of a normalised EWMA: λ^(n−t) (1 − λ) / (1 − λ^n).

    Parameters
    ----------
    n
        Number of observations (>= 1).
    lam
        Decay λ in (0, 1); the newest observation has the largest weight.

    Returns
    -------
    Array of ``n`` positive weights summing to one.
    """
    if not 0.0 < lam < 1.0:
        raise ValueError(f"`lam`: the EWMA decay must be in (0, 1), found {lam}")
    powers = lam ** np.arange(n - 1, -1, -1, dtype=float)
    return powers / powers.sum()


def ewma_covariance(returns: pd.DataFrame, *, lam: float = 0.94) -> pd.DataFrame:
    """RiskMetrics exponentially weighted covariance (zero mean) of daily returns.

    Parameters
    ----------
    returns
        Daily simple returns (dates x assets, oldest first), no NaN.
    lam
        Decay λ in (0, 1) (0.94: RiskMetrics' daily value).

    Returns
    -------
    Daily covariance (assets x assets) Σ_t a_t r_t r_tᵀ, a = :func:`ewma_weights`.
    """
    x = returns.to_numpy(float)
    a = ewma_weights(len(x), lam)
    cov = (x * a[:, None]).T @ x
    return pd.DataFrame(cov, index=returns.columns, columns=returns.columns)


def estimate_covariance(returns: pd.DataFrame, method: CovarianceMethod, *, ewma_lambda: float = 0.94
                        ) -> pd.DataFrame:
    """Daily covariance of ``returns`` by ``method`` (see the module docstring).

    Parameters
    ----------
    returns
        Daily simple returns (dates x assets, oldest first). NaN is refused: the caller decides
        which window and which assets have complete data.
    method
        ``"sample"``, ``"ledoit_wolf"`` or ``"ewma"``.
    ewma_lambda
        Decay of the ``ewma`` estimate.

    Returns
    -------
    Daily covariance matrix (assets x assets), labelled like ``returns``' columns.

    Raises
    ------
    ValueError
        For an unknown method, missing returns or fewer than two observations.
    """
    if method not in COVARIANCE_METHODS:
        raise ValueError(f"`method`: unknown covariance estimate {method!r}; valid: {', '.join(COVARIANCE_METHODS)}")
    if len(returns) < 2:
        raise ValueError(f"`returns`: need at least 2 observations for a covariance, found {len(returns)}")
    if returns.isna().to_numpy().any():
        bad = returns.columns[returns.isna().any()].tolist()
        raise ValueError(f"`returns`: missing returns for {bad[0]!r}")
    if method == "sample":
        return returns.cov(ddof=1)
    if method == "ledoit_wolf":
        cov, _ = ledoit_wolf(returns.to_numpy(float))
        return pd.DataFrame(cov, index=returns.columns, columns=returns.columns)
    return ewma_covariance(returns, lam=ewma_lambda)
