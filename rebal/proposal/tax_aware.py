"""The tax-aware mode of the proposal: what to change in the plain proposal to spare tax, and what it gives up.

Starting from the plain proposal's weights (after mode and circuit breakers), in this order:

1. **lots**: every sale relieves its lots in min-tax order (losses first, then long-term gains,
   then short-term gains);
2. **loss harvest**: a held name with a ``tax.substitutes`` entry whose lots left after the plain
   trim are down at least ``tax.aware.harvest_trigger`` of their basis, by at least
   ``harvest_min_loss`` dollars, is sold and the same value bought in its substitute, unless the
   wash-sale rule would disallow the loss (shares of its group bought in the 30 days before, a buy
   of its group in the proposal, or a buy of the substitute inside the window of its own loss
   sale): the proposal then says so and keeps the lots. Its group may not be bought for 31 days;
3. **wash-sale windows**: a buy of a name whose group was sold at a loss in the last 30 days
   (the loss would be disallowed) is deferred; a substitute held for it is kept meanwhile;
4. **short-term gains**: a sale whose lots would realise a short-term gain stops short of its
   weight by at most ``max_shortfall`` of portfolio value (the largest tax per dollar first),
   funded first by selling more of held names whose next lots are at a loss (trading other names
   first), then by smaller buys, then from cash; each step is kept only when the drift left against
   the target stays within ``max_drift_left`` (None: half the profile's ``drift.rebalance``, or the
   plain proposal's own drift if that is higher) and every hard limit holds.

What it gives up is measured on the whole-share trade lists of both: drift left against the
target, the ex-ante tracking error against the target (sample covariance of the proposal's
daily returns, up to 252 sessions, annualised), the tracking error between them, and the tax
saved (split into the lot choice alone and the changed trades).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.analytics.drift import portfolio_drift, weights_from_holdings
from rebal.analytics.lots import LotBook, long_term_from
from rebal.data.lakehouse import CASH
from rebal.proposal.allocate import Allocation
from rebal.proposal.modes import BreakerResult, check_limits
from rebal.proposal.tax import ProposalTax, Replan, proposal_tax

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.proposal.lots import LotHistory
    from rebal.proposal.trades import TradeList

__all__ = ["TaxAware", "TaxAwareAllocation", "Plan", "plan_weights", "tax_aware_proposal", "tracking_error"]

_EPS = 1e-9


@dataclass
class TaxAwareAllocation(Allocation):
    """The tax-aware allocation: the plain one's fields with the re-planned weights; ``plain`` is the original."""

    plain: Allocation | None = None


@dataclass
class Plan:
    """Re-planned weights (sleeves, fractions of value) and why each moved."""

    weights: pd.Series
    reasons: dict[str, str] = field(default_factory=dict)
    harvests: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bound: float = 0.0
    #: sales stopped short: their short-term gain lots are relieved last
    short_last: set[str] = field(default_factory=set)


@dataclass
class TaxAware:
    """The tax-aware proposal against the plain one (see the module docstring)."""

    plain: ProposalTax
    plain_trades: TradeList
    plain_costs: dict
    plan: Plan
    comparison: pd.DataFrame
    tax_saved: float
    saved_by_lots: float
    te_between: float


def tracking_error(active: pd.Series, returns: pd.DataFrame, sessions: int = 252) -> float:
    """Ex-ante tracking error of ``active`` weights (CASH riskless): sqrt(252 d'Σd), Σ of the last ``sessions``."""
    d = active.drop(CASH, errors="ignore")
    d = d[d.abs() > 1e-12]
    if d.empty:
        return 0.0
    r = returns.reindex(columns=d.index).iloc[-sessions:].fillna(0.0)
    cov = r.cov().to_numpy()
    return float(np.sqrt(max(252.0 * d.to_numpy() @ cov @ d.to_numpy(), 0.0)))


def _one(book: LotBook, t: str) -> LotBook:
    b = LotBook()
    b.lots[t] = [lot.copy() for lot in book.lots.get(t, [])]
    return b


