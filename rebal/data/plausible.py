"""Data that parses but that no market produces: dates off the NYSE calendar, absurd magnitudes, implausible moves.

Used at import (:mod:`rebal.data.importers`: a file with such a row is refused whole, naming the row),
when a consumer reads prices (:meth:`rebal.data.lakehouse.Lakehouse.prices` refuses rows that were
written before these checks existed, naming the data instead of a profile), and by ``rebal data check``
(:func:`findings` lists what is already in a lakehouse).

The rules, with their reasons:

- **Off-calendar dates.** Every computation over sessions (returns, lookbacks, freshness) takes the
  lakehouse's price dates as the market's sessions, so one close on Thanksgiving or a Saturday makes a
  session in which every other ticker "has missing prices". Price and alpha rows must be dated on an
  NYSE session (``exchange_calendars`` XNYS, the calendar of the whole package); a refusal names the
  date and the calendar's reason (the holiday, or the weekday). Holdings may be dated any day (a
  statement of a Saturday is a statement).
- **Magnitudes.** A price must lie in [:data:`MIN_PRICE`, :data:`MAX_PRICE`] (no listed share trades
  below a ten-thousandth of a cent or above a billion dollars; 1e308 overflows the first covariance
  and 1e-300 underflows the first return), a volume at most :data:`MAX_VOLUME`, a share count at most
  :data:`MAX_SHARES` in absolute value, cash at most :data:`MAX_CASH` dollars, an alpha at most
  :data:`MAX_ALPHA` in absolute value.
- **One-day moves.** A close more than :data:`DEFAULT_MAX_MOVE` times, or less than 1 /
  :data:`DEFAULT_MAX_MOVE` of, the previous close of the same ticker (+300 % / -75 %) is refused at
  import: it is almost always an unadjusted split or a misplaced decimal point. The sample's largest
  move in 33 years of 20 stocks is a factor 3.0. A move the user confirms (``--confirm-move
  TICKER:DATE``, e.g. a split they checked) or a different limit (``--max-move``) lets it in; the
  moves let in beyond the default are recorded in ``meta`` (``confirmed_move:TICKER:DATE``) so that
  readers accept them too (:func:`record_moves`, :func:`confirmed_moves`).

:func:`findings` also lists what other rules of the importer refuse: holdings snapshots that hold
nothing, indexes held, holdings of a profile without a file, names and sectors with invisible characters.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from rebal.calendar import non_sessions
from rebal.errors import DataError
from rebal.limits import DEFAULT_MAX_MOVE, MAX_ALPHA, MAX_CASH, MAX_PRICE, MAX_SHARES, MAX_VOLUME, MIN_PRICE
from rebal.safetext import describe_char, unsafe_char

__all__ = ["MIN_PRICE", "MAX_PRICE", "MAX_VOLUME", "MAX_SHARES", "MAX_CASH", "MAX_ALPHA", "DEFAULT_MAX_MOVE",
           "off_calendar_row", "out_of_range_row", "implausible_moves", "refuse_out_of_range", "record_moves",
           "confirmed_moves",
           "refuse_off_calendar", "refuse_empty_snapshots", "refuse_implausible_moves", "parse_confirmed_moves",
           "findings",
           "check_price_frame"]



def off_calendar_row(dates: pd.Series) -> tuple[int, str] | None:
    """``(position, reason)`` of the first date of ``dates`` that is not an NYSE session, else None."""
    bad = non_sessions(pd.unique(dates.dropna()))  # the distinct dates only: a file repeats each one per ticker
    if not bad:
        return None
    norm = pd.to_datetime(dates).dt.normalize()
    i = int(np.flatnonzero(norm.isin(list(bad)).to_numpy())[0])
    d = norm.iloc[i]
    return i, f"{d.date()} is not an NYSE session ({bad[d]}): prices and alpha are dated on trading days"


def out_of_range_row(values: pd.Series, lo: float, hi: float, *, absolute: bool = False) -> int | None:
    """Position of the first non-missing value outside ``[lo, hi]`` (of its absolute value with ``absolute``)."""
    v = values.abs() if absolute else values
    bad = v.notna() & ((v < lo) | (v > hi))
    return int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else None


def refuse_out_of_range(values: pd.Series, col: str, lo: float, hi: float, where: Callable[[int], str], *,
                        absolute: bool = False, what: str | None = None) -> None:
    """Raise :class:`DataError` at the first value outside ``[lo, hi]``; ``where(i)`` names the file and row."""
    i = out_of_range_row(values, lo, hi, absolute=absolute)
    if i is not None:
        rng = f"at most {hi:g} in absolute value" if absolute else f"between {lo:g} and {hi:g}"
        raise DataError(f"{where(i)}: {what or f'`{col}`'} {values.iloc[i]:g} is not a plausible value (must be {rng})")


def refuse_off_calendar(dates: pd.Series, col: str, where: Callable[[int], str]) -> None:
    """Raise :class:`DataError` at the first date that is not an NYSE session, with the calendar's reason."""
    found = off_calendar_row(dates)
    if found is not None:
        raise DataError(f"{where(found[0])}: `{col}` {found[1]}")


