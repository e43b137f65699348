"""Market-sensitivity audit: beta and correlation of each profile to its benchmark.

The profile's daily returns are those of its current target weights held over the regression
window (cash earns zero): the market exposure of the portfolio the committee is asked to hold.
Beta, its standard error, R² and the correlation come from OLS (statsmodels); a rolling beta shows
how stable the exposure has been. A defensive profile whose beta exceeds its limit is flagged
``AGGRESSIVE``: its low variance may be little more than low market exposure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rebal.allocation.target import compute_target
from rebal.analytics.measures import annualise_vol
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import BetaResult, beta_ols, rolling_beta
from rebal.config import Profile
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError

__all__ = ["SensitivityAudit", "sensitivity_audit", "interpretation"]


@dataclass(frozen=True)
class SensitivityAudit:
    """Beta/correlation audit of one profile.

    Attributes
    ----------
    weights
        Target weights (fractions, cash included) whose returns are regressed.
    portfolio_returns, benchmark_returns
        Daily simple returns (fractions) over the window.
    beta
        OLS of the daily returns (alpha daily, beta unitless).
    rolling
        Rolling beta over ``sensitivity.rolling_days`` sessions.
    portfolio_vol, benchmark_vol
        Annualised volatility of the daily returns (fraction a year).
    flags
        Warnings, e.g. a defensive profile above its beta limit.
    """

    profile: Profile
    as_of: date
    weights: pd.Series
    portfolio_returns: pd.Series
    benchmark_returns: pd.Series
    beta: BetaResult
    rolling: pd.Series
    portfolio_vol: float
    benchmark_vol: float
    flags: tuple[str, ...]


def sensitivity_audit(profile: Profile, lh: Lakehouse, as_of: date | None = None) -> SensitivityAudit:
    """Regress the profile's target-weight returns on the benchmark's, up to ``as_of``.

    Uses the last ``sensitivity.window_days`` daily simple returns (sessions) of the target held
    at constant weights (cash earns 0); ``as_of`` defaults to the latest data. Raises
    :class:`~rebal.errors.DataError` when the window is incomplete.
    """
    as_of = as_of or lh.latest_date()
    view = lh.at(as_of)
    spec = profile.sensitivity
    w = compute_target(profile, view, as_of).weights
    invested = w.drop(CASH, errors="ignore")
    tickers = list(invested.index)
    px = view.prices([*tickers, profile.benchmark]).iloc[-(spec.window_days + 1):]
    rets = simple_returns(px, fill="none").iloc[1:]
    if len(rets) < spec.window_days or rets.isna().any().any():
        bad = rets.columns[rets.isna().any()].tolist()
        raise DataError(f"{profile.source}: `sensitivity.window_days`: {spec.window_days} complete daily returns "
                        f"needed up to {as_of}" + (f"; missing for {bad[0]!r}" if bad else f", found {len(rets)}"))
    port = (rets[tickers] * invested).sum(axis=1).rename(profile.name)
    bench = rets[profile.benchmark].rename(profile.benchmark)
    res = beta_ols(port, bench)
    flags = []
    if spec.defensive and res.beta > spec.beta_limit:
        flags.append(f"⚠️ AGGRESSIVE: defensive profile with beta {res.beta:.2f} > limit {spec.beta_limit:.2f}")
    return SensitivityAudit(
        profile=profile, as_of=as_of, weights=w, portfolio_returns=port, benchmark_returns=bench, beta=res,
        rolling=rolling_beta(port, bench, spec.rolling_days),
        portfolio_vol=float(annualise_vol(port.std(ddof=1))), benchmark_vol=float(annualise_vol(bench.std(ddof=1))),
        flags=tuple(flags),
    )


def interpretation(a: SensitivityAudit) -> str:
    """Plain-language reading: how much of the portfolio's risk is market exposure.

    Portfolio variance splits into market beta² σ_b² (share R²) and residual (1 - R²). A profile
    with low volatility and low beta but high R² is mostly a scaled-down market bet.
    """
    b, r2 = a.beta.beta, a.beta.r_squared
    market_vol = abs(b) * a.benchmark_vol
    resid_vol = a.portfolio_vol * np.sqrt(max(1 - r2, 0.0))
    ratio = a.portfolio_vol / a.benchmark_vol if a.benchmark_vol else float("nan")
    text = (f"Over {a.beta.n_obs} sessions to {a.beta.end}, the portfolio's volatility was {a.portfolio_vol:.1%} "
            f"against {a.benchmark_vol:.1%} for {a.profile.benchmark} ({ratio:.2f}x). Beta {b:.2f} "
            f"(± {1.96 * a.beta.beta_se:.2f} at 95 %) and R² {r2:.2f}: market exposure accounts for "
            f"{market_vol:.1%} of volatility and {r2:.0%} of variance; the rest ({resid_vol:.1%}) is specific. ")
    if ratio < 0.9 and r2 >= 0.7:
        text += ("Its lower variance is mostly lower market exposure: a scaled-down market bet rather than "
                 "diversification.")
    elif ratio < 0.9:
        text += ("Its lower variance is not just lower beta: a large specific component diversifies away from "
                 "the market.")
    else:
        text += "Its variance is not lower than the market's."
    return text
