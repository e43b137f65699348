"""Rule lab engine: against an independent per-asset loop, and on hand-worked two-asset cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.errors import ConfigError
from rebal.lab import Calendar, Hybrid, Threshold, backtest, parse_rule, review_days


def reference(prices: pd.DataFrame, target: dict, rule: str, level: float, cost_bps: float):
    """A deliberately plain loop over days and assets (the engine's documented conventions)."""
    names = list(prices.columns)
    w = {a: target.get(a, 0.0) for a in names}
    cash_w = 1 - sum(w.values())
    hold = dict(w)
    cash = cash_w
    months = [d.year * 12 + d.month for d in prices.index]
    quarters = [d.year * 4 + (d.month - 1) // 3 for d in prices.index]
    values, costs, turns, flags = [1.0], [0.0], [0.0], [False]
    for t in range(1, len(prices)):
        for a in names:
            hold[a] *= prices[a].iloc[t] / prices[a].iloc[t - 1]
        V = sum(hold.values()) + cash
        drift = 0.5 * (sum(abs(hold[a] / V - w[a]) for a in names) + abs(cash / V - cash_w))
        last = t == len(prices) - 1
        if rule == "monthly":
            fire = not last and months[t + 1] != months[t]
        elif rule == "quarterly":
            fire = not last and quarters[t + 1] != quarters[t]
        else:
            fire = drift >= level
        cost = turn = 0.0
        if fire:
            traded = sum(abs(w[a] * V - hold[a]) for a in names)
            cost = cost_bps * traded / 1e4
            turn = 0.5 * traded / V
            for a in names:
                hold[a] = w[a] * (V - cost)
            cash = cash_w * (V - cost)
            cost /= V
            V = sum(hold.values()) + cash
        values.append(V)
        costs.append(cost)
        turns.append(turn)
        flags.append(fire)
    return np.array(values), np.array(costs), np.array(turns), np.array(flags)


@pytest.fixture(scope="module")
def stocks():
    from skfolio.datasets import load_sp500_dataset

    return load_sp500_dataset().loc["2016-01-01":"2019-12-31"].iloc[:, :8]


@pytest.mark.parametrize("spec, kind, level", [("calendar:monthly", "monthly", 0), ("calendar:quarterly", "quarterly", 0),
                                                ("threshold:0.03", "thr", 0.03), ("threshold:0.05", "thr", 0.05)])
def test_engine_matches_the_reference_loop_on_real_prices(stocks, spec, kind, level):
    target = {a: 0.11 for a in stocks.columns}  # 88 % invested, 12 % cash
    res = backtest(stocks, pd.Series(target), [parse_rule(spec)], cost_bps=25.0)
    v, c, tv, f = reference(stocks, target, kind, level, 25.0)
    np.testing.assert_allclose(res.values[:, 0], v, rtol=1e-12)
    np.testing.assert_allclose(res.costs[:, 0], c, atol=1e-15)
    np.testing.assert_allclose(res.turnover[:, 0], tv, atol=1e-15)
    assert (res.rebalanced[:, 0] == f).all() and f.sum() > 3


def test_many_configurations_at_once_equal_one_at_a_time(stocks):
    target = pd.Series(1 / 8, index=stocks.columns)
    rules = [Threshold(0.03), Threshold(0.05), Calendar("monthly"), Hybrid("quarterly", 0.05)]
    grid = backtest(stocks, target, rules, cost_bps=[10, 20, 50, 20])
    for k, (r, c) in enumerate(zip(rules, [10, 20, 50, 20])):
        one = backtest(stocks, target, [r], cost_bps=c)
        np.testing.assert_array_equal(grid.values[:, k], one.values[:, 0])


def test_two_assets_by_hand():
    # 50/50; A +30 % on day 1: A 0.65, B 0.50, V 1.15, w_A 0.5652 -> drift ½(0.0652 + 0.0652) = 6.52 %
    px = pd.DataFrame({"A": [10.0, 13.0, 13.0], "B": [10.0, 10.0, 10.0]}, index=pd.bdate_range("2024-03-04", periods=3))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Threshold(0.05), Threshold(0.10)], cost_bps=20)
    assert res.drift[1, 0] == pytest.approx(0.15 / 2 / 1.15)
    assert res.rebalanced[1].tolist() == [True, False]
    # trades: A -0.075, B +0.075 -> traded 0.15, cost 0.0003, value 1.1497, turnover 0.075 / 1.15
    assert res.costs[1, 0] == pytest.approx(0.0003 / 1.15)
    assert res.values[1, 0] == pytest.approx(1.1497)
    assert res.turnover[1, 0] == pytest.approx(0.075 / 1.15)
    assert res.values[1, 1] == pytest.approx(1.15) and res.final_weights[0].tolist() == pytest.approx([0.5, 0.5])


def test_review_days_are_the_last_sessions_of_each_period():
    idx = pd.DatetimeIndex(["2024-03-27", "2024-03-28", "2024-04-01", "2024-06-28", "2024-07-01", "2024-12-31",
                            "2025-01-02"])  # 2024-03-29 was Good Friday
    r = review_days(idx)
    assert idx[r["monthly"]].strftime("%m-%d").tolist() == ["03-28", "04-01", "06-28", "07-01", "12-31"]
    # per quarter present in the index: Q1 03-28, Q2 06-28, Q3 only 07-01, Q4 12-31; 2025-01-02 is the end
    assert idx[r["quarterly"]].strftime("%m-%d").tolist() == ["03-28", "06-28", "07-01", "12-31"]
    assert idx[r["annual"]].strftime("%m-%d").tolist() == ["12-31"]


def test_hybrid_fires_on_review_days_and_on_large_drift():
    px = pd.DataFrame({"A": [10.0, 10.0, 14.0, 14.0], "B": [10.0] * 4},
                      index=pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"]))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Hybrid("monthly", 0.05), Calendar("monthly")])
    assert res.rebalanced[:, 0].tolist() == [False, True, True, False]  # Jan 31 review; Feb 1 drift 8.3 %
    assert res.rebalanced[:, 1].tolist() == [False, True, False, False]


@pytest.mark.parametrize("spec, msg", [("weekly:1", "valid rules: calendar:monthly"), ("threshold:5", "fraction"),
                                       ("calendar:daily", "unknown frequency 'daily'"), ("hybrid:monthly", "wrong number"),
                                       ("threshold:x", "not a number")])
def test_bad_rule_specs_list_the_valid_ones(spec, msg):
    with pytest.raises(ConfigError, match=msg):
        parse_rule(spec)
