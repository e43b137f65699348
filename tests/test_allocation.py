"""Baseline allocators, checked against closed forms and a second library."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.allocation import EqualWeight, FixedWeights, InverseVolatility, make_allocator
from rebal.config import TargetSpec
from rebal.errors import DataError


@pytest.fixture
def returns():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(0.0005, [0.01, 0.02, 0.04], size=(500, 3)), columns=["A", "B", "C"])


def test_inverse_volatility_closed_form():
    # sigma 1, 2, 4 -> inverse 1, 1/2, 1/4 -> weights 4/7, 2/7, 1/7
    r = pd.DataFrame({"A": [1.0, -1.0] * 5, "B": [2.0, -2.0] * 5, "C": [4.0, -4.0] * 5})
    w = InverseVolatility().fit(r).weights_
    assert w.to_dict() == pytest.approx({"A": 4 / 7, "B": 2 / 7, "C": 1 / 7})


def test_equal_and_fixed_weights(returns):
    assert EqualWeight().fit(returns).weights_.tolist() == pytest.approx([1 / 3] * 3)
    assert FixedWeights({"A": 0.3, "B": 0.3}).fit().weights_.to_dict() == pytest.approx({"A": 0.5, "B": 0.5})


def test_min_variance_matches_closed_form_on_ledoit_wolf_covariance(returns):
    # Unconstrained long-only minimum variance on these (positive-weight) data: w = S^-1 1 / 1' S^-1 1,
    # with S from scikit-learn's LedoitWolf, a second library.
    from sklearn.covariance import LedoitWolf

    S = LedoitWolf().fit(returns.to_numpy()).covariance_
    x = np.linalg.solve(S, np.ones(3))
    expected = x / x.sum()
    w = make_allocator(TargetSpec(method="min_variance")).fit(returns).weights_
    np.testing.assert_allclose(w.to_numpy(), expected, atol=1e-4)  # interior-point solver tolerance


def test_max_weight_bound_holds(returns):
    w = make_allocator(TargetSpec(method="min_variance", max_weight=0.5)).fit(returns).weights_
    assert w.max() <= 0.5 + 1e-6 and w.sum() == pytest.approx(1.0)


def test_missing_returns_are_a_data_error(returns):
    r = returns.copy()
    r.iloc[3, 1] = np.nan
    with pytest.raises(DataError, match="missing values for B"):
        InverseVolatility().fit(r)


def _fitted(method, **kw):
    import warnings

    from skfolio.datasets import load_sp500_dataset

    from rebal.allocation import make_allocator
    from rebal.config import TargetSpec

    X = load_sp500_dataset().pct_change().dropna().iloc[-504:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = make_allocator(TargetSpec(method=method, **kw)).fit(X)
    rd = a.estimator.prior_estimator_.return_distribution_
    return a.weights_.to_numpy(), np.asarray(rd.mu), np.asarray(rd.covariance)


def test_min_variance_satisfies_its_kkt_conditions():
    # min w'Σw s.t. Σw_i = 1, w >= 0: (Σw)_i = λ where w_i > 0 and (Σw)_i >= λ where w_i = 0
    w, _, cov = _fitted("min_variance")
    g = cov @ w
    active = w > 1e-4
    lam = g[active].mean()  # (a ~1e-6 weight left by the solver counts as excluded below)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    np.testing.assert_allclose(g[active], lam, rtol=2e-3)
    assert (g[~active] >= lam * (1 - 2e-3)).all()


def test_max_sharpe_satisfies_its_kkt_conditions_and_bounds():
    # tangency, long only: μ_i - rf = γ (Σw)_i where w_i > 0, <= where w_i = 0, γ = (μ'w - rf) / w'Σw
    w, mu, cov = _fitted("max_sharpe")
    g = cov @ w
    gamma = (mu @ w) / (w @ g)
    active = w > 1e-4  # the interior-point solver leaves excluded assets at ~1e-6
    np.testing.assert_allclose(mu[active], gamma * g[active], rtol=0.02, atol=1e-6)
    assert (mu[~active] <= gamma * g[~active] + 1e-6).all()
    wb, _, _ = _fitted("max_sharpe", max_weight=0.15, min_weight=0.0)
    assert wb.max() <= 0.15 + 1e-6 and wb.sum() == pytest.approx(1.0)
