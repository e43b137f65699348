"""The ``rebal`` command in this process (``rebal.cli.main(argv)``): exit codes, stdout, one-line errors.

Bad input: exit code 2, one line on stderr naming file and field, nothing written. The same contract
through a real ``python -m rebal`` process is checked in tests/integration/test_cli.py.
"""
from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error, csv, file_digest


def test_help_lists_the_subcommands(tiny_home, cli):
    out = cli(tiny_home, "--help")
    assert out.returncode == 0 and out.stderr == ""
    for cmd in ("profiles", "data", "run"):
        assert cmd in out.stdout
    for sub in (["run", "--help"], ["data", "import", "--help"], ["data", "build-sample", "--help"]):
        res = cli(tiny_home, *sub)
        assert res.returncode == 0 and "usage: rebal" in res.stdout


def test_a_usage_error_is_one_line_and_exit_2(tiny_home, cli):
    assert_one_line_error(cli(tiny_home, "wibble"), "invalid choice: 'wibble'", "see `rebal --help`")
    assert_one_line_error(cli(tiny_home, "run", "--workers", "0"), "--workers", "must be >= 1, found 0")


def test_profiles_lists_valid_profiles(tiny_home, cli):
    out = cli(tiny_home, "profiles")
    assert out.returncode == 0 and "tiny" in out.stdout and "fixed" in out.stdout
    rows = json.loads(cli(tiny_home, "profiles", "--json").stdout)
    # the tiny profile of conftest: 3 assets at 40/30/20 % and 10 % cash
    assert rows == [{"name": "tiny", "method": "fixed", "assets": 3, "cash": 0.1,
                     "description": "Tiny hand-worked profile for tests", "valid": True, "error": None}]


def test_profiles_exits_2_when_one_is_invalid(tiny_home, cli):
    (tiny_home / "params" / "profiles" / "bad.yaml").write_text("target: {method: fixed\n")
    res = cli(tiny_home, "profiles", "--json")
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert res.returncode == 2 and rows["tiny"]["valid"] and not rows["bad"]["valid"]
    assert "malformed YAML" in rows["bad"]["error"]


@pytest.mark.parametrize(
    ("yaml_text", "needles"),
    [
        ("target: {method: fixed\n", ("bad.yaml", "malformed YAML at line")),
        ("benchmark: IDX\nuniverse: [AAA]\ntarget: {method: fixed, weights: {AAA: 1.0}}\nwibble: 1\n", ("bad.yaml", "unknown key `wibble`")),
        ("benchmark: IDX\nuniverse: [AAA]\ntarget: {method: fixed, weights: {AAA: 0.9}}\n", ("bad.yaml", "`target.weights`", "sum to 0.900000")),
        ("benchmark: IDX\nuniverse: [AAA, QQQ]\ntarget: {method: fixed, weights: {AAA: 1.0}}\n", ("bad.yaml", "`universe`", "unknown ticker 'QQQ'")),
    ],
)
def test_run_of_only_a_bad_profile_exits_2_and_writes_nothing(tiny_home, cli, yaml_text, needles):
    (tiny_home / "params" / "profiles" / "bad.yaml").write_text(yaml_text)
    before = file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb")
    # named alone, nothing can run (with valid profiles beside it, they run: tests/integration/test_run_resilience.py)
    assert_one_line_error(cli(tiny_home, "run", "--profile", "bad"), *needles)
    assert not (tiny_home / "reports").exists()
    assert file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb") == before


@pytest.mark.parametrize("name", ["../x", "a/b", "", "..", "/etc/passwd"])
def test_run_rejects_unsafe_profile_names(tiny_home, cli, name):
    assert_one_line_error(cli(tiny_home, "run", "--profile", name), "invalid profile name")
    assert not (tiny_home / "reports").exists()


def test_run_with_unknown_profile_and_bad_date(tiny_home, cli):
    assert_one_line_error(cli(tiny_home, "run", "--profile", "ghost"), "ghost.yaml", "not found")
    assert_one_line_error(cli(tiny_home, "run", "--as-of", "2024-13-01"), "--as-of", "not a date")
    assert not (tiny_home / "reports").exists()


def test_run_on_stale_data_exits_2(tiny_home, cli):
    # the tiny data ends 2024-01-05; as of 2024-01-10 the closes are 3 sessions old (limit 1)
    res = cli(tiny_home, "run", "--as-of", "2024-01-10")
    assert_one_line_error(res, "--as-of 2024-01-10", "after the latest data in the lakehouse (2024-01-05) by 3 NYSE "
                          "sessions (at most 1)")
    assert not (tiny_home / "reports").exists()


def test_run_without_holdings_exits_2(tiny_home, cli):
    assert_one_line_error(cli(tiny_home, "run", "--as-of", "2023-12-29"), "before the first date in the lakehouse")


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("date,ticker,close\n2024-01-08,AAA,45\n2024-01-08,AAA,45\n", ("prices.csv", "duplicate (date, ticker)")),
        ("date,ticker,close\n2024-01-08,AAA,45\n2024-01-08,BBB,0\n", ("prices.csv", "`close` must be > 0")),
    ],
)
def test_import_bad_prices_exits_2_and_changes_nothing(tiny_home, tmp_path, cli, text, needles):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, "data", "import", "prices", str(csv(tmp_path, "prices.csv", text)))
    assert_one_line_error(res, *needles)
    assert file_digest(lake) == before


