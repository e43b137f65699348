"""The embedded lakehouse: reads and all-or-nothing writes on one DuckDB file.

The tables and their columns are in :mod:`rebal.data.schema`; the SQL of each table group lives
in its own module of :mod:`rebal.data` (``selection_runs``, ``proposals``, ``trading``,
``holdings``, ``features``, ``importers``). Readers open the file read-only, so several report
processes can read it at once; every write happens in one transaction, so a rejected or failed
write leaves the lakehouse as it was.

Every query goes through a guarded connection: a DuckDB error (a damaged block, "Corrupt database
file: computed checksum ... does not match", a lock, a full disk) becomes one
:class:`~rebal.errors.LakehouseError` naming the file and what to do, never a ``_duckdb.Error``
traceback. :meth:`Lakehouse.check` reads every table whole (``rebal data check``).

The reads a report repeats (prices, sessions, holdings, tickers) are memoized in the process
(:mod:`rebal.cache`) under the file's identity and modification stamps, taken when a read-only
connection opens (DuckDB's file lock keeps writers out while it is open), and the as-of limit; a
writable lakehouse is never memoized.
"""
from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path
from typing import Iterator, Sequence

import duckdb
import pandas as pd

from rebal.cache import memoize
from rebal.data.duckfile import connect
from rebal.data.plausible import check_price_frame, confirmed_moves
from rebal.data.schema import DATE_COLUMNS, SCHEMA_DOC, create_schema
from rebal.data.wide import read_wide
from rebal.errors import DataError, LakehouseError

__all__ = ["CASH", "Lakehouse", "lakehouse_error"]

#: Pseudo-ticker for cash in weights tables (cash itself lives in ``cash_balances``).
CASH = "CASH"


def lakehouse_error(path: Path, exc: BaseException) -> LakehouseError:
    """Build the one-line error for a failed query on the lakehouse at ``path``."""
    first = (str(exc).strip().splitlines() or [""])[0]
    first = first if len(first) <= 160 else first[:157] + "..."
    return LakehouseError(f"{path}: a lakehouse query failed ({type(exc).__name__}: {first}); if the file is damaged "
                          "(`rebal data check` reads every table), restore it from a backup or rebuild it "
                          "(`rebal data build-sample --force`, then import your data again)")


def _file_stamp(path: Path) -> tuple:
    """Identity and modification stamps of the lakehouse file and its write-ahead log (absent: None).

    File times are coarse (a few milliseconds), so the stamp also holds DuckDB's two database headers
    (bytes 4096-4159 and 8192-8255 of the file), whose iteration counter moves at every checkpoint:
    a write finished within the same tick, at the same size, still changes the stamp.
    """
    out: list = [str(path.resolve())]
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        except OSError:
            out.append(None)
    try:
        with open(path, "rb") as fh:
            fh.seek(4096)
            first = fh.read(64)
            fh.seek(8192)
            out.append((first, fh.read(64)))
    except OSError:
        out.append(None)
    return tuple(out)


