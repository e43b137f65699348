"""Build the sample lakehouse from real data shipped inside installed packages (offline).

Sources (nothing is downloaded):

- ``skfolio.datasets.load_sp500_dataset``: adjusted closes of 20 S&P 500 stocks, 1990-2022;
- ``skfolio.datasets.load_sp500_index``: the S&P 500 *price* index, stored as ``SPX`` (benchmark);
- ``skfolio.datasets.load_factors_dataset``: factor ETFs MTUM QUAL SIZE USMV VLUE, 2014-2022;
- ``arch.data.vix``: VIX closes, 2014-2019, stored as ``VIX``;
- ``arch.data.sp500``: real ^GSPC open/high/low/volume, 1999-2018, attached to ``SPX`` rows whose
  close agrees, and used as the market factor of the synthetic volume layer.

The ``news`` table gets :data:`SAMPLE_NEWS`: a small file of ILLUSTRATIVE headlines written for the
``llm_tilts`` sample profile (synthetic, labelled so in its ``source`` column: not real news).

Per-stock and per-ETF open/high/low/volume do not exist offline: they come from the calibrated
synthetic layer in :mod:`rebal.data.synthetic` and are flagged ``ohlv_synthetic = TRUE``.
Survivorship: the 20 names were picked after the fact; conclusions drawn from them are biased.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from rebal.data.lakehouse import Lakehouse
from rebal.data.synthetic import calibration_report, synthetic_ohlv
from rebal.errors import DataError
from rebal.fileio import staged_file

__all__ = ["SAMPLE_SEED", "SAMPLE_NEWS", "STOCKS", "FACTOR_ETFS", "DOLLAR_ADV_2022", "build_sample_lakehouse",
           "load_sample_frames"]

SAMPLE_SEED = 20221228
#: illustrative synthetic news for the llm_tilts sample (dated headlines written for the sample, not real news)
SAMPLE_NEWS = Path(__file__).with_name("sample_news.csv")

#: ticker -> (name, GICS sector)
STOCKS: dict[str, tuple[str, str]] = {
    "AAPL": ("Apple Inc.", "Information Technology"),
    "AMD": ("Advanced Micro Devices", "Information Technology"),
    "MSFT": ("Microsoft Corp.", "Information Technology"),
    "BAC": ("Bank of America", "Financials"),
    "JPM": ("JPMorgan Chase", "Financials"),
    "BBY": ("Best Buy", "Consumer Discretionary"),
    "HD": ("Home Depot", "Consumer Discretionary"),
    "CVX": ("Chevron", "Energy"),
    "XOM": ("Exxon Mobil", "Energy"),
    "RRC": ("Range Resources", "Energy"),
    "GE": ("General Electric", "Industrials"),
    "JNJ": ("Johnson & Johnson", "Health Care"),
    "LLY": ("Eli Lilly", "Health Care"),
    "MRK": ("Merck & Co.", "Health Care"),
    "PFE": ("Pfizer", "Health Care"),
    "UNH": ("UnitedHealth Group", "Health Care"),
    "KO": ("Coca-Cola", "Consumer Staples"),
    "PEP": ("PepsiCo", "Consumer Staples"),
    "PG": ("Procter & Gamble", "Consumer Staples"),
    "WMT": ("Walmart", "Consumer Staples"),
}

FACTOR_ETFS: dict[str, str] = {
    "MTUM": "iShares MSCI USA Momentum Factor ETF",
    "QUAL": "iShares MSCI USA Quality Factor ETF",
    "SIZE": "iShares MSCI USA Size Factor ETF",
    "USMV": "iShares MSCI USA Min Vol Factor ETF",
    "VLUE": "iShares MSCI USA Value Factor ETF",
}


#: Approximate average daily dollar volume in 2022 (shares traded x price, USD, rounded to two
#: significant figures), from public exchange statistics: the level of each name's synthetic
#: dollar volume, so that the sample ranks names as the market does (AAPL the most traded, the
#: SIZE ETF a few million dollars a day). Only the level is calibrated; the daily dynamics stay
#: synthetic (see rebal.data.synthetic) and every report that uses volume says so.
DOLLAR_ADV_2022: dict[str, float] = {
    "AAPL": 1.4e10, "MSFT": 8.0e9, "AMD": 7.5e9, "XOM": 2.4e9, "JPM": 1.7e9, "UNH": 1.7e9, "CVX": 1.7e9,
    "BAC": 1.6e9, "HD": 1.3e9, "JNJ": 1.3e9, "PFE": 1.2e9, "WMT": 1.05e9, "PG": 1.0e9, "LLY": 9.3e8,
    "KO": 9.3e8, "MRK": 8.8e8, "PEP": 8.6e8, "GE": 5.5e8, "BBY": 2.6e8, "RRC": 1.35e8,
    "USMV": 2.5e8, "QUAL": 2.0e8, "MTUM": 1.35e8, "VLUE": 9.5e7, "SIZE": 1.8e6,
}


def load_sample_frames() -> dict[str, pd.DataFrame | pd.Series]:
    """Load the packaged real series (closes as wide frames; ^GSPC OHLCV)."""
    try:
        import arch.data.sp500
        import arch.data.vix
        from skfolio.datasets import load_factors_dataset, load_sp500_dataset, load_sp500_index
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise DataError(f"sample data needs skfolio and arch installed: {exc}") from None

    def clean(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.index = pd.DatetimeIndex(pd.to_datetime(df.index)).normalize().astype("datetime64[ns]")
        return df.astype(float)

    stocks = clean(load_sp500_dataset())
    index = clean(load_sp500_index()).rename(columns={"SP500": "SPX"})
    factors = clean(load_factors_dataset())
    vix = clean(arch.data.vix.load()[["vix"]].dropna()).rename(columns={"vix": "VIX"})
    gspc = clean(arch.data.sp500.load()[["Open", "High", "Low", "Close", "Volume"]])
    return {"stocks": stocks, "index": index, "factors": factors, "vix": vix, "gspc": gspc}


def _long(close: pd.DataFrame, ohlv: dict[str, pd.DataFrame] | None, source: str) -> pd.DataFrame:
    out = close.stack().rename("close").to_frame()
    for k in ("open", "high", "low", "volume"):
        out[k] = ohlv[k].stack().reindex(out.index).to_numpy() if ohlv else np.nan
    out["ohlv_synthetic"] = ohlv is not None
    out["source"] = source
    out.index.names = ["date", "ticker"]
    return out.reset_index()


def build_sample_lakehouse(
    path: str | Path,
    *,
    seed: int = SAMPLE_SEED,
    post_build: Callable[[Lakehouse], dict[str, object]] | None = None,
) -> dict[str, object]:
    """Build the sample lakehouse at ``path`` atomically.

    The file is written under a temporary name and moved into place only when complete, so an
    interrupted build never leaves a half-built lakehouse. ``post_build`` (e.g. seeding sample
    holdings) runs on the new file before the move; what it returns is added to the summary.

    Returns
    -------
    A summary: rows per table, date range, calibration figures of the synthetic layer.
    """
    path = Path(path)
    frames = load_sample_frames()
    stocks, index, factors, vix, gspc = (frames[k] for k in ("stocks", "index", "factors", "vix", "gspc"))

    index_volume = gspc["Volume"]
    stock_ohlv = synthetic_ohlv(stocks, seed=seed, index_volume=index_volume, dollar_adv=DOLLAR_ADV_2022)
    factor_ohlv = synthetic_ohlv(factors, seed=seed + 1, index_volume=index_volume, dollar_adv=DOLLAR_ADV_2022)
    calib = calibration_report(stocks, stock_ohlv)

    spx = _long(index, None, "skfolio.load_sp500_index")
    # Real ^GSPC open/high/low/volume where arch's close agrees with skfolio's index close.
    g = gspc.reindex(index.index)
    agree = (g["Close"] / index["SPX"] - 1).abs() < 1e-4
    real = spx["date"].map(agree.fillna(False)).to_numpy(bool)
    for col in ("open", "high", "low", "volume"):
        spx.loc[real, col] = g.loc[spx.loc[real, "date"], col.capitalize()].to_numpy()
    spx.loc[real, "source"] = "skfolio.load_sp500_index + arch.sp500 (OHLV)"

    prices = pd.concat(
        [
            _long(stocks, stock_ohlv, "skfolio.load_sp500_dataset (OHLV synthetic)"),
            spx,
            _long(factors, factor_ohlv, "skfolio.load_factors_dataset (OHLV synthetic)"),
            _long(vix, None, "arch.data.vix"),
        ],
        ignore_index=True,
    )
    prices["date"] = pd.to_datetime(prices["date"]).dt.date
    tickers = pd.DataFrame(
        [(t, n, s, "equity", False, "skfolio") for t, (n, s) in STOCKS.items()]
        + [("SPX", "S&P 500 price index", None, "index", True, "skfolio")]
        + [(t, n, None, "etf", False, "skfolio") for t, n in FACTOR_ETFS.items()]
        + [("VIX", "CBOE Volatility Index", None, "volatility_index", False, "arch")],
        columns=["ticker", "name", "sector", "asset_class", "is_benchmark", "source"],
    )
    built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    meta = {
        "built_at": built_at,
        "builder": "rebal data build-sample",
        # the packet marks every decision page SAMPLE DATA when this flag is set (never on a user's own lakehouse)
        "sample_data": "true",
        "seed": str(seed),
        "synthetic": "open/high/low/volume of stocks and factor ETFs (ohlv_synthetic = TRUE)",
        "volume_levels": "synthetic dollar volume levelled at each name's approximate real 2022 average "
                         "daily dollar volume (rebal.data.sample.DOLLAR_ADV_2022)",
        "calibration": json.dumps({k: round(v, 4) for k, v in calib.items()}),
        "survivorship_note": "the 20 sample stocks were chosen after the fact (survivorship bias)",
        "benchmark_note": "SPX is the S&P 500 price index (not total return)",
        "news_note": "the news table holds illustrative synthetic headlines written for the llm_tilts sample "
                     "(not real news)",
    }
    with staged_file(path) as tmp:
        with Lakehouse(tmp, read_only=False) as lh:
            with lh.transaction() as con:
                con.register("tickers_df", tickers)
                con.execute("INSERT INTO tickers SELECT * FROM tickers_df")
                con.register("prices_df", prices)
                con.execute(
                    "INSERT INTO prices SELECT date, ticker, open, high, low, close, volume, "
                    "ohlv_synthetic, source FROM prices_df"
                )
                con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
            from rebal.data.importers import read_table
            from rebal.data.news import validate_news, write_news

            write_news(lh, validate_news(read_table(SAMPLE_NEWS), str(SAMPLE_NEWS), lh.known_tickers()), SAMPLE_NEWS)
            from rebal.data.features import build_features

            features = build_features(lh)
            extra = post_build(lh) if post_build else {}
            counts = lh.row_counts()
            con = lh.con
            con.execute("CHECKPOINT")
    return {
        "path": str(path),
        "rows": counts,
        "first_date": str(prices["date"].min()),
        "last_date": str(prices["date"].max()),
        "calibration": calib,
        "features": features,
        **(extra or {}),
    }