def test_import_good_prices_then_info(tiny_home, tmp_path, cli):
    res = cli(tiny_home, "data", "import", "prices", str(csv(tmp_path, "prices.csv", "date,ticker,close\n2024-01-08,AAA,45\n")))
    assert res.returncode == 0 and "imported 1 prices rows" in res.stdout
    info = cli(tiny_home, "data", "info")
    assert info.returncode == 0 and "2024-01-08" in info.stdout


def test_build_sample_refuses_to_overwrite_without_force(tiny_home, cli):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, "data", "build-sample")
    assert res.returncode == 0 and "--force" in res.stderr
    assert file_digest(lake) == before


def test_missing_lakehouse_is_a_clear_error(tmp_path, cli):
    (tmp_path / "params" / "profiles").mkdir(parents=True)
    assert_one_line_error(cli(tmp_path, "run"), "lakehouse not found", "rebal data build-sample")


def test_environment_overrides_reach_the_command(tiny_home, tmp_path, cli):
    # REBAL_LAKEHOUSE pointing elsewhere: the command must read that file, not <home>/data/lakehouse
    missing = tmp_path / "elsewhere" / "rebal.duckdb"
    assert_one_line_error(cli(tiny_home, "data", "info", REBAL_LAKEHOUSE=str(missing)), str(missing), "lakehouse not found")
    assert cli(tiny_home, "data", "info").returncode == 0  # and the override is gone afterwards


def test_drift_monitor_first_run_then_dashboard_then_accept(tiny_home, cli):
    state = tiny_home / "data" / "lakehouse" / "states" / "tiny.json"
    first = cli(tiny_home, "drift-monitor")
    assert first.returncode == 0 and "recorded a baseline" in first.stdout and "no drift report" in first.stdout
    assert state.is_file()
    second = cli(tiny_home, "drift-monitor")
    assert second.returncode == 0 and "MAINTAIN" in second.stdout and "turnover 4.42%" in second.stdout
    js = json.loads(cli(tiny_home, "drift-monitor", "--json").stdout)
    assert js[0]["status"] == "MAINTAIN" and js[0]["turnover"] == pytest.approx(460 / 10400)
    acc = cli(tiny_home, "accept-state", "--profile", "tiny", "--by", "committee", "--note", "done")
    assert acc.returncode == 0 and "2 state(s)" in acc.stdout
    hist = json.loads(state.read_text())["history"]
    assert [h["accepted_by"] for h in hist] == ["rebal drift-monitor", "committee"]


def test_corrupted_state_file_exits_2_and_is_left_untouched(tiny_home, cli):
    state = tiny_home / "data" / "lakehouse" / "states" / "tiny.json"
    state.parent.mkdir(parents=True)
    state.write_text('{"schema": 1, "profile": "tiny", "history": [{"weights": ')
    for cmd in (["drift-monitor"], ["accept-state"], ["run"]):
        assert_one_line_error(cli(tiny_home, *cmd), "tiny.json", "corrupted state file")
    assert state.read_text() == '{"schema": 1, "profile": "tiny", "history": [{"weights": '
    assert not (tiny_home / "reports").exists()


def test_unknown_profile_for_monitor_and_audit(tiny_home, cli):
    assert_one_line_error(cli(tiny_home, "drift-monitor", "--profile", "ghost"), "ghost.yaml", "not found")
    assert_one_line_error(cli(tiny_home, "audit", "--profile", "../x"), "invalid profile name")


def test_audit_on_short_data_is_a_data_error(tiny_home, cli):
    assert_one_line_error(cli(tiny_home, "audit"), "tiny.yaml", "`sensitivity.window_days`")


def test_schedule_command(tiny_home, tmp_path, cli):
    res = cli(tiny_home, "schedule", "--from", "2015-03-31", "--next", "2")
    # every 5 sessions from 2015-01-02: 2015-03-31 is session 60 after it; +5 sessions skips Good Friday 2015-04-03
    assert res.returncode == 0 and "2015-03-31, 2015-04-08" in res.stdout and "is a rebalance day" in res.stdout
    out = tmp_path / "schedule.json"
    res = cli(tiny_home, "schedule", "--from", "2025-01-06", "--json", "--out", str(out))
    doc = json.loads(out.read_text())
    assert doc == json.loads(res.stdout)
    assert doc["anchor_date"] == "2015-01-02" and doc["frequency_days"] == 5 and len(doc["next_10_rebalances"]) == 10
    assert "2025-01-09" not in doc["next_10_rebalances"]  # NYSE closed (national day of mourning)
    assert_one_line_error(cli(tiny_home, "schedule", "--anchor", "2015-01-03"), "anchor 2015-01-03 is not an NYSE session")
    assert_one_line_error(cli(tiny_home, "schedule", "--every", "0"), "--every")
