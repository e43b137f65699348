"""What changed since the last committee: first run, a recorded earlier run, alerts compared apart from numbers."""
from __future__ import annotations

import json
from datetime import date

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.decision.history import alert_key, last_committee, weekly_changes
from rebal.decision.review import weekly_review


def _review(home, as_of):
    lh = Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb")
    prof = load_profile("tiny", home / "params" / "profiles", known_tickers=lh.known_tickers())
    return prof, lh, weekly_review(prof, lh, as_of)


def test_the_first_run_says_there_is_no_earlier_week(tiny_home):
    # four sessions of data: one week (5 sessions) back does not exist, and no run is recorded
    prof, lh, rev = _review(tiny_home, date(2024, 1, 5))
    ch = weekly_changes(prof, lh, rev, reports_dir=tiny_home / "reports", every=5)
    assert ch.previous is None and ch.previous_source == "no earlier week in the data"
    assert list(ch.drift_points["date"]) == [date(2024, 1, 5)]
    lh.close()


def test_a_later_run_uses_the_recorded_decision_and_names_a_difference(tiny_home):
    # an earlier weekly run of 2024-01-03 recorded DEFER; recomputed as of that date the decision is CURE BREACH
    # (AAA 4200 / 10100 = 41.6 % > the 40 % single-asset limit), so the difference is named
    run = tiny_home / "reports" / "2024-01-03"
    run.mkdir(parents=True)
    run.joinpath("run.json").write_text(json.dumps({"reports": [
        {"profile": "tiny", "notebook": "weekly_review", "ok": True, "scraps": {"decision_action": "DEFER"}}]}))
    when, recorded = last_committee(tiny_home / "reports", date(2024, 1, 5))
    assert when == date(2024, 1, 3) and recorded["tiny"]["decision_action"] == "DEFER"
    prof, lh, rev = _review(tiny_home, date(2024, 1, 5))
    ch = weekly_changes(prof, lh, rev, reports_dir=tiny_home / "reports", every=1)
    assert ch.previous == date(2024, 1, 3) and "run.json" in ch.previous_source
    assert ch.recorded_decision == "DEFER" and ch.previous_decision == "CURE BREACH"
    assert ch.differences == ["recorded DEFER on 2024-01-03; recomputed as of that date it is CURE BREACH "
                              "(data or code changed since)"]
    assert ch.decision_change == ("DEFER", rev.decision.action)
    # the single-asset breach continues (41.6 % then 42.3 %): neither new nor resolved
    assert not [a for a in ch.new_alerts if "AAA" in a] and not [a for a in ch.resolved_alerts if "AAA" in a]
    # daily points (every=1) from the implementation on: 0 on 2024-01-02 (implemented at target),
    # 190 / 10100 on 2024-01-03, ..., 460 / 10400 on 2024-01-05, each against that day's own target
    assert list(ch.drift_points["date"]) == [date(2024, 1, d) for d in (2, 3, 4, 5)]
    assert abs(ch.drift_points["drift"].iloc[0]) < 1e-12
    assert abs(ch.drift_points["drift"].iloc[1] - 190 / 10100) < 1e-12
    assert abs(ch.drift_points["drift"].iloc[3] - 460 / 10400) < 1e-12
    lh.close()


def test_alerts_are_compared_apart_from_their_numbers():
    assert alert_key("hard limit: single-asset LLY: 28.9% > 20%") == alert_key("hard limit: single-asset LLY: 29.7% > 20%")
    assert alert_key("hard limit: single-asset LLY: 29.7% > 20%") != alert_key("hard limit: single-asset XOM: 29.7% > 20%")
