"""Value at risk and expected shortfall of daily returns: historical, normal and Cornish-Fisher.

Sign convention: VaR and ES are **losses**, positive fractions of portfolio value (0.02 = a 2 %
loss), at a confidence ``level`` β (0.99 for 99 %). Returns are daily simple returns; a
``horizon`` of h days scales the 1-day figure by sqrt(h) (the square-root-of-time rule of the
Basel market-risk framework; it assumes independent days, which two years of data cannot
contradict for 10-day tails).

Formulas (losses L = −r over T days; z_q = Φ⁻¹(q); φ, Φ the standard normal pdf and cdf)
-------------------------------------------------------------------------------------------
- historical VaR: the lower β-quantile of the empirical loss distribution,
  VaR = inf{ℓ : F_L(ℓ) ≥ β} = L_(⌈βT⌉) (ascending order), as skfolio's ``value_at_risk``;
- historical ES (Rockafellar & Uryasev 2002): ES = VaR + Σ_t (L_t − VaR)⁺ / ((1 − β) T), the mean
  of the ``(1 − β) T`` largest losses when that is a whole number, as skfolio's ``cvar``;
- normal: VaR = −(μ + z σ), ES = −μ + σ φ(z) / (1 − β), with z = z_{1−β}, μ the mean and σ the
  sample standard deviation (ddof = 1);
- Cornish-Fisher (modified VaR, Zangari 1996; Favre & Galeano 2002): the normal quantile is
  corrected for skewness S and excess kurtosis K (moment estimators, m₃ / m₂^1.5 and m₄ / m₂² − 3),
  z_cf = z + (z² − 1) S / 6 + (z³ − 3z) K / 24 − (2z³ − 5z) S² / 36, VaR = −(μ + z_cf σ);
  ES = −(μ + σ E[z_cf(Z) | Z ≤ z]), the expansion averaged over the normal tail with
  E[Z | Z ≤ q] = −φ(q)/Φ(q), E[Z² | Z ≤ q] = 1 − q φ(q)/Φ(q), E[Z³ | Z ≤ q] = −(q² + 2) φ(q)/Φ(q).
  The expansion is a good approximation for moderate S and K only; it is not monotone for
  extreme ones.
"""
from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd

__all__ = ["VarMethod", "VAR_METHODS", "VAR_LABELS", "Moments", "moments", "historical_var", "historical_es",
           "normal_var", "normal_es", "cornish_fisher_z", "cornish_fisher_var", "cornish_fisher_es", "var_es",
           "var_table"]

VarMethod = Literal["historical", "normal", "cornish_fisher"]
#: Methods of :func:`var_es`, in report order.
VAR_METHODS: tuple[str, ...] = typing.get_args(VarMethod)
#: How a report names each method.
VAR_LABELS = {"historical": "historical", "normal": "parametric, normal",
              "cornish_fisher": "parametric, Cornish-Fisher"}
_TIE = 1e-9  # a confidence level times T that is a whole number up to rounding is that whole number


def _norm():
    """Return scipy's standard normal, imported on first use (profile loading imports this module for its names)."""
    from scipy.stats import norm

    return norm


def _level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"`level`: confidence level must be in (0, 1), found {level}")
    return float(level)


