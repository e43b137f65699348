"""The improvement figure's noise: Jobson-Korkie-Memmel SE against a Monte Carlo and hand-worked cases."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rebal.proposal.noise import compare_sharpe, sharpe_difference_se

K = math.sqrt(252)
DAYS = pd.bdate_range("2024-01-02", periods=4)


def _simulated_sharpe(rng: np.random.Generator, *, sharpe: tuple[float, float], vol: tuple[float, float], rho: float,
                      sessions: int, draws: int) -> np.ndarray:
    """Annualised sample Sharpe ratios (draws x 2) of seeded bivariate normal daily returns of known moments."""
    sd = np.array(vol)
    mu = np.array(sharpe) / K * sd  # daily mean = daily Sharpe x daily vol
    cov = np.array([[sd[0] ** 2, rho * sd[0] * sd[1]], [rho * sd[0] * sd[1], sd[1] ** 2]])
    chol = np.linalg.cholesky(cov)
    out = []
    for start in range(0, draws, 2000):
        n = min(2000, draws - start)
        r = rng.standard_normal((n, sessions, 2)) @ chol.T + mu
        out.append(r.mean(axis=1) / r.std(axis=1, ddof=1) * K)  # plain numpy, not the package's Sharpe
    return np.concatenate(out)


@pytest.mark.parametrize("sharpe, vol, rho, sessions", [
    ((1.5, 0.8), (0.012, 0.010), 0.6, 126),   # a weekly proposal's window
    ((2.0, 0.0), (0.020, 0.010), 0.0, 126),   # independent paths, one without drift
    ((1.0, 0.5), (0.010, 0.010), 0.9, 252),   # close paths: most of the noise cancels
    ((-0.5, 1.0), (0.015, 0.012), 0.3, 126),  # the proposal worse than the baseline
])
def test_se_of_the_sharpe_difference_matches_a_monte_carlo(sharpe, vol, rho, sessions):
    s = _simulated_sharpe(np.random.default_rng(20221228), sharpe=sharpe, vol=vol, rho=rho, sessions=sessions,
                          draws=20_000)
    diff = s[:, 0] - s[:, 1]
    se = sharpe_difference_se(sharpe[0] / K, sharpe[1] / K, rho, sessions)
    # 20,000 draws pin a standard deviation to about 0.5 %; the formula is asymptotic (O(1/T) bias)
    assert diff.std(ddof=1) == pytest.approx(se, rel=0.03)
    assert diff.mean() == pytest.approx(sharpe[0] - sharpe[1], abs=4 * se / math.sqrt(20_000) + 0.05)


def test_hand_worked_perfectly_correlated_case():
    # a = 0.02, 0, 0.02, 0: mean 0.01, sd sqrt(4e-4 / 3) = 0.0115470 -> daily Sharpe √3/2 = 0.8660254
    # b = a / 2 + 0.005 = 0.015, 0.005, 0.015, 0.005: mean 0.01, sd 0.0057735 -> daily Sharpe √3 = 1.7320508
    # ρ = 1: Var = [0 + ½(3/4 + 3) - (√3/2)(√3)(1)] / 4 = (1.875 - 1.5) / 4 = 0.09375 (= (s_a - s_b)² / 2T)
    a = pd.Series([0.02, 0.0, 0.02, 0.0], index=DAYS)
    b = a / 2 + 0.005
    c = compare_sharpe(a, b)
    assert c.correlation == pytest.approx(1.0)
    assert c.projected == pytest.approx(math.sqrt(3) / 2 * K) and c.baseline == pytest.approx(math.sqrt(3) * K)
    assert c.difference_se == pytest.approx(math.sqrt(0.09375) * K)  # 0.3061862 daily, 4.8605 annualised
    assert c.difference_se == pytest.approx(4.86055, abs=1e-4)
    assert c.z == pytest.approx((math.sqrt(3) / 2 - math.sqrt(3)) / math.sqrt(0.09375))


def test_hand_worked_uncorrelated_case():
    # a = 0.02, 0.02, 0, 0 (daily Sharpe √3/2); b = 0.01, -0.01, 0.01, -0.01 (mean 0: Sharpe 0);
    # centred patterns (+,+,-,-) and (+,-,+,-) are orthogonal: ρ = 0.
    # Var = [2 + ½ (3/4 + 0) - 0] / 4 = 2.375 / 4 = 0.59375
    a = pd.Series([0.02, 0.02, 0.0, 0.0], index=DAYS)
    b = pd.Series([0.01, -0.01, 0.01, -0.01], index=DAYS)
    c = compare_sharpe(a, b)
    assert c.correlation == pytest.approx(0.0, abs=1e-12) and c.baseline == pytest.approx(0.0, abs=1e-12)
    assert c.difference_se == pytest.approx(math.sqrt(0.59375 * 252))
    assert c.z == pytest.approx(math.sqrt(3) / 2 * K / math.sqrt(0.59375 * 252))
    assert not c.significant(1.96) and c.to_json()["z"] == pytest.approx(c.z)


def test_identical_paths_have_no_difference_and_no_noise():
    a = pd.Series([0.01, -0.02, 0.03, 0.0], index=DAYS)
    c = compare_sharpe(a, a)
    assert c.difference == 0.0 and c.difference_se == pytest.approx(0.0, abs=1e-6)


def test_uncorrelated_paths_add_the_variances_of_two_sharpe_ratios():
    # ρ = 0: Var(D) = Var(Ŝ_a) + Var(Ŝ_b), each (252 / T)(1 + s²/2): on 126 sessions one ratio alone has
    # SE sqrt(2 (1 + s²/2)) ≈ 1.41 (the "about ±1.4")
    s_a = 1.2 / K
    one_a, one_b = 252 / 126 * (1 + s_a ** 2 / 2), 252 / 126 * 1.0
    assert math.sqrt(one_b) == pytest.approx(1.414, abs=1e-3)
    assert sharpe_difference_se(s_a, 0.0, 0.0, 126) == pytest.approx(math.sqrt(one_a + one_b))


def test_a_path_without_variation_has_no_comparison():
    flat = pd.Series(0.0, index=DAYS)
    c = compare_sharpe(pd.Series([0.01, -0.02, 0.03, 0.0], index=DAYS), flat)
    assert not c.defined and c.to_json()["baseline"] is None
