"""Risk4 on close-only data (no volume, so no dollar ADV): the ADV filter says it is not available without volume;
with `min_adv: 0` the selection runs on closes alone, flagged, with the hand-worked weights of test_risk4."""
from __future__ import annotations

import pytest
from test_risk4 import LAST, PROFILE, _lakehouse

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.selection.risk4 import run_risk4


@pytest.fixture
def close_only(tmp_path):
    home = tmp_path / "r4"
    (home / "params" / "profiles").mkdir(parents=True)
    path = home / "data" / "lakehouse" / "rebal.duckdb"
    _lakehouse(path)
    with Lakehouse(path, read_only=False) as lh:
        lh.con.execute("UPDATE prices SET volume = NULL, high = NULL, low = NULL, open = NULL")
        lh.con.execute("UPDATE features SET adv_20 = NULL")
    return home, path


def _run(home, path, min_adv: str):
    p = home / "params" / "profiles" / "hand.yaml"
    p.write_text(PROFILE.replace("  min_adv: 2000000", f"  min_adv: {min_adv}"))
    with Lakehouse(path) as lh:
        return run_risk4(load_profile(p), lh, LAST)


def test_an_adv_filter_without_volume_blocks_and_says_why(close_only):
    res = _run(*close_only, "2000000")
    assert res.blocked
    first = [a for a in res.alerts if a.severity == "CRITICAL"][0]
    assert first.code == "no_volume" and "not available without volume" in first.message
    assert "risk4.min_adv: 0" in first.message


def test_without_an_adv_filter_the_selection_runs_on_closes_and_is_flagged(close_only):
    res = _run(*close_only, "0")
    assert not res.blocked
    assert any(a.code == "no_volume" and a.severity == "WARNING" for a in res.alerts)
    # the hand-worked weights of test_risk4: base alpha_z / vol of A and B, 7.5 : 5 -> 0.6 / 0.4
    assert res.weights["A"] == pytest.approx(0.6) and res.weights["B"] == pytest.approx(0.4)
