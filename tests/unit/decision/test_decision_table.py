"""The decision table, row by row: each row decides when it is the first whose condition holds."""
from __future__ import annotations

import re

import pytest
from conftest import REPO

from rebal.decision.table import ACTIONS, DECISION_TABLE, PLANNER_VERDICTS, SIMULATION_VERDICTS, DecisionInputs, decide


def inputs(**kw) -> DecisionInputs:
    base = dict(drift_status="MAINTAIN", planner_verdict="QUIET", simulation_verdict="WITHIN NOISE", drift=0.05,
                price_drift=0.05, target_change=0.0, rebalance_threshold=0.10, price_part=0.05, target_part=0.0)
    return DecisionInputs(**(base | kw))


#: the max_sharpe week of the issue: LLY 29.7 % > 20 %, URGENT 75.7 % drift made by the target's move
MOVED = dict(drift_status="URGENT", drift=0.757, price_drift=0.15, target_change=0.758, price_part=-0.001,
             target_part=0.758)

#: (row, inputs that make it the first row to hold, a phrase its reason must contain)
CASES = [
    (1, inputs(data_problems=("stale close of XOM",), drift_status="URGENT", drift=0.5, hard_breaches=("x",)),
     "data checks failed (stale close of XOM)"),
    (2, inputs(target_conflicts=("cluster MTUM+QUAL 60.0% > 30%",), hard_breaches=("x",)), "own target breaks its hard limits"),
    (3, inputs(limits_feasible=False, limits_reason="cluster cannot be cut", drift_status="URGENT"), "no allocation"),
    (4, inputs(**MOVED, hard_breaches=("single-asset LLY: 29.7% > 20%",), recommendation="ADOPT TARGET",
               remedy="remedial part x-remedial-1: 3 trade(s) worth $4,101,151"), "its remedy is required"),
    (5, inputs(drift_status="URGENT", drift=0.25, price_drift=0.25, price_part=0.2, target_part=0.05,
               recommendation="KEEP CURRENT", planner_verdict="DELAY"), "prices made most of it"),
    (6, inputs(**MOVED, recommendation="ADOPT TARGET", recommendation_reason="better beyond its noise"),
     "the target moved (75.8% of the 75.7% drift, prices -0.1%): better beyond its noise"),
    (7, inputs(**MOVED, recommendation="ADOPT PART-WAY", recommendation_reason="unstable"), "drift, prices -0.1%): unstable"),
    (8, inputs(**MOVED, recommendation="KEEP CURRENT", planner_verdict="TRADE"), "the target moved (75.8% of"),
    (9, inputs(planner_verdict="DELAY", drift_status="REBALANCE", drift=0.11, price_drift=0.11, price_part=0.11),
     "stress regime"),
    (10, inputs(drift_status="REBALANCE", planner_verdict="TRADE", simulation_verdict="WORSENS", drift=0.13,
                price_drift=0.13, price_part=0.13), "beyond statistical noise"),
    (11, inputs(drift_status="REBALANCE", planner_verdict="TRADE", drift=0.13, price_drift=0.13, price_part=0.13),
     "exceeds its cost"),
    (12, inputs(drift_status="REBALANCE", planner_verdict="REVIEW", drift=0.12, price_drift=0.12, price_part=0.12),
     "not find trading worth"),
    (13, inputs(simulation_verdict="IMPROVES"), "beats the book as held beyond its statistical noise"),
    (14, inputs(planner_verdict="TRADE", simulation_verdict="WITHIN NOISE"), "within the profile's limits"),
]


def test_every_row_has_a_case():
    assert sorted(c[0] for c in CASES) == [r.number for r in DECISION_TABLE]


@pytest.mark.parametrize("row, given, phrase", CASES, ids=[f"row{c[0]}" for c in CASES])
def test_row_decides_when_it_is_the_first_to_hold(row, given, phrase):
    d = decide(given)
    expected = next(r for r in DECISION_TABLE if r.number == row)
    assert d.rule == row and d.action == expected.action
    assert phrase in d.reason
    assert d.reasons[1].startswith("drift monitor: ") and d.reasons[2].startswith("planner: ")


def test_a_breach_is_decided_first_and_the_target_question_after_it():
    # the max_sharpe week: the breach is required on its own line; the changed target is the rest
    d = decide(inputs(**MOVED, hard_breaches=("single-asset LLY: 29.7% > 20%",), recommendation="ADOPT PART-WAY"),
               proposal_id="p-1", remedial_id="p-remedial-1")
    assert d.action == "CURE BREACH" and d.rule == 4 and d.required
    assert d.then is not None and d.then.action == "ADOPT PART-WAY" and d.then.rule == 7
    assert d.discretionary is d.then and d.headline == "CURE BREACH (required), then ADOPT PART-WAY"
    # without a breach the same week goes straight to the target question
    assert decide(inputs(**MOVED, recommendation="ADOPT PART-WAY")).action == "ADOPT PART-WAY"
    # a breach with nothing else to decide: the rest is NO ACTION
    assert decide(inputs(hard_breaches=("x",))).then.action == "NO ACTION"


