"""Tax lots by hand: the holding period (IRS Publication 550), fifo / hifo / min-tax relief, wash sales.

Every expected figure is worked out in the comments from the lots, the prices and the dates.
"""
from __future__ import annotations

import pandas as pd
import pytest

from rebal.analytics.lots import LotBook, is_long_term, long_term_from


class Rates:
    short_term, long_term = 0.37, 0.20


# -- holding period -------------------------------------------------------------------------------

def test_publication_550_holding_period_example():
    # Pub. 550: bought 5 Feb; sold 5 Feb the next year -> not more than one year (short-term); 6 Feb -> long-term
    assert not is_long_term("2022-02-05", "2023-02-05")
    assert is_long_term("2022-02-05", "2023-02-06")
    assert long_term_from("2022-02-05") == pd.Timestamp("2023-02-06")


def test_the_anniversary_is_short_term_across_a_leap_day():
    # bought 2019-03-01, sold 2020-03-01: 366 calendar days (29 Feb 2020 between), but only one year: short-term
    # (a "more than 365 days" count would call it long-term); the day after, 2020-03-02, is long-term
    assert not is_long_term("2019-03-01", "2020-03-01")
    assert is_long_term("2019-03-01", "2020-03-02")
    b = LotBook()
    b.buy("X", 10, 50.0, "2019-03-01")
    r = b.sell("X", 10, 60.0, "2020-03-01")
    assert (r.short_term, r.long_term) == pytest.approx((100.0, 0.0))


def test_a_sale_realises_its_class_from_each_lot():
    b = LotBook()
    b.buy("X", 10, 100.0, "2023-01-03")
    b.buy("X", 10, 100.0, "2023-06-01")
    r = b.sell("X", 20, 110.0, "2024-01-04")  # lot 1 held past its anniversary (+100 LT), lot 2 not (+100 ST)
    assert (r.short_term, r.long_term, r.shares) == pytest.approx((100.0, 100.0, 20.0))
    assert [x.term for x in r.relieved] == ["long", "short"]


# -- lot relief: three lots, 150 shares sold at $28 on 2022-06-15 ---------------------------------

def three_lots() -> LotBook:
    b = LotBook()
    b.buy("X", 100, 25.0, "2021-01-04")   # L1: long-term on 2022-06-15, +3 a share
    b.buy("X", 100, 30.0, "2021-06-01")   # L2: long-term (2022-06-02 on), -2 a share
    b.buy("X", 100, 26.0, "2022-03-01")   # L3: short-term, +2 a share
    return b


def test_fifo_relieves_the_oldest_lots_first():
    # L1 100 x +3 = +300 LT; L2 50 x -2 = -100 LT
    r = three_lots().sell("X", 150, 28.0, "2022-06-15", relief="fifo")
    assert (r.short_term, r.long_term) == pytest.approx((0.0, 200.0))
    assert [(x.basis, x.shares) for x in r.relieved] == [(25.0, 100), (30.0, 50)]


def test_hifo_relieves_the_highest_basis_first():
    # L2 100 x -2 = -200 LT; L3 50 x +2 = +100 ST
    b = three_lots()
    r = b.sell("X", 150, 28.0, "2022-06-15", relief="hifo")
    assert (r.short_term, r.long_term) == pytest.approx((100.0, -200.0))
    assert sorted((lot.cost, lot.shares) for lot in b.lots["X"]) == [(25.0, 100), (26.0, 50)]


def test_min_tax_relieves_the_lowest_tax_per_share_first():
    # tax a share at 37 % / 20 %: L2 0.20 x -2 = -0.40, L1 0.20 x 3 = 0.60, L3 0.37 x 2 = 0.74
    # -> L2 100 x -2 = -200 LT, then L1 50 x +3 = +150 LT
    r = three_lots().sell("X", 150, 28.0, "2022-06-15", relief="min_tax", rates=Rates())
    assert (r.short_term, r.long_term) == pytest.approx((0.0, -50.0))
    # taxes alone: fifo 0.20 x 200 = 40; hifo: ST 100 - 200 LT -> net loss, 0; min-tax: net loss, 0


def test_short_last_keeps_short_term_gain_lots_for_the_end():
    # min-tax with short_last: L2 first, then L1 (long-term), L3 (a short-term gain) last
    b = three_lots()
    order = [lot.cost for lot in b.order("X", 28.0, "min_tax", day="2022-06-15", rates=Rates(), short_last=True)]
    assert order == [30.0, 25.0, 26.0]


def test_an_unknown_relief_is_refused():
    with pytest.raises(ValueError, match="unknown lot relief 'lifo'; valid: fifo, hifo, min_tax"):
        three_lots().sell("X", 1, 28.0, "2022-06-15", relief="lifo")


# -- wash sales (Publication 550, "Wash Sales") ---------------------------------------------------

