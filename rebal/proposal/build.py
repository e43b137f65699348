"""The rebalance proposal: from drift to a reviewed, limit-compliant trade list.

:func:`build_proposal` (read-only) for one profile as of a date:

1. **current** allocation: the latest holdings snapshot (shares and cash) valued at the as-of closes;
2. **target**: the profile's allocation strategy fitted on data up to the as-of date;
3. **mode** (profile default, ``--mode`` overrides) applied to the target's sleeves, see
   :mod:`rebal.proposal.modes`; the modes start from the target because the target is what drift is
   measured against (the spec's sleeves had no separate target, so its modes started from the
   current allocation). Correlations over ``correlation_days``; when they cannot be computed
   (too little data) the mode falls back to proportional and says so;
4. **circuit breakers**: every limit checked, adjusted and re-checked until all hold, or BLOCKED;
5. **trade list** in whole shares (:mod:`rebal.proposal.trades`) with the cost model of :mod:`rebal.analytics.costs`
   (spread + commission + square-root impact on 20-day dollar ADV, 60-day volatility);
6. **impact simulation** (:mod:`rebal.proposal.simulation`): the book as held on each date
   (:mod:`rebal.proposal.held_book`) vs the proposal, in-sample (look-ahead, labelled) and
   walk-forward out-of-sample from the book as held at the window start, net of costs; skipped
   when the limits cannot all hold or there is nothing to trade;
7. **simulation verdict** (:mod:`rebal.proposal.verdict`): IMPROVES / WITHIN NOISE / WORSENS /
   NOT SIMULATED from the out-of-sample Sharpe change against both ``improvement_threshold`` and
   its standard error (:mod:`rebal.proposal.noise`), with a one-line reason; infeasible limits
   are ``blocked`` instead. Beside it: the hard limits the current holdings break
   (``hard_breaches``), those the target itself breaks (``target_conflicts``: a configuration
   conflict, never a routine trade), WARNINGS (dust, marginal improvement) and ALERTS (a
   correlation above 0.95, drift above 15 %).

Steps 3-4 are :mod:`rebal.proposal.allocate`. A proposal's ``id`` is ``<profile>-<YYYYMMDD>-<hash>``,
the hash of its content (:mod:`rebal.proposal.serialize`): rebuilding it from the same data and
parameters gives the same id, so an approval (``rebal approve``) applies to exactly the numbers
that were reviewed, and ``--execute`` refuses once anything changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.allocation.target import compute_target
from rebal.analytics.costs import CostModel, estimate_costs
from rebal.analytics.drift import drift_status, weights_from_holdings
from rebal.analytics.returns import simple_returns
from rebal.cache import memoize
from rebal.config import Profile
from rebal.data.freshness import check_freshness
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import ConfigError, DataError
from rebal.proposal import modes
from rebal.proposal.allocate import Allocation, propose_allocation
from rebal.proposal.held_book import held_book
from rebal.proposal.noise import compare_sharpe
from rebal.proposal.serialize import proposal_id
from rebal.proposal.simulation import Simulation, path_metrics, path_returns, walk_forward
from rebal.proposal.trades import TradeList, trade_list
from rebal.proposal.verdict import flags, hard_breaches, simulation_verdict, target_conflicts
from rebal.provenance import utc_stamp

if TYPE_CHECKING:
    from rebal.monitor.state import StateStore

__all__ = ["Proposal", "build_proposal"]


@dataclass
class Proposal:
    """Everything ``rebal propose`` writes (see the module docstring)."""

    profile: Profile
    as_of: date
    mode_requested: str
    holdings_date: date
    value: float
    cash: float
    current: pd.Series
    allocation: Allocation
    drift: float
    drift_status: str
    trades: TradeList
    costs: dict
    simulation: Simulation | None
    #: the simulation verdict: IMPROVES / WITHIN NOISE / WORSENS / NOT SIMULATED, and why (one line)
    verdict: str
    verdict_reason: str
    warnings: list[str]
    alerts: list[str]
    notes: list[str]
    data: dict
    #: hard limits (total, cluster, single) the current holdings break, one line each with the numbers
    hard_breaches: list[str] = field(default_factory=list)
    #: hard limits the target itself breaks (a configuration conflict), one line each with the numbers
    target_conflicts: list[str] = field(default_factory=list)
    created_at: str = ""
    id: str = ""
    #: every limit checked on the current allocation (same sleeves and clusters as the proposal's)
    current_checks: pd.DataFrame | None = None
    #: the fitted allocator of the target (``mu_``, ``covariance_``, a Black-Litterman ``result_``...)
    target_model: object = None

    @property
    def proposed(self) -> pd.Series:
        """Proposed weights by ticker and ``CASH`` (fractions of value)."""
        return self.allocation.proposed

    @property
    def target(self) -> pd.Series:
        """Target weights by ticker and ``CASH`` (fractions of value)."""
        return self.allocation.target

    @property
    def blocked(self) -> bool:
        """True when the circuit breakers cannot all hold (no trades; the reason is the breaker's)."""
        return self.allocation.breaker.status == "BLOCKED"

    @property
    def baseline(self) -> str:
        """Which baseline the simulation compared with ("not simulated" without a simulation)."""
        return self.simulation.baseline_source if self.simulation is not None else "not simulated"

    @property
    def improvement(self) -> float | None:
        """The judged improvement: out-of-sample Sharpe change relative to max(|baseline|, floor), a fraction.

        None when the verdict is NOT SIMULATED. Its standard error is :attr:`improvement_se`; the
        Sharpe difference and its SE (annualised Sharpe units) are :attr:`sharpe_difference` and
        :attr:`sharpe_difference_se`.
        """
        c = self._judged()
        return c.relative if c is not None else None

    @property
    def improvement_se(self) -> float | None:
        """Standard error of :attr:`improvement` (fraction), SE(D) / max(|baseline|, floor)."""
        c = self._judged()
        return c.relative_se if c is not None else None

    @property
    def sharpe_difference(self) -> float | None:
        """Out-of-sample Sharpe ratio of the proposal minus the baseline's (annualised Sharpe units)."""
        c = self._judged()
        return c.difference if c is not None else None

    @property
    def sharpe_difference_se(self) -> float | None:
        """Jobson-Korkie-Memmel standard error of :attr:`sharpe_difference` (annualised Sharpe units)."""
        c = self._judged()
        return c.difference_se if c is not None else None

    def _judged(self):
        if self.verdict == "NOT SIMULATED" or self.simulation is None:
            return None
        return self.simulation.comparison_out_of_sample

    def changes(self, held_only: bool = False) -> pd.DataFrame:
        """Tabulate per asset: current, target, proposed, change (proposed - current) and the reason.

        Weights are fractions of value. ``held_only``: only rows with a weight of at least 0.005 %
        somewhere.
        """
        cur, tgt, mode_w, prop = self.current, self.target, self.allocation.after_mode, self.proposed
        idx = list(dict.fromkeys([*tgt.index, *cur.index, *prop.index]))
        idx = [a for a in idx if a != CASH] + [CASH]
        rows = []
        for a in idx:
            c, t, p = (float(s.get(a, 0.0)) for s in (cur, tgt, prop))
            m = float(mode_w.get(a, 0.0)) if a != CASH else None
            if a == CASH:
                why = "what is not deployed"
            else:
                parts = []
                if abs(p - c) <= 1e-9:
                    parts.append("unchanged")
                elif c == 0:
                    parts.append("new position")
                elif p == 0:
                    parts.append("exit")
                else:
                    parts.append("increase" if p > c else "decrease")
                if m is not None and abs(m - t) > 1e-9:
                    parts.append(f"{self.allocation.mode.replace('_', '-')} mode {t:.2%} -> {m:.2%}")
                if m is not None and abs(p - m) > 1e-9:
                    parts.append(f"circuit breakers {m:.2%} -> {p:.2%}")
                if len(parts) == 1 and abs(p - c) > 1e-9:
                    parts.append("back to target")
                why = "; ".join(parts)
            rows.append({"asset": a, "current": c, "target": t, "proposed": p, "change": p - c, "reason": why})
        out = pd.DataFrame(rows).set_index("asset")
        if held_only:
            out = out[out[["current", "target", "proposed"]].abs().max(axis=1) >= 5e-5]
        return out


def _cost_fn(dollar_adv: pd.Series | None, sigma: pd.Series | None, model: CostModel):
    def fn(trades: pd.Series) -> pd.Series:
        t = trades[trades != 0]
        if t.empty:
            return trades * 0.0
        frame, _ = estimate_costs(t, dollar_adv=dollar_adv, sigma_daily=sigma, model=model)
        return frame["cost_usd"].reindex(trades.index).fillna(0.0)
    return fn


def build_proposal(profile: Profile, lh: Lakehouse, as_of: date | None = None, *, mode: str | None = None,
                   simulate: bool = True, states: StateStore | None = None) -> Proposal:
    """Build the proposal of ``profile`` as of ``as_of`` (default: the latest price date). Read-only.

    ``states``: the accepted states the baseline may fall back on before the first holdings
    snapshot (default: the state files beside the lakehouse, ``<lakehouse dir>/states``).

    Memoized in the process (:mod:`rebal.cache`, keyed by the profile, the data, the date, the mode and
    the state files): the reports of one week share one proposal instead of building it three times.
    """
    if states is None:
        from rebal.monitor.state import StateStore

        states = StateStore(lh.path.parent / "states")
    return _build_proposal(profile, lh, as_of, mode=mode, simulate=simulate, states=states)


@memoize(32)
def _build_proposal(profile: Profile, lh: Lakehouse, as_of: date | None, *, mode: str | None, simulate: bool,
                    states: StateStore) -> Proposal:
    as_of = as_of or lh.at(None).latest_date()
    view = lh.at(as_of)
    spec = profile.proposal
    mode_requested = mode or spec.mode
    if mode_requested not in modes.MODES:
        raise ConfigError(f"--mode: unknown mode {mode_requested!r}; valid: {', '.join(modes.MODES)}")
    if not view.holdings_dates(profile.name):
        raise DataError(f"{profile.source}: no holdings for {profile.name!r} on or before {as_of}: a proposal "
                        "trades real shares; import them with `rebal data import holdings FILE`")
    snap, shares, cash = view.holdings(profile.name)
    shares = shares[shares != 0]
    target_w = compute_target(profile, lh, as_of)
    target = target_w.weights
    assets = list(dict.fromkeys([*shares.index, *target.drop(CASH, errors="ignore").index]))
    check_freshness(lh, assets, as_of, max_stale_sessions=profile.data.max_stale_sessions, source=profile.source)
    # the simulation window plus, before its first refit, enough history for correlations and costs
    need = spec.simulation_days + max(spec.correlation_days, spec.performance_days, 60) + 1
    # returns of the whole universe too: a walk-forward refit may pick a name neither held nor targeted today
    px_all = view.prices(list(dict.fromkeys([*assets, *profile.tickers])), last=need + 1)
    px = px_all.iloc[-(need + 1):]
    value_px = px[assets].ffill().iloc[-1]  # each asset's latest close (within the staleness limit)
    current = weights_from_holdings(shares, value_px, cash)
    value = cash + float((shares * value_px.reindex(shares.index)).sum())
    returns = simple_returns(px, fill="none").iloc[1:]

    alloc = propose_allocation(profile, target, returns, mode=mode_requested, held=list(shares.index))
    th = profile.drift
    dres = drift_status(current, target, rebalance=th.rebalance, urgent=th.urgent,
                        single_asset_urgent=th.single_asset_urgent)
    notes = list(alloc.notes)

    # costs: 20-day dollar ADV and 60-day daily volatility of each asset
    vol = view.prices(assets, field="volume", last=20)
    adv = (vol * px_all[assets].iloc[-20:]).mean()
    sig = returns[assets].iloc[-60:].std(ddof=1)
    have = bool(adv.notna().all() and (adv > 0).all() and sig.notna().all())
    model = CostModel(commission_bps=profile.planner.commission_bps,
                      impact_coefficient=profile.planner.impact_coefficient)
    cost_fn = _cost_fn(adv if have else None, sig if have else None, model)
    synthetic_volume = view.has_synthetic_ohlv(assets)

    blocked = alloc.breaker.status == "BLOCKED"
    if blocked:
        tl = TradeList(pd.DataFrame(columns=["ticker", "action", "shares", "price", "value", "reason", "est_cost"]),
                       shares, cash, value, 0.0, ["BLOCKED: no trades"])
    else:
        tl = trade_list(alloc.proposed, shares, value_px, cash, min_trade_value=spec.min_trade_value,
                        max_trades=spec.max_trades, cost_fn=cost_fn)
    costs = _cost_summary(tl, adv if have else None, sig if have else None, model, value)
    if synthetic_volume and have:
        notes.append("impact costs rest on the synthetic volume layer of the sample data (ohlv_synthetic)")
    if not have:
        notes.append("no dollar ADV or volatility for every asset: size-bucket cost estimates used")

    sim = None
    if simulate and not blocked and not tl.trades.empty:
        sim = _simulate(profile, lh, as_of, alloc, current, returns, costs, mode_requested, states)
    sleeves = alloc.after_mode.index
    current_checks = modes.check_limits(current.drop(CASH, errors="ignore").reindex(sleeves).fillna(0.0),
                                        alloc.clusters, profile.proposal.limits)
    verdict, reason = simulation_verdict(spec, sim, blocked=alloc.breaker.reason if blocked else None,
                                         no_trades=tl.trades.empty, min_trade_value=spec.min_trade_value)
    if not simulate and not blocked and not tl.trades.empty:
        reason = "no impact simulation was run (not requested)"
    warnings, alerts = flags(profile, alloc, sim, dres.portfolio_drift, current_checks)
    data = {"prices_latest": str(px.index[-1].date()), "holdings_date": str(snap),
            "target_method": target_w.method, "target_fitted_on": str(target_w.fitted_on),
            "target_window_start": str(target_w.window_start) if target_w.window_start else None,
            "synthetic_volume": bool(synthetic_volume)}
    p = Proposal(profile, as_of, mode_requested, snap, value, cash, current, alloc, dres.portfolio_drift,
                 dres.status.value, tl, costs, sim, verdict, reason, warnings, alerts, notes + tl.notes, data,
                 hard_breaches(current_checks), target_conflicts(alloc, spec.limits))
    p.target_model = target_w.model
    p.current_checks = current_checks
    p.created_at = utc_stamp()
    p.id = proposal_id(p)
    return p


def _cost_summary(tl: TradeList, adv, sig, model: CostModel, value: float) -> dict:
    t = tl.trades
    if t.empty:
        return {"traded_value": 0.0, "slippage_bps": 0.0, "commission_bps": 0.0, "total_bps": 0.0, "total_usd": 0.0,
                "slippage_usd": 0.0, "commission_usd": 0.0, "rate_bps_of_traded": 0.0, "basis": "no trades"}
    signed = pd.Series(np.where(t["action"] == "BUY", 1.0, -1.0) * t["value"].to_numpy(), index=t["ticker"])
    frame, _ = estimate_costs(signed, dollar_adv=adv, sigma_daily=sig, model=model)
    commission = float((signed.abs() * frame["commission_bps"]).sum() / 1e4)
    total = float(frame["cost_usd"].sum())
    traded = float(signed.abs().sum())
    return {"traded_value": traded, "slippage_bps": 1e4 * (total - commission) / value,
            "commission_bps": 1e4 * commission / value, "total_bps": 1e4 * total / value, "total_usd": total,
            "slippage_usd": total - commission, "commission_usd": commission,
            "rate_bps_of_traded": 1e4 * total / traded, "basis": str(frame["basis"].iloc[0])}


def _simulate(profile: Profile, lh: Lakehouse, as_of: date, alloc: Allocation, current: pd.Series,
              returns: pd.DataFrame, costs: dict, mode: str, states: StateStore | None) -> Simulation:
    spec = profile.proposal
    rf, floor = profile.target.risk_free_rate, spec.sharpe_floor
    win = returns.iloc[-spec.simulation_days:]
    notes = []
    cost = costs["total_bps"] / 1e4
    sessions = lh.at(as_of).sessions()
    start = sessions[sessions < win.index[0]][-1]  # the session before the window: the first refit
    book = held_book(lh.at(as_of), profile.name, win, start, current, states)
    notes += book.notes
    base = book.returns
    ins = path_returns(alloc.proposed, win, cost=cost)
    mb, mi = path_metrics(base, rf), path_metrics(ins, rf)
    cmp_in = compare_sharpe(ins, base, risk_free_rate=rf, floor=floor)
    refits = [start, *win.index[spec.refit_every - 1:-1:spec.refit_every]]
    rate = costs["rate_bps_of_traded"] / 1e4  # today's cost per dollar traded (the simulation needs trades)

    def propose_at(d: date) -> pd.Series:
        t = compute_target(profile, lh, d).weights
        r = returns[returns.index <= pd.Timestamp(d)]
        return propose_allocation(profile, t, r, mode=mode, held=[]).proposed

    oos, log, mo, cmp_oos = None, [], None, None
    try:
        wf, log = walk_forward(book.start_weights, win, refits, propose_at, rate)
        if len(wf) == len(win):
            mo = path_metrics(wf, rf)
            cmp_oos = compare_sharpe(wf, base, risk_free_rate=rf, floor=floor)
            oos = wf
    except (DataError, ConfigError, ValueError) as exc:
        notes.append(f"out-of-sample estimate unavailable: {exc}")
    paths = pd.DataFrame({"baseline": (1 + base).cumprod(), "in_sample": (1 + ins).cumprod()})
    if oos is not None:
        paths["out_of_sample"] = (1 + oos).cumprod()
    return Simulation(win.index[0].date(), win.index[-1].date(), len(win), cost, mb, mi, mo, cmp_in.relative,
                      cmp_oos.relative if cmp_oos is not None else None, paths, log, notes, book.label,
                      book.hindsight, cmp_in, cmp_oos)
