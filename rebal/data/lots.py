"""SQL of tax lots: imported lot statements (``tax_lots``) and the reads the lot history is built from.

A lot statement lists the open lots of a profile on a date (``as_of``): per lot the ticker, the
day it was acquired, its shares and its cost basis (total USD, as on a broker's statement or
Form 1099-B). It comes from ``rebal data import lots FILE`` (columns ``profile``, ``as_of``,
``ticker``, ``acquired``, ``shares``, ``cost_basis``) or from a holdings file with the optional
``cost_basis`` and ``acquired`` columns (each such row is one lot of the snapshot). A statement
replaces the lots the lakehouse would otherwise infer for its tickers on its date
(:mod:`rebal.proposal.lots`). Importing a statement for a (profile, as_of) replaces the earlier one.
"""
from __future__ import annotations

import pandas as pd

from rebal.data.fields import _columns, _dates, _did_you_mean, _numbers, _row, _tickers
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import ConfigError, DataError
from rebal.paths import validate_profile_name

__all__ = ["LOT_COLUMNS", "validate_lots", "lots_of_holdings", "write_lots", "lot_statements", "profile_fills",
           "holdings_history"]

LOT_COLUMNS = ("profile", "as_of", "ticker", "acquired", "shares", "cost_basis")


def _check_lots(df: pd.DataFrame, raw: pd.DataFrame, src: str, keys: tuple[str, ...], known: set[str]) -> None:
    for i, r in enumerate(df.itertuples()):
        where = _row(raw, i, keys)
        if r.ticker == CASH or r.ticker not in known:
            raise DataError(f"{src}: {where}: `ticker` {r.ticker!r} is not a known security (cash has no lots)"
                            + ("" if r.ticker == CASH else _did_you_mean(r.ticker, known)))
        if not r.shares > 0:
            raise DataError(f"{src}: {where}: `shares` of a lot must be > 0, found {r.shares:g}")
        if not r.cost_basis >= 0:
            raise DataError(f"{src}: {where}: `cost_basis` (total USD of the lot) must be >= 0, found "
                            f"{r.cost_basis:g}")
        if r.acquired > r.as_of:
            raise DataError(f"{src}: {where}: `acquired` {r.acquired} is after `as_of` {r.as_of}: a lot held on "
                            "as_of was acquired on or before it")


def validate_lots(raw: pd.DataFrame, src: str, known: set[str]) -> pd.DataFrame:
    """Check and normalise a lot statement (see the module docstring) against the ``known`` tickers."""
    keys = ("profile", "as_of", "ticker", "acquired")
    _columns(raw, src, LOT_COLUMNS, ())
    df = pd.DataFrame({
        "profile": raw["profile"].astype("string"),
        "as_of": _dates(raw, "as_of", src, keys).dt.date,
        "ticker": _tickers(raw, src, keys),
        "acquired": _dates(raw, "acquired", src, keys).dt.date,
        "shares": _numbers(raw, "shares", src, keys),
        "cost_basis": _numbers(raw, "cost_basis", src, keys),
    })
    for i, name in enumerate(df["profile"]):
        try:
            validate_profile_name(name if isinstance(name, str) else "")
        except ConfigError as exc:
            raise DataError(f"{src}: {_row(raw, i, keys)}: `profile`: {exc}") from None
    df["profile"] = df["profile"].astype(str)
    _check_lots(df, raw, src, keys, known)
    return df


