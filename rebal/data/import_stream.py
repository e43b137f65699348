"""A long prices file imported in chunks: every check of a whole-file import, the lakehouse written in one transaction.

A whole-file import reads the file as strings (15-20 times its size in memory), validates it, then writes it.
Here a long file (one row per date and ticker) is read ``CHUNK_ROWS`` rows at a time (CSV with pandas'
chunked reader and the parse options of :func:`rebal.data.fields.read_table`, Parquet by record batches),
after the same size limit (:func:`rebal.limits.check_file_size`). Each chunk keeps its rows' positions in the
file as its index, so every error names the file's row, and goes through what a whole file goes through:

- the layout (:func:`rebal.data.layouts.normalise_layout`: column-name variants, ``adj_close``);
- :func:`rebal.data.importers.validate_prices` (dates on NYSE sessions with the calendar's reason, not
  after today; finite, positive, plausible magnitudes; high/low; duplicates within the chunk);
- the letter-case check against the known tickers and those of the chunks before it;
- a (date, ticker) given in an earlier chunk is a duplicate, named at its second row as the whole-file
  check names it;

then it is appended to a staging table in a scratch DuckDB file beside the lakehouse (or in the temporary
directory when that path holds a ``?``), so the validated rows wait on disk. Checks that need the whole file
run on the staging table once every chunk has passed: the one-day moves (:func:`staged_moves`, the rule of
:func:`rebal.data.plausible.implausible_moves` in SQL: each close against the previous one of its ticker in
the file or, within 45 days around the file's dates, the lakehouse, whatever the file's row order or chunk).
Then one transaction of the lakehouse replaces its rows with the staged ones, registers new tickers and
records the confirmed moves; on any error nothing of the lakehouse has changed, and the scratch file is
removed either way. Where a whole file holds several errors, the first chunk's is the one named.

Not streamed (read whole, as before): a wide file (a date column and one column per ticker; reshaping it
needs every row of a date) and a Parquet file whose dates are its stored index (:func:`stream_or_none`).

Memory: a chunk's strings, and DuckDB's work in the last transaction, which keeps the primary-key index of
the rows it inserts in memory (about 200 MB for 2.5 million rows).
"""
from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd

from rebal.data import plausible
from rebal.data.lakehouse import Lakehouse
from rebal.data.layouts import normalise_layout, streamable
from rebal.errors import DataError
from rebal.limits import DEFAULT_MAX_MOVE, check_file_size
from rebal.safetext import visible

__all__ = ["CHUNK_ROWS", "read_chunks", "stream_or_none", "import_prices", "staged_moves"]

#: rows of the file read, validated and staged at a time
CHUNK_ROWS = 100_000

_STAGING = ("CREATE TABLE import_stage.import_staging (row BIGINT, date DATE, ticker VARCHAR, open DOUBLE, "
            "high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)")


def read_chunks(path: str | Path, chunk_rows: int | None = None, *, max_bytes: int | None = None
                ) -> Iterator[pd.DataFrame]:
    """Return the rows of a CSV or Parquet file ``chunk_rows`` at a time, as :func:`~rebal.data.fields.read_table`.

    The file is checked (exists, type, at most ``max_bytes``) and opened now; its rows are read as the chunks
    are asked for. Each chunk's index is its rows' positions in the file (0 = the first data row), so the
    validation names the file's row. A file with a header and no row gives one empty chunk. ``chunk_rows``
    defaults to :data:`CHUNK_ROWS`.
    """
    chunk_rows = chunk_rows or CHUNK_ROWS
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: file not found")
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataError(f"{p}: unsupported file type {suffix or '(none)'}; use .csv or .parquet")
    check_file_size(p, max_bytes)
    try:
        if suffix == ".csv":
            chunks = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], chunksize=chunk_rows)
        else:
            chunks = _parquet_chunks(p, chunk_rows) or iter(())  # none: read whole (stream_or_none)
    except Exception as exc:  # any parse failure is the file's fault
        raise DataError(f"{p}: cannot read {suffix[1:]}: {str(exc).splitlines()[0]}") from None
    return _guarded(chunks, p, suffix[1:])


