"""The rule lab's inputs for a profile, read from the lakehouse.

- window: ``lab.start``..``lab.end`` or the last ``lab.years`` years of data, no earlier than the
  first session where every asset has a price and the target's lookback (plus the 60-session
  volatility warm-up) fits;
- target: fitted once at the window's first session with the profile's allocator (no look-ahead)
  or refitted on ``lab.refit``'s review days with data up to each of them;
- regime: the VIX close where the lakehouse has one (2014-01-03 .. 2019-01-03 on the sample),
  else the labelled proxy (21-day realised volatility of the benchmark, annualised, in VIX
  points); ``vix_source`` says which, day by day;
- dollar ADV: 60-session mean of close x volume (synthetic volume on the sample, said so).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rebal.analytics.risk import realized_vol_proxy_vix
from rebal.config import Profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import ConfigError, DataError
from rebal.lab.engine import LabSettings, review_days
from rebal.lab.sweep import Market
from rebal.lab.tax import TaxRates

__all__ = ["LabInputs", "load_inputs", "settings_for", "WARMUP"]

WARMUP = 61  # sessions before the window: the 60-session volatility estimate


@dataclass
class LabInputs:
    """The lab's inputs for one profile: the shared market, the window and what is proxied or synthetic."""

    market: Market
    start: date
    end: date
    target: pd.DataFrame            # refit date x asset (one row when static)
    vix_source: pd.Series           # "VIX" or "proxy" by session of the window
    vix: pd.Series                  # the regime series (VIX or proxy, VIX points) over the window
    synthetic_volume: bool
    notes: list[str]


def settings_for(profile: Profile) -> LabSettings:
    """Return the lab settings of ``profile`` (its ``planner`` and ``lab`` sections)."""
    return LabSettings.from_specs(profile.planner, profile.lab)


def load_inputs(profile: Profile, lh: Lakehouse, *, start: date | None = None, end: date | None = None,
                refit: str | None = None) -> LabInputs:
    """Prices, target, regime and ADV of ``profile`` over its lab window (see the module docstring)."""
    from rebal.allocation.target import compute_target

    lab = profile.lab
    if profile.target.method == "risk4":
        raise ConfigError(f"{profile.source}: `target.method`: the rule lab needs an allocator or fixed target; a "
                          "risk4 target is re-selected weekly by its own process (run `rebal risk4` instead)")
    tickers = list(profile.tickers)
    close = lh.prices(tickers)
    if close.empty:
        raise DataError(f"{profile.source}: `universe`: no prices in the lakehouse")
    complete = close.notna().all(axis=1)
    first_ok = close.index[complete.to_numpy().argmax()] if complete.any() else None
    if first_ok is None:
        raise DataError(f"{profile.source}: `universe`: no session where every asset has a price")
    close = close.loc[first_ok:]
    bad = close.columns[close.isna().any()].tolist()
    if bad:
        raise DataError(f"{profile.source}: `universe`: {bad[0]!r} has missing prices after {first_ok.date()}")
    end = end or lab.end or close.index[-1].date()
    close = close.loc[:pd.Timestamp(end)]
    lookback = 0 if profile.target.method == "fixed" else profile.target.lookback_days
    earliest_pos = WARMUP + lookback
    if len(close) <= earliest_pos + 21:
        raise DataError(f"{profile.source}: `lab`: only {len(close)} sessions with prices for every asset up to {end}; "
                        f"the lab needs more than {earliest_pos + 21} (warm-up + target lookback)")
    earliest = close.index[earliest_pos].date()
    start = start or lab.start or (pd.Timestamp(end) - pd.DateOffset(years=lab.years)).date()
    notes = []
    if start < earliest:
        notes.append(f"window starts {earliest} instead of {start}: the first session with warm-up and target lookback")
        start = earliest
    t0 = int(close.index.searchsorted(pd.Timestamp(start)))
    if t0 >= len(close) - 21:
        raise DataError(f"{profile.source}: `lab.start`: {start} leaves under a month of data before {end}")
    window = close.index[t0:]
    start = window[0].date()
    refit = refit or lab.refit
    if refit == "none":
        dates = [window[0]]
    else:
        rd = review_days(window)[refit]
        dates = [window[0]] + list(window[rd])
    rows = {}
    for d in dates:
        tw = compute_target(profile, lh, d.date()).weights
        rows[d] = tw.drop("CASH", errors="ignore")
    target = pd.DataFrame(rows).T.reindex(columns=tickers).fillna(0.0)
    prices = close.iloc[t0 - WARMUP:]
    vix_real = lh.prices(["VIX"])["VIX"] if "VIX" in lh.known_tickers() else pd.Series(dtype=float)
    bench = lh.prices([profile.benchmark])[profile.benchmark]
    proxy = realized_vol_proxy_vix(bench).reindex(prices.index)
    real = vix_real.reindex(prices.index)
    vix = real.where(real.notna(), proxy)
    source = pd.Series(np.where(real.notna(), "VIX", "proxy"), index=prices.index)
    if vix.loc[window[0]:].isna().any():
        raise DataError(f"{profile.source}: `benchmark`: no VIX and no {profile.benchmark} prices for the regime proxy "
                        f"on some sessions of {start}..{end}")
    volume = lh.prices(tickers, field="volume").reindex(prices.index)
    adv = None
    if volume.notna().all().all():
        adv = (volume * prices).rolling(60, min_periods=1).mean().to_numpy()
    else:
        notes.append("no volume for some assets: no market impact and no illiquid-asset skip")
    synthetic = lh.has_synthetic_ohlv(tickers)
    market = Market(prices, target, pd.Timestamp(start), vix.to_numpy(), adv, settings_for(profile),
                    TaxRates(lab.tax.short_term, lab.tax.long_term, lab.tax.loss_trigger))
    return LabInputs(market, start, pd.Timestamp(window[-1]).date(), target, source.loc[window[0]:],
                     vix.loc[window[0]:], synthetic, notes)
