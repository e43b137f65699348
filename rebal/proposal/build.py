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
7. **recommendation**: REBALANCE when the net improvement exceeds the threshold (5 %), OPTIONAL
   within ±5 %, HOLD when worse, BLOCKED when the limits cannot all hold; it uses the
   out-of-sample improvement (the in-sample one looks ahead). WARNING when the improvement is
   under 3 %; ALERTS for a correlation above 0.95 and drift above 15 %.

A proposal's ``id`` is ``<profile>-<YYYYMMDD>-<hash>``, the hash of its content: rebuilding it
from the same data and parameters gives the same id, so an approval (``rebal approve``) applies
to exactly the numbers that were reviewed, and ``--execute`` refuses once anything changed.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from rebal.proposal import modes
from rebal.config import Profile
from rebal.analytics.costs import CostModel, estimate_costs
from rebal.analytics.measures import annualise_vol, sharpe_ratio
from rebal.analytics.returns import simple_returns
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.analytics.drift import drift_status, weights_from_holdings
from rebal.errors import ConfigError, DataError
from rebal.fileio import atomic_write_json
from rebal.allocation.target import compute_target
from rebal.data.freshness import check_freshness
from rebal.provenance import utc_stamp
from rebal.proposal.simulation import Simulation, improvement, path_metrics, path_returns, walk_forward
from rebal.proposal.trades import TradeList, trade_list

__all__ = ["Proposal", "Allocation", "build_proposal", "propose_allocation", "proposal_json", "explain",
           "write_proposal"]



@dataclass
class Allocation:
    """A mode's proposal after the circuit breakers, for one date."""

    target: pd.Series      # the strategy's target (incl. CASH)
    after_mode: pd.Series  # sleeves after the mode (no CASH)
    breaker: modes.BreakerResult
    mode: str              # the mode used (after any fallback)
    correlation: pd.DataFrame | None
    clusters: list[list[str]]
    notes: list[str] = field(default_factory=list)

    @property
    def proposed(self) -> pd.Series:
        """Proposed weights of portfolio value, with CASH = 1 - deployed."""
        w = self.breaker.allocation[self.breaker.allocation > 1e-12]
        return pd.concat([w, pd.Series({CASH: max(0.0, 1.0 - float(w.sum()))})]).rename("proposed")


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
        return self.allocation.proposed

    @property
    def target(self) -> pd.Series:
        return self.allocation.target

    @property
    def blocked(self) -> bool:
        return self.recommendation == "BLOCKED"

    def changes(self, held_only: bool = False) -> pd.DataFrame:
        """Per asset: current, target, proposed, change (proposed - current) and the reason;
        ``held_only``: only rows with a weight of at least 0.005 % somewhere."""
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


# ---------------------------------------------------------------------------------------------
# allocation: target -> mode -> circuit breakers


def propose_allocation(profile: Profile, target: pd.Series, returns: pd.DataFrame, *, mode: str,
                       held: list[str] = ()) -> Allocation:
    """Apply ``mode`` and the circuit breakers to ``target`` (incl. CASH) with ``returns`` up to the day.

    The sleeves are the target's assets with a positive weight plus those ``held``.
    """
    spec, lim = profile.proposal, profile.proposal.limits
    if mode not in modes.MODES:
        raise ConfigError(f"--mode: unknown mode {mode!r}; valid: {', '.join(modes.MODES)}")
    base = target.drop(CASH, errors="ignore")
    sleeves = list(dict.fromkeys([*base.index[base > 0], *held]))
    base = base.reindex(sleeves).fillna(0.0).astype(float)
    notes: list[str] = []
    corr, clusters = None, []
    window = returns.reindex(columns=sleeves).iloc[-spec.correlation_days:]
    if len(sleeves) < 2:
        notes.append("one sleeve: no correlations, no clusters")
    elif len(window) < spec.correlation_days or window.isna().any().any():
        bad = window.columns[window.isna().any()].tolist()
        why = f"missing returns for {', '.join(bad[:3])}" if bad else f"only {len(window)} sessions"
        notes.append(f"correlation unavailable ({why} in the {spec.correlation_days}-session window): "
                     "cluster limit not checked" + (f"; {mode.replace('_', '-')} mode fell back to proportional"
                                                    if mode != "proportional" else ""))
        mode = "proportional"
    else:
        corr = window.corr()
        if corr.isna().any().any():  # a flat series has no correlation
            notes.append("correlation undefined for a constant series: cluster limit not checked; fell back to proportional")
            corr, mode = None, "proportional"
        else:
            clusters = modes.correlation_clusters(corr, lim.high_corr)
    live = base[base > 0]
    perf = returns.reindex(columns=list(live.index)).iloc[-spec.performance_days:]
    if mode == "proportional":
        after = modes.proportional(base, lim)
    elif mode == "correlation_aware":
        after = modes.correlation_aware(base, corr, lim)
    elif mode == "performance_weighted":
        sharpe = sharpe_ratio(perf.dropna(axis=1))
        after = modes.performance_weighted(base, sharpe, lim, spec.performance_shift)
    else:  # risk_adjusted
        vol = annualise_vol(perf.std(ddof=1))
        if vol.isna().any() or (vol <= 0).any() or len(live) == 0:
            notes.append("volatility unavailable for a sleeve: risk-adjusted mode fell back to proportional")
            mode, after = "proportional", modes.proportional(base, lim)
        else:
            after = base.copy()
            after[live.index] = modes.risk_adjusted(live, vol, lim)
    breaker = modes.enforce_limits(after, clusters, lim)
    return Allocation(target, after, breaker, mode, corr, clusters, notes)


