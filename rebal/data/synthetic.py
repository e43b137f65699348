"""Calibrated synthetic open/high/low/volume over real closes.

No package ships per-stock volume or intraday ranges for a multi-stock universe, so the sample
lakehouse carries a synthetic layer, flagged ``ohlv_synthetic = TRUE`` in ``prices`` and named
as synthetic in every report that uses it. The real close is never altered. Calibration targets
(measured on real series, see the project's DATA.md):

- the overnight gap carries 30-37 % of daily variance (we use 33 %);
- Parkinson volatility / close-to-close volatility about 0.80-0.85;
- median log(H/L) / |r| about 1.9-2.0;
- log dollar volume: each name's level is its approximate real average daily dollar volume when
  one is given (``dollar_adv``, e.g. the sample's 2022 figures), so names rank as they do in the
  market; otherwise levels spread with a cross-sectional std of about 0.61 around a 2014 median
  near $1B;
  deviations AR(1) with phi about 0.6, loading about 0.25 on |r|/sigma, and a shared market
  factor (the detrended log volume of the real S&P 500 index where it exists) explaining
  about 40 % of their variance.

Construction, per ticker and day with real log return r and daily variance V (60-day EWMA):

- gap = 0.33 r + e, e ~ N(0, 0.33 * 0.67 V), so Var(gap) = 0.33 V and Cov(gap, r - gap) = 0;
- open = previous close * exp(gap);
- high/low: a discretised Brownian bridge (39 steps) from log(open) to log(close) with diffusion
  variance 0.67 V, giving high >= max(open, close) and low <= min(open, close) by construction.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["GAP_SHARE", "synthetic_ohlv", "calibration_report"]

GAP_SHARE = 0.33
_BRIDGE_STEPS = 39
_BGK = 0.5826              # -zeta(1/2) / sqrt(2 pi)
_DV_DEV_STD = 0.40          # std of daily log dollar-volume deviations
_MARKET_SHARE = 0.40        # share of that variance from the market factor
_ABS_RET_LOADING = 0.25     # loading on |r| / sigma
_AR_PHI = 0.60
_LEVEL_MEDIAN_2014 = 1.0e9  # median dollar ADV across names in 2014
_LEVEL_STD = 0.61           # cross-sectional std of log dollar ADV


def _daily_variance(r: pd.DataFrame) -> pd.DataFrame:
    v = r.pow(2).ewm(span=60, min_periods=20).mean()
    return v.bfill().fillna(r.var()).clip(lower=1e-8)


def _market_factor(index: pd.DatetimeIndex, index_volume: pd.Series | None,
                   rng: np.random.Generator) -> tuple[pd.Series, float]:
    """Standardised market volume factor and the yearly log trend.

    Where the real index volume exists it gives both (detrended log volume; its linear trend);
    elsewhere the factor is an AR(1) draw with the same persistence and the trend is extrapolated.
    """
    sim = np.empty(len(index))
    sim[0] = rng.normal()
    for t in range(1, len(index)):
        sim[t] = 0.9 * sim[t - 1] + np.sqrt(1 - 0.81) * rng.normal()
    factor = pd.Series(sim, index=index)
    trend_per_year = 0.08
    if index_volume is not None and len(index_volume) > 500:
        lv = np.log(index_volume[index_volume > 0])
        years = (lv.index - lv.index[0]).days / 365.25
        slope, intercept = np.polyfit(years, lv.to_numpy(), 1)
        dev = lv - (intercept + slope * years)
        dev = (dev - dev.mean()) / dev.std()
        common = factor.index.intersection(dev.index)
        factor.loc[common] = dev.loc[common].to_numpy()
        trend_per_year = float(slope)
    return factor, trend_per_year


def synthetic_ohlv(
    close: pd.DataFrame,
    *,
    seed: int,
    index_volume: pd.Series | None = None,
    dollar_adv: Mapping[str, float] | None = None,
    dollar_adv_year: int = 2022,
) -> dict[str, pd.DataFrame]:
    """Synthetic open, high, low and (share) volume for each column of ``close``.

    Parameters
    ----------
    close
        Real closes, dates x tickers, strictly positive; NaN where a ticker has no price.
    seed
        Seed of the generator; the same seed gives the same layer.
    index_volume
        Real daily volume of a market index (for the shared volume factor and its trend).
    dollar_adv
        Approximate real average daily dollar volume (USD) per ticker in ``dollar_adv_year``: the
        level of that ticker's synthetic dollar volume in the middle of that year (the market
        trend carries it to other years). Tickers without one get calibrated random levels.

    Returns
    -------
    dict with keys ``open``, ``high``, ``low``, ``volume``: frames shaped like ``close``.
    """
    rng = np.random.default_rng(seed)
    logc = np.log(close)
    r = logc.diff()
    v = _daily_variance(r)
    rv, vv = r.to_numpy(), v.to_numpy()
    T, N = rv.shape
    valid = ~np.isnan(rv)

    e = rng.normal(size=(T, N)) * np.sqrt(GAP_SHARE * (1 - GAP_SHARE) * vv)
    gap = np.where(valid, GAP_SHARE * rv + e, 0.0)
    intraday = np.where(valid, rv - gap, 0.0)
    prev_close = close.shift(1).to_numpy()
    prev_close = np.where(np.isnan(prev_close), close.to_numpy(), prev_close)
    open_ = prev_close * np.exp(gap)

    # Brownian bridge from 0 to `intraday` in log space, relative to the open.
    step_sd = np.sqrt((1 - GAP_SHARE) * vv / _BRIDGE_STEPS)
    w = np.zeros((T, N))
    hi = np.zeros((T, N))
    lo = np.zeros((T, N))
    incs = []
    for _ in range(_BRIDGE_STEPS):
        incs.append(rng.normal(size=(T, N)) * step_sd)
    w_end = np.sum(incs, axis=0)
    for k in range(1, _BRIDGE_STEPS + 1):
        w = w + incs[k - 1]
        frac = k / _BRIDGE_STEPS
        b = w - frac * w_end + frac * intraday
        np.maximum(hi, b, out=hi)
        np.minimum(lo, b, out=lo)
    # A discrete path misses the extremes between steps; shift them by the Broadie-Glasserman-Kou
    # continuity correction (0.5826 step standard deviations) to approximate a continuous range.
    high = open_ * np.exp(hi + _BGK * step_sd)
    low = open_ * np.exp(lo - _BGK * step_sd)

    # Dollar volume.
    market, trend = _market_factor(close.index, index_volume, rng)
    years_from_2014 = ((close.index - pd.Timestamp("2014-07-01")).days / 365.25).to_numpy()[:, None]
    # Levels at evenly spaced normal quantiles, randomly assigned: the cross-section has the
    # calibrated spread even with few names.
    from scipy.stats import norm

    quantiles = norm.ppf((np.arange(N) + 0.5) / N)
    levels = np.log(_LEVEL_MEDIAN_2014) + _LEVEL_STD * rng.permutation(quantiles)[None, :]
    if dollar_adv:
        years_to_2014 = (pd.Timestamp(f"{dollar_adv_year}-07-01") - pd.Timestamp("2014-07-01")).days / 365.25
        known = np.array([np.log(dollar_adv[c]) - trend * years_to_2014 if c in dollar_adv else np.nan
                          for c in close.columns])
        levels = np.where(np.isnan(known), levels, known[None, :])
    abs_z = np.abs(np.nan_to_num(rv)) / np.sqrt(vv)
    abs_z = abs_z - np.sqrt(2 / np.pi)  # E|Z| for a standard normal: deviations centred at 0
    a_mkt = np.sqrt(_MARKET_SHARE) * _DV_DEV_STD
    resid_var = _DV_DEV_STD**2 * (1 - _MARKET_SHARE) - (_ABS_RET_LOADING**2) * (1 - 2 / np.pi)
    innov_sd = np.sqrt(max(resid_var, 1e-4) * (1 - _AR_PHI**2))
    u = np.zeros((T, N))
    u[0] = rng.normal(size=N) * innov_sd / np.sqrt(1 - _AR_PHI**2)
    shocks = rng.normal(size=(T, N)) * innov_sd
    for t in range(1, T):
        u[t] = _AR_PHI * u[t - 1] + shocks[t]
    log_dv = levels + trend * years_from_2014 + a_mkt * market.to_numpy()[:, None] + _ABS_RET_LOADING * abs_z + u
    volume = np.exp(log_dv) / close.to_numpy()

    mask = close.isna().to_numpy()
    out = {}
    for key, arr in (("open", open_), ("high", high), ("low", low), ("volume", volume)):
        arr = np.where(mask, np.nan, arr)
        out[key] = pd.DataFrame(arr, index=close.index, columns=close.columns)
    # Guard rounding: the bridge guarantees the ordering up to float error.
    out["high"] = np.maximum(out["high"], np.maximum(out["open"], close))
    out["low"] = np.minimum(out["low"], np.minimum(out["open"], close))
    return out


def calibration_report(close: pd.DataFrame, ohlv: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Measure the synthetic layer against its calibration targets (medians across tickers).

    Returns ``gap_variance_share``, ``parkinson_over_cc`` (Parkinson / close-to-close vol),
    ``median_range_over_abs_return`` (median log(H/L) / |r|, days with |r| > 0) and
    ``dollar_adv_2014_log_std`` (cross-sectional std of log median 2014 dollar volume).
    """
    r = np.log(close).diff()
    gap = np.log(ohlv["open"] / close.shift(1))
    hl = np.log(ohlv["high"] / ohlv["low"])
    gap_share = (gap.var() / r.var()).median()
    parkinson = np.sqrt((hl**2).mean() / (4 * np.log(2)))
    pk_ratio = (parkinson / r.std()).median()
    ratio = (hl / r.abs()).where(r.abs() > 0)
    med_ratio = ratio.median().median()
    dv = (ohlv["volume"] * close).loc["2014"]
    adv_std = float(np.log(dv.median()).std()) if len(dv) else float("nan")
    return {
        "gap_variance_share": float(gap_share),
        "parkinson_over_cc": float(pk_ratio),
        "median_range_over_abs_return": float(med_ratio),
        "dollar_adv_2014_log_std": adv_std,
    }
