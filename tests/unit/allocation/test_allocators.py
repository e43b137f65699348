"""Baseline allocators, checked against closed forms and a second library."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.allocation import EqualWeight, FixedWeights, InverseVolatility, make_allocator
from rebal.allocation.spec import TargetSpec
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
    from rebal.allocation.spec import TargetSpec

    X = load_sp500_dataset().pct_change().dropna().iloc[-504:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = make_allocator(TargetSpec(method=method, **kw)).fit(X)
    return a.weights_.to_numpy(), a.mu_.to_numpy(), a.covariance_.to_numpy()


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


@pytest.mark.parametrize("objective", ["min_variance", "max_sharpe"])
def test_mean_variance_equals_skfolio_mean_risk(objective):
    # second library: skfolio MeanRisk (cvxpy + Clarabel) on the same EW means and Ledoit-Wolf covariance
    import warnings

    from skfolio import RiskMeasure
    from skfolio.datasets import load_sp500_dataset
    from skfolio.moments import EWMu, LedoitWolf
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    from rebal.allocation.mean_variance import MeanVariance

    X = load_sp500_dataset().pct_change().dropna().iloc[-504:]
    sk_obj = ObjectiveFunction.MAXIMIZE_RATIO if objective == "max_sharpe" else ObjectiveFunction.MINIMIZE_RISK
    prior = EmpiricalPrior(mu_estimator=EWMu(half_life=126), covariance_estimator=LedoitWolf())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = MeanRisk(objective_function=sk_obj, risk_measure=RiskMeasure.VARIANCE, prior_estimator=prior,
                      max_weights=0.2, risk_free_rate=0.02 / 252).fit(X)
    ours = MeanVariance(objective, max_weight=0.2, risk_free_rate=0.02).fit(X)
    np.testing.assert_allclose(ours.weights_.to_numpy(), sk.weights_, atol=5e-4)
    mu, cov = ours.mu_.to_numpy(), ours.covariance_.to_numpy()

    def sharpe(w):
        return (mu @ w - 0.02) / np.sqrt(w @ cov @ w)

    def var(w):
        return w @ cov @ w

    if objective == "max_sharpe":
        assert sharpe(ours.weights_.to_numpy()) >= sharpe(sk.weights_) - 1e-6
    else:
        assert var(ours.weights_.to_numpy()) <= var(sk.weights_) * (1 + 1e-6)


def test_sector_caps_hold_and_bind():
    # three assets, the two lowest-variance ones in sector S: uncapped, S takes ~all; capped at 40 %
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(0.0004, [0.005, 0.006, 0.02], size=(400, 3)), columns=["A", "B", "C"])
    spec = TargetSpec(method="min_variance", sector_max={"S": 0.4})
    free = make_allocator(TargetSpec(method="min_variance")).fit(X).weights_
    assert free["A"] + free["B"] > 0.9
    w = make_allocator(spec, sectors={"A": "S", "B": "S", "C": "T"}).fit(X).weights_
    assert w["A"] + w["B"] == pytest.approx(0.4, abs=1e-6) and w.sum() == pytest.approx(1.0)


def test_black_litterman_allocator_kkt_and_view_direction(tmp_path):
    # max μ'w - δ/2 w'Σw, Σw = 1, w >= 0: μ_i - δ(Σw)_i = λ on active assets, <= λ on excluded ones
    from rebal.allocation.black_litterman import BlackLittermanAllocator, FileViews

    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(0.0003, [0.01, 0.012, 0.015, 0.011], size=(500, 4)), columns=list("ABCD"))
    (tmp_path / "v.yaml").write_text("views:\n  - {asset: C, value: 0.10, confidence: 0.8, label: C up}\n")
    base = BlackLittermanAllocator(FileViews(tmp_path / "v.yaml"), delta=2.5, tau=0.05).fit(X)
    mu, S, w = base.result_.posterior_returns.to_numpy(), base.result_.posterior_cov.to_numpy(), base.weights_.to_numpy()
    g = mu - 2.5 * S @ w
    active = w > 1e-5
    lam = g[active].mean()
    np.testing.assert_allclose(g[active], lam, atol=1e-5)
    assert (g[~active] <= lam + 1e-5).all()
    # the bullish view on C raises C above its equal market weight
    assert w[2] > 0.25 and base.result_.posterior_returns["C"] > base.result_.pi["C"]


def test_efficient_frontier_is_monotone_and_starts_at_min_variance():
    from rebal.allocation.mean_variance import MeanVariance, efficient_frontier

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal([0.0002, 0.0004, 0.0008], [0.01, 0.015, 0.03], size=(600, 3)), columns=list("ABC"))
    mv = MeanVariance("min_variance").fit(X)
    fr = efficient_frontier(mv.mu_, mv.covariance_, points=10)
    assert len(fr) >= 8
    assert np.all(np.diff(fr["ret"]) >= -1e-10) and np.all(np.diff(fr["vol"]) >= -1e-8)
    w = mv.weights_.to_numpy()
    assert fr["vol"].iloc[0] == pytest.approx(np.sqrt(w @ mv.covariance_.to_numpy() @ w), rel=1e-4)
    ms = MeanVariance("max_sharpe").fit(X)
    wm = ms.weights_.to_numpy()
    sh = (ms.mu_.to_numpy() @ wm) / np.sqrt(wm @ ms.covariance_.to_numpy() @ wm)
    assert fr["sharpe"].max() <= sh + 1e-4  # no frontier point beats the tangency portfolio
