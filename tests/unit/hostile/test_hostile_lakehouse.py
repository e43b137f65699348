"""A damaged lakehouse (1 MiB zeroed inside the file): every command that reads the damaged table says so in one
line naming the file and what to do; `rebal data check` reads every table and names the damaged one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import assert_one_line_error

MIB = 1 << 20


def _zeroed_copy(src: Path, dst: Path, at: int) -> None:
    shutil.copyfile(src, dst)
    with open(dst, "r+b") as f:
        f.seek(at)
        f.write(b"\0" * MIB)


def _prices_unreadable(path: Path) -> bool:
    """Whether the last year of prices cannot be read (commands read windows of recent dates, not the history)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SELECT * FROM prices WHERE date >= (SELECT max(date) FROM prices) - 365").fetchall()
        return False
    except duckdb.Error:
        return True
    finally:
        con.close()


@pytest.fixture
def damaged_home(sample_home: Path) -> Path:
    """The sample home with a MiB zeroed where it damages the last year of prices (found by trying offsets)."""
    lake = sample_home / "data" / "lakehouse" / "rebal.duckdb"
    intact = sample_home / "intact.duckdb"
    shutil.move(lake, intact)
    size = intact.stat().st_size
    for frac in (0.1, 0.05, 0.15, 0.2, 0.25, 0.3):
        _zeroed_copy(intact, lake, int(size * frac))
        if _prices_unreadable(lake):
            return sample_home
    pytest.skip("no offset damaged the prices table")  # pragma: no cover - the sample's layout changed


def test_data_check_names_the_damaged_table_and_exits_2(damaged_home, cli):
    res = cli(damaged_home, "data", "check", "--json")
    assert res.returncode == 2
    doc = json.loads(res.stdout)
    bad = {t["table"] for t in doc["tables"] if t["error"]}
    assert "prices" in bad and not doc["ok"]
    assert all(t["rows"] > 0 for t in doc["tables"] if t["table"] == "tickers")
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "rebal.duckdb" in lines[0] and "prices" in lines[0] and "restore" in lines[0]


@pytest.mark.parametrize("command", [["audit"], ["propose", "--profile", "min_variance"],
                                     ["backtest", "--profile", "min_variance", "--rule", "threshold:0.05",
                                      "--start", "2021-01-04", "--workers", "1"],
                                     ["risk", "--profile", "min_variance"]])
def test_a_query_on_a_damaged_block_is_one_line_naming_the_file(damaged_home, cli, command):
    res = cli(damaged_home, *command)
    assert_one_line_error(res, "rebal.duckdb", "a lakehouse query failed", "Corrupt database file", "rebal data check",
                          "restore it from a backup")
    assert "_duckdb" not in res.stderr


def test_data_check_on_an_intact_lakehouse(tiny_home, cli):
    res = cli(tiny_home, "data", "check", "--json")
    assert res.returncode == 0, res.stderr
    rows = {t["table"]: t["rows"] for t in json.loads(res.stdout)["tables"]}
    assert rows["prices"] == 16 and rows["tickers"] == 4  # the tiny lakehouse: 4 sessions x 4 tickers
