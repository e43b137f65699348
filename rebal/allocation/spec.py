"""The ``target`` section of a profile: how its target weights are made, and its checks.

The valid ``target.method`` names and what each accepts come from the method registry
(:mod:`rebal.allocation.registry`); the sub-sections of two methods live here:
``target.black_litterman`` (with ``target.views``) and ``target.skfolio``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from rebal.allocation.registry import METHODS, TARGET_METHODS
from rebal.config.loader import FRACTION, SESSIONS, UNITLESS, In, check_ranges
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["WEIGHT_SUM_TOLERANCE", "TARGET_METHODS", "TargetMethod", "BlackLittermanSpec", "SKFOLIO_ESTIMATORS",
           "SkfolioParams", "SkfolioSpec", "TargetSpec", "check_target", "check_black_litterman", "check_skfolio",
           "views_path"]

#: unit of skfolio's risk-free rate: per period of the daily returns
DAILY_RATE = "daily rate, a fraction: 0.02/252 for 2 % a year"
#: Weights plus cash must sum to 1 within this absolute tolerance.
WEIGHT_SUM_TOLERANCE = 1e-6

if TYPE_CHECKING:
    TargetMethod = str
else:
    #: ``target.method``: one of the registry's names (the loader lists them when another is given).
    TargetMethod = Literal[TARGET_METHODS]


@dataclass(frozen=True)
class BlackLittermanSpec:
    """Black-Litterman parameters (``target.method: black_litterman``).

    ``delta`` risk aversion (also the utility's), ``tau`` prior uncertainty, ``omega``
    ``idzorek`` (view confidences) or ``he_litterman`` (diag(τPΣPᵀ)). ``market_weights``:
    ``equal`` (the lakehouse ships no market caps, so the prior is 1/N, labelled as such in
    reports) or a mapping ticker -> weight summing to 1.
    """

    delta: Annotated[float, In("(0, 100]", UNITLESS)] = 2.5
    tau: Annotated[float, In("(0, 1]", UNITLESS)] = 0.05
    omega: Literal["idzorek", "he_litterman"] = "idzorek"
    market_weights: dict[str, Annotated[float, In("[0, 1]", FRACTION)]] = field(default_factory=dict)


RiskMeasureName = Literal["variance", "semi_variance", "standard_deviation", "semi_deviation",
                          "mean_absolute_deviation", "first_lower_partial_moment", "cvar", "evar", "worst_realization",
                          "cdar", "max_drawdown", "average_drawdown", "edar", "ulcer_index", "gini_mean_difference"]
ObjectiveName = Literal["minimize_risk", "maximize_return", "maximize_utility", "maximize_ratio"]

#: skfolio estimators a profile may name (``target.skfolio.estimator``) -> the ``params`` each accepts.
SKFOLIO_ESTIMATORS: dict[str, tuple[str, ...]] = {
    "EqualWeighted": (),
    "InverseVolatility": (),
    "HierarchicalRiskParity": ("risk_measure", "min_weights", "max_weights"),
    "MeanRisk": ("objective_function", "risk_measure", "min_weights", "max_weights", "risk_free_rate",
                 "risk_aversion", "l1_coef", "l2_coef", "cvar_beta"),
    "RiskBudgeting": ("risk_measure", "risk_budget", "min_weights", "max_weights", "risk_free_rate", "cvar_beta"),
}


@dataclass(frozen=True)
class SkfolioParams:
    """Keyword arguments of the skfolio estimator (``target.skfolio.params``), in skfolio's units.

    Unset (None / empty) keeps skfolio's default. Which ones an estimator accepts:
    :data:`SKFOLIO_ESTIMATORS`. ``risk_measure`` and ``objective_function`` are the lower-case
    values of skfolio's ``RiskMeasure`` and ``ObjectiveFunction`` (e.g. ``cvar``,
    ``maximize_ratio``). ``min_weights``/``max_weights`` bound every weight (fractions);
    ``risk_free_rate`` is per period of the returns, i.e. **daily** (0.02 / 252 for 2 % a year);
    ``risk_aversion`` is the utility's λ on daily returns; ``cvar_beta`` the CVaR confidence level;
    ``l1_coef``/``l2_coef`` the regularisation; ``risk_budget`` ticker -> relative risk budget (> 0).
    """

    risk_measure: RiskMeasureName | None = None
    objective_function: ObjectiveName | None = None
    min_weights: Annotated[float, In("[0, 1]", FRACTION)] | None = None
    max_weights: Annotated[float, In("[0, 1]", FRACTION)] | None = None
    risk_free_rate: Annotated[float, In("(-0.01, 0.01)", DAILY_RATE)] | None = None
    risk_aversion: Annotated[float, In("(0, 1e6]", UNITLESS)] | None = None
    l1_coef: Annotated[float, In("[0, 100]", UNITLESS)] | None = None
    l2_coef: Annotated[float, In("[0, 100]", UNITLESS)] | None = None
    cvar_beta: Annotated[float, In("(0, 1)", "confidence level")] | None = None
    risk_budget: dict[str, Annotated[float, In("(0, 1e6]", "relative budget")]] = field(default_factory=dict)

    def given(self) -> dict[str, object]:
        """Return the parameters set in the profile (name -> value), in declaration order."""
        return {k: v for k, v in vars(self).items() if v is not None and v != {}}


@dataclass(frozen=True)
class SkfolioSpec:
    """A skfolio estimator fitted on the daily returns (``target.method: skfolio``).

    ``estimator`` is one of :data:`SKFOLIO_ESTIMATORS`; ``params`` its keyword arguments.

    Example
    -------
    .. code-block:: yaml

        target:
          method: skfolio
          skfolio:
            estimator: MeanRisk
            params: {objective_function: maximize_ratio, risk_measure: cvar, max_weights: 0.2}
    """

    estimator: str = ""
    params: SkfolioParams = field(default_factory=SkfolioParams)


@dataclass(frozen=True)
class TargetSpec:
    """How the target weights are made.

    ``method`` is one of :data:`TARGET_METHODS` (see :mod:`rebal.allocation.registry`). ``fixed``
    takes ``weights`` as given; ``risk4`` is the Risk4 selection; the others are fitted on
    ``lookback_days`` daily simple returns up to the as-of date. ``cash`` is the target fraction
    kept in cash; the invested weights sum to ``1 - cash``.

    Mean-variance methods (``min_variance``, ``max_sharpe``, ``black_litterman``) use
    exponentially weighted means (``half_life`` sessions), Ledoit-Wolf covariance, the bounds
    ``min_weight``/``max_weight`` and sector caps: ``max_sector_weight`` for every GICS sector
    and ``sector_max`` per sector (the lower applies). ``hrp`` uses ``linkage``. ``views`` is the
    analysts' views file for ``black_litterman`` (YAML or CSV; a relative path is resolved
    against the ``params/`` directory). ``skfolio`` names a skfolio estimator and its parameters.
    Rates and returns are annual fractions, ``half_life`` and ``lookback_days`` sessions, weights fractions.
    """

    method: TargetMethod = "fixed"
    weights: dict[str, Annotated[float, In("[-1, 1]", FRACTION)]] = field(default_factory=dict)
    cash: Annotated[float, In("[0, 1)", FRACTION)] = 0.0
    lookback_days: Annotated[int, In("[20, 5000]", SESSIONS)] = 252
    min_weight: Annotated[float, In("[-1, 1]", FRACTION)] = 0.0
    max_weight: Annotated[float, In("(0, 1]", FRACTION)] = 1.0
    #: annual rate, a fraction (0.02 = 2 % a year)
    risk_free_rate: Annotated[float, In("[-0.1, 0.5]", FRACTION)] = 0.0
    half_life: Annotated[float, In("(0, 5000]", SESSIONS)] = 126.0
    max_sector_weight: Annotated[float, In("(0, 1]", FRACTION)] = 1.0
    sector_max: dict[str, Annotated[float, In("(0, 1]", FRACTION)]] = field(default_factory=dict)
    linkage: Literal["single", "complete", "average", "ward"] = "ward"
    views: str = ""
    black_litterman: BlackLittermanSpec = field(default_factory=BlackLittermanSpec)
    skfolio: SkfolioSpec = field(default_factory=SkfolioSpec)


def check_target(profile: Profile, src: str, known_tickers: set[str] | None) -> None:
    """Check the ``target`` section against the rest of the profile (raises :class:`ConfigError`)."""
    t = profile.target
    method = METHODS[t.method]
    if not 0.0 <= t.cash < 1.0:
        raise ConfigError(f"{src}: `target.cash`: must be in [0, 1), found {t.cash}")
    if t.method == "fixed":
        if not t.weights:
            raise ConfigError(f"{src}: `target.weights`: required when `target.method` is 'fixed'")
        total = sum(t.weights.values()) + t.cash
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ConfigError(
                f"{src}: `target.weights`: weights plus cash sum to {total:.6f}, but must sum to 1 "
                f"(tolerance {WEIGHT_SUM_TOLERANCE:g})"
            )
        if profile.universe:
            extra = sorted(set(t.weights) - set(profile.universe))
            if extra:
                raise ConfigError(f"{src}: `target.weights.{extra[0]}`: not in `universe`")
    else:
        if t.weights:
            raise ConfigError(
                f"{src}: `target.weights`: only allowed with method 'fixed' (method is {t.method!r})"
            )
        if not profile.universe and method.needs_universe:
            raise ConfigError(f"{src}: `universe`: required when `target.method` is {t.method!r}")
    if profile.long_only:
        for k, w in t.weights.items():
            if w < 0:
                raise ConfigError(
                    f"{src}: `target.weights.{k}`: negative weight {w} in a long-only profile"
                )
    if t.min_weight < 0 and profile.long_only:
        raise ConfigError(f"{src}: `target.min_weight`: {t.min_weight:g} allows short positions in a long-only "
                          "profile; use a bound >= 0, or `long_only: false` for a long-short target")
    if not t.min_weight <= t.max_weight:
        raise ConfigError(
            f"{src}: `target.min_weight`/`target.max_weight`: need min <= max, "
            f"found {t.min_weight} and {t.max_weight}"
        )
    n = len(profile.tickers)
    if method.fits_returns and t.max_weight * n < 1.0 - 1e-12:
        raise ConfigError(
            f"{src}: `target.max_weight`: {t.max_weight} x {n} assets < 1, no feasible portfolio"
        )
    if t.lookback_days < 20:
        raise ConfigError(f"{src}: `target.lookback_days`: must be >= 20, found {t.lookback_days}")
    _check_target_extras(profile, src)


def _check_target_extras(profile: Profile, src: str) -> None:
    t = profile.target
    method = METHODS[t.method]
    if method.bounds_unsupported and (t.min_weight != 0.0 or t.max_weight != 1.0):
        raise ConfigError(f"{src}: `target.min_weight`/`target.max_weight`: not supported by {t.method} "
                          f"({method.bounds_unsupported}); remove them or use min_variance")
    has_caps = t.max_sector_weight < 1.0 or bool(t.sector_max)
    if has_caps and not method.sector_caps:
        capped = [m.name for m in METHODS.values() if m.sector_caps]
        raise ConfigError(f"{src}: `target.sector_max`/`target.max_sector_weight`: only for "
                          f"{', '.join(capped)} (method is {t.method!r})")
    if not 0.0 < t.max_sector_weight <= 1.0:
        raise ConfigError(f"{src}: `target.max_sector_weight`: must be in (0, 1], found {t.max_sector_weight}")
    for sector, cap in t.sector_max.items():
        if not 0.0 < cap <= 1.0:
            raise ConfigError(f"{src}: `target.sector_max.{sector}`: must be in (0, 1], found {cap}")
    if t.half_life <= 0:
        raise ConfigError(f"{src}: `target.half_life`: must be > 0, found {t.half_life}")
    default = TargetSpec()
    for other in METHODS.values():  # another method's own sub-sections must be left unset
        for key in other.sections:
            if other.name != t.method and getattr(t, key) != getattr(default, key):
                raise ConfigError(f"{src}: `target.{key}`: only allowed with method {other.name!r} "
                                  f"(method is {t.method!r})")
    if method.check is not None:
        method.check(profile, src)


def check_black_litterman(profile: Profile, src: str) -> None:
    """Check ``target.views`` and ``target.black_litterman`` of a black_litterman profile."""
    t = profile.target
    bl = t.black_litterman
    if not t.views:
        raise ConfigError(f"{src}: `target.views`: required with method 'black_litterman' (a YAML or CSV file "
                          "of analyst views, relative to the params/ directory)")
    if bl.delta <= 0 or bl.tau <= 0:
        raise ConfigError(f"{src}: `target.black_litterman`: delta and tau must be > 0")
    if bl.market_weights:
        extra = sorted(set(bl.market_weights) - set(profile.universe))
        if extra:
            raise ConfigError(f"{src}: `target.black_litterman.market_weights.{extra[0]}`: not in `universe`")
        if any(v < 0 for v in bl.market_weights.values()) or \
                abs(sum(bl.market_weights.values()) - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ConfigError(f"{src}: `target.black_litterman.market_weights`: must be >= 0 and sum to 1")
    from rebal.allocation.black_litterman import load_views

    path = views_path(profile)
    try:
        views = load_views(path)
    except ConfigError as exc:
        raise ConfigError(f"{src}: `target.views`: {exc}") from None
    if not views:
        raise ConfigError(f"{src}: `target.views`: {path} has no views")
    for v in views:
        for a in v.assets:
            if a not in profile.universe:
                raise ConfigError(f"{src}: `target.views`: view {v.label or '?'!r} in {path} names {a!r}, "
                                  "which is not in `universe`")


def check_skfolio(profile: Profile, src: str) -> None:
    """Check ``target.skfolio`` of a skfolio profile: a known estimator and parameters it accepts."""
    t = profile.target
    sk = t.skfolio
    if not sk.estimator:
        raise ConfigError(f"{src}: `target.skfolio.estimator`: required with method 'skfolio'; "
                          f"valid: {', '.join(SKFOLIO_ESTIMATORS)}")
    if sk.estimator not in SKFOLIO_ESTIMATORS:
        raise ConfigError(f"{src}: `target.skfolio.estimator`: unknown {sk.estimator!r}; "
                          f"valid: {', '.join(SKFOLIO_ESTIMATORS)}")
    accepted = SKFOLIO_ESTIMATORS[sk.estimator]
    given = sk.params.given()
    for key in given:
        if key not in accepted:
            raise ConfigError(f"{src}: `target.skfolio.params.{key}`: not a parameter of {sk.estimator}; "
                              f"valid: {', '.join(accepted) or 'none'}")
    p = sk.params
    lo = 0.0 if p.min_weights is None else p.min_weights
    hi = 1.0 if p.max_weights is None else p.max_weights
    check_ranges(src, "target.skfolio.params", p, [
        ("min_weights", 0.0 <= lo <= 1.0, "in [0, 1] (long only)"),
        ("max_weights", lo <= hi <= 1.0, "in [min_weights, 1]"),
        ("cvar_beta", p.cvar_beta is None or 0.0 < p.cvar_beta < 1.0, "in (0, 1)"),
        ("risk_aversion", p.risk_aversion is None or p.risk_aversion > 0, "> 0"),
        ("l1_coef", p.l1_coef is None or p.l1_coef >= 0, ">= 0"),
        ("l2_coef", p.l2_coef is None or p.l2_coef >= 0, ">= 0"),
    ])
    n = len(profile.tickers)
    if hi * n < 1.0 - 1e-12:
        raise ConfigError(f"{src}: `target.skfolio.params.max_weights`: {hi} x {n} assets < 1, no feasible portfolio")
    for k, v in p.risk_budget.items():
        if k not in profile.universe:
            raise ConfigError(f"{src}: `target.skfolio.params.risk_budget.{k}`: not in `universe`")
        if not v > 0:
            raise ConfigError(f"{src}: `target.skfolio.params.risk_budget.{k}`: must be > 0, found {v}")
    if p.risk_budget and set(p.risk_budget) != set(profile.universe):
        missing = sorted(set(profile.universe) - set(p.risk_budget))
        raise ConfigError(f"{src}: `target.skfolio.params.risk_budget`: no budget for {missing[0]!r} "
                          "(give one for every asset of `universe`)")
    if t.risk_free_rate != 0.0:
        raise ConfigError(f"{src}: `target.risk_free_rate`: not used by method 'skfolio'; give skfolio's own "
                          "`risk_free_rate` (daily) in `target.skfolio.params`")


def views_path(profile: Profile) -> Path:
    """Return the views file of a black_litterman profile (relative paths: against the params/ directory)."""
    p = Path(profile.target.views).expanduser()
    if p.is_absolute():
        return p
    return Path(profile.source).resolve().parent.parent / p
