"""Transaction costs of rebalancing trades, in basis points, with flagged fallbacks.

Per asset: cost_bps = spread_bps + commission_bps + impact_bps, with impact from the square-root
law: impact = Y · σ_daily · sqrt(|trade| / ADV) (Y about 0.6; σ_daily the daily volatility; ADV
in dollars). The rebalancing cost is Σ |trade_i| · cost_bps_i / 10,000 / portfolio value (a
fraction of portfolio value).

Fallbacks, each reported in ``flags`` so readers see what was estimated:

- no cost data: 20 / 50 / 100 bps for large / mid / small caps ("estimated costs");
- no spread: 5 / 10 / 20 bps by the same buckets ("estimated spread");
- size bucket from dollar ADV when market caps are unknown: >= $500M large, >= $50M mid, else small;
- cost estimates older than ``stale_after_days`` (30) are flagged "stale costs".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rebal.analytics.measures import square_root_impact

__all__ = ["CostModel", "DEFAULT_COST_BPS", "DEFAULT_SPREAD_BPS", "ADV_DAYS", "VOL_DAYS", "size_bucket", "impact_bps",
           "estimate_costs", "rebalancing_cost", "liquidity_inputs", "cost_coefficients"]

#: sessions of the dollar ADV and of the daily volatility behind the impact model (planner and proposal alike)
ADV_DAYS, VOL_DAYS = 20, 60

DEFAULT_COST_BPS = {"large": 20.0, "mid": 50.0, "small": 100.0}
DEFAULT_SPREAD_BPS = {"large": 5.0, "mid": 10.0, "small": 20.0}


@dataclass(frozen=True)
class CostModel:
    """Cost parameters of :func:`estimate_costs`.

    Attributes
    ----------
    commission_bps
        Commission in basis points of the traded value.
    impact_coefficient
        Square-root impact coefficient Y (unitless, about 0.6).
    stale_after_days
        Calendar days after which a cost estimate is flagged stale.
    """

    commission_bps: float = 1.0
    impact_coefficient: float = 0.6
    stale_after_days: int = 30


def size_bucket(dollar_adv: pd.Series) -> pd.Series:
    """Bucket each asset as large (>= $500M ADV), mid (>= $50M) or small, by dollar average daily volume.

    Parameters
    ----------
    dollar_adv
        Average daily traded value in dollars, by ticker.

    Returns
    -------
    ``"large"``, ``"mid"`` or ``"small"`` by ticker.
    """
    return pd.Series(np.where(dollar_adv >= 5e8, "large", np.where(dollar_adv >= 5e7, "mid", "small")),
                     index=dollar_adv.index)


def impact_bps(trade_value: pd.Series, dollar_adv: pd.Series, sigma_daily: pd.Series,
               coefficient: float = 0.6) -> pd.Series:
    """Estimate square-root market impact Y · σ_daily · sqrt(|trade| / ADV), in bps.

    This is :func:`rebal.analytics.measures.square_root_impact` x 1e4.

    Parameters
    ----------
    trade_value
        Traded value per asset in dollars (sign ignored).
    dollar_adv
        Average daily traded value in dollars.
    sigma_daily
        Daily return volatility (fraction a day).
    coefficient
        Impact coefficient Y (unitless).

    Returns
    -------
    Impact in basis points of the traded value, by asset.
    """
    return square_root_impact(trade_value, dollar_adv, sigma_daily, coefficient=coefficient) * 1e4


def estimate_costs(
    trades: pd.Series,
    *,
    dollar_adv: pd.Series | None = None,
    sigma_daily: pd.Series | None = None,
    spread_bps: pd.Series | None = None,
    model: CostModel = CostModel(),
    estimated_on: date | None = None,
    as_of: date | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Estimate the cost per asset of trading ``trades``, falling back to flagged defaults.

    Parameters
    ----------
    trades
        Signed traded value per ticker in dollars (buys positive).
    dollar_adv, sigma_daily
        Average daily traded value (dollars) and daily return volatility (fraction a day) per
        ticker; the impact model needs both, else the size-bucket default costs apply.
    spread_bps
        Half-spread per ticker in bps; size-bucket defaults when None.
    model
        Commission (bps), impact coefficient and staleness limit.
    estimated_on, as_of
        Date of the cost inputs and of the run; flags the estimate stale when more than
        ``model.stale_after_days`` calendar days apart.

    Returns
    -------
    A frame by ticker with ``spread_bps``, ``commission_bps``, ``impact_bps``, ``cost_bps`` (bps of
    the traded value), ``cost_usd`` (dollars) and ``basis`` (``model`` or ``estimated``), and the
    list of fallback flags used.
    """
    flags: list[str] = []
    idx = trades.index
    have_liq = dollar_adv is not None and sigma_daily is not None
    if have_liq:
        adv = dollar_adv.reindex(idx)
        sig = sigma_daily.reindex(idx)
        bucket = size_bucket(adv.fillna(0.0))
    else:
        adv = sig = None
        bucket = pd.Series("large", index=idx)
    out = pd.DataFrame(index=idx)
    if spread_bps is None:
        out["spread_bps"] = bucket.map(DEFAULT_SPREAD_BPS).astype(float)
        flags.append("estimated spread: 5/10/20 bps by size bucket (no spread data)")
    else:
        out["spread_bps"] = spread_bps.reindex(idx).astype(float)
    out["commission_bps"] = model.commission_bps
    if have_liq and adv.notna().all() and sig.notna().all():
        out["impact_bps"] = impact_bps(trades, adv, sig, model.impact_coefficient)
        out["cost_bps"] = out["spread_bps"] + out["commission_bps"] + out["impact_bps"]
        out["basis"] = "model"
    else:
        out["impact_bps"] = np.nan
        out["cost_bps"] = bucket.map(DEFAULT_COST_BPS).astype(float)
        out["basis"] = "estimated"
        flags.append("estimated costs: 20/50/100 bps for large/mid/small caps (no liquidity data)")
    out["cost_usd"] = trades.abs() * out["cost_bps"] / 1e4
    if estimated_on is not None and as_of is not None and (as_of - estimated_on).days > model.stale_after_days:
        flags.append(f"stale costs: estimated on {estimated_on}, {(as_of - estimated_on).days} days before {as_of}")
    return out, flags


