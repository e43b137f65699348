"""`rebal profiles new NAME --from SAMPLE`: a validated profile for a universe, limits coherent for its size."""
from __future__ import annotations

import pytest
from conftest import assert_one_line_error

from rebal.config import load_profile
from rebal.config.new_profile import new_profile
from rebal.errors import ConfigError

SIX = ["AAPL", "JNJ", "KO", "MSFT", "PG", "XOM"]


def test_a_six_name_copy_of_min_variance_gets_limits_it_can_meet(tmp_path):
    params = tmp_path / "params" / "profiles"
    made = new_profile("six", "min_variance", params, universe=SIX)  # from the shipped sample
    prof = load_profile(made.path)
    assert prof.tickers == tuple(SIX) and prof.sample_holdings is None
    # the sample's 15 % caps: 6 x 15 % = 90 % < 100 % (refused at load); 1/6 = 16.7 % -> 20 %
    assert prof.target.max_weight == 0.2 and prof.proposal.limits.max_single == 0.2
    assert prof.proposal.limits.max_cluster == 0.45  # the sample's 45 % already covers two names at 20 %
    assert prof.proposal.limits.high_corr == 0.9     # everything else as in the sample
    assert made.path.read_text().startswith("# Made by `rebal profiles new six --from min_variance`")


def test_a_fixed_sample_splits_its_deployed_share_equally(tmp_path):
    made = new_profile("two", "strategy_sleeves", tmp_path / "p", universe=["MTUM", "QUAL"])
    prof = load_profile(made.path)
    assert dict(prof.target.weights) == {"MTUM": 0.3, "QUAL": 0.3} and prof.target.cash == 0.4
    assert prof.proposal.limits.max_single == 0.3  # the sample's 25 % cap could not hold a 30 % weight


def test_taken_names_unknown_samples_and_invalid_results_write_nothing(tmp_path, tiny_home):
    params = tmp_path / "p"
    new_profile("six", "min_variance", params, universe=SIX)
    with pytest.raises(ConfigError, match="already exists"):
        new_profile("six", "min_variance", params, universe=SIX)
    with pytest.raises(ConfigError, match=r"no profile or sample 'min_varianc'; did you mean `min_variance`\?"):
        new_profile("x", "min_varianc", params)
    with pytest.raises(ConfigError, match=r"unknown ticker 'APPL'.*nothing written"):
        new_profile("y", "min_variance", params, universe=["APPL", "JNJ"], known_tickers={"AAPL", "JNJ", "SPX"})
    assert sorted(p.name for p in params.iterdir()) == ["six.yaml"]


def test_the_command_prints_the_changes_and_checks_the_latest_data(tiny_home, cli):
    res = cli(tiny_home, "profiles", "new", "pair", "--from", "tiny", "--universe", "AAA", "BBB")
    assert res.returncode == 0, res.stderr
    assert "wrote" in res.stdout and "pair.yaml" in res.stdout and "as of 2024-01-05" in res.stdout
    assert "rebal run --profile pair" in res.stdout
    assert load_profile("pair", tiny_home / "params" / "profiles").tickers == ("AAA", "BBB")
    assert_one_line_error(cli(tiny_home, "profiles", "new", "pair", "--from", "tiny"), "already exists")


def test_an_unknown_profile_name_gets_did_you_mean_wherever_a_profile_is_named(tiny_home, cli):
    (tiny_home / "params" / "profiles" / "min_variance.yaml").write_text(
        (tiny_home / "params" / "profiles" / "tiny.yaml").read_text())
    with pytest.raises(ConfigError, match=r"profile 'min_varience' not found; did you mean `min_variance`\?"):
        load_profile("min_varience", tiny_home / "params" / "profiles")
    with pytest.raises(ConfigError, match=r"profile 'zzz' not found; profiles there: min_variance, tiny"):
        load_profile("zzz", tiny_home / "params" / "profiles")
    for args in (["propose", "--profile", "tinyy"], ["drift-monitor", "--profile", "tinyy"],
                 ["run", "--profile", "tinyy"], ["risk", "--profile", "tinyy"]):
        assert_one_line_error(cli(tiny_home, *args), "did you mean `tiny`?")
