"""VaR and ES (rebal.analytics.var): by hand, against skfolio's measures, scipy.stats.norm and numerical integration."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from rebal.analytics.var import (
    cornish_fisher_es,
    cornish_fisher_var,
    cornish_fisher_z,
    historical_es,
    historical_var,
    moments,
    normal_es,
    normal_var,
    var_es,
    var_table,
)

# Ten daily returns -5 % .. +4 %: the losses, largest first, are 5, 4, 3, 2, 1, 0, ... %.
TEN = np.arange(-5, 5) / 100


@pytest.mark.parametrize("level, var, es", [
    (0.90, 0.04, 0.05),           # k = 1: VaR the 2nd largest loss, ES the largest
    (0.80, 0.03, 0.045),          # k = 2: VaR the 3rd largest, ES the mean of 5 and 4
    (0.85, 0.04, 0.04 + 0.01 / 1.5),  # k = 1.5: VaR = 9th smallest loss; ES = VaR + (5 - 4) / (0.15 · 10)
])
def test_historical_var_and_es_by_hand(level, var, es):
    assert historical_var(TEN, level) == pytest.approx(var, abs=1e-15)
    assert historical_es(TEN, level) == pytest.approx(es, abs=1e-15)


@pytest.mark.parametrize("n", [20, 250, 503, 504])
@pytest.mark.parametrize("level", [0.95, 0.975, 0.99])
def test_historical_var_and_es_equal_skfolios(n, level):
    from skfolio.measures import cvar, value_at_risk

    r = np.random.default_rng(n).standard_t(4, n) * 0.01
    assert historical_var(r, level) == pytest.approx(value_at_risk(r, beta=level), abs=1e-15)
    assert historical_es(r, level) == pytest.approx(cvar(r, beta=level), abs=1e-14)


def test_normal_var_and_es_equal_scipys_normal():
    mu, sd = 0.0004, 0.012
    assert normal_var(mu, sd, 0.99) == pytest.approx(-stats.norm.ppf(0.01, loc=mu, scale=sd), rel=1e-12)
    q = stats.norm.ppf(0.05, loc=mu, scale=sd)
    tail_mean = stats.norm.expect(lambda x: x, loc=mu, scale=sd, ub=q, conditional=True)
    assert normal_es(mu, sd, 0.95) == pytest.approx(-tail_mean, rel=1e-8)


def test_cornish_fisher_quantile_worked_by_hand():
    # z = Φ⁻¹(0.01) = -2.3263479, S = -0.5, K = 3:
    # (z² - 1) S / 6 = 4.4118947 · (-0.5) / 6 = -0.3676579
    # (z³ - 3z) K / 24 = (-12.5898318 + 6.9790436) · 3 / 24 = -0.7013632
    # -(2z³ - 5z) S² / 36 = -(-25.1796636 + 11.6317394) · 0.25 / 36 = +0.0940844
    # z_cf = -2.3263479 - 0.3676579 - 0.7013632 + 0.0940844 = -3.3012845
    z = stats.norm.ppf(0.01)
    assert cornish_fisher_z(z, -0.5, 3.0) == pytest.approx(-3.3012845, abs=1e-6)
    assert cornish_fisher_var(0.001, 0.02, -0.5, 3.0, 0.99) == pytest.approx(-(0.001 - 3.3012845 * 0.02), abs=1e-8)


def test_cornish_fisher_reduces_to_normal_without_skew_or_kurtosis():
    assert cornish_fisher_var(0.0002, 0.01, 0.0, 0.0, 0.99) == pytest.approx(normal_var(0.0002, 0.01, 0.99))
    assert cornish_fisher_es(0.0002, 0.01, 0.0, 0.0, 0.975) == pytest.approx(normal_es(0.0002, 0.01, 0.975))


@pytest.mark.parametrize("skew, kurt, level", [(-0.5, 3.0, 0.99), (0.3, 1.0, 0.95), (-1.0, 6.0, 0.975)])
def test_cornish_fisher_es_is_the_tail_average_of_the_expansion(skew, kurt, level):
    # ES = -(μ + σ / (1 - β) ∫_0^{1-β} z_cf(Φ⁻¹(u)) du), integrated numerically with the expansion written out here.
    mu, sd = 0.0003, 0.015

    def zcf(u):
        z = stats.norm.ppf(u)
        return (z + (z * z - 1) * skew / 6 + (z ** 3 - 3 * z) * kurt / 24 - (2 * z ** 3 - 5 * z) * skew ** 2 / 36)

    integral, _ = integrate.quad(zcf, 0.0, 1 - level, limit=200)
    expected = -(mu + sd * integral / (1 - level))
    assert cornish_fisher_es(mu, sd, skew, kurt, level) == pytest.approx(expected, rel=1e-7)


def test_moments_are_scipys_moment_estimators():
    r = np.random.default_rng(4).standard_t(5, 400) * 0.01
    m = moments(r)
    assert m.skew == pytest.approx(stats.skew(r, bias=True), rel=1e-12)
    assert m.excess_kurtosis == pytest.approx(stats.kurtosis(r, fisher=True, bias=True), rel=1e-12)
    assert m.std == pytest.approx(np.std(r, ddof=1)) and m.n == 400


def test_ten_day_figures_scale_by_the_square_root_of_ten():
    r = np.random.default_rng(9).normal(0, 0.01, 500)
    for method in ("historical", "normal", "cornish_fisher"):
        v1, e1 = var_es(r, level=0.99, method=method)
        v10, e10 = var_es(r, level=0.99, method=method, horizon=10)
        assert (v10, e10) == pytest.approx((v1 * math.sqrt(10), e1 * math.sqrt(10)))
        assert e1 >= v1
    t = var_table(r)
    assert len(t) == 12 and set(t["method"]) == {"historical", "normal", "cornish_fisher"}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"`level`: confidence level must be in \(0, 1\), found 1.5"):
        historical_var(TEN, 1.5)
    with pytest.raises(ValueError, match=r"`method`: unknown VaR method 'garch'"):
        var_es(TEN, level=0.99, method="garch")
    with pytest.raises(ValueError, match=r"`horizon`: must be >= 1 day"):
        var_es(TEN, level=0.99, horizon=0)
    with pytest.raises(ValueError, match=r"`returns`: no finite returns"):
        historical_var([np.nan], 0.99)
