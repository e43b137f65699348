"""Vectorised rebalancing backtest: many rule configurations over one price path at once.

State is an array over configurations x assets, so a whole sensitivity grid advances one day
per step with numpy operations only (no per-asset or per-configuration Python loop).

Conventions (the independent reference loop in ``tests/test_lab.py`` follows them too):

- the portfolio starts at the target weights on the first session, cost-free, value 1;
- each day holdings grow with prices; ``CASH`` (1 - Σw*) earns nothing;
- portfolio drift = ½ Σ|w - w*| over the assets and cash (:func:`rebal.drift.portfolio_drift`);
- when a rule fires the portfolio trades back to the target at the close: trades are sized at
  the pre-trade value V (Δ_i = w*_i V - h_i), the cost is ``cost_bps`` x Σ|Δ_i| / 10⁴, paid out
  of the portfolio, and every position (and cash) is then w* x (V - cost);
- one-way turnover of a rebalance = ½ Σ|Δ_i| / V over the assets.

Review days (calendar rules) are the last session of each month, quarter and year in the price
index (NYSE sessions in the lakehouse).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rebal.lab.rules import Rule

__all__ = ["BacktestResult", "backtest", "review_days"]


def review_days(index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Boolean arrays: last session of each month / quarter / year in ``index`` (the final
    session counts only when its period is complete, i.e. never: there is no later session)."""
    s = pd.Series(index, index=index)
    out = {}
    for name, key in (("monthly", index.year * 12 + index.month), ("quarterly", index.year * 4 + (index.month - 1) // 3),
                      ("annual", index.year)):
        last = s.groupby(np.asarray(key)).transform("max").to_numpy() == index.to_numpy()
        last[-1] = False
        out[name] = last
    return out


@dataclass
class BacktestResult:
    """Per configuration: daily values and costs, rebalance days and turnover."""

    specs: list[str]
    cost_bps: np.ndarray           # (K,)
    index: pd.DatetimeIndex
    values: np.ndarray             # (T, K) portfolio value, 1 at the start
    target_values: np.ndarray      # (T,) the target held with daily rebalancing, cost-free
    costs: np.ndarray              # (T, K) cost paid each day, fraction of that day's value
    turnover: np.ndarray           # (T, K) one-way turnover each day
    rebalanced: np.ndarray         # (T, K) bool
    drift: np.ndarray              # (T, K) portfolio drift before any trade
    final_weights: np.ndarray      # (K, N)

    def frame(self) -> pd.DataFrame:
        """Values by configuration (columns) and the target path."""
        df = pd.DataFrame(self.values, index=self.index, columns=self.labels)
        df["target"] = self.target_values
        return df

    @property
    def labels(self) -> list[str]:
        return [f"{s} @ {c:g} bps" for s, c in zip(self.specs, self.cost_bps)]


def backtest(prices: pd.DataFrame, target: pd.Series, rules: list[Rule], cost_bps: float | list[float] = 20.0) -> BacktestResult:
    """Run every rule (with its cost level) over ``prices`` (dates x assets, no gaps) from ``target``.

    ``target`` holds weights by asset (their sum <= 1; the rest is cash). ``cost_bps`` is one
    level for all rules or one per rule.
    """
    px = prices.to_numpy(float)
    if np.isnan(px).any() or (px <= 0).any():
        raise ValueError("prices must be positive and complete over the backtest window")
    w = target.reindex(prices.columns).fillna(0.0).to_numpy(float)
    cash_w = 1.0 - w.sum()
    K, T = len(rules), px.shape[0]
    c_bps = np.broadcast_to(np.asarray(cost_bps, float), (K,)).copy()
    review = review_days(prices.index)
    triggers = [r.trigger() for r in rules]
    thr = np.array([x for _, x in triggers]) - 1e-12
    cal = np.zeros((T, K), bool)  # review day of each configuration's calendar
    for k, (freq, _) in enumerate(triggers):
        if freq is not None:
            cal[:, k] = review[freq]
    growth = px[1:] / px[:-1]
    h = np.tile(w, (K, 1))           # holdings (value), K x N
    cash = np.full(K, cash_w)
    values = np.empty((T, K))
    costs = np.zeros((T, K))
    turnover = np.zeros((T, K))
    rebalanced = np.zeros((T, K), bool)
    drift = np.zeros((T, K))
    values[0] = 1.0
    target_values = np.empty(T)
    target_values[0] = 1.0
    for t in range(1, T):
        g = growth[t - 1]
        target_values[t] = target_values[t - 1] * (w @ g + cash_w)
        h *= g
        V = h.sum(axis=1) + cash
        d = 0.5 * (np.abs(h / V[:, None] - w).sum(axis=1) + np.abs(cash / V - cash_w))
        drift[t] = d
        fire = cal[t] | (d >= thr)
        if fire.any():
            trade = w * V[fire, None] - h[fire]
            traded = np.abs(trade).sum(axis=1)
            cost = c_bps[fire] * traded / 1e4
            Vn = V[fire] - cost
            h[fire] = w * Vn[:, None]
            cash[fire] = cash_w * Vn
            costs[t, fire] = cost / V[fire]
            turnover[t, fire] = 0.5 * traded / V[fire]
            rebalanced[t, fire] = True
            V = h.sum(axis=1) + cash
        values[t] = V
    final = h / (h.sum(axis=1) + cash)[:, None]
    return BacktestResult([r.spec for r in rules], c_bps, prices.index, values, target_values, costs, turnover,
                          rebalanced, drift, final)
