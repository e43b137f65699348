"""The feature pipeline of the Risk4 process: one row per (date, ticker) in the ``features`` table.

The original process's alpha is proprietary. This pipeline builds a documented, public
alternative from the lakehouse closes and volumes, for every equity with a GICS sector:

``mom_12_1``
    12-1 month momentum (Jegadeesh & Titman 1993): ``P[t-21] / P[t-252] - 1``, the return from
    twelve months to one month ago, skipping the most recent month.
``rev_1m``
    Short-term reversal (Jegadeesh 1990; Lehmann 1990): ``-(P[t] / P[t-21] - 1)``, minus the last
    month's return.
``vol_20``, ``vol_60``, ``vol_252``
    Realized volatility: sample standard deviation of daily log returns over the last 20, 60 and
    252 sessions, annualised by sqrt(252). NULL until the window is full.
``vol_blend``
    ``(vol_20 + vol_60) / 2``: the volatility the weights divide by.
``low_vol``
    The low-volatility signal (Ang, Hodrick, Xing & Zhang 2006; Baker, Bradley & Wurgler 2011):
    ``-vol_252``.
``alpha``
    The composite: on each date, each signal is z-scored across the names that have all three
    (sample std), clipped at +/-3, and the z-scores are averaged with :data:`SIGNAL_WEIGHTS`
    (equal). NULL for names with under 253 closes.
``adv_20``
    20-session average dollar volume, mean of ``close x volume``; NULL when a volume is missing.
    On the sample lakehouse volumes are synthetic (``prices.ohlv_synthetic``), and so is adv_20.

Windows count rows of each ticker's own price history (sessions on which it has a close), so a
ticker with a gap in its history gets its windows over the sessions it has. Everything is one
DuckDB statement over the ``prices`` table: it runs inside the database, in bounded memory, and
scales to thousands of tickers (``benchmarks/bench_risk4.py``).

A user can supply their own alpha instead: ``rebal data import alpha FILE`` (columns ``date``,
``ticker``, ``alpha``) fills the ``alpha_imported`` table, read by profiles with
``risk4.alpha_source: imported``.
"""
from __future__ import annotations

from datetime import date
from typing import Sequence

import pandas as pd

from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

__all__ = ["SIGNAL_WEIGHTS", "FEATURE_COLUMNS", "MIN_HISTORY", "build_features", "selection_features"]

#: Weights of the z-scored signals in the alpha composite.
SIGNAL_WEIGHTS: dict[str, float] = {"mom_12_1": 1.0, "rev_1m": 1.0, "low_vol": 1.0}
#: Columns of the features table after (date, ticker).
FEATURE_COLUMNS = ("alpha", "mom_12_1", "rev_1m", "low_vol", "vol_20", "vol_60", "vol_252", "vol_blend", "adv_20")
#: Closes a ticker needs before it gets an alpha (12-1 momentum and 252-day volatility).
MIN_HISTORY = 253
_ZCLIP = 3.0
#: Columns the Risk4 process needs in ``features``.
_REQUIRED = ("alpha", "vol_blend", "adv_20")

_SQL = """
WITH base AS (
    SELECT p.date, p.ticker, p.close, p.close * p.volume AS dollar_volume,
           ln(p.close) - ln(lag(p.close) OVER (PARTITION BY p.ticker ORDER BY p.date)) AS lr
    FROM prices p JOIN tickers t ON t.ticker = p.ticker
    WHERE t.asset_class = 'equity' AND t.sector IS NOT NULL AND p.date >= ? AND p.date <= ?
),
sig AS (
    SELECT date, ticker,
        lag(close, 21) OVER w / lag(close, 252) OVER w - 1 AS mom_12_1,
        -(close / lag(close, 21) OVER w - 1) AS rev_1m,
        CASE WHEN count(lr) OVER w20 = 20 THEN stddev_samp(lr) OVER w20 * sqrt(252) END AS vol_20,
        CASE WHEN count(lr) OVER w60 = 60 THEN stddev_samp(lr) OVER w60 * sqrt(252) END AS vol_60,
        CASE WHEN count(lr) OVER w252 = 252 THEN stddev_samp(lr) OVER w252 * sqrt(252) END AS vol_252,
        CASE WHEN count(dollar_volume) OVER w20 = 20 THEN avg(dollar_volume) OVER w20 END AS adv_20
    FROM base
    WINDOW w AS (PARTITION BY ticker ORDER BY date),
           w20 AS (PARTITION BY ticker ORDER BY date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW),
           w60 AS (PARTITION BY ticker ORDER BY date ROWS BETWEEN 59 PRECEDING AND CURRENT ROW),
           w252 AS (PARTITION BY ticker ORDER BY date ROWS BETWEEN 251 PRECEDING AND CURRENT ROW)
),
complete AS (
    SELECT *, -vol_252 AS low_vol,
        (vol_20 + vol_60) / 2 AS vol_blend,
        mom_12_1 IS NOT NULL AND rev_1m IS NOT NULL AND vol_252 IS NOT NULL AS has_all
    FROM sig WHERE date >= ?
),
z AS (
    SELECT *,
        (CASE WHEN has_all THEN mom_12_1 END - avg(CASE WHEN has_all THEN mom_12_1 END) OVER d)
            / nullif(stddev_samp(CASE WHEN has_all THEN mom_12_1 END) OVER d, 0) AS z_mom,
        (CASE WHEN has_all THEN rev_1m END - avg(CASE WHEN has_all THEN rev_1m END) OVER d)
            / nullif(stddev_samp(CASE WHEN has_all THEN rev_1m END) OVER d, 0) AS z_rev,
        (CASE WHEN has_all THEN low_vol END - avg(CASE WHEN has_all THEN low_vol END) OVER d)
            / nullif(stddev_samp(CASE WHEN has_all THEN low_vol END) OVER d, 0) AS z_lowvol
    FROM complete
    WINDOW d AS (PARTITION BY date)
),
-- clip at +/-clip; DuckDB's greatest/least skip NULLs, so a NULL z must stay NULL explicitly
clipped AS (
    SELECT * REPLACE (
        CASE WHEN z_mom IS NOT NULL THEN greatest(-{clip}, least({clip}, z_mom)) END AS z_mom,
        CASE WHEN z_rev IS NOT NULL THEN greatest(-{clip}, least({clip}, z_rev)) END AS z_rev,
        CASE WHEN z_lowvol IS NOT NULL THEN greatest(-{clip}, least({clip}, z_lowvol)) END AS z_lowvol)
    FROM z
)
SELECT date, ticker,
    ({w_mom} * z_mom + {w_rev} * z_rev + {w_lv} * z_lowvol) / ({w_mom} + {w_rev} + {w_lv}) AS alpha,
    mom_12_1, rev_1m, low_vol, vol_20, vol_60, vol_252, vol_blend, adv_20
FROM clipped
WHERE vol_blend IS NOT NULL
ORDER BY date, ticker
"""