def _clean(returns: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    r = np.asarray(returns, float)
    r = r[np.isfinite(r)]
    if r.size == 0:
        raise ValueError("`returns`: no finite returns")
    return r


@dataclass(frozen=True)
class Moments:
    """Mean, standard deviation (ddof = 1), skewness and excess kurtosis (moment estimators) of daily returns."""

    mean: float
    std: float
    skew: float
    excess_kurtosis: float
    n: int


def moments(returns: Sequence[float] | np.ndarray | pd.Series) -> Moments:
    """Return the :class:`Moments` of ``returns`` (NaN skipped)."""
    r = _clean(returns)
    d = r - r.mean()
    m2, m3, m4 = (d ** 2).mean(), (d ** 3).mean(), (d ** 4).mean()
    skew = float(m3 / m2 ** 1.5) if m2 > 0 else 0.0
    kurt = float(m4 / m2 ** 2 - 3.0) if m2 > 0 else 0.0
    std = float(r.std(ddof=1)) if r.size > 1 else 0.0
    return Moments(float(r.mean()), std, skew, kurt, int(r.size))


def historical_var(returns: Sequence[float] | np.ndarray | pd.Series, level: float) -> float:
    """Historical VaR at ``level``: the ⌈βT⌉-th smallest loss (see the module docstring); NaN skipped."""
    b = _level(level)
    losses = np.sort(-_clean(returns))
    j = math.ceil(b * losses.size - _TIE)
    return float(losses[max(j, 1) - 1])


def historical_es(returns: Sequence[float] | np.ndarray | pd.Series, level: float) -> float:
    """Historical expected shortfall (CVaR) at ``level``, Rockafellar-Uryasev; NaN skipped."""
    b = _level(level)
    losses = -_clean(returns)
    v = historical_var(-losses, b)
    return float(v + np.clip(losses - v, 0.0, None).sum() / ((1.0 - b) * losses.size))


def normal_var(mean: float, std: float, level: float) -> float:
    """Return the normal VaR −(μ + z_{1−β} σ) of one day (positive = loss)."""
    return float(-(mean + _norm().ppf(1.0 - _level(level)) * std))


def normal_es(mean: float, std: float, level: float) -> float:
    """Return the normal expected shortfall −μ + σ φ(z_{1−β}) / (1 − β) of one day (positive = loss)."""
    b, norm = _level(level), _norm()
    return float(-mean + std * norm.pdf(norm.ppf(1.0 - b)) / (1.0 - b))


def cornish_fisher_z(z: float | np.ndarray, skew: float, excess_kurtosis: float) -> float | np.ndarray:
    """Return the Cornish-Fisher quantile z + (z²−1)S/6 + (z³−3z)K/24 − (2z³−5z)S²/36 of a normal quantile ``z``."""
    s, k = skew, excess_kurtosis
    return z + (z ** 2 - 1) * s / 6 + (z ** 3 - 3 * z) * k / 24 - (2 * z ** 3 - 5 * z) * s ** 2 / 36


def cornish_fisher_var(mean: float, std: float, skew: float, excess_kurtosis: float, level: float) -> float:
    """Cornish-Fisher (modified) VaR −(μ + z_cf σ) of one day (positive = loss)."""
    z = _norm().ppf(1.0 - _level(level))
    return float(-(mean + cornish_fisher_z(z, skew, excess_kurtosis) * std))


def cornish_fisher_es(mean: float, std: float, skew: float, excess_kurtosis: float, level: float) -> float:
    """Cornish-Fisher expected shortfall −(μ + σ E[z_cf(Z) | Z ≤ z_{1−β}]) of one day (positive = loss)."""
    b, norm = _level(level), _norm()
    q = norm.ppf(1.0 - b)
    ratio = norm.pdf(q) / (1.0 - b)
    m1, m2, m3 = -ratio, 1.0 - q * ratio, -(q ** 2 + 2.0) * ratio
    s, k = skew, excess_kurtosis
    tail = m1 + (m2 - 1.0) * s / 6 + (m3 - 3 * m1) * k / 24 - (2 * m3 - 5 * m1) * s ** 2 / 36
    return float(-(mean + std * tail))


def var_es(returns: Sequence[float] | np.ndarray | pd.Series, *, level: float, method: VarMethod = "historical",
           horizon: int = 1) -> tuple[float, float]:
    """(VaR, ES) of ``returns`` at ``level`` by ``method`` over ``horizon`` days (positive = loss).

    Parameters
    ----------
    returns
        Daily simple returns of the portfolio (NaN skipped).
    level
        Confidence level β in (0, 1).
    method
        ``"historical"``, ``"normal"`` or ``"cornish_fisher"`` (module docstring).
    horizon
        Days; the 1-day figures are multiplied by sqrt(horizon).
    """
    if method not in VAR_METHODS:
        raise ValueError(f"`method`: unknown VaR method {method!r}; valid: {', '.join(VAR_METHODS)}")
    if horizon < 1:
        raise ValueError(f"`horizon`: must be >= 1 day, found {horizon}")
    if method == "historical":
        v, e = historical_var(returns, level), historical_es(returns, level)
    else:
        m = moments(returns)
        if method == "normal":
            v, e = normal_var(m.mean, m.std, level), normal_es(m.mean, m.std, level)
        else:
            v = cornish_fisher_var(m.mean, m.std, m.skew, m.excess_kurtosis, level)
            e = cornish_fisher_es(m.mean, m.std, m.skew, m.excess_kurtosis, level)
    scale = math.sqrt(horizon)
    return v * scale, e * scale


def var_table(returns: Sequence[float] | np.ndarray | pd.Series, *, levels: Sequence[float] = (0.95, 0.99),
              horizons: Sequence[int] = (1, 10), methods: Sequence[str] = VAR_METHODS) -> pd.DataFrame:
    """VaR and ES for every method x level x horizon.

    Returns
    -------
    Columns ``method``, ``level``, ``horizon_days``, ``var``, ``es`` (losses, fractions of value),
    one row per combination, methods in the order given.
    """
    rows = []
    for method in methods:
        for level in levels:
            for h in horizons:
                v, e = var_es(returns, level=level, method=method, horizon=h)  # type: ignore[arg-type]
                rows.append({"method": method, "level": float(level), "horizon_days": int(h), "var": v, "es": e})
    return pd.DataFrame(rows)
