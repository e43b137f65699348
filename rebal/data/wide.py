"""The wide read of the prices table: a dates x tickers array filled from DuckDB's numbers.

:meth:`rebal.data.lakehouse.Lakehouse.prices` builds its frame from :func:`read_wide`. Pivoting the long
table in pandas turned every row's ticker into a string object and factorised it (at 1,000 names x 20
years, 3.8 s and most of the memory of a proposal); here each row arrives as its ticker's position in the
requested list (a join in DuckDB) and its date as a day number, and the array is filled by integer
indexing, in batches for a large read. ``last=n`` asks for the last n dates first and reads from the
first of them on, so a window does not read the history before it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["read_wide"]

#: DuckDB vectors (2,048 rows each) of the long prices table read per batch into the wide frame
_BATCH_VECTORS = 500


def _fill_wide(con: Any, where: str, args: list, field: str, names: list[str],
               dates: np.ndarray) -> np.ndarray:
    """Return the dates x names array of ``field`` from the rows of ``prices`` matching ``where`` (NaN where none).

    Each row's ticker arrives as its position in ``names`` (a join in DuckDB) and its date as a day
    number, so the array is filled with two integer indexes per batch of rows, never a frame of strings.
    """
    wide = np.full((len(dates), len(names)), np.nan)
    if not len(dates) or not names:
        return wide
    days = dates.astype("datetime64[D]").astype(np.int64)
    reader = con.execute(
        f"SELECT date_diff('day', DATE '1970-01-01', date) AS d, k.i, {field} AS v FROM prices "
        f"JOIN (SELECT unnest(?) AS ticker, generate_subscripts(?, 1) - 1 AS i) k USING (ticker) WHERE TRUE{where}",
        [names, names, *args])
    small = wide.size <= _BATCH_VECTORS * 2048  # a window: one fetch; else batches of rows
    while True:  # numbers only: no string column is converted
        chunk = reader.fetchnumpy() if small else reader.fetch_df_chunk(_BATCH_VECTORS)
        if not len(chunk["d"]):
            break
        v = np.ma.filled(np.ma.asarray(chunk["v"], dtype=float), np.nan)  # a NULL (a masked value) is NaN
        wide[np.searchsorted(days, np.asarray(chunk["d"])), np.asarray(chunk["i"])] = v
        if small:
            break
    return wide



def read_wide(con: Any, where: str, args: list, field: str, names: list[str],
              last: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Return the dates and the dates x ``names`` array of ``field`` from the rows of ``prices`` matching ``where``.

    ``where`` (`` AND ...`` clauses on ``prices``) and ``args`` are the caller's filters (as-of limit, start);
    the rows are those of ``names``; with ``last``, only the last ``last`` dates on which one of them has a row.
    """
    where += " AND ticker IN (SELECT unnest(?))"
    args = [*args, names]
    if last is None:
        dates = con.execute(f"SELECT DISTINCT date FROM prices WHERE TRUE{where} ORDER BY date",
                            args).fetchnumpy()["date"]
    else:  # the last dates first; the rows are then those from the first of them on
        dates = con.execute(f"SELECT DISTINCT date FROM prices WHERE TRUE{where} ORDER BY date DESC LIMIT ?",
                            [*args, last]).fetchnumpy()["date"][::-1]
        if len(dates):
            where += " AND date >= ?"
            args.append(dates[0].astype("datetime64[D]").item())
    return dates, _fill_wide(con, where, args, field, names, dates)
