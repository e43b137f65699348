"""Own data as people have it: wide files, column-name variants and adjusted closes are read into the long layout."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import csv, file_digest, write_tiny_lakehouse

from rebal.data.importers import import_file
from rebal.data.lakehouse import Lakehouse
from rebal.data.layouts import canonical_name, normalise_layout
from rebal.errors import DataError


@pytest.fixture
def lake(tmp_path):
    path = tmp_path / "lh" / "rebal.duckdb"
    write_tiny_lakehouse(path)
    return path


def _closes(path, tickers):
    with Lakehouse(path) as lh:
        return lh.con.execute("SELECT date, ticker, close FROM prices WHERE ticker IN ? ORDER BY ticker, date",
                              [list(tickers)]).fetchall()


@pytest.mark.parametrize(("column", "name"), [("Date", "date"), (" Ticker ", "ticker"), ("Adj Close", "adj_close"),
                                              ("adj-close", "adj_close"), ("Symbol", "ticker"), ("As Of", "as_of"),
                                              ("CLOSE", "close")])
def test_column_names_are_matched_whatever_their_case_spaces_or_dashes(column, name):
    assert canonical_name(column) == name


def test_a_wide_file_becomes_one_row_per_date_and_ticker_and_empty_cells_are_no_row(lake, tmp_path):
    f = csv(tmp_path, "wide.csv", """
        Date,NEW1,NEW2
        2024-01-02,10.0,
        2024-01-03,10.5,20.0
        2024-01-04,11.0,21.0
    """)
    summary = import_file(lake, "prices", f)
    assert summary["rows"] == 5 and summary["new_tickers"] == ["NEW1", "NEW2"]
    assert summary["layout"] == ["wide layout: a date column (`Date`) and 2 ticker column(s), cells read as `close`: "
                                 "3 dates x 2 tickers -> 5 rows (1 empty cells skipped)"]
    assert _closes(lake, ["NEW1", "NEW2"]) == [
        (date(2024, 1, 2), "NEW1", 10.0), (date(2024, 1, 3), "NEW1", 10.5), (date(2024, 1, 4), "NEW1", 11.0),
        (date(2024, 1, 3), "NEW2", 20.0), (date(2024, 1, 4), "NEW2", 21.0)]


def test_a_wide_parquet_with_the_dates_as_index_imports(lake, tmp_path):
    wide = pd.DataFrame({"NEW1": [10.0, 11.0]}, index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="Date"))
    wide.to_parquet(tmp_path / "w.parquet")
    assert import_file(lake, "prices", tmp_path / "w.parquet")["rows"] == 2
    assert _closes(lake, ["NEW1"]) == [(date(2024, 1, 2), "NEW1", 10.0), (date(2024, 1, 3), "NEW1", 11.0)]


def test_capitalised_long_columns_import_and_say_how_they_were_read(lake, tmp_path):
    f = csv(tmp_path, "caps.csv", """
        Date,Ticker,Close,Volume
        2024-01-02,NEW1,10.0,1000
    """)
    summary = import_file(lake, "prices", f)
    assert summary["layout"] == ["columns read as `Date` -> `date`, `Ticker` -> `ticker`, `Close` -> `close`, "
                                 "`Volume` -> `volume`"]
    assert _closes(lake, ["NEW1"]) == [(date(2024, 1, 2), "NEW1", 10.0)]


def test_adj_close_is_the_close_when_there_is_no_close_column_and_the_import_says_so(lake, tmp_path):
    f = csv(tmp_path, "adj.csv", """
        date,ticker,Adj Close
        2024-01-02,NEW1,9.5
    """)
    summary = import_file(lake, "prices", f)
    assert "close taken from `adj_close` (the file has no `close` column)" in summary["layout"]
    assert _closes(lake, ["NEW1"]) == [(date(2024, 1, 2), "NEW1", 9.5)]


def test_the_cli_prints_how_the_file_was_read(tiny_home, tmp_path, cli):
    f = csv(tmp_path, "adj.csv", """
        Date,Ticker,Adj Close
        2024-01-02,NEW1,9.5
    """)
    res = cli(tiny_home, "data", "import", "prices", str(f))
    assert res.returncode == 0, res.stderr
    assert f"read {f}: close taken from `adj_close` (the file has no `close` column)" in res.stdout
    assert "imported 1 prices rows" in res.stdout


@pytest.mark.parametrize(("text", "pattern"), [
    ("date,ticker,close,adj_close\n2024-01-02,NEW1,10,9.5\n", r"both `close` and `adj_close` columns: keep one"),
    ("Close,date,ticker,close\n1,2024-01-02,NEW1,10\n", r"columns `Close` and `close` both name `close`"),
    ("Date,NEW1,NEW1\n2024-01-02,1,2\n", r"ticker column `NEW1` appears twice"),
])
def test_ambiguous_files_are_refused_and_change_nothing(lake, tmp_path, text, pattern):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    before = file_digest(lake)
    with pytest.raises(DataError, match=pattern):
        import_file(lake, "prices", f)
    assert file_digest(lake) == before


def test_a_wide_file_with_a_bad_cell_is_named_by_the_existing_validation(lake, tmp_path):
    f = csv(tmp_path, "w.csv", """
        Date,NEW1
        2024-01-02,abc
    """)
    with pytest.raises(DataError, match=r"`close` must be a finite number, found 'abc'"):
        import_file(lake, "prices", f)


def test_wide_alpha_and_long_layouts_that_are_not_wide_pass_through():
    wide = pd.DataFrame({"date": ["2024-01-02"], "AAA": ["0.5"], "BBB": ["-0.1"]})
    out, notes = normalise_layout(wide, "alpha", "x.csv")
    assert out.to_dict("records") == [{"date": "2024-01-02", "ticker": "AAA", "alpha": "0.5"},
                                      {"date": "2024-01-02", "ticker": "BBB", "alpha": "-0.1"}]
    assert notes[0].startswith("wide layout")
    long = pd.DataFrame({"date": ["2024-01-02"], "ticker": ["AAA"], "close": ["1"]})
    same, none = normalise_layout(long, "prices", "x.csv")
    assert same is long and none == []
    holdings = pd.DataFrame({"Profile": ["p"], "As Of": ["2024-01-02"], "Ticker": ["AAA"], "Shares": ["1"]})
    out, _ = normalise_layout(holdings, "holdings", "h.csv")
    assert list(out.columns) == ["profile", "as_of", "ticker", "shares"]