def _failures(w: pd.Series, clusters, limits) -> str:
    """List the hard limits ``w`` breaks, as text ("" when all hold)."""
    c = check_limits(w, clusters, limits)
    return "; ".join(f"{r.check} {r.item} {r.proposed:.2%} (limit {r.limit:.2%})"
                     for r in c[c["status"] == "FAIL"].itertuples())


def _bad(w: pd.Series, clusters, limits) -> bool:
    return bool(_failures(w, clusters, limits))


def _drift(w: pd.Series, target: pd.Series) -> float:
    return portfolio_drift(pd.concat([w, pd.Series({CASH: max(0.0, 1.0 - float(w.sum()))})]), target)


def _harvest(ctx: dict, w: pd.Series, plan: Plan) -> None:
    """Step 2 of the module docstring."""
    prof, book, px, cur, V, day = ctx["profile"], ctx["book"], ctx["px"], ctx["cur"], ctx["value"], ctx["day"]
    spec, groups = prof.tax.aware, prof.tax.groups
    pending = set(book.pending_losses(day)["group"])
    for t, s in sorted(prof.tax.substitutes.items()):
        if cur.get(t, 0.0) <= _EPS or not px.get(s, 0.0) > 0:
            continue
        p = float(px[t])
        trim = max(cur[t] - w[t], 0.0) * V / p
        b = _one(book, t)
        b.sell(t, trim, p, day, relief="min_tax", rates=prof.tax)
        lots = [lot for lot in b.lots.get(t, []) if p <= lot.cost * (1 - spec.harvest_trigger)]
        shares, loss = sum(lot.shares for lot in lots), sum(lot.shares * (p - lot.cost) for lot in lots)
        if not lots or -loss < spec.harvest_min_loss:
            continue
        buy = max(w[t] - cur[t], 0.0)  # a planned buy of t would wash the loss: the substitute takes it too
        g = groups.get(t, t)
        trial = book.copy()
        got = trial.sell(t, trim, p, day, relief="min_tax", rates=prof.tax)
        got += trial.sell(t, shares, p, day, relief="hifo")
        buys = [a for a in w.index if a != t and groups.get(a, a) == g and w[a] > cur.get(a, 0.0) + _EPS]
        why = (f"{got.washes[0].replacement} shares bought on {got.washes[0].bought.date()}, within 30 days"
               if got.disallowed > 0 else f"the proposal buys {buys[0]}, substantially identical" if buys
               else f"{s} was sold at a loss in the last 30 days" if groups.get(s, s) in pending else "")
        if why:
            plan.skipped.append(f"{t}: ${-loss:,.0f} loss not harvested: the wash-sale rule would disallow it ({why})")
            continue
        move = min(shares * p / V + buy, max(0.0, prof.proposal.limits.max_single - w[s]))
        m = move - buy  # the harvested part
        trial_w = w.copy()
        trial_w[t] -= move
        trial_w[s] += move
        broken = _failures(trial_w, ctx["clusters"], prof.proposal.limits) if m > _EPS else \
            f"{s} is at its single-asset limit"
        if broken:
            plan.skipped.append(f"{t}: ${-loss:,.0f} loss not harvested: moving it to {s} would break a hard limit "
                                f"({broken})")
            continue
        w[:] = trial_w
        part = m * V / (shares * p)
        until = day + pd.Timedelta(days=31)
        plan.harvests.append({"ticker": t, "substitute": s, "value": m * V, "loss": loss * part,
                              "no_repurchase_before": str(until.date())})
        plan.reasons[t] = (f"tax-aware: loss harvest, ${-loss * part:,.0f} realised, {move:.2%} moved to {s}"
                           + (f" (with the planned buy of {t}: buying it would wash the loss)" if buy > _EPS else "")
                           + f"; do not buy {t} before {until.date()}")
        plan.reasons[s] = f"tax-aware: holds {t}'s harvested value until {until.date()}"


