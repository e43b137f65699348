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
    for k, (r, c) in enumerate(zip(rules, [10, 20, 50, 20], strict=True)):
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
    px = pd.DataFrame({"A": [10.0, 11.0, 15.0, 15.0], "B": [10.0] * 4},
                      index=pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"]))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Hybrid("monthly", 0.05), Calendar("monthly")])
    assert res.rebalanced[:, 0].tolist() == [False, True, True, False]  # Jan 31 review (drift 2.4 %); Feb 1 drift 7.7 %
    assert res.rebalanced[:, 1].tolist() == [False, True, False, False]


@pytest.mark.parametrize("spec, msg", [("weekly:1", "valid rules: calendar:monthly"), ("threshold:5", "fraction"),
                                       ("calendar:daily", "unknown frequency 'daily'"), ("hybrid:monthly", "wrong number"),
                                       ("threshold:x", "not a number")])
def test_bad_rule_specs_list_the_valid_ones(spec, msg):
    with pytest.raises(ConfigError, match=msg):
        parse_rule(spec)


# -- hand-worked cases for every rule ------------------------------------------------------------

from rebal.lab import Bands, CostBenefit, Delay, Dynamic, HighVol, LabSettings, Partial  # noqa: E402


def _days(n, start="2024-03-04"):
    return pd.bdate_range(start, periods=n)


def test_bands_fire_on_one_asset_beyond_min_of_absolute_and_relative():
    # targets 60/30/10: C's band is min(5 points, 25 % x 10 %) = 2.5 points
    px = pd.DataFrame({"A": [10.0, 10.0], "B": [10.0, 10.0], "C": [10.0, 14.0]}, index=_days(2))
    res = backtest(px, pd.Series({"A": 0.6, "B": 0.3, "C": 0.1}), [Bands(0.05, 0.25), Threshold(0.05)])
    # C 0.14 / 1.04 = 13.46 %: 3.46 points over -> bands fire; portfolio drift 3.46 % < 5 %
    assert res.drift[1, 0] == pytest.approx(0.036 / 1.04)
    assert res.rebalanced[1].tolist() == [True, False]
    px.loc[px.index[1], "C"] = 12.0  # 0.12 / 1.02 = 11.76 %: 1.76 points, inside the band
    assert not backtest(px, pd.Series({"A": 0.6, "B": 0.3, "C": 0.1}), [Bands(0.05, 0.25)]).rebalanced.any()


def _warm(n_warm: int, rows: dict, alternating: tuple = ("A",)) -> pd.DataFrame:
    """Warm-up sessions (A alternating +3 % / -2.9 %, others flat), then the given rows."""
    n_after = len(next(iter(rows.values())))
    data = {}
    for name, after in rows.items():
        if name in alternating:
            warm = [10.0 * (1.03 if i % 2 else 1.0) for i in range(n_warm)]
        else:
            warm = [10.0] * n_warm
        base = warm[-1]
        data[name] = warm + [base * x for x in after]
    return pd.DataFrame(data, index=_days(n_warm + n_after, "2023-01-02"))


def test_high_volatility_assets_get_the_tighter_band():
    # 20/40/40; A (60-day vol about 47 %) +20 %: 0.24 / 1.04 = 23.08 %, 3.08 points; portfolio drift 3.08 %
    px = _warm(80, {"A": [1.0, 1.2], "B": [1.0, 1.0], "C": [1.0, 1.0]})
    tgt = pd.Series({"A": 0.2, "B": 0.4, "C": 0.4})
    res = backtest(px, tgt, [HighVol(0.05, 0.03), Threshold(0.05)], start=px.index[80])
    assert res.drift[1, 0] == pytest.approx(0.04 / 1.04 * 0.8)
    assert res.rebalanced[1].tolist() == [True, False]
    calm = backtest(px, tgt, [HighVol(0.05, 0.03)], start=px.index[80], settings=LabSettings(high_vol_sigma=0.9))
    assert not calm.rebalanced.any()


@pytest.mark.parametrize("vix, fires", [(10.0, [True, True, True]), (25.0, [True, False, False]),
                                        (35.0, [True, False, False])])
def test_dynamic_threshold_widens_by_regime(vix, fires):
    # 50/50, A +25 %: drift 0.625 / 1.125 - 0.5 = 5.56 %; widened 6 % (elevated), 7.5 % (stress)
    px = pd.DataFrame({"A": [10.0, 12.5], "B": [10.0, 10.0]}, index=_days(2))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Threshold(0.05), Dynamic(0.05), Dynamic(0.05, pause=True)],
                   vix=np.array([vix, vix]))
    assert res.rebalanced[1].tolist() == fires
    assert res.regime[1] == {10.0: 0, 25.0: 1, 35.0: 2}[vix]


