"""The layouts people keep data in, normalised to the long format the importers validate.

:func:`normalise_layout` runs on the frame :func:`rebal.data.importers.read_table` read, before any
check, and returns it in the long layout (one row per date and ticker) with the importers' column
names, and one line per change it made (the import prints them):

- **column names** are matched whatever their case, spaces, dashes or dots (``Date``, ``Ticker``,
  ``Close``, ``Adj Close``, ``as-of``); ``symbol`` is read as ``ticker``;
- **adjusted closes**: a prices file with ``adj_close`` (``Adj Close``, ``adjusted_close``) and no
  ``close`` column has it read as the close (reports compute returns from the close, and adjusted
  closes carry dividends and splits); with both, the file is refused: keep one;
- **wide files** (prices or alpha): a date column, then one column per ticker holding its close (or
  alpha), as spreadsheets and most download tools write them, become one row per (date, ticker);
  an empty cell is no row. The date may also be a Parquet file's index.

Anything else passes through unchanged, so the importers' validation names what is wrong.
"""
from __future__ import annotations

import re

import pandas as pd

from rebal.errors import DataError

__all__ = ["COLUMNS", "normalise_layout", "canonical_name"]

#: the columns of each import kind, required then optional (the importers' schemas)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "prices": (("date", "ticker", "close"), ("open", "high", "low", "volume")),
    "holdings": (("profile", "as_of", "ticker", "shares"), ("cost_basis", "acquired")),
    "tickers": (("ticker",), ("name", "sector", "asset_class", "is_benchmark")),
    "alpha": (("date", "ticker", "alpha"), ()),
    "news": (("date", "ticker", "headline"), ("body", "source")),
    "lots": (("profile", "as_of", "ticker", "acquired", "shares", "cost_basis"), ()),
}
#: the value a wide file's cells hold, per kind
_WIDE_VALUE = {"prices": "close", "alpha": "alpha"}
_ALIASES = {"symbol": "ticker", "adjclose": "adj_close", "adjusted_close": "adj_close", "asof": "as_of"}
_TICKER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._^-]{0,19}$")
_UNNAMED = re.compile(r"^(unnamed_0|index|)$")


def canonical_name(column: object) -> str:
    """Return ``column`` lower-cased, with spaces, dashes and dots as ``_`` (``"Adj Close"`` -> ``"adj_close"``)."""
    text = re.sub(r"[\s.\-:]+", "_", str(column).strip().lower()).strip("_")
    return _ALIASES.get(text, text)


def normalise_layout(raw: pd.DataFrame, kind: str, src: str) -> tuple[pd.DataFrame, list[str]]:
    """Return ``raw`` in the long layout with the importers' column names, and one line per change made.

    Raises
    ------
    DataError
        Two columns that name the same field (``Close`` and ``close``), or both ``close`` and ``adj_close``.
    """
    if kind not in COLUMNS:
        return raw, []
    notes: list[str] = []
    raw = _index_as_column(raw)
    required, optional = COLUMNS[kind]
    known = set(required + optional) | ({"adj_close"} if kind == "prices" else set())
    if kind in _WIDE_VALUE and _is_wide(raw, known):
        return _melt(raw, kind, src)
    renames = {c: canonical_name(c) for c in raw.columns if canonical_name(c) in known and canonical_name(c) != c}
    _no_duplicates(raw, known, src)
    if renames:
        raw = raw.rename(columns=renames)
        notes.append("columns read as " + ", ".join(f"`{a}` -> `{b}`" for a, b in renames.items()))
    if kind == "prices" and "adj_close" in raw.columns:
        if "close" in raw.columns:
            raise DataError(f"{src}: both `close` and `adj_close` columns: keep one (returns are computed from the "
                            "close; adjusted closes, which carry dividends and splits, are the better input)")
        raw = raw.rename(columns={"adj_close": "close"})
        notes.append("close taken from `adj_close` (the file has no `close` column)")
    return raw, notes


def _index_as_column(raw: pd.DataFrame) -> pd.DataFrame:
    """Make a date index a column (a Parquet file written from a frame indexed by date keeps its dates there)."""
    if isinstance(raw.index, pd.DatetimeIndex) or (raw.index.name is not None and not isinstance(raw.index,
                                                                                                pd.RangeIndex)):
        return raw.reset_index()
    return raw


def _no_duplicates(raw: pd.DataFrame, known: set[str], src: str) -> None:
    seen: dict[str, object] = {}
    for c in raw.columns:
        name = canonical_name(c)
        if name in known and name in seen:
            raise DataError(f"{src}: columns `{seen[name]}` and `{c}` both name `{name}`: keep one")
        seen.setdefault(name, c)


def _is_wide(raw: pd.DataFrame, known: set[str]) -> bool:
    """Tell whether ``raw`` is wide: a date column first, then only ticker symbols (no field of the long layout)."""
    cols = list(raw.columns)
    if len(cols) < 2 or any(canonical_name(c) in ("ticker",) for c in cols):
        return False
    first = canonical_name(cols[0])
    if first != "date" and not _UNNAMED.match(first):
        return False
    rest = cols[1:]
    return all(_TICKER.match(str(c).strip()) and canonical_name(c) not in known for c in rest)


def _melt(raw: pd.DataFrame, kind: str, src: str) -> tuple[pd.DataFrame, list[str]]:
    value = _WIDE_VALUE[kind]
    date_col, tickers = raw.columns[0], [str(c).strip() for c in raw.columns[1:]]
    # pandas reads a repeated CSV header `X` as `X.1`, `X.2`
    mangled = [t for t in tickers if (m := re.match(r"^(.+)\.\d+$", t)) and m.group(1) in tickers]
    if mangled or len(set(tickers)) < len(tickers):
        dup = re.sub(r"\.\d+$", "", mangled[0]) if mangled else next(t for t in tickers if tickers.count(t) > 1)
        raise DataError(f"{src}: wide layout (a date column, one column per ticker): ticker column `{dup}` appears "
                        "twice")
    wide = raw.set_axis(["date", *tickers], axis=1)
    long = wide.melt(id_vars="date", var_name="ticker", value_name=value)
    empty = long[value].isna() | (long[value].astype("string").str.strip() == "")
    long = long[~empty].reset_index(drop=True)
    note = (f"wide layout: a date column (`{date_col}`) and {len(tickers)} ticker column(s), cells read as `{value}`: "
            f"{len(wide):,} dates x {len(tickers)} tickers -> {len(long):,} rows"
            + (f" ({int(empty.sum()):,} empty cells skipped)" if empty.any() else ""))
    return long, [note]