class _GuardedConnection:
    """A DuckDB connection whose every call turns a ``duckdb.Error`` into :func:`lakehouse_error`."""

    __slots__ = ("_con", "_path")

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path):
        self._con, self._path = con, path

    def __getattr__(self, name: str):
        attr = getattr(self._con, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                out = attr(*args, **kwargs)
            except duckdb.Error as exc:
                raise lakehouse_error(self._path, exc) from None
            except RuntimeError as exc:  # a signal inside a query: DuckDB drops the handler's exception
                if str(exc) == "Query interrupted":
                    raise KeyboardInterrupt from None
                raise
            return self if out is self._con else out  # execute() returns the connection: keep it guarded

        return call


class Lakehouse:
    """Reads and transactional writes on the DuckDB lakehouse file.

    Parameters
    ----------
    path
        The ``.duckdb`` file.
    read_only
        Open read-only (the default), so several processes can read at once.
    as_of
        When given, every read is limited to rows dated on or before it (no look-ahead).
    """

    def __init__(self, path: str | Path, *, read_only: bool = True, as_of: date | None = None):
        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise DataError(
                f"{self.path}: lakehouse not found; build it with `rebal data build-sample` "
                "or import your data with `rebal data import`"
            )
        try:
            con, self._after_close = connect(self.path, read_only=read_only)  # any legal path, '?' included
            self.con = _GuardedConnection(con, self.path)
        except duckdb.Error as exc:
            raise DataError(f"{self.path}: cannot open the lakehouse: {exc}") from None
        try:  # a terminal gets a bar on stdout for a query over 2 s; Jupyter refuses the setting without ipywidgets
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:
            pass  # no bar there either
        self.as_of = as_of
        self._stamp = _file_stamp(self.path) if read_only else None
        if not read_only:
            create_schema(self.con)

    def __cache_key__(self) -> tuple | None:
        """Key of this (view of the) lakehouse for :mod:`rebal.cache`: file stamps and as-of; None if writable."""
        stamp = getattr(self, "_stamp", None)
        return None if stamp is None else (stamp, self.as_of)

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self.con.close()
        after, self._after_close = getattr(self, "_after_close", None), None
        if after is not None:
            after()

    def __enter__(self) -> "Lakehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing block: commits on success, rolls back on any exception."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            try:
                self.con.execute("ROLLBACK")
            except LakehouseError:  # the connection is gone: DuckDB discards the open transaction with it
                pass
            raise
        else:
            self.con.execute("COMMIT")

    def at(self, as_of: date | None) -> "Lakehouse":
        """Return a view of this lakehouse as of ``as_of`` (it shares the connection)."""
        view = object.__new__(Lakehouse)
        view.path, view.con, view.as_of = self.path, self.con, as_of
        view._stamp = getattr(self, "_stamp", None)
        return view

    def _date_filter(self, column: str = "date") -> tuple[str, list]:
        if self.as_of is None:
            return "", []
        return f" AND {column} <= ?", [self.as_of]

    # -- reads ----------------------------------------------------------------------------------
    @memoize(256)
    def tickers(self) -> pd.DataFrame:
        """Return the tickers table, indexed by ticker."""
        return self.con.execute("SELECT * FROM tickers ORDER BY ticker").df().set_index("ticker")

    @memoize(256)
    def known_tickers(self) -> set[str]:
        """Set of tickers in the tickers table."""
        return {r[0] for r in self.con.execute("SELECT ticker FROM tickers").fetchall()}

    @memoize(256)
    def latest_date(self, tickers: Sequence[str] | None = None) -> date:
        """Latest price date (over ``tickers`` if given), within the as-of limit."""
        where, args = self._date_filter()
        if tickers:
            where += " AND ticker IN (SELECT unnest(?))"
            args = [*args, list(tickers)]
        row = self.con.execute(f"SELECT max(date) FROM prices WHERE TRUE{where}", args).fetchone()
        if row is None or row[0] is None:
            raise DataError(f"{self.path}: no prices" + (f" on or before {self.as_of}" if self.as_of else ""))
        return row[0]

    @memoize(256)
    def last_price_dates(self, tickers: Sequence[str]) -> pd.Series:
        """Latest price date per ticker (NaT where a ticker has none), within the as-of limit."""
        where, args = self._date_filter()
        df = self.con.execute(
            f"SELECT ticker, max(date) AS last FROM prices WHERE ticker IN (SELECT unnest(?)){where} "
            "GROUP BY ticker",
            [list(tickers), *args],
        ).df()
        s = pd.Series(pd.NaT, index=pd.Index(list(tickers), name="ticker"), dtype="datetime64[ns]")
        if len(df):
            s.loc[df["ticker"]] = pd.to_datetime(df["last"]).to_numpy()
        return s

    @memoize(256)
    def prices(self, tickers: Sequence[str] | None = None, *, start: date | None = None, field: str = "close",
               last: int | None = None) -> pd.DataFrame:
        """Wide frame of ``field`` (dates x tickers), within the as-of limit.

        Parameters
        ----------
        tickers
            The columns, in this order (a ticker without prices is a column of NaN, a ticker asked twice one
            column); None: every ticker, sorted.
        start
            First date read.
        field
            ``open``, ``high``, ``low``, ``close`` or ``volume``.
        last
            Only the last ``last`` dates on which any of ``tickers`` has a row (the same frame as
            ``prices(...).iloc[-last:]``, without reading the history before them).

        Rows are the dates on which any of ``tickers`` has a row. The frame is filled from DuckDB's arrays
        (:func:`rebal.data.wide.read_wide`): no long frame of strings is pivoted in pandas. A frame holding a
        row the importer refuses today (:func:`rebal.data.plausible.check_price_frame`) raises :class:`DataError`.
        """
        if field not in {"open", "high", "low", "close", "volume"}:
            raise ValueError(f"unknown price field {field!r}")
        if last is not None and last < 1:
            raise ValueError(f"`last` must be >= 1, found {last}")
        where, args = self._date_filter()
        if start is not None:
            where += " AND date >= ?"
            args.append(start)
        if tickers is None:
            names = sorted(r[0] for r in self.con.execute(
                f"SELECT DISTINCT ticker FROM prices WHERE TRUE{where}", args).fetchall())
        else:  # a ticker asked twice (a held benchmark) is one column
            names = list(dict.fromkeys(tickers))
        dates, values = read_wide(self.con, where, args, field, names, last)
        wide = pd.DataFrame(values, index=pd.DatetimeIndex(dates, name="date"),
                            columns=pd.Index(names, name="ticker"), copy=False)
        why = check_price_frame(wide, field, self.confirmed_moves())  # rows the importer refuses today: name the data
        if why is not None:
            raise DataError(f"{self.path}: {why}; `rebal data check` lists such rows")
        return wide

    @memoize(256)
    def confirmed_moves(self) -> set:
        """(ticker, date) of the one-day moves confirmed at import (:func:`rebal.data.plausible.record_moves`)."""
        return confirmed_moves(self.con)

    @memoize(256)
    def sessions(self, start: date | None = None) -> pd.DatetimeIndex:
        """Dates on which any price exists (the lakehouse's trading sessions), within the as-of limit."""
        where, args = self._date_filter()
        if start is not None:
            where += " AND date >= ?"
            args.append(start)
        d = self.con.execute(f"SELECT DISTINCT date FROM prices WHERE TRUE{where} ORDER BY date", args).df()
        return pd.DatetimeIndex(pd.to_datetime(d["date"]), name="date")

    @memoize(256)
    def holdings_dates(self, profile: str) -> list[date]:
        """Dates of a profile's holdings snapshots (within the as-of limit)."""
        where, args = self._date_filter("as_of")
        rows = self.con.execute(
            "SELECT DISTINCT as_of FROM (SELECT profile, as_of FROM holdings UNION ALL "
            f"SELECT profile, as_of FROM cash_balances) WHERE profile = ?{where} ORDER BY as_of",
            [profile, *args],
        ).fetchall()
        return [r[0] for r in rows]

    @memoize(256)
    def holdings(self, profile: str, as_of: date | None = None) -> tuple[date, pd.Series, float]:
        """Latest holdings snapshot of ``profile`` on or before ``as_of`` (default: the as-of limit).

        Returns
        -------
        (snapshot_date, shares by ticker, cash in USD)
        """
        dates = self.at(as_of or self.as_of).holdings_dates(profile)
        if not dates:
            when = f" on or before {as_of or self.as_of}" if (as_of or self.as_of) else ""
            raise DataError(
                f"{self.path}: no holdings for profile {profile!r}{when}; import them with "
                "`rebal data import holdings FILE`"
            )
        snap = dates[-1]
        df = self.con.execute(
            "SELECT ticker, shares FROM holdings WHERE profile = ? AND as_of = ? ORDER BY ticker",
            [profile, snap],
        ).df()
        cash = self.con.execute(
            "SELECT cash FROM cash_balances WHERE profile = ? AND as_of = ?", [profile, snap]
        ).fetchone()
        shares = pd.Series(df["shares"].to_numpy(float), index=pd.Index(df["ticker"], name="ticker"), name="shares")
        return snap, shares, float(cash[0]) if cash else 0.0

    @memoize(256)
    def has_synthetic_ohlv(self, tickers: Sequence[str]) -> bool:
        """Whether any open/high/low/volume of ``tickers`` (within the as-of limit) is synthetic."""
        where, args = self._date_filter()
        row = self.con.execute(
            f"SELECT bool_or(ohlv_synthetic) FROM prices WHERE ticker IN (SELECT unnest(?)){where}",
            [list(tickers), *args]).fetchone()
        return bool(row[0]) if row and row[0] is not None else False

    def row_counts(self) -> dict[str, int]:
        """Row count of every table (within the as-of limit for dated tables)."""
        out = {}
        present = self.table_names()
        for table in SCHEMA_DOC:
            if table not in present:
                continue
            col = DATE_COLUMNS.get(table)
            where, args = self._date_filter(col) if col else ("", [])
            out[table] = int(self.con.execute(f"SELECT count(*) FROM {table} WHERE TRUE{where}", args).fetchone()[0])
        return out

    def table_names(self) -> set[str]:
        """Tables present in the file (an older lakehouse may lack the newer ones)."""
        return {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}

    def require_table(self, table: str, hint: str) -> None:
        """Raise :class:`DataError` naming the file when ``table`` is missing or empty."""
        if table not in self.table_names() or self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
            raise DataError(f"{self.path}: table `{table}` is empty or missing; {hint}")

    def check(self) -> list[dict[str, object]]:
        """Read every table whole (every column of every row): ``[{"table", "rows", "error"}]``, error "" when fine.

        What ``rebal data check`` prints; a damaged block shows as its table's error rather than in a
        later report. Row counts are whole tables (no as-of limit).
        """
        out: list[dict[str, object]] = []
        for table in sorted(self.table_names()):
            rows, error = 0, ""
            try:
                self.con.execute(f"SELECT * FROM {table}")
                while chunk := self.con.fetchmany(50_000):
                    rows += len(chunk)
            except LakehouseError as exc:
                error = str(exc).split("(", 1)[1].split(");", 1)[0] if "(" in str(exc) else str(exc)
            out.append({"table": table, "rows": rows, "error": error})
        return out

    def meta(self) -> dict[str, str]:
        """Return the meta table as a dict."""
        return dict(self.con.execute("SELECT key, value FROM meta ORDER BY key").fetchall())

    def describe(self) -> dict[str, object]:
        """Say what the lakehouse holds, for readers: who built it, what tickers, what dates, what is synthetic.

        Returns a dict with ``builder`` (the ``meta`` builder, or ``imported data``), ``n_equities``,
        ``n_etfs``, ``benchmarks`` (tickers), ``first_price_date``, ``latest_price_date`` (ISO dates,
        within the as-of limit), ``synthetic_ohlv`` (whether any open/high/low/volume is synthetic),
        ``sources`` (distinct ticker sources), ``sample`` (whether this is the built-in sample lakehouse:
        its ``meta`` says so) and the ``notes`` recorded in ``meta``.
        """
        meta = self.meta()
        tk = self.tickers()
        where, args = self._date_filter()
        first, synthetic = self.con.execute(
            f"SELECT min(date), bool_or(ohlv_synthetic) FROM prices WHERE TRUE{where}", args).fetchone()
        cls = tk["asset_class"].value_counts()
        return {"builder": meta.get("builder", "imported data"),
                "n_equities": int(cls.get("equity", 0)), "n_etfs": int(cls.get("etf", 0)),
                "benchmarks": sorted(tk.index[tk["is_benchmark"].astype(bool)]),
                "first_price_date": str(first) if first else "", "latest_price_date": str(self.latest_date()),
                "synthetic_ohlv": bool(synthetic), "sources": sorted({str(s) for s in tk["source"].dropna()}),
                "sample": meta.get("sample_data") == "true"
                or (meta.get("builder") == "rebal data build-sample" and "sample_data" not in meta),
                "notes": {k: v for k, v in meta.items() if k.endswith("_note") or k in ("synthetic", "volume_levels")}}

    def snapshot(self) -> dict[str, object]:
        """Facts that identify the data a computation saw (for provenance)."""
        return {
            "path": str(self.path),
            "as_of_limit": str(self.as_of) if self.as_of else None,
            "latest_price_date": str(self.latest_date()),
            "row_counts": self.row_counts(),
            "built_at": self.meta().get("built_at", "unknown"),
        }