def _windows(ctx: dict, w: pd.Series, plan: Plan) -> None:
    """Step 3 of the module docstring."""
    prof, book, cur, day = ctx["profile"], ctx["book"], ctx["cur"], ctx["day"]
    groups = prof.tax.groups
    pending = book.pending_losses(day)
    if pending.empty:
        return
    for b in [a for a in w.index if w[a] > cur.get(a, 0.0) + _EPS]:
        hit = pending[pending["group"] == groups.get(b, b)]
        if hit.empty:
            continue
        freed = w[b] - cur.get(b, 0.0)
        w[b] = cur.get(b, 0.0)
        r = hit.iloc[0]
        plan.reasons[b] = (f"tax-aware: buy deferred: it would wash the loss on the {r['ticker']} sale of "
                           f"{r['sale_day']} (window open until {r['until']})")
        for s in [v for k, v in prof.tax.substitutes.items() if k == b]:
            if w.get(s, 0.0) < cur.get(s, 0.0) - _EPS:
                keep = min(cur[s] - w[s], freed)
                w[s] += keep
                plan.reasons[s] = f"tax-aware: kept {keep:.2%} more in place of {b} until the window closes"


def _short_gains(ctx: dict, w: pd.Series, t: str) -> tuple[float, float, pd.Timestamp | None]:
    """Measure the part of the sale of ``t`` in lots with a short-term gain (relieved last).

    Returns their value and gain (USD) and the day the first of them turns long-term.
    """
    prof, book, px, cur, V, day = ctx["profile"], ctx["book"], ctx["px"], ctx["cur"], ctx["value"], ctx["day"]
    p = float(px[t])
    got = _one(book, t).sell(t, (cur[t] - w[t]) * V / p, p, day, relief="min_tax", rates=prof.tax, short_last=True)
    st = [r for r in got.relieved if not r.long_term and r.gain > 0]
    turns = min((long_term_from(r.acquired) for r in st), default=None)
    return sum(r.shares * p for r in st), sum(r.gain for r in st), turns


def _losses_left(ctx: dict, w: pd.Series, y: str) -> float:
    """Value of the lots of ``y`` at a loss that remain after its planned sale (they would sell next, min-tax)."""
    book, px, cur, V, day, prof = ctx["book"], ctx["px"], ctx["cur"], ctx["value"], ctx["day"], ctx["profile"]
    p = float(px[y])
    b = _one(book, y)
    b.sell(y, max(cur.get(y, 0.0) - w[y], 0.0) * V / p, p, day, relief="min_tax", rates=prof.tax)
    return sum(lot.shares * p for lot in b.lots.get(y, []) if lot.cost > p)


def _fund(ctx: dict, w: pd.Series, t: str, need: float, done: set[str]) -> tuple[pd.Series, list[tuple]]:
    """Raise ``need`` (fraction of value) for keeping more of ``t``: loss sales of other names, smaller buys, cash."""
    cap, V, cur = ctx["profile"].tax.aware.max_shortfall, ctx["value"], ctx["cur"]
    floor = ctx["profile"].proposal.limits.min_allocation
    out, moves = w.copy(), []
    out[t] += need
    left = need
    for y in sorted((a for a in w.index if a != t and a not in done and cur.get(a, 0.0) > 0
                     and w[a] <= cur.get(a, 0.0) + _EPS), key=lambda a: -_losses_left(ctx, w, a)):
        if left <= _EPS:
            break
        e = min(_losses_left(ctx, w, y) / V, cap, left, out[y])
        if 0 < out[y] - e < floor:  # no sub-minimum stub: keep the minimum allocation
            e = max(0.0, out[y] - floor)
        if e > _EPS:
            out[y] -= e
            left -= e
            moves.append(("loss", y, e))
    buys = (out - pd.Series(cur).reindex(out.index).fillna(0.0)).clip(lower=0.0)
    if left > _EPS and buys.sum() > _EPS:
        cut = buys * min(1.0, left / buys.sum())
        out -= cut
        left -= float(cut.sum())
        moves += [("buy", b, float(c)) for b, c in cut.items() if c > _EPS]
    if 1.0 - float(out.sum()) < -_EPS:  # no cash left to fund the rest
        return w, []
    return out, moves


