"""Ex-ante risk (rebal.analytics.exante): Euler contributions by hand, against skfolio's and Riskfolio-Lib's definition.

Riskfolio-Lib (not a dependency: it pulls in cvxpy) defines the risk contribution of asset i for the
standard deviation as w_i times the central finite difference of the risk in w_i,
RC_i = w_i (σ(w + h e_i) − σ(w − h e_i)) / 2h; that definition is written out here on its own.
skfolio's ``Portfolio.contribution`` is the same definition on the sample covariance of its returns.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebal.analytics.exante import (
    asset_betas,
    exante_risk,
    group_contributions,
    inverse_hhi,
    portfolio_beta,
    portfolio_volatility,
    risk_contributions,
)

# Two assets, daily: σ1 = 2 %, σ2 = 3 %, cov 0.0001. Weights 60 / 40.
COV2 = pd.DataFrame([[0.0004, 0.0001], [0.0001, 0.0009]], index=["A", "B"], columns=["A", "B"])
W2 = pd.Series({"A": 0.6, "B": 0.4})


def test_two_asset_contributions_by_hand():
    # Σw = (0.6·0.0004 + 0.4·0.0001, 0.6·0.0001 + 0.4·0.0009) = (0.00028, 0.00042)
    # wᵀΣw = 0.6·0.00028 + 0.4·0.00042 = 0.000168 + 0.000168 = 0.000336: the two assets carry equal risk.
    vol = np.sqrt(0.000336 * 252)  # 0.29098...
    rc = risk_contributions(W2, COV2)
    assert portfolio_volatility(W2, COV2) == pytest.approx(vol, rel=1e-15)
    assert rc.loc["A", "marginal"] == pytest.approx(252 * 0.00028 / vol, rel=1e-14)
    assert rc.loc["B", "marginal"] == pytest.approx(252 * 0.00042 / vol, rel=1e-14)
    assert rc["share"].tolist() == pytest.approx([0.5, 0.5], abs=1e-14)
    assert rc["contribution"].tolist() == pytest.approx([vol / 2, vol / 2], rel=1e-14)
    assert inverse_hhi(rc["share"]) == pytest.approx(2.0)


def test_three_assets_and_cash_sum_to_the_volatility():
    # Daily: σ = 1 %, 2 %, 1.5 %; ρ12 = 0.5, ρ13 = -0.2, ρ23 = 0.3. Cash 10 % is riskless.
    s = np.array([0.01, 0.02, 0.015])
    rho = np.array([[1, 0.5, -0.2], [0.5, 1, 0.3], [-0.2, 0.3, 1]])
    cov = pd.DataFrame(rho * np.outer(s, s), index=list("XYZ"), columns=list("XYZ"))
    w = pd.Series({"X": 0.5, "Y": 0.25, "Z": 0.15, "CASH": 0.10})
    rc = risk_contributions(w, cov)
    wv = w[list("XYZ")].to_numpy()
    vol = np.sqrt(wv @ cov.to_numpy() @ wv * 252)
    assert rc["contribution"].sum() == pytest.approx(vol, abs=1e-12)
    assert rc.loc["CASH", ["marginal", "contribution", "share"]].tolist() == [0.0, 0.0, 0.0]
    assert rc["share"].sum() == pytest.approx(1.0, abs=1e-12)


def _riskfolio_rc(w: np.ndarray, cov: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Riskfolio-Lib's Risk_Contribution for rm='MV': w_i · central difference of sqrt(wᵀΣw)."""
    out = np.empty_like(w)
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = h
        up, dn = np.sqrt((w + e) @ cov @ (w + e)), np.sqrt((w - e) @ cov @ (w - e))
        out[i] = w[i] * (up - dn) / (2 * h)
    return out


