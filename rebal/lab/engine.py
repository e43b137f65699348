"""Vectorised rebalancing backtest: many rule configurations over one price path at once.

State is an array over configurations x assets, so a whole sensitivity grid advances one day
per step with numpy operations only (no per-asset or per-configuration Python loop).

Conventions (the independent reference loop in ``tests/unit/lab/test_engine.py`` follows them too):

- the portfolio starts at the target weights on the first simulated session, cost-free, value 1;
- each day holdings grow with prices; ``CASH`` (1 - Σw*) earns nothing;
- portfolio drift = ½ Σ|w - w*| over the assets and cash (:func:`rebal.analytics.drift.portfolio_drift`);
- when a rule fires the portfolio trades at the close to new weights w' (the target, or part of
  the way for partial rules): trades are sized at the pre-trade value V (Δ_i = w'_i V - h_i),
  their cost is paid out of the portfolio, and every position (and cash) is then w' x (V - cost),
  so the weights land exactly on w';
- one-way turnover of a rebalance = ½ Σ|Δ_i| / V over the assets;
- the target may be a series (an allocator refit on a schedule): the weights of the latest refit
  on or before each day apply; the cost-free target path is rebalanced daily to them.

Costs (fraction of the trade): the configuration's flat level (spread + commission, bps) times
the regime multiplier of the day (:class:`LabSettings` ``cost_multipliers``; the planner spec
says spreads and impact are 2-3x normal in stress), plus, when dollar ADV is given, the
square-root impact Y · σ_daily · sqrt(|trade $| / ADV) (:func:`rebal.analytics.measures.square_root_impact`)
on a portfolio of ``notional`` dollars.

Rule mechanics (see :mod:`rebal.lab.rules` for the specs):

- tracking error for decisions is the planner spec's simplified TE = sqrt(Σ d_i² σ_i²) with σ_i
  the trailing 60-session volatility (annualised);
- **cost-benefit**: the spec compares a one-off cost (% of value) with an annualised TE; taken
  literally the ratio is below 1 at any drift above a few basis points and the rule trades every
  day. The benefit is therefore put in the cost's unit: the certainty-equivalent gain of removing
  the tracking variance over the horizon, ½ λ H TE² (λ = ``risk_aversion``, H = ``horizon`` in
  years; :func:`rebal.analytics.risk.tracking_benefit`, the formula the planner uses too);
  the rule fires when cost / benefit < 1. The same per-asset benefit ½ λ H d_i² σ_i² decides the
  cost-constrained partial rule (trade asset i only if benefit > 2x its cost);
- **partial**: ``half`` trades half the gap, w' = (w + w*) / 2; ``edge`` moves along the line to
  the target until drift equals the (regime-widened) threshold, w' = w* + (thr / d)(w - w*);
- assets that are **frozen** (illiquid: dollar ADV < ``min_adv`` or more than
  ``max_liquidity_days`` at ``participation`` of ADV; or, for the cost-constrained rule, not
  worth trading) keep their weight; the others and cash share the rest in target proportions.

Review days (calendar rules) are the last session of each month, quarter and year in the price
index (NYSE sessions in the lakehouse).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rebal.analytics.measures import annualise_vol, regime_widening, square_root_impact, vix_regime
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import tracking_benefit
from rebal.lab.rules import Config, Rule
from rebal.lab.spec import LabSpec
from rebal.monitor.spec import PlannerSpec

__all__ = ["BacktestResult", "LabSettings", "backtest", "review_days", "day_regimes", "target_matrix"]

_PLANNER = PlannerSpec()  # the one home of the planner's defaults
_LAB = LabSpec()


@dataclass(frozen=True)
class LabSettings:
    """Market-condition and cost parameters shared by every configuration of a run.

    The defaults are those of the profile sections they come from (:class:`~rebal.monitor.spec.PlannerSpec`,
    :class:`~rebal.lab.spec.LabSpec`); :meth:`from_specs` takes a profile's own. ``vol_window`` and
    ``benefit_multiple`` belong to the lab alone.
    """

    elevated_vix: float = _PLANNER.elevated_vix
    stress_vix: float = _PLANNER.stress_vix
    widen: tuple[float, ...] = _PLANNER.regime_widening
    stress_override: float = _PLANNER.stress_override
    delay_max_drift: float = _PLANNER.delay_max_drift
    cost_multipliers: tuple[float, ...] = _LAB.cost_multipliers
    impact_coefficient: float = _PLANNER.impact_coefficient
    notional: float = _PLANNER.notional_value
    min_adv: float = _PLANNER.min_adv
    max_liquidity_days: float = _PLANNER.max_liquidity_days
    participation: float = _PLANNER.participation
    high_vol_sigma: float = _PLANNER.high_vol_sigma
    vol_window: int = 60
    risk_aversion: float = _PLANNER.risk_aversion
    horizon: float = _PLANNER.horizon_years
    benefit_multiple: float = 2.0

    @classmethod
    def from_specs(cls, planner: PlannerSpec, lab: LabSpec) -> "LabSettings":
        """Build the settings of a profile from its ``planner`` and ``lab`` sections."""
        return cls(elevated_vix=planner.elevated_vix, stress_vix=planner.stress_vix,
                   widen=tuple(planner.regime_widening),
                   stress_override=planner.stress_override, delay_max_drift=planner.delay_max_drift,
                   cost_multipliers=tuple(lab.cost_multipliers), impact_coefficient=planner.impact_coefficient,
                   notional=planner.notional_value, min_adv=planner.min_adv,
                   max_liquidity_days=planner.max_liquidity_days, participation=planner.participation,
                   high_vol_sigma=planner.high_vol_sigma, risk_aversion=planner.risk_aversion,
                   horizon=planner.horizon_years)


def review_days(index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Mark the last session of each month / quarter / year in ``index``.

    Returns boolean arrays keyed ``monthly``, ``quarterly`` and ``annual``. The final session counts
    only when its period is complete, i.e. never: there is no later session.
    """
    s = pd.Series(index, index=index)
    out = {}
    for name, key in (("monthly", index.year * 12 + index.month),
                      ("quarterly", index.year * 4 + (index.month - 1) // 3),
                      ("annual", index.year)):
        last = s.groupby(np.asarray(key)).transform("max").to_numpy() == index.to_numpy()
        last[-1] = False
        out[name] = last
    return out


def day_regimes(vix: np.ndarray | None, n: int, settings: LabSettings) -> np.ndarray:
    """Classify each of the ``n`` days into a regime code (0 normal, 1 elevated, 2 stress).

    :func:`rebal.analytics.measures.vix_regime` at the settings' levels (VIX points); all normal
    without a ``vix`` series.
    """
    return vix_regime(np.zeros(n) if vix is None else vix, elevated=settings.elevated_vix, stress=settings.stress_vix)


def target_matrix(target: pd.Series | pd.DataFrame, index: pd.DatetimeIndex,
                  columns: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Expand a target to one row of weights per session: (T x N weights, T cash), fractions.

    ``target`` is static (a Series) or a series of refits (rows = refit dates, each applying from
    its date on); raises when the first day has no target yet.
    """
    if isinstance(target, pd.Series):
        frame = pd.DataFrame([target.to_numpy()], columns=target.index, index=index[:1])
    else:
        frame = target
    frame = frame.drop(columns=[c for c in frame.columns if c == "CASH"]).reindex(columns=columns).fillna(0.0)
    W = frame.reindex(index.union(frame.index)).ffill().reindex(index).to_numpy(float)
    if np.isnan(W[0]).any():
        raise ValueError(f"no target weights on or before {index[0].date()}")
    return W, 1.0 - W.sum(axis=1)


@dataclass
class BacktestResult:
    """Per configuration: daily values and costs, rebalance days and turnover, and every trade.

    T sessions, K configurations, N assets, E trades. Values are multiples of the starting value
    (1); costs and turnover are fractions of the day's portfolio value; ``cost_bps`` is in bps.
    """

    specs: list[str]
    cost_bps: np.ndarray           # (K,)
    index: pd.DatetimeIndex        # simulated sessions
    assets: list[str]
    values: np.ndarray             # (T, K) portfolio value, 1 at the start
    target_values: np.ndarray      # (T,) the target held with daily rebalancing, cost-free
    costs: np.ndarray              # (T, K) cost paid each day, fraction of that day's value
    turnover: np.ndarray           # (T, K) one-way turnover each day
    rebalanced: np.ndarray         # (T, K) bool
    drift: np.ndarray              # (T, K) portfolio drift before any trade
    final_weights: np.ndarray      # (K, N)
    regime: np.ndarray             # (T,) 0 normal, 1 elevated, 2 stress
    skipped: np.ndarray            # (K,) asset-trades left undone because the asset was illiquid
    trade_t: np.ndarray = field(default_factory=lambda: np.zeros(0, int))     # (E,) day of each rebalance
    trade_k: np.ndarray = field(default_factory=lambda: np.zeros(0, int))     # (E,) its configuration
    # (E, N) change of each position (value, after costs)
    trades: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    initial_weights: np.ndarray | None = None                                 # (N,) weights of the first day

    def frame(self) -> pd.DataFrame:
        """Values by configuration (columns) and the target path."""
        df = pd.DataFrame(self.values, index=self.index, columns=self.labels)
        df["target"] = self.target_values
        return df

    def take(self, cols: list[int]) -> "BacktestResult":
        """Select the configurations ``cols``, in that order (trades renumbered)."""
        cols = list(cols)
        new_k = {old: new for new, old in enumerate(cols)}
        keep = np.isin(self.trade_k, cols)
        return BacktestResult(
            [self.specs[c] for c in cols], self.cost_bps[cols], self.index, self.assets, self.values[:, cols],
            self.target_values, self.costs[:, cols], self.turnover[:, cols], self.rebalanced[:, cols],
            self.drift[:, cols], self.final_weights[cols], self.regime, self.skipped[cols], self.trade_t[keep],
            np.array([new_k[k] for k in self.trade_k[keep]], int), self.trades[keep], self.initial_weights)

    @property
    def labels(self) -> list[str]:
        """One label per configuration: ``spec @ cost bps``."""
        return [f"{s} @ {c:g} bps" for s, c in zip(self.specs, self.cost_bps, strict=True)]


def window(prices: pd.DataFrame, target: pd.Series | pd.DataFrame, start=None):
    """Cut the simulated window out of ``prices`` with the checks every engine needs.

    Two sessions at least, positive complete prices, a target on day one. Returns (t0, prices of
    the window, its index, T x N target weights, T cash), weights as fractions.
    """
    t0 = 0 if start is None else int(prices.index.searchsorted(pd.Timestamp(start)))
    if t0 >= len(prices) - 1:
        raise ValueError("the backtest window needs at least two sessions")
    px = prices.to_numpy(float)[t0:]
    if np.isnan(px).any() or (px <= 0).any():
        raise ValueError("prices must be positive and complete over the backtest window")
    index = prices.index[t0:]
    W, C = target_matrix(target, index, prices.columns)
    return t0, px, index, W, C


def target_path(px: np.ndarray, W: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Value of the target rebalanced daily, cost-free, from 1 (weights of day t-1 earn day t's return)."""
    step = (W[:-1] * (px[1:] / px[:-1])).sum(axis=1) + C[:-1]
    return np.concatenate([[1.0], np.cumprod(step)])


def _configs(rules: list[Rule | Config]) -> list[Config]:
    return [r if isinstance(r, Config) else r.config() for r in rules]


def backtest(prices: pd.DataFrame, target: pd.Series | pd.DataFrame, rules: list[Rule | Config],
             cost_bps: float | list[float] = 20.0, *, start=None, vix: pd.Series | np.ndarray | None = None,
             adv: pd.DataFrame | None = None, settings: LabSettings = LabSettings()) -> BacktestResult:
    """Run every rule (with its cost level) over ``prices`` (dates x assets, no gaps) from ``target``.

    ``target`` holds weights by asset (their sum <= 1; the rest is cash), or is a frame of refits.
    ``cost_bps`` is one flat level for all rules or one per rule. Rows of ``prices`` before
    ``start`` only warm up the volatility estimates. ``vix`` (aligned with ``prices``; VIX or a
    labelled proxy) sets the regime of each day; ``adv`` (dollar ADV, aligned) switches on the
    square-root impact and the illiquid-asset skip. Tax-aware rules run in :func:`rebal.lab.tax.tax_backtest`.
    """
    cfgs = _configs(rules)
    if any(c.tax for c in cfgs):
        raise ValueError("tax-aware rules run in rebal.lab.tax.tax_backtest")
    t0, px, index, W, C = window(prices, target, start)
    px_all = prices.to_numpy(float)
    K, T, N = len(cfgs), px.shape[0], px.shape[1]
    s = settings
    c_rate = np.broadcast_to(np.asarray(cost_bps, float), (K,)).copy() / 1e4
    # daily estimates (trailing, known at each close)
    rets = simple_returns(pd.DataFrame(px_all), fill="none")
    sig_d = rets.rolling(s.vol_window, min_periods=20).std().bfill().to_numpy()[t0:]
    sig_d = np.nan_to_num(sig_d, nan=0.0)
    sig_a = annualise_vol(sig_d)
    high_vol = sig_a >= s.high_vol_sigma
    reg = day_regimes(None if vix is None else np.asarray(vix, float)[t0:], T, s)
    widen = regime_widening(reg, s.widen)
    cmult = np.asarray(s.cost_multipliers)[reg]
    adv_a = None if adv is None else np.asarray(adv, float)[t0:]
    # per-configuration switches
    review = review_days(index)
    cal = np.zeros((T, K), bool)
    for k, c in enumerate(cfgs):
        if c.frequency is not None:
            cal[:, k] = review[c.frequency]
    thr = np.array([c.drift for c in cfgs])
    dyn = np.array([c.dynamic for c in cfgs])
    pause = np.array([c.pause for c in cfgs])
    delay = np.array([c.delay for c in cfgs])
    cb = np.array([c.cost_benefit for c in cfgs])
    band_abs = np.array([c.band_abs for c in cfgs])
    band_rel = np.array([c.band_rel for c in cfgs])
    hv_band = np.array([c.high_vol_band for c in cfgs])
    use_bands = bool(np.isfinite(band_abs).any() or np.isfinite(band_rel).any() or np.isfinite(hv_band).any())
    sizing = np.array([c.sizing for c in cfgs])
    half, edge, costc = sizing == "half", sizing == "edge", sizing == "cost"

    def trade_cost(delta: np.ndarray, rows: np.ndarray, t: int) -> np.ndarray:
        """Per-asset cost (fraction of value units) of trading ``delta`` (value units) at day t."""
        rate = c_rate[rows, None] * cmult[t]
        if adv_a is not None:
            dollars = np.abs(delta) * s.notional
            rate = rate + square_root_impact(dollars, np.maximum(adv_a[t], 1.0), sig_d[t],
                                             coefficient=s.impact_coefficient)
        return np.abs(delta) * rate

    growth = px[1:] / px[:-1]
    h = np.tile(W[0], (K, 1))
    cash = np.full(K, C[0])
    values = np.empty((T, K))
    costs = np.zeros((T, K))
    turnover = np.zeros((T, K))
    rebalanced = np.zeros((T, K), bool)
    drift = np.zeros((T, K))
    skipped = np.zeros(K, int)
    pending = np.zeros(K, bool)
    since = np.full(K, -1)
    ev_t, ev_k, ev_x = [], [], []
    values[0] = 1.0
    target_values = target_path(px, W, C)
    all_k = np.arange(K)
    for t in range(1, T):
        g = growth[t - 1]
        h *= g
        w, cw = W[t], C[t]
        V = h.sum(axis=1) + cash
        wcur = h / V[:, None]
        dv = wcur - w
        dc = cash / V - cw
        d = 0.5 * (np.abs(dv).sum(axis=1) + np.abs(dc))
        drift[t] = d
        thr_t = np.where(dyn, thr * widen[t], thr)
        fire = cal[t] | (d >= thr_t - 1e-12)
        if use_bands:
            band = np.minimum(band_abs[:, None], band_rel[:, None] * w)
            band = np.where(high_vol[t], np.minimum(band, hv_band[:, None]), band)
            fire |= (np.abs(dv) >= band - 1e-12).any(axis=1)
        if cb.any():
            k_cb = all_k[cb]
            benefit = tracking_benefit((dv[cb] ** 2 * sig_a[t] ** 2).sum(axis=1), risk_aversion=s.risk_aversion,
                                       horizon_years=s.horizon)
            est = trade_cost(-dv[cb] * V[cb, None], k_cb, t).sum(axis=1) / V[cb]
            fire[cb] |= est < benefit
        if reg[t] == 2:
            fire &= ~pause | (d >= s.stress_override - 1e-12)
        if delay.any():
            wait = (delay > 0) & (reg[t] == 2) & (d <= s.delay_max_drift)
            want = fire | pending
            since = np.where(want & wait & (since < 0), t, since)
            defer = want & wait & (t - since < delay)
            fire = want & ~defer
            pending = defer
            since = np.where(defer, since, -1)
        if fire.any():
            f = all_k[fire]
            Vf, wf, cf = V[f], wcur[f], cash[f] / V[f]
            goal = np.tile(w, (len(f), 1))
            gcash = np.full(len(f), cw)
            hf, ef = half[f], edge[f]
            if hf.any():
                goal[hf] = 0.5 * (wf[hf] + w)
                gcash[hf] = 0.5 * (cf[hf] + cw)
            if ef.any():
                lam = np.minimum(1.0, thr_t[f][ef] / np.maximum(d[f][ef], 1e-300))
                goal[ef] = w + lam[:, None] * (wf[ef] - w)
                gcash[ef] = cw + lam * (cf[ef] - cw)
            frozen = np.zeros_like(goal, bool)
            cf_mask = costc[f]
            if cf_mask.any():
                gap = (goal[cf_mask] - wf[cf_mask]) * Vf[cf_mask, None]
                cost_i = trade_cost(gap, f[cf_mask], t) / Vf[cf_mask, None]
                benefit_i = tracking_benefit((wf[cf_mask] - w) ** 2 * sig_a[t] ** 2, risk_aversion=s.risk_aversion,
                                             horizon_years=s.horizon)
                frozen[cf_mask] = ~(benefit_i > s.benefit_multiple * cost_i)
            if adv_a is not None:
                gap_usd = np.abs(goal - wf) * Vf[:, None] * s.notional
                illiquid = (adv_a[t] < s.min_adv) | (gap_usd > s.max_liquidity_days * s.participation * adv_a[t])
                illiquid &= np.abs(goal - wf) > 1e-12
                skipped[f] += illiquid.sum(axis=1)
                frozen |= illiquid
            if frozen.any():
                fw = np.where(frozen, wf, 0.0).sum(axis=1)
                fg = np.where(frozen, goal, 0.0).sum(axis=1)
                scale = np.where(1.0 - fg > 1e-12, (1.0 - fw) / np.maximum(1.0 - fg, 1e-12), 0.0)
                ok = 1.0 - fg > 1e-12  # otherwise everything is frozen: no trade
                goal = np.where(frozen | ~ok[:, None], wf, goal * scale[:, None])
                gcash = np.where(ok, gcash * scale, cf)
            delta = goal * Vf[:, None] - h[f]
            moved = np.abs(delta).sum(axis=1) > 1e-12 * Vf
            if moved.any():
                f, delta, goal, gcash, Vf = f[moved], delta[moved], goal[moved], gcash[moved], Vf[moved]
                cost = trade_cost(delta, f, t).sum(axis=1)
                Vn = Vf - cost
                before = h[f]
                h[f] = goal * Vn[:, None]
                cash[f] = gcash * Vn
                costs[t, f] = cost / Vf
                turnover[t, f] = 0.5 * np.abs(delta).sum(axis=1) / Vf
                rebalanced[t, f] = True
                ev_t.append(np.full(len(f), t))
                ev_k.append(f)
                ev_x.append(h[f] - before)
                V = h.sum(axis=1) + cash
        values[t] = V
    final = h / (h.sum(axis=1) + cash)[:, None]
    return BacktestResult([c.spec for c in cfgs], c_rate * 1e4, index, list(prices.columns), values, target_values,
                          costs, turnover, rebalanced, drift, final, reg, skipped,
                          np.concatenate(ev_t) if ev_t else np.zeros(0, int),
                          np.concatenate(ev_k) if ev_k else np.zeros(0, int),
                          np.concatenate(ev_x) if ev_x else np.zeros((0, N)), W[0])
