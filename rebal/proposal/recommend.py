"""The proposal's recommendation: REBALANCE, OPTIONAL, HOLD or BLOCKED, its confidence, warnings and alerts.

REBALANCE when the net improvement of the Sharpe ratio exceeds ``improvement_threshold`` (5 %),
OPTIONAL within +/- the threshold, HOLD when worse, BLOCKED when the limits cannot all hold. It
uses the out-of-sample improvement (the in-sample one looks ahead); confidence is HIGH when both
agree, MEDIUM when they do not, LOW without an out-of-sample estimate. A current allocation that
breaches a hard limit is REBALANCE whatever the improvement. WARNING when the improvement is
under ``marginal_threshold`` (3 %); ALERTS for a correlation above ``correlation_alert`` and a drift
above ``drift_alert``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.config import Profile

if TYPE_CHECKING:
    from rebal.proposal.allocate import Allocation
    from rebal.proposal.simulation import Simulation
    from rebal.proposal.trades import TradeList

__all__ = ["recommend"]


def recommend(profile: Profile, alloc: Allocation, sim: Simulation | None, tl: TradeList, drift: float,
              current_checks: pd.DataFrame) -> tuple[str, str, list[str], list[str]]:
    """(recommendation, confidence, warnings, alerts) of a proposal (see the module docstring)."""
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
        alerts.append(f"drift {drift:.1%} exceeds {spec.drift_alert:.0%}: severe imbalance")
    if alloc.breaker.status == "BLOCKED":
        alerts.append(f"circuit breaker violation unresolved: {alloc.breaker.reason}; manual action needed")
        return "BLOCKED", "HIGH", warnings, alerts
    if tl.trades.empty:
        return "HOLD", "HIGH", ["nothing to trade: every trade is below the minimum trade value"], alerts
    thr = spec.improvement_threshold
    imp = sim.decision_improvement if sim is not None else float("nan")

    def verdict(x: float) -> str:
        return "REBALANCE" if x > thr else "OPTIONAL" if x >= -thr else "HOLD"

    rec = verdict(imp)
    fails = current_checks[current_checks["status"] == "FAIL"]
    dust = fails[fails["check"].str.startswith("minimum")]
    if len(dust):
        warnings.append(f"{len(dust)} current position(s) under the {spec.limits.min_allocation:.0%} minimum "
                        f"({', '.join(dust['item'][:6])}): the proposal closes or resizes them")
    breaches = fails[~fails["check"].str.startswith("minimum")]
    if len(breaches):
        what = "; ".join(f"{r.check} {r.item} {r.proposed:.1%} > {r.limit:.0%}" for r in breaches.itertuples())
        warnings.append(f"the current allocation breaches {len(breaches)} hard limit(s) ({what}): rebalancing is "
                        f"required whatever the projected improvement ({imp:+.1%})")
        return "REBALANCE", "HIGH", warnings, alerts
    if sim is None:
        warnings.append("no impact simulation was run: the recommendation rests on the limits only")
        return "OPTIONAL", "LOW", warnings, alerts
    if sim.improvement_out_of_sample is None:
        warnings.append("no out-of-sample estimate: the recommendation rests on the in-sample projection (look-ahead)")
        conf = "LOW"
    else:
        conf = "HIGH" if verdict(sim.improvement_in_sample) == rec else "MEDIUM"
        if verdict(sim.improvement_in_sample) != rec:
            warnings.append(f"in-sample ({sim.improvement_in_sample:+.1%}) and out-of-sample ({imp:+.1%}) disagree; "
                            "the recommendation follows the out-of-sample estimate")
    if rec != "HOLD" and imp < spec.marginal_threshold:
        warnings.append(f"projected improvement {imp:+.1%} is under {spec.marginal_threshold:.0%}: marginal benefit")
    return rec, conf, warnings, alerts
