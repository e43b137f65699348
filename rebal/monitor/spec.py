"""The profile sections of the monitoring domain, with their checks.

Drift thresholds, data checks, planner, market sensitivity, factor map and the sample holdings
schedule.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from rebal.config.loader import BPS, COUNT, DAYS, FRACTION, MULTIPLIER, SESSIONS, UNITLESS, USD, VIX_POINTS, YEARS, In
from rebal.errors import ConfigError
from rebal.limits import DEFAULT_MAX_UNIVERSE

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["DEFAULT_CLUSTERS", "DriftThresholds", "DataChecks", "SensitivitySpec", "PlannerSpec", "FactorMapSpec",
           "SampleHoldings", "check_monitor"]


#: Clusters of the factor map when the profile gives none (capped at the universe's size - 1).
DEFAULT_CLUSTERS = 6


@dataclass(frozen=True)
class DriftThresholds:
    """Drift status thresholds, as fractions of portfolio value.

    Status is URGENT when portfolio drift > ``urgent`` or any single asset drifts more than
    ``single_asset_urgent``; REBALANCE when portfolio drift > ``rebalance``; MAINTAIN otherwise.
    """

    rebalance: Annotated[float, In("(0, 1]", FRACTION)] = 0.10
    urgent: Annotated[float, In("(0, 1]", FRACTION)] = 0.20
    single_asset_urgent: Annotated[float, In("(0, 1]", FRACTION)] = 0.075


@dataclass(frozen=True)
class DataChecks:
    """Data-fitness limits checked before a run."""

    #: a ticker whose latest close is more than this many sessions before the as-of date is stale
    max_stale_sessions: Annotated[int, In("[0, 252]", SESSIONS)] = 1
    #: a universe of more names is refused at load (cost grows with the square of the names; rebal.limits)
    max_universe: Annotated[int, In("[1, 100000]", COUNT)] = DEFAULT_MAX_UNIVERSE


@dataclass(frozen=True)
class SensitivitySpec:
    """Market-sensitivity audit: OLS of the daily returns of the profile's books on the benchmark's.

    Each book (the holdings, the target, the proposal) is today's weights held over the last
    ``window_days`` sessions (its ex-ante exposure); ``rolling_days`` is the rolling-beta window
    (sessions). For a ``defensive`` profile each book with beta above ``beta_limit`` (unitless) is
    flagged AGGRESSIVE (see :mod:`rebal.monitor.sensitivity`).
    """

    window_days: Annotated[int, In("[20, 5000]", SESSIONS)] = 252
    rolling_days: Annotated[int, In("[10, 5000]", SESSIONS)] = 63
    defensive: bool = False
    beta_limit: Annotated[float, In("(0, 5]", "beta, unitless")] = 0.5


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

    threshold: Annotated[float, In("(0, 1)", FRACTION)] = 0.05
    threshold_method: Literal["fixed", "formula", "no_trade_band"] = "fixed"
    calendar: Literal["monthly", "quarterly"] = "monthly"
    hybrid_override: Annotated[float, In("(0, 1)", FRACTION)] = 0.10
    commission_bps: Annotated[float, In("[0, 1000]", BPS)] = 1.0
    #: Y of the square-root impact, unitless
    impact_coefficient: Annotated[float, In("[0, 10]", UNITLESS)] = 0.6
    #: annualised volatility (fraction) above which an asset gets the narrower ``high_vol_band``
    high_vol_sigma: Annotated[float, In("(0, 5]", FRACTION)] = 0.30
    high_vol_band: Annotated[float, In("(0, 1)", FRACTION)] = 0.03
    elevated_vix: Annotated[float, In("(0, 200]", VIX_POINTS)] = 20.0
    stress_vix: Annotated[float, In("(0, 200]", VIX_POINTS)] = 30.0
    #: drift-threshold multipliers in the normal, elevated and stress regimes
    regime_widening: tuple[Annotated[float, In("(0, 10]", MULTIPLIER)], ...] = (1.0, 1.2, 1.5)
    stress_override: Annotated[float, In("(0, 1)", FRACTION)] = 0.15
    #: in stress, a drift up to this level waits (the planner's DELAY; the lab's ``delay`` rules)
    delay_max_drift: Annotated[float, In("(0, 1)", FRACTION)] = 0.10
    #: dollar ADV under which an asset is illiquid
    min_adv: Annotated[float, In("[0, 1e13]", USD)] = 1_000_000.0
    max_liquidity_days: Annotated[float, In("(0, 1000]", DAYS)] = 10.0
    participation: Annotated[float, In("(0, 1]", FRACTION)] = 0.10
    #: λ, relative risk aversion (unitless): cost-benefit rule and no-trade band
    risk_aversion: Annotated[float, In("(0, 100]", UNITLESS)] = 2.0
    #: H, the horizon (years) of the cost-benefit rule and of the spec's threshold formula
    horizon_years: Annotated[float, In("(0, 10]", YEARS)] = 1.0
    notional_value: Annotated[float, In("(0, 1e13]", USD)] = 10_000_000.0


@dataclass(frozen=True)
class FactorMapSpec:
    """Factor map: hierarchical clusters on correlation distance, centroids, metric MDS.

    ``n_clusters`` unset: :data:`DEFAULT_CLUSTERS`, at most the universe's size - 1 (see
    :meth:`clusters_for`); given, it must be between 2 and the number of assets. ``window_days`` is
    the returns window (sessions), ``seed`` the MDS seed.
    """

    n_clusters: Annotated[int, In("[2, 100]", COUNT)] | None = None
    linkage: Literal["average", "complete", "single", "ward"] = "average"
    window_days: Annotated[int, In("[20, 5000]", SESSIONS)] = 504
    seed: Annotated[int, In("[0, 4294967295]", UNITLESS)] = 0

    def clusters_for(self, n_assets: int) -> int:
        """Return the number of clusters for a universe of ``n_assets``.

        ``n_clusters`` when given, else :data:`DEFAULT_CLUSTERS` capped at ``n_assets - 1`` (at least
        2), so that a small universe still gets a map rather than an error about a default it never stated.
        """
        if self.n_clusters is not None:
            return self.n_clusters
        return max(2, min(DEFAULT_CLUSTERS, n_assets - 1))


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
    initial_value: Annotated[float, In("(0, 1e13]", USD)] = 10_000_000.0


def check_monitor(profile: Profile, src: str) -> None:
    """Check the monitoring sections of ``profile`` (raises :class:`ConfigError`)."""
    d, n = profile.drift, len(profile.tickers)
    if not d.rebalance < d.urgent:
        raise ConfigError(
            f"{src}: `drift`: need 0 < rebalance < urgent <= 1, found {d.rebalance} and {d.urgent}"
        )
    if n > profile.data.max_universe:
        raise ConfigError(f"{src}: `universe`: {n:,} names, more than `data.max_universe` "
                          f"({profile.data.max_universe:,}): "
                          "the optimisers and the covariance grow with the square of the names (5,000 took 168 s and "
                          "3.3 GB); raise `data.max_universe` in the profile if you mean it")
    sen, pl, fm = profile.sensitivity, profile.planner, profile.factor_map
    if not sen.rolling_days <= sen.window_days:
        raise ConfigError(f"{src}: `sensitivity`: need window_days >= 20 and 10 <= rolling_days <= window_days")
    if pl.elevated_vix >= pl.stress_vix:
        raise ConfigError(f"{src}: `planner.elevated_vix`: must be below `planner.stress_vix`")
    if len(pl.regime_widening) != 3:
        raise ConfigError(f"{src}: `planner.regime_widening`: need three positive multipliers (normal, elevated, "
                          f"stress), found {list(pl.regime_widening)}")
    if "factor_map" in profile.notebooks and n and fm.n_clusters is not None and fm.n_clusters > n:
        raise ConfigError(f"{src}: `factor_map.n_clusters`: must be between 2 and the {n} assets, "
                          f"found {fm.n_clusters}")