def refuse_empty_snapshots(df: pd.DataFrame, where: Callable[[int], str]) -> None:
    """Raise :class:`DataError` at the first row of a snapshot (profile, as_of) whose shares and cash are all 0."""
    held = df.assign(_any=df["shares"] != 0).groupby(["profile", "as_of"], sort=False)["_any"].transform("any")
    if not held.all():
        i = int(np.flatnonzero(~held.to_numpy())[0])
        raise DataError(f"{where(i)}: the snapshot ({df['profile'].iloc[i]}, {df['as_of'].iloc[i]}) holds nothing "
                        "(every share count and the cash are 0): a book worth $0 has no weights; import its "
                        "positions, or leave the snapshot out")


def parse_confirmed_moves(texts: list[str] | None) -> set[tuple[str, date]]:
    """Parse ``--confirm-move TICKER:DATE`` values; raise ``ValueError`` naming a malformed one."""
    out = set()
    for text in texts or []:
        ticker, _, day = str(text).rpartition(":")
        try:
            if not ticker or not day.isascii():
                raise ValueError
            out.add((ticker, date.fromisoformat(day)))
        except ValueError:
            raise ValueError(f"--confirm-move: expected TICKER:YYYY-MM-DD, found {str(text)[:60]!r}") from None
    return out


def _move_text(ratio: float) -> str:
    return f"x{ratio:.4g}" if ratio >= 1 else f"x1/{1 / ratio:.4g}"


