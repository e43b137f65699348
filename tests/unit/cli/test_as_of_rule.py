"""One rule for a date given on the command line: inside the data (after its first date, at most the profile's
staleness limit after its latest), and never past the NYSE calendar; options are never abbreviated.

The tiny lakehouse holds 2024-01-02 .. 2024-01-05 (four NYSE sessions).
"""
from __future__ import annotations

import argparse

import pytest
from conftest import assert_one_line_error

RISK4 = ("universe: [AAA, BBB, CCC]\nbenchmark: IDX\ntarget: {method: risk4}\nnotebooks: [risk4_picks]\n"
         "risk4: {top_n: 3, max_position: 0.5, anchor: 2024-01-02}\n")

FAR = "2030-01-01"  # past the end of exchange_calendars' NYSE calendar (about a year after today)


def _states(home):
    d = home / "data" / "lakehouse" / "states"
    return sorted(p.name for p in d.iterdir() if not p.name.endswith(".lock")) if d.exists() else []


@pytest.mark.parametrize(("day", "needles"), [
    (FAR, ("--as-of 2030-01-01", "after the end of the NYSE calendar")),
    ("1980-01-02", ("--as-of 1980-01-02", "before the first date in the lakehouse (2024-01-02)")),
    ("2024-01-10", ("--as-of 2024-01-10", "after the latest data in the lakehouse (2024-01-05) by 3 NYSE sessions")),
])
@pytest.mark.parametrize("command", [["accept-state"], ["drift-monitor"], ["audit"], ["run"],
                                     ["propose", "--profile", "tiny"], ["risk", "--profile", "tiny"]])
def test_an_as_of_outside_the_data_is_refused_and_nothing_is_recorded(tiny_home, cli, command, day, needles):
    from rebal.calendar import nyse_sessions

    assert FAR > str(nyse_sessions()[-1].date())
    res = cli(tiny_home, *command, "--as-of", day)
    assert_one_line_error(res, *needles)
    assert _states(tiny_home) == []  # a first drift-monitor run or accept-state would have written tiny.json
    assert not (tiny_home / "reports").exists()


def test_an_as_of_inside_the_data_is_accepted(tiny_home, cli):
    res = cli(tiny_home, "accept-state", "--as-of", "2024-01-08")  # a Monday: one session after the data
    assert res.returncode == 0, res.stderr
    assert _states(tiny_home) == ["tiny.json"]


def test_factor_map_refuses_an_empty_profile_and_a_date_after_the_data(tiny_home, cli):
    assert_one_line_error(cli(tiny_home, "factor-map", "--profile="), "--profile: empty profile name")
    assert_one_line_error(cli(tiny_home, "factor-map", "--as-of", FAR), "--as-of 2030-01-01", "NYSE calendar")
    assert_one_line_error(cli(tiny_home, "factor-map", "--as-of", "2024-02-01"), "after the latest data")
    assert not (tiny_home / "summaries").exists()


@pytest.mark.parametrize(("flag", "day", "needle"), [("--end", FAR, "after the end of the NYSE calendar"),
                                                     ("--end", "2024-03-01", "after the latest data"),
                                                     ("--start", "2024-03-01", "after the latest data")])
def test_backtest_refuses_dates_after_the_data(tiny_home, cli, flag, day, needle):
    assert_one_line_error(cli(tiny_home, "backtest", "--profile", "tiny", flag, day), f"{flag} {day}", needle)
    assert not (tiny_home / "reports").exists()


@pytest.mark.parametrize("action", ["check", "validate", "generate"])
def test_risk4_refuses_a_date_past_the_calendar(tiny_home, cli, action):
    (tiny_home / "params" / "profiles" / "r4.yaml").write_text(RISK4)
    assert_one_line_error(cli(tiny_home, "risk4", action, "--profile", "r4", "--date", FAR),
                          "--date 2030-01-01", "after the end of the NYSE calendar")


def test_calendar_functions_refuse_dates_past_their_end():
    from rebal.calendar import next_rebalance_dates, sessions_after
    from rebal.errors import DataError

    with pytest.raises(DataError, match="after the end of the NYSE calendar"):
        sessions_after("2024-01-02", FAR)
    with pytest.raises(DataError, match="the NYSE calendar ends"):
        next_rebalance_dates(FAR, 3)


def _parsers(p: argparse.ArgumentParser):
    yield p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_no_parser_accepts_abbreviated_options(tiny_home, cli):
    from rebal.cli import build_parser

    parsers = list(_parsers(build_parser()))
    assert len(parsers) > 20 and all(not p.allow_abbrev for p in parsers), [p.prog for p in parsers if p.allow_abbrev]
    assert_one_line_error(cli(tiny_home, "run", "--profil", "tiny"), "unrecognized arguments: --profil")
    assert_one_line_error(cli(tiny_home, "accept-state", "--as", "2024-01-05"), "unrecognized arguments: --as")
    assert _states(tiny_home) == []
