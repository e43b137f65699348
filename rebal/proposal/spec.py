"""The ``proposal`` section of a profile: mode, circuit-breaker limits, simulation and trade list."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rebal.config.loader import check_ranges
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["ModeName", "MODE_NAMES", "Limits", "ProposalSpec", "check_proposal", "check_target_limits"]

ModeName = Literal["proportional", "correlation_aware", "performance_weighted", "risk_adjusted"]
#: Rebalance modes of ``rebal propose`` (see :mod:`rebal.proposal.modes`).
MODE_NAMES: tuple[str, ...] = typing.get_args(ModeName)


@dataclass(frozen=True)
class Limits:
    """Circuit breakers: hard limits as fractions of portfolio value, and the correlation thresholds.

    Pairs correlated above ``high_corr`` are linked into clusters; ``medium_corr`` is only reported.
    ``max_trades`` counts trades and ``slippage_tolerance_bps`` is in bps. Defaults are the
    rebalance-modes spec's, except ``max_total``: the spec's 60 % deployed belongs to its sleeves
    example (a book that keeps 40 % cash); as a default it would cut every fully invested profile to
    60 % by a limit the profile never stated, so the default here is 1.0 (no cap on what is
    deployed). A profile that keeps cash states its own.
    """

    max_total: float = 1.0
    max_cluster: float = 0.30
    max_single: float = 0.40
    min_allocation: float = 0.01
    high_corr: float = 0.70
    medium_corr: float = 0.40


@dataclass(frozen=True)
class ProposalSpec:
    """``rebal propose``: mode, circuit breakers, impact simulation, simulation verdict and trade list.

    The mode (overridable with ``--mode``) starts from the profile's target and is followed by
    the circuit breakers (``limits``). Correlations use ``correlation_days`` sessions; the
    performance-weighted mode moves ``performance_shift`` from the lowest to the highest
    ``performance_days`` Sharpe ratio. The impact simulation replays ``simulation_days`` sessions
    in-sample and walk-forward (refit every ``refit_every`` sessions, out of sample) against the
    book as held. The improvement is the Sharpe change relative to max(|baseline Sharpe|,
    ``sharpe_floor``) (a fraction; the floor, in annualised Sharpe units, keeps a near-zero
    baseline from inflating it). The simulation verdict is IMPROVES when the out-of-sample
    improvement exceeds ``improvement_threshold`` (fraction) and the Sharpe difference exceeds
    ``noise_z`` standard errors (Jobson-Korkie-Memmel), WORSENS symmetrically, WITHIN NOISE
    otherwise; a WARNING under ``marginal_threshold``; ALERTS for a correlation above
    ``correlation_alert`` or drift above ``drift_alert``. Trades below ``min_trade_value``
    dollars are skipped (exits never are), at most ``max_trades`` trades; paper fills whose
    modelled slippage exceeds ``slippage_tolerance_bps`` are rejected (and with them the whole batch).
    """

    mode: ModeName = "correlation_aware"
    limits: Limits = field(default_factory=Limits)
    correlation_days: int = 30
    performance_days: int = 30
    performance_shift: float = 0.05
    simulation_days: int = 126
    refit_every: int = 21
    improvement_threshold: float = 0.05
    marginal_threshold: float = 0.03
    sharpe_floor: float = 0.5
    noise_z: float = 1.96
    correlation_alert: float = 0.95
    drift_alert: float = 0.15
    min_trade_value: float = 1_000.0
    max_trades: int = 10
    slippage_tolerance_bps: float = 50.0


def check_proposal(profile: Profile, src: str) -> None:
    """Check the ``proposal`` section of ``profile`` (read from ``src``), then the target against its limits.

    Raises :class:`ConfigError` naming the field, the value and the rule; when the file has a
    ``proposal`` section and the target cannot meet its own hard limits (decidable from the file),
    naming both fields and the numbers. A profile without the section is not refused for limits
    nobody chose (the spec's defaults: ``max_total`` 60 %, made for sleeves with cash); ``rebal
    propose`` on it still flags the conflict (``Proposal.target_conflicts``).
    """
    pr, lim = profile.proposal, profile.proposal.limits
    rules = [
        ("limits.max_total", 0 < lim.max_total <= 1, "in (0, 1]"),
        ("limits.max_cluster", 0 < lim.max_cluster <= 1, "in (0, 1]"),
        ("limits.max_single", 0 < lim.max_single <= 1, "in (0, 1]"),
        ("limits.min_allocation", 0 <= lim.min_allocation < 1, "in [0, 1)"),
        ("limits.high_corr", 0 < lim.high_corr < 1, "in (0, 1)"),
        ("limits.medium_corr", 0 < lim.medium_corr < lim.high_corr, "in (0, high_corr)"),
        ("correlation_days", pr.correlation_days >= 5, ">= 5"),
        ("performance_days", pr.performance_days >= 5, ">= 5"),
        ("performance_shift", 0 <= pr.performance_shift < 1, "in [0, 1)"),
        ("simulation_days", pr.simulation_days >= 20, ">= 20"),
        ("refit_every", 1 <= pr.refit_every <= pr.simulation_days, "in [1, simulation_days]"),
        ("improvement_threshold", pr.improvement_threshold > 0, "> 0"),
        ("marginal_threshold", pr.marginal_threshold >= 0, ">= 0"),
        ("sharpe_floor", pr.sharpe_floor > 0, "> 0"),
        ("noise_z", 0 < pr.noise_z <= 5, "in (0, 5] standard errors of the Sharpe difference"),
        ("correlation_alert", 0 < pr.correlation_alert <= 1, "in (0, 1]"),
        ("drift_alert", pr.drift_alert > 0, "> 0"),
        ("min_trade_value", pr.min_trade_value >= 0, ">= 0"),
        ("max_trades", pr.max_trades >= 1, ">= 1"),
        ("slippage_tolerance_bps", pr.slippage_tolerance_bps > 0, "> 0"),
    ]
    check_ranges(src, "proposal", pr, rules)
    if _declares_proposal(src):
        check_target_limits(profile, src)


def _declares_proposal(src: str) -> bool:
    """Whether the profile file ``src`` has a ``proposal`` section (its limits were chosen, not defaulted)."""
    import yaml

    try:
        raw = yaml.safe_load(Path(src).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return False
    return isinstance(raw, dict) and "proposal" in raw


def check_target_limits(profile: Profile, src: str) -> None:
    """Refuse a target that breaks the profile's own hard limits whatever the data (a configuration conflict).

    Decidable from the file: the deployed share 1 - ``target.cash`` against ``limits.max_total``
    (every method whose invested weights sum to 1 - cash, i.e. all but ``risk4``), a fixed
    ``target.weights`` entry against ``limits.max_single``, and a fitted method's
    ``target.min_weight`` (every asset at least that share of the invested 1 - cash) against
    ``limits.max_single``. Cluster limits depend on correlations: the proposal flags those
    (``Proposal.target_conflicts``).
    """
    t, lim = profile.target, profile.proposal.limits
    tol = 1e-9
    deployed = 1.0 - t.cash
    if t.method != "risk4" and deployed > lim.max_total + tol:
        raise ConfigError(f"{src}: `target.cash` {t.cash:g} leaves {deployed:.1%} deployed, above "
                          f"`proposal.limits.max_total` {lim.max_total:g}: the target breaks its own hard limit")
    if t.method == "fixed":
        for k, w in t.weights.items():
            if w > lim.max_single + tol:
                raise ConfigError(f"{src}: `target.weights.{k}` {w:g} is above `proposal.limits.max_single` "
                                  f"{lim.max_single:g}: the target breaks its own hard limit")
    elif t.min_weight * deployed > lim.max_single + tol:
        floor = t.min_weight * deployed
        raise ConfigError(f"{src}: `target.min_weight` {t.min_weight:g} puts every asset at {floor:.1%} or more, above "
                          f"`proposal.limits.max_single` {lim.max_single:g}: the target breaks its own hard limit")
