"""Issue 25, classes 1-3 past the door: rows the importer refuses today, written into the lakehouse behind its back
(an older version, another tool). Every consumer names the data (the lakehouse, the ticker, the date, the holding
and the file it came from), never a profile's setting, in one line (exit 2) and writes nothing; `rebal data check`
lists the rows (exit 2); `--drop-off-calendar` removes what is off the calendar."""
from __future__ import annotations

import json

import duckdb
import pytest
from conftest import TINY_PROFILE, assert_one_line_error

LONG_SHORT = TINY_PROFILE + "long_only: false\n"

#: (id, SQL run on the tiny lakehouse, a profile to use instead of the tiny one (or None), command, needles, finding)
LEGACY = [
    ("saturday-close", "INSERT INTO prices (date, ticker, close, source) VALUES ('2024-01-06', 'AAA', 44, 'import:old.csv')",
     None, ["drift-monitor"], ("rebal.duckdb", "prices of 'AAA' are dated 2024-01-06, not an NYSE session (a Saturday)",
                               "rebal data check"), "prices: off-calendar date"),
    ("holiday-close-propose", "INSERT INTO prices (date, ticker, close, source) VALUES ('2024-01-01', 'BBB', 20, 'x')",
     None, ["propose", "--profile", "tiny"], ("rebal.duckdb", "2024-01-01, not an NYSE session (New Year's Day)"),
     "prices: off-calendar date"),
    ("holiday-alpha", "INSERT INTO alpha_imported VALUES ('2024-01-01', 'AAA', 0.5, 'import:a.csv')", None,
     ["data", "check"], ("rebal.duckdb", "alpha_imported: off-calendar date", "New Year's Day"),
     "alpha_imported: off-calendar date"),
    ("close-1e308", "UPDATE prices SET close = 1e308 WHERE ticker = 'BBB' AND date = '2024-01-04'", None,
     ["propose", "--profile", "tiny"], ("rebal.duckdb", "'BBB' has close 1e+308 on 2024-01-04", "no market quotes"),
     "prices: value out of range"),
    ("close-1e-300", "UPDATE prices SET close = 1e-300 WHERE ticker = 'CCC' AND date = '2024-01-05'", None,
     ["drift-monitor"], ("'CCC' has close 1e-300 on 2024-01-05",), "prices: value out of range"),
    ("close-infinite", "UPDATE prices SET close = 'inf'::DOUBLE WHERE ticker = 'AAA' AND date = '2024-01-03'", None,
     ["accept-state", "--from-holdings"], ("'AAA' has close inf on 2024-01-03",), "prices: value out of range"),
    ("jump-x1e6", "UPDATE prices SET close = close * 1e6 WHERE ticker = 'CCC' AND date = '2024-01-04'", None,
     ["propose", "--profile", "tiny"], ("the close of 'CCC' moves x1.073e+06 on 2024-01-04", "--confirm-move CCC:2024-01-04"),
     "prices: implausible one-day move"),
    ("zero-book", "UPDATE holdings SET shares = 0; UPDATE cash_balances SET cash = 0", None, ["drift-monitor"],
     ("rebal.duckdb", "holdings of 'tiny' on 2024-01-02 (test)", "the book holds nothing"), "holdings: empty book"),
    ("zero-book-propose", "UPDATE holdings SET shares = 0; UPDATE cash_balances SET cash = 0", None,
     ["propose", "--profile", "tiny"], ("the book holds nothing",), "holdings: empty book"),
    ("short-in-long-only", "UPDATE holdings SET shares = -150, source = 'import:h.csv' WHERE ticker = 'BBB'", None,
     ["propose", "--profile", "tiny"],
     ("holdings of 'tiny' on 2024-01-02 (import:h.csv, test)", "'BBB' is held short (-150 shares)", "long-only"), None),
    ("short-in-long-only-monitor", "UPDATE holdings SET shares = -150 WHERE ticker = 'BBB'", None, ["drift-monitor"],
     ("'BBB' is held short (-150 shares) but the profile is long-only",), None),
    ("worthless-long-short-book", "UPDATE holdings SET shares = -1000 WHERE ticker = 'AAA'", LONG_SHORT,
     ["drift-monitor"], ("the book is worth $-34,000.00 at the closes of 2024-01-02",), None),
    ("shares-1e300", "UPDATE holdings SET shares = 1e300 WHERE ticker = 'AAA'", None, ["data", "check"],
     ("holdings: share count out of range",), "holdings: share count out of range"),
    ("index-held", "INSERT INTO holdings VALUES ('tiny', DATE '2024-01-02', 'IDX', 10, 'import:h.csv')", None,
     ["data", "check"], ("holdings: index held", "'IDX' by 'tiny'"), "holdings: index held"),
    ("holdings-of-no-profile", "INSERT INTO cash_balances VALUES ('ghost', DATE '2024-01-02', 10, 'x')", None,
     ["data", "check"], ("holdings: unknown profile", "'ghost'"), "holdings: unknown profile"),
    ("rtl-sector", "UPDATE tickers SET sector = 'Tech' || chr(8238) || 'hcet' WHERE ticker = 'AAA'", None,
     ["data", "check"], ("tickers: sector with an invisible character", "U+202E"), "tickers: sector"),
]


def _apply(home, sql: str, profile: str | None) -> None:
    con = duckdb.connect(str(home / "data" / "lakehouse" / "rebal.duckdb"))
    try:
        for stmt in sql.split(";"):
            con.execute(stmt)
    finally:
        con.close()
    if profile is not None:
        (home / "params" / "profiles" / "tiny.yaml").write_text(profile)


def _reports_and_states(home) -> set[str]:
    return {str(p.relative_to(home)) for d in ("reports", "data/lakehouse/states") for p in (home / d).rglob("*")
            if p.is_file()} if (home / "reports").exists() or (home / "data/lakehouse/states").exists() else set()