# ---------------------------------------------------------------------------------------------
# the proposal


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
    model = CostModel(commission_bps=profile.planner.commission_bps, impact_coefficient=profile.planner.impact_coefficient)
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
    rec, conf, warnings, alerts = _recommend(profile, alloc, sim, tl, dres.portfolio_drift, current_checks)
    data = {"prices_latest": str(px.index[-1].date()), "holdings_date": str(snap),
            "target_method": target_w.method, "target_fitted_on": str(target_w.fitted_on),
            "target_window_start": str(target_w.window_start) if target_w.window_start else None,
            "synthetic_volume": bool(synthetic_volume)}
    p = Proposal(profile, as_of, mode_requested, snap, value, cash, current, alloc, dres.portfolio_drift,
                 dres.status.value, tl, costs, sim, rec, conf, warnings, alerts, notes + tl.notes, data)
    p.target_model = target_w.model
    p.current_checks = current_checks
    p.created_at = utc_stamp()
    p.id = _proposal_id(p)
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


def _recommend(profile: Profile, alloc: Allocation, sim: Simulation | None, tl: TradeList, drift: float,
               current_checks: pd.DataFrame) -> tuple[str, str, list[str], list[str]]:
    spec = profile.proposal
    warnings: list[str] = []
    alerts: list[str] = []
    if alloc.correlation is not None:
        c = alloc.correlation.to_numpy(copy=True)
        np.fill_diagonal(c, np.nan)
        if np.nanmax(np.abs(c)) > spec.correlation_alert:
            i, j = np.unravel_index(np.nanargmax(np.abs(c)), c.shape)
            names = alloc.correlation.index
            alerts.append(f"correlation spike: {names[i]} / {names[j]} at {c[i, j]:.2f} > {spec.correlation_alert:.2f}")
    if drift > spec.drift_alert:
        alerts.append(f"drift {drift:.1%} exceeds {spec.drift_alert:.0%}: severe imbalance")
    if alloc.breaker.status == "BLOCKED":
        alerts.append(f"circuit breaker violation unresolved: {alloc.breaker.reason}; manual action needed")
        return "BLOCKED", "HIGH", warnings, alerts
    if tl.trades.empty:
        return "HOLD", "HIGH", ["nothing to trade: every trade is below the minimum trade value"], alerts
    thr = spec.improvement_threshold
    imp = sim.decision_improvement if sim is not None else float("nan")

    def verdict(x: float) -> str:
        return "REBALANCE" if x > thr else "OPTIONAL" if x >= -thr else "HOLD"

    rec = verdict(imp)
    fails = current_checks[current_checks["status"] == "FAIL"]
    dust = fails[fails["check"].str.startswith("minimum")]
    if len(dust):
        warnings.append(f"{len(dust)} current position(s) under the {spec.limits.min_allocation:.0%} minimum "
                        f"({', '.join(dust['item'][:6])}): the proposal closes or resizes them")
    breaches = fails[~fails["check"].str.startswith("minimum")]
    if len(breaches):
        what = "; ".join(f"{r.check} {r.item} {r.proposed:.1%} > {r.limit:.0%}" for r in breaches.itertuples())
        warnings.append(f"the current allocation breaches {len(breaches)} hard limit(s) ({what}): rebalancing is "
                        f"required whatever the projected improvement ({imp:+.1%})")
        return "REBALANCE", "HIGH", warnings, alerts
    if sim is None:
        warnings.append("no impact simulation was run: the recommendation rests on the limits only")
        return "OPTIONAL", "LOW", warnings, alerts
    if sim.improvement_out_of_sample is None:
        warnings.append("no out-of-sample estimate: the recommendation rests on the in-sample projection (look-ahead)")
        conf = "LOW"
    else:
        conf = "HIGH" if verdict(sim.improvement_in_sample) == rec else "MEDIUM"
        if verdict(sim.improvement_in_sample) != rec:
            warnings.append(f"in-sample ({sim.improvement_in_sample:+.1%}) and out-of-sample ({imp:+.1%}) disagree; "
                            "the recommendation follows the out-of-sample estimate")
    if rec != "HOLD" and imp < spec.marginal_threshold:
        warnings.append(f"projected improvement {imp:+.1%} is under {spec.marginal_threshold:.0%}: marginal benefit")
    return rec, conf, warnings, alerts


