"""The allocators are scikit-learn estimators in full: they pass `parametrize_with_checks`, take NumPy arrays, and
refuse a "returns" frame that is plainly prices.

Documented exception (the one check that fails, for every allocator):

- ``check_dtype_object``: a value that is not a number (scikit-learn's check puts a dict in the array) is refused
  with :class:`~rebal.errors.ReturnsError`, a ``ValueError`` and a ``DataError`` (the error the ``rebal`` command
  prints as one line, exit 2); the check wants a ``TypeError``. The refusal itself is what the check tests for.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from rebal.allocation.base import looks_like_prices
from rebal.allocation.basic import EqualWeight, FixedWeights, InverseVolatility
from rebal.allocation.black_litterman import BlackLittermanAllocator
from rebal.allocation.hrp import HRP
from rebal.allocation.mean_variance import MeanVariance
from rebal.allocation.skfolio_adapter import SkfolioAllocator
from rebal.errors import DataError, ReturnsError

EXPECTED_FAILURES = {
    "check_dtype_object": "a non-number is refused with ReturnsError (a ValueError and DataError, printed by the CLI "
                          "as one line), not the TypeError the check expects",
}


class NoViews:
    """A views provider with no view: the Black-Litterman posterior is the prior."""

    def views(self, as_of):
        return []

    def __repr__(self) -> str:  # a stable test id (xdist workers must collect the same names)
        return "NoViews()"


def _skfolio_inverse_vol():
    from skfolio.optimization import InverseVolatility as SkInverseVolatility

    return SkfolioAllocator(SkInverseVolatility())


ESTIMATORS = [EqualWeight(), InverseVolatility(), HRP(), MeanVariance(), MeanVariance("max_sharpe"),
              BlackLittermanAllocator(NoViews()), _skfolio_inverse_vol(), FixedWeights({0: 0.5, 1: 0.5})]


@pytest.mark.slow
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _path(n: int = 60, m: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0004, 0.012, size=(n, m))
    return pd.DataFrame(100 * np.cumprod(1 + r, axis=0), columns=[f"T{i}" for i in range(m)],
                        index=pd.bdate_range("2024-01-02", periods=n))


@pytest.mark.parametrize("est", [MeanVariance(), HRP(), InverseVolatility(), EqualWeight()])
def test_prices_passed_as_returns_are_refused(est):
    with pytest.raises(ReturnsError, match=r"these look like prices, not returns: every value is positive.*"
                                           r"pct_change\(\)\.dropna\(\)") as err:
        clone(est).fit(_path())
    assert isinstance(err.value, DataError) and isinstance(err.value, ValueError)


def test_the_returns_of_the_same_prices_fit():
    w = MeanVariance().fit(_path().pct_change().dropna()).weights_
    assert w.sum() == pytest.approx(1.0) and list(w.index) == ["T0", "T1", "T2", "T3"]


def test_what_is_not_prices():
    rng = np.random.default_rng(1)
    assert looks_like_prices(pd.DataFrame(rng.normal(0, 0.01, (50, 3)))) == ""        # returns: signs mixed
    assert looks_like_prices(pd.DataFrame(rng.normal(100, 1, (50, 3)))) == ""         # independent draws
    assert looks_like_prices(pd.DataFrame(rng.uniform(0, 3, (50, 3)) + 0.01)) == ""   # large relative moves
    assert looks_like_prices(_path()) != ""


def test_an_array_fits_as_its_dataframe_does_and_score_checks_the_columns():
    rets = _path().pct_change().dropna()
    a = HRP().fit(rets.to_numpy())
    f = HRP().fit(rets)
    assert list(a.weights_.index) == [0, 1, 2, 3] and a.n_features_in_ == 4
    np.testing.assert_allclose(a.weights_.to_numpy(), f.weights_.to_numpy(), rtol=0, atol=1e-12)
    assert list(f.feature_names_in_) == ["T0", "T1", "T2", "T3"]
    assert np.isfinite(a.score(rets.to_numpy()))
    with pytest.raises(ReturnsError, match="X has 3 features, but HRP is expecting 4 features"):
        a.score(rets.to_numpy()[:, :3])


@pytest.mark.parametrize(("bad", "pattern"), [
    (np.array([0.01, 0.02]), r"Expected 2D array"),
    (np.array([[0.01, np.nan], [0.02, 0.01]]), r"missing values for 1 in the lookback window \(NaN\)"),
    (np.array([[0.01, np.inf], [0.02, 0.01]]), r"infinite \(inf\) for 1"),
    (np.array([[0.01, 0.02]]), r"at least 2 return observations, found 1 sample"),
])
def test_bad_arrays_are_refused_with_a_value_error_naming_the_problem(bad, pattern):
    with pytest.raises(ReturnsError, match=pattern):
        InverseVolatility().fit(bad)
