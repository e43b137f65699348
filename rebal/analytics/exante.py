"""Ex-ante risk of a set of weights: volatility, beta, tracking error and where the risk sits.

Pure functions on weights (a Series indexed by ticker, fractions of portfolio value, ``CASH``
included or not) and a **daily** covariance (:mod:`rebal.analytics.covariance`). Assets missing
from the covariance, cash among them, are riskless: zero variance and zero covariance. Every
volatility figure is annualised with :data:`~rebal.analytics.measures.PERIODS_PER_YEAR` (252).

Formulas (w the weights, Σ the daily covariance, P = 252)
---------------------------------------------------------
- volatility: σ_p = sqrt(P · wᵀΣw);
- marginal contribution (the gradient of σ_p): m_i = ∂σ_p/∂w_i = P · (Σw)_i / σ_p;
- Euler risk contribution: RC_i = w_i · m_i, so that Σ_i RC_i = σ_p exactly (σ_p is homogeneous
  of degree one in w); the share RC_i / σ_p sums to one and can be negative for a hedge. This is
  Riskfolio-Lib's and skfolio's definition of the risk contribution for the standard deviation;
- contributions of a group (a sector) are the sums of its assets' contributions;
- concentration: the inverse Herfindahl index of the risk shares, N = 1 / Σ_i (RC_i / σ_p)², the
  number of equal risk contributors that would give the same concentration (1 for a single
  source of risk, n for n equal contributors). Not Meucci's principal-component "effective number
  of bets": these are asset bets, not uncorrelated ones;
- beta of an asset: OLS slope cov(r_i, r_b) / var(r_b) on daily returns; of a portfolio: Σ_i w_i β_i;
- tracking error to a reference (the target): sqrt(P · (w − t)ᵀΣ(w − t)),
  :func:`rebal.analytics.risk.tracking_error`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.analytics.risk import tracking_error

__all__ = ["ExAnteRisk", "portfolio_volatility", "risk_contributions", "group_contributions", "inverse_hhi",
           "asset_betas", "portfolio_beta", "exante_risk"]


def _aligned(weights: pd.Series, cov: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """(labels, weights, daily covariance) over the weights' labels; unknown labels are riskless."""
    idx = pd.Index(weights.index)
    c = cov.reindex(index=idx, columns=idx).fillna(0.0).to_numpy(float)
    return idx, weights.to_numpy(float), c


def portfolio_volatility(weights: pd.Series, cov: pd.DataFrame, *, periods_per_year: int = PERIODS_PER_YEAR
                         ) -> float:
    """Annualised volatility sqrt(P · wᵀΣw) of ``weights`` under the daily covariance ``cov`` (fraction)."""
    _, w, c = _aligned(weights, cov)
    return float(np.sqrt(max(float(w @ c @ w), 0.0) * periods_per_year))


def risk_contributions(weights: pd.Series, cov: pd.DataFrame, *, periods_per_year: int = PERIODS_PER_YEAR
                       ) -> pd.DataFrame:
    """Euler decomposition of the annualised volatility by asset.

    Parameters
    ----------
    weights
        Fractions of portfolio value by ticker (``CASH`` may be included: it contributes nothing).
    cov
        Daily covariance; tickers missing from it are riskless.
    periods_per_year
        Annualisation factor P (252).

    Returns
    -------
    One row per ticker of ``weights``, columns ``weight``, ``marginal`` (∂σ_p/∂w_i, annualised
    volatility per unit of weight), ``contribution`` (w_i · marginal, in annualised volatility;
    they sum to σ_p) and ``share`` (contribution / σ_p, summing to one; NaN when σ_p is 0).
    """
    idx, w, c = _aligned(weights, cov)
    sw = c @ w
    var = float(w @ sw)
    vol = np.sqrt(max(var, 0.0) * periods_per_year)
    if vol > 0:
        marginal = periods_per_year * sw / vol
        contrib = w * marginal
        share = contrib / vol
    else:  # nothing at risk: no gradient direction worth reporting
        marginal = np.zeros_like(w)
        contrib = np.zeros_like(w)
        share = np.full_like(w, np.nan)
    return pd.DataFrame({"weight": w, "marginal": marginal, "contribution": contrib, "share": share},
                        index=pd.Index(idx, name="asset"))


