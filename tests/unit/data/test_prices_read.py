"""The wide price read (Lakehouse.prices): worked by hand on a market with gaps, and equal to pandas' own pivot.

The read fills a dates x tickers array from DuckDB's numbers (ticker positions and day numbers, in
batches) instead of pivoting a long frame of strings in pandas; ``last=n`` reads only the last n dates.
Expected frames are written out by hand; the reference for the larger cases is the long table pivoted
by pandas (``DataFrame.pivot``), the implementation the read replaced.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.data import wide as wide_mod
from rebal.data.lakehouse import Lakehouse

NAN = float("nan")
# A trades every day; B has a gap on 01-04; C starts on 01-04; IDX (the benchmark) misses 01-08.
CLOSES = {
    "2024-01-02": {"A": 10.0, "B": 20.0, "IDX": 100.0},
    "2024-01-03": {"A": 11.0, "B": 21.0, "IDX": 101.0},
    "2024-01-04": {"A": 12.0, "C": 5.0, "IDX": 102.0},
    "2024-01-05": {"A": 13.0, "B": 23.0, "C": 6.0, "IDX": 103.0},
    "2024-01-08": {"B": 24.0, "C": 7.0},
}
VOLUME = {"2024-01-02": {"A": 1000.0}, "2024-01-05": {"B": 500.0}}  # every other volume is NULL


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    close = pd.DataFrame.from_dict(CLOSES, orient="index")
    close.index = pd.DatetimeIndex(close.index)
    volume = pd.DataFrame.from_dict(VOLUME, orient="index").reindex(index=close.index.strftime("%Y-%m-%d"),
                                                                     columns=close.columns)
    volume.index = close.index
    return write_market(tmp_path_factory.mktemp("px") / "rebal.duckdb", close, benchmark="IDX", volume=volume)


def _frame(rows: dict[str, list[float]], columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(list(rows.values()), columns=pd.Index(columns, name="ticker"),
                       index=pd.DatetimeIndex(pd.to_datetime(list(rows)), name="date"))
    out.index = out.index.astype("datetime64[us]")  # DuckDB's DATE, as the read has always returned it
    return out


def _pivot(lh: Lakehouse, tickers=None, start=None, field="close") -> pd.DataFrame:
    """The read as it was: the long table pivoted by pandas (the reference)."""
    where, args = lh._date_filter()
    if tickers is not None:
        where += " AND ticker IN (SELECT unnest(?))"
        args.append(list(tickers))
    if start is not None:
        where += " AND date >= ?"
        args.append(start)
    long = lh.con.execute(f"SELECT date, ticker, {field} AS v FROM prices WHERE TRUE{where} ORDER BY date", args).df()
    wide = long.pivot(index="date", columns="ticker", values="v")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="date")
    if tickers is not None:  # a ticker asked twice is one column (main's rule since issue 21)
        wide = wide.reindex(columns=list(dict.fromkeys(tickers)))
    wide.columns.name = "ticker"
    return wide


def test_a_market_with_gaps_by_hand(lake):
    with Lakehouse(lake) as lh:
        got = lh.prices(["B", "A", "ZZZ"])
        expected = _frame({"2024-01-02": [20.0, 10.0, NAN], "2024-01-03": [21.0, 11.0, NAN],
                           "2024-01-04": [NAN, 12.0, NAN], "2024-01-05": [23.0, 13.0, NAN],
                           "2024-01-08": [24.0, NAN, NAN]}, ["B", "A", "ZZZ"])
        pd.testing.assert_frame_equal(got, expected)
        # only the dates on which one of the tickers asked for has a row: C starts on 01-04
        pd.testing.assert_frame_equal(lh.prices(["C"]), _frame({"2024-01-04": [5.0], "2024-01-05": [6.0],
                                                               "2024-01-08": [7.0]}, ["C"]))
        # every ticker, sorted by name, when none is named
        assert list(lh.prices().columns) == ["A", "B", "C", "IDX"] and len(lh.prices()) == 5
        # volume: NULL is NaN, not 0
        pd.testing.assert_frame_equal(lh.prices(["A", "B"], field="volume", start=date(2024, 1, 4)),
                                      _frame({"2024-01-04": [NAN, NAN], "2024-01-05": [NAN, 500.0],
                                              "2024-01-08": [NAN, NAN]}, ["A", "B"]))


def test_last_reads_the_last_dates_of_the_tickers_asked_for(lake):
    with Lakehouse(lake) as lh:
        # A's last two dates are 01-04 and 01-05; with B, 01-08 is one of them
        pd.testing.assert_frame_equal(lh.prices(["A"], last=2), _frame({"2024-01-04": [12.0], "2024-01-05": [13.0]},
                                                                        ["A"]))
        pd.testing.assert_frame_equal(lh.prices(["A", "B"], last=2),
                                      _frame({"2024-01-05": [13.0, 23.0], "2024-01-08": [NAN, 24.0]}, ["A", "B"]))
        # within the as-of limit: as of 01-04, B's last two dates are 01-02 and 01-03 (its gap on 01-04)
        pd.testing.assert_frame_equal(lh.at(date(2024, 1, 4)).prices(["B"], last=2),
                                      _frame({"2024-01-02": [20.0], "2024-01-03": [21.0]}, ["B"]))
        assert len(lh.prices(["A"], last=99)) == 4  # more than there is: all of it
        with pytest.raises(ValueError, match="last"):
            lh.prices(["A"], last=0)


@pytest.mark.parametrize("as_of", [None, date(2024, 1, 4), date(2023, 1, 1)])
@pytest.mark.parametrize("kw", [{}, {"tickers": ["A", "B"]}, {"tickers": ["C", "A", "ZZZ"]}, {"tickers": ["A", "A"]},
                                {"tickers": []}, {"tickers": ["ZZZ"]}, {"tickers": ["IDX"], "start": date(2024, 1, 3)},
                                {"tickers": ["A", "B"], "field": "volume"}, {"start": date(2025, 1, 1)}])
def test_the_same_frame_as_pandas_pivot_and_last_as_its_tail(lake, as_of, kw):
    with Lakehouse(lake) as lh:
        view = lh.at(as_of)
        ref = _pivot(view, **kw)
        pd.testing.assert_frame_equal(view.prices(**kw), ref)
        for n in (1, 3):
            if len(ref):
                pd.testing.assert_frame_equal(view.prices(**kw, last=n), ref.iloc[-n:])


def test_batches_of_rows_fill_the_same_frame(lake, monkeypatch):
    """Rows arrive in batches (of 2,048 rows x _BATCH_VECTORS): many small batches give the same frame."""
    rng = np.random.default_rng(7)
    days = nyse_sessions()[nyse_sessions() >= "2020-01-02"][:600]  # sessions: the read refuses a holiday
    close = pd.DataFrame(rng.uniform(10, 20, (600, 12)), index=days, columns=[f"T{i:02d}" for i in range(12)])
    close = close.mask(rng.random(close.shape) < 0.1)  # gaps
    path = write_market(lake.parent / "batches.duckdb", close)
    with Lakehouse(path) as lh:
        whole = lh.prices(list(close.columns)[::-1])
        pd.testing.assert_frame_equal(whole, _pivot(lh, list(close.columns)[::-1]))
        monkeypatch.setattr(wide_mod, "_BATCH_VECTORS", 1)  # 2,048 rows a batch: 4 batches
        from rebal import cache

        cache.clear()
        pd.testing.assert_frame_equal(lh.prices(list(close.columns)[::-1]), whole)
    expected = close.dropna(how="all").iloc[:, ::-1]
    np.testing.assert_array_equal(whole.to_numpy(), expected.to_numpy())  # against the frame written
