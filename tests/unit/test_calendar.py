"""NYSE sessions from exchange_calendars, checked on dates a federal-holiday calendar gets wrong."""
from __future__ import annotations

import pytest

from rebal.calendar import is_session, previous_session, sessions_after


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2015-04-03", False),  # Good Friday: NYSE closed, not a federal holiday
        ("2025-01-09", False),  # national day of mourning (President Carter): NYSE closed
        ("2018-12-05", False),  # national day of mourning (President G.H.W. Bush)
        ("2015-10-12", True),   # Columbus Day: a federal holiday, NYSE open
        ("2015-11-11", True),   # Veterans Day: a federal holiday, NYSE open
        ("2015-04-06", True),
        ("2024-01-06", False),  # a Saturday
    ],
)
def test_is_session(day, expected):
    assert is_session(day) is expected


def test_sessions_after_counts_only_sessions():
    assert sessions_after("2015-04-02", "2015-04-06") == 1  # Good Friday skipped
    assert sessions_after("2025-01-08", "2025-01-10") == 1  # 2025-01-09 closed
    assert sessions_after("2024-01-05", "2024-01-10") == 3  # Mon 8, Tue 9, Wed 10
    assert sessions_after("2024-01-05", "2024-01-06") == 0  # Saturday
    assert sessions_after("2024-01-05", "2024-01-05") == 0


def test_previous_session():
    assert str(previous_session("2015-04-05").date()) == "2015-04-02"


def test_rebalance_days_agree_with_is_rebalance_day():
    from datetime import date, timedelta

    from rebal.calendar import is_rebalance_day, rebalance_days

    got = rebalance_days(date(2015, 3, 1), date(2015, 6, 30))
    expected = [date(2015, 3, 1) + timedelta(days=i) for i in range(122)]
    assert got == [d for d in expected if is_rebalance_day(d)]
    assert date(2015, 4, 8) in got and date(2015, 4, 3) not in got  # Good Friday shifts the cadence
