"""The CLI on bad input: exit code 2, one line on stderr naming file and field, nothing written."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import json

from conftest import REPO, csv, file_digest


def rebal(home: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")} | extra_env
    return subprocess.run([sys.executable, "-m", "rebal", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_help_lists_the_subcommands(tiny_home):
    out = rebal(tiny_home, "--help")
    assert out.returncode == 0
    for cmd in ("profiles", "data", "run"):
        assert cmd in out.stdout
    for sub in (["run", "--help"], ["data", "import", "--help"], ["data", "build-sample", "--help"]):
        res = rebal(tiny_home, *sub)
        assert res.returncode == 0 and "usage: rebal" in res.stdout


def test_profiles_lists_valid_profiles(tiny_home):
    out = rebal(tiny_home, "profiles")
    assert out.returncode == 0 and "tiny" in out.stdout and "fixed" in out.stdout


@pytest.mark.parametrize(
    ("yaml_text", "needles"),
    [
        ("target: {method: fixed\n", ("bad.yaml", "malformed YAML at line")),
        ("benchmark: IDX\nuniverse: [AAA]\ntarget: {method: fixed, weights: {AAA: 1.0}}\nwibble: 1\n", ("bad.yaml", "unknown key `wibble`")),
        ("benchmark: IDX\nuniverse: [AAA]\ntarget: {method: fixed, weights: {AAA: 0.9}}\n", ("bad.yaml", "`target.weights`", "sum to 0.900000")),
        ("benchmark: IDX\nuniverse: [AAA, QQQ]\ntarget: {method: fixed, weights: {AAA: 1.0}}\n", ("bad.yaml", "`universe`", "unknown ticker 'QQQ'")),
    ],
)
def test_run_with_a_bad_profile_exits_2_and_writes_nothing(tiny_home, yaml_text, needles):
    (tiny_home / "params" / "profiles" / "bad.yaml").write_text(yaml_text)
    before = file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb")
    proc = rebal(tiny_home, "run")
    assert_one_line_error(proc, *needles)
    assert not (tiny_home / "reports").exists()
    assert file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb") == before


@pytest.mark.parametrize("name", ["../x", "a/b", "", "..", "/etc/passwd"])
def test_run_rejects_unsafe_profile_names(tiny_home, name):
    proc = rebal(tiny_home, "run", "--profile", name)
    assert_one_line_error(proc, "invalid profile name")
    assert not (tiny_home / "reports").exists()


def test_run_with_unknown_profile_and_bad_date(tiny_home):
    assert_one_line_error(rebal(tiny_home, "run", "--profile", "ghost"), "ghost.yaml", "not found")
    assert_one_line_error(rebal(tiny_home, "run", "--as-of", "2024-13-01"), "--as-of", "not a date")
    assert not (tiny_home / "reports").exists()


def test_run_on_stale_data_exits_2(tiny_home):
    # the tiny data ends 2024-01-05; as of 2024-01-10 the closes are 3 sessions old (limit 1)
    proc = rebal(tiny_home, "run", "--as-of", "2024-01-10")
    assert_one_line_error(proc, "tiny.yaml", "stale data", "'AAA'", "3 NYSE sessions before 2024-01-10")
    assert not (tiny_home / "reports").exists()


def test_run_without_holdings_exits_2(tiny_home):
    proc = rebal(tiny_home, "run", "--as-of", "2023-12-29")
    assert_one_line_error(proc, "before the first date in the lakehouse")


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("date,ticker,close\n2024-01-08,AAA,45\n2024-01-08,AAA,45\n", ("prices.csv", "duplicate (date, ticker)")),
        ("date,ticker,close\n2024-01-08,AAA,45\n2024-01-08,BBB,0\n", ("prices.csv", "`close` must be > 0")),
    ],
)
def test_import_bad_prices_exits_2_and_changes_nothing(tiny_home, tmp_path, text, needles):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    proc = rebal(tiny_home, "data", "import", "prices", str(csv(tmp_path, "prices.csv", text)))
    assert_one_line_error(proc, *needles)
    assert file_digest(lake) == before


def test_import_good_prices_then_info(tiny_home, tmp_path):
    proc = rebal(tiny_home, "data", "import", "prices",
                 str(csv(tmp_path, "prices.csv", "date,ticker,close\n2024-01-08,AAA,45\n")))
    assert proc.returncode == 0 and "imported 1 prices rows" in proc.stdout
    info = rebal(tiny_home, "data", "info")
    assert info.returncode == 0 and "2024-01-08" in info.stdout


def test_build_sample_refuses_to_overwrite_without_force(tiny_home):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    proc = rebal(tiny_home, "data", "build-sample")
    assert proc.returncode == 0 and "--force" in proc.stderr
    assert file_digest(lake) == before


def test_missing_lakehouse_is_a_clear_error(tmp_path):
    (tmp_path / "params" / "profiles").mkdir(parents=True)
    proc = rebal(tmp_path, "run")
    assert_one_line_error(proc, "lakehouse not found", "rebal data build-sample")


def test_drift_monitor_first_run_then_dashboard_then_accept(tiny_home):
    state = tiny_home / "data" / "lakehouse" / "states" / "tiny.json"
    first = rebal(tiny_home, "drift-monitor")
    assert first.returncode == 0 and "recorded a baseline" in first.stdout and "no drift report" in first.stdout
    assert state.is_file()
    second = rebal(tiny_home, "drift-monitor")
    assert second.returncode == 0 and "MAINTAIN" in second.stdout and "turnover 4.42%" in second.stdout
    js = json.loads(rebal(tiny_home, "drift-monitor", "--json").stdout)
    assert js[0]["status"] == "MAINTAIN" and js[0]["turnover"] == pytest.approx(460 / 10400)
    acc = rebal(tiny_home, "accept-state", "--profile", "tiny", "--by", "committee", "--note", "done")
    assert acc.returncode == 0 and "2 state(s)" in acc.stdout
    hist = json.loads(state.read_text())["history"]
    assert [h["accepted_by"] for h in hist] == ["rebal drift-monitor", "committee"]


def test_corrupted_state_file_exits_2_and_is_left_untouched(tiny_home):
    state = tiny_home / "data" / "lakehouse" / "states" / "tiny.json"
    state.parent.mkdir(parents=True)
    state.write_text('{"schema": 1, "profile": "tiny", "history": [{"weights": ')
    for cmd in (["drift-monitor"], ["accept-state"], ["run"]):
        assert_one_line_error(rebal(tiny_home, *cmd), "tiny.json", "corrupted state file")
    assert state.read_text() == '{"schema": 1, "profile": "tiny", "history": [{"weights": '
    assert not (tiny_home / "reports").exists()


def test_unknown_profile_for_monitor_and_audit(tiny_home):
    assert_one_line_error(rebal(tiny_home, "drift-monitor", "--profile", "ghost"), "ghost.yaml", "not found")
    assert_one_line_error(rebal(tiny_home, "audit", "--profile", "../x"), "invalid profile name")


def test_audit_on_short_data_is_a_data_error(tiny_home):
    assert_one_line_error(rebal(tiny_home, "audit"), "tiny.yaml", "`sensitivity.window_days`")


def test_audit_and_factor_map_on_the_sample(sample_lakehouse, tmp_path):
    env = {"REBAL_LAKEHOUSE": str(sample_lakehouse)}
    res = rebal(REPO, "audit", "--json", **env)
    assert res.returncode == 0, res.stderr
    rows = {r["profile"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {"bl_tilts", "hrp_balanced", "max_sharpe", "min_variance", "risk4_us", "strategy_sleeves"}
    assert rows["min_variance"]["defensive"] and all(0 < r["beta"] < 1.5 for r in rows.values())
    out = tmp_path / "fm.png"
    res = rebal(REPO, "factor-map", "--out", str(out), "--clusters", "4", **env)
    assert res.returncode == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "4 clusters" in res.stdout and "stress" in res.stdout and res.stderr == ""
    assert_one_line_error(rebal(REPO, "factor-map", "--clusters", "99", **env), "--clusters")


def test_schedule_command(tiny_home, tmp_path):
    res = rebal(tiny_home, "schedule", "--from", "2015-03-31", "--next", "2")
    assert res.returncode == 0 and "2015-03-31, 2015-04-08" in res.stdout and "is a rebalance day" in res.stdout
    out = tmp_path / "schedule.json"
    res = rebal(tiny_home, "schedule", "--from", "2025-01-06", "--json", "--out", str(out))
    doc = json.loads(out.read_text())
    assert doc == json.loads(res.stdout)
    assert doc["anchor_date"] == "2015-01-02" and doc["frequency_days"] == 5 and len(doc["next_10_rebalances"]) == 10
    assert "2025-01-09" not in doc["next_10_rebalances"]
    assert_one_line_error(rebal(tiny_home, "schedule", "--anchor", "2015-01-03"), "anchor 2015-01-03 is not an NYSE session")
    assert_one_line_error(rebal(tiny_home, "schedule", "--every", "0"), "--every")