def _stop_short(ctx: dict, w: pd.Series, plan: Plan) -> None:
    """Step 4 of the module docstring."""
    prof, V, cur = ctx["profile"], ctx["value"], ctx["cur"]
    cands = []
    for t in w.index:
        if t in plan.reasons or w[t] >= cur.get(t, 0.0) - _EPS:
            continue
        value, gain, turns = _short_gains(ctx, w, t)
        if value > 0:
            cands.append((gain / value, t, value, gain, turns))
    done = set(plan.reasons)
    rate = prof.tax.short_term_rate
    for _, t, value, gain, turns in sorted(cands, reverse=True):
        full = min(value, prof.tax.aware.max_shortfall * V) / V
        for frac in (1.0, 0.5, 0.25):
            trial, moves = _fund(ctx, w, t, full * frac, done | {t})
            if trial is w:
                continue
            if _drift(trial, ctx["target"]) <= plan.bound + 1e-12 and not _bad(trial, ctx["clusters"],
                                                                              prof.proposal.limits):
                w[:] = trial
                s = full * frac
                kept = gain * min(1.0, s * V / value)
                plan.short_last.add(t)
                plan.reasons[t] = (f"tax-aware: sale stopped short by {s:.2%} of value: ${kept:,.0f} of short-term "
                                   f"gains stay unrealised (${kept * rate:,.0f} of tax at {rate:.0%} now; the lot "
                                   f"turns long-term on {turns.date()})")
                for kind, y, dv in moves:
                    why = "sells {:.2%} more (lots at a loss)" if kind == "loss" else "buy cut by {:.2%}"
                    plan.reasons.setdefault(y, f"tax-aware: {why.format(dv)} to keep more of {t}")
                    done.add(y)
                done.add(t)
                break
        else:
            plan.skipped.append(f"{t}: its sale realises ${gain:,.0f} of short-term gains; stopping short would leave "
                                f"drift above {plan.bound:.2%} or break a hard limit")


def plan_weights(ctx: dict) -> Plan:
    """Re-plan the plain proposal's sleeve weights ``ctx["proposed"]`` (steps 2-4 of the module docstring).

    ``ctx``: ``profile``, ``book`` (lots today), ``px`` (prices), ``cur`` (current weights), ``value``,
    ``day``, ``target`` (incl. CASH), ``proposed`` (sleeves), ``clusters``.
    """
    w = ctx["proposed"].astype(float).copy()
    aware = ctx["profile"].tax.aware
    bound = aware.max_drift_left if aware.max_drift_left is not None else 0.5 * ctx["profile"].drift.rebalance
    plan = Plan(w, bound=max(bound, _drift(w, ctx["target"])))
    _harvest(ctx, w, plan)
    _windows(ctx, w, plan)
    _stop_short(ctx, w, plan)
    plan.weights = w
    return plan


def _after(tl: TradeList, px: pd.Series) -> pd.Series:
    return weights_from_holdings(tl.shares_after, px, tl.cash_after)


def _row(pt: ProposalTax, tl: TradeList, costs: dict, w: pd.Series, target: pd.Series, returns: pd.DataFrame) -> dict:
    r = pt.realised
    return {"estimated tax ($)": pt.tax, "short-term gains ($)": r.short_term_gains,
            "short-term losses ($)": r.short_term_losses + r.earlier_short,
            "long-term gains ($)": r.long_term_gains, "long-term losses ($)": r.long_term_losses + r.earlier_long,
            "loss disallowed, wash sales ($)": r.disallowed,
            "trading cost ($)": costs["total_usd"], "after-tax cost ($)": pt.after_tax_cost,
            "traded value ($)": costs["traded_value"], "trades": float(len(tl.trades)),
            "drift left vs target": portfolio_drift(w, target),
            "tracking error vs target (annualised)": tracking_error(w.sub(target, fill_value=0.0), returns)}