@pytest.mark.parametrize(("sql", "profile", "command", "needles", "finding"), [c[1:] for c in LEGACY],
                         ids=[c[0] for c in LEGACY])
def test_a_consumer_names_the_data_in_one_line_and_data_check_lists_it(tiny_home, cli, sql, profile, command, needles,
                                                                     finding):
    _apply(tiny_home, sql, profile)
    before = _reports_and_states(tiny_home)
    res = cli(tiny_home, *command)
    assert_one_line_error(res, *needles)
    assert "tiny.yaml" not in res.stderr.split(":")[1]  # the data is named first, not the profile
    assert _reports_and_states(tiny_home) == before
    if finding is not None:
        check = cli(tiny_home, "data", "check", "--json")
        assert check.returncode == 2 and len(check.stderr.strip().splitlines()) == 1, check.stderr
        assert any(f["check"].startswith(finding) for f in json.loads(check.stdout)["findings"]), check.stdout


def test_drop_off_calendar_removes_the_rows_and_the_consumers_work_again(tiny_home, cli):
    _apply(tiny_home, "INSERT INTO prices (date, ticker, close, source) VALUES ('2024-01-06', 'AAA', 44, 'x'); "
                      "INSERT INTO alpha_imported VALUES ('2024-01-01', 'AAA', 0.5, 'x')", None)
    res = cli(tiny_home, "data", "check", "--drop-off-calendar")
    assert res.returncode == 0, res.stderr
    assert "removed alpha_imported: 1 row(s) of 2024-01-01 (New Year's Day)" in res.stdout
    assert "removed prices: 1 row(s) of 2024-01-06 (a Saturday)" in res.stdout
    assert cli(tiny_home, "drift-monitor").returncode == 0
    rows = duckdb.connect(str(tiny_home / "data" / "lakehouse" / "rebal.duckdb"), read_only=True).execute(
        "SELECT count(*) FROM prices").fetchone()[0]
    assert rows == 16


def test_a_held_benchmark_etf_is_valued_once(tiny_home, cli):
    """The benchmark held as a position (allowed for a fund): the planner reads its prices once, no traceback."""
    _apply(tiny_home, "UPDATE tickers SET asset_class = 'etf' WHERE ticker = 'IDX'; "
                      "INSERT INTO holdings VALUES ('tiny', DATE '2024-01-02', 'IDX', 10, 'import:h.csv')", None)
    assert cli(tiny_home, "drift-monitor").returncode == 0
    res = cli(tiny_home, "drift-monitor")
    assert res.returncode == 0, res.stderr
    assert "IDX" in res.stdout and "Traceback" not in res.stderr


@pytest.mark.integration
def test_one_holiday_close_names_the_data_for_every_sample_profile(sample_home, cli):
    """The issue's example: one close of AMD on Thanksgiving made 5 of 6 profiles blame 'AMD' and their universe."""
    lake = sample_home / "data" / "lakehouse" / "rebal.duckdb"
    con = duckdb.connect(str(lake))
    con.execute("INSERT INTO prices (date, ticker, close, source) VALUES ('2022-11-24', 'AMD', 70, 'import:amd.csv')")
    con.close()
    for command in (["audit"], ["propose", "--profile", "min_variance"], ["risk", "--profile", "bl_tilts"],
                    ["backtest", "--profile", "hrp_balanced", "--rule", "threshold:0.05", "--workers", "1"]):
        res = cli(sample_home, *command)
        assert_one_line_error(res, "rebal.duckdb", "prices of 'AMD' are dated 2022-11-24, not an NYSE session "
                              "(Thanksgiving)")
        assert "universe" not in res.stderr and "lookback" not in res.stderr
    res = cli(sample_home, "data", "check")
    assert_one_line_error(res, "1 problem(s) in the data", "2022-11-24", "Thanksgiving", "import:amd.csv",
                          "--drop-off-calendar")


@pytest.mark.integration
def test_a_held_benchmark_fund_and_an_empty_book_on_the_sample(sample_home, cli):
    """The benchmark held as a position (as a fund) is valued by every command; an empty book is named by each."""
    lake = sample_home / "data" / "lakehouse" / "rebal.duckdb"
    con = duckdb.connect(str(lake))
    con.execute("UPDATE tickers SET asset_class = 'etf' WHERE ticker = 'SPX'")
    snap = con.execute("SELECT max(as_of) FROM holdings WHERE profile = 'min_variance'").fetchone()[0]
    con.execute("INSERT INTO holdings VALUES ('min_variance', ?, 'SPX', 100, 'import:h.csv')", [snap])
    for table, col in (("holdings", "shares"), ("cash_balances", "cash")):
        con.execute(f"UPDATE {table} SET {col} = 0 WHERE profile = 'hrp_balanced' AND as_of = "
                    "(SELECT max(as_of) FROM holdings WHERE profile = 'hrp_balanced')")
    con.close()
    for args in (["audit", "--profile", "min_variance"], ["risk", "--profile", "min_variance"],
                 ["propose", "--profile", "min_variance"], ["drift-monitor", "--profile", "min_variance"]):
        res = cli(sample_home, *args)
        assert res.returncode == 0 and "Traceback" not in res.stderr, (args, res.stderr)
    for args in (["audit", "--profile", "hrp_balanced"], ["risk", "--profile", "hrp_balanced"],
                 ["propose", "--profile", "hrp_balanced"], ["drift-monitor", "--profile", "hrp_balanced"],
                 ["accept-state", "--profile", "hrp_balanced", "--from-holdings"]):
        assert_one_line_error(cli(sample_home, *args), "holdings of 'hrp_balanced'", "the book holds nothing")