# ---------------------------------------------------------------------------------------------
# serialisation


def _num(x):
    if x is None:
        return None
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return round(x, 10) if math.isfinite(x) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def _series(s: pd.Series) -> dict:
    return {str(k): _num(v) for k, v in s.items()}


def proposal_json(p: Proposal, *, with_id: bool = True) -> dict:
    """The proposal as plain types (what ``proposal.json`` holds)."""
    a, b = p.allocation, p.allocation.breaker
    doc = {
        "profile": p.profile.name, "as_of": str(p.as_of), "mode": a.mode, "mode_requested": p.mode_requested,
        "status": "BLOCKED" if p.blocked else "PROPOSED", "recommendation": p.recommendation,
        "confidence": p.confidence, "value": _num(p.value), "cash": _num(p.cash),
        "drift": {"portfolio": _num(p.drift), "status": p.drift_status},
        "current": _series(p.current), "target": _series(p.target), "proposed": _series(p.proposed),
        "changes": [{"asset": k, **{c: _num(v) for c, v in r.items()}} for k, r in p.changes().iterrows()],
        "limits": {"status": b.status, "reason": b.reason, "iterations": b.iterations, "adjustments": b.adjustments,
                   "checks": [{k: _num(v) for k, v in r.items()} for r in b.checks.to_dict("records")],
                   "parameters": {k: _num(v) for k, v in vars(p.profile.proposal.limits).items()}},
        "clusters": a.clusters,
        "costs": {k: _num(v) for k, v in p.costs.items()},
        "trades": [{k: _num(v) for k, v in r.items()} for r in p.trades.trades.to_dict("records")],
        "cash_after": _num(p.trades.cash_after),
        "recommendation_detail": {"warnings": p.warnings, "alerts": p.alerts},
        "notes": p.notes, "data": p.data,
    }
    if p.simulation is not None:
        s = p.simulation
        doc["simulation"] = {
            "window": {"start": str(s.start), "end": str(s.end), "sessions": s.n_days},
            "baseline": {k: _num(v) for k, v in s.baseline.items()},
            "in_sample": {k: _num(v) for k, v in s.in_sample.items()},
            "out_of_sample": {k: _num(v) for k, v in s.out_of_sample.items()} if s.out_of_sample else None,
            "improvement_in_sample": _num(s.improvement_in_sample),
            "improvement_out_of_sample": _num(s.improvement_out_of_sample),
            "refits": [{k: (str(v) if isinstance(v, date) else _num(v)) for k, v in r.items()} for r in s.refits],
            "notes": s.notes,
        }
    doc["explanation"] = explain(p)
    if with_id:
        doc = {"id": p.id, "created_at": p.created_at, **doc}
    return doc


def _proposal_id(p: Proposal) -> str:
    body = json.dumps(proposal_json(p, with_id=False), sort_keys=True, default=str)
    digest = hashlib.sha256(body.encode()).hexdigest()[:10]
    return f"{p.profile.name}-{p.as_of:%Y%m%d}-{digest}"


def write_proposal(p: Proposal, reports_dir: Path) -> Path:
    """Write ``reports/<as_of>/<profile>/proposal.json`` atomically; return its path."""
    out = Path(reports_dir) / str(p.as_of) / p.profile.name / "proposal.json"
    return atomic_write_json(out, proposal_json(p), indent=2, default=str)


# ---------------------------------------------------------------------------------------------
# natural-language explanation (generated from the numbers, no external service)


