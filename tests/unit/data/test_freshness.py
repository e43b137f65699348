"""Data freshness (rebal.data.freshness): staleness counted in NYSE sessions, worked by hand around holidays.

NYSE closures used here: Good Friday 2024-03-29; Independence Day, Thursday 2024-07-04 (the market
was open on Friday 2024-07-05). A business-day calendar would count both as sessions.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import write_market

from rebal.data.freshness import check_freshness
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

# A: last close Wednesday 2024-07-03 (before the holiday); B: Friday 2024-07-05; C: Thursday 2024-03-28
# (before Good Friday) and then again on 2024-07-09, a date after the as-of dates below but one.
CLOSES = {
    "2024-03-28": {"A": 10.0, "B": 20.0, "C": 30.0},
    "2024-07-03": {"A": 11.0, "B": 21.0},
    "2024-07-05": {"B": 22.0},
    "2024-07-09": {"C": 33.0},
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    close = pd.DataFrame.from_dict(CLOSES, orient="index")
    close.index = pd.DatetimeIndex(close.index)
    return write_market(tmp_path_factory.mktemp("fresh") / "rebal.duckdb", close)


@pytest.mark.parametrize(("ticker", "as_of", "stale"), [
    ("A", date(2024, 7, 3), 0),   # same day
    ("A", date(2024, 7, 4), 0),   # the holiday itself is no session: (07-03, 07-04] holds none
    ("A", date(2024, 7, 5), 1),   # only Friday 07-05 (a business-day count would say 2)
    ("A", date(2024, 7, 6), 1),   # Saturday
    ("A", date(2024, 7, 8), 2),   # 07-05 and Monday 07-08
    ("B", date(2024, 7, 8), 1),
    ("C", date(2024, 4, 1), 1),   # Good Friday closed: Monday 04-01 only
    ("C", date(2024, 7, 8), 68),  # the close of 07-09 is after the as-of date: not seen
])
def test_staleness_is_counted_in_nyse_sessions(lake, ticker, as_of, stale):
    # (C, 2024-07-08): sessions in (2024-03-28, 2024-07-08]: April 22 + May 22 (Memorial Day) + June 19
    # (Juneteenth) + July 1, 2, 3, 5, 8 = 68
    with Lakehouse(lake) as lh:
        fr = check_freshness(lh, [ticker], as_of, max_stale_sessions=100)
    row = fr.table.loc[ticker]
    assert row["sessions_stale"] == stale and bool(row["ok"])
    assert fr.ok and fr.as_of == as_of and fr.max_stale_sessions == 100


def test_the_limit_is_inclusive_and_the_error_names_file_ticker_and_sessions(lake):
    with Lakehouse(lake) as lh:
        assert check_freshness(lh, ["A", "B"], date(2024, 7, 5), max_stale_sessions=1).ok
        with pytest.raises(DataError, match=r"^p\.yaml: stale data: latest close of 'A' is 2024-07-03, 2 NYSE "
                                            r"sessions before 2024-07-08 \(limit 1\)$"):
            check_freshness(lh, ["B", "A"], date(2024, 7, 8), max_stale_sessions=1, source="p.yaml")


def test_without_raising_the_table_says_which_are_stale(lake):
    with Lakehouse(lake) as lh:
        fr = check_freshness(lh, ["A", "B", "A", "Z"], date(2024, 7, 8), max_stale_sessions=1, raise_on_stale=False)
    t = fr.table
    assert list(t.index) == ["A", "B", "Z"]  # duplicates dropped, order kept
    assert t.loc["A", "last_price_date"] == date(2024, 7, 3) and not t.loc["A", "ok"]
    assert t.loc["B", "last_price_date"] == date(2024, 7, 5) and t.loc["B", "ok"]
    assert t.loc["Z", "last_price_date"] is None and not t.loc["Z", "ok"]
    assert not fr.ok


def test_a_ticker_without_prices_is_named(lake):
    with Lakehouse(lake) as lh, pytest.raises(DataError, match=r"^no prices for 'Z' on or before 2024-07-08$"):
        check_freshness(lh, ["Z"], date(2024, 7, 8), max_stale_sessions=5)
