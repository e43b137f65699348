"""Execution alpha: which asset should lead its cluster once implementation costs count.

Alpha_Execution = 0.3 Mom + 0.2 Stab + 0.2 Conv + 0.3 Liquidity, each a cross-sectional z-score
(mean 0, standard deviation 1 across the universe), so the weights mean what they say. The spec
names the four inputs without defining them; we use:

- **Mom** (momentum): the 12-1 month total return, close 21 sessions ago over close 252 sessions
  ago, minus 1: the standard cross-sectional momentum signal, skipping the last month's reversal.
- **Stab** (stability): minus the 60-day realised volatility, so calmer assets score higher.
- **Conv** (conviction): the correlation of the asset's daily returns with its cluster's centroid
  over the window: how faithfully the asset represents its cluster's factor. A lead asset should
  carry the cluster's exposure, not idiosyncratic noise.
- **Liquidity**: the mean of z(log 20-day dollar ADV) and z(-ATR14 / price), i.e. more value
  traded and a smaller spread proxy score higher. ATR is Wilder's 14-day average true range.

On the sample lakehouse volume and high/low are synthetic (``ohlv_synthetic``): the Liquidity
score then rests on synthetic inputs, and reports must say so. Without them (close-only data:
``high``, ``low`` or ``volume`` missing) there is no Liquidity score: the alpha is the other three
components with their weights rescaled to sum to 1, (0.3 Mom + 0.2 Stab + 0.2 Conv) / 0.7, and the
liquidity columns are empty; reports say so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rebal.analytics.measures import annualise_vol
from rebal.analytics.returns import simple_returns

__all__ = ["ALPHA_WEIGHTS", "zscore", "atr", "execution_alpha", "cluster_leads"]

ALPHA_WEIGHTS = {"mom": 0.3, "stab": 0.2, "conv": 0.2, "liquidity": 0.3}


def zscore(x: pd.Series) -> pd.Series:
    """Cross-sectional z-score (population std); zeros when the cross-section has no dispersion."""
    sd = x.std(ddof=0)
    return (x - x.mean()) / sd if sd > 0 else x * 0.0


def atr(high: pd.DataFrame, low: pd.DataFrame, close: pd.DataFrame, window: int = 14) -> pd.DataFrame:
    """Wilder's average true range: EMA with alpha 1/window of max(H-L, |H-C₋₁|, |L-C₋₁|)."""
    prev = close.shift(1)
    # fmax ignores the missing previous close on the first day (true range = high - low there)
    tr = np.fmax(high - low, np.fmax((high - prev).abs(), (low - prev).abs()))
    return tr.ewm(alpha=1.0 / window, adjust=False).mean()


def execution_alpha(close: pd.DataFrame, high: pd.DataFrame | None, low: pd.DataFrame | None,
                    volume: pd.DataFrame | None, labels: pd.Series, centroid_returns: pd.DataFrame) -> pd.DataFrame:
    """Component z-scores and the execution alpha per asset, as of the last row of the inputs.

    Needs at least 253 rows of closes. Returns columns mom, stab, conv, liquidity (z-scores),
    alpha, and the raw inputs momentum_12_1, vol_60d, centroid_corr, dollar_adv_20, atr_over_price.
    With ``high``, ``low`` or ``volume`` None (close-only data) the liquidity columns are NaN and the
    alpha rescales the other weights to sum to 1 (see the module docstring).
    """
    if len(close) < 253:
        raise ValueError(f"execution alpha needs 253 sessions of closes, found {len(close)}")
    rets = simple_returns(close, fill="none")
    mom_raw = close.iloc[-22] / close.iloc[-253] - 1.0
    vol60 = annualise_vol(rets.iloc[-60:].std(ddof=1))
    window = rets.iloc[-252:]
    conv_raw = pd.Series({a: window[a].corr(centroid_returns[labels[a]].iloc[-252:]) for a in close.columns})
    if high is None or low is None or volume is None:
        adv = atr_px = liq = pd.Series(np.nan, index=close.columns)
    else:
        adv = (close * volume).iloc[-20:].mean()
        atr_px = (atr(high, low, close).iloc[-1] / close.iloc[-1])
        liq = zscore((zscore(np.log(adv)) + zscore(-atr_px)) / 2.0)
    out = pd.DataFrame({"mom": zscore(mom_raw), "stab": zscore(-vol60), "conv": zscore(conv_raw),
                        "liquidity": liq})
    used = {k: w for k, w in ALPHA_WEIGHTS.items() if out[k].notna().all()}
    out["alpha"] = sum(w * out[k] for k, w in used.items())
    if len(used) < len(ALPHA_WEIGHTS):  # close-only data: the remaining weights rescaled to sum to 1
        out["alpha"] = out["alpha"] / sum(used.values())
    out["momentum_12_1"] = mom_raw
    out["vol_60d"] = vol60
    out["centroid_corr"] = conv_raw
    out["dollar_adv_20"] = adv
    out["atr_over_price"] = atr_px
    return out


def cluster_leads(alpha: pd.Series, labels: pd.Series) -> pd.Series:
    """Find the highest-alpha asset of each cluster (cluster id -> ticker)."""
    df = pd.DataFrame({"alpha": alpha, "cluster": labels})
    return df.groupby("cluster")["alpha"].idxmax().rename("lead")