@pytest.mark.parametrize("a_up, fires", [(1.8, False), (1.9, True)])
def test_pause_in_stress_unless_drift_is_extreme(a_up, fires):
    # A x1.8: 0.9 / 1.4 - 0.5 = 14.3 % < 15 % -> paused; A x1.9: 0.95 / 1.45 - 0.5 = 15.5 % -> trades
    px = pd.DataFrame({"A": [10.0, 10.0 * a_up], "B": [10.0, 10.0]}, index=_days(2))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Dynamic(0.05, pause=True)], vix=np.array([35.0, 35.0]))
    assert res.rebalanced[1, 0] == fires


@pytest.mark.parametrize("vix, a_day2, day", [([35] * 6, 1.25, 4), ([35, 35, 15, 15, 15, 15], 1.25, 2),
                                              ([35] * 6, 1.6, 2)])
def test_delay_waits_in_stress_until_calm_large_drift_or_the_limit(vix, a_day2, day):
    # day 1: A +25 % (drift 5.56 % <= 10 %) in stress -> wait up to 3 sessions (trade on day 4) unless
    # the stress ends (day 2) or drift passes 10 % (A x1.6 on day 2: 0.8 / 1.3 - 0.5 = 11.5 %)
    a = [10.0, 12.5, 12.5 * a_day2 / 1.25, 12.5 * a_day2 / 1.25, 12.5 * a_day2 / 1.25, 12.5 * a_day2 / 1.25]
    px = pd.DataFrame({"A": a, "B": [10.0] * 6}, index=_days(6))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Delay(0.05, 3), Threshold(0.05)], vix=np.array(vix, float))
    assert np.flatnonzero(res.rebalanced[:, 0]).tolist() == [day]
    assert np.flatnonzero(res.rebalanced[:, 1])[0] == 1  # no delay: trades at once


def test_partial_half_and_band_edge():
    # A +30 %: w_A 0.65 / 1.15 = 56.52 %, drift 6.52 %
    px = pd.DataFrame({"A": [10.0, 13.0], "B": [10.0, 10.0]}, index=_days(2))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Partial("half", 0.05), Partial("edge", 0.05), Partial("full", 0.05)],
                   cost_bps=20)
    wa = 0.65 / 1.15
    assert res.final_weights[0, 0] == pytest.approx((wa + 0.5) / 2, abs=1e-15)
    assert res.final_weights[1, 0] == pytest.approx(0.55, abs=1e-15)  # exactly on the 5 % band edge
    assert res.final_weights[2, 0] == pytest.approx(0.5, abs=1e-15)
    # half trades half of full: turnover 0.075 / 1.15 x ½; edge trades (6.52 - 5) points
    assert res.turnover[1].tolist() == pytest.approx([0.5 * 0.075 / 1.15, wa - 0.55, 0.075 / 1.15])


def test_partial_edge_lands_on_the_edge_with_cash_and_three_assets():
    px = pd.DataFrame({"A": [10.0, 13.0], "B": [10.0, 9.0], "C": [10.0, 10.5]}, index=_days(2))
    tgt = pd.Series({"A": 0.3, "B": 0.3, "C": 0.2})  # 20 % cash
    res = backtest(px, tgt, [Partial("edge", 0.05)], cost_bps=35)
    w = res.final_weights[0]
    drift_after = 0.5 * (np.abs(w - tgt.to_numpy()).sum() + abs((1 - w.sum()) - 0.2))
    assert res.drift[1, 0] > 0.05 and drift_after == pytest.approx(0.05, abs=1e-14)


def test_cost_constrained_partial_trades_only_worthwhile_assets():
    # A (vol about 47 %) +30 %: A 0.52, B 0.3, cash 0.3 -> w 46.43 / 26.79 / 26.79 %. Benefit d²σ² (λ = 2, H = 1)
    # vs 2 x cost: A 0.0643² x 0.22 > 2 x 0.0643 x 0.002; B has no volatility -> frozen at 26.79 %.
    # A and cash share the rest in target proportions: scale (1 - 0.2679) / (1 - 0.3) = 1.0459.
    px = _warm(80, {"A": [1.0, 1.3], "B": [1.0, 1.0]})
    res = backtest(px, pd.Series({"A": 0.4, "B": 0.3}), [Partial("cost", 0.05)], cost_bps=20, start=px.index[80])
    wb = 0.3 / 1.12
    scale = (1 - wb) / 0.7
    assert res.rebalanced[1, 0]
    assert res.final_weights[0].tolist() == pytest.approx([0.4 * scale, wb], abs=1e-14)


