"""A prices file imported in chunks: each chunk validated as a whole file is, all of them written in one transaction.

``rebal data import prices`` read the whole file as strings, validated it and wrote it: at 74 MB of CSV the
strings alone took about a gigabyte. Here the file is read ``CHUNK_ROWS`` rows at a time (CSV with pandas'
chunked reader and the same parse options as :func:`rebal.data.importers.read_table`, Parquet by record
batches); each chunk goes through :func:`rebal.data.importers.validate_prices` (row numbers are the file's:
a chunk keeps its rows' positions in the file) and the case-variant check against the known tickers and
those of the chunks before it, then into a temporary staging table inside the import's transaction. When
every chunk has passed, the checks that span chunks run on the staging table (a (date, ticker) given twice,
named at its second row as the whole-file check names it), the rows replace the lakehouse's and new tickers
are registered; on any error the transaction rolls back and the lakehouse is as it was. Memory is a chunk of
strings plus DuckDB's staging rows, not the file's strings.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

__all__ = ["CHUNK_ROWS", "read_chunks", "import_prices"]

#: rows of the file read, validated and staged at a time
CHUNK_ROWS = 100_000

_STAGING = ("CREATE TEMP TABLE import_staging (row BIGINT, date DATE, ticker VARCHAR, open DOUBLE, high DOUBLE, "
            "low DOUBLE, close DOUBLE, volume DOUBLE)")


def read_chunks(path: str | Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Return the rows of a CSV or Parquet file ``chunk_rows`` at a time, as :func:`~rebal.data.importers.read_table`.

    The file is opened now (a missing, unsupported or unreadable file is a :class:`DataError` here); its rows are
    read as the chunks are asked for. Each chunk's index is its rows' positions in the file (0 = the first data
    row), so the validation names the file's row. A file with a header and no row gives one empty chunk.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: file not found")
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataError(f"{p}: unsupported file type {suffix or '(none)'}; use .csv or .parquet")
    try:
        if suffix == ".csv":
            chunks = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], chunksize=chunk_rows)
        else:
            chunks = _parquet_chunks(p, chunk_rows)
    except Exception as exc:  # any parse failure is the file's fault
        raise DataError(f"{p}: cannot read {suffix[1:]}: {str(exc).splitlines()[0]}") from None
    return _guarded(chunks, p, suffix[1:])


def _guarded(chunks: Iterator[pd.DataFrame], p: Path, kind: str) -> Iterator[pd.DataFrame]:
    try:
        yield from chunks
    except Exception as exc:  # a row further down that cannot be parsed
        raise DataError(f"{p}: cannot read {kind}: {str(exc).splitlines()[0]}") from None


def _parquet_chunks(p: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    f = pq.ParquetFile(p)
    meta = f.schema_arrow.pandas_metadata or {}
    index_cols = {c for c in meta.get("index_columns", []) if isinstance(c, str)}  # a stored index is not data
    columns = [c for c in f.schema_arrow.names if c not in index_cols]

    def batches() -> Iterator[pd.DataFrame]:
        start = 0
        for batch in f.iter_batches(batch_size=chunk_rows, columns=columns):
            df = batch.to_pandas(ignore_metadata=True)
            df.index = pd.RangeIndex(start, start + len(df))
            start += len(df)
            yield df
        if start == 0:
            yield f.schema_arrow.empty_table().select(columns).to_pandas(ignore_metadata=True)

    return batches()


def import_prices(lh: Lakehouse, file: str | Path, *, allow_case_variants: bool = False,
                  chunk_rows: int = CHUNK_ROWS) -> dict[str, object]:
    """Validate the prices ``file`` chunk by chunk and write it into the writable ``lh`` in one transaction.

    The same checks, errors and summary as a whole-file import (:func:`rebal.data.importers.import_file`):
    rows replace existing (date, ticker) rows, new tickers are registered as equities. Raises
    :class:`~rebal.errors.DataError` and writes nothing when any check fails.
    """
    from rebal.data.importers import _case_variants, validate_prices

    src = str(file)
    name = Path(file).name
    chunks = read_chunks(file, chunk_rows)
    known = lh.known_tickers()
    seen: set[str] = set()
    with lh.transaction() as con:
        con.execute("DROP TABLE IF EXISTS import_staging")
        con.execute(_STAGING)
        for raw in chunks:
            if raw.empty and seen:
                continue  # the end of a file whose rows came before
            df = validate_prices(raw, src)
            if not allow_case_variants:
                _case_variants(df["ticker"], known | seen, src, raw, ("date", "ticker"))
            seen.update(df["ticker"].unique())
            con.register("import_chunk", df.assign(row=raw.index.to_numpy() + 2))  # +2: the header is line 1
            con.execute("INSERT INTO import_staging SELECT row, date, ticker, open, high, low, close, volume "
                        "FROM import_chunk")
            con.unregister("import_chunk")
        _check_across_chunks(con, src)
        con.execute("DELETE FROM prices WHERE (date, ticker) IN (SELECT (date, ticker) FROM import_staging)")
        con.execute("INSERT INTO prices SELECT date, ticker, open, high, low, close, volume, FALSE, ? "
                    "FROM import_staging", [f"import:{name}"])
        new = sorted(seen - known)
        if new:
            con.executemany("INSERT INTO tickers VALUES (?, ?, NULL, 'equity', FALSE, ?)",
                            [(t, t, f"import:{name}") for t in new])
        rows, first, last = con.execute("SELECT count(*), min(date), max(date) FROM import_staging").fetchone()
        con.execute("DROP TABLE import_staging")
    return {"kind": "prices", "rows": int(rows), "tickers": len(seen), "new_tickers": new,
            "first_date": str(first), "last_date": str(last)}


def _check_across_chunks(con, src: str) -> None:
    """Refuse a (date, ticker) given twice in different chunks (within a chunk the validation refused it)."""
    dup = con.execute("SELECT row, date, ticker FROM (SELECT row, date, ticker, row_number() OVER "
                      "(PARTITION BY date, ticker ORDER BY row) AS k FROM import_staging) WHERE k > 1 "
                      "ORDER BY row LIMIT 1").fetchone()
    if dup is not None:
        raise DataError(f"{src}: row {dup[0]} (date={dup[1]}, ticker={str(dup[2])[:40]}): duplicate (date, ticker)")
