"""The profile sections of the monitoring domain, with their checks.

Drift thresholds, data checks, planner, market sensitivity, factor map and the sample holdings
schedule.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["DriftThresholds", "DataChecks", "SensitivitySpec", "PlannerSpec", "FactorMapSpec", "SampleHoldings",
           "check_monitor"]


@dataclass(frozen=True)
class DriftThresholds:
    """Drift status thresholds, as fractions of portfolio value.

    Status is URGENT when portfolio drift > ``urgent`` or any single asset drifts more than
    ``single_asset_urgent``; REBALANCE when portfolio drift > ``rebalance``; MAINTAIN otherwise.
    """

    rebalance: float = 0.10
    urgent: float = 0.20
    single_asset_urgent: float = 0.075


@dataclass(frozen=True)
class DataChecks:
    """Data-fitness limits checked before a run."""

    #: a ticker whose latest close is more than this many sessions before the as-of date is stale
    max_stale_sessions: int = 1


@dataclass(frozen=True)
class SensitivitySpec:
    """Market-sensitivity audit: OLS of the daily returns of the profile's books on the benchmark's.

    Each book (the holdings, the target, the proposal) is today's weights held over the last
    ``window_days`` sessions (its ex-ante exposure); ``rolling_days`` is the rolling-beta window
    (sessions). For a ``defensive`` profile each book with beta above ``beta_limit`` (unitless) is
    flagged AGGRESSIVE (see :mod:`rebal.monitor.sensitivity`).
    """

    window_days: int = 252
    rolling_days: int = 63
    defensive: bool = False
    beta_limit: float = 0.5


@dataclass(frozen=True)
class PlannerSpec:
    """Rebalancing-planner parameters for today's decision panel (fractions unless in bps/VIX points).

    ``threshold_method`` picks the drift threshold: ``fixed`` (``threshold``), ``formula``
    (the planner spec's sqrt(2c / (sigma_p^2 T))) or ``no_trade_band`` (Whalley-Wilmott). The
    drift threshold and the ``hybrid_override`` are both widened by ``regime_widening``.
    The cost-benefit rule compares the one-off cost of a rebalance with the benefit
    ½ · ``risk_aversion`` · ``horizon_years`` · TE² (fractions of portfolio value);
    ``risk_aversion`` λ is unitless (0 < λ <= 100), ``horizon_years`` H in years (0 < H <= 10).
    """

    threshold: float = 0.05
    threshold_method: Literal["fixed", "formula", "no_trade_band"] = "fixed"
    calendar: Literal["monthly", "quarterly"] = "monthly"
    hybrid_override: float = 0.10
    commission_bps: float = 1.0
    impact_coefficient: float = 0.6
    high_vol_sigma: float = 0.30
    high_vol_band: float = 0.03
    elevated_vix: float = 20.0
    stress_vix: float = 30.0
    #: drift-threshold multipliers in the normal, elevated and stress regimes
    regime_widening: tuple[float, ...] = (1.0, 1.2, 1.5)
    stress_override: float = 0.15
    #: in stress, a drift up to this level waits (the planner's DELAY; the lab's ``delay`` rules)
    delay_max_drift: float = 0.10
    min_adv: float = 1_000_000.0
    max_liquidity_days: float = 10.0
    participation: float = 0.10
    #: λ, relative risk aversion (unitless): cost-benefit rule and no-trade band
    risk_aversion: float = 2.0
    #: H, the horizon (years) of the cost-benefit rule and of the spec's threshold formula
    horizon_years: float = 1.0
    notional_value: float = 10_000_000.0


@dataclass(frozen=True)
class FactorMapSpec:
    """Factor map: hierarchical clusters on correlation distance, centroids, metric MDS."""

    n_clusters: int = 6
    linkage: Literal["average", "complete", "single", "ward"] = "average"
    window_days: int = 504
    seed: int = 0


@dataclass(frozen=True)
class SampleHoldings:
    """How ``rebal data build-sample`` implements this profile's sample holdings.

    Starting with ``initial_value`` dollars on the first session on or after ``start``, the
    portfolio is traded to its then-target in whole shares on the last session of every
    ``every`` period (``rebalance_day``: on every day of the ``risk4`` schedule), self-financed;
    between implementations it drifts with real prices.
    """

    start: date
    every: Literal["month", "quarter", "half_year", "year", "rebalance_day"] = "quarter"
    initial_value: float = 10_000_000.0


def check_monitor(profile: Profile, src: str) -> None:
    """Check the monitoring sections of ``profile`` (raises :class:`ConfigError`)."""
    d, n = profile.drift, len(profile.tickers)
    if not 0.0 < d.rebalance < d.urgent <= 1.0:
        raise ConfigError(
            f"{src}: `drift`: need 0 < rebalance < urgent <= 1, found {d.rebalance} and {d.urgent}"
        )
    if not 0.0 < d.single_asset_urgent <= 1.0:
        raise ConfigError(
            f"{src}: `drift.single_asset_urgent`: must be in (0, 1], found {d.single_asset_urgent}"
        )
    sen, pl, fm = profile.sensitivity, profile.planner, profile.factor_map
    if sen.window_days < 20 or not 10 <= sen.rolling_days <= sen.window_days:
        raise ConfigError(f"{src}: `sensitivity`: need window_days >= 20 and 10 <= rolling_days <= window_days")
    if not 0 < pl.threshold < 1 or not 0 < pl.hybrid_override < 1 or not 0 < pl.participation <= 1:
        raise ConfigError(f"{src}: `planner`: threshold, hybrid_override and participation must be in (0, 1)")
    if pl.elevated_vix >= pl.stress_vix:
        raise ConfigError(f"{src}: `planner.elevated_vix`: must be below `planner.stress_vix`")
    if len(pl.regime_widening) != 3 or not all(x > 0 for x in pl.regime_widening):
        raise ConfigError(f"{src}: `planner.regime_widening`: need three positive multipliers (normal, elevated, "
                          f"stress), found {list(pl.regime_widening)}")
    if not 0 < pl.risk_aversion <= 100:
        raise ConfigError(f"{src}: `planner.risk_aversion`: the risk aversion λ (unitless) must be in (0, 100], "
                          f"found {pl.risk_aversion}")
    if not 0 < pl.horizon_years <= 10:
        raise ConfigError(f"{src}: `planner.horizon_years`: the cost-benefit horizon in years must be in (0, 10], "
                          f"found {pl.horizon_years}")
    if not 0 < pl.delay_max_drift < 1:
        raise ConfigError(f"{src}: `planner.delay_max_drift`: must be in (0, 1), found {pl.delay_max_drift}")
    if "factor_map" in profile.notebooks and n and not 2 <= fm.n_clusters <= max(2, n):
        raise ConfigError(f"{src}: `factor_map.n_clusters`: must be between 2 and the {n} assets, "
                          f"found {fm.n_clusters}")
    if profile.data.max_stale_sessions < 0:
        raise ConfigError(f"{src}: `data.max_stale_sessions`: must be >= 0")
    sh = profile.sample_holdings
    if sh is not None and sh.initial_value <= 0:
        raise ConfigError(f"{src}: `sample_holdings.initial_value`: must be > 0")
