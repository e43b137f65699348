"""User data import: validated before writing, rejected whole, lakehouse unchanged on rejection."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import csv, file_digest, write_tiny_lakehouse

from rebal.data.importers import import_file
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError


@pytest.fixture
def lake(tmp_path):
    path = tmp_path / "lh.duckdb"
    write_tiny_lakehouse(path)
    return path


def test_import_prices_adds_rows_and_registers_new_tickers(lake, tmp_path):
    f = csv(tmp_path, "p.csv", """
        date,ticker,close,volume
        2024-01-08,AAA,45.5,1000
        2024-01-08,NEW,10,
    """)
    summary = import_file(lake, "prices", f)
    assert summary["rows"] == 2 and summary["new_tickers"] == ["NEW"]
    with Lakehouse(lake) as lh:
        px = lh.prices(["AAA", "NEW"])
        assert px.loc["2024-01-08"].tolist() == [45.5, 10.0]
        assert "NEW" in lh.known_tickers()


def test_import_prices_replaces_existing_rows(lake, tmp_path):
    import_file(lake, "prices", csv(tmp_path, "p.csv", "date,ticker,close\n2024-01-05,AAA,50\n"))
    with Lakehouse(lake) as lh:
        assert lh.prices(["AAA"]).loc["2024-01-05", "AAA"] == 50.0
        assert lh.row_counts()["prices"] == 16


def test_import_parquet(lake, tmp_path):
    f = tmp_path / "p.parquet"
    pd.DataFrame({"date": ["2024-01-08"], "ticker": ["BBB"], "close": [17.5]}).to_parquet(f)
    assert import_file(lake, "prices", f)["rows"] == 1


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("date,ticker,close\n2024-01-08,AAA,45\n2024-01-08,AAA,46\n",
         r"p\.csv: row 3 \(date=2024-01-08, ticker=AAA\): duplicate \(date, ticker\)"),
        ("date,ticker,close\n2024-01-08,AAA,0\n", r"p\.csv: row 2 .*`close` must be > 0, found 0"),
        ("date,ticker,close\n2024-01-08,AAA,-3\n", r"`close` must be > 0"),
        ("date,ticker,close\n2024-01-08,AAA,\n", r"row 2 .*`close` must be a finite number"),
        ("date,ticker,close\n2024-01-08,AAA,NaN\n", r"`close` must be a finite number"),
        ("date,ticker,close\n08/01/2024,AAA,45\n", r"row 2 .*`date` is not a date \(YYYY-MM-DD\): '08/01/2024'"),
        ("date,ticker,close\n2024-02-30,AAA,45\n", r"`date` is not a date"),
        ("date,ticker\n2024-01-08,AAA\n", r"missing column `close`"),
        ("date,ticker,close,colour\n2024-01-08,AAA,45,red\n", r"unknown column `colour`"),
        ("date,ticker,close,high,low\n2024-01-08,AAA,45,44,40\n", r"`high`/`low` do not bracket"),
        ("date,ticker,close\n2024-01-08,../x,45\n", r"`ticker` is not a valid symbol"),
        ("date,ticker,close\n", r"no rows"),
    ],
)
def test_bad_prices_are_rejected_whole_and_change_nothing(lake, tmp_path, text, pattern):
    before = file_digest(lake)
    # a good row first: it must not be written either
    f = csv(tmp_path, "p.csv", text)
    with pytest.raises(DataError, match=pattern):
        import_file(lake, "prices", f)
    assert file_digest(lake) == before


def test_import_holdings_snapshot_with_cash(lake, tmp_path):
    f = csv(tmp_path, "h.csv", """
        profile,as_of,ticker,shares
        tiny,2024-01-05,AAA,10
        tiny,2024-01-05,CASH,500
    """)
    import_file(lake, "holdings", f)
    with Lakehouse(lake) as lh:
        snap, shares, cash = lh.holdings("tiny")
    assert str(snap) == "2024-01-05" and shares.to_dict() == {"AAA": 10.0} and cash == 500.0


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("profile,as_of,ticker,shares\ntiny,2024-01-05,ZZZ,1\n", r"`ticker` 'ZZZ' is unknown"),
        ("profile,as_of,ticker,shares\n../evil,2024-01-05,AAA,1\n", r"`profile`: invalid profile name"),
        ("profile,as_of,ticker,shares\ntiny,2024-01-05,AAA,1\ntiny,2024-01-05,AAA,2\n", r"duplicate \(profile, as_of, ticker\)"),
        ("profile,as_of,ticker,shares\ntiny,2024-01-05,CASH,-5\n", r"`shares` of CASH \(USD\) must be >= 0"),
        ("profile,as_of,ticker,shares\ntiny,2024-01-05,AAA,lots\n", r"`shares` must be a finite number"),
    ],
)
def test_bad_holdings_are_rejected_and_change_nothing(lake, tmp_path, text, pattern):
    before = file_digest(lake)
    with pytest.raises(DataError, match=pattern):
        import_file(lake, "holdings", csv(tmp_path, "h.csv", text))
    assert file_digest(lake) == before


def test_unsupported_or_missing_files(lake, tmp_path):
    with pytest.raises(DataError, match="file not found"):
        import_file(lake, "prices", tmp_path / "nope.csv")
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(DataError, match=r"unsupported file type \.xlsx"):
        import_file(lake, "prices", tmp_path / "x.xlsx")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read parquet"):
        import_file(lake, "prices", tmp_path / "bad.parquet")
