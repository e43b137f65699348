"""Allocation methods by name: how a profile's ``target.method`` becomes an estimator.

:data:`METHODS` maps each ``target.method`` to a :class:`Method`: how to build its estimator from the
profile's :class:`~rebal.allocation.spec.TargetSpec` (and the sectors and views the target needs),
which ``target`` fields it accepts, the checks of its own sub-section and a one-line description
for reports. :data:`TARGET_METHODS`, the ``TargetMethod`` type of the profile's YAML and the
``target`` checks are derived from it; :func:`make_allocator` builds from it.

Adding a method = its module (a :class:`~rebal.allocation.base.BaseAllocator`), a builder and one
entry below, and its tests; plus its dataclass in :mod:`rebal.allocation.spec` when it has its own
``target.<name>`` sub-section (as ``black_litterman`` and ``skfolio`` do).

This module imports nothing heavy: the config loader reads it; estimators are imported when built.
``risk4`` is listed (its target is the Risk4 portfolio of :mod:`rebal.selection`, made by
:func:`rebal.allocation.target.compute_target`) but has no estimator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.allocation.base import BaseAllocator
    from rebal.allocation.black_litterman import ViewsProvider
    from rebal.allocation.spec import TargetSpec
    from rebal.config import Profile

__all__ = ["Method", "METHODS", "TARGET_METHODS", "make_allocator", "describe", "sector_cap_map"]

#: ``build(spec, sectors=..., views=...)``: the (unfitted) estimator of a target spec.
Builder = Callable[..., "BaseAllocator"]


@dataclass(frozen=True)
class Method:
    """One allocation method of a profile's ``target``.

    Attributes
    ----------
    name : str
        The ``target.method`` value.
    build : Builder or None
        ``build(spec, sectors=..., views=...)`` -> unfitted estimator; None when the target is made
        elsewhere (``risk4``).
    description : str
        One line for reports, formatted with ``spec`` (e.g. ``{spec.linkage}``).
    fits_returns : bool
        Fitted on ``target.lookback_days`` daily returns (False: ``fixed``, ``risk4``).
    needs_universe : bool
        The profile must list a ``universe``.
    sector_caps : bool
        Accepts ``target.max_sector_weight`` / ``target.sector_max``.
    bounds_unsupported : str
        Non-empty: ``target.min_weight`` / ``target.max_weight`` are rejected, for this reason.
    sections : tuple[str, ...]
        ``target`` fields only this method may set (its own sub-sections).
    check : Callable[[Profile, str], None] or None
        Checks of those sections (``profile``, source file); raise :class:`ConfigError`.
    objective : str
        What the method's target is best at, the measure a new target is judged on
        (:mod:`rebal.decision.evidence`): ``variance`` (lower ex-ante variance), ``sharpe`` (higher
        ex-ante Sharpe ratio), ``utility`` (higher Black-Litterman utility) or ``tracking`` (a rule's
        target: being at it is the objective, judged by the tracking error to it).
    """

    name: str
    build: Builder | None
    description: str
    fits_returns: bool = True
    needs_universe: bool = True
    sector_caps: bool = False
    bounds_unsupported: str = ""
    sections: tuple[str, ...] = ()
    check: Callable[[Profile, str], None] | None = None
    objective: str = "tracking"


# ---------------------------------------------------------------------------------------------
# builders: TargetSpec (+ sectors, views) -> estimator; estimators are imported on use


def _fixed(spec: TargetSpec, **_: Any) -> BaseAllocator:
    from rebal.allocation.basic import FixedWeights

    return FixedWeights(spec.weights)


def _equal_weight(spec: TargetSpec, **_: Any) -> BaseAllocator:
    from rebal.allocation.basic import EqualWeight

    return EqualWeight()


def _inverse_vol(spec: TargetSpec, **_: Any) -> BaseAllocator:
    from rebal.allocation.basic import InverseVolatility

    return InverseVolatility()


def _hrp(spec: TargetSpec, **_: Any) -> BaseAllocator:
    from rebal.allocation.hrp import HRP

    return HRP(linkage=spec.linkage)


def sector_cap_map(spec: TargetSpec, sectors: Mapping[str, str] | None) -> dict[str, float]:
    """Group -> cap: ``max_sector_weight`` for every sector, lowered by ``sector_max``."""
    caps: dict[str, float] = {}
    if sectors is not None and (spec.max_sector_weight < 1.0 or spec.sector_max):
        # sorted: the QP's constraint rows in a fixed order (a set's order varies with the string hash seed)
        caps = {s: spec.max_sector_weight for s in sorted(set(sectors.values())) if s}
        for s, cap in spec.sector_max.items():
            caps[s] = min(cap, caps.get(s, 1.0))
    return caps


def _mean_variance(spec: TargetSpec, *, sectors: Mapping[str, str] | None = None, **_: Any) -> BaseAllocator:
    from rebal.allocation.mean_variance import MeanVariance

    return MeanVariance(spec.method, risk_free_rate=spec.risk_free_rate, min_weight=spec.min_weight,
                        max_weight=spec.max_weight, half_life=spec.half_life, groups=sectors,
                        group_max=sector_cap_map(spec, sectors))


def _black_litterman(spec: TargetSpec, *, sectors: Mapping[str, str] | None = None,
                     views: ViewsProvider | None = None, **_: Any) -> BaseAllocator:
    from rebal.allocation.black_litterman import BlackLittermanAllocator

    bl = spec.black_litterman
    return BlackLittermanAllocator(views, delta=bl.delta, tau=bl.tau, omega=bl.omega,
                                   market_weights=bl.market_weights or None, min_weight=spec.min_weight,
                                   max_weight=spec.max_weight, half_life=spec.half_life, groups=sectors,
                                   group_max=sector_cap_map(spec, sectors))


def _skfolio(spec: TargetSpec, **_: Any) -> BaseAllocator:
    from rebal.allocation.skfolio_adapter import SkfolioAllocator, skfolio_estimator

    return SkfolioAllocator(skfolio_estimator(spec.skfolio))


def _check_black_litterman(profile: Profile, src: str) -> None:
    from rebal.allocation.spec import check_black_litterman

    check_black_litterman(profile, src)


def _check_skfolio(profile: Profile, src: str) -> None:
    from rebal.allocation.spec import check_skfolio

    check_skfolio(profile, src)


_BL_TEXT = ("Black-Litterman: equilibrium returns from market weights, analysts' views, posterior returns and "
            "covariance, long-only max-utility weights (Clarabel QP)")
_HRP_TEXT = ("Hierarchical Risk Parity (López de Prado 2016): correlation distance, {spec.linkage} linkage, "
             "quasi-diagonalisation, recursive bisection with inverse-variance weights")
_NO_BOUNDS_SKFOLIO = "give skfolio's own `min_weights`/`max_weights` in `target.skfolio.params`"

#: Every ``target.method``, in the order the YAML error messages list them.
METHODS: dict[str, Method] = {m.name: m for m in (
    Method("fixed", _fixed, "fixed weights written in the profile", fits_returns=False, sections=("weights",)),
    Method("equal_weight", _equal_weight, "1/N across the universe"),
    Method("inverse_vol", _inverse_vol, "inverse volatility: w proportional to 1/σ of daily returns"),
    Method("min_variance", _mean_variance, "minimum variance (Ledoit-Wolf covariance; Clarabel QP)",
           sector_caps=True, objective="variance"),
    Method("max_sharpe", _mean_variance,
           "maximum Sharpe ratio (exponentially weighted means, Ledoit-Wolf covariance; Clarabel QP)",
           sector_caps=True, objective="sharpe"),
    Method("hrp", _hrp, _HRP_TEXT, bounds_unsupported="recursive bisection has no bounds", objective="variance"),
    Method("black_litterman", _black_litterman, _BL_TEXT, sector_caps=True, sections=("views", "black_litterman"),
           check=_check_black_litterman, objective="utility"),
    Method("skfolio", _skfolio, "skfolio's {spec.skfolio.estimator} estimator on the daily returns",
           bounds_unsupported=_NO_BOUNDS_SKFOLIO, sections=("skfolio",), check=_check_skfolio),
    Method("risk4", None, "the Risk4 weekly stock selection (see the Risk4 picks report)", fits_returns=False,
           needs_universe=False),
)}

#: The valid ``target.method`` names.
TARGET_METHODS: tuple[str, ...] = tuple(METHODS)


def make_allocator(spec: TargetSpec, *, sectors: Mapping[str, str] | None = None,
                   views: ViewsProvider | None = None) -> BaseAllocator:
    """Build the (unfitted) allocator of a :class:`~rebal.allocation.spec.TargetSpec`.

    Parameters
    ----------
    spec : TargetSpec
        The profile's ``target`` section.
    sectors : Mapping[str, str] or None
        Ticker -> GICS sector, for the sector caps of the mean-variance methods.
    views : ViewsProvider or None
        The analysts' views of a ``black_litterman`` target.

    Returns
    -------
    BaseAllocator
        A scikit-learn estimator; ``fit(daily_returns).weights_`` are its weights (fractions summing to 1).

    Raises
    ------
    ConfigError
        Unknown method, or a method without an estimator (``risk4``: see
        :func:`rebal.allocation.target.compute_target`).
    """
    method = METHODS.get(spec.method)
    if method is None:  # the config loader rejects unknown methods first
        raise ConfigError(f"`target.method`: unknown {spec.method!r}; valid: {', '.join(TARGET_METHODS)}")
    if method.build is None:
        raise ConfigError(f"`target.method`: {spec.method!r} has no estimator (its target is made by "
                          "rebal.allocation.target.compute_target)")
    return method.build(spec, sectors=sectors, views=views)


def describe(spec: TargetSpec) -> str:
    """One line on how a target is made (for reports), e.g. ``1/N across the universe``."""
    return METHODS[spec.method].description.format(spec=spec)