def group_contributions(contributions: pd.DataFrame, groups: Mapping[str, str], *, other: str = "unclassified"
                        ) -> pd.DataFrame:
    """Sum an asset table of :func:`risk_contributions` by group (e.g. GICS sector).

    Parameters
    ----------
    contributions
        Output of :func:`risk_contributions`.
    groups
        Ticker -> group name; tickers not in it go to ``other``.
    other
        Group of unmapped tickers.

    Returns
    -------
    One row per group (sorted by contribution, largest first) with the summed ``weight``,
    ``contribution`` and ``share``.
    """
    key = [groups.get(a, other) for a in contributions.index]
    out = contributions[["weight", "contribution", "share"]].groupby(pd.Index(key, name="group"), sort=False).sum(
        min_count=1)
    return out.sort_values("contribution", ascending=False)


def inverse_hhi(shares: pd.Series | np.ndarray) -> float:
    """Inverse Herfindahl index 1 / Σ s_i² of shares that sum to one (NaN when every share is 0 or NaN)."""
    s = np.asarray(shares, float)
    s = s[np.isfinite(s)]
    h = float((s ** 2).sum())
    return 1.0 / h if h > 0 else float("nan")


def asset_betas(returns: pd.DataFrame, benchmark: pd.Series) -> pd.Series:
    """OLS betas cov(r_i, r_b) / var(r_b) of each column of ``returns`` to ``benchmark`` (aligned daily returns).

    Both moments use the same ``T − 1`` divisor, so the ratio is the OLS slope with a constant.
    Rows with a missing value in ``benchmark`` or in a column are dropped for that column.
    """
    out = {}
    for col in returns.columns:
        df = pd.concat([returns[col], benchmark], axis=1).dropna()
        x, b = df.iloc[:, 0].to_numpy(float), df.iloc[:, 1].to_numpy(float)
        if len(df) < 2 or np.var(b) == 0:
            out[col] = float("nan")
            continue
        out[col] = float(np.cov(x, b, ddof=1)[0, 1] / np.var(b, ddof=1))
    return pd.Series(out, name="beta", dtype=float)


def portfolio_beta(weights: pd.Series, betas: pd.Series) -> float:
    """Σ_i w_i β_i; assets without a beta (cash) count as zero-beta."""
    return float((weights * betas.reindex(weights.index).fillna(0.0)).sum())


@dataclass(frozen=True)
class ExAnteRisk:
    """Ex-ante risk of one set of weights (fractions; volatilities annualised)."""

    #: σ_p, annualised (fraction)
    volatility: float
    #: Σ w_i β_i to the benchmark
    beta: float
    #: annualised tracking error to the reference weights (NaN without a reference)
    tracking_error: float
    #: inverse HHI of the risk shares
    effective_bets: float
    #: inverse HHI of the invested weights (for comparison: the effective number of positions)
    effective_positions: float
    #: :func:`risk_contributions` by asset
    contributions: pd.DataFrame

    @property
    def largest(self) -> str:
        """The asset with the largest risk contribution ("" when nothing is at risk)."""
        c = self.contributions["contribution"]
        return str(c.idxmax()) if len(c) and self.volatility > 0 else ""


def exante_risk(weights: pd.Series, cov: pd.DataFrame, betas: pd.Series, *, reference: pd.Series | None = None,
                cash: str = "CASH", periods_per_year: int = PERIODS_PER_YEAR) -> ExAnteRisk:
    """Volatility, beta, tracking error, contributions and concentration of ``weights``.

    Parameters
    ----------
    weights
        Fractions of portfolio value by ticker (``cash`` included or not).
    cov
        Daily covariance of the risky assets.
    betas
        Each asset's beta to the benchmark (:func:`asset_betas`).
    reference
        Weights to measure the tracking error against (the target); None gives NaN.
    cash
        Label of cash (excluded from the effective number of positions).
    periods_per_year
        Annualisation factor (252).
    """
    rc = risk_contributions(weights, cov, periods_per_year=periods_per_year)
    vol = portfolio_volatility(weights, cov, periods_per_year=periods_per_year)
    te = float("nan")
    if reference is not None:
        idx = weights.index.union(reference.index)
        diff = weights.reindex(idx).fillna(0.0) - reference.reindex(idx).fillna(0.0)
        te = tracking_error(diff, cov, periods_per_year=periods_per_year)
    invested = weights.drop(cash, errors="ignore")
    total = float(invested.sum())
    positions = inverse_hhi(invested / total) if total > 0 else float("nan")
    return ExAnteRisk(volatility=vol, beta=portfolio_beta(weights, betas), tracking_error=te,
                      effective_bets=inverse_hhi(rc["share"]), effective_positions=positions, contributions=rc)
