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
limits the current holdings break, the hard limits the target itself breaks (a configuration
conflict), how much of the drift is a change of the target, and the data checks.
:func:`decide` applies :data:`DECISION_TABLE` top to bottom; the first row whose condition holds
gives the action. The table is the one written in the README and shown in the
reports (tests keep them the same).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Literal

__all__ = ["ACTIONS", "Action", "DecisionInputs", "Decision", "Row", "DECISION_TABLE", "decide", "table_markdown"]

Action = Literal["EXECUTE", "ADOPT TARGET", "DEFER", "NO ACTION", "RESOLVE CONFLICT", "FIX DATA"]
#: The decision's vocabulary, with what each word asks of the committee.
ACTIONS: dict[str, str] = {
    "EXECUTE": "approve and execute the proposed trades",
    "ADOPT TARGET": "decide whether to adopt the changed target; its trades are the proposal",
    "DEFER": "no trade this week; look again at the next review",
    "NO ACTION": "nothing to decide this week",
    "RESOLVE CONFLICT": "the profile cannot meet its own hard limits: change the profile before trading",
    "FIX DATA": "the data failed its checks: no decision can rest on these numbers",
}
DRIFT_STATUSES = ("MAINTAIN", "REBALANCE", "URGENT")
PLANNER_VERDICTS = ("TRADE", "REVIEW", "DELAY", "QUIET")
SIMULATION_VERDICTS = ("IMPROVES", "WITHIN NOISE", "WORSENS", "NOT SIMULATED")


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
        Drift of today's weights from the weights implemented last time (market moves only).
    target_change
        Distance between the implemented weights and today's target (the target moved).
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
    improvement
        The simulated net Sharpe change (out of sample) in the units its verdict was judged in,
        with ``improvement_se`` its standard error; None when there is no simulation.
    planner_reason, simulation_reason
        The planner's and the simulation's own one-line explanation.
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
    improvement: float | None = None
    improvement_se: float | None = None
    planner_reason: str = ""
    simulation_reason: str = ""

    def __post_init__(self) -> None:
        for value, valid, what in ((self.drift_status, DRIFT_STATUSES, "drift status"),
                                   (self.planner_verdict, PLANNER_VERDICTS, "planner verdict"),
                                   (self.simulation_verdict, SIMULATION_VERDICTS, "simulation verdict")):
            if value not in valid:
                raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")

    @property
    def target_change_dominates(self) -> bool:
        """Whether the drift above the rebalance threshold is mostly the target moving, not prices."""
        return self.drift > self.rebalance_threshold and self.target_change >= self.price_drift


@dataclass(frozen=True)
class Row:
    """One row of the decision table: when ``condition`` holds, the action is ``action`` because ``reason``."""

    number: int
    when: str                                      # the condition in words (README, reports)
    action: str
    condition: Callable[[DecisionInputs], bool]
    reason: Callable[[DecisionInputs], str]


