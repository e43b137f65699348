"""Mean-variance with a negative lower bound: long-short weights, checked against the textbook closed forms.

With only the budget constraint (bounds wide enough not to bind), the minimum-variance portfolio is
w = Σ⁻¹1 / (1ᵀΣ⁻¹1) and the tangency portfolio w = Σ⁻¹(μ - r_f) / (1ᵀΣ⁻¹(μ - r_f)) (Markowitz; e.g.
Merton 1972). Two highly correlated assets with different volatilities make the minimum-variance
portfolio short the riskier one, so a solver that dropped shorts would be caught.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.allocation.mean_variance import MeanVariance, efficient_frontier
from rebal.errors import ConfigError

ASSETS = ["LOW", "HIGH", "MID"]
VOL = np.array([0.12, 0.25, 0.12])
CORR = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 1.0]])
COV = pd.DataFrame(np.outer(VOL, VOL) * CORR, index=ASSETS, columns=ASSETS)
MU = pd.Series([0.05, 0.04, 0.08], index=ASSETS)


def _gmv() -> np.ndarray:
    inv = np.linalg.solve(COV.to_numpy(), np.ones(3))
    return inv / inv.sum()


def _tangency(rf: float = 0.0) -> np.ndarray:
    inv = np.linalg.solve(COV.to_numpy(), MU.to_numpy() - rf)
    return inv / inv.sum()


def test_min_variance_with_a_negative_bound_is_the_closed_form_with_its_short():
    w = MeanVariance("min_variance", min_weight=-1.0, max_weight=1.0, mu=MU, covariance=COV).fit(None).weights_
    expected = _gmv()
    assert expected[1] < -0.1  # the closed form shorts HIGH (worked out: Σ⁻¹1 has a negative second entry)
    np.testing.assert_allclose(w.to_numpy(), expected, atol=1e-6)
    assert w.sum() == pytest.approx(1.0)


def test_max_sharpe_with_a_negative_bound_is_the_tangency_portfolio():
    w = MeanVariance("max_sharpe", min_weight=-1.0, max_weight=1.0, mu=MU, covariance=COV).fit(None).weights_
    expected = _tangency()
    assert expected.min() < 0 and np.abs(expected).max() < 1  # a short, and the bounds do not bind
    np.testing.assert_allclose(w.to_numpy(), expected, atol=1e-5)


def test_a_bound_that_binds_holds_the_short_at_the_bound():
    w = MeanVariance("min_variance", min_weight=-0.1, max_weight=1.0, mu=MU, covariance=COV).fit(None).weights_
    assert w["HIGH"] == pytest.approx(-0.1, abs=1e-7) and w.min() >= -0.1 - 1e-9
    long_only = MeanVariance("min_variance", mu=MU, covariance=COV).fit(None).weights_
    assert long_only.min() >= 0
    var = lambda x: float(x @ COV.to_numpy() @ x)  # noqa: E731
    assert var(_gmv()) < var(w.to_numpy()) < var(long_only.to_numpy())  # each looser bound lowers the variance


def test_the_frontier_keeps_shorts_under_a_negative_bound():
    fr = efficient_frontier(MU, COV, min_weight=-1.0, max_weight=1.0, points=5)
    gmv = _gmv()
    assert fr["vol"].iloc[0] == pytest.approx(float(np.sqrt(gmv @ COV.to_numpy() @ gmv)), rel=1e-5)


@pytest.mark.parametrize(("kw", "pattern"), [
    ({"min_weight": -1.5}, r"Invalid `min_weight` of MeanVariance: must be a number in \[-1, 1\]"),
    ({"max_weight": -0.2, "min_weight": -0.5}, r"Invalid `max_weight` of MeanVariance: must be > 0"),
    ({"min_weight": 0.5, "max_weight": 0.4}, r"Invalid `min_weight` of MeanVariance: 0.5 > `max_weight` 0.4"),
])
def test_bounds_outside_their_range_are_refused_in_fit(kw, pattern):
    with pytest.raises(ConfigError, match=pattern):
        MeanVariance("min_variance", mu=MU, covariance=COV, **kw).fit(None)


def test_efficient_frontier_refuses_bounds_outside_their_range():
    with pytest.raises(ConfigError, match=r"`min_weight` of efficient_frontier"):
        efficient_frontier(MU, COV, min_weight=-2.0)


def test_a_long_short_profile_may_give_a_negative_min_weight_and_a_long_only_one_may_not(tmp_path):
    from rebal.config import load_profile

    text = "universe: [AAA, BBB, CCC]\nbenchmark: IDX\ntarget: {method: min_variance, min_weight: -0.2}\n" \
           "notebooks: [drift_audit]\n"
    (tmp_path / "ls.yaml").write_text(text + "long_only: false\n")
    assert load_profile(tmp_path / "ls.yaml").target.min_weight == -0.2
    (tmp_path / "lo.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"lo\.yaml: `target\.min_weight`: -0.2 allows short positions in a "
                                          r"long-only profile"):
        load_profile(tmp_path / "lo.yaml")
