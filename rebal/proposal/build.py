"""The rebalance proposal: from drift to a reviewed, limit-compliant trade list, in named stages.

:func:`build_proposal` (read-only) for one profile as of a date:

1. **inputs** (:mod:`rebal.proposal.inputs`): the latest holdings snapshot (shares and cash) valued
   at the as-of closes, the target fitted on data up to the as-of date, returns, and the cost model's
   inputs (the planner's: 20-day dollar ADV, 60-day volatility);
2. **target -> mode -> circuit breakers** (:mod:`rebal.proposal.allocate`): the mode (profile default,
   ``--mode`` overrides) applied to the target's sleeves, then every hard limit checked, adjusted and
   re-checked until all hold, or BLOCKED; the modes start from the target because the target is what
   drift is measured against (the spec's sleeves had no separate target);
3. **breakers on the holdings** (:mod:`rebal.proposal.verdict`): the hard limits the current holdings
   break (``hard_breaches``) and those the target itself breaks (``target_conflicts``: a configuration
   conflict, never a routine trade);
4. **trades**: the full adoption in whole shares (:mod:`rebal.proposal.trades`), priced by the cost model,
   and its **tax** (:mod:`rebal.proposal.tax`: the lots each sell relieves, realised gains, the estimated
   tax; in the tax-aware mode the allocation and trades re-planned to spare tax); the **required remedial
   part** when a hard limit is broken now, and the **part-way** trade, both
   optima of one convex trade-off (:mod:`rebal.proposal.options`, :mod:`rebal.proposal.tradeoff`), with
   the target's **stability** (:mod:`rebal.proposal.stability`); the tax of each trade list (its realised
   gains enter the trade-off as a cost per dollar sold, :func:`rebal.proposal.tax.tax_sell_cost`);
5. **evidence**: the impact simulation (:mod:`rebal.proposal.replay`) against the book as held and
   its verdict (:mod:`rebal.proposal.verdict`): IMPROVES / WITHIN NOISE / WORSENS / NOT SIMULATED from the
   out-of-sample Sharpe difference and its standard error; WARNINGS and ALERTS;
6. **id**: ``<profile>-<YYYYMMDD>-<hash>``, the hash of what is signed (:func:`rebal.proposal.serialize.
   signed_content`: holdings, prices, target, parameters and every trade list), never of what is derived
   from it (the simulation, the verdict, the explanation): rebuilding from the same data and parameters
   gives the same id, with or without the simulation, so an approval (``rebal approve``) applies to
   exactly the numbers reviewed and ``--execute`` refuses once anything changed. The remedial part has
   its own id (``<profile>-<YYYYMMDD>-remedial-<hash>``), signed apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.analytics.costs import estimate_costs
from rebal.analytics.drift import drift_status
from rebal.cache import memoize
from rebal.config import Profile
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import ConfigError, DataError
from rebal.proposal import modes
from rebal.proposal.allocate import Allocation, propose_allocation
from rebal.proposal.inputs import ProposalInputs, read_inputs
from rebal.proposal.options import TradeOption, partway_option, remedial_option
from rebal.proposal.replay import simulate as simulate_proposal
from rebal.proposal.serialize import proposal_id, remedial_id
from rebal.proposal.simulation import Simulation, SimulationFigure
from rebal.proposal.stability import Stability, target_stability
from rebal.proposal.tax import ProposalTax, Replan, option_tax, tax_stage
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
    #: the required remedial trades (only when the holdings break a hard limit), with their own id
    remedial: TradeOption | None = None
    #: the optimal trade part of the way to the proposed allocation (see rebal.proposal.options)
    partway: TradeOption | None = None
    #: the target's stability (weekly turnover, weights on bounds, bootstrap spread)
    stability: Stability | None = None
    #: what the proposal read (holdings, prices, returns, covariance, cost inputs)
    inputs: ProposalInputs | None = None
    #: the tax consequences of the full adoption's trades (:mod:`rebal.proposal.tax`); the remedial and
    #: part-way trade lists carry their own (``remedial.tax``, ``partway.tax``)
    tax: ProposalTax | None = None

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
    def sharpe_difference(self) -> float | None:
        """Out-of-sample Sharpe ratio of the walk-forward strategy minus the baseline's (annualised), or None."""
        c = self._judged()
        return c.difference if c is not None else None

    @property
    def sharpe_difference_se(self) -> float | None:
        """Jobson-Korkie-Memmel standard error of :attr:`sharpe_difference` (annualised Sharpe units)."""
        c = self._judged()
        return c.difference_se if c is not None else None

    @property
    def figure(self) -> SimulationFigure | None:
        """The judged simulation figure in words (None when the verdict is NOT SIMULATED)."""
        if self._judged() is None:
            return None
        return self.simulation.figure(self.profile.proposal.noise_z)

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
                b = float(getattr(self.allocation, "plain", self.allocation).proposed.get(a, 0.0))  # before tax-aware
                if m is not None and abs(b - m) > 1e-9:
                    parts.append(f"circuit breakers {m:.2%} -> {b:.2%}")
                if abs(p - b) > 1e-9 and self.tax is not None and self.tax.aware is not None:
                    parts.append(self.tax.aware.plan.reasons.get(a, f"tax-aware {b:.2%} -> {p:.2%}"))
                if len(parts) == 1 and abs(p - c) > 1e-9:
                    parts.append("back to target")
                why = "; ".join(parts)
            rows.append({"asset": a, "current": c, "target": t, "proposed": p, "change": p - c, "reason": why})
        out = pd.DataFrame(rows).set_index("asset")
        if held_only:
            out = out[out[["current", "target", "proposed"]].abs().max(axis=1) >= 5e-5]
        return out


