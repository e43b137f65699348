"""A prices file imported in chunks: each chunk validated as a whole file is, the lakehouse written in one transaction.

``rebal data import prices`` read the whole file as strings, validated it and wrote it. Here the file is
read ``CHUNK_ROWS`` rows at a time (CSV with pandas' chunked reader and the same parse options as
:func:`rebal.data.importers.read_table`, Parquet by record batches); each chunk goes through
:func:`rebal.data.importers.validate_prices` (row numbers are the file's: a chunk keeps its rows' positions in
the file), the case-variant check against the known tickers and those of the chunks before it, and a check
that no (date, ticker) of it came in an earlier chunk (named at its second row, as the whole-file check
names it); then it is appended to a staging table in a scratch DuckDB file beside the lakehouse, so the
validated rows wait on disk rather than in memory. When every chunk has passed, one transaction of the
lakehouse replaces its rows with the staged ones and registers new tickers; on any error nothing of the
lakehouse has changed, and the scratch file is removed either way.

Memory: a chunk's strings, and DuckDB's work in that last transaction, which keeps the primary-key index
of the rows it inserts in memory (about 200 MB for 2.5 million rows; importing into a large lakehouse also
loads the index of the rows already there).
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

_STAGING = ("CREATE TABLE import_stage.import_staging (row BIGINT, date DATE, ticker VARCHAR, open DOUBLE, "
            "high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)")


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
    rows replace existing (date, ticker) rows, new tickers are registered as equities. The validated chunks
    are staged in a scratch DuckDB file beside the lakehouse (removed after), so they wait on disk, not in
    memory; the lakehouse itself changes in one transaction at the end. Raises
    :class:`~rebal.errors.DataError` and writes nothing to the lakehouse when any check fails.
    """
    import tempfile

    src = str(file)
    chunks = read_chunks(file, chunk_rows)
    with tempfile.TemporaryDirectory(prefix=".import-", dir=lh.path.parent) as scratch:
        staging = str(Path(scratch) / "staging.duckdb").replace("'", "''")
        lh.con.execute(f"ATTACH '{staging}' AS import_stage")
        try:
            lh.con.execute(_STAGING)
            seen = _stage(lh, chunks, src, allow_case_variants)
            return _publish(lh, Path(file).name, seen)
        finally:
            lh.con.execute("DETACH import_stage")


def _stage(lh: Lakehouse, chunks: Iterator[pd.DataFrame], src: str, allow_case_variants: bool) -> set[str]:
    """Validate each chunk and append it to the staging table (each append commits there); return its tickers."""
    from rebal.data.importers import _case_variants, validate_prices

    known, seen = lh.known_tickers(), set()
    con = lh.con
    for raw in chunks:
        if raw.empty and seen:
            continue  # the end of a file whose rows came before
        df = validate_prices(raw, src)
        if not allow_case_variants:
            _case_variants(df["ticker"], known | seen, src, raw, ("date", "ticker"))
        seen.update(df["ticker"].unique())
        # dates as numbers, not Python date objects: DuckDB converts them without a copy per row
        con.register("import_chunk", df.assign(row=raw.index.to_numpy() + 2,  # +2: the header is line 1
                                               date=pd.to_datetime(df["date"]).to_numpy().astype("datetime64[D]")))
        try:
            dups = con.execute("SELECT c.row, CAST(c.date AS DATE), c.ticker FROM import_chunk c "
                               "JOIN import_stage.import_staging s ON c.date = s.date AND c.ticker = s.ticker "
                               "ORDER BY c.row LIMIT 1").fetchall()
            if dups:  # given in an earlier chunk (within a chunk the validation refused it)
                dup = dups[0]
                raise DataError(f"{src}: row {dup[0]} (date={dup[1]}, ticker={str(dup[2])[:40]}): "
                                "duplicate (date, ticker)")
            con.execute("INSERT INTO import_stage.import_staging SELECT row, date, ticker, open, high, low, close, "
                        "volume FROM import_chunk")
        finally:
            con.unregister("import_chunk")
    return seen


def _publish(lh: Lakehouse, name: str, seen: set[str]) -> dict[str, object]:
    """In one transaction of the lakehouse: replace the staged (date, ticker) rows, register new tickers."""
    new = sorted(seen - lh.known_tickers())
    with lh.transaction() as con:
        con.execute("DELETE FROM prices WHERE (date, ticker) IN "
                    "(SELECT (date, ticker) FROM import_stage.import_staging)")
        con.execute("INSERT INTO prices SELECT date, ticker, open, high, low, close, volume, FALSE, ? "
                    "FROM import_stage.import_staging", [f"import:{name}"])
        if new:
            con.executemany("INSERT INTO tickers VALUES (?, ?, NULL, 'equity', FALSE, ?)",
                            [(t, t, f"import:{name}") for t in new])
        rows, first, last = con.execute("SELECT count(*), min(date), max(date) FROM "
                                        "import_stage.import_staging").fetchone()
    return {"kind": "prices", "rows": int(rows), "tickers": len(seen), "new_tickers": new,
            "first_date": str(first), "last_date": str(last)}
