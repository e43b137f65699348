"""A target weight a solver leaves at -1e-13 is zero: the position is sold whole, never one share more."""
import pandas as pd

from rebal.proposal.trades import trade_list


def test_a_tiny_negative_target_weight_exits_exactly_the_held_shares():
    shares = pd.Series({"XOM": 6003.0, "JPM": 100.0})
    prices = pd.Series({"XOM": 34.767, "JPM": 91.829})
    target = pd.Series({"XOM": -1e-13, "JPM": 0.9})
    tl = trade_list(target, shares, prices, 0.0)
    xom = tl.trades.set_index("ticker").loc["XOM"]
    assert xom["action"] == "SELL" and xom["shares"] == 6003  # all held, by hand: nothing short
