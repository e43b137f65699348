"""Whole-share trade lists: hand-worked cases and properties that must hold for any input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebal.errors import DataError
from rebal.proposal.trades import trade_list


def S(**kw):
    return pd.Series(kw, dtype=float)


def test_buy_into_a_new_position_from_cash():
    # value 10 x 100 + 1,000 = 2,000; 50/50 -> A stays at 10 shares, B buys 1,000 / 50 = 20
    tl = trade_list(S(A=0.5, B=0.5), S(A=10), S(A=100, B=50), 1000.0)
    assert tl.trades[["ticker", "action", "shares", "reason"]].values.tolist() == [["B", "BUY", 20, "new_position"]]
    assert tl.cash_after == pytest.approx(0.0)


def test_minimum_trade_value_skips_small_trades_but_never_exits():
    tl = trade_list(S(A=0.5, B=0.5), S(A=10), S(A=100, B=50), 1000.0, min_trade_value=1500)
    assert tl.trades.empty and "below the minimum" in tl.notes[0]
    # exit A (target 0) although the sale is worth only $1,000 < $1,500
    tl = trade_list(S(B=1.0), S(A=10), S(A=100, B=50), 1000.0, min_trade_value=1500)
    got = tl.trades.set_index("ticker")
    assert got.loc["A", "action"] == "SELL" and got.loc["A", "shares"] == 10 and got.loc["A", "reason"] == "exit_position"
    assert got.loc["B", "shares"] == 40 and tl.cash_after == pytest.approx(0.0)


def test_greedy_top_up_buys_the_most_underweight_asset():
    # $1,000 cash, 50/50, prices 30 and 70: floors 16 A ($480) and 7 B ($490) leave $30;
    # A is 2.0 points under target, B 1.0, and one A costs $30 -> 17 A, 7 B, cash 0
    tl = trade_list(S(A=0.5, B=0.5), S(), S(A=30, B=70), 1000.0)
    assert tl.shares_after.to_dict() == {"A": 17, "B": 7}
    assert tl.cash_after == pytest.approx(0.0)


def test_costs_are_paid_from_the_target_value():
    # 10 bps on $10,000: 100 shares would cost $10 and overdraw; net value 9,990 -> 99 shares,
    # cost $9.90, cash 10,000 - 9,900 - 9.90 = 90.10 (< one more share)
    tl = trade_list(S(A=1.0), S(), S(A=100), 10_000.0, cost_fn=lambda t: t.abs() * 10 / 1e4)
    assert tl.shares_after["A"] == 99
    assert tl.est_cost == pytest.approx(9.9) and tl.cash_after == pytest.approx(90.1)
    assert tl.cost_bps == pytest.approx(9.9)


def test_cash_target_is_kept():
    # 40 % cash of $10,000: buy $6,000 of A at $100 = 60 shares, keep $4,000
    tl = trade_list(S(A=0.6, CASH=0.4), S(), S(A=100), 10_000.0)
    assert tl.shares_after["A"] == 60 and tl.cash_after == pytest.approx(4000.0)


def test_max_trades_keeps_exits_then_the_largest():
    tl = trade_list(S(B=0.5, C=0.3, D=0.2), S(A=10), S(A=100, B=10, C=10, D=10), 0.0, max_trades=2)
    assert sorted(tl.trades["ticker"]) == ["A", "B"]
    assert sum("trade limit" in n for n in tl.notes) == 2
    assert tl.cash_after >= 0


def test_bad_inputs_are_clear_errors():
    with pytest.raises(DataError, match="no valid price for 'B'"):
        trade_list(S(A=0.5, B=0.5), S(), S(A=10), 100.0)
    with pytest.raises(DataError, match="sum to"):
        trade_list(S(A=0.7, B=0.5), S(), S(A=10, B=10), 100.0)
    with pytest.raises(DataError, match="negative target"):
        trade_list(S(A=-0.1, B=0.5), S(), S(A=10, B=10), 100.0)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 6),
    data=st.data(),
    cash=st.floats(0, 1e6),
    min_trade=st.sampled_from([0.0, 500.0, 5000.0]),
    max_trades=st.sampled_from([None, 1, 3]),
    bps=st.sampled_from([0.0, 5.0, 50.0]),
)
def test_properties_hold_for_any_input(n, data, cash, min_trade, max_trades, bps):
    names = [f"T{i}" for i in range(n)]
    prices = pd.Series(data.draw(st.lists(st.floats(1, 2000), min_size=n, max_size=n)), index=names)
    held = pd.Series(data.draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)), index=names, dtype=float)
    raw = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    invested = data.draw(st.floats(0.3, 1.0))
    target = pd.Series(raw / raw.sum() * invested if raw.sum() > 0 else raw, index=names)
    if cash + float(held @ prices) <= 0:
        return
    tl = trade_list(target, held, prices, cash, min_trade_value=min_trade, max_trades=max_trades,
                    cost_fn=lambda t: t.abs() * bps / 1e4)
    t = tl.trades
    assert tl.cash_after >= -1e-6  # never overdraws
    sells = t[t["action"] == "SELL"].set_index("ticker")
    for tk, row in sells.iterrows():
        assert row["shares"] <= held[tk]  # never sells more than held
    non_exit = t[t["reason"] != "exit_position"]
    assert (non_exit["value"] >= min_trade - 1e-6).all()
    if max_trades is not None:
        assert len(t) <= max_trades
    assert (tl.shares_after >= 0).all()
    # bookkeeping: cash after = cash + sells - buys - costs
    signed = np.where(t["action"] == "BUY", 1, -1) * t["value"]
    assert tl.cash_after == pytest.approx(cash - signed.sum() - t["est_cost"].sum(), abs=1e-6)