def test_illiquid_assets_are_skipped_and_the_rest_rebalanced():
    # A 0.52, B 0.27, cash 0.3 (V 1.09); A's ADV $0.5M < $1M -> frozen at 47.71 %; B and cash share the
    # rest in target proportions 0.3 : 0.3 -> 26.15 % each
    px = pd.DataFrame({"A": [10.0, 13.0], "B": [10.0, 9.0]}, index=_days(2))
    adv = np.array([[5e5, 1e9], [5e5, 1e9]])
    res = backtest(px, pd.Series({"A": 0.4, "B": 0.3}), [Threshold(0.05)], cost_bps=0, adv=adv)
    wa = 0.52 / 1.09
    assert res.skipped.tolist() == [1]
    assert res.final_weights[0].tolist() == pytest.approx([wa, (1 - wa) / 2], abs=1e-6)  # impact moves it by < 1e-6


def test_costs_add_square_root_impact_and_the_stress_multiplier():
    # A +30 % after a flat warm-up: trades 0.075 of value each way (V 1.15); $750k on $100M ADV
    px = _warm(70, {"A": [1.0, 1.3], "B": [1.0, 1.0]}, alternating=())
    adv = np.full(px.shape, 1e8)
    sig_a = px["A"].pct_change().iloc[-60:].std(ddof=1)  # includes the +30 % day
    impact = 0.6 * sig_a * np.sqrt(0.075 * 1e7 / 1e8)
    for vix, mult in ((12.0, 1.0), (40.0, 2.5)):
        res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Threshold(0.05)], cost_bps=20, start=px.index[70],
                       vix=np.full(len(px), vix), adv=adv)
        expected = 0.075 * (0.002 * mult + impact) + 0.075 * 0.002 * mult
        assert res.costs[1, 0] == pytest.approx(expected / 1.15, rel=1e-12)


def test_cost_benefit_fires_when_cost_is_below_the_certainty_equivalent_gain():
    # A and B both alternate in the warm-up; A +10 %: drift 2.38 % each way. Benefit ½ λ H Σ d²σ², cost c Σ|Δ| / V
    px = _warm(80, {"A": [1.0, 1.1], "B": [1.0, 1.0]}, alternating=("A", "B"))
    sig = px.pct_change().iloc[-60:].std(ddof=1).to_numpy() * np.sqrt(252)
    d = 0.55 / 1.05 - 0.5
    benefit = 0.5 * 2.0 * 1.0 * (d ** 2 * sig ** 2).sum()
    expect = {bps: bps / 1e4 * 2 * d < benefit for bps in (20, 100)}
    assert expect == {20: True, 100: False}
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [CostBenefit(), CostBenefit()], cost_bps=[20, 100],
                   start=px.index[80])
    assert res.rebalanced[1].tolist() == [True, False]


def test_a_review_with_nothing_to_trade_is_not_a_rebalance():
    px = pd.DataFrame({"A": [10.0] * 3, "B": [10.0] * 3}, index=pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01"]))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Calendar("monthly")])
    assert not res.rebalanced.any() and res.costs.sum() == 0


@pytest.mark.parametrize("spec, msg", [("partial:quarter,0.05", "unknown sizing 'quarter'; valid: full, half, edge, cost"),
                                       ("tax:lifo,0.05", "unknown lot relief 'lifo'; valid: fifo, hifo"),
                                       ("delay:0.05,x", "not a whole number"), ("bands:5", "ABS/REL"),
                                       ("dynamic:0.05,stop", "only option"), ("nonsense", "valid rules: calendar:")])
def test_more_bad_specs(spec, msg):
    with pytest.raises(ConfigError, match=msg):
        parse_rule(spec)


@pytest.mark.parametrize("spec", ["calendar:annual", "threshold:0.07", "hybrid:quarterly,0.1", "bands:5/25",
                                  "highvol:0.05,0.03", "costbenefit", "dynamic:0.05", "dynamic:0.05,pause",
                                  "delay:0.05,15", "partial:edge,0.05", "tax:hifo,0.05"])
def test_specs_round_trip(spec):
    assert parse_rule(spec).spec == spec


def test_everything_illiquid_means_no_trade_and_nothing_lost():
    px = pd.DataFrame({"A": [10.0, 13.0], "B": [10.0, 9.0]}, index=_days(2))
    adv = np.full((2, 2), 1e5)  # both under $1M
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Threshold(0.05)], cost_bps=20, adv=adv)
    assert not res.rebalanced.any() and res.skipped.tolist() == [2]
    assert res.values[1, 0] == pytest.approx(0.65 + 0.45)


