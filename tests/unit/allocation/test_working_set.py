"""Mean-variance above 100 assets (the working set of rebal.allocation.qp): optimal for all assets.

Checked without the code's own solver path: the KKT conditions of the full problem on the full
covariance, a second library (skfolio MeanRisk, cvxpy + Clarabel on all assets), and bounds.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rebal.allocation import qp
from rebal.allocation.mean_variance import MeanVariance


def _returns(n: int, days: int = 600, seed: int = 0) -> pd.DataFrame:
    # market + 6 sectors + idiosyncratic noise, with a spread of volatilities and drifts
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.01, days)
    sectors = rng.normal(0.0, 0.005, (days, 6))
    member = rng.integers(0, 6, n)
    r = (market[:, None] * rng.uniform(0.5, 1.5, n) + sectors[:, member]
         + rng.normal(0.0, 1.0, (days, n)) * rng.uniform(0.006, 0.03, n) + rng.normal(0.0003, 0.0003, n))
    return pd.DataFrame(r, columns=[f"A{i:03d}" for i in range(n)])


def _kkt_min_variance(w, cov, hi, tol):
    # min w'Σw, Σw_i = 1, 0 <= w <= hi: g = Σw equals λ on free assets, >= λ at 0, <= λ at the cap
    g = cov @ w
    free = (w > 1e-5) & (w < hi - 1e-5)  # (a weight within 1e-5 of a bound may sit on it)
    lam = np.median(g[free])
    np.testing.assert_allclose(g[free], lam, rtol=tol)
    assert (g[w <= 1e-5] >= lam * (1 - tol)).all() and (g[w >= hi - 1e-5] <= lam * (1 + tol)).all()


@pytest.mark.parametrize("cap", [1.0, 0.05])
def test_min_variance_at_300_assets_satisfies_the_kkt_conditions_of_all_assets(cap):
    X = _returns(300)
    mv = MeanVariance("min_variance", max_weight=cap).fit(X)
    w, cov = mv.weights_.to_numpy(), mv.covariance_.to_numpy()
    assert w.sum() == pytest.approx(1.0) and w.min() >= 0 and w.max() <= cap + 1e-9
    assert 10 < (w > 0).sum() < 150  # a long-only optimum holds a minority of the assets
    _kkt_min_variance(w, cov, cap, 1e-9)  # polished: the exact optimum to rounding


def test_max_sharpe_at_300_assets_satisfies_the_kkt_conditions_of_all_assets():
    # tangency, long only, uncapped: μ_i - rf = γ (Σw)_i where w_i > 0, <= where w_i = 0
    X = _returns(300, seed=1)
    ms = MeanVariance("max_sharpe", risk_free_rate=0.02).fit(X)
    w, mu, cov = ms.weights_.to_numpy(), ms.mu_.to_numpy() - 0.02, ms.covariance_.to_numpy()
    g = cov @ w
    gamma = (mu @ w) / (w @ g)
    held = w > 1e-6
    np.testing.assert_allclose(mu[held], gamma * g[held], rtol=1e-9, atol=1e-12)
    assert (mu[~held] <= gamma * g[~held] + 1e-9).all()


@pytest.mark.parametrize("objective", ["min_variance", "max_sharpe"])
def test_working_set_equals_skfolio_on_all_assets(objective):
    # skfolio MeanRisk solves the QP on all 150 assets (cvxpy + Clarabel, default tolerances)
    from skfolio import RiskMeasure
    from skfolio.moments import EWMu, LedoitWolf
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    X = _returns(150, seed=2)
    sk_obj = ObjectiveFunction.MAXIMIZE_RATIO if objective == "max_sharpe" else ObjectiveFunction.MINIMIZE_RISK
    prior = EmpiricalPrior(mu_estimator=EWMu(half_life=126), covariance_estimator=LedoitWolf())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = MeanRisk(objective_function=sk_obj, risk_measure=RiskMeasure.VARIANCE, prior_estimator=prior,
                      max_weights=0.1).fit(X)
    ours = MeanVariance(objective, max_weight=0.1).fit(X)
    np.testing.assert_allclose(ours.weights_.to_numpy(), sk.weights_, atol=5e-5)
    mu, cov, w = ours.mu_.to_numpy(), ours.covariance_.to_numpy(), ours.weights_.to_numpy()
    if objective == "max_sharpe":
        assert (mu @ w) / np.sqrt(w @ cov @ w) >= (mu @ sk.weights_) / np.sqrt(sk.weights_ @ cov @ sk.weights_) - 1e-9
    else:
        assert w @ cov @ w <= sk.weights_ @ cov @ sk.weights_ * (1 + 1e-9)


def test_sector_caps_that_leave_the_first_working_set_no_room_fall_back_to_all_assets(monkeypatch):
    # the 40 least volatile of 120 assets (the first working set: 120 // 10 = 12 of them) are all in sector
    # S capped at 5 %: the working-set QP is infeasible, so all assets are solved; caps and KKT hold
    rng = np.random.default_rng(4)
    vol = np.r_[np.full(40, 0.004), np.full(80, 0.02)] * rng.uniform(0.9, 1.1, 120)
    X = pd.DataFrame(rng.normal(0.0003, 1.0, (500, 120)) * vol, columns=[f"A{i:03d}" for i in range(120)])
    groups = {a: ("S" if i < 40 else "T") for i, a in enumerate(X.columns)}
    sizes = []
    solve = qp._clarabel
    monkeypatch.setattr(qp, "_clarabel", lambda P, *a, **k: sizes.append(len(P)) or solve(P, *a, **k))
    mv = MeanVariance("min_variance", groups=groups, group_max={"S": 0.05}).fit(X)
    w = mv.weights_.to_numpy()
    assert sizes[0] == 12 and sizes[-1] == 120
    assert w[:40].sum() == pytest.approx(0.05, abs=1e-8) and w.sum() == pytest.approx(1.0)
    # KKT within sector T (sector S's cap binds, so its assets have their own multiplier)
    g = mv.covariance_.to_numpy() @ w
    held_t = w[40:] > 1e-6
    np.testing.assert_allclose(g[40:][held_t], g[40:][held_t].mean(), rtol=1e-6)
    assert (g[40:][~held_t] >= g[40:][held_t].mean() * (1 - 1e-6)).all()


def test_below_the_threshold_the_one_shot_solve_is_used(monkeypatch):
    calls = []
    monkeypatch.setattr(qp, "_working_set", lambda *a, **k: calls.append(1))
    MeanVariance("min_variance").fit(_returns(qp.WORKING_SET_MIN_ASSETS))
    MeanVariance("min_variance", min_weight=0.001).fit(_returns(qp.WORKING_SET_MIN_ASSETS + 1))  # lo > 0
    assert not calls