def _join(items: tuple[str, ...], n: int = 3) -> str:
    return "; ".join(items[:n]) + (f"; and {len(items) - n} more" if len(items) > n else "")


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
    Row(4, "drift is above the rebalance threshold and the target moved at least as much as prices did",
        "ADOPT TARGET", lambda i: i.target_change_dominates,
        lambda i: f"the target moved {i.target_change:.1%} since the last implementation while prices moved the "
                  f"holdings {i.price_drift:.1%}: the question is whether to adopt the new target, not a drift"),
    Row(5, "the current holdings break a hard limit", "EXECUTE", lambda i: bool(i.hard_breaches),
        lambda i: f"a hard limit is breached ({_join(i.hard_breaches)}), so action is required whatever the "
                  "simulation says"),
    Row(6, "drift status URGENT", "EXECUTE", lambda i: i.drift_status == "URGENT",
        lambda i: f"drift {i.drift:.1%} is beyond the urgent limits of the profile (status URGENT): the policy "
                  "requires a rebalance"),
    Row(7, "planner verdict DELAY (stress regime, moderate drift)", "DEFER", lambda i: i.planner_verdict == "DELAY",
        lambda i: "markets are in the stress regime and the drift is moderate: the planner delays trading"),
    Row(8, "drift status REBALANCE, planner verdict TRADE, simulation verdict WORSENS", "DEFER",
        lambda i: i.drift_status == "REBALANCE" and i.planner_verdict == "TRADE" and i.simulation_verdict == "WORSENS",
        lambda i: f"drift {i.drift:.1%} is above the rebalance threshold ({i.rebalance_threshold:.0%}) and trading "
                  "is worth its cost, but the proposal does worse than the current holdings beyond statistical "
                  "noise: look again before trading"),
    Row(9, "drift status REBALANCE and planner verdict TRADE", "EXECUTE",
        lambda i: i.drift_status == "REBALANCE" and i.planner_verdict == "TRADE",
        lambda i: f"drift {i.drift:.1%} is above the rebalance threshold ({i.rebalance_threshold:.0%}) and the "
                  "expected benefit of trading exceeds its cost"),
    Row(10, "drift status REBALANCE, planner verdict not TRADE", "DEFER",
        lambda i: i.drift_status == "REBALANCE",
        lambda i: f"drift {i.drift:.1%} is above the rebalance threshold ({i.rebalance_threshold:.0%}) but the "
                  "planner does not find trading worth its cost now"),
    Row(11, "simulation verdict IMPROVES (clears its threshold and its noise)", "EXECUTE",
        lambda i: i.simulation_verdict == "IMPROVES",
        lambda i: "drift is within its limits, but the proposal's simulated improvement clears both its threshold "
                  "and its statistical noise"),
    Row(12, "otherwise", "NO ACTION", lambda i: True,
        lambda i: f"drift {i.drift:.1%} is within the profile's limits and no simulated improvement stands out "
                  "from the noise"),
)


@dataclass(frozen=True)
class Decision:
    """The week's decision for a profile: :attr:`action` and the ordered reasons behind it."""

    action: str
    rule: int
    reasons: tuple[str, ...]
    inputs: DecisionInputs = field(repr=False)

    @property
    def reason(self) -> str:
        """The deciding reason (first of :attr:`reasons`)."""
        return self.reasons[0]

    @property
    def meaning(self) -> str:
        """What the action asks of the committee."""
        return ACTIONS[self.action]

    def to_json(self) -> dict:
        """Plain types for JSON outputs and scraps."""
        return {"action": self.action, "meaning": self.meaning, "rule": self.rule, "reason": self.reason,
                "reasons": list(self.reasons), "inputs": asdict(self.inputs)}


def _context(i: DecisionInputs) -> list[str]:
    """Say what each input said, in its own words (after the deciding reason)."""
    out = [f"drift monitor: {i.drift_status} (drift {i.drift:.1%} against today's target; prices moved the "
           f"holdings {i.price_drift:.1%}, the target moved {i.target_change:.1%})",
           f"planner: {i.planner_verdict}" + (f" ({i.planner_reason})" if i.planner_reason else ""),
           f"simulation: {i.simulation_verdict}" + (f" ({i.simulation_reason})" if i.simulation_reason else "")]
    if i.hard_breaches:
        out.append(f"hard limits breached now: {_join(i.hard_breaches)}")
    return out


def decide(inputs: DecisionInputs) -> Decision:
    """Apply :data:`DECISION_TABLE` to ``inputs``: the first row whose condition holds decides.

    The reasons are the deciding row's reason followed by what each input said in its own words.
    """
    for row in DECISION_TABLE:
        if row.condition(inputs):
            rest = [c for c in _context(inputs) if not (row.number == 5 and c.startswith("hard limits"))]
            return Decision(row.action, row.number, (row.reason(inputs), *rest), inputs)
    raise AssertionError("the decision table ends with an 'otherwise' row")  # pragma: no cover


def table_markdown() -> str:
    """Write the decision table as Markdown (README and reports show exactly this)."""
    lines = ["| # | when | decision |", "|---|---|---|"]
    lines += [f"| {r.number} | {r.when} | **{r.action}** |" for r in DECISION_TABLE]
    lines.append("")
    lines += [f"- **{a}**: {m}." for a, m in ACTIONS.items()]
    return "\n".join(lines)
