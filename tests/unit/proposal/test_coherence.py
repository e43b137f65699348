"""Every limit conflict the profile file decides is refused at load; limits made coherent for a universe's size."""
from __future__ import annotations

from pathlib import Path

import pytest

from rebal.config import load_profile
from rebal.errors import ConfigError
from rebal.proposal.coherence import coherent_limits

SIX = "[AAPL, JNJ, KO, MSFT, PG, XOM]"


def _load(tmp_path: Path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return load_profile(path)


def test_a_sample_copied_for_six_names_with_a_15_percent_cap_is_refused_at_load(tmp_path):
    # the case: max_single 0.15 x 6 names = 90 % < the 100 % a fully invested target deploys
    text = (f"universe: {SIX}\ntarget: {{method: min_variance, max_weight: 0.2}}\n"
            "proposal:\n  limits: {max_total: 1.0, max_cluster: 0.30, max_single: 0.15}\n")
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    msg = str(e.value)
    assert msg.startswith(str(tmp_path / "p.yaml")) and "\n" not in msg
    assert "`proposal.limits.max_single` 0.15 x 6 assets = 90.0% is below the 100.0% the target deploys" in msg
    assert "raise it to at least 0.2" in msg  # 1/6 = 16.7 %, up to the next 5 %


def test_cash_counts_in_the_deployed_share(tmp_path):
    # 6 x 0.15 = 90 % >= 1 - 0.2 cash = 80 %: coherent
    text = (f"universe: {SIX}\ntarget: {{method: inverse_vol, cash: 0.2}}\n"
            "proposal:\n  limits: {max_single: 0.15}\n")
    assert _load(tmp_path, text).proposal.limits.max_single == 0.15


@pytest.mark.parametrize(("limits", "field"), [
    ("{min_allocation: 0.2, max_single: 0.15, max_cluster: 0.3}", "max_single"),
    ("{min_allocation: 0.2, max_single: 0.5, max_cluster: 0.1}", "max_cluster"),
])
def test_a_minimum_allocation_above_a_maximum_is_refused_at_load(tmp_path, limits, field):
    text = f"universe: {SIX}\ntarget: {{method: equal_weight}}\nproposal:\n  limits: {limits}\n"
    with pytest.raises(ConfigError, match=rf"`proposal.limits.min_allocation` 0.2 is above `proposal.limits.{field}`"
                                          r".*the circuit breakers block every proposal"):
        _load(tmp_path, text)


def test_a_profile_without_a_proposal_section_is_not_refused_for_default_limits(tmp_path):
    # defaults nobody chose (max_single 0.4) x 2 assets < 1: flagged by the proposal, not refused (as before)
    assert _load(tmp_path, "universe: [AAPL, JNJ]\ntarget: {method: equal_weight}\n").tickers == ("AAPL", "JNJ")


def test_coherent_limits_loosen_only_and_to_the_next_five_percent():
    target, limits, notes = coherent_limits({"method": "min_variance", "max_weight": 0.15},
                                            {"max_total": 1.0, "max_cluster": 0.30, "max_single": 0.15}, 6)
    assert target["max_weight"] == 0.2             # 0.15 x 6 < 1: 1/6 = 16.7 % -> 20 %
    assert limits["max_single"] == 0.2             # the target can put 20 % x 100 % in one name
    assert limits["max_cluster"] == 0.4            # two names at 20 %
    assert len(notes) == 3 and all("->" in n for n in notes)
    # 20 names under the same limits: nothing to change
    same_t, same_l, none = coherent_limits({"method": "min_variance", "max_weight": 0.15},
                                           {"max_total": 1.0, "max_cluster": 0.30, "max_single": 0.15}, 20)
    assert none == [] and same_l["max_single"] == 0.15 and same_t["max_weight"] == 0.15


def test_coherent_limits_without_a_max_weight_use_the_deployed_share_per_asset():
    # HRP on 4 names with 40 % cash: 60 % / 4 = 15 % per name on average -> max_single at least 0.15
    _, limits, _ = coherent_limits({"method": "hrp", "cash": 0.4}, {"max_single": 0.10, "max_total": 0.6}, 4)
    assert limits["max_single"] == 0.15 and limits["max_cluster"] == 0.3