def explain(p: Proposal) -> str:
    """A plain-English paragraph per topic, generated from the proposal's numbers."""
    a, b = p.allocation, p.allocation.breaker
    deployed_now = 1.0 - float(p.current.get(CASH, 0.0))
    deployed_new = 1.0 - float(p.proposed.get(CASH, 0.0))
    out = [f"{p.profile.name} is worth ${p.value:,.0f} as of {p.as_of}, {deployed_now:.1%} deployed. It has drifted "
           f"{p.drift:.1%} from its {p.data['target_method'].replace('_', ' ')} target (status {p.drift_status})."]
    how = f"The {a.mode.replace('_', '-')} mode"
    if a.mode != p.mode_requested:
        how += f" (requested {p.mode_requested.replace('_', '-')}, which fell back)"
    changed = [c for c in a.after_mode.index if abs(a.after_mode[c] - float(a.target.get(c, 0.0))) > 1e-9]
    how += (f" changed {len(changed)} of {len(a.after_mode)} sleeves from the target" if changed
            else " kept the target as it is")
    if a.clusters:
        cl = "; ".join(" + ".join(c) for c in a.clusters)
        how += f"; correlated clusters (above {p.profile.proposal.limits.high_corr:.2f}): {cl}"
    out.append(how + ".")
    if b.status == "BLOCKED":
        out.append(f"The proposal is BLOCKED: {b.reason}. No trades are proposed; manual action is needed.")
        return " ".join(out)
    if b.adjustments:
        out.append(f"The circuit breakers adjusted it in {b.iterations} round(s): " + "; ".join(b.adjustments[:4])
                   + ("; ..." if len(b.adjustments) > 4 else "") + ".")
    else:
        out.append("Every circuit breaker held without adjustment.")
    n = len(p.trades.trades)
    out.append(f"The proposal deploys {deployed_new:.1%} and needs {n} trade(s) worth "
               f"${p.costs['traded_value']:,.0f}, at an estimated cost of {p.costs['total_bps']:.1f} bps of the "
               f"portfolio (${p.costs['total_usd']:,.0f}).")
    s = p.simulation
    if s is not None:
        txt = (f"Over the last {s.n_days} sessions, holding the current allocation gave a Sharpe ratio of "
               f"{s.baseline['sharpe']:.2f}; the proposal, net of costs, {s.in_sample['sharpe']:.2f} in-sample "
               f"({s.improvement_in_sample:+.1%}, flattered by look-ahead)")
        if s.out_of_sample is not None:
            txt += (f" and {s.out_of_sample['sharpe']:.2f} out-of-sample with walk-forward refits "
                    f"({s.improvement_out_of_sample:+.1%})")
        out.append(txt + ".")
    out.append(f"Recommendation: {p.recommendation} (confidence {p.confidence}).")
    if p.warnings:
        out.append("Warnings: " + "; ".join(p.warnings) + ".")
    if p.alerts:
        out.append("Alerts: " + "; ".join(p.alerts) + ".")
    return " ".join(out)


# ---------------------------------------------------------------------------------------------
# efficient frontier of the profile's universe, with the current, target and proposed portfolios


def frontier(p: Proposal, lh: Lakehouse, points: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long-only efficient frontier of the profile's universe under the profile's bounds
    (EW means, Ledoit-Wolf; annual), and the (vol, ret) of the current, target and proposed
    portfolios and of each asset under the same estimates (cash: zero return, zero risk)."""
    from rebal.allocation.mean_variance import MeanVariance, efficient_frontier

    spec = p.profile.target
    held = [a for a in p.current.index if a != CASH]
    universe = list(dict.fromkeys([*p.profile.tickers, *held,
                                   *[a for a in p.proposed.index if a != CASH]]))
    px = lh.at(p.as_of).prices(universe).iloc[-(spec.lookback_days + 1):]
    rets = simple_returns(px, fill="none").iloc[1:].dropna(axis=1)
    mv = MeanVariance(half_life=spec.half_life)
    mu, cov = mv.estimate(rets)
    lo = spec.min_weight if spec.method in ("min_variance", "max_sharpe", "black_litterman") else 0.0
    hi = spec.max_weight if spec.method in ("min_variance", "max_sharpe", "black_litterman") else 1.0
    if hi * len(mu) < 1.0:
        lo, hi = 0.0, 1.0
    fr = efficient_frontier(mu, cov, min_weight=lo, max_weight=hi, points=points)

    def point(w: pd.Series) -> tuple[float, float]:
        x = w.drop(CASH, errors="ignore").reindex(mu.index).fillna(0.0).to_numpy()
        return float(mu.to_numpy() @ x), float(np.sqrt(x @ cov.to_numpy() @ x))

    rows = [{"name": n, "kind": "portfolio", "ret": point(w)[0], "vol": point(w)[1]}
            for n, w in (("current", p.current), ("target", p.target), ("proposed", p.proposed))]
    rows += [{"name": a, "kind": "asset", "ret": float(mu[a]), "vol": float(np.sqrt(cov.loc[a, a]))} for a in mu.index]
    return fr, pd.DataFrame(rows)
