"""One ladder of the drift thresholds of a profile."""
from __future__ import annotations

import dataclasses

import pytest
from conftest import REPO

from rebal.config import load_profile
from rebal.monitor.ladder import threshold_ladder


def test_every_drift_level_of_the_profile_once_lowest_first_by_what_it_applies_to():
    prof = load_profile("min_variance", REPO / "params" / "profiles")
    t = threshold_ladder(prof)
    names = list(t["name"])
    assert names == ["planner.threshold", "planner.hybrid_override", "drift.rebalance", "proposal.drift_alert",
                     "drift.urgent", "planner.delay_max_drift", "planner.stress_override", "drift.single_asset_urgent"]
    assert t.set_index("name")["level"].to_dict() == pytest.approx(
        {"planner.threshold": 0.05, "planner.hybrid_override": 0.10, "drift.rebalance": 0.10,
         "proposal.drift_alert": 0.15, "drift.urgent": 0.20, "planner.delay_max_drift": 0.10,
         "planner.stress_override": 0.15, "drift.single_asset_urgent": 0.075})
    assert not t["what happens above it"].str.contains("breach|limit").any()  # kept for hard limits


def test_the_planner_levels_widen_with_the_regime_and_follow_the_profile():
    prof = load_profile("min_variance", REPO / "params" / "profiles")
    prof = dataclasses.replace(prof, planner=dataclasses.replace(prof.planner, threshold=0.06))
    t = threshold_ladder(prof, widen=1.2, regime="elevated").set_index("name")
    assert t.loc["planner.threshold x 1.2 (elevated)", "level"] == pytest.approx(0.072)
    assert t.loc["planner.hybrid_override x 1.2 (elevated)", "level"] == pytest.approx(0.12)
    assert t.loc["drift.rebalance", "level"] == 0.10  # the drift monitor's levels do not widen