def build_features(lh: Lakehouse, *, start: date | None = None, end: date | None = None) -> dict[str, object]:
    """Compute the features for dates in ``[start, end]`` (default: all) and replace those rows.

    The computation reads 260 extra sessions of history before ``start`` so the windows are full;
    the write is one transaction (a failure leaves the table as it was).

    Returns
    -------
    Rows written, the date range and the number of tickers.
    """
    sessions = lh.sessions()
    if len(sessions) == 0:
        raise DataError(f"{lh.path}: no prices to build features from")
    first = sessions[0].date() if start is None else start
    last = sessions[-1].date() if end is None else end
    if first > last:
        raise DataError(f"features: start {first} is after end {last}")
    i = max(int(sessions.searchsorted(pd.Timestamp(first))) - (MIN_HISTORY + 7), 0)
    read_from = sessions[i].date()
    w = SIGNAL_WEIGHTS
    sql = _SQL.format(clip=_ZCLIP, w_mom=w["mom_12_1"], w_rev=w["rev_1m"], w_lv=w["low_vol"])
    with lh.transaction() as con:
        con.execute("DELETE FROM features WHERE date >= ? AND date <= ?", [first, last])
        con.execute(f"INSERT INTO features ({', '.join(('date', 'ticker') + FEATURE_COLUMNS)}) " + sql,
                    [read_from, last, first])
        n, lo, hi, k = con.execute(
            "SELECT count(*), min(date), max(date), count(DISTINCT ticker) FROM features "
            "WHERE date >= ? AND date <= ?", [first, last]).fetchone()
        con.execute("INSERT OR REPLACE INTO meta VALUES ('features_built', ?)",
                    [f"{n} rows {lo}..{hi}, {k} tickers; signals {w}"])
    return {"rows": int(n), "first_date": str(lo), "last_date": str(hi), "tickers": int(k)}


def selection_features(lh: Lakehouse, day: date, *, imported_alpha: bool,
                       universe: Sequence[str] = ()) -> tuple[date | None, pd.DataFrame, list[str]]:
    """Read the latest feature date on or before ``day`` and its equity rows, with sector.

    ``imported_alpha`` takes ``alpha`` from ``alpha_imported`` (joined on date and ticker) instead
    of ``features``; the latest date is then that table's. ``universe`` (when not empty) limits
    the tickers. Returns ``(date or None, rows indexed by ticker with alpha, vol_blend, adv_20,
    sector, date, missing required columns)``.
    """
    have = {r[0] for r in lh.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'features'").fetchall()}
    missing = [c for c in _REQUIRED if c not in have]
    if imported_alpha:
        src, alpha = "alpha_imported", "a.alpha"
        join = "LEFT JOIN alpha_imported a ON a.date = f.date AND a.ticker = f.ticker"
    else:
        src, alpha, join = "features", "f.alpha", ""
    if missing:
        return None, pd.DataFrame(), missing
    uni = list(universe)
    filt = " AND f.ticker IN (SELECT unnest(?))" if uni else ""
    args: list = [day] + ([uni] if uni else [])
    latest = lh.con.execute(f"SELECT max(f.date) FROM {src} f WHERE f.date <= ?{filt}", args).fetchone()[0]
    if latest is None:
        return None, pd.DataFrame(), []
    df = lh.con.execute(
        f"SELECT f.ticker, f.date, {alpha} AS alpha, f.vol_blend, f.adv_20, t.sector "
        f"FROM features f JOIN tickers t ON t.ticker = f.ticker {join} "
        f"WHERE f.date = ? AND t.asset_class = 'equity'{filt} ORDER BY f.ticker",
        [latest] + ([uni] if uni else [])).df()
    return latest, df.set_index("ticker"), []
