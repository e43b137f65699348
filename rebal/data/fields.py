"""Field checks shared by the importers (:mod:`rebal.data.importers`, :mod:`rebal.data.lots`, :mod:`rebal.data.news`).

Reading a file (size-limited, CSV or Parquet, no coercion), and the checks every file kind applies to its
columns: required and optional names, ``YYYY-MM-DD`` dates not after today, finite numbers, tickers, letter-case
variants of known tickers, free text without control or invisible characters, duplicate keys. Each error names
the file, the row (by its key columns) and the field.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from rebal.errors import DataError
from rebal.limits import check_file_size
from rebal.safetext import check_text, visible

_TICKER_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._^-]{0,19}\Z")  # \Z: `$` would accept a trailing newline
_MAX_TEXT = 200


def read_table(path: str | Path, *, max_bytes: int | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file (by suffix) as strings-or-numbers, without coercion (at most ``max_bytes``)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: file not found")
    suffix = p.suffix.lower()
    check_file_size(p, max_bytes)
    try:
        if suffix == ".csv":
            return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
    except Exception as exc:  # any parse failure is the file's fault
        raise DataError(f"{p}: cannot read {suffix[1:]}: {str(exc).splitlines()[0]}") from None
    raise DataError(f"{p}: unsupported file type {suffix or '(none)'}; use .csv or .parquet")


def _echo(value: object) -> str:
    """``repr`` of a value from the file, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _row(df: pd.DataFrame, i: int, keys: tuple[str, ...]) -> str:
    vals = ", ".join(f"{k}={visible(str(df.iloc[i][k])[:40])}" for k in keys if k in df.columns)
    return f"row {i + 2} ({vals})"  # +2: the header is line 1, as in a spreadsheet


def _columns(df: pd.DataFrame, src: str, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{src}: missing column `{missing[0]}` (required: {', '.join(required)})")
    extra = [c for c in df.columns if c not in required + optional]
    if extra:
        raise DataError(
            f"{src}: unknown column `{extra[0]}` (allowed: {', '.join(required + optional)})"
        )
    if df.empty:
        raise DataError(f"{src}: no rows")


def _dates(df: pd.DataFrame, col: str, src: str, keys: tuple[str, ...]) -> pd.Series:
    raw = df[col]
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        v = raw.iloc[0]
        hint = ""
        text = str(int(v)) if isinstance(v, (int, np.integer, float, np.floating)) and float(v).is_integer() else ""
        if len(text) == 8:
            hint = f"; write {text[:4]}-{text[4:6]}-{text[6:]} (or store a date column)"
        raise DataError(f"{src}: {_row(df, 0, keys)}: `{col}` is a {raw.dtype} column, not dates: {v!r} is not "
                        f"read as a date{hint}")
    if raw.dtype == object or raw.dtype == "string":
        objs = [x for x in raw if not isinstance(x, (str, date, pd.Timestamp)) and not pd.isna(x)]
        if objs:
            i = next(j for j, x in enumerate(raw) if x is objs[0])
            raise DataError(f"{src}: {_row(df, i, keys)}: `{col}` is not a date (YYYY-MM-DD): {objs[0]!r} "
                            f"({type(objs[0]).__name__})")
        as_text = raw.map(lambda x: x.isoformat()[:10] if isinstance(x, (date, pd.Timestamp)) else x)
        wide = ~as_text.astype("string").str.isascii().fillna(True).astype(bool)  # pandas reads fullwidth digits
        if wide.any():
            i = int(np.flatnonzero(wide.to_numpy())[0])
            raise DataError(f"{src}: {_row(df, i, keys)}: `{col}` is not a date (YYYY-MM-DD, ASCII digits 0-9): "
                            f"{_echo(raw.iloc[i])}")
        parsed = pd.to_datetime(as_text.astype(str), format="%Y-%m-%d", errors="coerce")
    else:
        parsed = pd.to_datetime(raw, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{src}: {_row(df, i, keys)}: `{col}` is not a date (YYYY-MM-DD): {_echo(raw.iloc[i])}")
    parsed = parsed.dt.normalize()
    today = pd.Timestamp(date.today())
    future = parsed > today
    if future.any():
        i = int(np.flatnonzero(future.to_numpy())[0])
        raise DataError(f"{src}: {_row(df, i, keys)}: `{col}` {parsed.iloc[i].date()} is after today ({today.date()}): "
                        "data cannot come from the future")
    return parsed


def _numbers(df: pd.DataFrame, col: str, src: str, keys: tuple[str, ...], *, allow_missing: bool = False) -> pd.Series:
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & (raw.notna() if allow_missing else True)
    bad |= ~np.isfinite(num.fillna(0.0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{src}: {_row(df, i, keys)}: `{col}` must be a finite number, found {_echo(raw.iloc[i])}")
    return num.astype(float)


def _tickers(df: pd.DataFrame, src: str, keys: tuple[str, ...]) -> pd.Series:
    t = df["ticker"].astype("string").str.strip()
    bad = t.isna() | ~t.fillna("").str.fullmatch(_TICKER_RE)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{src}: {_row(df, i, keys)}: `ticker` is not a valid symbol: {_echo(df['ticker'].iloc[i])}")
    return t.astype(str)


def _case_variants(tickers: pd.Series, known: set[str], src: str, df: pd.DataFrame, keys: tuple[str, ...]) -> None:
    """Refuse a ticker differing only in letter case from a known one or another one of the file."""
    by_fold: dict[str, str] = {}
    for t in sorted(known):
        by_fold.setdefault(t.casefold(), t)
    for i, t in enumerate(tickers):
        other = by_fold.get(t.casefold())
        if other is not None and other != t:
            raise DataError(f"{src}: {_row(df, i, keys)}: `ticker` {t!r} differs only in letter case from {other!r}: "
                            "refused as a likely typo; import with --allow-case-variants if both are real symbols")
        by_fold.setdefault(t.casefold(), t)


def _did_you_mean(ticker: str, known: set[str]) -> str:
    """``; did you mean 'AAPL'?`` when ``ticker`` differs from a known one only in letter case."""
    same = sorted(k for k in known if k.casefold() == ticker.casefold())
    return f"; did you mean {same[0]!r}?" if same else ""


def _free_text(df: pd.DataFrame, col: str, src: str, keys: tuple[str, ...]) -> None:
    """Refuse control, invisible and direction-changing characters and overlong values in a free-text column."""
    for i, v in enumerate(df[col]):
        if isinstance(v, str) and len(v) > _MAX_TEXT:
            raise DataError(f"{src}: {_row(df, i, keys)}: `{col}` longer than {_MAX_TEXT} characters: {_echo(v)}")
        try:
            check_text(v if isinstance(v, str) else "", f"`{col}`")
        except ValueError as exc:  # a control character, U+202E RIGHT-TO-LEFT OVERRIDE, a zero-width space
            raise DataError(f"{src}: {_row(df, i, keys)}: {exc}: {_echo(v)}") from None


def _where(src: str, report: pd.DataFrame, keys: tuple[str, ...]):
    """``where(i)``: the file and row ``i`` of ``report``, for the checks of :mod:`rebal.data.plausible`."""
    return lambda i: f"{src}: {_row(report, i, keys)}"


def _duplicates(df: pd.DataFrame, cols: list[str], src: str) -> None:
    dup = df.duplicated(cols, keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"{src}: {_row(df, i, tuple(cols))}: duplicate ({', '.join(cols)})")
