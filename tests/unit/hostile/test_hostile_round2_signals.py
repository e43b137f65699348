"""Issue 25, class 6: SIGTERM (how schedulers and containers stop a job) handled as Ctrl-C, dates outside the data,
and numbers written with non-ASCII digits. Each: exit non-zero with one line saying why, nothing half-written."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from conftest import REPO, TINY_PROFILE, assert_one_line_error, file_digest
from hostile_round2 import DIGITS, PROFILE_DATES

from rebal.config import load_profile
from rebal.errors import ConfigError, DataError


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sigterm_inside_a_command_is_handled_as_ctrl_c(tiny_home, cli, monkeypatch):
    import rebal.cli.data as data_cli

    def terminated(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        return 0

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(data_cli, "_cmd_info", terminated)
    t0 = time.monotonic()
    res = cli(tiny_home, "data", "info")
    assert time.monotonic() - t0 < 4
    assert res.returncode == 143
    assert res.stderr.strip().splitlines() == ["rebal: terminated (SIGTERM): stopped after cleaning up; what had "
                                               "not finished was discarded, nothing half-written was kept"]
    assert signal.getsignal(signal.SIGTERM) == before  # the process's own handler is back


@pytest.mark.slow
@pytest.mark.notebook
def test_sigterm_stops_a_weekly_run_cleanly(tiny_home):
    manifest = tiny_home / "reports" / "2024-01-05" / "run.json"
    proc = subprocess.Popen([sys.executable, "-m", "rebal", "--home", str(tiny_home), "run", "--workers", "1",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        started = _wait_for(lambda: manifest.is_file() and json.loads(manifest.read_text()).get("in_progress")
                            and list(manifest.parent.glob(".staging-*")), 180)
        assert started, proc.stderr.read() if proc.poll() is not None else "the run did not start"
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["rebal: terminated (SIGTERM): stopped after cleaning up; what had not "
                                        "finished was discarded, nothing half-written was kept"], err
    assert "leaked semaphore" not in err and "Traceback" not in err
    assert not list(manifest.parent.glob(".staging-*"))
    doc = json.loads(manifest.read_text())
    assert doc["status"] == "interrupted" and doc["in_progress"] == [] and not doc["ok"]
    assert doc["runs"][-1]["interrupted"] and doc["runs"][-1]["why"] == "SIGTERM"
    assert not (manifest.parent / "committee_packet.pdf").exists()


@pytest.mark.slow
def test_sigterm_during_an_import_leaves_the_lakehouse_as_it_was(tiny_home):
    import numpy as np
    import pandas as pd

    from rebal.calendar import nyse_sessions

    s = nyse_sessions()
    s = s[(s >= "2010-01-04") & (s <= "2023-12-29")]
    tickers = [f"N{i:03d}" for i in range(120)]
    big = tiny_home / "big.csv"
    pd.DataFrame({"date": np.repeat(s.strftime("%Y-%m-%d"), len(tickers)), "ticker": np.tile(tickers, len(s)),
                  "close": 10.0}).to_csv(big, index=False)
    rows = len(s) * len(tickers)
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    stopped = 0
    for delay in (1.5, 3.0, 5.0, 8.0):
        proc = subprocess.Popen([sys.executable, "-m", "rebal", "--home", str(tiny_home), "data", "import", "prices",
                                 str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=180)
        if proc.returncode == 0:  # finished before the signal: nothing to undo
            break
        assert not list(lake.parent.glob("*.wal"))
        after = file_digest(lake)
        if after != before:  # all or nothing: the signal came after the commit (while the summary was printed)
            assert len(after["prices"]) == len(before["prices"]) + rows, "a partial import"
            break
        if proc.returncode == -signal.SIGTERM:  # before Python reached the command: nothing was opened yet
            continue
        assert proc.returncode == 143, err
        assert err.strip().splitlines()[-1].startswith("rebal: terminated (SIGTERM)") and "Traceback" not in err
        stopped += 1
    assert stopped >= 1


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in DIGITS], ids=[c[0] for c in DIGITS])
def test_non_ascii_digits_and_bad_numbers_on_the_command_line_are_refused(tiny_home, cli, args, needles):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, *args)
    assert_one_line_error(res, *needles)
    assert file_digest(lake) == before
    assert not (tiny_home / "reports").exists() and not (tiny_home / "data" / "lakehouse" / "states").exists()


@pytest.mark.parametrize(("old", "new", "needles"), [c[1:] for c in PROFILE_DATES], ids=[c[0] for c in PROFILE_DATES])
def test_a_profile_value_after_today_or_not_plain_is_refused(tiny_home, cli, old, new, needles):
    path = tiny_home / "params" / "profiles" / "tiny.yaml"
    path.write_text(TINY_PROFILE.replace(old, new) if old else TINY_PROFILE + new, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_profile("tiny", path.parent)
    assert all(n in str(err.value) for n in needles), str(err.value)
    res = cli(tiny_home, "drift-monitor")
    assert_one_line_error(res, "tiny.yaml", *needles)
    assert not (tiny_home / "data" / "lakehouse" / "states").exists()


@pytest.mark.parametrize("days_ahead", [1, 365 * 4])
def test_a_state_entry_dated_after_today_is_refused_not_ignored(tiny_home, cli, days_ahead):
    assert cli(tiny_home, "accept-state").returncode == 0
    path = tiny_home / "data" / "lakehouse" / "states" / "tiny.json"
    doc = json.loads(path.read_text())
    future = date.today() + timedelta(days=days_ahead)
    doc["history"].append({**doc["history"][0], "as_of": str(future)})
    path.write_text(json.dumps(doc))
    res = cli(tiny_home, "drift-monitor")
    assert_one_line_error(res, "tiny.json", "history entry 1", f"`as_of` {future} is after today")


def test_an_accept_as_of_a_future_date_is_refused(tiny_home, cli):
    res = cli(tiny_home, "accept-state", "--as-of", str(date.today() + timedelta(days=3650)))
    assert res.returncode == 2 and "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tiny_home / "data" / "lakehouse" / "states").exists()


def test_sample_holdings_that_start_after_the_data_are_refused(tiny_home):
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.sample_holdings import seed_sample_holdings

    path = tiny_home / "params" / "profiles" / "tiny.yaml"
    path.write_text(TINY_PROFILE + "sample_holdings: {start: 2024-06-03}\n")  # after the data, not after today
    prof = load_profile("tiny", path.parent)
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    with Lakehouse(lake, read_only=False) as lh, pytest.raises(DataError) as err:
        seed_sample_holdings(lh, [prof])
    assert "tiny.yaml: `sample_holdings.start`: 2024-06-03 is after the last session of the data (2024-01-05)" in \
        str(err.value)
    assert file_digest(lake) == before