def implausible_moves(new: pd.DataFrame, existing: pd.DataFrame, max_move: float,
                      limit: float | None = None) -> list[dict[str, object]]:
    """List the one-day moves beyond ``max_move`` (up or down) that involve a row of ``new``, in order.

    ``new`` and ``existing`` have columns date (dates or timestamps), ticker, close; rows of ``new`` replace
    those of ``existing`` with the same (date, ticker). Each move is ``{pos, ticker, date, ratio,
    reason}``: ``pos`` the position in ``new`` of its later close (or of its earlier one when only that
    is new), ``date`` the date of the later close. ``limit`` is the limit the reason names (default ``max_move``).
    """
    cols = ["day", "ticker", "close", "_pos"]
    new = pd.DataFrame({"day": pd.to_datetime(new["date"]), "ticker": new["ticker"].to_numpy(),
                        "close": new["close"].to_numpy(float), "_pos": np.arange(len(new))})[cols]
    old = pd.DataFrame({"day": pd.to_datetime(existing["date"]), "ticker": existing["ticker"].to_numpy(),
                        "close": existing["close"].to_numpy(float), "_pos": -1})[cols]
    both = pd.concat([new, old], ignore_index=True)
    both = both[~both.duplicated(["day", "ticker"], keep="first")]  # a new row replaces the stored one
    both = both.sort_values(["ticker", "day"], kind="stable")
    by = both.groupby("ticker", sort=False)
    prev_close, prev_date, prev_pos = by["close"].shift(1), by["day"].shift(1), by["_pos"].shift(1)
    ratio = both["close"] / prev_close
    bad = ((ratio > max_move) | (ratio < 1.0 / max_move)) & ((both["_pos"] >= 0) | (prev_pos >= 0))
    out = []
    for j in np.flatnonzero(bad.to_numpy()):
        r, x, day = both.iloc[j], float(ratio.iloc[j]), both["day"].iloc[j].date()
        out.append({"pos": int(r["_pos"]) if r["_pos"] >= 0 else int(prev_pos.iloc[j]), "ticker": r["ticker"],
                    "date": day, "ratio": x,
                    "reason": f"the close of {r['ticker']!r} moves {_move_text(x)} from {prev_close.iloc[j]:g} on "
                              f"{prev_date.iloc[j].date()} to {r['close']:g} on {day}, beyond the "
                              f"{limit or max_move:g}x a day real prices move (an unadjusted split or a misplaced "
                              "decimal point?)"})
    return out


def refuse_implausible_moves(con, df: pd.DataFrame, where: Callable[[int], str], max_move: float,
                             confirmed: set[tuple[str, date]]) -> list[tuple[str, date, float]]:
    """Raise :class:`DataError` at the first row of ``df`` making a one-day move beyond ``max_move``.

    ``df`` has columns date, ticker, close. The moves are those of the closes after the import: ``df``
    with the lakehouse's closes of its tickers (an open DuckDB connection ``con``) around its dates; a
    move whose (ticker, later date) is in ``confirmed`` is let in. Returns the moves let in beyond
    :data:`DEFAULT_MAX_MOVE` (confirmed, or within a raised ``max_move``): the caller records them
    (:func:`record_moves`) so readers accept them too.
    """
    if not max_move > 1:
        raise DataError(f"--max-move: the limit is a factor above 1 (4 allows +300 % / -75 % a day), found "
                        f"{max_move:g}")
    pad = pd.Timedelta(days=45)
    old = con.execute("SELECT date, ticker, close FROM prices WHERE ticker IN (SELECT unnest(?)) AND date BETWEEN ? "
                      "AND ?", [sorted(set(df["ticker"])), (pd.Timestamp(min(df["date"])) - pad).date(),
                                (pd.Timestamp(max(df["date"])) + pad).date()]).df()
    moves = implausible_moves(df, old, min(max_move, DEFAULT_MAX_MOVE), limit=max_move)
    for m in moves:
        if (m["ticker"], m["date"]) not in confirmed and not 1 / max_move <= m["ratio"] <= max_move:
            raise DataError(f"{where(m['pos'])}: {m['reason']}; if the move is real, import with --confirm-move "
                            f"{m['ticker']}:{m['date']} (or --max-move FACTOR)")
    return [(m["ticker"], m["date"], m["ratio"]) for m in moves]


#: ``meta`` keys of the one-day moves a user confirmed at import: ``confirmed_move:TICKER:YYYY-MM-DD``
_CONFIRMED = "confirmed_move:"


def record_moves(con, moves: list[tuple[str, date, float]], source: str) -> None:
    """Record confirmed moves in ``meta`` (inside the import's transaction), so readers accept them."""
    for ticker, day, ratio in moves:
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"{_CONFIRMED}{ticker}:{day}",
                                                                   f"{_move_text(ratio)} confirmed by {source}"])


