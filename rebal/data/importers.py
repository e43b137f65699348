"""Import user data (CSV or Parquet) into the lakehouse, validated before anything is written.

A file is accepted whole or rejected whole: every check runs on the parsed frame first, and the
write is one transaction, so the lakehouse is unchanged after a rejected import.

Dates are ``YYYY-MM-DD`` text (CSV) or date / timestamp columns (Parquet); a number is never taken
for a date (``20221227`` would otherwise be read as nanoseconds after 1970: it is refused with the
text to write instead). A date after today (:func:`datetime.date.today`) is refused: it would become
"the latest date" of every report. A ticker that differs only in letter case from a known ticker or
from another in the same file (``aapl`` beside ``AAPL``) is refused unless the import is confirmed
with ``allow_case_variants=True`` (``--allow-case-variants``). Names and sectors may not hold control
characters and are at most 200 characters; reports escape them wherever they become HTML.

Schemas (after :mod:`rebal.data.layouts` matched the column names and reshaped a wide file; extra columns
are an error):

``prices``
    ``date`` (YYYY-MM-DD), ``ticker``, ``close`` (> 0), optional ``open``/``high``/``low`` (> 0,
    low <= open, close <= high) and ``volume`` (>= 0). Rows replace existing (date, ticker) rows.
    New tickers are registered in ``tickers`` (asset_class ``equity``, no sector) unless
    ``rebal data import tickers`` described them first.
``holdings``
    ``profile``, ``as_of`` (YYYY-MM-DD), ``ticker``, ``shares``; cash as ticker ``CASH`` with
    ``shares`` in USD (>= 0). Tickers must be known. Each (profile, as_of) snapshot replaces any
    existing snapshot of the same (profile, as_of). Optional ``cost_basis`` (total USD) and
    ``acquired`` (YYYY-MM-DD) make a row one tax lot (:mod:`rebal.data.lots`).
``lots``
    ``profile``, ``as_of``, ``ticker``, ``acquired``, ``shares`` (> 0), ``cost_basis`` (total USD
    of the lot): the open tax lots on ``as_of``, overriding the inferred ones (:mod:`rebal.data.lots`).
``tickers``
    ``ticker``, optional ``name``, ``sector``, ``asset_class``, ``is_benchmark``.
``alpha``
    ``date`` (YYYY-MM-DD), ``ticker``, ``alpha`` (a finite number; higher = more attractive).
    A user's own alpha for profiles with ``risk4.alpha_source: imported``. Tickers must be known
    equities; rows replace existing (date, ticker) rows of ``alpha_imported``.
``news``
    ``date`` (YYYY-MM-DD), ``ticker``, ``headline``, optional ``body`` and ``source``: dated news
    items for the LLM-assisted views (checks and SQL in :mod:`rebal.data.news`).
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH, Lakehouse
from rebal.data.layouts import normalise_layout
from rebal.errors import ConfigError, DataError
from rebal.paths import validate_profile_name

__all__ = ["read_table", "validate_prices", "validate_holdings", "validate_tickers", "validate_alpha", "import_file",
           "KINDS"]

KINDS = ("prices", "holdings", "tickers", "alpha", "news", "lots")
_TICKER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._^-]{0,19}$")
_ASSET_CLASSES = {"equity", "index", "etf", "volatility_index", "fund", "bond", "other"}
_MAX_TEXT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (by suffix) as strings-or-numbers, without coercion."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: file not found")
    suffix = p.suffix.lower()
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
    vals = ", ".join(f"{k}={str(df.iloc[i][k])[:40]}" for k in keys if k in df.columns)
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
    bad = t.isna() | ~t.fillna("").str.match(_TICKER_RE)
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
    """Refuse control characters and overlong values in a free-text column (names, sectors)."""
    for i, v in enumerate(df[col]):
        if isinstance(v, str) and (len(v) > _MAX_TEXT or _CONTROL.search(v)):
            why = f"longer than {_MAX_TEXT} characters" if len(v) > _MAX_TEXT else "holds a control character"
            raise DataError(f"{src}: {_row(df, i, keys)}: `{col}` {why}: {_echo(v)}")


def _duplicates(df: pd.DataFrame, cols: list[str], src: str) -> None:
    dup = df.duplicated(cols, keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"{src}: {_row(df, i, tuple(cols))}: duplicate ({', '.join(cols)})")


def validate_prices(raw: pd.DataFrame, src: str) -> pd.DataFrame:
    """Check and normalise a prices frame; raise :class:`DataError` naming the row and field."""
    keys = ("date", "ticker")
    _columns(raw, src, ("date", "ticker", "close"), ("open", "high", "low", "volume"))
    df = pd.DataFrame({"date": _dates(raw, "date", src, keys), "ticker": _tickers(raw, src, keys)})
    for col in ("close", "open", "high", "low", "volume"):
        if col in raw.columns:
            df[col] = _numbers(raw, col, src, keys, allow_missing=col != "close")
        else:
            df[col] = np.nan
    report = raw.assign(date=df["date"].dt.date, ticker=df["ticker"])
    for col in ("close", "open", "high", "low"):
        bad = df[col] <= 0
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{src}: {_row(report, i, keys)}: `{col}` must be > 0, found {df[col].iloc[i]}")
    bad = df["volume"] < 0
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{src}: {_row(report, i, keys)}: `volume` must be >= 0, found {df['volume'].iloc[i]}")
    hi_ok = df["high"].isna() | (df["high"] >= df[["close", "open", "low"]].max(axis=1) * (1 - 1e-9))
    lo_ok = df["low"].isna() | (df["low"] <= df[["close", "open", "high"]].min(axis=1) * (1 + 1e-9))
    if not (hi_ok & lo_ok).all():
        i = int(np.flatnonzero(~(hi_ok & lo_ok).to_numpy())[0])
        raise DataError(f"{src}: {_row(report, i, keys)}: `high`/`low` do not bracket open and close")
    _duplicates(report, ["date", "ticker"], src)
    df["date"] = df["date"].dt.date
    return df


def validate_holdings(raw: pd.DataFrame, src: str, known: set[str]) -> pd.DataFrame:
    """Check and normalise a holdings frame against the ``known`` tickers."""
    keys = ("profile", "as_of", "ticker")
    _columns(raw, src, ("profile", "as_of", "ticker", "shares"), ("cost_basis", "acquired"))
    df = pd.DataFrame({
        "profile": raw["profile"].astype("string"),
        "as_of": _dates(raw, "as_of", src, keys).dt.date,
        "ticker": _tickers(raw, src, keys),
        "shares": _numbers(raw, "shares", src, keys),
    })
    for i, name in enumerate(df["profile"]):
        try:
            validate_profile_name(name if isinstance(name, str) else "")
        except ConfigError as exc:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `profile`: {exc}") from None
    for i, (t, s) in enumerate(zip(df["ticker"], df["shares"], strict=True)):
        if t == CASH:
            if s < 0:
                raise DataError(f"{src}: {_row(raw, i, keys)}: `shares` of CASH (USD) must be >= 0, found {s}")
        elif t not in known:
            raise DataError(
                f"{src}: {_row(raw, i, keys)}: `ticker` {t!r} is unknown (not in the lakehouse tickers table)"
                + _did_you_mean(t, known)
            )
    _duplicates(df, ["profile", "as_of", "ticker"], src)
    df["profile"] = df["profile"].astype(str)
    return df


def validate_tickers(raw: pd.DataFrame, src: str) -> pd.DataFrame:
    """Check and normalise a tickers frame."""
    keys = ("ticker",)
    _columns(raw, src, ("ticker",), ("name", "sector", "asset_class", "is_benchmark"))
    df = pd.DataFrame({"ticker": _tickers(raw, src, keys)})
    for col in ("name", "sector"):
        if col in raw:
            if not (raw[col].dtype == object or raw[col].dtype == "string"):
                raise DataError(f"{src}: `{col}`: expected text, found a {raw[col].dtype} column")
            _free_text(raw, col, src, keys)
    df["name"] = raw["name"].astype("string") if "name" in raw else df["ticker"]
    df["sector"] = raw["sector"].astype("string") if "sector" in raw else pd.NA
    ac = (raw["asset_class"].astype("string").fillna("equity") if "asset_class" in raw
          else pd.Series("equity", index=raw.index))
    for i, a in enumerate(ac):
        if a not in _ASSET_CLASSES:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `asset_class` {a!r} is not one of {sorted(_ASSET_CLASSES)}")
    df["asset_class"] = ac.astype(str)
    if "is_benchmark" in raw:
        m = raw["is_benchmark"].astype("string").str.lower().map({"true": True, "false": False, "1": True, "0": False})
        if m.isna().any():
            i = int(np.flatnonzero(m.isna().to_numpy())[0])
            raise DataError(f"{src}: {_row(raw, i, keys)}: `is_benchmark` must be true or false")
        df["is_benchmark"] = m.astype(bool)
    else:
        df["is_benchmark"] = False
    _duplicates(df, ["ticker"], src)
    return df


def validate_alpha(raw: pd.DataFrame, src: str, known: set[str]) -> pd.DataFrame:
    """Check and normalise a user alpha frame against the ``known`` tickers."""
    keys = ("date", "ticker")
    _columns(raw, src, ("date", "ticker", "alpha"), ())
    df = pd.DataFrame({"date": _dates(raw, "date", src, keys).dt.date, "ticker": _tickers(raw, src, keys),
                       "alpha": _numbers(raw, "alpha", src, keys)})
    for i, t in enumerate(df["ticker"]):
        if t not in known:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `ticker` {t!r} is unknown "
                            "(not in the lakehouse tickers table)" + _did_you_mean(t, known))
    _duplicates(df, ["date", "ticker"], src)
    return df


def _replace_rows(con, table: str, key: str, df: pd.DataFrame, columns: str, file: str | Path) -> None:
    """Inside a transaction: delete the rows of ``table`` whose ``key`` appears in ``df``, insert ``df``."""
    con.register("incoming", df)
    con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM incoming)")
    con.execute(f"INSERT INTO {table} SELECT {columns}, ? FROM incoming", [f"import:{Path(file).name}"])


def import_file(lakehouse: str | Path, kind: str, file: str | Path, *,
                allow_case_variants: bool = False) -> dict[str, object]:
    """Validate ``file`` as ``kind`` and write it into the lakehouse in one transaction.

    Returns a summary (rows written, tickers, date range). Raises :class:`DataError` and writes
    nothing when any check fails. ``allow_case_variants`` confirms tickers that differ only in
    letter case from known ones (see the module docstring).
    """
    if kind not in KINDS:
        raise DataError(f"unknown import kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    src = str(file)
    raw, notes = normalise_layout(read_table(file), kind, src)  # wide files, column-name variants, adj_close
    layout = {"layout": notes} if notes else {}
    if not Path(lakehouse).is_file():
        raise DataError(f"{lakehouse}: lakehouse not found; build it with `rebal data build-sample` first")
    with Lakehouse(lakehouse, read_only=False) as lh:
        known = lh.known_tickers()
        if kind == "prices":
            df = validate_prices(raw, src)
            if not allow_case_variants:
                _case_variants(df["ticker"], known, src, raw, ("date", "ticker"))
            new = sorted(set(df["ticker"]) - known)
            with lh.transaction() as con:  # prices and their new tickers together
                _replace_rows(con, "prices", "(date, ticker)", df,
                              "date, ticker, open, high, low, close, volume, FALSE", file)
                if new:
                    con.executemany(
                        "INSERT INTO tickers VALUES (?, ?, NULL, 'equity', FALSE, ?)",
                        [(t, t, f"import:{Path(file).name}") for t in new],
                    )
            return layout | {"kind": kind, "rows": len(df), "tickers": int(df["ticker"].nunique()), "new_tickers": new,
                    "first_date": str(df["date"].min()), "last_date": str(df["date"].max())}
        if kind == "holdings":
            from rebal.data.lots import lots_of_holdings, write_lots

            df = validate_holdings(raw, src, known)
            lots = lots_of_holdings(raw, df, src)
            stock = df[df["ticker"] != CASH]
            cash = df[df["ticker"] == CASH].rename(columns={"shares": "cash"})[["profile", "as_of", "cash"]]
            snaps = df[["profile", "as_of"]].drop_duplicates()
            tag = f"import:{Path(file).name}"
            with lh.transaction() as con:
                con.register("snaps", snaps)
                con.register("stock", stock)
                con.register("cashdf", cash)
                con.execute("DELETE FROM holdings WHERE (profile, as_of) IN (SELECT (profile, as_of) FROM snaps)")
                con.execute("DELETE FROM cash_balances WHERE (profile, as_of) IN (SELECT (profile, as_of) FROM snaps)")
                con.execute("INSERT INTO holdings SELECT profile, as_of, ticker, shares, ? FROM stock", [tag])
                con.execute("INSERT INTO cash_balances SELECT profile, as_of, cash, ? FROM cashdf", [tag])
                write_lots(con, lots, tag)
            return layout | {"kind": kind, "rows": len(df), "snapshots": len(snaps),
                             "profiles": sorted(snaps["profile"].unique().tolist()), "lots": len(lots)}
        if kind == "news":
            from rebal.data.news import validate_news, write_news

            return layout | write_news(lh, validate_news(raw, src, known), file)
        if kind == "lots":
            from rebal.data.lots import validate_lots, write_lots

            df = validate_lots(raw, src, known)
            with lh.transaction() as con:
                write_lots(con, df, f"import:{Path(file).name}")
            statements = int(len(df[["profile", "as_of"]].drop_duplicates()))
            return layout | {"kind": kind, "rows": len(df), "statements": statements,
                             "profiles": sorted(df["profile"].unique().tolist())}
        if kind == "alpha":
            equities = {r[0] for r in
                        lh.con.execute("SELECT ticker FROM tickers WHERE asset_class = 'equity'").fetchall()}
            df = validate_alpha(raw, src, equities)
            with lh.transaction() as con:
                _replace_rows(con, "alpha_imported", "(date, ticker)", df, "date, ticker, alpha", file)
            return layout | {"kind": kind, "rows": len(df), "tickers": int(df["ticker"].nunique()),
                    "first_date": str(df["date"].min()), "last_date": str(df["date"].max())}
        df = validate_tickers(raw, src)
        if not allow_case_variants:
            _case_variants(df["ticker"], known, src, raw, ("ticker",))
        with lh.transaction() as con:
            _replace_rows(con, "tickers", "ticker", df, "ticker, name, sector, asset_class, is_benchmark", file)
        return layout | {"kind": kind, "rows": len(df)}
