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


def _moves_by_pandas(lake, text):
    """The message of the whole-file move check (rebal.data.plausible, pandas), a second implementation."""
    import io

    from rebal.data import plausible
    from rebal.data.fields import _where
    from rebal.data.importers import validate_prices

    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    df = validate_prices(raw, "p.csv")
    with Lakehouse(lake) as lh, pytest.raises(DataError) as err:
        plausible.refuse_implausible_moves(lh.con, df, _where("p.csv", raw, ("date", "ticker")), 4.0, set())
    return str(err.value)


@pytest.mark.parametrize(("rows", "message"), [
    # against the last stored close (AAA 44 on 2024-01-05), before the file's first date
    ("2024-01-08,AAA,440\n", "row 2 (date=2024-01-08, ticker=AAA): the close of 'AAA' moves x10 from 44 on "
                             "2024-01-05 to 440 on 2024-01-08"),
    # across chunks of one row: CCC's 01-08 close in the first chunk, its 01-09 close in the third
    ("2024-01-08,CCC,46\n2024-01-08,AAA,44\n2024-01-09,CCC,460\n",
     "row 4 (date=2024-01-09, ticker=CCC): the close of 'CCC' moves x10 from 46 on 2024-01-08 to 460 on 2024-01-09"),
    # a file out of date order: the later date comes first
    ("2024-01-09,CCC,460\n2024-01-08,CCC,46\n",
     "row 2 (date=2024-01-09, ticker=CCC): the close of 'CCC' moves x10 from 46 on 2024-01-08 to 460 on 2024-01-09"),
    # only the earlier close is the file's: it replaces BBB's stored 20 on 01-02, and 19 follows on 01-03
    ("2024-01-02,BBB,2\n",
     "row 2 (date=2024-01-02, ticker=BBB): the close of 'BBB' moves x9.5 from 2 on 2024-01-02 to 19 on 2024-01-03"),
])
def test_one_day_moves_span_chunks_and_the_stored_closes(lake, tmp_path, rows, message):
    text = "date,ticker,close\n" + rows
    f = tmp_path / "p.csv"
    f.write_text(text)
    before = file_digest(lake)
    for chunk_rows in (1, 1000):
        with pytest.raises(DataError) as err:
            _import(lake, f, chunk_rows=chunk_rows)
        assert str(err.value).startswith(f"{f}: {message}, beyond the 4x a day real prices move")
    assert file_digest(lake) == before
    assert _moves_by_pandas(lake, text).replace("p.csv", str(f)) == str(err.value)


def test_a_confirmed_or_allowed_move_is_imported_and_recorded(lake, tmp_path):
    f = csv(tmp_path, "p.csv", "date,ticker,close\n2024-01-08,AAA,440\n2024-01-09,AAA,44\n")
    with pytest.raises(DataError, match=r"--max-move: the limit is a factor above 1"):
        _import(lake, f, max_move=1.0)
    from datetime import date

    # confirming the jump is not the fall back: 440 -> 44 on 01-09 is a second move
    with pytest.raises(DataError, match=r"row 3 .*'AAA' moves x1/10 from 440 on 2024-01-08 to 44 on 2024-01-09"):
        _import(lake, f, chunk_rows=1, confirmed_moves={("AAA", date(2024, 1, 8))})
    assert _import(lake, f, chunk_rows=1, confirmed_moves={("AAA", date(2024, 1, 8)), ("AAA", date(2024, 1, 9))},
                   )["rows"] == 2
    with Lakehouse(lake) as lh:
        meta = lh.meta()
        assert meta["confirmed_move:AAA:2024-01-08"] == "x10 confirmed by import:p.csv"
        assert meta["confirmed_move:AAA:2024-01-09"] == "x1/10 confirmed by import:p.csv"
        assert lh.prices(["AAA"])["AAA"].tolist() == [40.0, 42.0, 43.0, 44.0, 440.0, 44.0]  # the reader accepts them
    g = csv(tmp_path, "q.csv", "date,ticker,close\n2024-01-08,BBB,180\n")  # x10 from 18: within --max-move 11
    assert _import(lake, g, max_move=11.0)["rows"] == 1
    with Lakehouse(lake) as lh:
        assert lh.meta()["confirmed_move:BBB:2024-01-08"] == "x10 confirmed by import:q.csv"


