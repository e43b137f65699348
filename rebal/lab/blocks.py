"""The days between trades of a rule-lab run, evaluated as blocks of days x configurations x assets.

Between two trades of a configuration nothing but prices moves its holdings, so from the state
after day a-1 the holdings of days a .. b-1 are a running product of the price relatives, and
every day's weights, drift and trigger follow by array operations with a leading axis of days.
:func:`rebal.lab.engine.backtest` evaluates such a block, trades on the first day on which any
configuration fires, and starts the next block after it.

Bit for bit the same as one day at a time: the running product multiplies the same numbers in
the same order as ``h *= g`` day after day, sums over assets reduce the same contiguous rows
(numpy's pairwise summation of each row does not depend on how many rows there are), and every
other expression is the day-by-day one, element by element.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.analytics.measures import annualise_vol, regime_widening, square_root_impact
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import tracking_benefit
from rebal.lab.rules import Config

if TYPE_CHECKING:
    from rebal.lab.engine import LabSettings

__all__ = ["Days", "Block", "block", "trailing_vol", "needs_vol", "BLOCK_CELLS", "BLOCK_DAYS"]

#: Largest block evaluated at once: days x configurations x assets (doubles; 512 KB keeps the
#: arrays in cache) and days.
BLOCK_CELLS, BLOCK_DAYS = 1 << 16, 512


def trailing_vol(px_all: np.ndarray, settings: LabSettings) -> np.ndarray:
    """Trailing daily volatility known at each close, (T, N) like ``px_all`` (prices, oldest first).

    The standard deviation of the last ``settings.vol_window`` daily returns (at least 20),
    backfilled over the first sessions; 0 where a column has none.
    """
    rets = simple_returns(pd.DataFrame(px_all), fill="none")
    vol = rets.rolling(settings.vol_window, min_periods=20).std().bfill().to_numpy()
    return np.nan_to_num(vol, nan=0.0)


def needs_vol(cfgs: list[Config], adv) -> bool:
    """Tell whether a run uses the trailing volatility.

    It does with impact costs (``adv`` given), cost-benefit, cost-constrained sizing or high-vol bands.
    """
    return adv is not None or any(c.cost_benefit or c.sizing == "cost" or np.isfinite(c.high_vol_band) for c in cfgs)


@dataclass
class Days:
    """What a run knows before it starts: per-day arrays (T rows) and per-configuration switches (K).

    Build it with :meth:`build`; the trailing volatility is estimated only when a rule or the
    impact cost uses it (square-root impact, cost-benefit, cost-constrained sizing, high-vol bands).
    """

    growth: np.ndarray           # (T-1, N) price relatives
    W: np.ndarray                # (T, N) target weights
    C: np.ndarray                # (T,) target cash
    cal: np.ndarray              # (T, K) calendar review day
    widen: np.ndarray            # (T,) threshold multiplier of the day's regime
    reg: np.ndarray              # (T,) regime code
    cmult: np.ndarray            # (T,) cost multiplier of the day's regime
    sig_d: np.ndarray | None     # (T, N) trailing daily volatility
    sig_a: np.ndarray | None     # (T, N) the same, annualised
    high_vol: np.ndarray | None  # (T, N) bool
    adv: np.ndarray | None       # (T, N) dollar ADV
    c_rate: np.ndarray           # (K,) flat cost rate (fraction)
    thr: np.ndarray              # (K,) drift threshold (inf: none)
    dyn: np.ndarray
    pause: np.ndarray
    delay: np.ndarray
    cb: np.ndarray
    band_abs: np.ndarray
    band_rel: np.ndarray
    hv_band: np.ndarray
    half: np.ndarray
    edge: np.ndarray
    costc: np.ndarray
    settings: LabSettings

    def benefit(self, tracking_variance: np.ndarray) -> np.ndarray:
        """Value of removing ``tracking_variance`` (annual TE², fractions²) over the horizon: ½ λ H TE²."""
        return tracking_benefit(tracking_variance, risk_aversion=self.settings.risk_aversion,
                                horizon_years=self.settings.horizon)

    def __post_init__(self) -> None:
        self.use_hv = bool(np.isfinite(self.hv_band).any())
        self.use_bands = bool(self.use_hv or np.isfinite(self.band_abs).any() or np.isfinite(self.band_rel).any())
        self.any_cb, self.any_pause = bool(self.cb.any()), bool(self.pause.any())
        self.any_delay = bool(self.delay.any())
        self.thr_t = np.where(self.dyn, self.thr * self.widen[:, None], self.thr)  # (T, K) the day's drift threshold
        # calendar rules alone: nothing fires between reviews
        self.calendar_only = not (self.use_bands or self.any_cb or np.isfinite(self.thr).any())

    @classmethod
    def build(cls, px_all: np.ndarray, t0: int, W: np.ndarray, C: np.ndarray, cfgs: list[Config], cost_bps,
              reg: np.ndarray, review: dict[str, np.ndarray], adv, settings: LabSettings,
              vol: np.ndarray | None = None) -> Days:
        """Build the arrays of a run over ``px_all[t0:]`` (rows before ``t0`` warm up the volatility).

        ``reg`` and ``review`` are the regime codes and calendar review days of the window;
        ``cost_bps`` is one level or one per configuration; ``adv`` dollar ADV aligned with ``px_all``;
        ``vol`` the :func:`trailing_vol` of ``px_all`` if already known.
        """
        s = settings
        T, K = len(reg), len(cfgs)
        px = px_all[t0:]
        cal = np.zeros((T, K), bool)
        for k, c in enumerate(cfgs):
            if c.frequency is not None:
                cal[:, k] = review[c.frequency]
        arr = {name: np.array([getattr(c, key) for c in cfgs]) for name, key in (
            ("thr", "drift"), ("dyn", "dynamic"), ("pause", "pause"), ("delay", "delay"), ("cb", "cost_benefit"),
            ("band_abs", "band_abs"), ("band_rel", "band_rel"), ("hv_band", "high_vol_band"))}
        sizing = np.array([c.sizing for c in cfgs])
        adv_a = None if adv is None else np.asarray(adv, float)[t0:]
        sig_d = sig_a = high_vol = None
        if needs_vol(cfgs, adv):
            sig_d = (trailing_vol(px_all, s) if vol is None else vol)[t0:]
            sig_a = annualise_vol(sig_d)
            high_vol = sig_a >= s.high_vol_sigma
        return cls(px[1:] / px[:-1], W, C, cal, regime_widening(reg, s.widen), reg, np.asarray(s.cost_multipliers)[reg],
                   sig_d, sig_a, high_vol, adv_a, np.broadcast_to(np.asarray(cost_bps, float), (K,)).copy() / 1e4,
                   half=sizing == "half", edge=sizing == "edge", costc=sizing == "cost", settings=s, **arr)

    def cost(self, delta: np.ndarray, rows: np.ndarray, t: int | slice) -> np.ndarray:
        """Cost of trading ``delta`` for the configurations ``rows``, per asset (value units).

        ``delta`` is (K', N) on day ``t``, or (L, K', N) when ``t`` is a slice of L days. The rate
        is the flat level x the day's regime multiplier, plus the square-root impact when ADV is known.
        """
        days = isinstance(t, slice)
        cm = self.cmult[t, None, None] if days else self.cmult[t]
        rate = self.c_rate[rows, None] * cm
        traded = np.abs(delta)
        if self.adv is not None:
            s = self.settings
            adv_t, sig_t = (self.adv[t, None, :], self.sig_d[t, None, :]) if days else (self.adv[t], self.sig_d[t])
            rate = rate + square_root_impact(traded * s.notional, np.maximum(adv_t, 1.0), sig_t,
                                             coefficient=s.impact_coefficient)
        return traded * rate


@dataclass
class Block:
    """Days a .. b-1 (L of them) if nothing trades.

    Holdings and weights (L, K, N); values, drift, drift thresholds and fire flags before any delay (L, K).
    """

    H: np.ndarray
    V: np.ndarray
    wcur: np.ndarray
    d: np.ndarray
    thr: np.ndarray
    fire: np.ndarray


def block(D: Days, a: int, b: int, h: np.ndarray, cash: np.ndarray) -> Block:
    """Evaluate days a .. b-1 from the holdings ``h`` (K x N) and ``cash`` (K) after day a-1."""
    s = D.settings
    L, (K, N) = b - a, h.shape
    H = np.empty((L, K, N))
    np.multiply(h, D.growth[a - 1], out=H[0])
    for i in range(1, L):  # np.multiply.accumulate along the days is slower
        np.multiply(H[i - 1], D.growth[a - 1 + i], out=H[i])
    V = H.sum(axis=2) + cash
    wcur = H / V[:, :, None]
    w = D.W[a:b, None, :]
    dv = wcur - w
    dc = cash / V - D.C[a:b, None]
    d = 0.5 * (np.abs(dv).sum(axis=2) + np.abs(dc))
    thr = D.thr_t[a:b]
    fire = D.cal[a:b] | (d >= thr - 1e-12)
    if D.use_bands:
        band = np.minimum(D.band_abs[:, None], D.band_rel[:, None] * w)
        if D.use_hv:  # (without a high-vol band, min(band, inf) is band)
            band = np.where(D.high_vol[a:b, None, :], np.minimum(band, D.hv_band[:, None]), band)
        fire |= (np.abs(dv) >= band - 1e-12).any(axis=2)
    if D.any_cb:
        cb = D.cb
        benefit = D.benefit((dv[:, cb] ** 2 * D.sig_a[a:b, None, :] ** 2).sum(axis=2))
        est = D.cost(-dv[:, cb] * V[:, cb, None], np.flatnonzero(cb), slice(a, b)).sum(axis=2) / V[:, cb]
        fire[:, cb] |= est < benefit
    if D.any_pause:
        stress = D.reg[a:b] == 2
        fire = np.where(stress[:, None], fire & (~D.pause | (d >= s.stress_override - 1e-12)), fire)
    return Block(H, V, wcur, d, thr, fire)
