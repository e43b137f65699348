"""``rebal risk`` in process on the constructed lakehouse of test_risk_stress_build: same numbers, one-line errors."""
from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error
from test_risk_stress_build import AS_OF, PROFILE, _home, _run


def _lake(home):
    return {"REBAL_LAKEHOUSE": str(home / "data" / "rebal.duckdb")}


def test_json_prints_the_reports_numbers(tmp_path, cli):
    from rebal.stress.tables import headline

    home = _home(tmp_path)
    res = cli(home, "risk", "--profile", "p", "--as-of", str(AS_OF), "--json", **_lake(home))
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    rs, _ = _run(home)
    expected = headline(rs)
    for key in ("vol_current", "vol_proposed", "worst_episode_loss_current", "worst_episode_loss_proposed", "var99_1d",
                "kupiec_p", "christoffersen_p"):
        assert doc[key] == pytest.approx(expected[key], rel=1e-12), key
    assert doc["largest_contributor"] == expected["largest_contributor"]
    assert doc["backtest_exceedances"] == rs.backtest.exceedances and doc["backtest_days"] == 60
    covid = next(e for e in doc["episodes"] if e["episode"] == "COVID")
    assert covid["loss now"] == pytest.approx(expected["worst_episode_loss_current"])
    assert next(e for e in doc["episodes"] if e["episode"] == "before the data")["loss now"] is None
    assert {r["portfolio"] for r in doc["exante"]} == {"current", "target", "proposed"}


def test_text_names_the_worst_episode_and_the_backtest(tmp_path, cli):
    home = _home(tmp_path)
    res = cli(home, "risk", "--profile", "p", "--as-of", str(AS_OF), **_lake(home))
    assert res.returncode == 0, res.stderr
    assert "p: risk and stress as of 2021-06-30" in res.stdout
    assert "worst episode: now" in res.stdout and "(COVID)" in res.stdout
    assert "proxy: E β" in res.stdout
    assert "exceedances in 60 days" in res.stdout
    assert "not covered: the benchmark's data start 2018-01-02" in res.stdout


@pytest.mark.parametrize("args, needles", [
    (("--profile", "ghost"), ("ghost.yaml", "not found")),
    (("--profile", "p", "--as-of", "2020-06-30"), ("p.yaml", "no holdings for 'p' on or before 2020-06-30")),
    (("--profile", "p", "--as-of", "30/06/2021"), ("--as-of", "not a date")),
    ((), ("--profile",)),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, cli, args, needles):
    home = _home(tmp_path)
    assert_one_line_error(cli(home, "risk", *args, **_lake(home)), *needles)


def test_a_bad_stress_section_is_one_line_naming_the_field(tmp_path, cli):
    home = _home(tmp_path, profile=PROFILE.replace("covariance: sample", "covariance: robust"))
    assert_one_line_error(cli(home, "risk", "--profile", "p", **_lake(home)), "p.yaml", "`stress.covariance`",
                          "'robust'")
