"""Capital-gains tax arithmetic by hand: netting across classes, carried losses, the tax of a trade, tax curves."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.lots import LotBook
from rebal.analytics.tax import curve_pieces, net_year, tax_curve, tax_curves, trade_tax, year_tax


class Rates:
    short_term, long_term = 0.37, 0.20


R = Rates()


@pytest.mark.parametrize("st, lt, taxable, carry, tax", [
    (1000.0, -400.0, (600.0, 0.0), (0.0, 0.0), 0.37 * 600),    # the LT loss offsets the ST gain
    (-300.0, 1000.0, (0.0, 700.0), (0.0, 0.0), 0.20 * 700),    # the ST loss offsets the LT gain
    (100.0, -200.0, (0.0, 0.0), (0.0, -100.0), 0.0),           # what is left is a long-term loss
    (-200.0, 100.0, (0.0, 0.0), (-100.0, 0.0), 0.0),           # ... a short-term loss
    (-50.0, -80.0, (0.0, 0.0), (-50.0, -80.0), 0.0),           # both carried with their class
    (500.0, 300.0, (500.0, 300.0), (0.0, 0.0), 0.37 * 500 + 0.20 * 300),
])
def test_netting_across_classes(st, lt, taxable, carry, tax):
    n = net_year(st, lt)
    assert (n.taxable_short, n.taxable_long) == pytest.approx(taxable)
    assert (n.carry_short, n.carry_long) == pytest.approx(carry)
    assert n.tax(R) == pytest.approx(tax)


def test_a_carried_loss_keeps_its_class_the_next_year():
    # year 1: ST +100, LT -200 -> -100 carried as long-term. Year 2: ST +100, LT +100: the LT carry absorbs the
    # LT gain first, the ST gain is taxed at 37 % -> 37 (a short-term carry would have left LT 100 at 20 % -> 20)
    n1 = net_year(100.0, -200.0)
    assert year_tax(100.0, 100.0, R, n1.carry_short, n1.carry_long) == pytest.approx(37.0)


def _book() -> LotBook:
    b = LotBook(groups={})
    b.buy("A", 100, 50.0, "2021-01-04")    # long-term on 2022-12-28, +10 a share at 60
    b.buy("A", 100, 58.0, "2022-09-01")    # short-term, +2 a share
    b.buy("B", 200, 30.0, "2022-05-02")    # short-term, -5 a share at 25
    return b


def test_trade_tax_of_a_signed_trade_vector():
    b = _book()
    px = pd.Series({"A": 60.0, "B": 25.0, "C": 40.0})
    # fifo: A 150 sold: 100 x 10 = +1,000 LT, 50 x 2 = +100 ST; B 100 sold: 100 x -5 = -500 ST; C bought
    tt = trade_tax(b, px, pd.Series({"A": -150.0, "B": -100.0, "C": 50.0}), "2022-12-28", R, method="fifo")
    r = tt.realised
    assert (r.short_term_gains, r.short_term_losses, r.long_term_gains, r.long_term_losses) == \
        pytest.approx((100.0, -500.0, 1000.0, 0.0))
    # netting: ST -400 offsets LT 1,000 -> LT 600 x 20 % = 120
    assert tt.tax == pytest.approx(120.0)
    assert b.shares("A") == 200 and tt.book.shares("A") == 50 and tt.book.shares("C") == 50  # the book is copied


def test_trade_tax_in_dollars_and_incremental_to_the_year():
    b = _book()
    px = pd.Series({"A": 60.0, "B": 25.0})
    # $6,000 of A = 100 shares; hifo: the 58 lot (+200 ST) first. Earlier this year: ST -1,000, LT +500.
    # tax before: ST -1,000 offsets LT 500 -> 0. After: ST -800, LT 500 -> 0: the gain is absorbed, tax 0
    tt = trade_tax(b, px, pd.Series({"A": -6000.0}), "2022-12-28", R, method="hifo", in_value=True,
                   year_to_date=(-1000.0, 500.0))
    assert tt.short_term == pytest.approx(200.0) and tt.tax == pytest.approx(0.0)
    # with a carried-in long-term loss of 100 and no earlier results: LT carry -100 vs ST +200 -> 100 x 37 %
    tt2 = trade_tax(b, px, pd.Series({"A": -6000.0}), "2022-12-28", R, method="hifo", in_value=True,
                    carry_in=(0.0, -100.0))
    assert tt2.tax == pytest.approx(37.0)


def test_trade_tax_applies_the_wash_sale_rule_to_a_sale_and_a_buy_of_the_same_group():
    b = LotBook(groups={"B": "g", "D": "g"})
    b.buy("B", 200, 30.0, "2022-05-02")
    px = pd.Series({"B": 25.0, "D": 50.0})
    # B sold at -5 a share (-1,000 ST) and 100 D bought the same day (substantially identical): 100 x 5 = 500 of
    # the loss disallowed -> ST -500; tax 0 (a loss); D's basis 50 + 5 = 55
    tt = trade_tax(b, px, pd.Series({"B": -200.0, "D": 100.0}), "2022-12-28", R)
    assert tt.realised.short_term_losses == pytest.approx(-500.0) and tt.realised.disallowed == pytest.approx(500.0)
    assert tt.book.lots["D"][0].cost == pytest.approx(55.0)


def test_trade_tax_refuses_a_sale_beyond_the_lots_and_a_missing_price():
    with pytest.raises(ValueError, match="selling 300 shares of 'A', 200 held"):
        trade_tax(_book(), pd.Series({"A": 60.0}), pd.Series({"A": -300.0}), "2022-12-28", R)
    with pytest.raises(ValueError, match="no price for 'B'"):
        trade_tax(_book(), pd.Series({"A": 60.0}), pd.Series({"B": -10.0}), "2022-12-28", R)


def test_tax_curve_is_convex_piecewise_linear_in_min_tax_order():
    b = _book()
    c = tax_curve(b, "A", 60.0, "2022-12-28", R)
    # per dollar sold: the LT lot 0.20 x 10 / 60 = 0.0333, the ST lot 0.37 x 2 / 60 = 0.01233 -> ST lot first
    assert c.slopes == pytest.approx([0.37 * 2 / 60, 0.20 * 10 / 60])
    assert c.breakpoints == pytest.approx([6000.0, 12000.0])
    assert c(6000.0) == pytest.approx(74.0) and c(12000.0) == pytest.approx(74.0 + 200.0)
    assert c(3000.0) == pytest.approx(37.0) and c(9000.0) == pytest.approx(74.0 + 100.0)
    assert c.marginal(100.0) == pytest.approx(c.slopes[0]) and c.marginal(7000.0) == pytest.approx(c.slopes[1])
    loss = tax_curve(b, "B", 25.0, "2022-12-28", R)  # one lot at a loss: a saving of 0.37 x 5 / 25 a dollar
    assert loss(5000.0) == pytest.approx(-0.37 * 1000.0)


def test_curve_pieces_stack_the_epigraph_of_every_asset():
    b = _book()
    curves = tax_curves(b, pd.Series({"A": 60.0, "B": 25.0}), "2022-12-28", R)
    idx, a, s = curve_pieces(curves, ["B", "X", "A"])
    assert idx.tolist() == [0, 2, 2]
    sold = np.array([5000.0, 0.0, 9000.0])
    t = np.full(3, -np.inf)
    np.maximum.at(t, idx, a + s * sold[idx])
    assert t[0] == pytest.approx(-370.0) and t[2] == pytest.approx(174.0)


def test_curve_pieces_in_a_linear_programme_sell_the_cheapest_lots_first():
    """A second solver: scipy's HiGHS, raising $9,000 from A and B at the least tax through the epigraph pieces.

    Per dollar sold: B's loss lot -0.074 (0.37 x 5 / 25) on its $5,000; A's short-term lot 0.01233 on $6,000,
    then A's long-term lot 0.0333. The cheapest $9,000: all of B (-370) and $4,000 of A's short-term lot
    (+49.33): -320.67.
    """
    from scipy.optimize import linprog

    curves = tax_curves(_book(), pd.Series({"A": 60.0, "B": 25.0}), "2022-12-28", R)
    names = ["A", "B"]
    idx, a, s = curve_pieces(curves, names)
    n = len(names)
    # variables: sells s_0..s_1 (USD), epigraphs t_0..t_1; minimise sum(t)
    c = np.r_[np.zeros(n), np.ones(n)]
    a_ub = np.zeros((len(idx), 2 * n))
    a_ub[np.arange(len(idx)), idx] = s          # slope * s_i - t_i <= -intercept
    a_ub[np.arange(len(idx)), n + idx] = -1.0
    res = linprog(c, A_ub=a_ub, b_ub=-a, A_eq=np.r_[np.ones(n), np.zeros(n)][None, :], b_eq=[9000.0],
                  bounds=[(0, curves[k].held) for k in names] + [(None, None)] * n, method="highs")
    assert res.status == 0
    assert res.x[:n] == pytest.approx([4000.0, 5000.0], abs=1e-6)
    assert res.fun == pytest.approx(-370.0 + 4000.0 * 0.37 * 2 / 60)
