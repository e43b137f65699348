"""Trade lists in whole shares: from target weights, current holdings, prices and cash.

:func:`trade_list` turns target weights (fractions of portfolio value; ``CASH`` is the cash
target) into BUY/SELL orders in whole shares so that

1. cash never goes negative: cash after trades and estimated costs is >= 0 (guaranteed: the
   last step removes buy shares until it holds);
2. sells never exceed the shares held (long only);
3. no trade is worth less than ``min_trade_value`` dollars, except exits (a position whose
   target is 0 is always sold out, so no sub-minimum stub is left);
4. at most ``max_trades`` trades: exits first, then the largest by value;
5. the realised weights are as close to the targets as whole shares allow (greedy, as in
   PyPortfolioOpt's ``DiscreteAllocation.greedy_portfolio``): shares are first floored
   (never overshooting a target), then the money above the cash target buys one share at a
   time of the asset furthest below its target, while the cash above the target pays for it.

Targets are sized on the portfolio value net of the estimated trading costs, so the realised
weights do not exceed their targets once costs are paid. Costs come from a callable mapping
signed dollar trades to dollar costs (the cost model of :mod:`rebal.analytics.costs`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH
from rebal.errors import DataError

__all__ = ["TradeList", "trade_list"]

CostFn = Callable[[pd.Series], pd.Series]


@dataclass
class TradeList:
    """Orders and the portfolio they lead to."""

    trades: pd.DataFrame  # ticker, action, shares, price, value, reason, est_cost, weight_before/target/after
    shares_after: pd.Series
    cash_after: float
    value_before: float
    est_cost: float
    notes: list[str] = field(default_factory=list)
    #: the value the targets were sized on: value before, less the first-pass cost estimate
    net_value: float = float("nan")

    @property
    def cost_bps(self) -> float:
        """Estimated cost in bps of the portfolio value."""
        return 1e4 * self.est_cost / self.value_before if self.value_before else 0.0


def _zero_cost(trades: pd.Series) -> pd.Series:
    return trades.abs() * 0.0


def trade_list(target: pd.Series, shares: pd.Series, prices: pd.Series, cash: float, *,
               min_trade_value: float = 0.0, max_trades: int | None = None,
               cost_fn: CostFn | None = None) -> TradeList:
    """Whole-share trades from ``shares`` (+ ``cash``) towards ``target`` weights (see the module docstring).

    ``target`` may include ``CASH``; weights of the other assets are fractions of the portfolio
    value and must be >= 0 with a total <= 1. Every asset held or targeted needs a price > 0.
    """
    cost_fn = cost_fn or _zero_cost
    tgt = target.drop(CASH, errors="ignore").astype(float)
    if (tgt < -1e-12).any():
        raise DataError(f"trade list: negative target weight for {tgt.index[tgt < -1e-12][0]!r} (long only)")
    if tgt.sum() > 1.0 + 1e-9:
        raise DataError(f"trade list: target weights sum to {tgt.sum():.6f} > 1")
    held = shares.astype(float)
    held = held[held != 0]
    if (held < 0).any():
        raise DataError(f"trade list: short position in {held.index[held < 0][0]!r}")
    assets = list(dict.fromkeys([*held.index, *tgt.index[tgt > 0]]))
    px = prices.reindex(assets).astype(float)
    bad = px.index[~(px > 0) | px.isna()]
    if len(bad):
        raise DataError(f"trade list: no valid price for {bad[0]!r}")
    if cash < 0:
        raise DataError(f"trade list: negative cash {cash:,.2f}")
    w = tgt.reindex(assets).fillna(0.0).clip(lower=0.0)  # a solver's -1e-13 would floor to -1 share
    s0 = held.reindex(assets).fillna(0.0)
    p = px.to_numpy()
    value = cash + float(s0 @ p)
    if value <= 0:
        raise DataError("trade list: the portfolio has no value")
    cash_target = max(0.0, 1.0 - float(w.sum())) * value
    notes: list[str] = []

    def cost(n: np.ndarray) -> float:
        return float(cost_fn(pd.Series((n - s0.to_numpy()) * p, index=assets)).sum())

    def cash_after(n: np.ndarray) -> float:
        return cash - float((n - s0.to_numpy()) @ p) - cost(n)

    # 1. floor at target values net of the costs of a first pass
    n = np.floor(w.to_numpy() * value / p)
    net = value - cost(n)
    n = np.floor(w.to_numpy() * net / p)
    exits = (w.to_numpy() == 0) & (s0.to_numpy() > 0)
    frozen = np.zeros(len(assets), bool)  # assets that must not trade (skipped by a rule)

    # 2. minimum trade value (exits always trade)
    small = (np.abs(n - s0.to_numpy()) * p < min_trade_value) & (n != s0.to_numpy()) & ~exits
    for i in np.flatnonzero(small):
        notes.append(f"{assets[i]}: trade of ${abs(n[i] - s0.iloc[i]) * p[i]:,.0f} below the minimum "
                     f"${min_trade_value:,.0f}: skipped")
    n[small], frozen[small] = s0.to_numpy()[small], True

    # 3. maximum number of trades: exits first, then by value
    def limit_trades(n: np.ndarray) -> np.ndarray:
        trading = np.flatnonzero(n != s0.to_numpy())
        if max_trades is None or len(trading) <= max_trades:
            return n
        val = np.abs(n - s0.to_numpy()) * p
        order = sorted(trading, key=lambda i: (not exits[i], -val[i]))
        for i in order[max_trades:]:
            notes.append(f"{assets[i]}: beyond the {max_trades}-trade limit (${val[i]:,.0f}): skipped")
            n[i], frozen[i] = s0.iloc[i], True
        return n

    n = limit_trades(n)

    # 4. greedy top-up with the cash above the cash target: one share of the most underweight asset
    tw = w.to_numpy()
    while True:
        room = cash_after(n) - cash_target
        deficit = tw - n * p / net
        ok = (~frozen) & (tw > 0) & (deficit > 0) & (p <= room)
        if max_trades is not None:
            trading = n != s0.to_numpy()
            if trading.sum() >= max_trades:
                ok &= trading
        if not ok.any():
            break
        cand = np.flatnonzero(ok)
        i = cand[np.argmax(deficit[cand])]
        trial = n.copy()
        trial[i] += 1
        new_trade = abs(trial[i] - s0.iloc[i]) * p[i]
        if trial[i] != s0.iloc[i] and new_trade < min_trade_value and not exits[i]:
            frozen[i] = True  # one more share would still be a sub-minimum trade
            continue
        if cash_after(trial) - cash_target < 0:
            frozen[i] = True
            continue
        n = trial

    # 5. cash must be >= 0 after costs: cut buys (the most overweight first) by the shortfall
    while cash_after(n) < -1e-9:
        buys = np.flatnonzero(n > s0.to_numpy())
        if not len(buys):
            raise DataError("trade list: the sells and cash cannot pay the costs")  # cannot happen with costs < value
        over = n * p / net - tw
        i = buys[np.argmax(over[buys])]
        short = -cash_after(n)
        n[i] -= min(n[i] - s0.iloc[i], max(1.0, np.ceil(short / p[i])))  # enough shares at once
        if 0 < (n[i] - s0.iloc[i]) * p[i] < min_trade_value:
            notes.append(f"{assets[i]}: buy cut below the minimum trade value to keep cash >= 0: skipped")
            n[i] = s0.iloc[i]

    delta = n - s0.to_numpy()
    trade_values = pd.Series(delta * p, index=assets)
    costs = cost_fn(trade_values).reindex(assets).fillna(0.0)
    cash_end = cash - float(trade_values.sum()) - float(costs.sum())
    value_after = cash_end + float(n @ p)
    rows = []
    for i, a in enumerate(assets):
        if delta[i] == 0:
            continue
        reason = ("new_position" if s0.iloc[i] == 0 else "exit_position" if n[i] == 0
                  else "increase_weight" if delta[i] > 0 else "decrease_weight")
        rows.append({"ticker": a, "action": "BUY" if delta[i] > 0 else "SELL", "shares": int(abs(delta[i])),
                     "price": p[i], "value": abs(delta[i]) * p[i], "reason": reason, "est_cost": float(costs[a]),
                     "current_shares": int(s0.iloc[i]), "target_shares": int(n[i]),
                     "weight_before": s0.iloc[i] * p[i] / value, "weight_target": tw[i],
                     "weight_after": n[i] * p[i] / value_after})
    cols = ["ticker", "action", "shares", "price", "value", "reason", "est_cost", "current_shares", "target_shares",
            "weight_before", "weight_target", "weight_after"]
    trades = pd.DataFrame(rows, columns=cols)
    if len(trades):
        trades = trades.sort_values(["action", "value"], ascending=[False, False]).reset_index(drop=True)
    after = pd.Series(n, index=assets, name="shares")
    return TradeList(trades, after[after > 0], cash_end, value, float(costs.sum()), notes, net)
