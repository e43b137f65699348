"""The ``rebal`` command as a user runs it: a real ``python -m rebal`` process, and commands on the sample.

Most CLI tests call ``rebal.cli.main(argv)`` in-process (tests/unit/cli/test_main.py). The ones here
need what only a separate process shows: the ``__main__`` entry point and its exit status, the
interpreter's own stderr (import-time warnings, tracebacks) on bad input.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, assert_one_line_error, file_digest

pytestmark = pytest.mark.integration


def rebal(home: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """``python -m rebal --home HOME ARGS`` in a fresh process, with no REBAL_* variable but ``extra_env``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")} | extra_env
    return subprocess.run([sys.executable, "-m", "rebal", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_python_dash_m_rebal_help_and_version(tiny_home):
    out = rebal(tiny_home, "--help")
    assert out.returncode == 0 and out.stderr == ""
    for cmd in ("profiles", "data", "run", "propose", "backtest"):
        assert cmd in out.stdout
    from rebal import __version__

    ver = rebal(tiny_home, "--version")
    assert ver.returncode == 0 and ver.stdout.strip() == f"rebal {__version__}"


def test_bad_profile_in_a_real_process_is_one_line_exit_2_and_writes_nothing(tiny_home):
    (tiny_home / "params" / "profiles" / "bad.yaml").write_text(
        "benchmark: IDX\nuniverse: [AAA]\ntarget: {method: fixed, weights: {AAA: 0.9}}\n")
    before = file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb")
    # alone, a broken profile stops the run before anything is written (among others it is left out: see
    # tests/integration/test_run_resilience.py)
    assert_one_line_error(rebal(tiny_home, "run", "--profile", "bad"), "bad.yaml", "`target.weights`", "sum to 0.900000")
    assert not (tiny_home / "reports").exists()
    assert file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb") == before


def test_usage_error_in_a_real_process(tiny_home):
    assert_one_line_error(rebal(tiny_home, "run", "--as-of", "2024-13-01"), "--as-of", "not a date")


def test_audit_and_factor_map_on_the_sample(sample_lakehouse, tmp_path, cli):
    env = {"REBAL_LAKEHOUSE": str(sample_lakehouse)}
    res = cli(REPO, "audit", "--json", **env)
    assert res.returncode == 0, res.stderr
    rows = {r["profile"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {"bl_tilts", "hrp_balanced", "llm_tilts", "max_sharpe", "min_variance", "risk4_us",
                         "strategy_sleeves"}
    assert rows["min_variance"]["defensive"] and all(0 < r["beta"] < 1.5 for r in rows.values())
    # held and target books, labelled: beta is the held book's; a fitted target's beta is in-sample
    assert all(r["beta_basis"] == "held" and r["beta"] == r["beta_held"] for r in rows.values())
    assert rows["min_variance"]["beta_target_in_sample"] and not rows["strategy_sleeves"]["beta_target_in_sample"]
    assert all("beta_proposed" not in r and 0 < r["vol_target"] < 1 for r in rows.values())
    text = cli(REPO, "audit", "--profile", "max_sharpe", **env).stdout
    assert "β held" in text and "β target" in text and "target β in-sample" in text
    out = tmp_path / "fm.png"
    res = cli(REPO, "factor-map", "--out", str(out), "--clusters", "4", **env)
    assert res.returncode == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "4 clusters" in res.stdout and "stress" in res.stdout and res.stderr == ""
    assert_one_line_error(cli(REPO, "factor-map", "--clusters", "99", **env), "--clusters")
