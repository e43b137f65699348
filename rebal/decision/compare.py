"""Two weeks of a profile side by side: decisions, drift, target and holdings weights, risk figures.

:func:`week_facts` computes one profile's week point in time from the lakehouse, the way the
weekly reports do (the weekly review for the decision and the drift, the risk report's figures):
nothing depends on whether the reports of that week were run. :func:`compare_weeks` pairs two
dates; ``rebal compare --as-of A --vs B`` prints it or its JSON.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.state import StateStore

__all__ = ["WeekFacts", "week_facts", "compare_weeks", "comparison_json", "RISK_FIGURES"]

#: the risk figures compared (keys of :func:`rebal.stress.tables.headline`) with their labels
RISK_FIGURES = {"vol_current": "volatility of the holdings", "vol_target": "volatility of the target",
                "beta_current": "beta of the holdings", "te_current": "tracking error to the target",
                "var99_1d": "1-day 99 % VaR (historical)", "worst_episode_loss_current": "worst stress episode loss"}


@dataclass(frozen=True)
class WeekFacts:
    """One profile's week: the decision, the drift and the weights as the reports show them, and risk figures."""

    profile: str
    as_of: date
    decision: str
    reason: str
    drift_status: str
    drift: float
    weights: pd.DataFrame  # index ticker (CASH included), columns held, target
    risk: dict[str, float | None]
    risk_note: str = ""


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(float(x)) else None


def week_facts(profile: Profile, lh: Lakehouse, as_of: date, states: StateStore | None = None) -> WeekFacts:
    """Compute ``profile``'s week as of ``as_of`` (read-only; the proposal is not simulated twice: memoized)."""
    from rebal.decision.review import weekly_review
    from rebal.errors import DataError
    from rebal.stress.build import risk_stress
    from rebal.stress.tables import headline

    review = weekly_review(profile, lh, as_of, states)
    audit, d = review.audit, review.decision
    weights = pd.DataFrame({"held": audit.actual, "target": audit.target.weights}).fillna(0.0)
    risk: dict[str, float | None] = dict.fromkeys(RISK_FIGURES)
    note = ""
    try:
        h = headline(risk_stress(profile, lh, audit.as_of))
        risk = {k: _num(h.get(k)) for k in RISK_FIGURES}
    except DataError as exc:  # no holdings: no risk of a book to show
        note = str(exc).split(": ", 1)[-1]
    return WeekFacts(profile.name, audit.as_of, d.action, d.reason, audit.result.status.value,
                     float(audit.result.portfolio_drift), weights.sort_index(), risk, note)


def compare_weeks(profile: Profile, lh: Lakehouse, as_of: date, vs: date,
                  states: StateStore | None = None) -> tuple[WeekFacts, WeekFacts]:
    """Return ``profile``'s week as of ``as_of`` and as of ``vs``."""
    return week_facts(profile, lh, as_of, states), week_facts(profile, lh, vs, states)


def comparison_json(a: WeekFacts, b: WeekFacts) -> dict[str, Any]:
    """Two weeks of one profile as plain types (the JSON of ``rebal compare``)."""
    def week(f: WeekFacts) -> dict[str, Any]:
        return {"as_of": str(f.as_of), "decision": f.decision, "reason": f.reason, "drift_status": f.drift_status,
                "drift": f.drift, "risk": f.risk, "risk_note": f.risk_note}

    both = a.weights.join(b.weights, how="outer", lsuffix="_a", rsuffix="_b").fillna(0.0)
    rows = [{"ticker": t, "held_a": r["held_a"], "held_b": r["held_b"], "target_a": r["target_a"],
             "target_b": r["target_b"]} for t, r in both.iterrows()]
    return {"profile": a.profile, "a": week(a), "b": week(b), "weights": rows}
