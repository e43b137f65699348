"""Allocators are scikit-learn estimators: clone, get/set_params, GridSearchCV with a portfolio scorer."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.utils import estimator_checks as checks

from rebal.allocation.basic import EqualWeight, FixedWeights, InverseVolatility
from rebal.allocation.black_litterman import BlackLittermanAllocator, FileViews
from rebal.allocation.hrp import HRP
from rebal.allocation.mean_variance import MeanVariance
from rebal.allocation.scoring import annualised_sharpe, portfolio_sharpe, sharpe_scorer
from rebal.allocation.skfolio_adapter import SkfolioAllocator
from rebal.errors import ConfigError, DataError


def _skfolio_mean_risk():
    from skfolio.optimization import MeanRisk

    return MeanRisk(max_weights=0.6)


def _allocators(tmp_path):
    """One instance of every allocator, with non-default parameters where it has any."""
    views = tmp_path / "v.yaml"
    views.write_text("views:\n  - {asset: A, value: 0.05}\n")
    return [
        FixedWeights({"A": 0.5, "B": 0.3, "C": 0.2}),
        EqualWeight(),
        InverseVolatility(),
        MeanVariance("max_sharpe", max_weight=0.7, risk_free_rate=0.01, groups={"A": "S", "B": "S"},
                     group_max={"S": 0.8}),
        HRP(linkage="average", optimal_ordering=True),
        BlackLittermanAllocator(FileViews(views), tau=0.1, omega="he_litterman", max_weight=0.8),
        SkfolioAllocator(_skfolio_mean_risk()),
    ]


@pytest.fixture
def returns():
    rng = np.random.default_rng(11)
    return pd.DataFrame(rng.normal([0.0004, 0.0003, 0.0006], [0.01, 0.012, 0.02], size=(300, 3)),
                        columns=["A", "B", "C"])


def _params_equal(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, BaseEstimator):
            if type(x) is not type(y) or not _params_equal(x.get_params(deep=False), y.get_params(deep=False)):
                return False
        elif x != y:
            return False
    return True


def test_every_allocator_is_a_base_estimator_and_clones_with_equal_params(tmp_path, returns):
    for est in _allocators(tmp_path):
        assert isinstance(est, BaseEstimator)
        twin = clone(est)
        assert twin is not est and type(twin) is type(est)
        assert _params_equal(twin.get_params(deep=True), est.get_params(deep=True)), type(est).__name__
        fitted = clone(est).fit(returns)
        assert "weights_" not in vars(twin)  # clone is unfitted
        w = fitted.weights_
        assert isinstance(w, pd.Series) and w.sum() == pytest.approx(1.0) and (w >= -1e-12).all()


def test_set_params_round_trip(tmp_path):
    for est in _allocators(tmp_path):
        params = est.get_params(deep=False)
        fresh = type(est)()
        assert fresh.set_params(**params) is fresh
        assert _params_equal(fresh.get_params(deep=True), est.get_params(deep=True)), type(est).__name__
    sk = SkfolioAllocator(_skfolio_mean_risk())
    assert sk.get_params(deep=True)["estimator__max_weights"] == 0.6
    sk.set_params(estimator__max_weights=0.4)
    assert sk.estimator.max_weights == 0.4


@pytest.mark.parametrize("check", [checks.check_no_attributes_set_in_init, checks.check_get_params_invariance,
                                   checks.check_set_params, checks.check_parameters_default_constructible])
def test_scikit_learn_estimator_checks(tmp_path, check):
    # second library: scikit-learn's own checks of the estimator contract
    for est in _allocators(tmp_path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(type(est).__name__, est)


def test_init_stores_arguments_unvalidated_and_fit_validates():
    # __init__ never validates (scikit-learn convention); fit names the parameter and the value
    bad = [(MeanVariance("median"), "`objective` of MeanVariance: 'median'"),
           (MeanVariance(max_weight=1.5), "`max_weight` of MeanVariance"),
           (MeanVariance(half_life=0), "`half_life` of MeanVariance"),
           (HRP(linkage="nearest"), "`linkage` of HRP: 'nearest'; valid: single, complete"),
           (BlackLittermanAllocator(), "needs a views provider"),
           (SkfolioAllocator(), "`estimator` of SkfolioAllocator"),
           (FixedWeights(), "`weights` of FixedWeights")]
    X = pd.DataFrame({"A": [0.01, -0.01, 0.02], "B": [0.0, 0.01, -0.01]})
    for est, msg in bad:
        with pytest.raises(ConfigError, match=msg.replace("(", r"\(")):
            est.fit(X)


def test_mean_variance_does_not_copy_its_inputs_in_init():
    groups, caps = {"A": "S"}, {"S": 0.5}
    mv = MeanVariance(groups=groups, group_max=caps)
    assert mv.groups is groups and mv.group_max is caps


def test_skfolio_allocator_leaves_its_estimator_unfitted(returns):
    inner = _skfolio_mean_risk()
    a = SkfolioAllocator(inner).fit(returns)
    assert not hasattr(inner, "weights_") and a.estimator_ is not inner
    np.testing.assert_allclose(a.weights_.to_numpy(), a.estimator_.weights_, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# scoring


def test_portfolio_sharpe_by_hand():
    # r_p = 0.5 r_A + 0.5 r_B = [0.01, 0.0, 0.02, 0.01]: mean 0.01, sample sd sqrt(0.0002 / 3)
    X = pd.DataFrame({"A": [0.02, 0.0, 0.02, 0.0], "B": [0.0, 0.0, 0.02, 0.02], "C": [9.0, 9.0, 9.0, 9.0]})
    w = pd.Series({"A": 0.5, "B": 0.5})
    expected = 0.01 / np.sqrt(0.0002 / 3) * np.sqrt(252)
    assert portfolio_sharpe(w, X) == pytest.approx(expected, rel=1e-12)
    assert np.isnan(annualised_sharpe(np.array([0.01, 0.01, 0.01])))  # no variation: undefined
    with pytest.raises(DataError, match="no returns for the weighted ticker"):
        portfolio_sharpe(pd.Series({"Z": 1.0}), X)


def test_score_equals_skfolio_annualized_sharpe(returns):
    # second library: skfolio's Portfolio on the same returns and weights (sample sd, 252 periods)
    from skfolio import Portfolio

    a = InverseVolatility().fit(returns)
    ref = Portfolio(X=returns, weights=a.weights_.to_numpy()).annualized_sharpe_ratio
    assert a.score(returns) == pytest.approx(ref, rel=1e-10)
    assert sharpe_scorer(a, returns) == a.score(returns)


def _constructed_returns(n: int) -> pd.DataFrame:
    """A: mean 8 bp a day with +-1 % alternating; B: mean 0, +-0.4 % in pairs (++--).

    Over any window of whole 4-day blocks B's mean is exactly 0 and A and B are exactly
    uncorrelated, so the maximum-Sharpe portfolio is all A (w_B ∝ μ_B / σ_B² = 0), while minimum
    variance puts most weight on the quieter B.
    """
    t = np.arange(n)
    a = 0.0008 + 0.01 * np.where(t % 2 == 0, 1.0, -1.0)
    b = 0.004 * np.where(t % 4 < 2, 1.0, -1.0)
    return pd.DataFrame({"A": a, "B": b}, index=pd.bdate_range("2020-01-01", periods=n))


def test_grid_search_picks_max_sharpe_where_it_is_known_to_win():
    X = _constructed_returns(480)  # TimeSeriesSplit(3): test folds of 120 days = 30 whole blocks
    search = GridSearchCV(MeanVariance(), {"objective": ["min_variance", "max_sharpe"]}, cv=TimeSeriesSplit(3),
                          scoring=sharpe_scorer).fit(X)
    assert search.best_params_ == {"objective": "max_sharpe"}
    # by hand: all in A on a 120-day fold: mean 0.0008, sample sd 0.01 sqrt(120 / 119), x sqrt(252)
    expected = 0.0008 / (0.01 * np.sqrt(120 / 119)) * np.sqrt(252)
    assert search.best_score_ == pytest.approx(expected, rel=1e-4)
    assert search.cv_results_["mean_test_score"][0] < expected / 2  # min variance: mostly B
    assert search.best_estimator_.weights_["A"] == pytest.approx(1.0, abs=1e-6)


def test_grid_search_through_a_wrapped_skfolio_estimator():
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    X = _constructed_returns(480)
    grid = {"estimator__objective_function": [ObjectiveFunction.MINIMIZE_RISK, ObjectiveFunction.MAXIMIZE_RATIO]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(SkfolioAllocator(MeanRisk()), grid, cv=TimeSeriesSplit(3)).fit(X)  # scoring: .score
    assert search.best_params_["estimator__objective_function"] is ObjectiveFunction.MAXIMIZE_RATIO
    # the Sharpe ratio is flat to first order in w_B at w_B = 0: the solver stops within ~0.2 %
    assert search.best_estimator_.weights_["A"] > 0.99
