"""A seeded synthetic stock universe: a test and benchmark fixture, never market data.

Thousands of tickers with GICS sectors and a factor structure, on real NYSE sessions:

    r_it = beta_i * m_t + gamma_i * s_{sector(i), t} + e_it

with a market factor ``m`` (16 % a year, volatility regimes from a two-state Markov chain:
calm x0.75, stressed x2), 11 sector factors (10 % a year), betas ~ N(1, 0.3) clipped to
[0.3, 2.0], sector loadings ~ U(0.5, 1.5), idiosyncratic vols log-normal around 25 % a year and
a small cross-section of drifts (so momentum exists). Dollar ADV is log-normal (median $30M,
about 5 % of names under $2M); daily volume = ADV / price x log-normal noise. The benchmark
``SYNIDX`` is the equal-weighted index of the universe.

Everything is labelled: tickers ``S00001``..., names "Synthetic stock N", ``source`` and the
``meta`` key ``universe = synthetic`` (which the Risk4 report states), ``ohlv_synthetic`` TRUE.
Prices are written in chunks of tickers, so memory stays bounded at 5,000 tickers x 20 years.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.calendar import nyse_sessions
from rebal.data.lakehouse import Lakehouse
from rebal.fileio import staged_file

__all__ = ["GICS_SECTORS", "build_synthetic_lakehouse"]

#: GICS sectors with rough S&P 500 count shares
GICS_SECTORS: dict[str, float] = {
    "Information Technology": 0.14, "Health Care": 0.13, "Financials": 0.14, "Consumer Discretionary": 0.11,
    "Industrials": 0.14, "Consumer Staples": 0.07, "Energy": 0.05, "Utilities": 0.06, "Real Estate": 0.06,
    "Materials": 0.05, "Communication Services": 0.05,
}
BENCHMARK = "SYNIDX"


def build_synthetic_lakehouse(path: str | Path, *, n_tickers: int = 5000, years: int = 20, seed: int = 0,
                              end: str = "2022-12-30", chunk: int = 500, features: bool = True) -> dict[str, object]:
    """Write a synthetic universe lakehouse at ``path`` (atomically) and return a summary."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    s = nyse_sessions()
    days = s[s <= pd.Timestamp(end)][-years * PERIODS_PER_YEAR:]
    T, n = len(days), n_tickers
    sectors = list(GICS_SECTORS)
    p = np.array(list(GICS_SECTORS.values()))
    sector_of = rng.choice(len(sectors), size=n, p=p / p.sum())
    # factors
    regime = np.empty(T)
    state = 0
    for t in range(T):  # two-state Markov chain of volatility regimes
        if rng.random() < (0.004 if state == 0 else 0.02):
            state = 1 - state
        regime[t] = 2.0 if state else 0.75
    market = rng.normal(0.0003, 0.16 / np.sqrt(PERIODS_PER_YEAR), T) * regime
    sector_f = rng.normal(0.0, 0.10 / np.sqrt(PERIODS_PER_YEAR), (T, len(sectors)))
    beta = np.clip(rng.normal(1.0, 0.3, n), 0.3, 2.0)
    gamma = rng.uniform(0.5, 1.5, n)
    idio = np.exp(rng.normal(np.log(0.25), 0.35, n)) / np.sqrt(PERIODS_PER_YEAR)
    drift = rng.normal(0.0, 0.08 / PERIODS_PER_YEAR, n)
    adv = np.exp(rng.normal(np.log(30e6), 1.6, n))
    start_px = np.exp(rng.normal(np.log(40.0), 0.8, n))
    tickers = [f"S{i + 1:05d}" for i in range(n)]
    index_ret = np.zeros(T)
    with staged_file(path) as tmp:
        with Lakehouse(tmp, read_only=False) as lh:
            with lh.transaction() as con:
                ref = pd.DataFrame({"ticker": tickers, "name": [f"Synthetic stock {i + 1}" for i in range(n)],
                                    "sector": [sectors[k] for k in sector_of], "asset_class": "equity",
                                    "is_benchmark": False, "source": f"synthetic universe (seed {seed})"})
                con.register("ref", ref)
                con.execute("INSERT INTO tickers SELECT * FROM ref")
                con.execute("INSERT INTO tickers VALUES (?, 'Synthetic equal-weighted index', NULL, 'index', TRUE, ?)",
                            [BENCHMARK, f"synthetic universe (seed {seed})"])
                dates = np.asarray(days.date)
                for lo in range(0, n, chunk):
                    hi = min(lo + chunk, n)
                    k = hi - lo
                    # one random stream per ticker: the data do not depend on the chunk size
                    streams = [np.random.default_rng([seed, i]) for i in range(lo, hi)]
                    eps = np.column_stack([g.standard_normal(T) for g in streams]) * idio[lo:hi]
                    noise = np.column_stack([g.normal(0.0, 0.4, T) for g in streams])
                    r = (drift[lo:hi] + market[:, None] * beta[lo:hi]
                         + sector_f[:, sector_of[lo:hi]] * gamma[lo:hi] + eps)
                    r = np.clip(r, -0.5, 0.5)
                    index_ret += r.sum(axis=1)
                    close = start_px[lo:hi] * np.exp(np.cumsum(np.log1p(r), axis=0))
                    vol = adv[lo:hi] / close * np.exp(noise)
                    frame = pd.DataFrame({
                        "date": np.repeat(dates, k), "ticker": np.tile(np.array(tickers[lo:hi], dtype=object), T),
                        "close": close.ravel(), "volume": np.round(vol.ravel()),
                    })
                    con.register("chunk", frame)
                    con.execute("INSERT INTO prices (date, ticker, close, volume, ohlv_synthetic, source) "
                                "SELECT date, ticker, close, volume, TRUE, 'synthetic universe' FROM chunk")
                    con.unregister("chunk")
                idx = 1000.0 * np.cumprod(1.0 + index_ret / n)
                con.register("idx", pd.DataFrame({"date": dates, "close": idx}))
                con.execute(f"INSERT INTO prices (date, ticker, close, ohlv_synthetic, source) SELECT date, "
                            f"'{BENCHMARK}', close, TRUE, 'synthetic universe' FROM idx")
                meta = {"built_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                        "builder": "rebal.data.universe.build_synthetic_lakehouse", "universe": "synthetic",
                        "seed": str(seed),
                        "synthetic": "everything: a seeded test and benchmark fixture, not market data"}
                con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
            summary = {"tickers": n, "sessions": T, "first_date": str(days[0].date()),
                       "last_date": str(days[-1].date())}
            if features:
                from rebal.data.features import build_features

                summary["features"] = build_features(lh)
            lh.con.execute("CHECKPOINT")
    return {"path": str(path), **summary}
