"""What changed since the last committee, computed point in time from the lakehouse.

Each past week is evaluated as of its own date (only data dated on or before it is read), so the
history exists on a fresh install. The last committee is the latest earlier weekly run found in
the reports folder (its recorded decision is compared with the one recomputed as of its date, and a
difference is named), or else the session one week (``every`` sessions) before the as-of date.
Every implementation recorded since then, whichever command recorded it, is listed
(:mod:`rebal.decision.record`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from rebal.data.lakehouse import CASH
from rebal.data.proposals import list_proposals
from rebal.decision.record import Implementation, implementations_since
from rebal.decision.review import WeeklyReview, weekly_review
from rebal.monitor.audit import drift_audit

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.state import StateStore

__all__ = ["Changes", "alert_key", "review_alerts", "last_committee", "weekly_changes"]

#: weight changes of the target smaller than this (a fraction of value) are not listed
TARGET_CHANGE_MIN = 0.005


@dataclass
class Changes:
    """One profile's changes between the last committee and this one (see the module docstring)."""

    as_of: date
    previous: date | None
    previous_source: str
    drift_points: pd.DataFrame  # date, drift, status: the last weekly points, oldest first
    previous_decision: str | None = None
    previous_reason: str = ""
    recorded_decision: str | None = None
    differences: list[str] = field(default_factory=list)
    status_change: tuple[str, str] | None = None
    decision_change: tuple[str, str] | None = None
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    target_changes: list[tuple[str, float, float]] = field(default_factory=list)
    new_alerts: list[str] = field(default_factory=list)
    resolved_alerts: list[str] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)
    executions: list[str] = field(default_factory=list)
    #: every implementation recorded since the last committee, whichever command recorded it
    #: (:func:`rebal.decision.record.implementations_since`)
    implementations: list[Implementation] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain types for scraps and JSON."""
        return {"as_of": str(self.as_of), "previous": str(self.previous) if self.previous else "",
                "previous_source": self.previous_source,
                "drift_points": [{"date": str(d), "drift": float(x), "status": s}
                                 for d, x, s in self.drift_points[["date", "drift", "status"]].itertuples(index=False)],
                "previous_decision": self.previous_decision or "", "previous_reason": self.previous_reason,
                "recorded_decision": self.recorded_decision or "", "differences": list(self.differences),
                "status_change": list(self.status_change) if self.status_change else [],
                "decision_change": list(self.decision_change) if self.decision_change else [],
                "added": list(self.added), "dropped": list(self.dropped),
                "target_changes": [[t, float(a), float(b)] for t, a, b in self.target_changes],
                "new_alerts": list(self.new_alerts), "resolved_alerts": list(self.resolved_alerts),
                "approvals": list(self.approvals), "executions": list(self.executions),
                "implementations": [i.to_json() for i in self.implementations]}


def review_alerts(review: WeeklyReview) -> list[str]:
    """List the alerts of a week that need the committee's attention, one line each."""
    p, d = review.proposal, review.decision
    out = [f"hard limit: {b}" for b in d.inputs.hard_breaches]
    out += [f"configuration conflict: {c}" for c in d.inputs.target_conflicts]
    out += [f"data: {x}" for x in d.inputs.data_problems]
    if review.audit.result.status.value == "URGENT":
        out += [f"drift: {r}" for r in review.audit.result.reasons]
    if p is not None:
        out += list(p.alerts)
    return list(dict.fromkeys(out))


def alert_key(alert: str) -> str:
    """Identify an alert apart from its numbers: the same breach at 28.9 % and 29.7 % is one continuing alert."""
    return re.sub(r"[-+]?\d+(?:[.,]\d+)*\s*%?", "#", alert)


def _sessions_back(lh: Lakehouse, as_of: date, n: int, every: int) -> list[date]:
    s = lh.at(as_of).sessions()
    picks = [s[-1 - k * every] for k in range(n) if len(s) > k * every]
    return [d.date() for d in reversed(picks)]


def last_committee(reports_dir: Path | None, as_of: date) -> tuple[date | None, dict[str, dict]]:
    """Find the latest earlier weekly run in ``reports_dir`` (its date and recorded scraps by profile)."""
    if reports_dir is None or not Path(reports_dir).is_dir():
        return None, {}
    found = []
    for run in Path(reports_dir).glob("*/run.json"):
        try:
            when = date.fromisoformat(run.parent.name)
        except ValueError:
            continue
        if when < as_of:
            found.append((when, run))
    if not found:
        return None, {}
    when, run = max(found)
    try:
        doc = json.loads(run.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, RecursionError):  # RecursionError: a file nested too deeply
        return when, {}
    recorded = {}
    for r in doc.get("reports", []):
        if r.get("notebook") == "weekly_review" and r.get("ok"):
            recorded[r["profile"]] = r.get("scraps", {})
    return when, recorded


