"""SQL and validation of the ``news`` table: dated news items per ticker, read point in time.

A news file (CSV or Parquet, ``rebal data import news FILE``) has the columns ``date``
(YYYY-MM-DD, not after today), ``ticker`` (a known ticker), ``headline`` (text, 1-500
characters) and optionally ``body`` (at most 5,000 characters) and ``source`` (at most 200).
Text may not hold control characters (a body may hold line breaks and tabs). A file is checked
whole before anything is written, as every import is (:mod:`rebal.data.importers`); its rows
replace the rows with the same (date, ticker, headline).

An item dated ``d`` is taken as known at the close of ``d``: a computation as of ``d`` sees it,
one as of ``d - 1`` does not (:func:`news_items` never returns an item dated after its ``end``
or after the lakehouse view's as-of limit).
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

__all__ = ["HEADLINE_CHARS", "BODY_CHARS", "validate_news", "write_news", "news_items", "news_span"]

#: the longest headline (characters)
HEADLINE_CHARS = 500
#: the longest body (characters)
BODY_CHARS = 5000
_SOURCE_CHARS = 200
#: control characters; a body may also hold \t, \n and \r
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BODY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(raw: pd.DataFrame, col: str, src: str, keys: tuple[str, ...], *, limit: int, required: bool,
          control: re.Pattern) -> pd.Series:
    from rebal.data.fields import _echo, _row

    out = []
    for i, v in enumerate(raw[col]):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            if required:
                raise DataError(f"{src}: {_row(raw, i, keys)}: `{col}` is empty")
            out.append(None)
            continue
        if not isinstance(v, str):
            raise DataError(f"{src}: {_row(raw, i, keys)}: `{col}` must be text, found {_echo(v)}")
        text = v.strip()
        if required and not text:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `{col}` is empty")
        if len(text) > limit:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `{col}` is longer than {limit} characters: {_echo(v)}")
        if control.search(text):
            raise DataError(f"{src}: {_row(raw, i, keys)}: `{col}` holds a control character: {_echo(v)}")
        out.append(text or None)
    return pd.Series(out, index=raw.index, dtype=object)


def validate_news(raw: pd.DataFrame, src: str, known: set[str]) -> pd.DataFrame:
    """Check and normalise a news frame against the ``known`` tickers (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (``datetime.date``), ``ticker``, ``headline``, ``body``, ``source``.

    Raises
    ------
    DataError
        Naming the file, the row (as a spreadsheet numbers it) and the field.
    """
    from rebal.data.fields import _columns, _dates, _did_you_mean, _duplicates, _row, _tickers

    keys = ("date", "ticker")
    _columns(raw, src, ("date", "ticker", "headline"), ("body", "source"))
    df = pd.DataFrame({"date": _dates(raw, "date", src, keys).dt.date, "ticker": _tickers(raw, src, keys)})
    for i, t in enumerate(df["ticker"]):
        if t not in known:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `ticker` {t!r} is unknown "
                            "(not in the lakehouse tickers table)" + _did_you_mean(t, known))
    df["headline"] = _text(raw, "headline", src, keys, limit=HEADLINE_CHARS, required=True, control=_CONTROL)
    df["body"] = (_text(raw, "body", src, keys, limit=BODY_CHARS, required=False, control=_CONTROL_BODY)
                  if "body" in raw else None)
    df["source"] = (_text(raw, "source", src, keys, limit=_SOURCE_CHARS, required=False, control=_CONTROL)
                    if "source" in raw else None)
    _duplicates(df, ["date", "ticker", "headline"], src)
    return df


def write_news(lh: Lakehouse, df: pd.DataFrame, file: str | Path) -> dict[str, object]:
    """Write a validated news frame in one transaction (rows replace those with the same date, ticker, headline)."""
    with lh.transaction() as con:
        con.register("incoming_news", df)
        con.execute("DELETE FROM news WHERE (date, ticker, headline) IN "
                    "(SELECT (date, ticker, headline) FROM incoming_news)")
        con.execute("INSERT INTO news SELECT date, ticker, headline, body, source, ? FROM incoming_news",
                    [f"import:{Path(file).name}"])
        con.unregister("incoming_news")
    return {"kind": "news", "rows": len(df), "tickers": int(df["ticker"].nunique()),
            "first_date": str(df["date"].min()), "last_date": str(df["date"].max())}


def news_items(lh: Lakehouse, tickers: Sequence[str], *, start: date, end: date) -> pd.DataFrame:
    """News of ``tickers`` dated in [``start``, ``end``] and not after the view's as-of limit.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (``datetime.date``), ``ticker``, ``headline``, ``body``, ``source``, newest first
        (then by ticker and headline, so the order is fixed); empty (same columns) when the lakehouse has no
        ``news`` table (built before it existed).
    """
    cols = ["date", "ticker", "headline", "body", "source"]
    if "news" not in lh.table_names():
        return pd.DataFrame(columns=cols)
    last = min(end, lh.as_of) if lh.as_of is not None else end
    df = lh.con.execute(
        "SELECT date, ticker, headline, body, source FROM news WHERE ticker IN (SELECT unnest(?)) "
        "AND date >= ? AND date <= ? ORDER BY date DESC, ticker, headline", [list(tickers), start, last]).df()
    if len(df):
        df["date"] = pd.to_datetime(df["date"]).dt.date
    df = df.astype({"body": object, "source": object})
    return df.where(df.notna(), None)[cols]


def news_span(lh: Lakehouse) -> tuple[date, date] | None:
    """First and last date of the news (within the view's as-of limit), or None when there is none."""
    if "news" not in lh.table_names():
        return None
    where, args = ("WHERE date <= ?", [lh.as_of]) if lh.as_of is not None else ("", [])
    row = lh.con.execute(f"SELECT min(date), max(date) FROM news {where}", args).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])