def confirmed_moves(con) -> set[tuple[str, pd.Timestamp]]:
    """Return the (ticker, date) of the moves recorded by :func:`record_moves`."""
    out = set()
    for (key,) in con.execute("SELECT key FROM meta WHERE starts_with(key, ?)", [_CONFIRMED]).fetchall():
        ticker, _, day = key[len(_CONFIRMED):].rpartition(":")
        out.add((ticker, pd.Timestamp(day)))
    return out


def _frame_move(wide: pd.DataFrame, confirmed: set[tuple[str, pd.Timestamp]]) -> str | None:
    prev = wide.ffill().shift(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (wide / prev).to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isnan(r) & ((r > DEFAULT_MAX_MOVE) | (r < 1 / DEFAULT_MAX_MOVE))
    for i, j in zip(*np.nonzero(bad), strict=True):
        t, d = wide.columns[j], wide.index[i]
        if (t, d) not in confirmed:
            return (f"the close of {t!r} moves {_move_text(float(r[i, j]))} on {d.date()}, beyond the "
                    f"{DEFAULT_MAX_MOVE:g}x a day real prices move, and no import confirmed it; correct the price, or "
                    f"import it again with --confirm-move {t}:{d.date()}")
    return None


def check_price_frame(wide: pd.DataFrame, field: str, confirmed: set[tuple[str, pd.Timestamp]]) -> str | None:
    """Why a wide frame of prices read from the lakehouse cannot be used, else None.

    An off-calendar date, a value out of range, a one-day move of the close beyond
    :data:`DEFAULT_MAX_MOVE` not in ``confirmed``. The reason names the first offending ticker and date;
    the caller adds the file.
    """
    if wide.empty:
        return None
    bad = non_sessions(wide.index)
    if bad:
        d, why = next(iter(bad.items()))
        row = wide.loc[d]
        held = row.index[row.notna()].tolist()
        who = f"{held[0]!r}" + (f" and {len(held) - 1} other(s)" if len(held) > 1 else "") if held else "a ticker"
        return (f"prices of {who} are dated {d.date()}, not an NYSE session ({why}); every other ticker then "
                "lacks a price that day")
    if field == "volume":
        return None
    v = wide.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        out = ~np.isnan(v) & ~((v >= MIN_PRICE) & (v <= MAX_PRICE))
    if out.any():
        i, j = (int(k[0]) for k in np.nonzero(out))
        return (f"{wide.columns[j]!r} has {field} {v[i, j]:g} on {wide.index[i].date()}, outside "
                f"[{MIN_PRICE:g}, {MAX_PRICE:g}]: no market quotes that")
    return _frame_move(wide, confirmed) if field == "close" else None


def _dates_off(con, table: str, column: str = "date") -> list[dict[str, object]]:
    rows = con.execute(f"SELECT {column}, count(*), min(ticker), min(source) FROM {table} GROUP BY {column}").fetchall()
    bad = non_sessions([r[0] for r in rows])
    out = []
    for d, n, t, src in rows:
        why = bad.get(pd.Timestamp(d))
        if why is not None:
            out.append({"check": f"{table}: off-calendar date", "detail": f"{n} row(s) dated {d}, not an NYSE session "
                        f"({why}), e.g. {t!r} from {src}", "rows": int(n)})
    return out


def findings(con, max_move: float = DEFAULT_MAX_MOVE, profiles: set[str] | None = None) -> list[dict[str, object]]:
    """List what the lakehouse (an open DuckDB connection) holds that the importer refuses today.

    Returns ``[{check, detail, rows}]``.

    Off-calendar price and alpha dates, prices and volumes outside their ranges, one-day moves beyond
    ``max_move``, holdings snapshots that hold nothing or that hold an index, share counts beyond
    :data:`MAX_SHARES`, and (given the ``profiles`` of the project) holdings of an unknown profile.
    """
    out = _dates_off(con, "prices") + _dates_off(con, "alpha_imported")
    cols = " OR ".join(f"NOT ({c} BETWEEN {MIN_PRICE} AND {MAX_PRICE})" for c in ("close", "open", "high", "low"))
    for check, where in (("prices: value out of range", cols),
                         ("prices: volume out of range", f"NOT (volume BETWEEN 0 AND {MAX_VOLUME})"),
                         ("holdings: share count out of range", f"NOT (abs(shares) <= {MAX_SHARES})")):
        table = check.split(":")[0]
        n, t, d, src = con.execute(f"SELECT count(*), min(ticker), min({'date' if table == 'prices' else 'as_of'}), "
                                   f"min(source) FROM {table} WHERE {where}").fetchone()
        if n:
            out.append({"check": check, "detail": f"{n} row(s), e.g. {t!r} on {d} from {src}", "rows": int(n)})
    n, t, d, r, src = con.execute(
        "SELECT count(*), arg_min(ticker, date), min(date), arg_min(ratio, date), arg_min(source, date) FROM ("
        "SELECT ticker, date, source, close / lag(close) OVER (PARTITION BY ticker ORDER BY date) AS ratio "
        f"FROM prices) WHERE (ratio > {max_move} OR ratio < {1 / max_move}) AND NOT EXISTS (SELECT 1 FROM meta WHERE "
        f"key = '{_CONFIRMED}' || ticker || ':' || strftime(date, '%Y-%m-%d'))").fetchone()
    if n:
        out.append({"check": "prices: implausible one-day move", "detail": f"{n} move(s) beyond {max_move:g}x a day "
                    f"not confirmed at import, e.g. {t!r} {_move_text(r)} on {d} from {src}", "rows": int(n)})
    rows = con.execute(
        "SELECT s.profile, s.as_of FROM (SELECT profile, as_of FROM holdings UNION SELECT profile, as_of FROM "
        "cash_balances) s WHERE NOT EXISTS (SELECT 1 FROM holdings h WHERE h.profile = s.profile AND h.as_of = "
        "s.as_of AND h.shares <> 0) AND NOT EXISTS (SELECT 1 FROM cash_balances c WHERE c.profile = s.profile AND "
        "c.as_of = s.as_of AND c.cash <> 0) ORDER BY 1, 2").fetchall()
    if rows:
        out.append({"check": "holdings: empty book", "detail": f"{len(rows)} snapshot(s) hold nothing (a book worth "
                    f"$0), e.g. {rows[0][0]!r} on {rows[0][1]}", "rows": len(rows)})
    rows = con.execute("SELECT h.profile, h.as_of, h.ticker FROM holdings h JOIN tickers t USING (ticker) WHERE "
                       "t.asset_class IN ('index', 'volatility_index') ORDER BY 1, 2").fetchall()
    if rows:
        out.append({"check": "holdings: index held", "detail": f"{len(rows)} position(s) in an index, which cannot be "
                    f"bought, e.g. {rows[0][2]!r} by {rows[0][0]!r} on {rows[0][1]}", "rows": len(rows)})
    for col in ("name", "sector"):  # a lakehouse written by other means may hold what the importer refuses
        rows = [r for r in con.execute(f"SELECT ticker, {col} FROM tickers WHERE {col} IS NOT NULL").fetchall()
                if unsafe_char(r[1]) is not None]
        if rows:
            out.append({"check": f"tickers: {col} with an invisible character", "detail": f"{len(rows)} ticker(s), "
                        f"e.g. {rows[0][0]!r} holds {describe_char(unsafe_char(rows[0][1]))}", "rows": len(rows)})
    if profiles is not None:
        rows = [r[0] for r in con.execute("SELECT DISTINCT profile FROM holdings UNION SELECT DISTINCT profile FROM "
                                          "cash_balances ORDER BY 1").fetchall() if r[0] not in profiles]
        if rows:
            out.append({"check": "holdings: unknown profile", "detail": f"holdings of {len(rows)} profile(s) without a "
                        f"profile file, e.g. {rows[0]!r}", "rows": len(rows)})
    return out
