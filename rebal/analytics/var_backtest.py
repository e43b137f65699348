"""Backtest of a daily VaR: forecasts made without look-ahead, exceedances, Kupiec and Christoffersen tests.

Each day t of the backtest, the VaR is estimated from the ``window`` daily returns *before* t
(t − window .. t − 1) of the portfolio held over t, exactly as a risk system would have done
that morning; the day's realised return is compared with it. A day is an **exceedance** (a
hit, I_t = 1) when the realised loss is larger than the VaR: r_t < −VaR_t.

Tests (T days, x exceedances, p = 1 − β the expected exceedance rate)
--------------------------------------------------------------------
- Kupiec (1995) proportion of failures, H₀: the exceedance rate is p,
  LR_pof = −2 ln[(1 − p)^(T−x) p^x] + 2 ln[(1 − x/T)^(T−x) (x/T)^x] ~ χ²(1);
- Christoffersen (1998) independence, H₀: an exceedance today does not make one tomorrow more
  likely. With n_ij the number of days in state j after a day in state i (t = 2..T),
  π₀₁ = n₀₁ / (n₀₀ + n₀₁), π₁₁ = n₁₁ / (n₁₀ + n₁₁), π = (n₀₁ + n₁₁) / (T − 1):
  LR_ind = −2 ln[(1 − π)^(n₀₀+n₁₀) π^(n₀₁+n₁₁)] + 2 ln[(1 − π₀₁)^n₀₀ π₀₁^n₀₁ (1 − π₁₁)^n₁₀ π₁₁^n₁₁] ~ χ²(1);
- conditional coverage: LR_cc = LR_pof + LR_ind ~ χ²(2).

0 · ln 0 is taken as 0 throughout (a sample with no exceedance has LR_ind = 0). A p-value below
the chosen size (5 %) rejects the model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import chdtrc, xlogy  # chdtrc(df, x) is scipy.stats.chi2.sf(x, df), without scipy.stats' import

from rebal.analytics.var import VarMethod, var_es

__all__ = ["LikelihoodRatio", "Transitions", "VarBacktest", "kupiec_pof", "transitions", "christoffersen_independence",
           "var_forecasts", "backtest_var", "coverage_direction"]


@dataclass(frozen=True)
class LikelihoodRatio:
    """A likelihood-ratio test: its statistic, degrees of freedom and p-value (χ² survival function)."""

    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class Transitions:
    """Counts n_ij of day-to-day transitions of the hit sequence (from state i to state j)."""

    n00: int
    n01: int
    n10: int
    n11: int


def _lr(statistic: float, df: int) -> LikelihoodRatio:
    stat = max(float(statistic), 0.0)  # rounding can leave -1e-16 when the two likelihoods are equal
    return LikelihoodRatio(stat, df, float(chdtrc(df, stat)))


def kupiec_pof(exceedances: int, days: int, p: float) -> LikelihoodRatio:
    """Kupiec's proportion-of-failures test of ``exceedances`` in ``days`` against the rate ``p`` (module docstring)."""
    x, t = int(exceedances), int(days)
    if t < 1 or not 0 <= x <= t:
        raise ValueError(f"`exceedances`: need 0 <= exceedances <= days and days >= 1, found {x} of {t}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"`p`: expected exceedance rate must be in (0, 1), found {p}")
    phat = x / t
    log_null = xlogy(t - x, 1.0 - p) + xlogy(x, p)
    log_alt = xlogy(t - x, 1.0 - phat) + xlogy(x, phat)
    return _lr(-2.0 * (log_null - log_alt), 1)


def transitions(hits: np.ndarray | pd.Series) -> Transitions:
    """Transition counts of a 0/1 (or boolean) hit sequence."""
    h = np.asarray(hits).astype(int)
    prev, nxt = h[:-1], h[1:]
    return Transitions(int(((prev == 0) & (nxt == 0)).sum()), int(((prev == 0) & (nxt == 1)).sum()),
                       int(((prev == 1) & (nxt == 0)).sum()), int(((prev == 1) & (nxt == 1)).sum()))


def christoffersen_independence(hits: np.ndarray | pd.Series) -> LikelihoodRatio:
    """Christoffersen's independence test of a hit sequence (module docstring); needs at least 2 days."""
    if len(hits) < 2:
        raise ValueError(f"`hits`: need at least 2 days, found {len(hits)}")
    n = transitions(hits)
    pi01 = n.n01 / (n.n00 + n.n01) if n.n00 + n.n01 else 0.0
    pi11 = n.n11 / (n.n10 + n.n11) if n.n10 + n.n11 else 0.0
    pi = (n.n01 + n.n11) / (n.n00 + n.n01 + n.n10 + n.n11)
    log_null = xlogy(n.n00 + n.n10, 1.0 - pi) + xlogy(n.n01 + n.n11, pi)
    log_alt = (xlogy(n.n00, 1.0 - pi01) + xlogy(n.n01, pi01) + xlogy(n.n10, 1.0 - pi11) + xlogy(n.n11, pi11))
    return _lr(-2.0 * (log_null - log_alt), 1)


def var_forecasts(asset_returns: pd.DataFrame, weights: pd.DataFrame, *, window: int, level: float,
                  method: VarMethod = "historical") -> pd.DataFrame:
    """One-day VaR forecasts without look-ahead and the realised returns they are tested against.

    Parameters
    ----------
    asset_returns
        Daily simple returns (dates x assets), covering at least ``window`` days before the first
        backtest day. A missing return of a held asset counts as 0 on the realised side (its price
        did not move) and drops that day from the estimation window.
    weights
        Weights held over each backtest day (dates x assets; fractions of the previous close's
        value, cash omitted), known at the close before that day. Its index is the backtest days.
    window
        Number of daily returns before each day that the VaR is estimated on.
    level
        Confidence level β.
    method
        VaR method (:mod:`rebal.analytics.var`).

    Returns
    -------
    Indexed by the backtest days: ``return`` (realised portfolio return), ``var`` (the forecast,
    a positive loss) and ``exceedance`` (return < −var). Days with fewer than ``window`` prior
    returns are left out.
    """
    if window < 2:
        raise ValueError(f"`window`: need at least 2 returns, found {window}")
    r = asset_returns.reindex(columns=weights.columns)
    pos = r.index.get_indexer(weights.index)
    if (pos < 0).any():
        missing = weights.index[pos < 0][0]
        raise ValueError(f"`weights`: backtest day {missing} has no asset returns")
    x = r.to_numpy(float)
    rows = []
    for day, i, w in zip(weights.index, pos, weights.to_numpy(float), strict=True):
        if i < window:
            continue
        held = w != 0
        past = x[i - window:i][:, held]
        past = past[np.isfinite(past).all(axis=1)]
        if len(past) < 2:
            continue
        hist = past @ w[held]
        v, _ = var_es(hist, level=level, method=method)
        realised = float(np.nansum(x[i, held] * w[held]))
        rows.append((day, realised, v))
    out = pd.DataFrame(rows, columns=["date", "return", "var"]).set_index("date")
    out["exceedance"] = out["return"] < -out["var"]
    return out


@dataclass(frozen=True)
class VarBacktest:
    """Result of :func:`backtest_var`."""

    level: float
    days: int
    exceedances: int
    kupiec: LikelihoodRatio
    christoffersen: LikelihoodRatio
    conditional: LikelihoodRatio
    transitions: Transitions
    #: :func:`var_forecasts` output
    forecasts: pd.DataFrame

    @property
    def expected(self) -> float:
        """Exceedances expected under the model: (1 − β) · days."""
        return (1.0 - self.level) * self.days

    @property
    def rate(self) -> float:
        """Observed exceedance rate (NaN without days)."""
        return self.exceedances / self.days if self.days else float("nan")

    def rejected(self, size: float = 0.05) -> bool:
        """Whether Kupiec's coverage test rejects the model at ``size`` (p-value below it)."""
        return self.kupiec.p_value < size

    @property
    def direction(self) -> str:
        """:func:`coverage_direction` of this backtest."""
        return coverage_direction(self.exceedances, self.expected)


def backtest_var(forecasts: pd.DataFrame, level: float) -> VarBacktest:
    """Kupiec, Christoffersen and conditional-coverage tests on :func:`var_forecasts` output at ``level``."""
    hits = forecasts["exceedance"].to_numpy(bool)
    t, x = len(hits), int(hits.sum())
    if t < 2:
        raise ValueError(f"`forecasts`: need at least 2 backtest days, found {t}")
    pof = kupiec_pof(x, t, 1.0 - level)
    ind = christoffersen_independence(hits)
    cc = _lr(pof.statistic + ind.statistic, 2)
    return VarBacktest(float(level), t, x, pof, ind, cc, transitions(hits), forecasts)


def coverage_direction(exceedances: int, expected: float) -> str:
    """Say which way a VaR's coverage errs.

    ``"too many"`` exceedances (the VaR understates the loss), ``"too few"`` (it overstates it) or ``""``
    when the count equals the expected one.
    """
    if exceedances > expected:
        return "too many"
    if exceedances < expected:
        return "too few"
    return ""