def test_repurchase_20_days_after_a_loss_sale_disallows_the_loss_and_adjusts_the_basis():
    # Pub. 550's example: 100 shares bought for $1,000, sold for $750, 100 bought back within 30 days for $800:
    # the $250 loss is not deductible and the new shares' basis is $800 + $250 = $1,050
    b = LotBook(groups={})
    b.buy("X", 100, 10.0, "2022-03-01")
    sale = b.sell("X", 100, 7.5, "2022-06-01")
    assert sale.short_term == pytest.approx(-250.0)  # recognised when sold; nothing bought yet
    back = b.buy("X", 100, 8.0, "2022-06-21")        # 20 days later
    assert back.disallowed == pytest.approx(250.0) and back.short_term == pytest.approx(250.0)
    assert sale.short_term + back.short_term == pytest.approx(0.0)
    (lot,) = b.lots["X"]
    assert lot.shares * lot.cost == pytest.approx(1050.0)
    # the holding period of the shares sold (2022-03-01 .. 2022-06-01, 92 days) is added to the new shares'
    assert lot.acquired == pd.Timestamp("2022-06-21") - pd.Timedelta(days=92) == pd.Timestamp("2022-03-21")
    assert lot.bought == pd.Timestamp("2022-06-21")


def test_repurchase_31_days_after_a_loss_sale_keeps_the_loss():
    b = LotBook(groups={})
    b.buy("X", 100, 10.0, "2022-03-01")
    sale = b.sell("X", 100, 7.5, "2022-06-01")
    back = b.buy("X", 100, 8.0, "2022-07-02")        # 31 days later: outside the window
    assert sale.short_term == pytest.approx(-250.0) and back.disallowed == 0.0
    assert b.lots["X"][0].cost == pytest.approx(8.0) and b.lots["X"][0].acquired == pd.Timestamp("2022-07-02")


def test_shares_bought_within_30_days_before_the_loss_sale_are_replacement_shares():
    # 100 @ 10 on 2022-01-03, 100 @ 8 on 2022-05-20; fifo sale of the first 100 @ 7.5 on 2022-06-01 (12 days after
    # the second buy): the $250 loss is disallowed and added to the 2022-05-20 lot: basis 8 + 2.5 = 10.5
    b = LotBook(groups={})
    b.buy("X", 100, 10.0, "2022-01-03")
    b.buy("X", 100, 8.0, "2022-05-20")
    r = b.sell("X", 100, 7.5, "2022-06-01", relief="fifo")
    assert r.relieved[0].gain == pytest.approx(-250.0) and r.disallowed == pytest.approx(250.0)
    assert r.short_term == pytest.approx(0.0)
    (lot,) = b.lots["X"]
    assert lot.cost == pytest.approx(10.5)
    assert lot.acquired == pd.Timestamp("2022-05-20") - pd.Timedelta(days=149)  # 2022-01-03 .. 2022-06-01


def test_fewer_replacement_shares_disallow_part_of_the_loss():
    # 100 sold at a $2.50 loss a share, 40 bought back 10 days later: 40 x 2.5 = $100 disallowed, $150 kept
    b = LotBook(groups={})
    b.buy("X", 100, 10.0, "2022-03-01")
    sale = b.sell("X", 100, 7.5, "2022-06-01")
    back = b.buy("X", 40, 8.0, "2022-06-11")
    assert back.disallowed == pytest.approx(100.0)
    assert sale.short_term + back.short_term == pytest.approx(-150.0)
    assert b.lots["X"][0].cost == pytest.approx(10.5)
    # a second buy in the window takes the remaining 60 shares' loss
    again = b.buy("X", 100, 8.0, "2022-06-15")
    assert again.disallowed == pytest.approx(150.0)
    assert sorted((lot.shares, lot.cost) for lot in b.lots["X"]) == [(40, 8.0), (40, 10.5), (60, 10.5)]


def test_a_substantially_identical_group_washes_and_a_different_name_does_not():
    b = LotBook(groups={"SPY": "sp500", "IVV": "sp500"})
    b.buy("SPY", 10, 400.0, "2022-01-03")
    b.sell("SPY", 10, 380.0, "2022-06-01")               # -200
    assert b.buy("IVV", 10, 385.0, "2022-06-10").disallowed == pytest.approx(200.0)
    c = LotBook(groups={"SPY": "sp500", "IVV": "sp500"})
    c.buy("SPY", 10, 400.0, "2022-01-03")
    c.sell("SPY", 10, 380.0, "2022-06-01")
    assert c.buy("QQQ", 10, 300.0, "2022-06-10").disallowed == 0.0


def test_without_groups_the_wash_sale_rule_is_not_applied():
    b = LotBook()  # the rule lab's book
    b.buy("X", 100, 10.0, "2022-03-01")
    b.sell("X", 100, 7.5, "2022-06-01")
    assert b.buy("X", 100, 8.0, "2022-06-21").disallowed == 0.0


def test_pending_loss_windows_close_after_30_days():
    b = LotBook(groups={})
    b.buy("X", 100, 10.0, "2022-03-01")
    b.sell("X", 100, 7.5, "2022-06-01")
    w = b.pending_losses("2022-06-20")
    assert w[["ticker", "shares"]].values.tolist() == [["X", 100.0]]
    assert str(w["until"].iloc[0]) == "2022-07-01"
    assert b.pending_losses("2022-07-02").empty