def test_urgent_drift_made_by_prices_comes_before_a_moved_target_and_one_made_by_the_target_does_not():
    prices = inputs(drift_status="URGENT", drift=0.25, price_drift=0.22, target_change=0.12, price_part=0.15,
                    target_part=0.10, recommendation="KEEP CURRENT")
    assert decide(prices).action == "EXECUTE" and decide(prices).rule == 5
    target = inputs(drift_status="URGENT", drift=0.25, price_drift=0.12, target_change=0.22, price_part=0.10,
                    target_part=0.15, recommendation="KEEP CURRENT")
    assert decide(target).action == "KEEP CURRENT" and decide(target).rule == 8


def test_the_split_decides_not_the_distances():
    # distances say prices (0.15 > 0.10), the parts that add up to the drift say the target (0.09 > 0.03)
    i = inputs(drift=0.12, price_drift=0.15, target_change=0.10, price_part=0.03, target_part=0.09,
               recommendation="KEEP CURRENT")
    assert i.target_change_dominates and decide(i).action == "KEEP CURRENT"
    assert "of which prices 3.0% and the target's move 9.0%" in decide(i).reasons[1]


def test_the_decision_vocabulary_shares_no_word_with_its_inputs():
    inputs_words = {w for v in ("MAINTAIN", "REBALANCE", "URGENT", *PLANNER_VERDICTS, *SIMULATION_VERDICTS)
                    for w in v.split()}
    action_words = {w for a in ACTIONS for w in a.split()}
    assert not inputs_words & action_words
    # and the inputs' vocabularies share no word with each other
    monitor, planner, sim = {"MAINTAIN", "REBALANCE", "URGENT"}, set(PLANNER_VERDICTS), set(SIMULATION_VERDICTS)
    assert not (monitor & planner) and not (monitor & sim) and not (planner & sim)


def test_hard_breach_reason_is_not_repeated_as_context():
    d = decide(inputs(hard_breaches=("single LLY 29.7% > 20%",)))
    assert sum("LLY" in r for r in d.reasons) == 1


def test_the_recommendation_is_context_only_when_the_target_moved():
    quiet = decide(inputs(recommendation="ADOPT PART-WAY"))  # drift 5 %: no target question
    assert quiet.action == "NO ACTION" and not any(r.startswith("recommendation") for r in quiet.reasons)


def test_unknown_input_words_are_refused():
    with pytest.raises(ValueError, match="unknown planner verdict 'HOLD'"):
        inputs(planner_verdict="HOLD")
    with pytest.raises(ValueError, match="unknown recommendation 'ADOPT'"):
        inputs(recommendation="ADOPT")


def test_target_change_dominates_only_above_the_threshold():
    nan = float("nan")
    assert not inputs(drift=0.08, price_part=0.0, target_part=0.08).target_change_dominates
    assert inputs(drift=0.12, price_part=0.06, target_part=0.06).target_change_dominates
    assert not inputs(drift=0.12, price_part=0.07, target_part=0.05).target_change_dominates
    # without the split the distances decide
    assert inputs(drift=0.12, price_drift=0.06, target_change=0.07, price_part=nan, target_part=nan).target_change_dominates


def test_json_carries_action_reasons_inputs_both_parts_and_the_ids():
    doc = decide(inputs(drift_status="URGENT", drift=0.3, price_drift=0.3, price_part=0.3), proposal_id="p").to_json()
    assert doc["action"] == "EXECUTE" and doc["rule"] == 5 and doc["inputs"]["drift_status"] == "URGENT"
    assert doc["meaning"] == ACTIONS["EXECUTE"] and doc["reasons"][0] == doc["reason"]
    assert doc["then"] is None and not doc["required"] and doc["proposal_id"] == "p"
    doc = decide(inputs(hard_breaches=("x",)), proposal_id="p", remedial_id="p-remedial").to_json()
    assert doc["required"] and doc["then"]["action"] == "NO ACTION" and doc["remedial_id"] == "p-remedial"


def test_the_readme_shows_the_table_the_code_applies():
    from rebal.decision.table import table_markdown

    readme = (REPO / "README.md").read_text()
    assert table_markdown() in readme
    rows = re.findall(r"^\| (\d+) \|", readme, flags=re.M)
    assert [int(r) for r in rows if int(r) <= len(DECISION_TABLE)][:len(DECISION_TABLE)] == \
        [r.number for r in DECISION_TABLE]
