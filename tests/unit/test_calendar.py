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


# -- the sessions cached on disk (rebal.calendar.sessions_cache_file) ------------------------------------------------


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """An empty cache directory, and nyse_sessions forgotten in this process (before and after)."""
    from rebal import calendar

    monkeypatch.setenv("REBAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REBAL_CACHE", raising=False)
    calendar.nyse_sessions.cache_clear()
    yield tmp_path / "cache"
    calendar.nyse_sessions.cache_clear()


def test_the_cached_sessions_are_exchange_calendars_own_and_are_read_back_without_building(cache_dir, monkeypatch):
    import exchange_calendars as xcals
    import pandas as pd

    from rebal import calendar

    first = calendar.nyse_sessions()
    path = calendar.sessions_cache_file()
    assert path.is_file() and path.parent == cache_dir
    own = xcals.get_calendar("XNYS", start="1990-01-01").sessions.tz_localize(None)  # the package, directly
    assert first.equals(pd.DatetimeIndex(own))
    calendar.nyse_sessions.cache_clear()

    def refuse():
        raise AssertionError("the calendar was built again")

    monkeypatch.setattr(calendar, "_built_sessions", refuse)
    again = calendar.nyse_sessions()
    assert again.equals(first) and again.dtype == first.dtype
    assert calendar.is_session("2015-04-03") is False and calendar.sessions_after("2015-04-02", "2015-04-06") == 1


def test_a_damaged_or_foreign_cache_file_is_ignored_and_rewritten(cache_dir):
    import numpy as np

    from rebal import calendar

    path = calendar.sessions_cache_file()
    cache_dir.mkdir(parents=True)
    for content in (b"not numpy", None):
        if content is None:  # a valid .npy of the wrong kind: numbers, not sorted dates
            np.save(path, np.array([3.0, 1.0]))
        else:
            path.write_bytes(content)
        calendar.nyse_sessions.cache_clear()
        s = calendar.nyse_sessions()
        assert len(s) > 8000 and str(s[0].date()) == "1990-01-02"
        assert np.load(path).dtype == np.dtype("datetime64[D]")  # replaced by the real thing


def test_the_key_holds_the_package_version_and_the_day_and_older_files_are_removed(cache_dir):
    from datetime import date

    from rebal import calendar

    yesterday = calendar.sessions_cache_file(date(2020, 1, 1))
    cache_dir.mkdir(parents=True)
    yesterday.write_bytes(b"stale")
    assert "2020-01-01" in yesterday.name and calendar.sessions_cache_file().name != yesterday.name
    import importlib.metadata

    assert importlib.metadata.version("exchange_calendars") in yesterday.name
    calendar.nyse_sessions()
    assert not yesterday.exists() and calendar.sessions_cache_file().is_file()


def test_no_cache_file_with_the_memo_off_or_an_unwritable_directory(cache_dir, monkeypatch, tmp_path):
    from rebal import calendar

    monkeypatch.setenv("REBAL_CACHE", "off")
    assert len(calendar.nyse_sessions()) > 8000
    assert not cache_dir.exists()
    calendar.nyse_sessions.cache_clear()
    monkeypatch.delenv("REBAL_CACHE")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    monkeypatch.setenv("REBAL_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot be created
    assert len(calendar.nyse_sessions()) > 8000
