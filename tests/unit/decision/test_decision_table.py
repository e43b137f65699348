"""The decision table, row by row: each row decides when it is the first whose condition holds."""
from __future__ import annotations

import re

import pytest
from conftest import REPO

from rebal.decision.table import ACTIONS, DECISION_TABLE, PLANNER_VERDICTS, SIMULATION_VERDICTS, DecisionInputs, decide


def inputs(**kw) -> DecisionInputs:
    base = dict(drift_status="MAINTAIN", planner_verdict="QUIET", simulation_verdict="WITHIN NOISE", drift=0.05,
                price_drift=0.05, target_change=0.0, rebalance_threshold=0.10)
    return DecisionInputs(**(base | kw))


#: (row, inputs that make it the first row to hold, a phrase its reason must contain)
CASES = [
    (1, inputs(data_problems=("stale close of XOM",), drift_status="URGENT", drift=0.5), "data checks failed (stale close of XOM)"),
    (2, inputs(target_conflicts=("cluster MTUM+QUAL 60.0% > 30%",), hard_breaches=("x",)), "own target breaks its hard limits"),
    (3, inputs(limits_feasible=False, limits_reason="cluster cannot be cut", drift_status="URGENT"), "no allocation"),
    (4, inputs(drift_status="URGENT", drift=0.78, price_drift=0.15, target_change=0.78, hard_breaches=("LLY 29.7% > 20%",)),
     "the target moved 78.0%"),
    (5, inputs(hard_breaches=("single LLY 29.7% > 20%",), simulation_verdict="WORSENS"), "whatever the simulation says"),
    (6, inputs(drift_status="URGENT", drift=0.25, price_drift=0.25, planner_verdict="DELAY"), "URGENT"),
    (7, inputs(planner_verdict="DELAY", drift_status="REBALANCE", drift=0.11, price_drift=0.11), "stress regime"),
    (8, inputs(drift_status="REBALANCE", planner_verdict="TRADE", simulation_verdict="WORSENS", drift=0.13,
               price_drift=0.13), "beyond statistical noise"),
    (9, inputs(drift_status="REBALANCE", planner_verdict="TRADE", drift=0.13, price_drift=0.13), "exceeds its cost"),
    (10, inputs(drift_status="REBALANCE", planner_verdict="REVIEW", drift=0.12, price_drift=0.12), "not find trading worth"),
    (11, inputs(simulation_verdict="IMPROVES"), "clears both its threshold"),
    (12, inputs(planner_verdict="TRADE", simulation_verdict="WITHIN NOISE"), "within the profile's limits"),
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


def test_unknown_input_words_are_refused():
    with pytest.raises(ValueError, match="unknown planner verdict 'HOLD'"):
        inputs(planner_verdict="HOLD")


def test_target_change_dominates_only_above_the_threshold():
    assert not inputs(drift=0.08, price_drift=0.01, target_change=0.08).target_change_dominates
    assert inputs(drift=0.12, price_drift=0.06, target_change=0.06).target_change_dominates
    assert not inputs(drift=0.12, price_drift=0.07, target_change=0.05).target_change_dominates


def test_json_carries_action_reasons_and_inputs():
    doc = decide(inputs(drift_status="URGENT", drift=0.3, price_drift=0.3)).to_json()
    assert doc["action"] == "EXECUTE" and doc["rule"] == 6 and doc["inputs"]["drift_status"] == "URGENT"
    assert doc["meaning"] == ACTIONS["EXECUTE"] and doc["reasons"][0] == doc["reason"]


def test_the_readme_shows_the_table_the_code_applies():
    from rebal.decision.table import table_markdown

    readme = (REPO / "README.md").read_text()
    assert table_markdown() in readme
    rows = re.findall(r"^\| (\d+) \|", readme, flags=re.M)
    assert [int(r) for r in rows if int(r) <= len(DECISION_TABLE)][:len(DECISION_TABLE)] == \
        [r.number for r in DECISION_TABLE]
