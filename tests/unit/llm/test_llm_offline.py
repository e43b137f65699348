"""The offline provider's rule worked out by hand on the three-asset example, through to the tilted weights."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from llm_helpers import make_profile, prepared

from rebal.llm.assist import APPLIED, execute, interpret
from rebal.llm.offline import offline_answer, offline_views
from rebal.llm.providers import OfflineProvider


@pytest.fixture
def profile(tmp_path):
    return make_profile(tmp_path, "  provider: offline\n  offline: {min_sentiment: 0.05, view_scale: 0.02}\n"
                                  "  caps: {max_views: 2, max_distance: 1.0}")


def test_the_rule_by_hand(profile):
    views = offline_views(prepared(profile).inputs)
    # candidates |s| >= 0.05: A (0.6) and B (0.4); C (0.03) is below the threshold. Largest first.
    assert [v["long"] for v in views] == [["A"], ["B"]]
    a, b = views
    # A: Q = pi_A + 0.02 * 0.6 = 0.05 + 0.012; trend +10 % agrees: c = 0.2 + 0.5 * 0.6 = 0.5
    assert a["value"] == pytest.approx(0.062) and a["confidence"] == pytest.approx(0.5)
    # B: Q = 0.0675 + 0.02 * (-0.4) = 0.0595; trend +5 % disagrees: c = (0.2 + 0.5 * 0.4) / 2 = 0.2
    assert b["value"] == pytest.approx(0.0595) and b["confidence"] == pytest.approx(0.2)
    assert a["short"] == [] and "agrees" in a["rationale"] and "disagrees" in b["rationale"]


def test_max_views_keeps_the_strongest_sentiment(profile):
    p = replace(profile, llm=replace(profile.llm, caps=replace(profile.llm.caps, max_views=1)))
    assert [v["long"] for v in offline_views(prepared(p).inputs)] == [["A"]]


def test_the_rules_views_tilt_the_base_as_worked_by_hand(profile):
    prep = prepared(profile)
    out = interpret(prep, execute(prep, OfflineProvider()))
    assert out.status == APPLIED and not out.model_generated
    # diagonal Sigma, one absolute Idzorek view per asset: each moves by c (Q - pi) / (delta sigma^2)
    d_a = 0.5 * 0.012 / (2.5 * 0.04)        # +0.06
    d_b = 0.2 * (-0.008) / (2.5 * 0.09)     # -0.0071111
    raw = [0.5 + d_a, 0.3 + d_b, 0.2]
    excess = sum(raw) - 1.0                 # spread equally by the least-squares projection
    assert out.weights.tolist() == pytest.approx([x - excess / 3 for x in raw], abs=1e-12)


def test_the_answer_is_deterministic_json_a_model_could_give(profile):
    inp = prepared(profile).inputs
    text = offline_answer(inp)
    assert text == offline_answer(inp)
    doc = json.loads(text)
    assert set(doc) == {"views", "risk_assessment", "explanation"}
    assert "no language model" in doc["explanation"] and "lowest for B" in doc["risk_assessment"]
