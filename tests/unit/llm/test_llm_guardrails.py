"""The caps and the Black-Litterman tilt of the base weights, worked by hand on the three-asset example."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from llm_helpers import BASE, PI, VAR, make_inputs, make_profile

from rebal.errors import DataError
from rebal.llm.guardrails import assisted_weights, cap_views, distance, project
from rebal.llm.parse import ProposedView
from rebal.llm.spec import CapsSpec


@pytest.fixture
def spec(tmp_path):
    return make_profile(tmp_path).llm


def _caps(spec, **kw):
    return replace(spec, caps=replace(spec.caps, **kw))


def test_value_cap_holds_the_view_within_its_distance_of_equilibrium():
    caps = CapsSpec(max_view_excess=0.05, max_confidence=0.8)
    up, down, fine = cap_views([ProposedView(("A",), (), 0.40, 0.5), ProposedView(("B",), ("A",), -0.30, 0.5),
                                ProposedView(("C",), (), 0.06, 0.5)], PI, caps)
    assert up.equilibrium == pytest.approx(0.05) and up.value == pytest.approx(0.05 + 0.05)
    assert "value capped from +40.00% to +10.00%" in up.outcomes[0]
    # relative view B vs A: p'pi = 0.0675 - 0.05 = 0.0175, capped below at 0.0175 - 0.05
    assert down.equilibrium == pytest.approx(0.0175) and down.value == pytest.approx(0.0175 - 0.05)
    assert fine.value == 0.06 and fine.outcomes == ()  # 0.06 - 0.03125 = 0.02875 <= 0.05


def test_confidence_cap():
    (g,) = cap_views([ProposedView(("A",), (), 0.06, 1.0)], PI, CapsSpec(max_confidence=0.8))
    assert g.confidence == 0.8 and g.outcomes == ("confidence capped from 1.00 to 0.80",)


def test_no_view_leaves_the_base_target_exactly(spec):
    t = assisted_weights(make_inputs(spec), [])
    assert t.weights.equals(BASE) and t.distance == 0.0


def test_one_absolute_idzorek_view_moves_its_asset_by_c_times_excess_over_delta_sigma2(spec):
    inp = make_inputs(_caps(spec, max_distance=1.0))
    (g,) = cap_views([ProposedView(("A",), (), 0.062, 0.5)], PI, spec.caps)
    t = assisted_weights(inp, [g])
    d_a = 0.5 * (0.062 - 0.05) / (2.5 * 0.04)  # c (Q - pi_A) / (delta sigma_A^2) = 0.06
    assert t.raw.tolist() == pytest.approx([0.5 + d_a, 0.3, 0.2], abs=1e-12)
    # the sum 1.06 is brought back to 1 by the least-squares projection: each weight loses 0.06 / 3
    assert t.projected.tolist() == pytest.approx([0.56 - 0.02, 0.28, 0.18], abs=1e-12)
    assert t.distance == pytest.approx(0.5 * (0.04 + 0.02 + 0.02))


def test_he_litterman_omega_halves_a_single_view(spec):
    inp = make_inputs(_caps(replace(spec, omega="he_litterman"), max_distance=1.0))
    (g,) = cap_views([ProposedView(("A",), (), 0.062, 0.5)], PI, spec.caps)
    # Omega = tau p'Sigma p: the tilt is (Q - pi) / (2 delta sigma^2) whatever the confidence
    assert assisted_weights(inp, [g]).raw["A"] == pytest.approx(0.5 + 0.012 / (2 * 2.5 * 0.04))


def test_distance_cap_shrinks_the_tilt_toward_the_base(spec):
    inp = make_inputs(_caps(spec, max_distance=0.02))
    (g,) = cap_views([ProposedView(("A",), (), 0.062, 0.5)], PI, spec.caps)
    t = assisted_weights(inp, [g])
    k = 0.02 / 0.04  # cap / distance of the projected weights (0.04, worked above)
    assert t.weights.tolist() == pytest.approx([0.5 + k * 0.04, 0.3 - k * 0.02, 0.2 - k * 0.02], abs=1e-12)
    assert t.distance == pytest.approx(0.02) and "distance from the base target capped" in t.outcomes[-1]


def test_bounds_bind_in_the_projection(spec):
    inp = make_inputs(_caps(spec, max_distance=1.0, max_view_excess=0.2))
    (g,) = cap_views([ProposedView(("C",), (), 0.03125 - 0.2, 0.8)], PI, inp.spec.caps)  # 20 points below pi_C
    t = assisted_weights(inp, [g], lo=0.0, hi=0.52)
    # raw C = 0.2 + 0.8 * (-0.2) / (2.5 * 0.0625) = -0.824. The projection clip(raw - lambda, 0, 0.52) summing
    # to 1: C stays at 0, A at its bound 0.52, B = 0.3 - lambda takes the rest: lambda = -0.18, B = 0.48
    assert t.raw["C"] == pytest.approx(0.2 - 1.024)
    assert t.weights.tolist() == pytest.approx([0.52, 0.48, 0.0], abs=1e-9)
    assert "brought back to the base target's constraints" in t.outcomes[0]


def test_projection_spreads_the_excess_when_no_bound_binds():
    # raw (0.5, 0.3, -0.056) within [0, 0.52]: A clipped at 0.52, then 0.52 + (0.3 - l) + (-0.056 - l) = 1,
    # l = -0.118: B = 0.418, C = 0.062
    w = project(np.array([0.5, 0.3, -0.056]), 1.0, 0.0, 0.52)
    assert w.tolist() == pytest.approx([0.52, 0.418, 0.062], abs=1e-12)


def test_projection_with_sector_caps_is_the_least_squares_point():
    raw = np.array([0.6, 0.3, 0.1])
    # A and B in one group capped at 0.7. KKT: w = raw - l - m g; group 0.9 - 2(l + m) = 0.7 and
    # total 0.7 + 0.1 - l = 1 give l = -0.2, m = 0.3: w = (0.5, 0.2, 0.3)
    w = project(raw, 1.0, 0.0, 1.0, G=np.array([[1.0, 1.0, 0.0]]), h=np.array([0.7]))
    assert w.tolist() == pytest.approx([0.5, 0.2, 0.3], abs=1e-6)


def test_infeasible_bounds_are_an_error():
    with pytest.raises(DataError, match="no portfolio of 3 assets"):
        project(np.array([0.5, 0.3, 0.2]), 1.0, 0.0, 0.3)


def test_distance_is_the_one_way_turnover():
    assert distance(pd.Series({"A": 0.5, "B": 0.5}), pd.Series({"A": 0.3, "C": 0.7})) == pytest.approx(0.7)


def test_var_and_pi_of_the_example_agree():
    assert (2.5 * VAR * BASE).tolist() == pytest.approx(PI.tolist())
