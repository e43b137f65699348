"""Lean HRP equals skfolio's HierarchicalRiskParity on the same data, linkage and leaf ordering."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rebal.allocation.hrp import HRP, hrp_weights


@pytest.fixture(scope="module")
def returns():
    from skfolio.datasets import load_sp500_dataset

    return load_sp500_dataset().pct_change().dropna().iloc[-1000:]


@pytest.mark.parametrize("linkage", ["ward", "single", "average", "complete"])
@pytest.mark.parametrize("optimal_ordering", [True, False])
def test_hrp_equals_skfolio(returns, linkage, optimal_ordering):
    from skfolio import RiskMeasure
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.optimization import HierarchicalRiskParity
    from skfolio.seriation import HierarchicalSeriation

    ours = HRP(linkage=linkage, optimal_ordering=optimal_ordering).fit(returns).weights_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = HierarchicalRiskParity(
            risk_measure=RiskMeasure.VARIANCE,
            seriation_estimator=HierarchicalSeriation(
                hierarchical_clustering_estimator=HierarchicalClustering(linkage_method=LinkageMethod(linkage)),
                optimal_ordering=optimal_ordering)).fit(returns)
    np.testing.assert_allclose(ours.to_numpy(), ref.weights_, rtol=0, atol=1e-8)
    assert ours.sum() == pytest.approx(1.0)


def test_hrp_by_hand_two_uncorrelated_assets():
    # two uncorrelated assets: one split, inverse-variance weights 1/σ² normalised
    cov = np.diag([0.04, 0.01])
    np.testing.assert_allclose(hrp_weights(cov), [0.2, 0.8])


def test_hrp_rejects_zero_variance():
    from rebal.errors import DataError

    with pytest.raises(DataError, match="positive variances"):
        hrp_weights(np.diag([0.04, 0.0]))
    with pytest.raises(DataError, match="missing values"):
        HRP().fit(pd.DataFrame({"A": [0.01, np.nan, 0.02], "B": [0.0, 0.01, 0.02]}))