def build_proposal(profile: Profile, lh: Lakehouse, as_of: date | None = None, *, mode: str | None = None,
                   simulate: bool = True, states: StateStore | None = None, tax_aware: bool | None = None) -> Proposal:
    """Build the proposal of ``profile`` as of ``as_of`` (default: the latest price date). Read-only.

    ``tax_aware``: the tax-aware mode on or off (default: the profile's ``tax.aware.enabled``).

    ``states``: the accepted states the baseline may fall back on before the first holdings
    snapshot (default: the state files beside the lakehouse, ``<lakehouse dir>/states``).

    Memoized in the process (:mod:`rebal.cache`, keyed by the profile, the data, the date, the mode and
    the state files): the reports of one week share one proposal instead of building it three times.
    """
    if states is None:
        from rebal.monitor.state import StateStore

        states = StateStore(lh.path.parent / "states")
    return _build_proposal(profile, lh, as_of, mode=mode, simulate=simulate, states=states, tax_aware=tax_aware)


@memoize(32)
def _build_proposal(profile: Profile, lh: Lakehouse, as_of: date | None, *, mode: str | None, simulate: bool,
                    states: StateStore, tax_aware: bool | None = None) -> Proposal:
    as_of = as_of or lh.at(None).latest_date()
    spec = profile.proposal
    mode_requested = mode or spec.mode
    if mode_requested not in modes.MODES:
        raise ConfigError(f"--mode: unknown mode {mode_requested!r}; valid: {', '.join(modes.MODES)}")
    inp = read_inputs(profile, lh, as_of)                                                # 1. inputs
    alloc = propose_allocation(profile, inp.target.weights, inp.returns, mode=mode_requested,
                               held=list(inp.shares.index))                              # 2. target -> breakers
    sleeves = alloc.after_mode.index
    current_checks = modes.check_limits(inp.current.drop(CASH, errors="ignore").reindex(sleeves).fillna(0.0),
                                        alloc.clusters, spec.limits)                     # 3. breakers on holdings
    breaches = hard_breaches(current_checks)
    tl, costs, notes = _full_trades(inp, alloc)                                          # 4. trades
    # its tax: lots relieved, gains realised, the estimated tax; tax-aware: allocation and trades re-planned
    alloc, tl, costs, tax = tax_stage(profile, lh.at(as_of), as_of, alloc, tl, costs, inp.returns, _replan(inp),
                                      tax_aware=tax_aware, history=inp.tax.history if inp.tax else None)
    blocked = alloc.breaker.status == "BLOCKED"
    stability, remedial, partway = _options(inp, lh, alloc, breaches, notes)
    sim = None                                                                           # 5. evidence
    if simulate and not blocked and not tl.trades.empty:
        sim = simulate_proposal(inp, lh, alloc, costs, mode_requested, states)
    verdict, reason = simulation_verdict(spec, sim, blocked=alloc.breaker.reason if blocked else None,
                                         no_trades=tl.trades.empty, min_trade_value=spec.min_trade_value)
    if not simulate and not blocked and not tl.trades.empty:
        reason = "no impact simulation was run (not requested)"
    th = profile.drift
    dres = drift_status(inp.current, inp.target.weights, rebalance=th.rebalance, urgent=th.urgent,
                        single_asset_urgent=th.single_asset_urgent)
    warnings, alerts = flags(profile, alloc, sim, dres.portfolio_drift, current_checks)
    p = Proposal(profile, as_of, mode_requested, inp.holdings_date, inp.value, inp.cash, inp.current, alloc,
                 dres.portfolio_drift, dres.status.value, tl, costs, sim, verdict, reason, warnings, alerts,
                 notes + tl.notes, _data(inp), breaches, target_conflicts(alloc, spec.limits))
    p.target_model, p.current_checks, p.created_at = inp.target.model, current_checks, utc_stamp()
    p.remedial, p.partway, p.stability, p.inputs, p.tax = option_tax(inp, remedial), option_tax(inp, partway), \
        stability, inp, tax
    if remedial is not None:                                                             # 6. ids
        p.remedial = replace(p.remedial, id=remedial_id(p))  # keep the tax option_tax set
    p.id = proposal_id(p)
    return p


