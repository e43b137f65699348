"""A prices file imported in chunks (rebal.data.import_stream): the same rows, errors and row numbers as a whole file.

Each test imports with chunks of two rows, so the checks that span chunks (a (date, ticker) given twice, a
ticker in another letter case, a bad value further down) are exercised; expected messages are written out.
The chunks wait in a scratch DuckDB file beside the lakehouse, removed after the import or its failure.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import csv, file_digest, write_tiny_lakehouse

from rebal.data.import_stream import import_prices, read_chunks
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

ROWS = """
    date,ticker,close,volume
    2024-01-08,AAA,45.5,1000
    2024-01-08,NEW,10,
    2024-01-09,AAA,46,1100
    2024-01-09,NEW,11,50
    2024-01-05,BBB,18.25,
"""


@pytest.fixture
def lake(tmp_path):
    path = tmp_path / "lh.duckdb"
    write_tiny_lakehouse(path)
    return path


def _import(lake, f, chunk_rows=2, **kw):
    with Lakehouse(lake, read_only=False) as lh:
        return import_prices(lh, f, chunk_rows=chunk_rows, **kw)


def _prices(lake) -> list[tuple]:
    with Lakehouse(lake) as lh:
        return lh.con.execute("SELECT date, ticker, close, volume, source FROM prices ORDER BY ALL").fetchall()


def test_chunks_write_what_the_whole_file_writes(lake, tmp_path):
    f = csv(tmp_path, "p.csv", ROWS)
    assert len(list(read_chunks(f, 2))) == 3
    one = tmp_path / "one.duckdb"
    write_tiny_lakehouse(one)
    summary = _import(lake, f, chunk_rows=2)
    assert summary == _import(one, f, chunk_rows=1000)
    assert summary == {"kind": "prices", "rows": 5, "tickers": 3, "new_tickers": ["NEW"],
                       "first_date": "2024-01-05", "last_date": "2024-01-09"}
    assert _prices(lake) == _prices(one) and not list(lake.parent.glob(".import-*"))
    with Lakehouse(lake) as lh:
        assert lh.prices(["AAA", "NEW", "BBB"]).loc["2024-01-09"].tolist()[:2] == [46.0, 11.0]
        assert lh.prices(["BBB"]).loc["2024-01-05", "BBB"] == 18.25  # replaced 18.0
        assert lh.row_counts()["prices"] == 16 + 4 and "NEW" in lh.known_tickers()


@pytest.mark.parametrize(("extra", "message"), [
    # the second 2024-01-08 AAA is row 7, three chunks after the first (row 2)
    ("2024-01-08,AAA,47,\n", r"p\.csv: row 7 \(date=2024-01-08, ticker=AAA\): duplicate \(date, ticker\)"),
    ("2024-01-10,AAA,0,\n", r"p\.csv: row 7 \(date=2024-01-10, ticker=AAA\): `close` must be > 0, found 0"),
    ("2024-01-10,new,3,\n", r"p\.csv: row 7 .*`ticker` 'new' differs only in letter case from 'NEW'"),
    ("2024-13-10,AAA,3,\n", r"p\.csv: row 7 .*`date` is not a date \(YYYY-MM-DD\): '2024-13-10'"),
])
def test_an_error_in_a_later_chunk_names_the_files_row_and_writes_nothing(lake, tmp_path, extra, message):
    import textwrap

    f = tmp_path / "p.csv"
    f.write_text(textwrap.dedent(ROWS).lstrip() + extra)
    before = file_digest(lake)
    for chunk_rows in (2, 1000):  # the same error from chunks and from the whole file
        with pytest.raises(DataError, match=message):
            _import(lake, f, chunk_rows=chunk_rows)
    assert file_digest(lake) == before
    assert not list(lake.parent.glob(".import-*"))  # the scratch staging file is gone


def test_a_case_variant_across_chunks_passes_when_confirmed(lake, tmp_path):
    import textwrap

    f = tmp_path / "p.csv"
    f.write_text(textwrap.dedent(ROWS).lstrip() + "2024-01-10,new,3,\n")
    assert _import(lake, f, allow_case_variants=True)["new_tickers"] == ["NEW", "new"]


def test_parquet_in_batches_with_a_stored_index(lake, tmp_path):
    f = tmp_path / "p.parquet"
    df = pd.DataFrame({"date": ["2024-01-08", "2024-01-08", "2024-01-09"], "ticker": ["AAA", "BBB", "AAA"],
                       "close": [45.5, 17.5, 0.0]}, index=[10, 11, 12])  # a stored index is not a column
    df.iloc[:2].to_parquet(f)
    assert _import(lake, f, chunk_rows=1)["rows"] == 2
    df.to_parquet(f)
    with pytest.raises(DataError, match=r"p\.parquet: row 4 .*`close` must be > 0"):
        _import(lake, f, chunk_rows=1)


def test_a_header_without_rows_and_an_unreadable_file(lake, tmp_path):
    with pytest.raises(DataError, match=r"p\.csv: no rows"):
        _import(lake, csv(tmp_path, "p.csv", "date,ticker,close\n"))
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read parquet"):
        read_chunks(bad)
