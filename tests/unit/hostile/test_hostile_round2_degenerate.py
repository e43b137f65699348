"""Issue 25, class 5: legal paths that look like URLs, and degenerate inputs (one asset, constant prices, files nested
100,000 levels deep). Each gives a clean result, or one line naming the data (exit 2) and writes nothing."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_PROFILE, assert_one_line_error, make_tiny_home, write_market

from rebal.calendar import nyse_sessions

#: Project folders a user may well have (the packet crashed on '#'; DuckDB cannot write under '?')
HOSTILE_DIRS = ["team#2", "with space", "pct%41%20", "what?", "naïve-é-ü", "日本語", "all #%?& é;'"]

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def deep_home(tmp_path, monkeypatch):
    for var in ("REBAL_HOME", "REBAL_PARAMS_DIR", "REBAL_LAKEHOUSE", "REBAL_REPORTS_DIR", "REBAL_NOTEBOOKS_DIR"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.mark.parametrize("folder", HOSTILE_DIRS)
def test_every_command_works_in_a_project_whose_path_looks_like_a_url(deep_home, cli, folder):
    home = make_tiny_home(deep_home / folder / "proj")
    f = home / "p.csv"
    f.write_text("date,ticker,close\n2024-01-08,AAA,45\n2024-01-08,BBB,18.5\n2024-01-08,CCC,46\n2024-01-08,IDX,103\n")
    for args in (["data", "import", "prices", str(f)], ["drift-monitor"], ["accept-state", "--by", "me"],
                 ["drift-monitor"], ["propose", "--profile", "tiny"], ["data", "check"], ["profiles"]):
        res = cli(home, *args)
        assert res.returncode == 0, (args, res.stderr)
    assert (home / "data" / "lakehouse" / "states" / "tiny.json").is_file()
    assert list((home / "reports").rglob("proposal.json"))
    assert not [p for p in (home / "data" / "lakehouse").iterdir() if p.suffix == ".wal"]
    assert "AAA" in (home / "data" / "lakehouse" / "states" / "tiny.json").read_text()


@pytest.mark.notebook
@pytest.mark.pdf
@pytest.mark.slow
def test_the_weekly_run_and_its_packet_in_a_project_named_like_a_url(deep_home, monkeypatch):
    from conftest import REPO

    from rebal.paths import get_paths
    from rebal.report.runner import run_weekly

    home = make_tiny_home(deep_home / "team#2 100% ready? é" / "proj")
    monkeypatch.setenv("REBAL_NOTEBOOKS_DIR", str(REPO / "notebooks"))
    outcome = run_weekly(paths=get_paths(home), workers=1, progress=False)
    assert outcome.ok, [r.error for r in outcome.reports if not r.ok]
    assert outcome.packet is not None and outcome.packet.is_file() and outcome.packet.parent.parent == home / "reports"
    doc = json.loads((outcome.out_dir / "run.json").read_text())
    assert doc["status"] == "complete" and doc["reports"][0]["ok"]


def _market(path, columns: dict[str, np.ndarray], sessions: pd.DatetimeIndex) -> None:
    """A synthetic market (seeded, labelled 'test' in the lakehouse) with IDX as benchmark."""
    write_market(path, pd.DataFrame(columns, index=sessions), benchmark="IDX")


def _walk(rng, n: int, start: float, vol: float) -> np.ndarray:
    return start * np.exp(np.cumsum(rng.normal(0.0003, vol, n)))


@pytest.fixture
def synthetic_home(deep_home):
    """Three years of synthetic closes (seed 25): AAA and BBB random walks, FLAT constant, IDX the benchmark."""
    s = nyse_sessions()
    s = s[(s >= "2020-01-02") & (s <= "2022-12-30")]
    rng = np.random.default_rng(25)
    home = deep_home / "proj"
    (home / "params" / "profiles").mkdir(parents=True)
    _market(home / "data" / "lakehouse" / "rebal.duckdb",
            {"AAA": _walk(rng, len(s), 50, 0.015), "BBB": _walk(rng, len(s), 30, 0.02), "FLAT": np.full(len(s), 10.0),
             "IDX": _walk(rng, len(s), 100, 0.01)}, s)
    profiles = {
        "one": "universe: [AAA]\nbenchmark: IDX\ntarget: {method: fixed, weights: {AAA: 0.9}, cash: 0.1}\n",
        "onemv": "universe: [AAA]\nbenchmark: IDX\ntarget: {method: min_variance}\n",
        "flat": "universe: [AAA, BBB, FLAT]\nbenchmark: IDX\ntarget: {method: fixed, weights: {AAA: 0.4, BBB: 0.4, "
                "FLAT: 0.2}}\n",
    }
    for name, text in profiles.items():
        (home / "params" / "profiles" / f"{name}.yaml").write_text(f"description: {name}\n" + text)
    return home


@pytest.mark.parametrize("profile", ["one", "onemv"])
def test_a_one_asset_universe_backtests_cleanly(synthetic_home, cli, profile):
    res = cli(synthetic_home, "backtest", "--profile", profile, "--workers", "1", "--start", "2021-01-04")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr and not res.stderr.strip()
    summary = pd.read_csv(synthetic_home / "reports" / "backtests" / profile / "summary.csv")
    assert len(summary) > 0
    if profile == "onemv":  # the whole book in one asset never drifts: nothing to rebalance, at no cost
        assert (summary["rebalances"] == 0).all() and np.allclose(summary["cost_per_year"], 0.0)


def test_a_one_asset_factor_map_names_the_universe_not_a_flag(synthetic_home, cli):
    res = cli(synthetic_home, "factor-map", "--profile", "one")
    assert_one_line_error(res, "one.yaml", "a factor map clusters at least 2 assets; profile one has 1 ('AAA')")
    assert "--clusters" not in res.stderr
    assert not (synthetic_home / "summaries").exists()
    from rebal.config import load_profile
    from rebal.report import registry

    prof = load_profile("one", synthetic_home / "params" / "profiles")
    assert "at least 2 assets" in registry.report("factor_map").applies(prof, True)  # the weekly run skips it


def test_a_flag_out_of_range_names_the_flag(synthetic_home, cli):
    res = cli(synthetic_home, "factor-map", "--profile", "flat", "--clusters", "5")
    assert_one_line_error(res, "--clusters: must be between 2 and the 3 assets of profile flat, found 5")


def test_constant_prices_name_the_asset_in_the_factor_map(synthetic_home, cli):
    res = cli(synthetic_home, "factor-map", "--profile", "flat")
    assert_one_line_error(res, "rebal.duckdb", "'FLAT' has the same close on every one of the 505 sessions",
                          "correlation with the other assets is undefined")
    assert "condensed distance matrix" not in res.stderr
    assert not (synthetic_home / "summaries").exists()


def test_constant_prices_elsewhere_give_clean_results(synthetic_home, cli):
    for args in (["drift-monitor", "--profile", "flat"], ["drift-monitor", "--profile", "flat"],
                 ["backtest", "--profile", "flat", "--rule", "threshold:0.05", "--workers", "1", "--start",
                  "2021-01-04"]):
        res = cli(synthetic_home, *args)
        assert res.returncode == 0 and not res.stderr.strip(), (args, res.stderr)


@pytest.mark.parametrize("command", [["drift-monitor"], ["accept-state"], ["propose", "--profile", "tiny"],
                                     ["accept-state", "--from-holdings"]])
def test_a_state_file_nested_100000_levels_is_refused(tiny_home, cli, command):
    states = tiny_home / "data" / "lakehouse" / "states"
    states.mkdir(parents=True)
    (states / "tiny.json").write_text(DEEP)
    res = cli(tiny_home, *command)
    assert_one_line_error(res, "tiny.json", "corrupted state file: nested too deeply", "left untouched")
    assert (states / "tiny.json").read_text() == DEEP
    assert not (tiny_home / "reports").exists()


@pytest.mark.parametrize("command", [["packet", "--as-of", "2024-01-05"], ["run", "--workers", "1"]])
def test_a_run_manifest_nested_100000_levels_is_refused(tiny_home, cli, command):
    week = tiny_home / "reports" / "2024-01-05"
    week.mkdir(parents=True)
    (week / "run.json").write_text(DEEP)
    res = cli(tiny_home, *command)
    assert_one_line_error(res, "run.json", "unreadable run manifest (RecursionError)")
    assert sorted(p.name for p in week.iterdir()) in (["run.json"], [".week.lock", "run.json"])


def test_a_profile_nested_100000_levels_is_refused(tiny_home, cli):
    (tiny_home / "params" / "profiles" / "deep.yaml").write_text("description: " + DEEP + "\n")
    res = cli(tiny_home, "run", "--profile", "deep")
    assert_one_line_error(res, "deep.yaml", "malformed YAML", "recursion")
    assert not (tiny_home / "reports").exists()


def test_a_book_of_zero_value_is_refused_by_every_command_that_values_it(tiny_home, cli):
    import duckdb

    con = duckdb.connect(str(tiny_home / "data" / "lakehouse" / "rebal.duckdb"))
    con.execute("UPDATE holdings SET shares = 0")
    con.execute("UPDATE cash_balances SET cash = 0")
    con.close()
    (tiny_home / "params" / "profiles" / "tiny.yaml").write_text(TINY_PROFILE)
    for args in (["drift-monitor"], ["accept-state", "--from-holdings"], ["propose", "--profile", "tiny"],
                 ["run", "--workers", "1"]):
        res = cli(tiny_home, *args)
        assert_one_line_error(res, "holdings of 'tiny' on 2024-01-02 (test)", "the book holds nothing")
    assert not (tiny_home / "reports").exists() and not (tiny_home / "data" / "lakehouse" / "states").exists()
