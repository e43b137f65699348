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

The days between trades are evaluated in blocks (:mod:`rebal.lab.blocks`): the same numbers, bit
for bit, as advancing one day at a time, and several times faster when trades are rare.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rebal.analytics.measures import vix_regime
from rebal.lab.blocks import BLOCK_CELLS, BLOCK_DAYS, Days, block
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
    ordered = index.is_monotonic_increasing and index.is_unique
    year, month = np.asarray(index.year), np.asarray(index.month)
    out = {}
    for name, key in (("monthly", year * 12 + month), ("quarterly", year * 4 + (month - 1) // 3), ("annual", year)):
        if ordered:  # sessions in order: the last of a period is followed by another period
            last = np.append(key[:-1] != key[1:], False)
        else:
            last = s.groupby(key).transform("max").to_numpy() == index.to_numpy()
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
        frame = pd.DataFrame(target.to_numpy()[None, :], columns=target.index, index=index[:1])
    else:
        frame = target
    frame = frame.drop(columns=[c for c in frame.columns if c == "CASH"]).reindex(columns=columns).fillna(0.0)
    if not (isinstance(frame.index, pd.DatetimeIndex) and frame.index.is_unique and frame.index.tz == index.tz):
        W = frame.reindex(index.union(frame.index)).ffill().reindex(index).to_numpy(float)
        if np.isnan(W[0]).any():
            raise ValueError(f"no target weights on or before {index[0].date()}")
        return W, 1.0 - W.sum(axis=1)
    # each day takes the row of the latest refit on or before it (what a forward fill over the days does)
    frame = frame.sort_index()
    pos = frame.index.searchsorted(index, side="right") - 1
    if pos[0] < 0:
        raise ValueError(f"no target weights on or before {index[0].date()}")
    rows = frame.to_numpy(float)
    # The cash of a day is 1 - the sum of its weights, added up in the memory order the forward-filled
    # frame had (by columns when the target lacked some of them): the same bits as before the fast path.
    probe = frame.reindex(index[:2].union(frame.index)).ffill().reindex(index[:2]).to_numpy(float)
    by_rows = probe.flags.c_contiguous
    if pos[0] == pos[-1]:  # one target over the whole window
        row = rows[pos[0]]
        total = row.sum() if by_rows else np.asfortranarray(np.broadcast_to(row, (2, len(row)))).sum(axis=1)[0]
        return np.broadcast_to(row, (len(index), len(row))), np.full(len(index), 1.0 - total)
    W = rows[pos]
    return W, 1.0 - (W if by_rows else np.asfortranarray(W)).sum(axis=1)


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
    if not (px > 0).all():  # NaN compares False
        raise ValueError("prices must be positive and complete over the backtest window")
    index = prices.index[t0:]
    W, C = target_matrix(target, index, prices.columns)
    return t0, px, index, W, C


def target_path(px: np.ndarray, W: np.ndarray, C: np.ndarray, growth: np.ndarray | None = None) -> np.ndarray:
    """Value of the target rebalanced daily, cost-free, from 1 (weights of day t-1 earn day t's return).

    ``growth`` is ``px[1:] / px[:-1]`` when the caller has it already.
    """
    step = (W[:-1] * (px[1:] / px[:-1] if growth is None else growth)).sum(axis=1) + C[:-1]
    return np.concatenate([[1.0], np.cumprod(step)])


def _configs(rules: list[Rule | Config]) -> list[Config]:
    return [r if isinstance(r, Config) else r.config() for r in rules]


def backtest(prices: pd.DataFrame, target: pd.Series | pd.DataFrame, rules: list[Rule | Config],
             cost_bps: float | list[float] = 20.0, *, start=None, vix: pd.Series | np.ndarray | None = None,
             adv: pd.DataFrame | None = None, settings: LabSettings = LabSettings(),
             vol: np.ndarray | None = None, trades: bool = True) -> BacktestResult:
    """Run every rule (with its cost level) over ``prices`` (dates x assets, no gaps) from ``target``.

    ``target`` holds weights by asset (their sum <= 1; the rest is cash), or is a frame of refits.
    ``cost_bps`` is one flat level for all rules or one per rule. Rows of ``prices`` before
    ``start`` only warm up the volatility estimates. ``vix`` (aligned with ``prices``; VIX or a
    labelled proxy) sets the regime of each day; ``adv`` (dollar ADV, aligned) switches on the
    square-root impact and the illiquid-asset skip. ``vol`` is :func:`rebal.lab.blocks.trailing_vol` of
    ``prices`` when the caller has it (a sweep computes it once for all its chunks). ``trades=False``
    leaves the list of trades (``trade_t``, ``trade_k``, ``trades``; kept for the tax replay) empty.
    Tax-aware rules run in :func:`rebal.lab.tax.tax_backtest`.

    The days between trades are evaluated in blocks (:mod:`rebal.lab.blocks`), bit for bit as one
    day at a time; a block ends on the first day any configuration fires, which is traded here.
    """
    cfgs = _configs(rules)
    if any(c.tax for c in cfgs):
        raise ValueError("tax-aware rules run in rebal.lab.tax.tax_backtest")
    t0, px, index, W, C = window(prices, target, start)
    K, T, N = len(cfgs), px.shape[0], px.shape[1]
    s = settings
    reg = day_regimes(None if vix is None else np.asarray(vix, float)[t0:], T, s)
    D = Days.build(prices.to_numpy(float), t0, W, C, cfgs, cost_bps, reg, review_days(index), adv, s, vol)
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
    target_values = target_path(px, W, C, D.growth)
    all_k = np.arange(K)
    cal_days = np.flatnonzero(D.cal.any(axis=1))
    most = max(1, min(BLOCK_DAYS, BLOCK_CELLS // max(1, K * N)))
    span = most if D.calendar_only else 8  # days in the next block: about the gap between the last two trades
    a = 1
    while a < T:
        b = min(T, a + span)
        nxt = np.searchsorted(cal_days, a)
        if nxt < len(cal_days):  # a calendar review ends a block
            b = min(b, cal_days[nxt] + 1)
        blk = block(D, a, b, h, cash)
        fire = blk.fire
        if D.any_delay:  # a trade in stress may wait: day by day, up to the first that goes ahead
            for j in range(b - a):
                t = a + j
                wait = (D.delay > 0) & (D.reg[t] == 2) & (blk.d[j] <= s.delay_max_drift)
                want = fire[j] | pending
                since = np.where(want & wait & (since < 0), t, since)
                defer = want & wait & (t - since < D.delay)
                fire[j] = want & ~defer
                pending = defer
                since = np.where(defer, since, -1)
                if fire[j].any():
                    break
        hits = np.flatnonzero(fire.any(axis=1))
        j = int(hits[0]) if len(hits) else b - a
        drift[a:a + j] = blk.d[:j]
        values[a:a + j] = blk.V[:j]
        if not len(hits):
            h, a, span = blk.H[-1], b, min(2 * span, most)
            continue
        t = a + j
        h, V, wcur, d, thr_t = blk.H[j], blk.V[j], blk.wcur[j], blk.d[j], blk.thr[j]
        drift[t] = d
        w, cw = W[t], C[t]
        f = all_k[fire[j]]
        Vf, wf, cf = V[f], wcur[f], cash[f] / V[f]
        goal = np.repeat(w[None, :], len(f), axis=0)
        gcash = np.full(len(f), cw)
        hf, ef = D.half[f], D.edge[f]
        if hf.any():
            goal[hf] = 0.5 * (wf[hf] + w)
            gcash[hf] = 0.5 * (cf[hf] + cw)
        if ef.any():
            lam = np.minimum(1.0, thr_t[f][ef] / np.maximum(d[f][ef], 1e-300))
            goal[ef] = w + lam[:, None] * (wf[ef] - w)
            gcash[ef] = cw + lam * (cf[ef] - cw)
        frozen = None
        cf_mask = D.costc[f]
        if cf_mask.any():
            gap = (goal[cf_mask] - wf[cf_mask]) * Vf[cf_mask, None]
            cost_i = D.cost(gap, f[cf_mask], t) / Vf[cf_mask, None]
            benefit_i = D.benefit((wf[cf_mask] - w) ** 2 * D.sig_a[t] ** 2)
            frozen = np.zeros_like(goal, bool)
            frozen[cf_mask] = ~(benefit_i > s.benefit_multiple * cost_i)
        if D.adv is not None:
            move = np.abs(goal - wf)
            illiquid = (D.adv[t] < s.min_adv) | (move * Vf[:, None] * s.notional
                                                 > s.max_liquidity_days * s.participation * D.adv[t])
            illiquid &= move > 1e-12
            skipped[f] += illiquid.sum(axis=1)
            frozen = illiquid if frozen is None else frozen | illiquid
        if frozen is not None and frozen.any():
            fw = np.where(frozen, wf, 0.0).sum(axis=1)
            fg = np.where(frozen, goal, 0.0).sum(axis=1)
            scale = np.where(1.0 - fg > 1e-12, (1.0 - fw) / np.maximum(1.0 - fg, 1e-12), 0.0)
            ok = 1.0 - fg > 1e-12  # otherwise everything is frozen: no trade
            goal = np.where(frozen | ~ok[:, None], wf, goal * scale[:, None])
            gcash = np.where(ok, gcash * scale, cf)
        held = h[f]
        delta = goal * Vf[:, None] - held
        moved = np.abs(delta).sum(axis=1) > 1e-12 * Vf
        if moved.any():
            if not moved.all():
                f, delta, goal, gcash = f[moved], delta[moved], goal[moved], gcash[moved]
                Vf, held = Vf[moved], held[moved]
            cost = D.cost(delta, f, t).sum(axis=1)
            Vn = Vf - cost
            new = goal * Vn[:, None]
            h[f] = new
            cash[f] = gcash * Vn
            costs[t, f] = cost / Vf
            turnover[t, f] = 0.5 * np.abs(delta).sum(axis=1) / Vf
            rebalanced[t, f] = True
            if trades:
                ev_t.append(np.full(len(f), t))
                ev_k.append(f)
                ev_x.append(new - held)
            V = V.copy()
            V[f] = new.sum(axis=1) + cash[f]  # (the others' holdings and cash did not move)
        values[t] = V
        a = t + 1
        if not D.calendar_only:
            span = max(1, min(j + 1, most))
    final = h / (h.sum(axis=1) + cash)[:, None]
    return BacktestResult([c.spec for c in cfgs], D.c_rate * 1e4, index, list(prices.columns), values, target_values,
                          costs, turnover, rebalanced, drift, final, D.reg, skipped,
                          np.concatenate(ev_t) if ev_t else np.zeros(0, int),
                          np.concatenate(ev_k) if ev_k else np.zeros(0, int),
                          np.concatenate(ev_x) if ev_x else np.zeros((0, N)), W[0].copy())
