"""Performance, cost and market-regime measures: one home for each formula used across rebal.

Pure functions; they take numpy arrays or pandas objects and keep the caller's type (a
DataFrame gives a Series per column, an array gives an array per column, a Series a float).
Returns are daily simple returns; a year is :data:`PERIODS_PER_YEAR` = 252 NYSE sessions.

Formulas
--------
- annualisation (i.i.d. daily returns): σ_annual = σ_daily · sqrt(252), variance and covariance
  x 252, arithmetic mean return x 252 (not compounded);
- Sharpe ratio: S = mean(r - r_f / 252) / std(r) · sqrt(252), with r_f the *annual* risk-free
  rate (0 by default) and the sample standard deviation (ddof = 1); NaN when std(r) is 0;
- maximum drawdown: min_t (V_t / max_{s <= t} V_s - 1), a **negative** fraction (-0.25 for a
  25 % fall from a running peak; 0 when the path never falls);
- square-root market impact: Y · σ_daily · sqrt(|trade| / ADV), a **fraction** of the traded
  value (x 1e4 for bps), Y the impact coefficient (about 0.6), ADV in the trade's currency;
- VIX regime: normal below ``elevated``, elevated from ``elevated`` up to ``stress``, stress
  from ``stress`` on (VIX points; a missing VIX counts as normal); each regime has a widening
  multiplier for drift thresholds, given by the caller (the profile's ``planner`` section).
"""
from __future__ import annotations

from typing import Sequence, TypeVar

import numpy as np
import pandas as pd

__all__ = ["PERIODS_PER_YEAR", "REGIMES", "annualise_vol", "annualise_variance", "annualise_return", "sharpe_ratio",
           "max_drawdown", "square_root_impact", "vix_regime", "regime_widening", "classify_vix"]

#: NYSE sessions in a year: the annualisation factor of daily figures.
PERIODS_PER_YEAR = 252
#: Regime names by code (0, 1, 2) as :func:`vix_regime` returns them.
REGIMES = ("normal", "elevated", "stress")

T = TypeVar("T", float, np.ndarray, pd.Series, pd.DataFrame)


def annualise_vol(sigma_daily: T, periods_per_year: int = PERIODS_PER_YEAR) -> T:
    """Annualise a daily standard deviation: σ_annual = σ_daily · sqrt(periods_per_year).

    Parameters
    ----------
    sigma_daily
        Standard deviation of daily returns (fraction, 0.01 = 1 % a day).
    periods_per_year
        Sessions per year (252).

    Returns
    -------
    The annualised volatility (fraction a year), of the type of ``sigma_daily``.
    """
    return sigma_daily * np.sqrt(periods_per_year)


def annualise_variance(var_daily: T, periods_per_year: int = PERIODS_PER_YEAR) -> T:
    """Annualise a daily variance or covariance matrix: var_daily · periods_per_year.

    Parameters
    ----------
    var_daily
        Variance or covariance of daily returns (fraction squared).
    periods_per_year
        Sessions per year (252).

    Returns
    -------
    The annual variance or covariance, of the type of ``var_daily``.
    """
    return var_daily * periods_per_year


def annualise_return(mean_daily: T, periods_per_year: int = PERIODS_PER_YEAR) -> T:
    """Annualise a daily mean return arithmetically: mean_daily · periods_per_year (not compounded).

    Parameters
    ----------
    mean_daily
        Mean daily simple return (fraction).
    periods_per_year
        Sessions per year (252).

    Returns
    -------
    The annual arithmetic mean return (fraction a year), of the type of ``mean_daily``.
    """
    return mean_daily * periods_per_year


def sharpe_ratio(returns: np.ndarray | pd.Series | pd.DataFrame, *, risk_free_rate: float = 0.0,
                 periods_per_year: int = PERIODS_PER_YEAR) -> float | np.ndarray | pd.Series:
    """Compute the annualised Sharpe ratio of daily returns, column by column.

    Parameters
    ----------
    returns
        Daily simple returns (fractions): an array (T,) or (T, K), a Series, or a DataFrame (one
        column per asset or path). NaN is not skipped for arrays; pandas skips it.
    risk_free_rate
        Annual risk-free rate (fraction); ``risk_free_rate / periods_per_year`` is taken off
        every daily return.
    periods_per_year
        Sessions per year (252).

    Returns
    -------
    mean(r - r_f / P) / std(r, ddof=1) · sqrt(P): a float for a Series, a Series for a
    DataFrame, an array for an array; NaN where the standard deviation is not positive.
    """
    sd = returns.std(axis=0, ddof=1)
    mean = (returns - risk_free_rate / periods_per_year).mean(axis=0)
    scale = np.sqrt(periods_per_year)
    if isinstance(returns, pd.DataFrame):
        return (mean / sd * scale).where(sd > 0)
    if isinstance(returns, pd.Series):
        return float(mean / sd * scale) if sd > 0 else float("nan")
    ok = sd > 0
    return np.where(ok, mean / np.where(ok, sd, 1.0) * scale, np.nan)