def test_target_path_by_hand():
    # 50/50: A +10 % then -10 %: 1.05, then 1.05 x (0.5 x 0.9 + 0.5) = 0.9975; with 20 % cash 1.04, 1.04 x 0.96
    from rebal.lab.engine import target_path

    px = np.array([[10.0, 10.0], [11.0, 10.0], [9.9, 10.0]])
    assert target_path(px, np.full((3, 2), 0.5), np.zeros(3)).tolist() == pytest.approx([1.0, 1.05, 0.9975])
    assert target_path(px, np.full((3, 2), 0.4), np.full(3, 0.2)).tolist() == pytest.approx([1.0, 1.04, 1.04 * 0.96])


def test_lab_max_drawdown_is_negative_like_the_proposal_simulation():
    # one asset, no cost, never rebalanced: value 1 -> 1.2 -> 0.9 -> 1.0; worst fall 0.9 / 1.2 - 1 = -25 %
    from rebal.lab.metrics import summarize

    px = pd.DataFrame({"A": [10.0, 12.0, 9.0, 10.0]}, index=pd.bdate_range("2024-03-04", periods=4))
    res = backtest(px, pd.Series({"A": 1.0}), [Threshold(0.5)], cost_bps=0)
    assert summarize(res)["max_drawdown"].iloc[0] == pytest.approx(-0.25)


def _fields(res):
    return [res.values, res.costs, res.turnover, res.rebalanced, res.drift, res.final_weights, res.skipped,
            res.trade_t, res.trade_k, res.trades, res.target_values, res.initial_weights]


def test_blocks_of_days_equal_one_day_at_a_time_bit_for_bit(stocks, monkeypatch):
    # every rule kind, with regimes (stress days) and ADV (impact, illiquid skips), static and refitted targets;
    # blocks of one day are the plain day-by-day loop
    import rebal.lab.engine as engine

    specs = ["calendar:monthly", "threshold:0.03", "hybrid:quarterly,0.05", "bands:3/20", "highvol:0.05,0.01",
             "costbenefit", "dynamic:0.04", "dynamic:0.03,pause", "delay:0.02,5", "partial:half,0.03",
             "partial:edge,0.02", "partial:cost,0.02"]
    rules = [parse_rule(s) for s in specs]
    px = stocks.iloc[-400:]
    rng = np.random.default_rng(0)
    vix = np.where(rng.uniform(size=len(px)) < 0.3, 35.0, 15.0)
    adv = np.tile(np.geomspace(5e5, 5e9, px.shape[1]), (len(px), 1))
    refits = pd.DataFrame(rng.dirichlet(np.ones(8), 4) * 0.95, columns=px.columns, index=px.index[[0, 90, 200, 300]])
    grid = [(rules, [10, 20] * 6)]
    singles = [([r], 20) for r in rules]
    for target, runs in ((pd.Series(0.11, index=px.columns), grid + singles), (refits, grid)):
        for kw in ({}, {"vix": vix, "adv": adv}):
            for rr, bps in runs:
                blocks = backtest(px, target, rr, cost_bps=bps, **kw)
                with monkeypatch.context() as m:
                    m.setattr(engine, "BLOCK_DAYS", 1)
                    daily = backtest(px, target, rr, cost_bps=bps, **kw)
                assert blocks.rebalanced.any()
                for x, y in zip(_fields(blocks), _fields(daily), strict=True):
                    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("kind", ["series", "series_missing_and_cash", "one_row", "refits_unsorted"])
def test_target_matrix_is_the_forward_fill_of_the_refits_bit_for_bit(kind):
    # reference: the refits forward-filled over the days with pandas, cash = 1 - the row sums of that frame
    from rebal.lab.engine import target_matrix

    rng = np.random.default_rng(1)
    cols = pd.Index([f"A{i}" for i in range(57)])
    index = pd.bdate_range("2021-01-04", periods=300)
    w = pd.Series(rng.uniform(size=57) / 40, index=cols)
    if kind == "series_missing_and_cash":
        w = pd.concat([w.drop(["A3", "A40"]), pd.Series({"CASH": 0.05})]).iloc[::-1]
    target = w
    if kind == "one_row":
        target = pd.DataFrame({index[0]: w}).T
    elif kind == "refits_unsorted":
        target = pd.DataFrame({d: w * rng.uniform(0.5, 1.5, 57) for d in index[[200, 0, 90]]}).T
    if isinstance(target, pd.Series):  # a static target is one refit on the first day
        frame = pd.DataFrame([target.to_numpy()], columns=target.index, index=index[:1])
    else:
        frame = target
    frame = frame.drop(columns=[c for c in frame.columns if c == "CASH"]).reindex(columns=cols).fillna(0.0)
    W_ref = frame.reindex(index.union(frame.index)).ffill().reindex(index).to_numpy(float)
    W, C = target_matrix(target, index, cols)
    np.testing.assert_array_equal(W, W_ref)
    np.testing.assert_array_equal(C, 1.0 - W_ref.sum(axis=1))
