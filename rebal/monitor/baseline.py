"""Drift monitor and state acceptance: the operator's loop around the Last Implemented State.

- :func:`drift_monitor`: with no accepted state yet, record a baseline and report no drift
  (first run); otherwise audit drift against the LIS.
- :func:`accept_target`: record today's target as implemented (the new baseline).
- :func:`accept_holdings`: record the latest holdings snapshot as implemented (e.g. to repair the
  state after an execution whose state write failed).

The first-run baseline is the profile's latest holdings when the lakehouse has them (they are
what was really implemented; holdings or prices that cannot be valued are an error, not a reason to fall
back), else the current target, as the planner spec prescribes for a
system without position records. The output says which.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rebal.allocation.target import compute_target
from rebal.config import Profile
from rebal.data.freshness import check_as_of
from rebal.data.lakehouse import Lakehouse
from rebal.monitor.audit import DriftAudit, drift_audit, last_implemented
from rebal.monitor.state import StateEntry, StateStore

__all__ = ["MonitorResult", "drift_monitor", "accept_target", "accept_holdings", "monitor_json"]


@dataclass(frozen=True)
class MonitorResult:
    """A first-run baseline (``baseline``) or a drift audit (``audit``)."""

    profile: Profile
    as_of: date
    baseline: StateEntry | None = None
    audit: DriftAudit | None = None

    @property
    def first_run(self) -> bool:
        """True when this run recorded the first baseline instead of auditing drift."""
        return self.baseline is not None


def drift_monitor(profile: Profile, lh: Lakehouse, states: StateStore, as_of: date | None = None) -> MonitorResult:
    """Monitor one profile (see the module docstring); an ``as_of`` outside the data is refused (``check_as_of``)."""
    as_of = check_as_of(lh, as_of, max_stale_sessions=profile.data.max_stale_sessions)
    if not states.history(profile.name):
        if lh.at(as_of).holdings_dates(profile.name):  # unfit holdings or prices: an error, not a reason for the target
            lis = last_implemented(profile, lh, as_of, None)
            weights, when, source = lis.weights, lis.as_of, "holdings"
            note = f"baseline from the holdings implemented on {lis.as_of} (first drift-monitor run)"
        else:
            weights, when, source = compute_target(profile, lh.at(as_of), as_of).weights, as_of, "target"
            note = f"baseline: the current target as of {as_of}, taken as implemented (first drift-monitor run)"
        entry = states.accept(profile.name, weights, as_of=when, source=source, accepted_by="rebal drift-monitor",
                              note=note)
        return MonitorResult(profile, as_of, baseline=entry)
    return MonitorResult(profile, as_of, audit=drift_audit(profile, lh, as_of, states))


def accept_target(profile: Profile, lh: Lakehouse, states: StateStore, as_of: date | None = None, *,
                  accepted_by: str | None = None, note: str = "") -> StateEntry:
    """Record the current target of ``profile`` as implemented on ``as_of`` (inside the data, :func:`check_as_of`)."""
    as_of = check_as_of(lh, as_of, max_stale_sessions=profile.data.max_stale_sessions)
    target = compute_target(profile, lh.at(as_of), as_of)
    return states.accept(profile.name, target.weights, as_of=as_of, source="target", accepted_by=accepted_by,
                         note=note or f"{target.method} target accepted as implemented")


def accept_holdings(profile: Profile, lh: Lakehouse, states: StateStore, as_of: date | None = None, *,
                    accepted_by: str | None = None, note: str = "") -> StateEntry:
    """Record the profile's latest holdings snapshot on or before ``as_of`` as implemented (weights at its closes)."""
    as_of = check_as_of(lh, as_of, max_stale_sessions=profile.data.max_stale_sessions)
    lis = last_implemented(profile, lh, as_of, None)  # holdings only: no accepted state is consulted
    return states.accept(profile.name, lis.weights, as_of=lis.as_of, source="holdings", accepted_by=accepted_by,
                         note=note or f"holdings of {lis.as_of} accepted as implemented")


def monitor_json(res: MonitorResult) -> dict:
    """Machine-readable form of a monitor result (plain types)."""
    if res.first_run:
        b = res.baseline
        return {"profile": res.profile.name, "as_of": str(res.as_of), "first_run": True,
                "baseline": b.to_json(), "message": b.note}
    a = res.audit
    rows = [{"asset": k, "actual": float(r["actual"]), "target": float(r["target"]), "drift": float(r["drift"]),
             "beyond_band": bool(r["beyond_band"])} for k, r in a.table.iterrows()]
    th = res.profile.drift
    return {"profile": res.profile.name, "as_of": str(a.as_of), "first_run": False,
            "status": a.result.status.value, "turnover": a.result.portfolio_drift,
            "max_abs_drift": a.result.max_abs_drift, "max_drift_asset": a.result.max_drift_asset,
            "reasons": list(a.result.reasons),
            "thresholds": {"rebalance": th.rebalance, "urgent": th.urgent,
                           "single_asset_urgent": th.single_asset_urgent},
            "last_implemented": {"as_of": str(a.lis.as_of), "source": a.lis.source, "detail": a.lis.detail},
            "assets": rows}
