"""Import user data (CSV or Parquet) into the lakehouse, validated before anything is written.

A file is accepted whole or rejected whole: every check runs on the parsed frame first, and the
write is one transaction, so the lakehouse is unchanged after a rejected import.

Dates are ``YYYY-MM-DD`` text (CSV) or date / timestamp columns (Parquet); a number is never taken
for a date (``20221227`` would otherwise be read as nanoseconds after 1970: it is refused with the
text to write instead). A date after today (:func:`datetime.date.today`) is refused: it would become
"the latest date" of every report. A ticker that differs only in letter case from a known ticker or
from another in the same file (``aapl`` beside ``AAPL``) is refused unless the import is confirmed
with ``allow_case_variants=True`` (``--allow-case-variants``). Names and sectors may not hold control,
invisible or direction-changing characters and are at most 200 characters; reports escape them. Prices
and alpha are dated on NYSE sessions, values are plausible and one-day moves too (:mod:`rebal.data.plausible`);
files above a size are refused before they are read (:mod:`rebal.limits`).

Schemas (after :mod:`rebal.data.layouts` matched the column names and reshaped a wide file; extra columns
are an error):

``prices``
    ``date`` (YYYY-MM-DD), ``ticker``, ``close`` (> 0), optional ``open``/``high``/``low`` (> 0,
    low <= open, close <= high) and ``volume`` (>= 0). Rows replace existing (date, ticker) rows.
    New tickers are registered in ``tickers`` (asset_class ``equity``, no sector) unless
    ``rebal data import tickers`` described them first.
``holdings``
    ``profile``, ``as_of`` (YYYY-MM-DD), ``ticker``, ``shares``; cash as ticker ``CASH`` with
    ``shares`` in USD (>= 0). Tickers must be known and not indexes, the profile a project's (CLI), a
    snapshot must hold something. Each (profile, as_of) snapshot replaces the stored one. Optional
    ``cost_basis`` (total USD) and ``acquired`` (YYYY-MM-DD) make a row one tax lot (:mod:`rebal.data.lots`).
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

from pathlib import Path

import numpy as np
import pandas as pd

from rebal.data import plausible
from rebal.data.fields import (
    _case_variants,
    _columns,
    _dates,
    _did_you_mean,
    _duplicates,
    _free_text,
    _numbers,
    _row,
    _tickers,
    _where,
    read_table,
)
from rebal.data.holdings import replace_snapshots
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.data.layouts import normalise_layout
from rebal.errors import ConfigError, DataError
from rebal.limits import MAX_IMPORT_BYTES
from rebal.paths import validate_profile_name

__all__ = ["read_table", "validate_prices", "validate_holdings", "validate_tickers", "validate_alpha", "import_file",
           "KINDS"]

KINDS = ("prices", "holdings", "tickers", "alpha", "news", "lots")
_ASSET_CLASSES = {"equity", "index", "etf", "volatility_index", "fund", "bond", "other"}


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
    where = _where(src, report, keys)
    for col in ("close", "open", "high", "low"):
        plausible.refuse_out_of_range(df[col], col, plausible.MIN_PRICE, plausible.MAX_PRICE, where)
    plausible.refuse_out_of_range(df["volume"], "volume", 0.0, plausible.MAX_VOLUME, where)
    plausible.refuse_off_calendar(df["date"], "date", where)
    hi_ok = df["high"].isna() | (df["high"] >= df[["close", "open", "low"]].max(axis=1) * (1 - 1e-9))
    lo_ok = df["low"].isna() | (df["low"] <= df[["close", "open", "high"]].min(axis=1) * (1 + 1e-9))
    if not (hi_ok & lo_ok).all():
        i = int(np.flatnonzero(~(hi_ok & lo_ok).to_numpy())[0])
        raise DataError(f"{src}: {_row(report, i, keys)}: `high`/`low` do not bracket open and close")
    _duplicates(report, ["date", "ticker"], src)
    df["date"] = df["date"].dt.date
    return df


def validate_holdings(raw: pd.DataFrame, src: str, known: set[str], *, profiles: set[str] | None = None,
                      indexes: set[str] = frozenset()) -> pd.DataFrame:
    """Check and normalise a holdings frame against the ``known`` tickers.

    ``profiles`` (the project's profile names, when known) refuses holdings of another profile; ``indexes``
    (tickers of asset class index or volatility_index) cannot be held. A snapshot must hold something.
    """
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
        if profiles is not None and name not in profiles:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `profile` {name!r} is not a profile of this project "
                            f"({', '.join(sorted(profiles)[:8]) or 'none'}); create its YAML file first, or correct "
                            "the name")
    for i, (t, s) in enumerate(zip(df["ticker"], df["shares"], strict=True)):
        if t == CASH:
            if s < 0:
                raise DataError(f"{src}: {_row(raw, i, keys)}: `shares` of CASH (USD) must be >= 0, found {s}")
        elif t not in known:
            raise DataError(
                f"{src}: {_row(raw, i, keys)}: `ticker` {t!r} is unknown (not in the lakehouse tickers table)"
                + _did_you_mean(t, known)
            )
        elif t in indexes:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `ticker` {t!r} is an index (a benchmark), which cannot "
                            "be bought; hold a fund that tracks it")
    where = _where(src, raw, keys)
    plausible.refuse_out_of_range(df["shares"].where(df["ticker"] != CASH), "shares", 0.0, plausible.MAX_SHARES,
                                  where, absolute=True)
    plausible.refuse_out_of_range(df["shares"].where(df["ticker"] == CASH), "shares", 0.0, plausible.MAX_CASH, where,
                                  what="cash (`shares` of CASH)")
    _duplicates(df, ["profile", "as_of", "ticker"], src)
    plausible.refuse_empty_snapshots(df, where)
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
    where = _where(src, raw, keys)
    plausible.refuse_out_of_range(df["alpha"], "alpha", 0.0, plausible.MAX_ALPHA, where, absolute=True)
    plausible.refuse_off_calendar(df["date"], "date", where)
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


def _lakehouse_exists(lakehouse: str | Path) -> None:
    if not Path(lakehouse).is_file():
        raise DataError(f"{lakehouse}: lakehouse not found; build it with `rebal data build-sample` first")


def import_file(lakehouse: str | Path, kind: str, file: str | Path, *, allow_case_variants: bool = False,
                max_move: float = plausible.DEFAULT_MAX_MOVE, confirmed_moves: set | None = None,
                profiles: set[str] | None = None, max_bytes: int | None = MAX_IMPORT_BYTES) -> dict[str, object]:
    """Validate ``file`` as ``kind`` and write it into the lakehouse in one transaction.

    Returns a summary (rows written, tickers, date range). Raises :class:`DataError` and writes
    nothing when any check fails. ``allow_case_variants`` confirms tickers that differ only in
    letter case from known ones (see the module docstring). ``max_move`` and ``confirmed_moves``
    (``{(ticker, date)}``) set the one-day move check of prices (:mod:`rebal.data.plausible`);
    ``profiles`` (the project's profile names) refuses holdings of another; ``max_bytes`` refuses a
    larger file before reading it (None: no limit).
    """
    if kind not in KINDS:
        raise DataError(f"unknown import kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    src = str(file)
    if kind == "prices":  # a long file is read, validated and staged in chunks (rebal.data.import_stream)
        from rebal.data.import_stream import import_prices, stream_or_none

        chunks = stream_or_none(file, max_bytes=max_bytes)  # None: a wide file (or an indexed Parquet), read whole
        if chunks is not None:
            _lakehouse_exists(lakehouse)
            with Lakehouse(lakehouse, read_only=False) as lh:
                return import_prices(lh, file, chunks, allow_case_variants=allow_case_variants, max_move=max_move,
                                     confirmed_moves=confirmed_moves or set())
    raw, notes = normalise_layout(read_table(file, max_bytes=max_bytes), kind, src)  # wide, name variants, adj_close
    if kind == "prices":
        notes.append("read whole, not in chunks: a wide layout (or a Parquet file's dated index) is reshaped in memory")
    layout = {"layout": notes} if notes else {}
    _lakehouse_exists(lakehouse)
    opts = {"allow_case_variants": allow_case_variants, "max_move": max_move,
            "confirmed_moves": confirmed_moves or set(), "profiles": profiles}
    with Lakehouse(lakehouse, read_only=False) as lh:
        return layout | _WRITERS[kind](lh, raw, src, Path(file), lh.known_tickers(), opts)


def _write_prices(lh, raw: pd.DataFrame, src: str, file: Path, known: set[str], opts: dict) -> dict[str, object]:
    """Write prices read whole (a wide layout): validated, moves judged, with their new tickers."""
    df = validate_prices(raw, src)
    if not opts["allow_case_variants"]:
        _case_variants(df["ticker"], known, src, raw, ("date", "ticker"))
    let_in = plausible.refuse_implausible_moves(lh.con, df, _where(src, raw, ("date", "ticker")), opts["max_move"],
                                                opts["confirmed_moves"])
    new = sorted(set(df["ticker"]) - known)
    with lh.transaction() as con:  # prices and their new tickers together
        plausible.record_moves(con, let_in, f"import:{file.name}")
        _replace_rows(con, "prices", "(date, ticker)", df, "date, ticker, open, high, low, close, volume, FALSE", file)
        if new:
            con.executemany("INSERT INTO tickers VALUES (?, ?, NULL, 'equity', FALSE, ?)",
                            [(t, t, f"import:{file.name}") for t in new])
    return {"kind": "prices", "rows": len(df), "tickers": int(df["ticker"].nunique()), "new_tickers": new,
            "first_date": str(df["date"].min()), "last_date": str(df["date"].max())}


def _write_holdings(lh, raw: pd.DataFrame, src: str, file: Path, known: set[str], opts: dict) -> dict[str, object]:
    """Write holdings snapshots (each replaces the stored one) and the tax lots their rows carry."""
    from rebal.data.lots import lots_of_holdings, write_lots

    indexes = {r[0] for r in lh.con.execute(
        "SELECT ticker FROM tickers WHERE asset_class IN ('index', 'volatility_index')").fetchall()}
    df = validate_holdings(raw, src, known, profiles=opts["profiles"], indexes=indexes)
    lots = lots_of_holdings(raw, df, src)
    tag = f"import:{file.name}"
    with lh.transaction() as con:
        snaps = replace_snapshots(con, df, tag)
        write_lots(con, lots, tag)
    return {"kind": "holdings", "rows": len(df), "snapshots": len(snaps),
            "profiles": sorted(snaps["profile"].unique().tolist()), "lots": len(lots)}


def _write_news(lh, raw: pd.DataFrame, src: str, file: Path, known: set[str], opts: dict) -> dict[str, object]:
    from rebal.data.news import validate_news, write_news

    return write_news(lh, validate_news(raw, src, known), file)


def _write_lots(lh, raw: pd.DataFrame, src: str, file: Path, known: set[str], opts: dict) -> dict[str, object]:
    from rebal.data.lots import validate_lots, write_lots

    df = validate_lots(raw, src, known)
    with lh.transaction() as con:
        write_lots(con, df, f"import:{file.name}")
    return {"kind": "lots", "rows": len(df), "statements": int(len(df[["profile", "as_of"]].drop_duplicates())),
            "profiles": sorted(df["profile"].unique().tolist())}


def _write_alpha(lh, raw: pd.DataFrame, src: str, file: Path, known: set[str], opts: dict) -> dict[str, object]:
    equities = {r[0] for r in lh.con.execute("SELECT ticker FROM tickers WHERE asset_class = 'equity'").fetchall()}
    df = validate_alpha(raw, src, equities)
    with lh.transaction() as con:
        _replace_rows(con, "alpha_imported", "(date, ticker)", df, "date, ticker, alpha", file)
    return {"kind": "alpha", "rows": len(df), "tickers": int(df["ticker"].nunique()),
            "first_date": str(df["date"].min()), "last_date": str(df["date"].max())}


def _write_tickers(lh, raw: pd.DataFrame, src: str, file: Path, known: set[str], opts: dict) -> dict[str, object]:
    df = validate_tickers(raw, src)
    if not opts["allow_case_variants"]:
        _case_variants(df["ticker"], known, src, raw, ("ticker",))
    with lh.transaction() as con:
        _replace_rows(con, "tickers", "ticker", df, "ticker, name, sector, asset_class, is_benchmark", file)
    return {"kind": "tickers", "rows": len(df)}


#: one writer per import kind: (lakehouse, raw frame, file label, file, known tickers, options) -> summary
_WRITERS = {"prices": _write_prices, "holdings": _write_holdings, "tickers": _write_tickers, "alpha": _write_alpha,
            "news": _write_news, "lots": _write_lots}
