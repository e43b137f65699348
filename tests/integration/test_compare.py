"""`rebal compare --as-of A --vs B`: two weeks side by side, the same figures as the commands of each week."""
from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error

pytestmark = [pytest.mark.slow]


def test_two_weeks_of_the_sleeves_side_by_side(sample_home, cli):
    res = cli(sample_home, "compare", "--as-of", "2022-06-30", "--vs", "2022-12-28", "--profile", "strategy_sleeves",
              "--json")
    assert res.returncode == 0, res.stderr
    [doc] = json.loads(res.stdout)
    assert doc["profile"] == "strategy_sleeves"
    assert (doc["a"]["as_of"], doc["b"]["as_of"]) == ("2022-06-30", "2022-12-28")
    target = {r["ticker"]: r["target_a"] for r in doc["weights"]}
    # the fixed target written in the profile, cash included
    assert target == pytest.approx({"CASH": 0.40, "MTUM": 0.15, "QUAL": 0.15, "SIZE": 0.05, "USMV": 0.15,
                                    "VLUE": 0.10})
    assert sum(r["held_b"] for r in doc["weights"]) == pytest.approx(1.0)
    # the same numbers as each week's own commands
    for key, when in (("a", "2022-06-30"), ("b", "2022-12-28")):
        risk = json.loads(cli(sample_home, "risk", "--profile", "strategy_sleeves", "--as-of", when, "--json").stdout)
        assert doc[key]["risk"]["vol_current"] == pytest.approx(risk["vol_current"])
        assert doc[key]["risk"]["var99_1d"] == pytest.approx(risk["var99_1d"])
        prop = json.loads(cli(sample_home, "propose", "--profile", "strategy_sleeves", "--as-of", when,
                              "--json").stdout)
        assert doc[key]["decision"] == prop["decision"]["action"]
    text = cli(sample_home, "compare", "--as-of", "2022-06-30", "--vs", "2022-12-28", "--profile",
               "strategy_sleeves")
    assert text.returncode == 0 and "strategy_sleeves: 2022-06-30 -> 2022-12-28" in text.stdout
    assert "MTUM" in text.stdout and "decision" in text.stdout


def test_a_date_outside_the_data_or_an_unknown_profile_is_one_line(sample_home, cli):
    assert_one_line_error(cli(sample_home, "compare", "--as-of", "2022-06-30", "--vs", "2030-01-02"), "2030-01-02")
    assert_one_line_error(cli(sample_home, "compare", "--as-of", "2022-06-30", "--vs", "2022-12-28", "--profile",
                              "min_varience"), "did you mean `min_variance`?")