def max_drawdown(values: np.ndarray | pd.Series | pd.DataFrame) -> float | np.ndarray | pd.Series:
    """Compute the largest fall of a value path from its running peak, as a **negative** fraction.

    Parameters
    ----------
    values
        Positive values (a portfolio's value or a price), oldest first, along axis 0. Include the
        starting value (e.g. 1) as the first row when a fall from it counts.

    Returns
    -------
    min_t (V_t / max_{s <= t} V_s - 1): -0.25 for a 25 % fall, 0.0 when the path never falls;
    one per column for 2-D input.
    """
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return (values / values.cummax() - 1.0).min()
    v = np.asarray(values, dtype=float)
    return (v / np.maximum.accumulate(v, axis=0) - 1.0).min(axis=0)


def square_root_impact(trade_value: T, dollar_adv: T, sigma_daily: T, *, coefficient: float) -> T:
    """Estimate square-root market impact Y · σ_daily · sqrt(|trade| / ADV), a fraction of the traded value.

    Parameters
    ----------
    trade_value
        Traded value (signed or not; its absolute value is used), same currency as ``dollar_adv``.
    dollar_adv
        Average daily traded value (the day's, or a 20-day average).
    sigma_daily
        Daily volatility of the asset's returns (fraction).
    coefficient
        The impact coefficient Y (about 0.6 in the literature; the profile's
        ``planner.impact_coefficient``).

    Returns
    -------
    The impact cost per unit traded (multiply by 1e4 for bps).
    """
    return coefficient * sigma_daily * np.sqrt(np.abs(trade_value) / dollar_adv)


def vix_regime(vix: float | Sequence[float] | np.ndarray, *, elevated: float, stress: float) -> np.ndarray:
    """Classify each VIX level: 0 normal (< ``elevated``), 1 elevated (< ``stress``), 2 stress.

    Parameters
    ----------
    vix
        VIX level(s) in VIX points (annualised implied volatility x 100, e.g. 25.3); NaN counts as
        normal.
    elevated, stress
        Regime boundaries in VIX points, ``elevated`` < ``stress`` (the profile's
        ``planner.elevated_vix`` and ``planner.stress_vix``).

    Returns
    -------
    ``int8`` regime codes of the shape of ``vix``; names are :data:`REGIMES`.
    """
    v = np.nan_to_num(np.asarray(vix, float), nan=0.0)
    return (v >= elevated).astype(np.int8) + (v >= stress).astype(np.int8)


def regime_widening(codes: int | np.ndarray, widening: Sequence[float]) -> np.ndarray:
    """Look up the drift-threshold multiplier of each regime code: ``widening[code]``.

    Parameters
    ----------
    codes
        Regime code(s) from :func:`vix_regime` (0 normal, 1 elevated, 2 stress).
    widening
        Three multipliers (unitless), normal, elevated and stress, e.g. ``(1.0, 1.2, 1.5)``.

    Returns
    -------
    The multiplier of each code (float array of the shape of ``codes``).
    """
    if len(widening) != len(REGIMES):
        raise ValueError(f"`widening`: need {len(REGIMES)} multipliers (normal, elevated, stress), "
                         f"found {len(widening)}")
    return np.asarray(widening, float)[codes]


def classify_vix(vix: float, *, elevated: float, stress: float, widening: Sequence[float]) -> tuple[str, float]:
    """Return the (regime name, threshold widening multiplier) of one VIX level (in VIX points).

    ``elevated`` and ``stress`` are VIX points and ``widening`` three unitless multipliers, as in
    :func:`vix_regime` and :func:`regime_widening`.
    """
    code = int(vix_regime(vix, elevated=elevated, stress=stress))
    return REGIMES[code], float(regime_widening(code, widening))
