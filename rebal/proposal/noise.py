"""The improvement figure of a proposal and its statistical noise (pure functions).

What is computed, and what it is called
---------------------------------------
Two daily return paths over the same window are compared: the projected one (the proposal) and
the baseline (the book as held). With Ŝ_p and Ŝ_b their annualised Sharpe ratios
(:func:`rebal.analytics.measures.sharpe_ratio`, excess over the risk-free rate):

- the **Sharpe difference** D = Ŝ_p − Ŝ_b, in annualised Sharpe units;
- the **improvement** R = D / max(|Ŝ_b|, floor), a fraction, called everywhere "Sharpe change
  relative to max(|baseline|, floor)" (floor = ``proposal.sharpe_floor``, 0.5 by default).

R is *not* the relative change of the Sharpe ratio (Ŝ_p − Ŝ_b) / |Ŝ_b|: that figure divides by
a noisy estimate that is often near zero or negative, so it is left uncomputed and the floored
figure is labelled for what it is.

Standard errors
---------------
Jobson and Korkie (1981) with the correction of Memmel (2003), for T i.i.d. (bivariate normal)
daily observations, per-period Sharpe ratios s_p, s_b (daily, not annualised) and ρ the
correlation of the two daily return series::

    Var(ŝ_p − ŝ_b) = (1 / T) · [ 2 (1 − ρ) + ½ (s_p² + s_b²) − s_p s_b ρ² ]      (daily units²)

It is the delta-method variance from Var(ŝ) = (1 + s² / 2) / T for each ratio and
Cov(ŝ_p, ŝ_b) = (ρ + ½ s_p s_b ρ²) / T under normality (the last term, s_p s_b ρ², is the one
Memmel corrected). Annualised Sharpe ratios are √252 times
the daily ones, so SE(D) = √252 · sqrt(Var(ŝ_p − ŝ_b)) in annualised Sharpe units (T counts
sessions, 252 a year: a 126-session Sharpe ratio alone has SE = sqrt(252/126 · (1 + s²/2)) ≈ 1.4).

The SE of R is SE(D) / max(|Ŝ_b|, floor): the SE of the difference on the scale of R, the
denominator taken as a fixed scale. It is exact while the floor binds, and it keeps
R / SE(R) = D / SE(D), so the figure, its ± and the noise test say the same thing. It ignores the
denominator's own noise when |Ŝ_b| > floor; adding it by the delta method does not help on a
126-session window, where SE(Ŝ_b) ≈ 1.4 dwarfs |Ŝ_b| − floor and the figure is far from linear
(in a Monte Carlo with annual Sharpe ratios 1.5 vs 0.8, ρ = 0.6, T = 126, the spread of R is 1.67;
SE(D)/m gives 1.59, the full delta method 2.66).

The noise test is on D (H₀: equal Sharpe ratios): D clears its noise when |D| > z · SE(D), z =
``proposal.noise_z`` (1.96 by default: two-sided 5 %).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from rebal.analytics.measures import PERIODS_PER_YEAR, sharpe_ratio

__all__ = ["IMPROVEMENT_DEFINITION", "sharpe_difference_se", "SharpeComparison", "compare_sharpe"]

#: How the improvement figure is named wherever it is shown (``{floor}`` is the profile's sharpe_floor).
IMPROVEMENT_DEFINITION = ("Sharpe change relative to max(|baseline Sharpe|, {floor:g}): "
                          "(S_proposed - S_baseline) / max(|S_baseline|, {floor:g}), net of costs")


def sharpe_difference_se(s_a: float, s_b: float, rho: float, n: int,
                         periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Compute the SE of the difference of two annualised Sharpe ratios (Jobson-Korkie, Memmel 2003).

    Parameters
    ----------
    s_a, s_b
        Per-period (daily) Sharpe ratios (not annualised).
    rho
        Correlation of the two daily return series.
    n
        Number of sessions T.
    periods_per_year
        Annualisation factor (252): the SE is √252 · sqrt(Var(ŝ_a − ŝ_b)).

    Returns
    -------
    SE of Ŝ_a − Ŝ_b in annualised Sharpe units, with Var(ŝ_a − ŝ_b) = [2(1 − ρ) + ½(s_a² + s_b²)
    − s_a s_b ρ²] / T.
    """
    var = (2.0 * (1.0 - rho) + 0.5 * (s_a ** 2 + s_b ** 2) - s_a * s_b * rho ** 2) / n
    return math.sqrt(max(var, 0.0) * periods_per_year)


@dataclass(frozen=True)
class SharpeComparison:
    """Projected vs baseline Sharpe ratios on the same window, their difference and its noise.

    Sharpe ratios and the difference are annualised (Sharpe units); ``relative`` and
    ``relative_se`` are fractions (0.10 = +10 % of max(|baseline|, floor)); ``sessions`` counts the
    daily observations; ``correlation`` is that of the two daily return series.
    """

    sessions: int
    baseline: float
    projected: float
    correlation: float
    difference: float
    difference_se: float
    floor: float
    relative: float
    relative_se: float

    @property
    def z(self) -> float:
        """The difference in standard errors, D / SE(D) (NaN when the SE is 0)."""
        return self.difference / self.difference_se if self.difference_se > 0 else float("nan")

    @property
    def defined(self) -> bool:
        """Whether every figure is a finite number (a path with no variation has no Sharpe ratio)."""
        return all(math.isfinite(x) for x in (self.baseline, self.projected, self.difference_se, self.relative_se))

    def to_json(self) -> dict:
        """Plain types (NaN as None)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def compare_sharpe(projected: pd.Series, baseline: pd.Series, *, risk_free_rate: float = 0.0,
                   floor: float = 0.5) -> SharpeComparison:
    """Compare two daily return paths over the same sessions (see the module docstring).

    Parameters
    ----------
    projected, baseline
        Daily simple returns (fractions), aligned on their common dates; NaN rows are dropped.
    risk_free_rate
        Annual risk-free rate (fraction), taken off both paths as in the Sharpe ratio.
    floor
        Smallest denominator of the relative figure, annualised Sharpe units.
    """
    both = pd.concat([projected.rename("p"), baseline.rename("b")], axis=1, join="inner").dropna()
    n = len(both)
    nan = float("nan")
    sp = float(sharpe_ratio(both["p"], risk_free_rate=risk_free_rate)) if n > 2 else nan
    sb = float(sharpe_ratio(both["b"], risk_free_rate=risk_free_rate)) if n > 2 else nan
    ok = n > 2 and math.isfinite(sp) and math.isfinite(sb)
    rho = float(np.corrcoef(both["p"], both["b"])[0, 1]) if ok else nan
    if ok and not math.isfinite(rho):
        ok = False
    diff = sp - sb
    rel = diff / max(abs(sb), floor) if ok else nan
    k = math.sqrt(PERIODS_PER_YEAR)
    se = sharpe_difference_se(sp / k, sb / k, rho, n) if ok else nan
    rse = se / max(abs(sb), floor) if ok else nan
    return SharpeComparison(n, sb, sp, rho, diff, se, floor, rel, rse)
