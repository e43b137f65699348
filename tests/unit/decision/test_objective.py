"""The profile's objective and its estimation error: effective sample size, variance difference, Sharpe noise."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rebal.decision.objective import ew_effective_n, variance_difference


def test_effective_sample_size_of_an_exponentially_weighted_mean_by_hand():
    # half-life 1, two observations: weights 1 and 1/2 -> (1.5)^2 / (1 + 1/4) = 1.8
    assert ew_effective_n(2, 1.0) == pytest.approx(1.8)
    # a very long half-life weighs all observations alike: n_eff -> n
    assert ew_effective_n(504, 1e9) == pytest.approx(504, rel=1e-6)
    # infinite series: (1 / (1 - a))^2 / (1 / (1 - a^2)) = (1 + a) / (1 - a), a = 2^(-1/126)
    a = 0.5 ** (1 / 126)
    assert ew_effective_n(100_000, 126) == pytest.approx((1 + a) / (1 - a), rel=1e-9)


def test_variance_difference_is_the_difference_of_sample_variances():
    new = pd.Series([0.01, -0.01, 0.02, 0.0, 0.005])
    now = pd.Series([0.0, 0.002, 0.01, -0.01, 0.003])
    d, se = variance_difference(new, now)
    assert d == pytest.approx(np.var(new, ddof=1) - np.var(now, ddof=1), rel=1e-12)
    assert se > 0


def test_its_standard_error_matches_a_monte_carlo():
    # two correlated normal paths, vols 1.0 % and 1.2 %, rho 0.8, T = 252: the spread of the estimated
    # variance difference over 4,000 draws against the mean of the per-draw SE
    rng = np.random.default_rng(11)
    cov = np.array([[1.0e-4, 0.8 * 1.0e-2 * 1.2e-2], [0.8 * 1.0e-2 * 1.2e-2, 1.44e-4]])
    diffs, ses = [], []
    for _ in range(4000):
        x = rng.multivariate_normal([0.0, 0.0], cov, size=252)
        d, se = variance_difference(pd.Series(x[:, 1]), pd.Series(x[:, 0]))
        diffs.append(d)
        ses.append(se)
    assert np.mean(diffs) == pytest.approx(0.44e-4, rel=0.02)  # 1.44e-4 - 1.0e-4, unbiased (ddof = 1)
    assert np.std(diffs, ddof=1) == pytest.approx(np.mean(ses), rel=0.05)
    # and the normal-theory value: Var = (Var(x)Var(y) + Cov(x, y)^2) / T for x = r1 - r0, y = r1 + r0
    vx = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    vy = cov[0, 0] + cov[1, 1] + 2 * cov[0, 1]
    cxy = cov[1, 1] - cov[0, 0]
    assert np.mean(ses) == pytest.approx(math.sqrt((vx * vy + cxy ** 2) / 252), rel=0.03)
