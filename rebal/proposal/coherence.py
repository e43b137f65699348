"""Whether a profile's hard limits can hold: refused at load when the file decides it, checked on the data otherwise.

A target that breaks its own hard limits is a configuration conflict (the decision RESOLVE
CONFLICT). Some conflicts follow from the file alone, whatever the prices: :func:`limit_conflicts`
lists them and the loader refuses the profile (:func:`rebal.proposal.spec.check_target_limits`).
Cluster limits depend on correlations, and a fitted target's weights on the data:
:func:`coherence_at` checks one date (the test of the sample profiles runs it on a grid of dates).
:func:`coherent_limits` makes a profile's limits coherent for the size of its universe
(``rebal profiles new``).
"""
from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse

__all__ = ["limit_conflicts", "coherence_at", "coherent_limits"]

_TOL = 1e-9


def limit_conflicts(profile: Profile) -> list[str]:
    """List the conflicts between the ``proposal.limits`` and the target that hold whatever the data.

    - ``min_allocation`` above the smallest of ``max_single``, ``max_cluster`` and ``max_total``: every
      allocation must be 0 or at least the minimum but at most that maximum, so the circuit breakers
      block every proposal;
    - a fitted target (every method fitted on returns, which spreads 1 - ``target.cash`` over the
      universe) with ``max_single`` x the number of assets below that deployed share: some asset
      must be above ``max_single``.

    The other decidable conflicts (1 - ``target.cash`` above ``max_total``, a fixed weight or a
    ``min_weight`` above ``max_single``) are :func:`rebal.proposal.spec.check_target_limits`'.
    """
    from rebal.allocation.registry import METHODS

    t, lim = profile.target, profile.proposal.limits
    out = []
    caps = {"max_single": lim.max_single, "max_cluster": lim.max_cluster, "max_total": lim.max_total}
    tightest = min(caps, key=caps.get)
    if lim.min_allocation > caps[tightest] + _TOL:
        out.append(f"`proposal.limits.min_allocation` {lim.min_allocation:g} is above `proposal.limits.{tightest}` "
                   f"{caps[tightest]:g}: an allocation must be 0 or at least {lim.min_allocation:.1%} but at most "
                   f"{caps[tightest]:.1%}, so the circuit breakers block every proposal")
    method = METHODS.get(t.method)
    n = len(profile.tickers)
    deployed = 1.0 - t.cash
    if method is not None and method.fits_returns and n and n * lim.max_single < deployed - _TOL:
        out.append(f"`proposal.limits.max_single` {lim.max_single:g} x {n} assets = {n * lim.max_single:.1%} is below "
                   f"the {deployed:.1%} the target deploys (1 - `target.cash`): some asset of every target is above "
                   f"the single-asset limit; raise it to at least {_up(deployed / n):g} or widen the universe")
    return out


def coherence_at(profile: Profile, lh: Lakehouse, as_of: date) -> list[str]:
    """List the hard limits the profile's target breaks as of ``as_of``, and why the breakers block (if they do).

    With holdings on or before the date this is the proposal's own finding (``rebal propose``, without
    the simulation); without, the target is fitted and checked against the clusters of its own assets.
    An empty list: the profile is coherent on that date.
    """
    from rebal.allocation.target import compute_target
    from rebal.analytics.returns import simple_returns
    from rebal.data.lakehouse import CASH
    from rebal.proposal.allocate import propose_allocation
    from rebal.proposal.build import build_proposal
    from rebal.proposal.verdict import target_conflicts

    if lh.at(as_of).holdings_dates(profile.name):
        p = build_proposal(profile, lh, as_of, simulate=False)
        alloc, conflicts = p.allocation, list(p.target_conflicts)
    else:
        spec = profile.proposal
        target = compute_target(profile, lh, as_of).weights
        names = [a for a in target.index if a != CASH]
        need = max(spec.correlation_days, spec.performance_days) + 1
        returns = simple_returns(lh.at(as_of).prices(names).iloc[-(need + 1):], fill="none").iloc[1:]
        alloc = propose_allocation(profile, target, returns, mode=spec.mode)
        conflicts = target_conflicts(alloc, spec.limits)
    if alloc.breaker.status == "BLOCKED":
        conflicts.append(f"circuit breakers: {alloc.breaker.reason}")
    return conflicts


def _up(x: float, step: float = 0.05) -> float:
    """``x`` rounded up to a multiple of ``step`` (0.1667 -> 0.2)."""
    return round(math.ceil(x / step - 1e-9) * step, 10)


def coherent_limits(target: dict[str, Any], limits: dict[str, Any], n_assets: int) -> tuple[dict, dict, list[str]]:
    """Make a profile's ``target`` bounds and ``proposal.limits`` coherent for ``n_assets`` (raw YAML mappings).

    Each change only loosens a bound, to the next multiple of 5 %:

    - ``target.max_weight`` (when set) at least 1 / n, so a fully invested fit exists;
    - ``max_single`` at least the largest weight the target can give one asset (``max_weight`` x the
      deployed share 1 - ``cash``; without ``max_weight``, the deployed share / n), so the target
      cannot break it;
    - ``max_cluster`` at least 2 x ``max_single`` (capped at ``max_total``): two assets at their cap
      that happen to move together do not make the target a conflict;
    - ``min_allocation`` at most ``max_single``.

    Returns the new ``target``, the new ``limits`` and one line per change.
    """
    target, limits = dict(target), dict(limits)
    notes: list[str] = []
    deployed = 1.0 - float(target.get("cash", 0.0) or 0.0)

    def loosen(where: dict, key: str, value: float, label: str, why: str) -> None:
        old = where.get(key)
        if old is None or float(old) < value - _TOL:
            where[key] = value
            notes.append(f"{label}: {old if old is not None else 'default'} -> {value:g} ({why})")

    if "max_weight" in target and float(target["max_weight"]) * n_assets < 1.0 - _TOL:
        loosen(target, "max_weight", min(1.0, _up(1.0 / n_assets)), "target.max_weight",
               f"{n_assets} assets need at least {1 / n_assets:.1%} each to be fully invested")
    biggest = float(target["max_weight"]) * deployed if "max_weight" in target else deployed / n_assets
    loosen(limits, "max_single", min(1.0, _up(biggest)), "proposal.limits.max_single",
           f"the target can put {biggest:.1%} in one asset")
    max_total = float(limits.get("max_total", 1.0))
    loosen(limits, "max_cluster", min(max_total, _up(2 * float(limits["max_single"]))), "proposal.limits.max_cluster",
           "two assets at the single-asset limit")
    if float(limits.get("min_allocation", 0.01)) > float(limits["max_single"]) + _TOL:
        limits["min_allocation"] = 0.01
        notes.append("proposal.limits.min_allocation -> 0.01 (it was above max_single)")
    return target, limits, notes