def rebalancing_cost(trades: pd.Series, cost_bps: pd.Series, portfolio_value: float) -> float:
    """Compute the cost of a rebalance as a fraction of portfolio value: Σ |trade_i| · cost_bps_i / 1e4 / value.

    Parameters
    ----------
    trades
        Signed traded value per ticker in dollars.
    cost_bps
        Cost per ticker in bps of the traded value (see :func:`estimate_costs`).
    portfolio_value
        Portfolio value in dollars.

    Returns
    -------
    The total cost as a fraction of portfolio value (0.001 = 10 bps).
    """
    return float((trades.abs() * cost_bps.reindex(trades.index)).sum() / 1e4 / portfolio_value)


def liquidity_inputs(closes: pd.DataFrame, volumes: pd.DataFrame, returns: pd.DataFrame
                     ) -> tuple[pd.Series | None, pd.Series | None]:
    """Dollar ADV over the last :data:`ADV_DAYS` sessions and daily volatility over the last :data:`VOL_DAYS`.

    The one definition of the cost model's inputs (the planner and the proposal both use it).

    Parameters
    ----------
    closes, volumes
        Closes and share volumes, dates x tickers (the last :data:`ADV_DAYS` rows are used).
    returns
        Daily simple returns, dates x tickers (the last :data:`VOL_DAYS` rows).

    Returns
    -------
    (dollar ADV, σ_daily) by ticker, or (None, None) when an asset lacks either (the size-bucket
    fallback of :func:`estimate_costs` applies then).
    """
    cols = list(closes.columns)
    adv = (volumes.reindex(columns=cols).iloc[-ADV_DAYS:] * closes.iloc[-ADV_DAYS:]).mean()
    sig = returns.reindex(columns=cols).iloc[-VOL_DAYS:].std(ddof=1)
    ok = bool(adv.notna().all() and (adv > 0).all() and sig.notna().all())
    return (adv, sig) if ok else (None, None)


def cost_coefficients(index: list[str], portfolio_value: float, *, dollar_adv: pd.Series | None = None,
                      sigma_daily: pd.Series | None = None, model: CostModel = CostModel()
                      ) -> tuple[pd.Series, pd.Series]:
    """Return the model of :func:`estimate_costs` in weight terms: cost = a_i |z_i| + b_i |z_i|^{3/2} of value.

    For a trade of z_i of the portfolio value V, :func:`estimate_costs` charges |z_i| V (spread + commission
    + impact) / 1e4 with impact = Y σ_i sqrt(|z_i| V / ADV_i); so a_i = (spread_i + commission) / 1e4 and
    b_i = Y σ_i sqrt(V / ADV_i). Without liquidity data a_i is the size-bucket estimate and b_i = 0.

    Returns
    -------
    (a, b) by ticker of ``index``.
    """
    idx = pd.Index(index)
    have = dollar_adv is not None and sigma_daily is not None
    if have:
        adv, sig = dollar_adv.reindex(idx), sigma_daily.reindex(idx)
        have = bool(adv.notna().all() and sig.notna().all())
    if not have:
        a = pd.Series(DEFAULT_COST_BPS["large"] / 1e4, index=idx)
        return a, pd.Series(0.0, index=idx)
    spread = size_bucket(adv.fillna(0.0)).map(DEFAULT_SPREAD_BPS).astype(float)
    a = (spread + model.commission_bps) / 1e4
    b = model.impact_coefficient * sig * np.sqrt(portfolio_value / adv)
    return a.astype(float), b.astype(float)
