"""Covariance estimates by name (rebal.analytics.covariance) against numpy, scikit-learn and the EWMA recursion."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.covariance import estimate_covariance, ewma_weights

RNG = np.random.default_rng(21)
RETURNS = pd.DataFrame(RNG.normal(0.0002, 0.01, size=(260, 4)) @ np.array(
    [[1, 0.4, 0.2, 0], [0, 1, 0.3, 0.1], [0, 0, 1, 0.5], [0, 0, 0, 1.0]]), columns=list("ABCD"))


def test_sample_is_numpys_unbiased_covariance():
    got = estimate_covariance(RETURNS, "sample")
    assert got.to_numpy() == pytest.approx(np.cov(RETURNS.to_numpy().T, ddof=1), rel=1e-12)


def test_ledoit_wolf_is_scikit_learns():
    from sklearn.covariance import LedoitWolf

    got = estimate_covariance(RETURNS, "ledoit_wolf")
    assert got.to_numpy() == pytest.approx(LedoitWolf().fit(RETURNS.to_numpy()).covariance_, rel=1e-10)
    assert list(got.columns) == list("ABCD")


def test_ewma_is_the_riskmetrics_recursion_normalised():
    # S_t = λ S_{t-1} + (1 - λ) r_t r_tᵀ from S_0 = 0 gives weights (1 - λ) λ^(T-t) summing to 1 - λ^T.
    lam = 0.94
    s = np.zeros((4, 4))
    for r in RETURNS.to_numpy():
        s = lam * s + (1 - lam) * np.outer(r, r)
    expected = s / (1 - lam ** len(RETURNS))
    assert estimate_covariance(RETURNS, "ewma", ewma_lambda=lam).to_numpy() == pytest.approx(expected, rel=1e-12)
    w = ewma_weights(5, 0.5)
    assert w.tolist() == pytest.approx([1 / 31, 2 / 31, 4 / 31, 8 / 31, 16 / 31])


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "shrunk"}, r"`method`: unknown covariance estimate 'shrunk'; valid: sample, ledoit_wolf, ewma"),
    ({"method": "ewma", "ewma_lambda": 1.0}, r"`lam`: the EWMA decay must be in \(0, 1\), found 1.0"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        estimate_covariance(RETURNS, **kwargs)


def test_missing_returns_and_too_few_rows_are_refused():
    r = RETURNS.copy()
    r.iloc[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"`returns`: missing returns for 'C'"):
        estimate_covariance(r, "sample")
    with pytest.raises(ValueError, match=r"need at least 2 observations"):
        estimate_covariance(RETURNS.iloc[:1], "sample")