def lots_of_holdings(raw: pd.DataFrame, holdings: pd.DataFrame, src: str) -> pd.DataFrame:
    """Return the lots a holdings file states with its optional ``cost_basis`` and ``acquired`` columns (may be empty).

    ``holdings`` is the validated frame (same rows as ``raw``). A row states a lot when both columns
    are filled; one without the other is an error, and so are they on a ``CASH`` row.
    """
    if "cost_basis" not in raw.columns and "acquired" not in raw.columns:
        return pd.DataFrame(columns=list(LOT_COLUMNS))
    keys = ("profile", "as_of", "ticker")
    for col in ("cost_basis", "acquired"):
        if col not in raw.columns:
            raise DataError(f"{src}: column `{col}` is missing: a lot needs both `cost_basis` and `acquired`")
    has_basis = raw["cost_basis"].notna() & (raw["cost_basis"].astype(str).str.strip() != "")
    has_date = raw["acquired"].notna() & (raw["acquired"].astype(str).str.strip() != "")
    for i in range(len(raw)):
        if bool(has_basis.iloc[i]) != bool(has_date.iloc[i]):
            missing = "acquired" if has_basis.iloc[i] else "cost_basis"
            raise DataError(f"{src}: {_row(raw, i, keys)}: `{missing}` is empty: a lot needs both `cost_basis` and "
                            "`acquired` (leave both empty to infer the basis)")
        if has_basis.iloc[i] and holdings["ticker"].iloc[i] == CASH:
            raise DataError(f"{src}: {_row(raw, i, keys)}: CASH has no `cost_basis` or `acquired`")
    rows = has_basis.to_numpy()
    if not rows.any():
        return pd.DataFrame(columns=list(LOT_COLUMNS))
    sub = raw[rows].reset_index(drop=True)
    out = pd.DataFrame({"profile": holdings["profile"][rows].to_numpy(), "as_of": holdings["as_of"][rows].to_numpy(),
                        "ticker": holdings["ticker"][rows].to_numpy(),
                        "acquired": _dates(sub, "acquired", src, keys).dt.date.to_numpy(),
                        "shares": holdings["shares"][rows].to_numpy(),
                        "cost_basis": _numbers(sub, "cost_basis", src, keys).to_numpy()})
    _check_lots(out, sub, src, keys, set(out["ticker"]) - {CASH})
    return out


def write_lots(con, lots: pd.DataFrame, tag: str) -> None:
    """Inside a transaction: replace the lot statements of every (profile, as_of) in ``lots`` with its rows."""
    if lots.empty:
        return
    con.register("incoming_lots", lots[list(LOT_COLUMNS)])
    con.execute("DELETE FROM tax_lots WHERE (profile, as_of) IN (SELECT DISTINCT (profile, as_of) FROM incoming_lots)")
    con.execute("INSERT INTO tax_lots SELECT profile, as_of, ticker, acquired, shares, cost_basis, ? "
                "FROM incoming_lots", [tag])
    con.unregister("incoming_lots")


def lot_statements(lh: Lakehouse, profile: str) -> pd.DataFrame:
    """Read the profile's imported lots dated on or before the as-of limit (empty when there are none)."""
    cols = [*LOT_COLUMNS, "source"]
    if "tax_lots" not in lh.table_names():
        return pd.DataFrame(columns=cols)
    where, args = lh._date_filter("as_of")
    df = lh.con.execute(f"SELECT {', '.join(cols)} FROM tax_lots WHERE profile = ?{where} "
                        "ORDER BY as_of, ticker, acquired", [profile, *args]).df()
    for c in ("as_of", "acquired"):
        df[c] = pd.to_datetime(df[c]).dt.date
    return df


def profile_fills(lh: Lakehouse, profile: str) -> pd.DataFrame:
    """Read the profile's paper fills (date, ticker, side, shares, price, commission) on or before the as-of limit."""
    cols = ["date", "ticker", "side", "shares", "price", "commission"]
    if "fills" not in lh.table_names():
        return pd.DataFrame(columns=cols)
    where, args = lh._date_filter("date")
    df = lh.con.execute(f"SELECT {', '.join(cols)} FROM fills WHERE profile = ?{where} ORDER BY date, ticker",
                        [profile, *args]).df()
    df["date"] = pd.to_datetime(df["date"]).dt.date
    return df


def holdings_history(lh: Lakehouse, profile: str) -> dict:
    """Every holdings snapshot of ``profile`` on or before the as-of limit: date -> shares by ticker (one query).

    A snapshot of cash alone (a ``cash_balances`` row without positions) is an empty Series.
    """
    where, args = lh._date_filter("as_of")
    df = lh.con.execute(f"SELECT as_of, ticker, shares FROM holdings WHERE profile = ?{where} ORDER BY as_of, ticker",
                        [profile, *args]).df()
    out = {d: pd.Series(dtype=float) for d in lh.holdings_dates(profile)}
    for d, g in df.groupby("as_of"):
        out[pd.Timestamp(d).date()] = pd.Series(g["shares"].to_numpy(float), index=g["ticker"].to_list())
    return out