def _guarded(chunks: Iterator[pd.DataFrame], p: Path, kind: str) -> Iterator[pd.DataFrame]:
    try:
        yield from chunks
    except Exception as exc:  # a row further down that cannot be parsed
        raise DataError(f"{p}: cannot read {kind}: {str(exc).splitlines()[0]}") from None


def _parquet_chunks(p: Path, chunk_rows: int) -> Iterator[pd.DataFrame] | None:
    """Record batches of ``p``; None when its stored index holds data (dates, or a named index): read it whole."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(p)
    meta = f.schema_arrow.pandas_metadata or {}
    index_cols = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    for col in meta.get("columns", []):
        if col.get("field_name") in index_cols and (col.get("name") is not None
                                                    or str(col.get("pandas_type", "")).startswith("datetime")):
            return None  # rebal.data.layouts makes such an index a column
    columns = [c for c in f.schema_arrow.names if c not in index_cols]  # an unnamed row number is not data

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


def stream_or_none(path: str | Path, *, max_bytes: int | None = None,
                   chunk_rows: int | None = None) -> Iterator[pd.DataFrame] | None:
    """Return the chunks of a prices file, or None when its layout must be read whole (see the module docstring)."""
    chunks = read_chunks(path, chunk_rows, max_bytes=max_bytes)
    first = next(chunks, None)
    if first is None:
        return None  # the Parquet file's index holds its dates
    if not streamable(first, "prices"):
        chunks.close()
        return None
    return itertools.chain([first], chunks)


def import_prices(lh: Lakehouse, file: str | Path, chunks: Iterator[pd.DataFrame] | None = None, *,
                  allow_case_variants: bool = False, max_move: float = DEFAULT_MAX_MOVE,
                  confirmed_moves: set[tuple[str, date]] = frozenset(),
                  chunk_rows: int | None = None) -> dict[str, object]:
    """Validate the long prices ``file`` chunk by chunk and write it into the writable ``lh`` in one transaction.

    The checks, errors and summary of a whole-file import (:func:`rebal.data.importers.import_file`): rows
    replace existing (date, ticker) rows, new tickers are registered as equities, one-day moves beyond
    ``max_move`` refused unless in ``confirmed_moves``. ``chunks`` (default: :func:`read_chunks` of ``file``)
    are staged in a scratch DuckDB file; the lakehouse changes in one transaction at the end. Raises
    :class:`~rebal.errors.DataError` and writes nothing to the lakehouse when any check fails.
    """
    if not max_move > 1:
        raise DataError(f"--max-move: the limit is a factor above 1 (4 allows +300 % / -75 % a day), found "
                        f"{max_move:g}")
    src = str(file)
    chunks = read_chunks(file, chunk_rows) if chunks is None else chunks
    parent = lh.path.resolve().parent
    with tempfile.TemporaryDirectory(prefix=".import-", dir=None if "?" in str(parent) else parent) as scratch:
        staging = str(Path(scratch) / "staging.duckdb").replace("'", "''")
        lh.con.execute(f"ATTACH '{staging}' AS import_stage")
        try:
            lh.con.execute(_STAGING)
            seen, notes = _stage(lh, chunks, src, allow_case_variants)
            moves = staged_moves(lh.con, min(max_move, DEFAULT_MAX_MOVE), limit=max_move)
            let_in = plausible.judge_moves(moves, lambda pos: f"{src}: {_row_text(moves, pos)}", max_move,
                                           confirmed_moves)
            summary = _publish(lh, Path(file).name, seen, let_in)
        finally:
            lh.con.execute("DETACH import_stage")
    return ({"layout": notes} if notes else {}) | summary


def _stage(lh: Lakehouse, chunks: Iterator[pd.DataFrame], src: str,
           allow_case_variants: bool) -> tuple[set[str], list[str]]:
    """Validate each chunk and append it to the staging table; return the file's tickers and layout notes."""
    from rebal.data.fields import _case_variants
    from rebal.data.importers import validate_prices

    known, seen, notes = lh.known_tickers(), set(), None
    con = lh.con
    for chunk in chunks:
        if chunk.empty and notes is not None:
            continue  # the end of a file whose rows came before
        raw, chunk_notes = normalise_layout(chunk, "prices", src)
        notes = chunk_notes if notes is None else notes
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
                              "ORDER BY c.row LIMIT 1").fetchall()  # DuckDB 2: a result is read to its end
            if dups:  # given in an earlier chunk (within a chunk the validation refused it)
                dup = dups[0]
                raise DataError(f"{src}: row {dup[0]} (date={dup[1]}, ticker={visible(str(dup[2])[:40])}): "
                                "duplicate (date, ticker)")
            con.execute("INSERT INTO import_stage.import_staging SELECT row, date, ticker, open, high, low, close, "
                        "volume FROM import_chunk")
        finally:
            con.unregister("import_chunk")
    if notes is None:
        raise DataError(f"{src}: the dates are the Parquet file's stored index: this file is read whole "
                        "(rebal.data.importers.import_file)")
    return seen, notes


