"""The Sharpe difference of a simulated proposal against its baseline, and its statistical noise (pure functions).

What is computed, and what it is called
---------------------------------------
Two daily return paths over the same window are compared: the projected one (the proposal) and
the baseline (the book as held). With Ŝ_p and Ŝ_b their annualised Sharpe ratios
(:func:`rebal.analytics.measures.sharpe_ratio`, excess over the risk-free rate), the **Sharpe
difference** D = Ŝ_p − Ŝ_b is in annualised Sharpe units, and z = D / SE(D) says how many standard
errors it is from zero. Nothing is divided by the baseline's Sharpe ratio: the former "improvement",
D / max(|Ŝ_b|, 0.5), was neither a relative Sharpe change nor a return, and is gone.

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

The noise test is on D (H₀: equal Sharpe ratios): D is significant when |z| > ``proposal.noise_z``
(1.96 by default: two-sided 5 %); otherwise it is "not significant", in words, wherever it is shown.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from rebal.analytics.measures import PERIODS_PER_YEAR, sharpe_ratio

__all__ = ["SE_DEFINITION", "sharpe_difference_se", "SharpeComparison", "compare_sharpe"]

#: How the standard error of the Sharpe difference is named wherever it is shown.
SE_DEFINITION = ("Jobson-Korkie with Memmel's (2003) correction on the two daily return series, annualised "
                 "(x sqrt(252))")


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

    Sharpe ratios and the difference are annualised (Sharpe units); ``sessions`` counts the daily
    observations; ``correlation`` is that of the two daily return series.
    """

    sessions: int
    baseline: float
    projected: float
    correlation: float
    difference: float
    difference_se: float

    @property
    def z(self) -> float:
        """The difference in standard errors, D / SE(D) (NaN when the SE is 0)."""
        return self.difference / self.difference_se if self.difference_se > 0 else float("nan")

    @property
    def defined(self) -> bool:
        """Whether every figure is a finite number (a path with no variation has no Sharpe ratio)."""
        return all(math.isfinite(x) for x in (self.baseline, self.projected, self.difference_se))

    def significant(self, z: float = 1.96) -> bool:
        """Whether the difference is beyond ``z`` standard errors (False when undefined)."""
        return self.defined and math.isfinite(self.z) and abs(self.z) > z

    def to_json(self) -> dict:
        """Plain types (NaN as None), with z."""
        out = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}
        out["z"] = self.z if math.isfinite(self.z) else None
        return out


def compare_sharpe(projected: pd.Series, baseline: pd.Series, *, risk_free_rate: float = 0.0) -> SharpeComparison:
    """Compare two daily return paths over the same sessions (see the module docstring).

    Parameters
    ----------
    projected, baseline
        Daily simple returns (fractions), aligned on their common dates; NaN rows are dropped.
    risk_free_rate
        Annual risk-free rate (fraction), taken off both paths as in the Sharpe ratio.
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
    k = math.sqrt(PERIODS_PER_YEAR)
    se = sharpe_difference_se(sp / k, sb / k, rho, n) if ok else nan
    return SharpeComparison(n, sb, sp, rho, sp - sb, se)
