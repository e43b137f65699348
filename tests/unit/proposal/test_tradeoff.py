"""The trade-off problem: special cases worked by hand, and a second solver (cvxpy with SCS) on a general case."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.costs import CostModel, cost_coefficients, estimate_costs
from rebal.errors import DataError
from rebal.proposal.spec import Limits
from rebal.proposal.tradeoff import TradeCosts, remedial_weights, solve_tradeoff

NAMES = list("ABCDEF")


def _costs(a: float, b: float, names=("A",)) -> TradeCosts:
    return TradeCosts(pd.Series(a, index=list(names)), pd.Series(b, index=list(names)))


def _one(c: float, t: float, costs: TradeCosts, sigma2: float = 0.04, k: float = 2.0, **kw):
    cov = pd.DataFrame([[sigma2]], index=["A"], columns=["A"])
    return solve_tradeoff(pd.Series({"A": c}), pd.Series({"A": t}), cov, costs, risk_aversion=k, horizon_years=1.0,
                          towards_target=False, **kw)


def test_without_costs_the_optimum_is_the_target_and_without_tracking_it_is_the_book():
    c, t = pd.Series({"A": 0.6, "B": 0.3}), pd.Series({"A": 0.4, "B": 0.5})
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["A", "B"], columns=["A", "B"])
    free = solve_tradeoff(c, t, cov, _costs(0.0, 0.0, "AB"), risk_aversion=2.0, horizon_years=1.0)
    np.testing.assert_allclose(free.weights.to_numpy(), [0.4, 0.5], atol=1e-6)
    assert free.te_after == pytest.approx(0.0, abs=1e-5) and free.te_removed == pytest.approx(1.0, abs=1e-6)
    still = solve_tradeoff(c, t, cov, _costs(0.001, 0.0, "AB"), risk_aversion=0.0, horizon_years=1.0)
    np.testing.assert_allclose(still.weights.to_numpy(), [0.6, 0.3], atol=1e-7)


def test_linear_costs_trade_to_the_edge_of_the_no_trade_band():
    # ½ k σ² (w - t)² + a |w - c|: the band is |w - t| <= a / (k σ²) = 0.001 / (2 x 0.04) = 1.25 points
    edge = _one(0.60, 0.50, _costs(0.001, 0.0))
    assert edge.weights["A"] == pytest.approx(0.5125, abs=1e-6)
    inside = _one(0.51, 0.50, _costs(0.001, 0.0))  # inside the band: no trade
    assert inside.weights["A"] == pytest.approx(0.51, abs=1e-7) and inside.traded == pytest.approx(0.0, abs=1e-7)
    below = _one(0.40, 0.50, _costs(0.001, 0.0))  # from below: to the lower edge
    assert below.weights["A"] == pytest.approx(0.4875, abs=1e-6)


def test_square_root_impact_stops_where_the_marginal_cost_meets_the_marginal_benefit():
    # trade x from c = 0.6 towards t = 0.5 (d = 0.1): min ½ k σ² (d - x)² + b x^{3/2}
    # first order: k σ² (d - x) = 1.5 b sqrt(x); with k σ² = 0.08 and b = 0.01, y = sqrt(x) solves
    # 0.08 y² + 0.015 y - 0.008 = 0
    y = (-0.015 + math.sqrt(0.015 ** 2 + 4 * 0.08 * 0.008)) / (2 * 0.08)
    res = _one(0.60, 0.50, _costs(0.0, 0.01))
    assert res.weights["A"] == pytest.approx(0.6 - y * y, abs=1e-6)
    # its cost is b x^{3/2} and its tracking term ½ k σ² (d - x)²
    assert res.cost == pytest.approx(0.01 * (y * y) ** 1.5, rel=1e-5)
    assert res.tracking == pytest.approx(0.5 * 0.08 * (0.1 - y * y) ** 2, rel=1e-4)


def test_the_remedy_is_the_smallest_trade_that_meets_the_limits_moving_towards_the_target():
    # A 30 % > 25 % limit; target A 20, B 25, C 25, D 25, cash 5. Moving towards the target, with cash kept at its
    # 5 %, the 5 points sold of A can only buy C and D (the names below their target): 10 points traded in all.
    # Among the trades that small, costs and tracking error alike pick an even split (C and D identical)
    c = pd.Series({"A": 0.30, "B": 0.25, "C": 0.20, "D": 0.20})
    t = pd.Series({"A": 0.20, "B": 0.25, "C": 0.25, "D": 0.25})
    cov = pd.DataFrame(np.diag([0.04] * 4), index=list("ABCD"), columns=list("ABCD"))
    lim = Limits(max_total=1.0, max_cluster=1.0, max_single=0.25)
    r = remedial_weights(c, t, cov, _costs(0.001, 0.002, "ABCD"), limits=lim, margin=0.0)
    np.testing.assert_allclose(r.weights[["A", "B", "C", "D"]].to_numpy(), [0.25, 0.25, 0.225, 0.225], atol=1e-6)
    assert r.traded == pytest.approx(0.10, abs=1e-6)
    # with the default margin the limit is met 0.01 point inside (B, at its target, stays at the limit)
    r = remedial_weights(c, t, cov, _costs(0.001, 0.002, "ABCD"), limits=lim)
    assert r.weights["A"] == pytest.approx(0.2499, abs=1e-6) and r.weights["B"] == pytest.approx(0.25, abs=1e-7)


def test_a_target_at_its_limit_stays_reachable_under_the_margin():
    c = pd.Series({"A": 0.30, "B": 0.20, "C": 0.20, "D": 0.20, "E": 0.10})
    t = pd.Series({"A": 0.25, "B": 0.25, "C": 0.20, "D": 0.20, "E": 0.10})
    cov = pd.DataFrame(np.diag([0.04] * 5), index=list("ABCDE"), columns=list("ABCDE"))
    r = remedial_weights(c, t, cov, _costs(0.001, 0.0, "ABCDE"), limits=Limits(max_single=0.25, max_cluster=1.0))
    assert r.weights["A"] == pytest.approx(0.25, abs=1e-7)  # the box ends at 25 %: the margin cannot cut below it
    assert r.weights["B"] == pytest.approx(0.25, abs=1e-7)


def test_limits_that_cannot_hold_moving_towards_the_target_are_refused():
    c, t = pd.Series({"A": 0.30, "B": 0.70}), pd.Series({"A": 0.30, "B": 0.70})
    cov = pd.DataFrame(np.diag([0.04, 0.04]), index=["A", "B"], columns=["A", "B"])
    with pytest.raises(DataError, match="no trade meets the hard limits moving towards the target"):
        solve_tradeoff(c, t, cov, _costs(0.0, 0.0, "AB"), risk_aversion=1.0, horizon_years=1.0,
                       limits=Limits(max_single=0.5, max_cluster=1.0))


def test_a_negative_cost_is_refused():
    with pytest.raises(ValueError, match="TradeCosts.sell: every coefficient must be a finite number >= 0"):
        TradeCosts(pd.Series({"A": 0.001}), pd.Series({"A": 0.0}), sell=pd.Series({"A": -0.01})).coefficients(["A"])


def test_the_weight_form_of_the_cost_model_prices_trades_as_estimate_costs_does():
    # one cost model: a |z| + b |z|^{3/2} of value V equals estimate_costs on the dollar trades z V
    adv = pd.Series({"A": 8e8, "B": 6e7, "C": 2e7})
    sig = pd.Series({"A": 0.015, "B": 0.02, "C": 0.03})
    model, value = CostModel(commission_bps=1.0, impact_coefficient=0.6), 25e6
    a, b = cost_coefficients(list("ABC"), value, dollar_adv=adv, sigma_daily=sig, model=model)
    z = pd.Series({"A": 0.05, "B": -0.02, "C": 0.01})
    frame, _ = estimate_costs(z * value, dollar_adv=adv, sigma_daily=sig, model=model)
    np.testing.assert_allclose(TradeCosts(a, b).of(z).to_numpy() * value, frame["cost_usd"].to_numpy(), rtol=1e-12)


def test_the_general_problem_matches_cvxpy():
    cp = pytest.importorskip("cvxpy")  # a test extra (pyproject), an independent modelling of the same problem
    rng = np.random.default_rng(3)
    n = len(NAMES)
    m = rng.normal(size=(n, n))
    cov = m @ m.T * 0.01 + np.eye(n) * 0.01
    c = pd.Series(rng.dirichlet(np.ones(n)) * 0.95, index=NAMES)
    t = pd.Series(rng.dirichlet(np.ones(n)), index=NAMES)
    a = pd.Series(rng.uniform(5e-4, 2e-3, n), index=NAMES)
    b = pd.Series(rng.uniform(0.0, 5e-3, n), index=NAMES)
    lim = Limits(max_total=1.0, max_cluster=0.5, max_single=0.3)
    costs = TradeCosts(a, b, sell=pd.Series(0.002, index=NAMES))
    for box in (False, True):
        res = solve_tradeoff(c, t, pd.DataFrame(cov, index=NAMES, columns=NAMES), costs, risk_aversion=2.0,
                             horizon_years=1.0, limits=lim, clusters=[["A", "B"]], towards_target=box, margin=0.0)
        w = cp.Variable(n)
        z = w - c.to_numpy()
        obj = (0.5 * 2.0 * cp.quad_form(w - t.to_numpy(), cov) + a.to_numpy() @ cp.abs(z)
               + b.to_numpy() @ cp.power(cp.abs(z), 1.5) + 0.002 * cp.sum(cp.neg(z)))
        cons = [w >= 0, w <= 0.3, w[0] + w[1] <= 0.5, cp.sum(w) <= 1]
        if box:  # every weight, and cash, from its current value towards its target
            cons += [w >= np.minimum(c, t).to_numpy(), w <= np.maximum(c, t).to_numpy(),
                     cp.sum(w) >= min(c.sum(), t.sum()), cp.sum(w) <= max(c.sum(), t.sum())]
        prob = cp.Problem(cp.Minimize(obj), cons)
        prob.solve(solver="SCS", eps=1e-10, max_iters=200_000)
        np.testing.assert_allclose(res.weights.to_numpy(), w.value, atol=2e-5)
        assert res.tracking + res.cost == pytest.approx(prob.value, rel=1e-5)


def test_per_asset_bounds_hold_an_exit_or_a_minimum():
    c, t = pd.Series({"A": 0.30, "B": 0.70}), pd.Series({"A": 0.0, "B": 1.0})
    cov = pd.DataFrame(np.diag([0.04, 0.04]), index=["A", "B"], columns=["A", "B"])
    costs = _costs(0.01, 0.0, "AB")  # costly enough to stop short of the target without a bound
    free = solve_tradeoff(c, t, cov, costs, risk_aversion=1.0, horizon_years=1.0)
    assert 0.0 < free.weights["A"] < 0.30
    out = solve_tradeoff(c, t, cov, costs, risk_aversion=1.0, horizon_years=1.0, bounds={"A": (0.0, 0.0)})
    assert out.weights["A"] == pytest.approx(0.0, abs=1e-8) and out.weights["B"] == pytest.approx(1.0, abs=1e-7)
