"""The ``target`` section of a profile: how its target weights are made, and its checks."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["WEIGHT_SUM_TOLERANCE", "TARGET_METHODS", "TargetMethod", "BlackLittermanSpec", "TargetSpec",
           "check_target", "views_path"]

#: Weights plus cash must sum to 1 within this absolute tolerance.
WEIGHT_SUM_TOLERANCE = 1e-6

TargetMethod = Literal["fixed", "equal_weight", "inverse_vol", "min_variance", "max_sharpe", "hrp", "black_litterman",
                       "risk4"]
TARGET_METHODS: tuple[str, ...] = typing.get_args(TargetMethod)


@dataclass(frozen=True)
class BlackLittermanSpec:
    """Black-Litterman parameters (``target.method: black_litterman``).

    ``delta`` risk aversion (also the utility's), ``tau`` prior uncertainty, ``omega``
    ``idzorek`` (view confidences) or ``he_litterman`` (diag(τPΣPᵀ)). ``market_weights``:
    ``equal`` (the lakehouse ships no market caps, so the prior is 1/N, labelled as such in
    reports) or a mapping ticker -> weight summing to 1.
    """

    delta: float = 2.5
    tau: float = 0.05
    omega: Literal["idzorek", "he_litterman"] = "idzorek"
    market_weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetSpec:
    """How the target weights are made.

    ``method`` is one of :data:`TARGET_METHODS`. ``fixed`` takes ``weights`` as given; the others
    are fitted on ``lookback_days`` of daily returns up to the as-of date. ``cash`` is the target
    fraction kept in cash; the invested weights sum to ``1 - cash``.

    Mean-variance methods (``min_variance``, ``max_sharpe``, ``black_litterman``) use
    exponentially weighted means (``half_life`` sessions), Ledoit-Wolf covariance, the bounds
    ``min_weight``/``max_weight`` and sector caps: ``max_sector_weight`` for every GICS sector
    and ``sector_max`` per sector (the lower applies). ``hrp`` uses ``linkage``. ``views`` is the
    analysts' views file for ``black_litterman`` (YAML or CSV; a relative path is resolved
    against the ``params/`` directory).
    """

    method: TargetMethod = "fixed"
    weights: dict[str, float] = field(default_factory=dict)
    cash: float = 0.0
    lookback_days: int = 252
    min_weight: float = 0.0
    max_weight: float = 1.0
    risk_free_rate: float = 0.0
    half_life: float = 126.0
    max_sector_weight: float = 1.0
    sector_max: dict[str, float] = field(default_factory=dict)
    linkage: Literal["single", "complete", "average", "ward"] = "ward"
    views: str = ""
    black_litterman: BlackLittermanSpec = field(default_factory=BlackLittermanSpec)


def check_target(profile: Profile, src: str, known_tickers: set[str] | None) -> None:
    """Check the ``target`` section against the rest of the profile (raises :class:`ConfigError`)."""
    t = profile.target
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
        if not profile.universe and t.method != "risk4":
            raise ConfigError(f"{src}: `universe`: required when `target.method` is {t.method!r}")
    if profile.long_only:
        for k, w in t.weights.items():
            if w < 0:
                raise ConfigError(
                    f"{src}: `target.weights.{k}`: negative weight {w} in a long-only profile"
                )
    if not 0.0 <= t.min_weight <= t.max_weight <= 1.0:
        raise ConfigError(
            f"{src}: `target.min_weight`/`target.max_weight`: need 0 <= min <= max <= 1, "
            f"found {t.min_weight} and {t.max_weight}"
        )
    n = len(profile.tickers)
    if t.method not in ("fixed", "risk4") and t.max_weight * n < 1.0 - 1e-12:
        raise ConfigError(
            f"{src}: `target.max_weight`: {t.max_weight} x {n} assets < 1, no feasible portfolio"
        )
    if t.lookback_days < 20:
        raise ConfigError(f"{src}: `target.lookback_days`: must be >= 20, found {t.lookback_days}")
    _check_target_extras(profile, src, known_tickers)


_MEAN_VARIANCE = ("min_variance", "max_sharpe", "black_litterman")


def _check_target_extras(profile: Profile, src: str, known_tickers: set[str] | None) -> None:
    t = profile.target
    if t.method == "hrp" and (t.min_weight != 0.0 or t.max_weight != 1.0):
        raise ConfigError(f"{src}: `target.min_weight`/`target.max_weight`: not supported by hrp "
                          "(recursive bisection has no bounds); remove them or use min_variance")
    has_caps = t.max_sector_weight < 1.0 or bool(t.sector_max)
    if has_caps and t.method not in _MEAN_VARIANCE:
        raise ConfigError(f"{src}: `target.sector_max`/`target.max_sector_weight`: only for "
                          f"{', '.join(_MEAN_VARIANCE)} (method is {t.method!r})")
    if not 0.0 < t.max_sector_weight <= 1.0:
        raise ConfigError(f"{src}: `target.max_sector_weight`: must be in (0, 1], found {t.max_sector_weight}")
    for sector, cap in t.sector_max.items():
        if not 0.0 < cap <= 1.0:
            raise ConfigError(f"{src}: `target.sector_max.{sector}`: must be in (0, 1], found {cap}")
    if t.half_life <= 0:
        raise ConfigError(f"{src}: `target.half_life`: must be > 0, found {t.half_life}")
    bl = t.black_litterman
    if t.method != "black_litterman":
        if t.views or bl != BlackLittermanSpec():
            key = "views" if t.views else "black_litterman"
            raise ConfigError(f"{src}: `target.{key}`: only allowed with method 'black_litterman' (method is {t.method!r})")
        return
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


def views_path(profile: Profile) -> Path:
    """The views file of a black_litterman profile (relative paths: against the params/ directory)."""
    p = Path(profile.target.views).expanduser()
    if p.is_absolute():
        return p
    return Path(profile.source).resolve().parent.parent / p
