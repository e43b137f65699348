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
6. **impact simulation** (:mod:`rebal.proposal.simulation`): baseline vs projected, in-sample and
   walk-forward out-of-sample, net of costs;
7. **recommendation** (:mod:`rebal.proposal.recommend`): REBALANCE when the net improvement exceeds
   the threshold (5 %), OPTIONAL within ±5 %, HOLD when worse, BLOCKED when the limits cannot all
   hold; it uses the out-of-sample improvement (the in-sample one looks ahead). WARNING when the
   improvement is under 3 %; ALERTS for a correlation above 0.95 and drift above 15 %.

Steps 3-4 are :mod:`rebal.proposal.allocate`. A proposal's ``id`` is ``<profile>-<YYYYMMDD>-<hash>``,
the hash of its content (:mod:`rebal.proposal.serialize`): rebuilding it from the same data and
parameters gives the same id, so an approval (``rebal approve``) applies to exactly the numbers
that were reviewed, and ``--execute`` refuses once anything changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rebal.allocation.target import compute_target
from rebal.analytics.costs import CostModel, estimate_costs
from rebal.analytics.drift import drift_status, weights_from_holdings
from rebal.analytics.returns import simple_returns
from rebal.config import Profile
from rebal.data.freshness import check_freshness
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import ConfigError, DataError
from rebal.proposal import modes
from rebal.proposal.allocate import Allocation, propose_allocation
from rebal.proposal.recommend import recommend
from rebal.proposal.serialize import proposal_id
from rebal.proposal.simulation import Simulation, improvement, path_metrics, path_returns, walk_forward
from rebal.proposal.trades import TradeList, trade_list
from rebal.provenance import utc_stamp

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
    recommendation: str
    confidence: str
    warnings: list[str]
    alerts: list[str]
    notes: list[str]
    data: dict
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
        """True when the circuit breakers cannot all hold (recommendation BLOCKED)."""
        return self.recommendation == "BLOCKED"

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
                   simulate: bool = True) -> Proposal:
    """Build the proposal of ``profile`` as of ``as_of`` (default: the latest price date). Read-only."""
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
    px_all = view.prices(list(dict.fromkeys([*assets, *profile.tickers])))
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
    vol = view.prices(assets, field="volume").iloc[-20:]
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
    if simulate and not blocked:
        sim = _simulate(profile, lh, as_of, alloc, current, returns, costs, mode_requested)
    sleeves = alloc.after_mode.index
    current_checks = modes.check_limits(current.drop(CASH, errors="ignore").reindex(sleeves).fillna(0.0),
                                        alloc.clusters, profile.proposal.limits)
    rec, conf, warnings, alerts = recommend(profile, alloc, sim, tl, dres.portfolio_drift, current_checks)
    data = {"prices_latest": str(px.index[-1].date()), "holdings_date": str(snap),
            "target_method": target_w.method, "target_fitted_on": str(target_w.fitted_on),
            "target_window_start": str(target_w.window_start) if target_w.window_start else None,
            "synthetic_volume": bool(synthetic_volume)}
    p = Proposal(profile, as_of, mode_requested, snap, value, cash, current, alloc, dres.portfolio_drift,
                 dres.status.value, tl, costs, sim, rec, conf, warnings, alerts, notes + tl.notes, data)
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
              returns: pd.DataFrame, costs: dict, mode: str) -> Simulation:
    spec = profile.proposal
    rf = profile.target.risk_free_rate
    win = returns.iloc[-spec.simulation_days:]
    notes = []
    cost = costs["total_bps"] / 1e4
    base = path_returns(current, win)
    ins = path_returns(alloc.proposed, win, cost=cost)
    mb, mi = path_metrics(base, rf), path_metrics(ins, rf)
    imp_in = improvement(mb["sharpe"], mi["sharpe"], spec.sharpe_floor)
    sessions = lh.at(as_of).sessions()
    start = sessions[sessions < win.index[0]][-1]  # the session before the window: the first refit
    refits = [start, *win.index[spec.refit_every - 1:-1:spec.refit_every]]
    rate = costs["rate_bps_of_traded"] / 1e4 if costs["traded_value"] else 0.002
    if not costs["traded_value"]:
        notes.append("no trades today: walk-forward refits charged 20 bps of the value traded")

    def propose_at(d: date) -> pd.Series:
        t = compute_target(profile, lh, d).weights
        r = returns[returns.index <= pd.Timestamp(d)]
        return propose_allocation(profile, t, r, mode=mode, held=[]).proposed

    oos, log, mo, imp_oos = None, [], None, None
    try:
        wf, log = walk_forward(current, win, refits, propose_at, rate)
        if len(wf) == len(win):
            mo = path_metrics(wf, rf)
            imp_oos = improvement(mb["sharpe"], mo["sharpe"], spec.sharpe_floor)
            oos = wf
    except (DataError, ConfigError, ValueError) as exc:
        notes.append(f"out-of-sample estimate unavailable: {exc}")
    paths = pd.DataFrame({"baseline": (1 + base).cumprod(), "in_sample": (1 + ins).cumprod()})
    if oos is not None:
        paths["out_of_sample"] = (1 + oos).cumprod()
    return Simulation(win.index[0].date(), win.index[-1].date(), len(win), cost, mb, mi, mo, imp_in, imp_oos,
                      paths, log, notes)
