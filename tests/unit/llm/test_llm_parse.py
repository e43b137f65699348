"""Strict parsing of a model's answer: accepted whole, or refused with the reason."""
from __future__ import annotations

import json

import pytest
from llm_helpers import answer

from rebal.errors import ViewsRefused
from rebal.llm.parse import parse_answer
from rebal.llm.spec import CapsSpec

CAPS = CapsSpec(max_views=2, max_abs_return=0.5)
ASSETS = ["A", "B", "C"]


def _view(**kw):
    return {"long": ["A"], "short": [], "value": 0.06, "confidence": 0.5, "rationale": "why", **kw}


def test_a_good_answer_is_parsed():
    p = parse_answer(answer([_view(), _view(long=["B", "C"], short=["A"], value=-0.02)]), ASSETS, CAPS)
    assert [v.label for v in p.views] == ["A", "B+C vs A"]
    assert p.views[1].picks == {"B": 0.5, "C": 0.5, "A": -1.0} and p.views[1].kind == "relative"
    assert p.views[0].kind == "absolute" and p.risk_assessment == "Concentration in A."


def test_an_answer_in_one_code_fence_is_read():
    text = "```json\n" + answer([_view()]) + "\n```"
    assert len(parse_answer(text, ASSETS, CAPS).views) == 1


def test_no_views_is_a_valid_answer():
    assert parse_answer(answer([]), ASSETS, CAPS).views == ()


@pytest.mark.parametrize("text, reason", [
    ("Sure! Here are my views: A will rise.", "malformed JSON"),
    ('{"views": [], "risk_assessment": "x", "explanation": "y"', "malformed JSON"),
    ("", "empty answer"),
    ('[1, 2]', "expected a JSON object"),
    ('{"views": [], "risk_assessment": "x", "explanation": "y", "explanation": "z"}', "given twice"),
    ('{"views": [], "risk_assessment": "x"}', "missing key `explanation`"),
    ('{"views": [], "risk_assessment": "x", "explanation": "y", "weights": {"A": 1}}', "unknown key `weights`"),
    ('{"views": {}, "risk_assessment": "x", "explanation": "y"}', "expected a list"),
    ('{"views": [{"long": ["A"], "short": [], "value": NaN, "confidence": 0.5, "rationale": ""}], '
     '"risk_assessment": "x", "explanation": "y"}', "malformed JSON"),
])
def test_malformed_answers_are_refused(text, reason):
    with pytest.raises(ViewsRefused, match=reason):
        parse_answer(text, ASSETS, CAPS)


@pytest.mark.parametrize("views, reason", [
    ([_view()] * 3, r"3 views, at most 2 allowed"),
    ([_view(long=["TSLA"])], r"views\[0\].long: unknown ticker 'TSLA'"),
    ([_view(long=[])], "needs at least one ticker"),
    ([_view(long=["A", "A"])], "listed twice"),
    ([_view(long=["A"], short=["A"])], "'A' on both sides"),
    ([_view(value=0.9)], r"views\[0\].value: 0.9 is out of range"),
    ([_view(value=-0.51)], "out of range"),
    ([_view(value="0.05")], "expected a finite number"),
    ([_view(value=True)], "expected a finite number"),
    ([_view(confidence=0)], r"confidence: 0 is out of range \(0, 1\]"),
    ([_view(confidence=1.2)], "out of range"),
    ([_view(rationale="x" * 601)], "longer than 600"),
    ([_view(rationale="\x1b[31mred")], "control character"),
    ([_view(), _view(value=0.01)], r"views\[1\]: the same assets as views\[0\]"),
    ([{**_view(), "weight": 1.0}], "unknown key `weight`"),
])
def test_schema_violations_are_refused_with_the_reason(views, reason):
    with pytest.raises(ViewsRefused, match=reason):
        parse_answer(json.dumps({"views": views, "risk_assessment": "", "explanation": ""}), ASSETS, CAPS)