def _replan(inp: ProposalInputs) -> Replan:
    """How this proposal builds a trade list and its costs (the tax-aware mode rebuilds both with it)."""
    spec = inp.profile.proposal

    def liquid(adv, sig) -> ProposalInputs:
        return replace(inp, adv=adv, sigma=sig)
    return Replan(lambda w, px, fn: trade_list(w, inp.shares, px, inp.cash, min_trade_value=spec.min_trade_value,
                                               max_trades=spec.max_trades, cost_fn=fn),
                  lambda t, a, s: _cost_summary(t, liquid(a, s)), lambda a, s: liquid(a, s).cost_fn(),
                  inp.adv, inp.sigma, inp.prices, inp.current, inp.value)


def _data(inp: ProposalInputs) -> dict:
    tw = inp.target
    return {"prices_latest": str(inp.prices_latest), "holdings_date": str(inp.holdings_date),
            "target_method": tw.method, "target_fitted_on": str(tw.fitted_on),
            "target_window_start": str(tw.window_start) if tw.window_start else None,
            "synthetic_volume": bool(inp.synthetic_volume)}


def _full_trades(inp: ProposalInputs, alloc: Allocation) -> tuple[TradeList, dict, list[str]]:
    """Stage 4a: the whole-share trades of the full adoption, their cost summary, and notes on the cost inputs."""
    notes = list(alloc.notes)
    spec = inp.profile.proposal
    if alloc.breaker.status == "BLOCKED":
        tl = TradeList(pd.DataFrame(columns=["ticker", "action", "shares", "price", "value", "reason", "est_cost"]),
                       inp.shares, inp.cash, inp.value, 0.0, ["BLOCKED: no trades"])
    else:
        tl = trade_list(alloc.proposed, inp.shares, inp.prices, inp.cash, min_trade_value=spec.min_trade_value,
                        max_trades=spec.max_trades, cost_fn=inp.cost_fn())
    costs = _cost_summary(tl, inp)
    if inp.synthetic_volume and inp.have_liquidity:
        notes.append("impact costs rest on the synthetic volume layer of the sample data (ohlv_synthetic)")
    if not inp.have_liquidity:
        notes.append("no dollar ADV or volatility for every asset: size-bucket cost estimates used")
    return tl, costs, notes


def _options(inp: ProposalInputs, lh: Lakehouse, alloc: Allocation, breaches: list[str], notes: list[str]
             ) -> tuple[Stability | None, TradeOption | None, TradeOption | None]:
    """Stage 4b: the target's stability, the remedial part and the part-way trade."""
    try:
        stability = target_stability(inp.profile, lh, inp.as_of)
    except (DataError, ConfigError) as exc:
        stability = None
        notes.append(f"target stability not measured: {exc}")
    if alloc.breaker.status == "BLOCKED":
        return stability, None, None
    try:
        remedial = remedial_option(inp, alloc, breaches)
    except DataError as exc:
        remedial = None
        notes.append(f"no remedial trade found: {exc}")
    return stability, remedial, partway_option(inp, alloc, stability)


def _cost_summary(tl: TradeList, inp: ProposalInputs) -> dict:
    t, value = tl.trades, inp.value
    if t.empty:
        return {"traded_value": 0.0, "slippage_bps": 0.0, "commission_bps": 0.0, "total_bps": 0.0, "total_usd": 0.0,
                "slippage_usd": 0.0, "commission_usd": 0.0, "rate_bps_of_traded": 0.0, "basis": "no trades"}
    signed = pd.Series(np.where(t["action"] == "BUY", 1.0, -1.0) * t["value"].to_numpy(), index=t["ticker"])
    frame, _ = estimate_costs(signed, dollar_adv=inp.adv, sigma_daily=inp.sigma, model=inp.model)
    commission = float((signed.abs() * frame["commission_bps"]).sum() / 1e4)
    total = float(frame["cost_usd"].sum())
    traded = float(signed.abs().sum())
    return {"traded_value": traded, "slippage_bps": 1e4 * (total - commission) / value,
            "commission_bps": 1e4 * commission / value, "total_bps": 1e4 * total / value, "total_usd": total,
            "slippage_usd": total - commission, "commission_usd": commission,
            "rate_bps_of_traded": 1e4 * total / traded, "basis": str(frame["basis"].iloc[0])}