@pytest.mark.parametrize(("extra", "message"), [
    ("2024-01-06,AAA,44,\n", r"p\.csv: row 7 \(date=2024-01-06, ticker=AAA\): `date` 2024-01-06 is not an NYSE session "
                             r"\(a Saturday\)"),
    ("2024-01-10,AAA,1e10,\n", r"p\.csv: row 7 .*`close` 1e\+10 is not a plausible value \(must be between 1e-06 "
                               r"and 1e\+09\)"),
    ("2024-01-10,AAA,44,1e20\n", r"p\.csv: row 7 .*`volume` 1e\+20 is not a plausible value"),
])
def test_calendar_and_magnitudes_in_a_later_chunk(lake, tmp_path, extra, message):
    import textwrap

    f = tmp_path / "p.csv"
    f.write_text(textwrap.dedent(ROWS).lstrip() + extra)
    before = file_digest(lake)
    for chunk_rows in (2, 1000):
        with pytest.raises(DataError, match=message):
            _import(lake, f, chunk_rows=chunk_rows)
    assert file_digest(lake) == before


def test_column_variants_and_adj_close_in_every_chunk(lake, tmp_path):
    f = csv(tmp_path, "p.csv", """
        Date,Symbol,Adj Close
        2024-01-08,AAA,45
        2024-01-08,BBB,18.5
        2024-01-09,AAA,46
    """)
    summary = _import(lake, f, chunk_rows=1)
    assert summary["layout"] == ["columns read as `Date` -> `date`, `Symbol` -> `ticker`, `Adj Close` -> `adj_close`",
                                 "close taken from `adj_close` (the file has no `close` column)"]
    assert summary["rows"] == 3
    with Lakehouse(lake) as lh:
        assert lh.prices(["AAA"])["AAA"].tolist()[-2:] == [45.0, 46.0]
    both = csv(tmp_path, "b.csv", "date,ticker,close,Adj Close\n2024-01-08,AAA,45,45\n")
    with pytest.raises(DataError, match=r"both `close` and `adj_close` columns: keep one"):
        _import(lake, both, chunk_rows=1)


def test_wide_files_and_dated_parquet_indexes_are_read_whole(lake, tmp_path):
    from rebal.data.import_stream import stream_or_none
    from rebal.data.importers import import_file

    wide = csv(tmp_path, "w.csv", "Date,AAA,NEW\n2024-01-08,45,10\n2024-01-09,46,\n")
    assert stream_or_none(wide, chunk_rows=1) is None
    summary = import_file(lake, "prices", wide)
    assert summary["rows"] == 3 and summary["layout"][-1].startswith("read whole, not in chunks")
    # a wide file's moves and calendar are checked as before, against the stored closes too
    jump = csv(tmp_path, "j.csv", "Date,BBB\n2024-01-10,180\n")
    with pytest.raises(DataError, match=r"row 2 .*'BBB' moves x10 from 18 on 2024-01-05 to 180 on 2024-01-10"):
        import_file(lake, "prices", jump)
    pq = tmp_path / "w.parquet"
    pd.DataFrame({"CCC": [47.0]}, index=pd.DatetimeIndex(["2024-01-10"], name="Date")).to_parquet(pq)
    assert stream_or_none(pq) is None and import_file(lake, "prices", pq)["rows"] == 1
    long = csv(tmp_path, "l.csv", "date,ticker,close\n2024-01-10,AAA,47\n")
    assert "layout" not in import_file(lake, "prices", long)  # a long file: streamed, nothing to say


def test_the_size_limit_holds_before_anything_is_read(lake, tmp_path):
    from rebal.data.importers import import_file

    f = csv(tmp_path, "p.csv", ROWS)
    before = file_digest(lake)
    with pytest.raises(DataError, match=r"p\.csv: 0\.0 MB to read, more than the 0 MB limit of an import"):
        import_file(lake, "prices", f, max_bytes=100)
    assert file_digest(lake) == before
    assert import_file(lake, "prices", f, max_bytes=None)["rows"] == 5