def _held_names(review: WeeklyReview) -> set[str]:
    w = review.audit.target.weights.drop(CASH, errors="ignore")
    return set(w.index[w > 1e-9])


def weekly_changes(profile: Profile, lh: Lakehouse, review: WeeklyReview, states: StateStore | None = None, *,
                   reports_dir: Path | None = None, weeks: int = 12, every: int = 5) -> Changes:
    """Compute the changes of ``profile`` between the last committee and ``review`` (this week), point in time.

    Parameters
    ----------
    profile, lh, states
        The profile, the lakehouse and the accepted states (as for the review).
    review
        This week's review.
    reports_dir
        Where earlier weekly runs live (``reports/<date>/run.json``); None to ignore them.
    weeks, every
        The drift trend: ``weeks`` points ``every`` NYSE sessions apart, ending at the as-of date.
    """
    as_of = review.as_of
    points = []
    for d in _sessions_back(lh, as_of, weeks, every):
        try:
            a = review.audit if d == as_of else drift_audit(profile, lh, d, states)
        except Exception:  # no Last Implemented State yet, or data too short that week: no point
            continue
        points.append((d, a.result.portfolio_drift, a.result.status.value))
    trend = pd.DataFrame(points, columns=["date", "drift", "status"])
    recorded_when, recorded = last_committee(reports_dir, as_of)
    if recorded_when is not None:
        prev_date, source = recorded_when, f"the weekly run of {recorded_when} (reports/{recorded_when}/run.json)"
    else:
        back = _sessions_back(lh, as_of, 2, every)
        prev_date = back[0] if len(back) == 2 else None
        source = (f"recomputed as of {prev_date}, one week earlier (no earlier run in the reports folder)"
                  if prev_date else "no earlier week in the data")
    ch = Changes(as_of, prev_date, source, trend)
    if prev_date is None:
        return ch
    ch.implementations = implementations_since(lh.at(as_of), profile.name, prev_date, as_of, states)
    try:
        before = weekly_review(profile, lh, prev_date, states)
    except Exception as exc:  # e.g. no holdings or LIS that week
        ch.previous_source += f"; the week of {prev_date} cannot be reviewed ({type(exc).__name__}: {exc})"
        return ch
    ch.previous_decision, ch.previous_reason = before.decision.action, before.decision.reason
    rec = recorded.get(profile.name, {})
    if rec:
        ch.recorded_decision = rec.get("decision_action") or None
        if ch.recorded_decision and ch.recorded_decision != before.decision.action:
            ch.differences.append(f"recorded {ch.recorded_decision} on {prev_date}; recomputed as of that date it is "
                                  f"{before.decision.action} (data or code changed since)")
    now_status, then_status = review.audit.result.status.value, before.audit.result.status.value
    if now_status != then_status:
        ch.status_change = (then_status, now_status)
    then_action = ch.recorded_decision or before.decision.action
    if review.decision.action != then_action:
        ch.decision_change = (then_action, review.decision.action)
    now_names, then_names = _held_names(review), _held_names(before)
    ch.added, ch.dropped = sorted(now_names - then_names), sorted(then_names - now_names)
    tn, tb = review.audit.target.weights, before.audit.target.weights
    idx = tn.index.union(tb.index)
    diff = tn.reindex(idx, fill_value=0.0) - tb.reindex(idx, fill_value=0.0)
    big = diff[diff.abs() >= TARGET_CHANGE_MIN].sort_values(key=abs, ascending=False)
    ch.target_changes = [(t, float(tb.get(t, 0.0)), float(tn.get(t, 0.0))) for t in big.index]
    a_now, a_then = review_alerts(review), review_alerts(before)
    k_now, k_then = {alert_key(a) for a in a_now}, {alert_key(a) for a in a_then}
    ch.new_alerts = [a for a in a_now if alert_key(a) not in k_then]
    ch.resolved_alerts = [a for a in a_then if alert_key(a) not in k_now]
    props = list_proposals(lh, profile.name)
    if len(props):
        asof = pd.to_datetime(props["as_of"]).dt.date
        window = props[(asof > prev_date) & (asof <= as_of)]
        for r in window.itertuples():
            if pd.notna(r.approved_by) and r.approved_by:
                ch.approvals.append(f"{r.id} approved by {r.approved_by} at {r.approved_at}")
            if pd.notna(r.executed_at) and r.executed_at:
                ch.executions.append(f"{r.id} executed at {r.executed_at}")
    return ch
