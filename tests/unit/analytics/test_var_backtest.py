"""VaR backtest (rebal.analytics.var_backtest): Kupiec and Christoffersen against scipy likelihoods, no look-ahead."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rebal.analytics.var_backtest import (
    backtest_var,
    christoffersen_independence,
    kupiec_pof,
    transitions,
    var_forecasts,
)


def _kupiec_by_binomial(x: int, t: int, p: float) -> float:
    # The binomial coefficient cancels in the ratio: LR = 2 [log Bin(x; T, x/T) - log Bin(x; T, p)].
    return 2 * (stats.binom.logpmf(x, t, x / t) - stats.binom.logpmf(x, t, p))


@pytest.mark.parametrize("x, t", [(5, 250), (1, 250), (13, 753), (18, 756), (2, 10)])
def test_kupiec_equals_the_binomial_likelihood_ratio(x, t):
    res = kupiec_pof(x, t, 0.01)
    lr = _kupiec_by_binomial(x, t, 0.01)
    assert res.statistic == pytest.approx(lr, rel=1e-10)
    assert res.p_value == pytest.approx(stats.chi2.sf(lr, 1), rel=1e-9)
    assert res.df == 1


def test_kupiec_by_hand_and_with_no_exceedance():
    # T = 250, x = 5: LR = 2 [245 ln(0.98 / 0.99) + 5 ln 2] = 2 [-2.4873 + 3.4657] = 1.9568
    assert kupiec_pof(5, 250, 0.01).statistic == pytest.approx(1.9568, abs=5e-4)
    # x = 0: LR = -2 T ln(1 - p)
    assert kupiec_pof(0, 250, 0.01).statistic == pytest.approx(-2 * 250 * np.log(0.99), rel=1e-12)


def _independence_by_bernoulli(hits: np.ndarray) -> float:
    prev, nxt = hits[:-1], hits[1:]
    pi = nxt.mean()
    null = stats.bernoulli.logpmf(nxt, pi).sum()
    alt = 0.0
    for state in (0, 1):
        follow = nxt[prev == state]
        if len(follow):
            alt += stats.bernoulli.logpmf(follow, follow.mean()).sum()
    return 2 * (alt - null)


def test_christoffersen_equals_the_markov_chain_likelihood_ratio():
    hits = np.zeros(500, dtype=int)
    hits[[10, 11, 12, 100, 250, 251, 400]] = 1  # clustered exceedances
    n = transitions(hits)
    assert (n.n00, n.n01, n.n10, n.n11) == (488, 4, 4, 3)
    res = christoffersen_independence(hits)
    lr = _independence_by_bernoulli(hits)
    assert res.statistic == pytest.approx(lr, rel=1e-10)
    assert res.p_value == pytest.approx(stats.chi2.sf(lr, 1), rel=1e-9)
    assert res.p_value < 0.01  # clustering is detected


def test_christoffersen_without_exceedances_or_consecutive_ones():
    assert christoffersen_independence(np.zeros(50)).statistic == 0.0
    assert christoffersen_independence(np.zeros(50)).p_value == 1.0
    spread = np.zeros(300, dtype=int)
    spread[::50] = 1
    res = christoffersen_independence(spread)
    assert res.statistic == pytest.approx(_independence_by_bernoulli(spread), rel=1e-10, abs=1e-12)


def _market(n=400, seed=2):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=n)
    return pd.DataFrame(rng.standard_t(4, size=(n, 2)) * 0.01, index=idx, columns=["A", "B"])


def test_forecasts_use_only_the_window_before_each_day():
    from skfolio.measures import value_at_risk

    r = _market()
    days = r.index[300:]
    w = pd.DataFrame({"A": 0.6, "B": 0.3}, index=days)  # 10 % cash
    fc = var_forecasts(r, w, window=250, level=0.99)
    assert len(fc) == 100
    for day in (days[0], days[57], days[-1]):
        i = r.index.get_loc(day)
        hist = r.iloc[i - 250:i].to_numpy() @ np.array([0.6, 0.3])
        assert fc.loc[day, "var"] == pytest.approx(value_at_risk(hist, beta=0.99), abs=1e-15)
        assert fc.loc[day, "return"] == pytest.approx(0.6 * r.loc[day, "A"] + 0.3 * r.loc[day, "B"])
    assert (fc["exceedance"] == (fc["return"] < -fc["var"])).all()
    # changing the future does not change a past forecast
    later = r.copy()
    later.iloc[350:] *= 5
    fc2 = var_forecasts(later, w, window=250, level=0.99)
    pd.testing.assert_series_equal(fc2["var"].iloc[:51], fc["var"].iloc[:51])


def test_backtest_counts_and_tests_the_hits():
    r = _market(n=800, seed=7)
    w = pd.DataFrame({"A": 0.5, "B": 0.5}, index=r.index[300:])
    bt = backtest_var(var_forecasts(r, w, window=250, level=0.99), 0.99)
    assert bt.days == 500 and bt.expected == pytest.approx(5.0)
    assert bt.exceedances == int(bt.forecasts["exceedance"].sum())
    assert bt.kupiec.statistic == pytest.approx(_kupiec_by_binomial(bt.exceedances, 500, 0.01), rel=1e-10)
    assert bt.conditional.statistic == pytest.approx(bt.kupiec.statistic + bt.christoffersen.statistic)
    assert bt.conditional.p_value == pytest.approx(stats.chi2.sf(bt.conditional.statistic, 2))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"need 0 <= exceedances <= days"):
        kupiec_pof(5, 3, 0.01)
    with pytest.raises(ValueError, match=r"`p`: expected exceedance rate must be in \(0, 1\)"):
        kupiec_pof(1, 10, 0.0)
    with pytest.raises(ValueError, match=r"`hits`: need at least 2 days"):
        christoffersen_independence(np.array([1]))
    r = _market()
    with pytest.raises(ValueError, match=r"`weights`: backtest day .* has no asset returns"):
        var_forecasts(r, pd.DataFrame({"A": [1.0]}, index=[pd.Timestamp("1999-01-04")]), window=10, level=0.99)
