r"""Portfolio weights, drift and the drift status (pure functions).

Definitions (weights are fractions of total portfolio value, cash included as ``CASH``):

.. math::

    d_i = w^{actual}_i - w^{target}_i, \qquad
    D = \tfrac12 \sum_i |d_i|

``D`` (portfolio drift) is also the one-way turnover needed to trade back to target. Status:

- ``URGENT`` when D > ``urgent`` (default 20 %) or max_i |d_i| > ``single_asset_urgent`` (7.5 points);
- ``REBALANCE`` when D > ``rebalance`` (default 10 %);
- ``MAINTAIN`` otherwise.

Comparisons are strict ("above 10 %"): a drift of exactly 10 % is MAINTAIN. They allow
:data:`COMPARE_EPS` of floating-point noise so that a drift that is 10 % on paper but
0.10000000000000002 in binary stays MAINTAIN.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH

__all__ = [
    "COMPARE_EPS",
    "Status",
    "DriftResult",
    "weights_from_holdings",
    "asset_drift",
    "portfolio_drift",
    "drift_status",
    "drift_table",
    "drift_path",
    "drift_split",
]

COMPARE_EPS = 1e-12


class Status(str, Enum):
    """Drift status of a portfolio, ordered by severity."""

    MAINTAIN = "MAINTAIN"
    REBALANCE = "REBALANCE"
    URGENT = "URGENT"

    @property
    def emoji(self) -> str:
        """Terminal badge."""
        return {"MAINTAIN": "✅", "REBALANCE": "⚠️", "URGENT": "🚨"}[self.value]

    @property
    def meaning(self) -> str:
        """One-line meaning for readers."""
        return {
            "MAINTAIN": "healthy alignment: no action needed",
            "REBALANCE": "strategic drift: plan a rebalance",
            "URGENT": "large drift: rebalance now",
        }[self.value]


@dataclass(frozen=True)
class DriftResult:
    """Outcome of :func:`drift_status`.

    Attributes
    ----------
    status
        MAINTAIN, REBALANCE or URGENT.
    portfolio_drift
        Half the sum of absolute drifts (fraction of portfolio value).
    max_abs_drift
        Largest single-asset absolute drift (fraction).
    max_drift_asset
        The asset with the largest absolute drift.
    reasons
        Human-readable reasons for the status, one per rule that fired.
    """

    status: Status
    portfolio_drift: float
    max_abs_drift: float
    max_drift_asset: str
    reasons: tuple[str, ...]


def weights_from_holdings(shares: pd.Series, prices: pd.Series, cash: float = 0.0) -> pd.Series:
    """Compute the weight of each position (and ``CASH``) in total portfolio value.

    Parameters
    ----------
    shares
        Shares held, indexed by ticker.
    prices
        Price per share, indexed by ticker; must cover every held ticker.
    cash
        Cash in the same currency as prices.

    Returns
    -------
    Series of weights summing to 1, indexed by ticker, plus ``CASH`` when cash is non-zero.
    """
    missing = sorted(set(shares.index) - set(prices.dropna().index))
    if missing:
        raise ValueError(f"no price for held ticker(s): {', '.join(missing)}")
    values = shares.astype(float) * prices.reindex(shares.index).astype(float)
    if cash:
        values = pd.concat([values, pd.Series({CASH: float(cash)})])
    total = float(values.sum())
    if not np.isfinite(total) or total <= 0:
        raise ValueError(f"portfolio value must be positive, found {total}")
    return (values / total).rename("weight")


def asset_drift(actual: pd.Series, target: pd.Series) -> pd.Series:
    """Compute the per-asset drift ``actual - target`` over the union of assets (missing weights are 0).

    Parameters
    ----------
    actual, target
        Weights by ticker (fractions of portfolio value).

    Returns
    -------
    Drift by ticker in weight points (fractions; 0.02 = 2 points), named ``drift``.
    """
    idx = actual.index.union(target.index, sort=False)
    return (actual.reindex(idx, fill_value=0.0) - target.reindex(idx, fill_value=0.0)).rename("drift")


def portfolio_drift(actual: pd.Series, target: pd.Series) -> float:
    """Compute portfolio drift: half the L1 distance between actual and target weights.

    Parameters
    ----------
    actual, target
        Weights by ticker (fractions of portfolio value).

    Returns
    -------
    D = ½ Σ |d_i|, a fraction of portfolio value (also the one-way turnover back to target).
    """
    return 0.5 * float(asset_drift(actual, target).abs().sum())


def drift_status(
    actual: pd.Series,
    target: pd.Series,
    *,
    rebalance: float = 0.10,
    urgent: float = 0.20,
    single_asset_urgent: float = 0.075,
) -> DriftResult:
    """Classify drift as MAINTAIN, REBALANCE or URGENT (rules in the module docstring).

    Parameters
    ----------
    actual, target
        Weights by ticker (fractions of portfolio value).
    rebalance, urgent
        Portfolio-drift thresholds (fractions of portfolio value, strict "above").
    single_asset_urgent
        Absolute single-asset drift beyond which the status is URGENT (fraction, 0.075 = 7.5 points).

    Returns
    -------
    The :class:`DriftResult`.
    """
    d = asset_drift(actual, target)
    pd_ = 0.5 * float(d.abs().sum())
    absd = d.abs()
    worst = str(absd.idxmax()) if len(absd) else ""
    mx = float(absd.max()) if len(absd) else 0.0
    reasons = []
    if pd_ > urgent + COMPARE_EPS:
        reasons.append(f"portfolio drift {pd_:.2%} > urgent threshold {urgent:.2%}")
    if mx > single_asset_urgent + COMPARE_EPS:
        reasons.append(f"{worst} drifts {d[worst]:+.2%} (beyond ±{single_asset_urgent:.2%})")
    if reasons:
        status = Status.URGENT
    elif pd_ > rebalance + COMPARE_EPS:
        status = Status.REBALANCE
        reasons.append(f"portfolio drift {pd_:.2%} > rebalance threshold {rebalance:.2%}")
    else:
        status = Status.MAINTAIN
        reasons.append(
            f"portfolio drift {pd_:.2%} <= {rebalance:.2%} and every asset within ±{single_asset_urgent:.2%}"
        )
    return DriftResult(status, pd_, mx, worst, tuple(reasons))


def drift_table(actual: pd.Series, target: pd.Series, *, single_asset_urgent: float = 0.075) -> pd.DataFrame:
    """Tabulate per-asset weights and drift, sorted by absolute drift, largest first.

    Parameters
    ----------
    actual, target
        Weights by ticker (fractions of portfolio value).
    single_asset_urgent
        Single-asset urgent drift band (fraction).

    Returns
    -------
    Frame indexed by ``asset`` with ``actual``, ``target``, ``drift`` (fractions) and ``beyond_band``
    (|drift| beyond the single-asset urgent band; "breach" is kept for hard limits).
    """
    d = asset_drift(actual, target)
    idx = d.index
    out = pd.DataFrame({
        "actual": actual.reindex(idx, fill_value=0.0),
        "target": target.reindex(idx, fill_value=0.0),
        "drift": d,
    })
    out["beyond_band"] = out["drift"].abs() > single_asset_urgent + COMPARE_EPS
    out.index.name = "asset"
    return out.iloc[np.argsort(-out["drift"].abs().to_numpy(), kind="stable")]


def drift_path(shares: pd.Series, prices: pd.DataFrame, cash: float, reference: pd.Series) -> pd.Series:
    """Portfolio drift of fixed holdings against ``reference`` weights, day by day.

    Parameters
    ----------
    shares
        Shares held (unchanged over the path), by ticker.
    prices
        Closes, dates x tickers, covering the held tickers.
    cash
        Cash held over the path.
    reference
        Weights to measure drift against (e.g. the weights at implementation, or the target).

    Returns
    -------
    Portfolio drift (fraction of portfolio value) by date, named ``portfolio_drift``.
    """
    values = prices[shares.index].mul(shares, axis=1)
    if cash:
        values[CASH] = float(cash)
    weights = values.div(values.sum(axis=1), axis=0)
    cols = weights.columns.union(reference.index, sort=False)
    w = weights.reindex(columns=cols, fill_value=0.0)
    ref = reference.reindex(cols, fill_value=0.0)
    return (0.5 * (w - ref).abs().sum(axis=1)).rename("portfolio_drift")


def drift_split(actual: pd.Series, implemented: pd.Series, target: pd.Series) -> tuple[float, float]:
    r"""Split the portfolio drift against ``target`` into what prices did and what the target's move did.

    With a the weights today, l those implemented last time and t today's target, and s_i the sign of
    a_i − t_i, the drift D = ½ Σ|a_i − t_i| = ½ Σ s_i (a_i − l_i) + ½ Σ s_i (l_i − t_i): the first part
    is the prices' (the holdings moved from l to a), the second the target's (it moved from l to t).
    The parts add up to D exactly; a part is negative when that move brought the book closer to the
    target. (The distances ½ Σ|a − l| and ½ Σ|l − t| do not add up to D: they are not parts of it.)

    Returns
    -------
    (prices' part, target's part), fractions of portfolio value.
    """
    idx = actual.index.union(implemented.index, sort=False).union(target.index, sort=False)
    a, l_, t = (w.reindex(idx, fill_value=0.0).astype(float) for w in (actual, implemented, target))
    s = np.sign(a - t)
    return 0.5 * float((s * (a - l_)).sum()), 0.5 * float((s * (l_ - t)).sum())