def _costing(view: Lakehouse, replan: Replan, tickers: list[str], returns: pd.DataFrame):
    """Prices, cost function and liquidity extended to ``tickers`` the proposal did not price (substitutes).

    Their dollar ADV (20 sessions) and daily volatility (60 sessions) are measured as the proposal's own
    (:func:`rebal.proposal.build.build_proposal`).
    """
    extra = [t for t in tickers if t not in replan.prices.index]
    if not extra:
        return replan.prices, replan.cost_fn_of(replan.adv, replan.sigma), replan.adv, replan.sigma
    close = view.prices(extra).ffill()
    px = pd.concat([replan.prices, close.iloc[-1]])
    adv, sig = replan.adv, replan.sigma
    if adv is not None and sig is not None:
        vol = view.prices(extra, field="volume").iloc[-20:]
        adv = pd.concat([adv, (vol * close.iloc[-20:]).mean()])
        sig = pd.concat([sig, returns[extra].iloc[-60:].std(ddof=1)])
    return px, replan.cost_fn_of(adv, sig), adv, sig


def _allocation(alloc: Allocation, w: pd.Series, notes: list[str], limits) -> TaxAwareAllocation:
    """Return the plain allocation with the tax-aware weights (sleeves: the plain ones, then any substitute)."""
    sleeves = list(dict.fromkeys([*alloc.after_mode.index, *w.index[w > 1e-12]]))
    after_mode = alloc.after_mode.reindex(sleeves).fillna(0.0)
    ww = w.reindex(sleeves).fillna(0.0)
    b = alloc.breaker
    checks = check_limits(ww, alloc.clusters, limits)
    return TaxAwareAllocation(alloc.target, after_mode, BreakerResult(ww, checks, b.status, b.reason, b.adjustments,
                                                                      b.iterations),
                              alloc.mode, alloc.correlation, alloc.clusters, alloc.notes + notes, plain=alloc)


def tax_aware_proposal(profile: Profile, view: Lakehouse, as_of: date, alloc: Allocation, tl: TradeList, costs: dict,
                       plain: ProposalTax, history: LotHistory, returns: pd.DataFrame, replan: Replan):
    """Re-plan ``alloc`` (module docstring), rebuild its trades and costs, and compare with the plain proposal.

    Returns the allocation, trade list, cost summary and :class:`~rebal.proposal.tax.ProposalTax` (its
    ``aware`` holds the :class:`TaxAware` comparison).
    """
    subs = [s for s in profile.tax.substitutes.values() if s in returns.columns]
    px, cost_fn, adv, sig = _costing(view, replan, subs, returns)
    sleeves = list(dict.fromkeys([*alloc.breaker.allocation.index, *subs]))
    ctx = {"profile": profile, "book": history.book, "px": px, "cur": replan.current, "value": replan.value,
           "day": pd.Timestamp(as_of), "target": alloc.target, "clusters": alloc.clusters,
           "proposed": alloc.proposed.reindex(sleeves).fillna(0.0)}
    plan = plan_weights(ctx)
    w = pd.concat([plan.weights, pd.Series({CASH: max(0.0, 1.0 - float(plan.weights.sum()))})])
    tl2 = replan.trade(w, px, cost_fn)
    costs2 = replan.summarize(tl2, adv, sig)
    pt = proposal_tax(profile, history, tl2.trades, as_of, costs2["total_usd"], method="min_tax",
                      short_last=tuple(sorted(plan.short_last)))
    lots_only = proposal_tax(profile, history, tl.trades, as_of, costs["total_usd"], method="min_tax")
    wp, wa = _after(tl, px), _after(tl2, px)
    cmp = pd.DataFrame({"plain": _row(plain, tl, costs, wp, alloc.target, returns),
                        "tax-aware": _row(pt, tl2, costs2, wa, alloc.target, returns)})
    cmp["change"] = cmp["tax-aware"] - cmp["plain"]
    pt.aware = TaxAware(plain, tl, costs, plan, cmp, plain.tax - pt.tax, plain.tax - lots_only.tax,
                        tracking_error(wa.sub(wp, fill_value=0.0), returns))
    notes = [f"tax-aware mode: {len(plan.reasons)} weight(s) re-planned, estimated tax ${pt.tax:,.0f} against "
             f"${plain.tax:,.0f} for the plain proposal"]
    return _allocation(alloc, plan.weights, notes, profile.proposal.limits), tl2, costs2, pt
