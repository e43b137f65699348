"""The proposal's other trade lists: the required remedial part, and the part-way trade towards the target.

Both are optima of the one trade-off problem of :mod:`rebal.proposal.tradeoff`, with the proposal's
own inputs (covariance of 252 sessions, the cost model of :mod:`rebal.proposal.inputs`, the hard
limits and correlated clusters of its circuit breakers) and towards its proposed allocation (the
target after the mode and the circuit breakers, which meets every hard limit):

- **remedial** (only when the current holdings break a hard limit): the smallest trades by value that
  bring the holdings within every hard limit, moving towards the proposed allocation and never away
  from it (:func:`~rebal.proposal.tradeoff.remedial_weights`). Required whatever is decided on the
  target: it is identified (its own id) and signed apart;
- **part-way**: min ½ λ H TE² + costs, towards the proposed allocation, within the hard limits (the
  no-trade band is this problem's answer with linear costs). For an unstable target
  (:mod:`rebal.proposal.stability`) the problem aims at c + f (t − c) instead of t, with f the share of
  the move that is signal, S / (S + N): S the squared tracking error of the move, N that of the
  target's sampling noise (its bootstrap); ``recommendation.partway_fraction`` when no bootstrap can say.

Trades are whole shares (:func:`delta_trades`): each asset that moves gets the whole shares that keep
it at or below its optimal weight of the value net of costs, so the hard limits hold after trading; an
asset whose weight does not change does not trade.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH
from rebal.errors import DataError
from rebal.proposal.inputs import ProposalInputs
from rebal.proposal.modes import check_limits
from rebal.proposal.stability import Stability
from rebal.proposal.tax_text import tax_json
from rebal.proposal.tradeoff import Tradeoff, remedial_weights, solve_tradeoff
from rebal.proposal.trades import TradeList

__all__ = ["TradeOption", "remedial_option", "partway_option", "delta_trades", "signal_share"]

_COLS = ["ticker", "action", "shares", "price", "value", "reason", "est_cost", "current_shares", "target_shares",
         "weight_before", "weight_target", "weight_after"]
_MIN_CHANGE = 1e-7  # a weight change smaller than this (fraction of value) is no trade


@dataclass(frozen=True)
class TradeOption:
    """One trade list of a proposal besides its full adoption (see the module docstring).

    ``weights`` are the optimal weights (CASH included); ``trades`` the whole-share orders; ``toward``
    the share f of the way the problem aimed at; ``te_removed`` the share of the tracking-error variance
    to the proposed allocation the trade removes; ``limits_ok`` whether every hard limit holds after it.
    """

    kind: str
    weights: pd.Series
    trades: TradeList
    cost_usd: float
    traded_value: float
    te_before: float
    te_after: float
    toward: float
    limits_ok: bool
    notes: tuple[str, ...] = field(default_factory=tuple)
    id: str = ""
    #: the tax consequences of these trades (:class:`rebal.proposal.tax.ProposalTax`), set by the proposal
    tax: object = None

    @property
    def te_removed(self) -> float:
        """1 − TE_after² / TE_before² (0 when there was no tracking error)."""
        return 0.0 if self.te_before <= 0 else 1.0 - (self.te_after / self.te_before) ** 2

    def to_json(self) -> dict:
        """Plain types (the trades as records)."""
        def num(x):
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else round(float(x), 10)
        return {"kind": self.kind, "id": self.id, "trades": [{k: (num(v) if isinstance(v, (float, np.floating)) else v)
                                                            for k, v in r.items()}
                                                           for r in self.trades.trades.to_dict("records")],
                "n_trades": int(len(self.trades.trades)), "traded_value": num(self.traded_value),
                "cost_usd": num(self.cost_usd), "te_before": num(self.te_before), "te_after": num(self.te_after),
                "te_removed": num(self.te_removed), "toward": num(self.toward), "limits_ok": self.limits_ok,
                "weights": {k: num(v) for k, v in self.weights.items()}, "notes": list(self.notes),
                "tax": tax_json(self.tax)}


def _orders(inp: ProposalInputs, after: pd.Series, required: set[str], min_trade_value: float
            ) -> tuple[pd.Series, list[str]]:
    """Whole-share changes towards the weights ``after`` (assets only), see :func:`delta_trades`."""
    px = inp.prices.reindex(after.index)
    held = inp.shares.reindex(after.index).fillna(0.0)
    moving = (after - inp.current.reindex(after.index).fillna(0.0)).abs() >= _MIN_CHANGE
    net = inp.value
    for _ in range(2):  # size on the value net of the costs of a first pass, so weights stay at or below `after`
        goal = np.floor(after * net / px + 1e-9)
        n = (goal - held).where(moving, 0.0)
        net = inp.value - float(inp.cost_fn()(n * px).sum())
    notes = []
    for a in n.index[n != 0]:
        if after[a] <= _MIN_CHANGE:
            n[a] = -held[a]  # an exit sells the whole position
        elif abs(n[a]) * px[a] < min_trade_value and a not in required:
            notes.append(f"{a}: trade of ${abs(n[a]) * px[a]:,.0f} below the minimum ${min_trade_value:,.0f}: skipped")
            n[a] = 0.0
    return n, notes


def delta_trades(inp: ProposalInputs, after: pd.Series, *, required: set[str] = frozenset(),
                 min_trade_value: float = 0.0) -> TradeList:
    """Whole-share trades from the current holdings to the weights ``after`` (see the module docstring).

    ``required``: assets whose trades are never skipped for being small (a hard limit's sells). Cash
    never goes negative, and keeps the estimated cost once more as a reserve (fills are priced on the
    day's volume, not the 20-day average the estimate uses): buys are cut, the largest first, by the shortfall.
    """
    w = after.drop(CASH, errors="ignore")
    px, cost_fn = inp.prices.reindex(w.index), inp.cost_fn()
    n, notes = _orders(inp, w, set(required), min_trade_value)
    while True:
        costs = cost_fn(n * px)
        cash_end = inp.cash - float((n * px).sum()) - float(costs.sum())
        short = float(costs.sum()) - cash_end  # keep one more estimated cost in reserve
        buys = n[n > 0]
        if short <= 1e-9 or buys.empty:
            break
        a = (buys * px[buys.index]).idxmax()
        n[a] = max(0.0, n[a] - max(1.0, math.ceil(short / px[a])))
        if f"{a}: buy cut" not in " ".join(notes):
            notes.append(f"{a}: buy cut to keep the estimated cost in cash as a reserve for the fills")
    held = inp.shares.reindex(w.index).fillna(0.0)
    after_shares = held + n
    value_after = cash_end + float((after_shares * px).sum())
    rows = []
    for a in w.index[n != 0]:
        reason = ("new_position" if held[a] == 0 else "exit_position" if after_shares[a] == 0
                  else "increase_weight" if n[a] > 0 else "decrease_weight")
        rows.append({"ticker": a, "action": "BUY" if n[a] > 0 else "SELL", "shares": int(abs(n[a])), "price": px[a],
                     "value": abs(n[a]) * px[a], "reason": reason, "est_cost": float(costs[a]),
                     "current_shares": int(held[a]), "target_shares": int(after_shares[a]),
                     "weight_before": float(inp.current.get(a, 0.0)), "weight_target": float(w[a]),
                     "weight_after": after_shares[a] * px[a] / value_after})
    trades = pd.DataFrame(rows, columns=_COLS)
    if len(trades):
        trades = trades.sort_values(["action", "value"], ascending=[False, False]).reset_index(drop=True)
    kept = after_shares[after_shares > 0].rename("shares")
    return TradeList(trades, kept, cash_end, inp.value, float(costs.sum()), notes, inp.value)


def _limits_after(inp: ProposalInputs, tl: TradeList, sleeves: pd.Index, clusters, limits) -> bool:
    px = inp.prices.reindex(tl.shares_after.index)
    vals = tl.shares_after * px
    total = float(vals.sum()) + tl.cash_after
    w = (vals / total).reindex(sleeves.union(vals.index)).fillna(0.0)
    checks = check_limits(w, clusters, limits, tolerance=1e-4)
    hard = checks[~checks["check"].str.startswith("minimum")]
    return bool((hard["status"] == "PASS").all())


def _option(kind: str, inp: ProposalInputs, opt: Tradeoff, alloc, toward: float, required: set[str],
            min_trade_value: float, notes: list[str]) -> TradeOption:
    w = pd.concat([opt.weights, pd.Series({CASH: max(0.0, 1.0 - float(opt.weights.sum()))})])
    tl = delta_trades(inp, w, required=required, min_trade_value=min_trade_value)
    ok = _limits_after(inp, tl, alloc.after_mode.index, alloc.clusters, inp.profile.proposal.limits)
    traded = float(tl.trades["value"].sum()) if len(tl.trades) else 0.0
    return TradeOption(kind, w, tl, tl.est_cost, traded, opt.te_before, opt.te_after, toward, ok,
                       tuple(notes + tl.notes))


def _no_dust(solve, c: pd.Series, t: pd.Series, min_allocation: float, rounds: int = 3
             ) -> tuple[Tradeoff, dict[str, tuple[float, float]]]:
    """Solve, and again while the optimum leaves a position under ``min_allocation`` (not zero).

    A position is 0 or at least the minimum allocation (not a convex rule, so it is repaired by rounds):
    an asset the optimum leaves as dust is exited when its target is 0, held at least at the minimum
    when its target is above it, and else not traded. ``solve(bounds)`` solves with those per-asset
    bounds (:func:`~rebal.proposal.tradeoff.solve_tradeoff`).
    """
    bounds: dict[str, tuple[float, float]] = {}
    for _ in range(rounds + 1):
        opt = solve(bounds)
        w = opt.weights
        dust = [a for a in w.index if 1e-7 < w[a] < min_allocation - 1e-9 and a not in bounds
                and abs(w[a] - float(c.get(a, 0.0))) > _MIN_CHANGE]
        if not dust:
            break
        for a in dust:
            ca, ta = float(c.get(a, 0.0)), float(t.get(a, 0.0))
            bounds[a] = ((0.0, 0.0) if ta <= 1e-12 else (min_allocation, max(ca, ta)) if ta >= min_allocation
                         else (ca, ca))
    return opt, bounds


def _dust_note(bounds: dict[str, tuple[float, float]]) -> list[str]:
    return [f"kept clear of positions under the minimum allocation: {', '.join(bounds)}"] if bounds else []


def remedial_option(inp: ProposalInputs, alloc, breaches: list[str]) -> TradeOption | None:
    """Return the required remedial trades when the current holdings break a hard limit (None when none is broken)."""
    if not breaches:
        return None
    p = inp.profile
    cur, tgt = inp.current.drop(CASH, errors="ignore"), alloc.proposed.drop(CASH, errors="ignore")
    assets = list(dict.fromkeys([*cur.index, *tgt.index]))
    costs = inp.trade_costs(assets)
    opt, bounds = _no_dust(lambda bd: remedial_weights(
        cur, tgt, inp.cov_annual, costs, limits=p.proposal.limits, clusters=alloc.clusters,
        risk_aversion=p.planner.risk_aversion, horizon_years=p.planner.horizon_years, bounds=bd),
        cur, tgt, p.proposal.limits.min_allocation)
    required = {a for a in opt.trade.index if opt.trade[a] < -_MIN_CHANGE}
    notes = [f"cures: {'; '.join(breaches)}", *_dust_note(bounds)]
    return _option("remedial", inp, opt, alloc, float("nan"), required, p.proposal.min_trade_value, notes)


def signal_share(move_te2: float, noise_te2: float) -> float:
    """S / (S + N): the share of a move's squared tracking error that is not the target's sampling noise."""
    if not math.isfinite(noise_te2) or move_te2 <= 0:
        return 1.0
    return move_te2 / (move_te2 + noise_te2)


def partway_option(inp: ProposalInputs, alloc, stability: Stability | None) -> TradeOption | None:
    """Return the optimal trade towards the proposed allocation (see the module docstring); None when blocked."""
    p = inp.profile
    if alloc.breaker.status == "BLOCKED":
        return None
    cur, tgt = inp.current.drop(CASH, errors="ignore"), alloc.proposed.drop(CASH, errors="ignore")
    assets = list(dict.fromkeys([*cur.index, *tgt.index]))
    c, t = cur.reindex(assets).fillna(0.0), tgt.reindex(assets).fillna(0.0)
    cov = inp.cov_annual.reindex(index=assets, columns=assets).fillna(0.0)
    notes, toward = [], 1.0
    if stability is not None and stability.unstable:
        d = (t - c).to_numpy()
        toward = (signal_share(float(d @ cov.to_numpy() @ d), stability.noise_te2) if stability.samples
                  else p.proposal.recommendation.partway_fraction)
        notes.append(f"unstable target: the trade aims {toward:.0%} of the way to it")
    aim, costs = c + toward * (t - c), inp.trade_costs(assets)
    try:
        opt, bounds = _no_dust(lambda bd: solve_tradeoff(
            c, aim, cov, costs, risk_aversion=p.planner.risk_aversion, horizon_years=p.planner.horizon_years,
            limits=p.proposal.limits, clusters=alloc.clusters, towards_target=True, box_end=t, bounds=bd),
            c, t, p.proposal.limits.min_allocation)
        notes += _dust_note(bounds)
    except DataError as exc:
        return TradeOption("part-way", inp.current, TradeList(pd.DataFrame(columns=_COLS), inp.shares, inp.cash,
                           inp.value, 0.0), 0.0, 0.0, float("nan"), float("nan"), toward, False, (str(exc),))
    d_before, d_after = (c - t).to_numpy(), (opt.weights.reindex(assets).to_numpy() - t.to_numpy())
    full = Tradeoff(opt.weights, opt.trade, opt.tracking, opt.cost,
                    float(np.sqrt(max(d_before @ cov.to_numpy() @ d_before, 0.0))),
                    float(np.sqrt(max(d_after @ cov.to_numpy() @ d_after, 0.0))), opt.status)
    required = set()
    return _option("part-way", inp, full, alloc, toward, required, p.proposal.min_trade_value, notes)
