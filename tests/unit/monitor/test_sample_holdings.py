"""Sample holdings (rebal.monitor.sample_holdings): implementation dates and self-financed whole-share
trades, worked by hand on the NYSE calendar.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError
from rebal.monitor.sample_holdings import implementation_dates, seed_sample_holdings

SESSIONS = nyse_sessions()


def _sessions(start: str, end: str) -> pd.DatetimeIndex:
    return SESSIONS[(SESSIONS >= pd.Timestamp(start)) & (SESSIONS <= pd.Timestamp(end))]


def _dates(*days: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(d) for d in days]


@pytest.mark.parametrize(("first", "last", "start", "every", "expected"), [
    # first session on or after the start, then the last session of each complete quarter; Q4 2023 ends on
    # the last session available (2023-12-29), so it is not complete yet
    ("2023-01-03", "2023-12-29", "2023-02-15", "quarter", ("2023-02-15", "2023-03-31", "2023-06-30", "2023-09-29")),
    # Good Friday 2024-03-29: the quarter's last session is Thursday 03-28
    ("2024-01-02", "2024-05-01", "2024-01-02", "quarter", ("2024-01-02", "2024-03-28")),
    # months: November ends Thursday 11-30, December on Friday 12-29; January is not complete
    ("2023-11-01", "2024-01-10", "2023-11-10", "month", ("2023-11-10", "2023-11-30", "2023-12-29")),
    ("2022-01-03", "2023-12-29", "2022-03-01", "half_year", ("2022-03-01", "2022-06-30", "2022-12-30", "2023-06-30")),
    ("2020-01-02", "2022-12-30", "2020-06-01", "year", ("2020-06-01", "2020-12-31", "2021-12-31")),
    # a Saturday start: Monday 07-03 (a half day, still a session; 07-04 is closed)
    ("2023-06-01", "2023-08-15", "2023-07-01", "month", ("2023-07-03", "2023-07-31")),
    # a start on a period end is not repeated
    ("2023-01-03", "2023-08-01", "2023-03-31", "quarter", ("2023-03-31", "2023-06-30")),
    # nothing after the start
    ("2023-01-03", "2023-03-31", "2023-04-03", "month", ()),
])
def test_implementation_dates_by_hand(first, last, start, every, expected):
    got = implementation_dates(_sessions(first, last), date.fromisoformat(start), every)
    assert got == _dates(*expected)


# -- seeding, on a two-stock market worked by hand ------------------------------------------------
# A closes at 10 through January 2024 and at 30 from February; B at 10 throughout. Fixed target 50/50,
# no cash, $10,000 at the start, implemented monthly from 2024-01-02; the data end 2024-04-05, so the
# implementation dates are 01-02, 01-31, 02-29 and 03-28 (Good Friday is 03-29; April is incomplete).
#   01-02: 10,000 -> A floor(5,000 / 10) = 500, B 500, cash 0
#   01-31: 500 x 10 + 500 x 10 = 10,000 -> the same
#   02-29: 500 x 30 + 500 x 10 = 20,000 -> A floor(10,000 / 30) = 333 (9,990), B 1,000, cash 10
#   03-28: 333 x 30 + 1,000 x 10 + 10 = 20,000 -> the same, cash 10

DAYS = _sessions("2024-01-02", "2024-04-05")
PROFILE = ("universe: [A, B]\nbenchmark: IDX\ntarget: {method: fixed, weights: {A: 0.5, B: 0.5}}\n"
           "notebooks: [drift_audit]\nsample_holdings: {start: 2024-01-02, every: month, initial_value: 10000}\n")


def _close() -> pd.DataFrame:
    a = np.where(DAYS < pd.Timestamp("2024-02-01"), 10.0, 30.0)
    return pd.DataFrame({"A": a, "B": 10.0, "IDX": 100.0}, index=DAYS)


def _profile(tmp_path, name="s", text=PROFILE):
    p = tmp_path / f"{name}.yaml"
    p.write_text(text)
    return load_profile(p)


def test_seeding_trades_whole_shares_self_financed_by_hand(tmp_path):
    path = write_market(tmp_path / "rebal.duckdb", _close(), benchmark="IDX")
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:  # another profile's holdings stay
        con.execute("INSERT INTO holdings VALUES ('other', DATE '2024-01-02', 'A', 7, 'test')")
        con.execute("INSERT INTO holdings VALUES ('s', DATE '2023-12-29', 'B', 1, 'stale')")  # replaced
    prof = _profile(tmp_path)
    with Lakehouse(path, read_only=False) as lh:
        summary = seed_sample_holdings(lh, [prof])
        rows = lh.con.execute("SELECT as_of, ticker, shares, source FROM holdings WHERE profile = 's' "
                              "ORDER BY as_of, ticker").fetchall()
        cash = lh.con.execute("SELECT as_of, cash FROM cash_balances WHERE profile = 's' ORDER BY as_of").fetchall()
        other = lh.con.execute("SELECT count(*) FROM holdings WHERE profile = 'other'").fetchone()[0]
    d = [date(2024, 1, 2), date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 28)]
    assert summary == {"sample_holdings": {"s": {"implementations": 4, "last_implemented": "2024-03-28",
                                                 "blocked": []}}}
    assert rows == [(d[0], "A", 500.0, "sample"), (d[0], "B", 500.0, "sample"),
                    (d[1], "A", 500.0, "sample"), (d[1], "B", 500.0, "sample"),
                    (d[2], "A", 333.0, "sample"), (d[2], "B", 1000.0, "sample"),
                    (d[3], "A", 333.0, "sample"), (d[3], "B", 1000.0, "sample")]
    assert [c[0] for c in cash] == d
    assert [c[1] for c in cash] == pytest.approx([0.0, 0.0, 10.0, 10.0])
    assert other == 1


def test_a_profile_without_sample_holdings_is_left_alone(tmp_path):
    path = write_market(tmp_path / "rebal.duckdb", _close(), benchmark="IDX")
    plain = _profile(tmp_path, "plain", PROFILE.split("sample_holdings")[0])
    with Lakehouse(path, read_only=False) as lh:
        assert seed_sample_holdings(lh, [plain]) == {"sample_holdings": {}}
        assert lh.con.execute("SELECT count(*) FROM holdings").fetchone()[0] == 0


def test_a_missing_price_on_an_implementation_date_is_a_data_error(tmp_path):
    close = _close()
    close.loc[pd.Timestamp("2024-01-31"), "B"] = np.nan  # B did not trade on an implementation date
    path = write_market(tmp_path / "rebal.duckdb", close, benchmark="IDX")
    with Lakehouse(path, read_only=False) as lh, pytest.raises(DataError, match=r"s\.yaml: no price on 2024-01-31 "
                                                                                r"for 'B'"):
        seed_sample_holdings(lh, [_profile(tmp_path)])
    with Lakehouse(path) as lh:  # nothing written for the profile
        assert lh.con.execute("SELECT count(*) FROM holdings").fetchone()[0] == 0
