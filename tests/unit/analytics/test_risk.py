"""Rebalancing economics and market sensitivity, on hand-worked numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.costs import CostModel, estimate_costs, impact_bps, rebalancing_cost, size_bucket
from rebal.analytics.risk import (
    beta_ols,
    cost_benefit_ratio,
    drift_speed,
    no_trade_band,
    optimal_threshold_formula,
    rolling_beta,
    tracking_error,
    tracking_error_diagonal,
)

# two assets, daily vols 1 % and 2 %, correlation 0.5: cov = [[1e-4, 1e-4], [1e-4, 4e-4]]
COV = pd.DataFrame([[1e-4, 1e-4], [1e-4, 4e-4]], index=["A", "B"], columns=["A", "B"])


def test_tracking_error_full_and_diagonal_by_hand():
    d = pd.Series({"A": 0.1, "B": -0.1})
    # d'Σd = 0.01e-4 + 0.01*4e-4 - 2*0.01*1e-4 = 3e-6 -> sqrt(252 * 3e-6) = 0.0274955
    assert tracking_error(d, COV) == pytest.approx(np.sqrt(252 * 3e-6))
    # diagonal: 1e-6 + 4e-6 = 5e-6 -> sqrt(252 * 5e-6) = 0.0354965
    assert tracking_error_diagonal(d, COV) == pytest.approx(np.sqrt(252 * 5e-6))


def test_cash_counts_as_riskless_in_tracking_error():
    d = pd.Series({"A": 0.1, "CASH": -0.1})
    assert tracking_error(d, COV) == pytest.approx(np.sqrt(252 * 0.01 * 1e-4))


def test_drift_speed_and_percentiles():
    out = drift_speed(pd.Series({"A": 0.20, "B": 0.40}), 63)  # a quarter: sqrt(63/252) = 0.5
    assert out["drift_speed"].tolist() == pytest.approx([0.10, 0.20])
    assert out["percentile"].tolist() == [0.5, 1.0]


def test_optimal_threshold_formula_and_the_spec_discrepancy():
    # sqrt(2 * 0.002 / (0.15^2 * 1)) = sqrt(0.17778) = 0.42164: the spec's "about 5 %" is wrong
    assert optimal_threshold_formula(0.002, 0.15, 1.0) == pytest.approx(0.421637, rel=1e-5)


def test_no_trade_band_whalley_wilmott_by_hand():
    # w = 0.6, sigma = 15 %: sigma_w = 0.6 * 0.4 * 0.15 = 0.036; h = (3 * 0.002 * 0.036^2 / 4)^(1/3)
    assert no_trade_band(0.002, 0.036, risk_aversion=2.0) == pytest.approx((3 * 0.002 * 0.036**2 / 4) ** (1 / 3))
    assert no_trade_band(0.002, 0.036) == pytest.approx(0.012480, rel=1e-4)  # 1.24805^3 = 1.9440
    # cube-root law: 8x the cost doubles the band
    assert no_trade_band(0.016, 0.036) / no_trade_band(0.002, 0.036) == pytest.approx(2.0)


def test_cost_benefit_ratio():
    assert cost_benefit_ratio(0.001, 0.004) == pytest.approx(0.25)
    assert cost_benefit_ratio(0.001, 0.0) == float("inf")


def test_square_root_impact_by_hand():
    # 0.6 * 2 % * sqrt(1e6 / 1e8) = 0.0012 = 12 bps
    out = impact_bps(pd.Series({"A": -1e6}), pd.Series({"A": 1e8}), pd.Series({"A": 0.02}))
    assert out["A"] == pytest.approx(12.0)


def test_estimate_costs_model_and_rebalancing_cost_by_hand():
    trades = pd.Series({"A": 1e6, "B": -5e5})
    costs, flags = estimate_costs(trades, dollar_adv=pd.Series({"A": 1e9, "B": 1e8}),
                                  sigma_daily=pd.Series({"A": 0.01, "B": 0.02}), model=CostModel(commission_bps=1.0))
    # A: large -> spread 5; impact 0.6*0.01*sqrt(1e-3)*1e4 = 1.8974; total 7.8974 bps
    assert costs.loc["A", "cost_bps"] == pytest.approx(5 + 1 + 0.6 * 0.01 * np.sqrt(1e-3) * 1e4)
    # B: large (1e8 >= 5e7 -> mid!) -> spread 10; impact 0.6*0.02*sqrt(5e-3)*1e4 = 8.4853
    assert costs.loc["B", "spread_bps"] == 10.0
    assert costs.loc["B", "cost_bps"] == pytest.approx(10 + 1 + 0.6 * 0.02 * np.sqrt(5e-3) * 1e4)
    assert any("estimated spread" in f for f in flags)
    # rebalancing cost: (1e6 * 10 + 5e5 * 20) / 1e4 / 1e7 = 2e-4
    assert rebalancing_cost(trades, pd.Series({"A": 10.0, "B": 20.0}), 1e7) == pytest.approx(2e-4)


def test_estimate_costs_fallback_flags():
    costs, flags = estimate_costs(pd.Series({"A": 1e6}))
    assert costs.loc["A", "cost_bps"] == 20.0 and costs.loc["A", "basis"] == "estimated"
    assert any(f.startswith("estimated costs") for f in flags)
    from datetime import date

    _, flags = estimate_costs(pd.Series({"A": 1e6}), estimated_on=date(2024, 1, 1), as_of=date(2024, 3, 1))
    assert any(f.startswith("stale costs") for f in flags)


def test_size_buckets():
    assert size_bucket(pd.Series([6e8, 6e7, 1e6])).tolist() == ["large", "mid", "small"]


def test_beta_on_a_constructed_series_with_known_beta():
    rng = np.random.default_rng(1)
    b = pd.Series(rng.normal(0, 0.01, 500), index=pd.bdate_range("2020-01-01", periods=500))
    noise = rng.normal(0, 0.005, 500)
    # remove the noise's projection on [1, b] so OLS recovers beta = 0.4 exactly
    X = np.column_stack([np.ones(500), b])
    noise -= X @ np.linalg.lstsq(X, noise, rcond=None)[0]
    p = 0.0002 + 0.4 * b + noise
    res = beta_ols(p, b)
    assert res.beta == pytest.approx(0.4, abs=1e-12) and res.alpha_daily == pytest.approx(0.0002, abs=1e-12)
    # R² = var(0.4 b) / var(p); se = sqrt(s² / Σ(b - mean)²)
    assert res.r_squared == pytest.approx(np.var(0.4 * b) / np.var(p))
    s2 = np.sum(noise**2) / (500 - 2)
    assert res.beta_se == pytest.approx(np.sqrt(s2 / np.sum((b - b.mean()) ** 2)))
    assert res.correlation == pytest.approx(np.sqrt(res.r_squared))
    rb = rolling_beta(p, b, 100)
    assert len(rb) == 401 and rb.between(0.2, 0.6).all()


def test_ledoit_wolf_matches_scikit_learn():
    from sklearn.covariance import LedoitWolf

    from rebal.analytics.risk import ledoit_wolf

    rng = np.random.default_rng(3)
    for n, p in ((252, 10), (60, 75), (500, 3)):
        f = rng.normal(0, 0.01, (n, 1))
        x = f @ rng.uniform(0.5, 1.5, (1, p)) + rng.normal(0, 0.02, (n, p))
        cov, delta = ledoit_wolf(x)
        ref = LedoitWolf().fit(x)
        np.testing.assert_allclose(cov, ref.covariance_, rtol=1e-10, atol=1e-16)
        assert delta == pytest.approx(ref.shrinkage_, rel=1e-10)
