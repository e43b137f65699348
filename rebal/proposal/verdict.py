"""What the proposal says about itself: the simulation verdict, hard breaches, target conflicts, warnings, alerts.

Simulation verdict
------------------
One of ``IMPROVES`` / ``WITHIN NOISE`` / ``WORSENS`` / ``NOT SIMULATED``, from the out-of-sample
(walk-forward) comparison with the book as held (:mod:`rebal.proposal.noise`,
:mod:`rebal.proposal.held_book`); the in-sample comparison looks ahead and is never judged:

- ``IMPROVES``: the Sharpe difference D clears its noise, D > z · SE(D) (z = ``noise_z``);
- ``WORSENS``: symmetric, D < −z · SE(D);
- ``WITHIN NOISE``: anything else ("not significant");
- ``NOT SIMULATED``: no simulation to judge (limits infeasible, nothing to trade, no
  out-of-sample estimate, or a path without variation), with the reason.

Infeasible limits are not a verdict: the proposal is *blocked* (the circuit breakers' reason).

Hard breaches and target conflicts
----------------------------------
The hard limits are total deployed (``max_total``), each correlated cluster (``max_cluster``) and
each single asset (``max_single``). A position under ``min_allocation`` is dust: a warning, not a
breach. **Hard breaches** are the hard limits the current holdings break; **target conflicts**
are those the profile's own target breaks (a configuration conflict: trading towards the target
cannot comply), checked on the target's weights with the proposal's correlation clusters.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH
from rebal.proposal.modes import check_limits
from rebal.proposal.noise import SharpeComparison

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.proposal.allocate import Allocation
    from rebal.proposal.simulation import Simulation
    from rebal.proposal.spec import Limits, ProposalSpec

__all__ = ["VERDICTS", "judge", "simulation_verdict", "hard_breaches", "target_conflicts", "flags", "pct"]

VERDICTS = ("IMPROVES", "WITHIN NOISE", "WORSENS", "NOT SIMULATED")
#: check name of :func:`rebal.proposal.modes.check_limits` -> (how a breach reads, the limit's field)
_HARD = {"total deployed": ("total deployed", "max_total"), "correlated cluster": ("correlated cluster", "max_cluster"),
         "single sleeve max": ("single-asset", "max_single")}
#: tolerance of the target conflict checks: an optimiser may land a hair above a bound it was given
TARGET_TOLERANCE = 1e-6


def pct(x: float) -> str:
    """Format a fraction as a percentage: 0.3 -> '30%', 0.325 -> '32.5%', 0.2968 -> '29.7%'."""
    v = round(100.0 * x, 1)
    return f"{v:.0f}%" if v == round(v) else f"{v:.1f}%"


def judge(c: SharpeComparison, spec: ProposalSpec, baseline: str) -> tuple[str, str]:
    """(verdict, one-line reason) of an out-of-sample comparison (see the module docstring)."""
    z0 = spec.noise_z
    head = (f"over {c.sessions} sessions out of sample (walk-forward) the strategy's Sharpe ratio is "
            f"{c.projected:.2f} against {c.baseline:.2f} for {baseline}: difference "
            f"{c.difference:+.2f} ± {c.difference_se:.2f} (1 SE, z = {c.z:+.2f})")
    if c.z > z0:
        return "IMPROVES", f"{head}: significant (z > {z0:g})"
    if c.z < -z0:
        return "WORSENS", f"{head}: significantly worse (z < -{z0:g})"
    return "WITHIN NOISE", f"{head}: not significant (|z| ≤ {z0:g})"


def simulation_verdict(spec: ProposalSpec, sim: Simulation | None, *, blocked: str | None, no_trades: bool,
                       min_trade_value: float) -> tuple[str, str]:
    """(verdict, reason) of a proposal: NOT SIMULATED with why, or :func:`judge` of its out-of-sample comparison.

    ``blocked`` is the circuit breakers' reason when the limits cannot all hold, else None.
    """
    if blocked is not None:
        return "NOT SIMULATED", f"no allocation meets the hard limits ({blocked}): nothing to simulate"
    if no_trades:
        return "NOT SIMULATED", (f"nothing to trade: every trade is below the minimum trade value "
                                 f"(${min_trade_value:,.0f})")
    if sim is None:
        return "NOT SIMULATED", "no impact simulation was run"
    c = sim.comparison_out_of_sample
    if c is None:
        why = "; ".join(n for n in sim.notes if n.startswith("out-of-sample")) or "out-of-sample estimate unavailable"
        ins = sim.comparison_in_sample
        extra = f" ({ins.difference:+.2f})" if ins is not None and ins.defined else ""
        return "NOT SIMULATED", f"{why}; the in-sample Sharpe difference{extra} looks ahead and is not judged"
    if not c.defined:
        return "NOT SIMULATED", ("a Sharpe ratio is undefined over the window (a path without variation): "
                                 "nothing to judge")
    return judge(c, spec, sim.baseline_source)


def _lines(checks: pd.DataFrame, whose: str = "") -> list[str]:
    out = []
    for r in checks[checks["status"] == "FAIL"].itertuples():
        if r.check not in _HARD:
            continue  # the minimum allocation: dust, a warning
        what, fld = _HARD[r.check]
        item = "" if r.check == "total deployed" else f" {r.item}"
        out.append(f"{what}{item}: {whose}{pct(r.proposed)} > {pct(r.limit)} (proposal.limits.{fld})")
    return out


def hard_breaches(current_checks: pd.DataFrame) -> list[str]:
    """List the hard limits the current holdings break, one line each ('single-asset LLY: 29.7% > 20% (...)')."""
    return _lines(current_checks)


def target_conflicts(alloc: Allocation, limits: Limits) -> list[str]:
    """List the hard limits the target itself breaks, one line each (a configuration conflict)."""
    tgt = alloc.target.drop(CASH, errors="ignore")
    sleeves = alloc.after_mode.index.union(tgt.index[tgt > 0])
    checks = check_limits(tgt.reindex(sleeves).fillna(0.0), alloc.clusters, limits, tolerance=TARGET_TOLERANCE)
    return _lines(checks, "target ")


def flags(profile: Profile, alloc: Allocation, sim: Simulation | None, drift: float,
          current_checks: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(warnings, alerts) of a proposal.

    Alerts: a correlation above ``correlation_alert``, drift above ``drift_alert``, limits that
    cannot all hold. Warnings: dust positions under ``min_allocation``; in-sample and out-of-sample
    Sharpe differences of opposite signs.
    """
    spec = profile.proposal
    warnings: list[str] = []
    alerts: list[str] = []
    if alloc.correlation is not None:
        c = alloc.correlation.to_numpy(copy=True)
        np.fill_diagonal(c, np.nan)
        if np.nanmax(np.abs(c)) > spec.correlation_alert:
            i, j = np.unravel_index(np.nanargmax(np.abs(c)), c.shape)
            names = alloc.correlation.index
            alerts.append(f"correlation spike: {names[i]} / {names[j]} at {c[i, j]:.2f} > {spec.correlation_alert:.2f}")
    if drift > spec.drift_alert:
        alerts.append(f"drift {drift:.1%} above the proposal's drift alert level {pct(spec.drift_alert)} "
                      "(proposal.drift_alert)")
    if alloc.breaker.status == "BLOCKED":
        alerts.append(f"circuit breaker violation unresolved: {alloc.breaker.reason}; manual action needed")
    fails = current_checks[current_checks["status"] == "FAIL"]
    dust = fails[fails["check"].str.startswith("minimum")]
    if len(dust):
        warnings.append(f"{len(dust)} current position(s) under the {spec.limits.min_allocation:.0%} minimum "
                        f"({', '.join(dust['item'][:6])}): the proposal closes or resizes them")
    c = sim.comparison_out_of_sample if sim is not None else None
    ins = sim.comparison_in_sample if sim is not None else None
    if c is not None and c.defined and ins is not None and ins.defined and ins.difference * c.difference < 0:
        warnings.append(f"in-sample ({ins.difference:+.2f}, look-ahead) and out-of-sample ({c.difference:+.2f}) "
                        "Sharpe differences have opposite signs; the verdict follows the out-of-sample one")
    return warnings, alerts
