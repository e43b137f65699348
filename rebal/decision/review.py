"""The weekly review of one profile: drift audit, planner, proposal, recommendation and the one decision.

:func:`weekly_review` gathers the inputs of :func:`rebal.decision.table.decide` from the analyses
that produce them (the recommendation on a changed target with its evidence,
:mod:`rebal.decision.recommend`, among them), so that the drift audit report, the proposal report,
the packet cover and the JSON of ``rebal drift-monitor`` and ``rebal propose`` all show the same
decision object, with the same proposal id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rebal.decision.recommend import Recommendation, recommend
from rebal.decision.table import Decision, DecisionInputs, decide
from rebal.monitor.audit import DriftAudit, drift_audit
from rebal.monitor.planner import PlannerResult, decision_panel

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.state import StateStore
    from rebal.proposal.build import Proposal

__all__ = ["WeeklyReview", "decision_inputs", "weekly_review"]


@dataclass(frozen=True)
class WeeklyReview:
    """One profile's week: what each analysis found and the decision they lead to."""

    audit: DriftAudit
    panel: PlannerResult
    proposal: Proposal | None  # None when the profile has no holdings to trade from
    decision: Decision
    #: the graded recommendation on the target with its evidence (None without a proposal)
    recommendation: Recommendation | None = None

    @property
    def profile(self) -> Profile:
        """The profile reviewed."""
        return self.audit.profile

    @property
    def as_of(self) -> date:
        """The as-of date of the review."""
        return self.audit.as_of


def _data_problems(audit: DriftAudit) -> tuple[str, ...]:
    fr = audit.freshness.table
    bad = fr[~fr["ok"]]
    return tuple(f"{t}: latest close {r['last_price_date']} ({r['sessions_stale']} sessions old)"
                 for t, r in bad.iterrows())


def _remedy(p: Proposal | None) -> str:
    r = p.remedial if p is not None else None
    if r is None:
        return ""
    return (f"remedial part {r.id}: {len(r.trades.trades)} trade(s) worth ${r.traded_value:,.0f}, estimated cost "
            f"${r.cost_usd:,.0f}")


def decision_inputs(audit: DriftAudit, panel: PlannerResult, proposal: Proposal | None,
                    recommendation: Recommendation | None = None) -> DecisionInputs:
    """Gather the decision's inputs from the drift audit, the planner, the proposal and its recommendation."""
    p, r = proposal, recommendation
    return DecisionInputs(
        drift_status=audit.result.status.value,
        planner_verdict=panel.verdict,
        simulation_verdict=p.verdict if p is not None else "NOT SIMULATED",
        drift=float(audit.result.portfolio_drift),
        price_drift=float(audit.price_drift),
        target_change=float(audit.target_change),
        rebalance_threshold=audit.profile.drift.rebalance,
        limits_feasible=not p.blocked if p is not None else True,
        limits_reason=p.allocation.breaker.reason if p is not None and p.blocked else "",
        hard_breaches=tuple(p.hard_breaches) if p is not None else (),
        target_conflicts=tuple(p.target_conflicts) if p is not None else (),
        data_problems=_data_problems(audit),
        planner_reason=panel.verdict_reason,
        simulation_reason=p.verdict_reason if p is not None else "the profile has no holdings to trade from",
        price_part=float(audit.price_part), target_part=float(audit.target_part),
        recommendation=r.grade if r is not None else "",
        recommendation_reason=r.reasons[0] if r is not None else "",
        remedy=_remedy(p),
    )


def weekly_review(profile: Profile, lh: Lakehouse, as_of: date | None = None, states: StateStore | None = None,
                  *, mode: str | None = None, proposal: Proposal | None = None) -> WeeklyReview:
    """Audit ``profile`` as of ``as_of``, run the planner, build the proposal and decide.

    Parameters
    ----------
    profile, lh, as_of, states
        As for :func:`rebal.monitor.audit.drift_audit` (``as_of`` None: the latest data).
    mode
        Rebalance mode of the proposal (default: the profile's ``proposal.mode``).
    proposal
        A proposal already built for the same profile and date (not rebuilt).
    """
    from rebal.proposal.build import build_proposal

    audit = drift_audit(profile, lh, as_of, states)
    panel = decision_panel(audit, lh)
    if proposal is None and lh.at(audit.as_of).holdings_dates(profile.name):
        proposal = build_proposal(profile, lh, audit.as_of, mode=mode)
    rec = recommend(proposal, lh) if proposal is not None else None
    decision = decide(decision_inputs(audit, panel, proposal, rec),
                      proposal_id=proposal.id if proposal is not None else "",
                      remedial_id=proposal.remedial.id if proposal is not None and proposal.remedial else "")
    return WeeklyReview(audit, panel, proposal, decision, rec)
