"""Tax lots by hand: FIFO vs HIFO, short vs long term, harvesting, deferral, yearly netting."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.lab import Threshold, backtest
from rebal.lab.rules import TaxAware
from rebal.lab.tax import LotBook, TaxRates, harvest, replay_taxes, tax_backtest, year_taxes


def book():
    b = LotBook()
    b.buy("X", 10, 100.0, "2020-01-02")   # lot 1
    b.buy("X", 10, 120.0, "2020-06-01")   # lot 2
    b.buy("X", 10, 90.0, "2021-03-01")    # lot 3
    return b


def test_fifo_relieves_the_oldest_lots():
    # 15 @ 110 on 2021-04-01: lot 1 (455 days, long) 10 x +10 = +100 LT; lot 2 (304 days) 5 x -10 = -50 ST
    r = book().sell("X", 15, 110.0, "2021-04-01", relief="fifo")
    assert (r.short_term, r.long_term, r.shares) == pytest.approx((-50.0, 100.0, 15.0))


def test_hifo_relieves_the_highest_cost_lots():
    # lot 2 (120) 10 x -10 = -100 ST, then lot 1 (100) 5 x +10 = +50 LT
    b = book()
    r = b.sell("X", 15, 110.0, "2021-04-01", relief="hifo")
    assert (r.short_term, r.long_term) == pytest.approx((-100.0, 50.0))
    assert b.shares("X") == pytest.approx(15.0)
    assert sorted(lot.cost for lot in b.lots["X"]) == [90.0, 100.0]


def test_harvest_first_sells_losses_before_fifo_order():
    r = book().sell("X", 15, 110.0, "2021-04-01", relief="fifo", harvest_first=True)
    assert (r.short_term, r.long_term) == pytest.approx((-100.0, 50.0))


def test_short_term_gains_are_deferred():
    # @ 130: lots 2 (120) and 3 (90) are short-term gains -> kept; only lot 1 sells: 10 x 30 = +300 LT
    b = book()
    r = b.sell("X", 15, 130.0, "2021-04-01", relief="hifo", defer_short=True)
    assert (r.short_term, r.long_term, r.shares) == pytest.approx((0.0, 300.0, 10.0))
    assert b.shares("X") == pytest.approx(20.0)


def test_long_term_needs_more_than_a_year():
    b = LotBook()
    b.buy("X", 1, 100.0, "2023-01-03")
    assert b.sell("X", 1, 110.0, "2024-01-03").short_term == pytest.approx(10.0)  # 365 days: still short
    b.buy("X", 1, 100.0, "2023-01-03")
    assert b.sell("X", 1, 110.0, "2024-01-04").long_term == pytest.approx(10.0)   # 366 days


def test_harvest_sells_the_loss_lots_and_buys_the_exposure_back():
    b = book()
    r = harvest(b, "X", 100.0, "2021-04-01", 0.10)  # lot 2 (120) is down 16.7 %; lot 3 (90) is up
    assert (r.short_term, r.long_term, r.shares) == pytest.approx((-200.0, 0.0, 10.0))
    assert b.shares("X") == pytest.approx(30.0)
    assert sorted(lot.cost for lot in b.lots["X"]) == [90.0, 100.0, 100.0]


def test_year_taxes_net_across_classes_and_carry_losses_forward():
    realized = pd.DataFrame({"short_term": [-50.0, -200.0, 100.0, 0.0], "long_term": [100.0, 0.0, 50.0, 80.0]},
                            index=[2019, 2020, 2021, 2022])
    t = year_taxes(realized, TaxRates(short_term=0.37, long_term=0.20))
    # 2019: LT 100 - 50 = 50 -> 10. 2020: -200 carried. 2021: ST -100, LT 50 -> -50 LT carried.
    # 2022: LT 80 - 50 = 30 -> 6
    assert t["tax"].tolist() == pytest.approx([10.0, 0.0, 0.0, 6.0])
    assert t["carry_forward"].tolist() == pytest.approx([0.0, -200.0, -50.0, 0.0])


def test_ordinary_account_taxes_from_an_engine_run():
    # 50/50, A +30 % -> threshold 5 % sells 0.075 of value of A at 13 (bought at 10): short-term gain
    # 0.075 x 3 / 13 (cost-free run)
    px = pd.DataFrame({"A": [10.0, 13.0], "B": [10.0, 10.0]}, index=pd.bdate_range("2024-03-04", periods=2))
    res = backtest(px, pd.Series({"A": 0.5, "B": 0.5}), [Threshold(0.05)], cost_bps=0)
    rep = replay_taxes(res, px, 0, TaxRates(short_term=0.37))
    gain = 0.075 * 3 / 13
    assert rep.by_year.loc[2024, "short_term"] == pytest.approx(gain)
    assert rep.total == pytest.approx(0.37 * gain)


def test_tax_aware_rule_harvests_a_loss_and_defers_a_short_term_gain():
    idx = pd.bdate_range("2024-01-02", periods=3)
    # day 1: A -15 % -> its lot is down 15 % >= 10 %: harvest -0.05 x 1.5 = -0.075, weights unchanged (drift 4 %)
    px = pd.DataFrame({"A": [10.0, 8.5, 8.5], "B": [10.0, 10.0, 10.0]}, index=idx)
    res, rep = tax_backtest(px, pd.Series({"A": 0.5, "B": 0.5}), TaxAware("hifo", 0.05), cost_bps=0)
    assert rep.harvested == pytest.approx(-0.075)
    assert rep.by_year.loc[2024, "short_term"] == pytest.approx(-0.075) and rep.total == 0
    assert res.turnover[1, 0] == pytest.approx(0.425 / 0.925) and res.rebalanced[1, 0]  # sold and bought back
    # A +30 % within the year: drift 6.5 % fires on days 1 and 2, but A's only lot is a short-term gain -> the
    # sale is deferred both times (2), no sale, no cash to buy
    px2 = pd.DataFrame({"A": [10.0, 13.0, 13.0], "B": [10.0, 10.0, 10.0]}, index=idx)
    res2, rep2 = tax_backtest(px2, pd.Series({"A": 0.5, "B": 0.5}), TaxAware("hifo", 0.05), cost_bps=0)
    assert not res2.rebalanced.any() and rep2.deferred_sales == 2 and rep2.total == 0
    # the same sale after more than a year is long-term and happens
    idx3 = pd.DatetimeIndex(["2023-01-03", "2024-01-05", "2024-01-08"])
    res3, rep3 = tax_backtest(px2.set_axis(idx3), pd.Series({"A": 0.5, "B": 0.5}), TaxAware("fifo", 0.05), cost_bps=0)
    assert res3.rebalanced[1, 0] and res3.final_weights[0] == pytest.approx([0.5, 0.5])
    assert rep3.by_year.loc[2024, "long_term"] == pytest.approx(0.075 * 3 / 13)


def test_tax_aware_hifo_pays_less_than_fifo_on_real_prices():
    from skfolio.datasets import load_sp500_dataset

    px = load_sp500_dataset().loc["2015-01-01":"2019-12-31"].iloc[:, :6]
    tgt = pd.Series(1 / 6, index=px.columns)
    fifo = tax_backtest(px, tgt, TaxAware("fifo", 0.05), 20)[1].total
    hifo = tax_backtest(px, tgt, TaxAware("hifo", 0.05), 20)[1].total
    assert hifo < fifo and np.isfinite(hifo)