def test_contributions_match_riskfolios_finite_difference_definition():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 6))
    cov = a @ a.T / 6 * 1e-4
    w = rng.dirichlet(np.ones(6))
    labels = [f"S{i}" for i in range(6)]
    rc = risk_contributions(pd.Series(w, index=labels), pd.DataFrame(cov, index=labels, columns=labels),
                            periods_per_year=1)
    assert rc["contribution"].to_numpy() == pytest.approx(_riskfolio_rc(w, cov), abs=1e-10)


def test_contributions_match_skfolio_portfolio_contribution():
    from skfolio import Portfolio, RiskMeasure

    rng = np.random.default_rng(5)
    x = rng.normal(0.0003, 0.012, size=(400, 4)) @ np.array([[1, 0.3, 0, 0], [0, 1, 0.2, 0], [0, 0, 1, 0.4],
                                                                [0, 0, 0, 1.0]])
    w = np.array([0.4, 0.3, 0.2, 0.1])
    expected = Portfolio(X=x, weights=w).contribution(measure=RiskMeasure.STANDARD_DEVIATION)
    labels = list("ABCD")
    cov = pd.DataFrame(x, columns=labels).cov(ddof=1)
    rc = risk_contributions(pd.Series(w, index=labels), cov, periods_per_year=1)
    assert rc["contribution"].to_numpy() == pytest.approx(expected, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=12), st.integers(min_value=0, max_value=10_000))
def test_euler_contributions_always_sum_to_the_volatility(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n + 2))
    cov = a @ a.T * rng.uniform(1e-5, 1e-3)
    w = rng.normal(size=n)  # long and short
    labels = [f"T{i}" for i in range(n)]
    rc = risk_contributions(pd.Series(w, index=labels), pd.DataFrame(cov, index=labels, columns=labels))
    vol = np.sqrt(w @ cov @ w * 252)
    assert abs(rc["contribution"].sum() - vol) <= 1e-12 * max(1.0, vol)


def test_sector_sums_and_an_all_cash_portfolio():
    rc = risk_contributions(pd.Series({"A": 0.6, "B": 0.4}), COV2)
    by = group_contributions(rc, {"A": "Tech", "B": "Tech"})
    assert by.index.tolist() == ["Tech"]
    assert by.loc["Tech", "share"] == pytest.approx(1.0)
    cash = exante_risk(pd.Series({"CASH": 1.0}), COV2, pd.Series(dtype=float))
    assert cash.volatility == 0.0 and cash.largest == "" and np.isnan(cash.effective_bets)


def test_betas_match_a_least_squares_fit_and_the_portfolio_beta_is_weighted():
    rng = np.random.default_rng(8)
    b = rng.normal(0, 0.01, 300)
    r = pd.DataFrame({"A": 0.7 * b + rng.normal(0, 0.004, 300), "B": 1.3 * b + rng.normal(0, 0.006, 300)})
    betas = asset_betas(r, pd.Series(b))
    for col in "AB":
        slope = np.linalg.lstsq(np.column_stack([np.ones(300), b]), r[col].to_numpy(), rcond=None)[0][1]
        assert betas[col] == pytest.approx(slope, rel=1e-10)
    w = pd.Series({"A": 0.5, "B": 0.3, "CASH": 0.2})
    assert portfolio_beta(w, betas) == pytest.approx(0.5 * betas["A"] + 0.3 * betas["B"])


def test_exante_risk_tracking_error_to_the_target_by_hand():
    target = pd.Series({"A": 0.5, "B": 0.5})
    res = exante_risk(W2, COV2, pd.Series({"A": 1.0, "B": 1.0}), reference=target)
    # d = (0.1, -0.1): dᵀΣd = 0.01·0.0004 - 2·0.01·0.0001 + 0.01·0.0009 = 0.000011
    assert res.tracking_error == pytest.approx(np.sqrt(0.000011 * 252), rel=1e-12)
    assert res.beta == pytest.approx(1.0)
    assert res.effective_positions == pytest.approx(1 / (0.36 + 0.16))
    assert res.largest in {"A", "B"}
