"""Why a day is not an NYSE session: the reasons the importer and `rebal data check` give."""
from __future__ import annotations

import pandas as pd

from rebal.calendar import non_sessions

#: NYSE holidays of 2022 as the exchange published them (New Year's Day fell on a Saturday and was not observed;
#: Juneteenth and Christmas were observed on Mondays).
NYSE_2022 = ["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05",
             "2022-11-24", "2022-12-26"]


def test_the_weekday_closures_of_2022_are_the_published_holidays():
    weekdays = pd.bdate_range("2022-01-01", "2022-12-31")
    assert [str(d.date()) for d in non_sessions(weekdays)] == NYSE_2022


def test_each_reason_names_the_holiday_or_the_weekday():
    got = non_sessions(["2022-11-24", "2022-04-15", "2022-01-17", "2022-11-26", "2022-11-27", "2022-11-25"])
    assert got == {pd.Timestamp("2022-01-17"): "Dr. Martin Luther King Jr. Day",
                   pd.Timestamp("2022-04-15"): "Good Friday",
                   pd.Timestamp("2022-11-24"): "Thanksgiving",
                   pd.Timestamp("2022-11-26"): "a Saturday",
                   pd.Timestamp("2022-11-27"): "a Sunday"}  # 2022-11-25, the day after, was a (half) session


def test_special_closures_and_dates_before_1990():
    got = non_sessions(["2012-10-30", "2001-09-14", "2004-06-11", "1985-09-27", "1987-10-19"])
    assert got[pd.Timestamp("2012-10-30")] == "closed for Hurricane Sandy"
    assert got[pd.Timestamp("2001-09-14")] == "closed after the attacks of September 11, 2001"
    assert got[pd.Timestamp("2004-06-11")] == "a national day of mourning"  # President Reagan
    assert got[pd.Timestamp("1985-09-27")] == "closed for Hurricane Gloria"
    assert pd.Timestamp("1987-10-19") not in got  # Black Monday: the market was open
