"""Metrics of a rule-lab run, per configuration and per volatility regime.

- tracking error: annualised standard deviation of the daily return difference against the
  cost-free target path (rebalanced daily), x sqrt(252);
- costs and turnover: sums over the run divided by its length in years (252 sessions a year);
- Sharpe ratio (:func:`rebal.analytics.measures.sharpe_ratio`): mean / standard deviation of daily
  returns x sqrt(252), risk-free rate 0 (the same for the portfolio and its target, so the
  difference is what the rule costs or earns);
- maximum drawdown of the value path (:func:`rebal.analytics.measures.max_drawdown`): a
  negative fraction (-0.25 for a 25 % fall), the same convention as the proposal's simulation;
- taxes from :mod:`rebal.lab.tax` when computed.

By regime (VIX < 20, 20-30, >= 30): the same tracking error and costs on the days of that regime
only (costs per year of that regime's days), and the share of days.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rebal.analytics.measures import PERIODS_PER_YEAR, REGIMES, annualise_vol, max_drawdown, sharpe_ratio
from rebal.lab.engine import BacktestResult

__all__ = ["summarize", "by_regime"]


def summarize(res: BacktestResult, taxes: dict[int, float] | None = None) -> pd.DataFrame:
    """Summarise each configuration of a run: the metrics of the module docstring (fractions, not percent).

    Parameters
    ----------
    res
        The engine result (values start at 1; costs are fractions of the day's value).
    taxes
        Total taxes by configuration index, as fractions of the initial value (from
        :mod:`rebal.lab.tax`); NaN for configurations without.

    Returns
    -------
    One row per configuration (index: its label ``spec @ cost bps``) with ``rule``, ``cost_bps`` (bps),
    ``tracking_error`` (annualised, fraction a year), ``cost_per_year`` (fraction of value a year),
    ``turnover_per_year`` (one-way, fraction of value a year), ``rebalances`` (count), ``sharpe`` and
    ``target_sharpe`` (annualised, risk-free 0), ``sharpe_vs_target``, ``max_drawdown`` (a negative
    fraction, -0.25 for a 25 % fall), ``final_value`` and ``target_final_value`` (multiples of the initial value),
    ``mean_drift`` and ``max_drift`` (fractions), ``skipped_illiquid`` (asset-trades), ``taxes``
    (fraction of the initial value over the run) and ``taxes_per_year``.
    """
    v = res.values
    r = v[1:] / v[:-1] - 1.0
    rt = (res.target_values[1:] / res.target_values[:-1] - 1.0)[:, None]
    years = (len(v) - 1) / PERIODS_PER_YEAR
    te = annualise_vol((r - rt).std(axis=0, ddof=1))
    out = pd.DataFrame({
        "rule": res.specs,
        "cost_bps": res.cost_bps,
        "tracking_error": te,
        "cost_per_year": res.costs.sum(axis=0) / years,
        "turnover_per_year": res.turnover.sum(axis=0) / years,
        "rebalances": res.rebalanced.sum(axis=0),
        "sharpe": sharpe_ratio(r),
        "target_sharpe": float(sharpe_ratio(rt)[0]),
        "max_drawdown": max_drawdown(v),
        "final_value": v[-1],
        "target_final_value": res.target_values[-1],
        "mean_drift": res.drift[1:].mean(axis=0),
        "max_drift": res.drift.max(axis=0),
        "skipped_illiquid": res.skipped,
    })
    out["sharpe_vs_target"] = out["sharpe"] - out["target_sharpe"]
    out["taxes"] = [np.nan if taxes is None else taxes.get(k, np.nan) for k in range(len(out))]
    out["taxes_per_year"] = out["taxes"] / years
    out.index = pd.Index(res.labels, name="config")
    return out


def by_regime(res: BacktestResult) -> pd.DataFrame:
    """Tabulate tracking error, costs and turnover of each configuration in each VIX regime.

    Parameters
    ----------
    res
        The engine result; ``res.regime`` gives each day's regime.

    Returns
    -------
    A long table, one row per configuration and regime present: ``config``, ``rule``, ``cost_bps`` (bps),
    ``regime``, ``days`` (sessions), ``share_of_days`` (fraction), ``tracking_error`` (annualised
    over that regime's days, fraction a year), ``cost_per_year`` and ``turnover_per_year``
    (fractions of value per year of that regime's days) and ``rebalances`` (count).
    """
    v = res.values
    r = v[1:] / v[:-1] - 1.0
    rt = (res.target_values[1:] / res.target_values[:-1] - 1.0)[:, None]
    reg = res.regime[1:]
    rows = []
    for code, name in enumerate(REGIMES):
        m = reg == code
        n = int(m.sum())
        if n == 0:
            continue
        te = annualise_vol((r[m] - rt[m]).std(axis=0, ddof=1)) if n > 1 else np.full(v.shape[1], np.nan)
        yrs = n / PERIODS_PER_YEAR
        cost = res.costs[1:][m].sum(axis=0) / yrs
        turn = res.turnover[1:][m].sum(axis=0) / yrs
        reb = res.rebalanced[1:][m].sum(axis=0)
        for k, label in enumerate(res.labels):
            rows.append({"config": label, "rule": res.specs[k], "cost_bps": res.cost_bps[k], "regime": name,
                         "days": n, "share_of_days": n / len(reg), "tracking_error": te[k], "cost_per_year": cost[k],
                         "turnover_per_year": turn[k], "rebalances": int(reb[k])})
    return pd.DataFrame(rows)