def staged_moves(con, detect: float, limit: float | None = None) -> list[dict[str, object]]:
    """List the one-day moves beyond ``detect`` (up or down) that involve a staged row, in ticker then date order.

    The rule of :func:`~rebal.data.plausible.implausible_moves`, over the closes after the import: the staged
    rows, and the lakehouse's rows of their tickers within :data:`~rebal.data.plausible.MOVE_PAD_DAYS` of the
    staged dates that the file does not replace. Each move is ``{pos, ticker, date, ratio, reason, row}``:
    ``pos`` the file row (as the error names it) of its later close, or of its earlier one when only that is
    staged; ``row`` that row's date and ticker; ``reason`` names ``limit`` (default ``detect``).
    """
    pad = plausible.MOVE_PAD_DAYS
    rows = con.execute(f"""
        WITH staged AS (SELECT row, date, ticker, close FROM import_stage.import_staging),
        span AS (SELECT min(date) - {pad} AS lo, max(date) + {pad} AS hi FROM staged),
        kept AS (SELECT NULL::BIGINT AS row, p.date, p.ticker, p.close FROM prices p, span
                 WHERE p.ticker IN (SELECT DISTINCT ticker FROM staged) AND p.date BETWEEN span.lo AND span.hi
                 AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.date = p.date AND s.ticker = p.ticker)),
        lagged AS (SELECT *, lag(close) OVER w AS pc, lag(date) OVER w AS pd, lag(row) OVER w AS pr
                   FROM (SELECT * FROM staged UNION ALL SELECT * FROM kept)
                   WINDOW w AS (PARTITION BY ticker ORDER BY date))
        SELECT coalesce(row, pr), ticker, date, close / pc, pc, pd, close, CASE WHEN row IS NULL THEN pd ELSE date END
        FROM lagged WHERE pc IS NOT NULL AND (row IS NOT NULL OR pr IS NOT NULL) AND (close / pc > ? OR close / pc < ?)
        ORDER BY ticker, date""", [detect, 1.0 / detect]).fetchall()
    return [{"pos": int(pos), "ticker": t, "date": d, "ratio": float(r),
             "reason": plausible.move_reason(t, float(r), pc, pday, c, d, limit or detect),
             "row": f"date={row_date}, ticker={visible(str(t)[:40])}"}
            for pos, t, d, r, pc, pday, c, row_date in rows]


def _row_text(moves: list[dict[str, object]], pos: int) -> str:
    return next(f"row {pos} ({m['row']})" for m in moves if m["pos"] == pos)


def _publish(lh: Lakehouse, name: str, seen: set[str], let_in: list) -> dict[str, object]:
    """In one transaction of the lakehouse: replace the staged (date, ticker) rows, register new tickers."""
    new = sorted(seen - lh.known_tickers())
    with lh.transaction() as con:
        plausible.record_moves(con, let_in, f"import:{name}")
        con.execute("DELETE FROM prices WHERE (date, ticker) IN "
                    "(SELECT (date, ticker) FROM import_stage.import_staging)")
        con.execute("INSERT INTO prices SELECT date, ticker, open, high, low, close, volume, FALSE, ? "
                    "FROM import_stage.import_staging", [f"import:{name}"])
        if new:
            con.executemany("INSERT INTO tickers VALUES (?, ?, NULL, 'equity', FALSE, ?)",
                            [(t, t, f"import:{name}") for t in new])
        ((rows, first, last),) = con.execute("SELECT count(*), min(date), max(date) FROM "
                                             "import_stage.import_staging").fetchall()
    return {"kind": "prices", "rows": int(rows), "tickers": len(seen), "new_tickers": new,
            "first_date": str(first), "last_date": str(last)}
