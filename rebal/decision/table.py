"""The week's decision for one profile: one action, from one vocabulary, with the reasons that led to it.

Three analyses feed it, each keeping its own words, and no word is shared between them or with
the decision:

- the drift monitor's **status**: ``MAINTAIN`` / ``REBALANCE`` / ``URGENT`` (drift against the
  profile's thresholds);
- the planner's **verdict**: ``TRADE`` / ``REVIEW`` / ``DELAY`` / ``QUIET`` (drift rules,
  cost against benefit, market regime);
- the proposal's **simulation verdict**: ``IMPROVES`` / ``WITHIN NOISE`` / ``WORSENS`` /
  ``NOT SIMULATED`` (the net Sharpe change out of sample against its threshold and its standard
  error).

Besides them: whether the circuit breakers found an allocation within the hard limits, the hard
limits the current holdings break (a **required** remedy, :mod:`rebal.proposal.options`), the hard
limits the target itself breaks (a configuration conflict), how much of the drift is a change of the
target (an additive split of the drift into prices and target), the **recommendation** on a changed
target (ADOPT TARGET / ADOPT PART-WAY / KEEP CURRENT with its evidence, :mod:`rebal.decision.recommend`)
and the data checks. :func:`decide` applies :data:`DECISION_TABLE` top to bottom; the first row whose
condition holds gives the action. Data, configuration conflicts and breaches come before any question
about the target, and an URGENT drift made by prices before a moved target. A row marked
``required`` (a broken hard limit) is decided on its own line, and the table is applied again without
it to give the discretionary part (:attr:`Decision.then`). The table is the one written in the
README and shown in the reports (tests keep them the same).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Literal

__all__ = ["ACTIONS", "Action", "DecisionInputs", "Decision", "Row", "DECISION_TABLE", "decide", "table_markdown"]

Action = Literal["EXECUTE", "CURE BREACH", "ADOPT TARGET", "ADOPT PART-WAY", "KEEP CURRENT", "DEFER", "NO ACTION",
                 "RESOLVE CONFLICT", "FIX DATA"]
#: The decision's vocabulary, with what each word asks of the committee.
ACTIONS: dict[str, str] = {
    "EXECUTE": "approve and execute the proposed trades",
    "CURE BREACH": "required: approve and execute the remedial trades that bring the holdings within every hard "
                   "limit (their own id and sign-off line); the recommendation on the rest follows",
    "ADOPT TARGET": "recommended: adopt the changed target; its trades are the proposal",
    "ADOPT PART-WAY": "recommended: trade part of the way to the changed target (the part-way trades, and how far)",
    "KEEP CURRENT": "recommended: keep the current book; the evidence does not support the changed target",
    "DEFER": "no trade this week; look again at the next review",
    "NO ACTION": "nothing to decide this week",
    "RESOLVE CONFLICT": "the profile cannot meet its own hard limits: change the profile before trading",
    "FIX DATA": "the data failed its checks: no decision can rest on these numbers",
}
DRIFT_STATUSES = ("MAINTAIN", "REBALANCE", "URGENT")
PLANNER_VERDICTS = ("TRADE", "REVIEW", "DELAY", "QUIET")
SIMULATION_VERDICTS = ("IMPROVES", "WITHIN NOISE", "WORSENS", "NOT SIMULATED")
RECOMMENDATION_GRADES = ("ADOPT TARGET", "ADOPT PART-WAY", "KEEP CURRENT", "")


@dataclass(frozen=True)
class DecisionInputs:
    """Everything the decision reads (fractions of portfolio value unless stated).

    Attributes
    ----------
    drift_status
        The drift monitor's status (:data:`DRIFT_STATUSES`).
    planner_verdict
        The planner's verdict (:data:`PLANNER_VERDICTS`).
    simulation_verdict
        The proposal's simulation verdict (:data:`SIMULATION_VERDICTS`).
    drift
        Portfolio drift against today's target, ½ Σ|w − w*|.
    price_drift
        Drift of today's weights from the weights implemented last time (market moves only), a distance.
    target_change
        Distance between the implemented weights and today's target (the target moved).
    price_part, target_part
        The drift split into what prices did and what the target did, parts that add up to ``drift``
        (:func:`rebal.analytics.drift.drift_split`); NaN: not split (the distances decide).
    rebalance_threshold
        The profile's ``drift.rebalance``.
    limits_feasible, limits_reason
        Whether the circuit breakers found an allocation within every hard limit, and why not.
    hard_breaches
        Hard limits the current holdings break, one readable line each.
    target_conflicts
        Hard limits the target itself breaks (a configuration conflict), one line each.
    data_problems
        Failed data checks, one line each (empty when the data is fit).
    planner_reason, simulation_reason
        The planner's and the simulation's own one-line explanation.
    recommendation, recommendation_reason
        The grade of the recommendation on the changed target (:data:`RECOMMENDATION_GRADES`, "" when
        there is none) and its reason.
    remedy
        The required remedial part in one line (its trades, value, cost and id), "" when none.
    """

    drift_status: str
    planner_verdict: str
    simulation_verdict: str
    drift: float
    price_drift: float
    target_change: float
    rebalance_threshold: float
    limits_feasible: bool = True
    limits_reason: str = ""
    hard_breaches: tuple[str, ...] = ()
    target_conflicts: tuple[str, ...] = ()
    data_problems: tuple[str, ...] = ()
    planner_reason: str = ""
    simulation_reason: str = ""
    price_part: float = float("nan")
    target_part: float = float("nan")
    recommendation: str = ""
    recommendation_reason: str = ""
    remedy: str = ""

    def __post_init__(self) -> None:
        for value, valid, what in ((self.drift_status, DRIFT_STATUSES, "drift status"),
                                   (self.planner_verdict, PLANNER_VERDICTS, "planner verdict"),
                                   (self.simulation_verdict, SIMULATION_VERDICTS, "simulation verdict"),
                                   (self.recommendation, RECOMMENDATION_GRADES, "recommendation")):
            if value not in valid:
                raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")

    @property
    def _parts(self) -> tuple[float, float]:
        split = self.price_part == self.price_part and self.target_part == self.target_part  # not NaN
        return (self.price_part, self.target_part) if split else (self.price_drift, self.target_change)

    @property
    def target_change_dominates(self) -> bool:
        """Whether the drift above the rebalance threshold is mostly the target moving, not prices."""
        prices, target = self._parts
        return self.drift > self.rebalance_threshold and target >= prices

    @property
    def prices_dominate(self) -> bool:
        """Whether prices made more of the drift than the target did."""
        prices, target = self._parts
        return prices > target


@dataclass(frozen=True)
class Row:
    """One row of the decision table: when ``condition`` holds, the action is ``action`` because ``reason``."""

    number: int
    when: str                                      # the condition in words (README, reports)
    action: str
    condition: Callable[[DecisionInputs], bool]
    reason: Callable[[DecisionInputs], str]
    required: bool = False                         # decided on its own line; the table decides the rest


def _join(items: tuple[str, ...], n: int = 3) -> str:
    return "; ".join(items[:n]) + (f"; and {len(items) - n} more" if len(items) > n else "")


def _short(breach: str) -> str:
    """Return a breach line without the name of its profile field (the reports name it in full)."""
    return re.sub(r" \(proposal\.limits\.\w+\)$", "", breach)


def _moved(i: DecisionInputs) -> str:
    prices, target = i._parts
    return (f"the target moved ({target:.1%} of the {i.drift:.1%} drift, prices {prices:.1%})"
            + (f": {i.recommendation_reason}" if i.recommendation_reason else f": {i.recommendation}"))


DECISION_TABLE: tuple[Row, ...] = (
    Row(1, "a data check failed", "FIX DATA", lambda i: bool(i.data_problems),
        lambda i: f"data checks failed ({_join(i.data_problems)}), so no decision can rest on these numbers"),
    Row(2, "the target itself breaks a hard limit (configuration conflict)", "RESOLVE CONFLICT",
        lambda i: bool(i.target_conflicts),
        lambda i: f"the profile's own target breaks its hard limits ({_join(i.target_conflicts)}): trading "
                  "towards it cannot comply, so the profile must change first"),
    Row(3, "no allocation meets the hard limits (the circuit breakers failed)", "RESOLVE CONFLICT",
        lambda i: not i.limits_feasible,
        lambda i: "the circuit breakers found no allocation within the hard limits"
                  + (f" ({i.limits_reason})" if i.limits_reason else "")),
    Row(4, "the current holdings break a hard limit", "CURE BREACH", lambda i: bool(i.hard_breaches),
        lambda i: f"a hard limit is broken now ({_join(tuple(_short(b) for b in i.hard_breaches))}): its remedy is "
                  "required whatever is decided on the target", required=True),
    Row(5, "drift status URGENT and prices moved the holdings more than the target moved", "EXECUTE",
        lambda i: i.drift_status == "URGENT" and i.prices_dominate,
        lambda i: f"drift {i.drift:.1%} is beyond the urgent limits of the profile (status URGENT) and prices made "
                  "most of it: the policy requires a rebalance"),
    Row(6, "the target moved at least as much as prices did (drift above the rebalance threshold) and the evidence "
           "recommends adopting it", "ADOPT TARGET",
        lambda i: i.target_change_dominates and i.recommendation == "ADOPT TARGET", _moved),
    Row(7, "the target moved at least as much as prices did, and the evidence recommends part of the way (an "
           "unstable target, or costs that stop the trade short)", "ADOPT PART-WAY",
        lambda i: i.target_change_dominates and i.recommendation == "ADOPT PART-WAY", _moved),
    Row(8, "the target moved at least as much as prices did, and the evidence does not support the change (not "
           "better on the profile's objective beyond its noise, a measure against it, or not worth its cost)",
        "KEEP CURRENT",
        lambda i: i.target_change_dominates and i.recommendation == "KEEP CURRENT", _moved),
    Row(9, "planner verdict DELAY (stress regime, moderate drift)", "DEFER", lambda i: i.planner_verdict == "DELAY",
        lambda i: "markets are in the stress regime and the drift is moderate: the planner delays trading"),
    Row(10, "drift status REBALANCE, planner verdict TRADE, simulation verdict WORSENS", "DEFER",
        lambda i: i.drift_status == "REBALANCE" and i.planner_verdict == "TRADE" and i.simulation_verdict == "WORSENS",
        lambda i: f"drift {i.drift:.1%} is above the rebalance threshold ({i.rebalance_threshold:.0%}) and trading "
                  "is worth its cost, but the proposal does worse than the current holdings beyond statistical "
                  "noise: look again before trading"),
    Row(11, "drift status REBALANCE and planner verdict TRADE", "EXECUTE",
        lambda i: i.drift_status == "REBALANCE" and i.planner_verdict == "TRADE",
        lambda i: f"drift {i.drift:.1%} is above the rebalance threshold ({i.rebalance_threshold:.0%}) and the "
                  "expected benefit of trading exceeds its cost"),
    Row(12, "drift status REBALANCE, planner verdict not TRADE", "DEFER",
        lambda i: i.drift_status == "REBALANCE",
        lambda i: f"drift {i.drift:.1%} is above the rebalance threshold ({i.rebalance_threshold:.0%}) but the "
                  "planner does not find trading worth its cost now"),
    Row(13, "simulation verdict IMPROVES (the Sharpe difference beyond its noise)", "EXECUTE",
        lambda i: i.simulation_verdict == "IMPROVES",
        lambda i: "drift is within its limits, but the simulated strategy beats the book as held beyond its "
                  "statistical noise"),
    Row(14, "otherwise", "NO ACTION", lambda i: True,
        lambda i: f"drift {i.drift:.1%} is within the profile's limits and no simulated difference stands out "
                  "from the noise"),
)


@dataclass(frozen=True)
class Decision:
    """The week's decision for a profile: :attr:`action` and the ordered reasons behind it.

    When the deciding row is a required one (a broken hard limit), :attr:`then` is the decision on
    the rest (the table applied again without the breach): the committee signs the required part on
    its own line and decides the discretionary part apart. ``proposal_id`` and ``remedial_id`` name
    what would be signed (empty when there is nothing).
    """

    action: str
    rule: int
    reasons: tuple[str, ...]
    inputs: DecisionInputs = field(repr=False)
    then: Decision | None = None
    proposal_id: str = ""
    remedial_id: str = ""

    @property
    def reason(self) -> str:
        """The deciding reason (first of :attr:`reasons`)."""
        return self.reasons[0]

    @property
    def meaning(self) -> str:
        """What the action asks of the committee."""
        return ACTIONS[self.action]

    @property
    def required(self) -> bool:
        """Whether the action is required (a hard limit broken now) rather than a decision on the target."""
        return self.then is not None

    @property
    def discretionary(self) -> Decision:
        """The decision on what is not required: :attr:`then` after a required action, else this one."""
        return self.then if self.then is not None else self

    @property
    def headline(self) -> str:
        """Both parts in words: ``CURE BREACH (required), then ADOPT PART-WAY``, or just the action."""
        return f"{self.action} (required), then {self.then.action}" if self.then is not None else self.action

    def to_json(self) -> dict:
        """Plain types for JSON outputs and scraps (the discretionary part under ``then``)."""
        return {"action": self.action, "meaning": self.meaning, "rule": self.rule, "reason": self.reason,
                "reasons": list(self.reasons), "required": self.required, "headline": self.headline,
                "proposal_id": self.proposal_id, "remedial_id": self.remedial_id,
                "then": ({"action": self.then.action, "meaning": self.then.meaning, "rule": self.then.rule,
                          "reason": self.then.reason} if self.then is not None else None),
                "inputs": asdict(self.inputs)}


def _context(i: DecisionInputs) -> list[str]:
    """Say what each input said, in its own words (after the deciding reason)."""
    split = (f"of which prices {i.price_part:.1%} and the target's move {i.target_part:.1%}"
             if i.price_part == i.price_part and i.target_part == i.target_part else "")
    out = [f"drift monitor: {i.drift_status} (drift {i.drift:.1%} against today's target"
           + (f", {split}" if split else "") + ")",
           f"planner: {i.planner_verdict}" + (f" ({i.planner_reason})" if i.planner_reason else ""),
           f"simulation: {i.simulation_verdict}" + (f" ({i.simulation_reason})" if i.simulation_reason else "")]
    if i.recommendation and i.target_change_dominates:
        out.append(f"recommendation on the target: {i.recommendation}"
                   + (f" ({i.recommendation_reason})" if i.recommendation_reason else ""))
    if i.hard_breaches:
        out.append(f"hard limits breached now: {_join(i.hard_breaches)}")
    return out


def _first(inputs: DecisionInputs) -> Decision:
    for row in DECISION_TABLE:
        if row.condition(inputs):
            rest = [c for c in _context(inputs) if not (row.required and c.startswith("hard limits"))]
            if row.number in (6, 7, 8):  # the deciding reason already gives the recommendation
                rest = [c for c in rest if not c.startswith("recommendation on the target")]
            return Decision(row.action, row.number, (row.reason(inputs), *rest), inputs)
    raise AssertionError("the decision table ends with an 'otherwise' row")  # pragma: no cover


def decide(inputs: DecisionInputs, *, proposal_id: str = "", remedial_id: str = "") -> Decision:
    """Apply :data:`DECISION_TABLE` to ``inputs``: the first row whose condition holds decides.

    The reasons are the deciding row's reason followed by what each input said in its own words. After
    a required row the table is applied again without the breach: that decision is :attr:`Decision.then`.
    """
    d = _first(inputs)
    row = next(r for r in DECISION_TABLE if r.number == d.rule)
    then = _first(replace(inputs, hard_breaches=())) if row.required else None
    return replace(d, then=then, proposal_id=proposal_id, remedial_id=remedial_id)


def table_markdown() -> str:
    """Write the decision table as Markdown (README and reports show exactly this)."""
    lines = ["| # | when | decision |", "|---|---|---|"]
    lines += [f"| {r.number} | {r.when} | **{r.action}** |" for r in DECISION_TABLE]
    lines.append("")
    lines += [f"- **{a}**: {m}." for a, m in ACTIONS.items()]
    return "\n".join(lines)
