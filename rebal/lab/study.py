"""The rule-lab study: configuration sets, the four planner hypotheses and two literature checks.

Configuration sets (rule spec, cost level in bps):

- ``grid``: thresholds x cost levels, plus the monthly / quarterly / annual calendars and the
  monthly hybrid at every cost level (the issue's sensitivity grid; the regime dimension is a
  breakdown of each run's days by VIX regime, :func:`rebal.lab.metrics.by_regime`);
- ``fast`` (the report's default): the grid + the profile's ``lab.rules`` at ``lab.cost_bps`` +
  the delay rule at 5 % for every ``lab.delays``;
- ``full``: the fast set + every rule at every cost level + partial and delay variants at every
  threshold.

Hypotheses (planner spec, insight rules 1-4), each tested on the run's own data:

1. threshold 5 % with costs <= 20 bps cuts tracking error by >= 50 % against the calendar (the
   verdict uses the quarterly calendar, the usual alternative; monthly and annual are shown)
   and does not lower the Sharpe ratio;
2. event study on the drifting portfolio (target reset each year-end): days when an asset with
   60-day volatility >= 30 % has drifted >= 3 points (one event per asset per 30 sessions). The
   benefit of trading that asset back now (its weight to target, the others pro rata) is the fall
   in the absolute 30-session tracking difference against the target; supported when the mean
   benefit is >= 2x the mean cost (2 x the drift x the cost level);
3. event study on the same drifting portfolio, month-ends where the expected TE reduction
   sqrt(dᵀΣd) (trailing 252-session covariance, annualised) is >= 1.5 % and the cost <= 30 bps:
   Sharpe ratio of the next 12 months, rebalanced now vs left alone (both then held);
   supported when the mean difference is >= 0.1;
4. event study on the threshold-5 % run: its rebalances on stress days (VIX >= 30) with drift
   <= 10 %; the same trade done 10, 15 or 20 sessions later on the drifted holdings, at that day's
   regime cost. Supported when the mean cost falls by >= 30 % with the added tracking (absolute
   tracking difference over the delay, annualised by sqrt(252 / D)) within
   ``lab.acceptable_te_increase``. The whole-run comparison of ``threshold:0.05`` and
   ``delay:0.05,D`` is shown next to it. The cost gap rests on the stress cost multiplier (an
   assumption from the spec: spreads and impact 2-3x in stress), said in the report.

Literature: band-edge (partial) rebalancing reaches about the same tracking error as full
rebalancing with about half the turnover (Leland 1999); calendar frequencies differ little in
risk-adjusted return (Vanguard 2010). Each check says whether the data agrees.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rebal.analytics.measures import PERIODS_PER_YEAR, REGIMES, annualise_variance, annualise_vol, sharpe_ratio
from rebal.analytics.returns import simple_returns
from rebal.lab.engine import review_days
from rebal.lab.rules import parse_rule
from rebal.lab.spec import LabSpec
from rebal.lab.sweep import Market

__all__ = ["configs", "Verdict", "hypotheses", "literature", "drifting_weights", "frontier_mask", "CONFIG_SETS"]

CONFIG_SETS = ("grid", "fast", "full")


def configs(lab: LabSpec, which: str = "fast", rules: list[str] | None = None) -> list[tuple[str, float]]:
    """(spec, cost bps) pairs of a configuration set; ``rules`` replaces ``lab.rules``."""
    if which not in CONFIG_SETS:
        raise ValueError(f"unknown configuration set {which!r}; valid: {', '.join(CONFIG_SETS)}")
    rules = list(lab.rules if rules is None else rules)
    out: list[tuple[str, float]] = []
    for c in lab.cost_levels:
        out += [(f"threshold:{t:g}", c) for t in lab.thresholds]
        out += [(f"calendar:{f}", c) for f in ("monthly", "quarterly", "annual")]
        out.append(("hybrid:monthly,0.1", c))
    if which in ("fast", "full"):
        out += [(r, lab.cost_bps) for r in rules]
        out += [(f"delay:0.05,{d}", lab.cost_bps) for d in lab.delays]
    if which == "full":
        for c in lab.cost_levels:
            out += [(r, c) for r in rules]
            for t in lab.thresholds:
                out += [(f"partial:{m},{t:g}", c) for m in ("half", "edge", "cost")]
                out += [(f"delay:{t:g},{d}", c) for d in lab.delays]
                out.append((f"dynamic:{t:g}", c))
    seen, unique = set(), []
    for spec, c in out:
        key = (parse_rule(spec).spec, float(c))
        if key not in seen:
            seen.add(key)
            unique.append(key)
    return unique


@dataclass
class Verdict:
    """A hypothesis and what the run says about it (``supported`` None: not tested)."""

    number: int
    statement: str
    supported: bool | None
    evidence: str
    table: pd.DataFrame


def _row(summary: pd.DataFrame, rule: str, cost: float) -> pd.Series | None:
    m = summary[(summary["rule"] == parse_rule(rule).spec) & np.isclose(summary["cost_bps"], cost)]
    return None if m.empty else m.iloc[0]


def drifting_weights(prices: np.ndarray, target: np.ndarray, resets: np.ndarray) -> np.ndarray:
    """Compute the weights of a buy-and-hold portfolio reset to ``target`` on ``resets`` days.

    Returns T x (N+1) weights (fractions, cash last) of a portfolio reset to ``target`` (N+1,
    cash last) at the close of every day where ``resets`` is True (and on day 0).
    """
    T, N = prices.shape
    out = np.empty((T, N + 1))
    base_t = 0
    for t in range(T):
        g = np.append(prices[t] / prices[base_t], 1.0)
        h = target * g
        out[t] = h / h.sum()
        if resets[t]:
            base_t = t
    return out


def _hold_return(prices: np.ndarray, w: np.ndarray, t: int, n: int) -> float:
    """Return over n sessions from t of weights w (cash last) held without trading."""
    g = np.append(prices[t + n] / prices[t], 1.0)
    return float(w @ g - 1.0)


def _h1(summary: pd.DataFrame, lab: LabSpec) -> Verdict:
    rows = []
    for c in sorted({c for c in lab.cost_levels if c <= 20}):
        thr = _row(summary, "threshold:0.05", c)
        for f in ("monthly", "quarterly", "annual"):
            cal = _row(summary, f"calendar:{f}", c)
            if thr is None or cal is None or not cal["tracking_error"] > 0:  # no TE to cut (a book that never drifts)
                continue
            rows.append({"cost_bps": c, "calendar": f, "te_threshold": thr["tracking_error"],
                         "te_calendar": cal["tracking_error"],
                         "te_reduction": 1 - thr["tracking_error"] / cal["tracking_error"],
                         "sharpe_threshold": thr["sharpe"], "sharpe_calendar": cal["sharpe"]})
    table = pd.DataFrame(rows)
    statement = "Threshold rebalancing at 5 % drift with costs <= 20 bps cuts tracking error by >= 50 % vs the calendar"
    if table.empty:
        return Verdict(1, statement, None, "the grid lacks threshold:0.05 or a calendar rule at <= 20 bps with a "
                       "tracking error to cut", table)
    q = table[table["calendar"] == "quarterly"]
    ok = bool(((q["te_reduction"] >= 0.5) & (q["sharpe_threshold"] >= q["sharpe_calendar"])).all())
    top = table[table["cost_bps"] == table["cost_bps"].max()]
    ev = (f"at {top['cost_bps'].iloc[0]:g} bps, threshold 5 % TE {top['te_threshold'].iloc[0]:.2%} (Sharpe "
          f"{top['sharpe_threshold'].iloc[0]:.2f}) vs "
          + ", ".join(f"{r.calendar} {r.te_calendar:.2%} ({-r.te_reduction:+.0%}; Sharpe {r.sharpe_calendar:.2f})"
                      for r in top.itertuples())
          + (f"; at {q['cost_bps'].iloc[0]:g} bps: {-q['te_reduction'].iloc[0]:+.0%} vs quarterly"
             if len(q) > 1 else ""))
    return Verdict(1, statement, ok, ev, table)


def _events_h2(market: Market, res_index: pd.DatetimeIndex, weights: np.ndarray, px: np.ndarray, sig: np.ndarray,
               target: np.ndarray, cost: float, settings) -> pd.DataFrame:
    T, N = px.shape
    rows, last = [], np.full(N, -10_000)
    for t in range(T - 30):
        d = weights[t, :N] - target[:N]
        cand = np.flatnonzero((sig[t] >= settings.high_vol_sigma) & (np.abs(d) >= 0.03 - 1e-12) & (t - last >= 30))
        for i in cand:
            last[i] = t
            w = weights[t]
            w2 = w.copy()
            w2[i] = target[i]
            others = np.arange(N + 1) != i
            w2[others] = w[others] * (1 - target[i]) / w[others].sum()
            traded = np.abs(w2 - w).sum()
            c = cost * traded
            r_t, r_no, r_yes = (_hold_return(px, x, t, 30) for x in (target, w, w2))
            benefit = abs(r_no - r_t) - abs(r_yes - r_t)
            rows.append({"date": res_index[t].date(), "asset": market.prices.columns[i], "sigma_60d": sig[t, i],
                         "drift": d[i], "benefit_30d": benefit, "cost": c, "ratio": benefit / c if c > 0 else np.nan})
    return pd.DataFrame(rows)


def _h2(market: Market, ctx: dict, lab: LabSpec) -> Verdict:
    ev = _events_h2(market, ctx["index"], ctx["annual_w"], ctx["px"], ctx["sig"], ctx["target"], lab.cost_bps / 1e4,
                    market.settings)
    statement = ("Rebalancing a high-volatility asset (σ60 >= 30 %) drifted >= 3 points brings >= 2x its cost "
                 "within 30 sessions")
    if ev.empty:
        return Verdict(2, statement, None, "no high-volatility asset drifted 3 points in the window", ev)
    mb, mc = ev["benefit_30d"].mean(), ev["cost"].mean()
    share = float((ev["benefit_30d"] >= 2 * ev["cost"]).mean())
    return Verdict(2, statement, bool(mb >= 2 * mc),
                   f"{len(ev)} events: mean benefit {mb:.3%} of value vs mean cost {mc:.3%} (ratio {mb / mc:.1f}x); "
                   f"benefit >= 2x cost in {share:.0%} of events", ev)


def _h3(market: Market, ctx: dict, lab: LabSpec) -> Verdict:
    px, w_all, target, index = ctx["px"], ctx["annual_w"], ctx["target"], ctx["index"]
    rets = np.diff(px, axis=0) / px[:-1]
    T, N = px.shape
    month_end = review_days(index)["monthly"]
    rows = []
    c = lab.cost_bps / 1e4
    for t in np.flatnonzero(month_end):
        if t < 252 or t + 252 >= T:
            continue
        cov = annualise_variance(np.atleast_2d(np.cov(rets[t - 252:t], rowvar=False)))  # 2-D for one asset too
        d = w_all[t, :N] - target[:N]
        te = float(np.sqrt(max(d @ cov @ d, 0.0)))
        cost = c * np.abs(w_all[t] - target).sum()
        if te < 0.015 or cost > 0.003:
            continue
        path = px[t:t + 253]

        def held_returns(w, charge, path=path):  # path bound now: the helper belongs to this month-end
            v = (path / path[0]) @ w[:N] + w[N]
            v[1:] *= 1 - charge  # the trade's cost is paid at day t's close: it lands in the first return
            return np.diff(v) / v[:-1]

        s_no, s_yes = sharpe_ratio(np.column_stack([held_returns(w_all[t], 0.0), held_returns(target, cost)]))
        rows.append({"date": index[t].date(), "expected_te_reduction": te, "cost": cost, "sharpe_rebalanced": s_yes,
                     "sharpe_left": s_no, "sharpe_gain": s_yes - s_no})
    ev = pd.DataFrame(rows)
    statement = "Expected TE reduction >= 1.5 % at a cost <= 30 bps raises the next 12 months' Sharpe ratio by >= 0.1"
    if ev.empty:
        return Verdict(3, statement, None,
                       "no month-end with expected TE reduction >= 1.5 % and a year of data after it", ev)
    g = ev["sharpe_gain"]
    return Verdict(3, statement, bool(g.mean() >= 0.1),
                   f"{len(ev)} month-ends (overlapping 12-month windows): mean Sharpe gain {g.mean():+.2f} "
                   f"(median {g.median():+.2f}); >= 0.1 in {(g >= 0.1).mean():.0%}", ev)


def _h4(market: Market, ctx: dict, summary: pd.DataFrame, lab: LabSpec, res) -> Verdict:
    px, target, index, reg = ctx["px"], ctx["target"], ctx["index"], res.regime
    mult = np.asarray(market.settings.cost_multipliers)
    k = [i for i, (s, cb) in enumerate(zip(res.specs, res.cost_bps, strict=True))
         if s == "threshold:0.05" and np.isclose(cb, lab.cost_bps)]
    statement = "Delaying 10-20 sessions when VIX >= 30 and drift <= 10 % cuts costs by >= 30 % at an acceptable TE"
    if not k:
        return Verdict(4, statement, None, "threshold:0.05 is not in the run", pd.DataFrame())
    k = k[0]
    days = np.flatnonzero(res.rebalanced[:, k])
    prev = np.concatenate([[0], days[:-1]]) if len(days) else days  # no rebalance at all (a single asset)
    c = lab.cost_bps / 1e4
    rows = []
    for t, p0 in zip(days, prev, strict=True):
        if reg[t] != 2 or res.drift[t, k] > market.settings.delay_max_drift:
            continue
        g = np.append(px[t] / px[p0], 1.0)
        w = target * g / (target * g).sum()
        for D in lab.delays:
            if t + D >= len(px):
                continue
            g2 = np.append(px[t + D] / px[t], 1.0)
            wD = w * g2 / (w * g2).sum()
            now = c * mult[reg[t]] * np.abs(w - target).sum()
            later = c * mult[reg[t + D]] * np.abs(wD - target).sum()
            td = abs(_hold_return(px, w, t, D) - _hold_return(px, target, t, D))
            rows.append({"date": index[t].date(), "delay": D, "drift": res.drift[t, k], "cost_now": now,
                         "cost_delayed": later, "regime_after": REGIMES[reg[t + D]],
                         "tracking_diff": td, "te_added": td * np.sqrt(PERIODS_PER_YEAR / D)})
    ev = pd.DataFrame(rows)
    whole = []
    base = _row(summary, "threshold:0.05", lab.cost_bps)
    for D in lab.delays:
        r = _row(summary, f"delay:0.05,{D}", lab.cost_bps)
        if base is not None and r is not None:
            whole.append(f"{D} sessions costs {r['cost_per_year']:.3%}/yr vs {base['cost_per_year']:.3%}/yr, "
                         f"TE {r['tracking_error']:.2%} vs {base['tracking_error']:.2%}")
    if ev.empty:
        return Verdict(4, statement, None, "no threshold-5 % rebalance fell on a stress day with drift <= 10 %"
                       + ("; " + "; ".join(whole) if whole else ""), ev)
    by = ev.groupby("delay").agg(events=("date", "size"), cost_now=("cost_now", "mean"),
                                 cost_delayed=("cost_delayed", "mean"), te_added=("te_added", "mean"))
    by["cost_cut"] = 1 - by["cost_delayed"] / by["cost_now"]
    ok = bool(((by["cost_cut"] >= 0.3) & (by["te_added"] <= lab.acceptable_te_increase)).any())
    ev_text = "; ".join(f"{D} sessions: cost {r.cost_now:.3%} -> {r.cost_delayed:.3%} ({r.cost_cut:+.0%} cut), "
                        f"added TE {r.te_added:.2%} ({int(r.events)} event{'s' if r.events != 1 else ''})"
                        for D, r in by.iterrows())
    return Verdict(4, statement, ok, ev_text + (f". Whole run: {'; '.join(whole)}" if whole else ""), ev)


def hypotheses(market: Market, res, summary: pd.DataFrame, lab: LabSpec) -> list[Verdict]:
    """Test the four hypotheses (see the module docstring); ``res`` is the run's engine result (static target)."""
    t0 = int(market.prices.index.searchsorted(market.start)) if market.start is not None else 0
    px = market.prices.to_numpy(float)[t0:]
    index = market.prices.index[t0:]
    tgt = market.target if isinstance(market.target, pd.Series) else market.target.iloc[0]
    w = tgt.reindex(market.prices.columns).fillna(0.0).to_numpy(float)
    target = np.append(w, 1.0 - w.sum())
    rets = simple_returns(pd.DataFrame(market.prices.to_numpy(float)), fill="none")
    sig = annualise_vol(rets.rolling(market.settings.vol_window, min_periods=20).std()).to_numpy()[t0:]
    ctx = {"px": px, "index": index, "target": target, "sig": np.nan_to_num(sig),
           "annual_w": drifting_weights(px, target, review_days(index)["annual"])}
    return [_h1(summary, lab), _h2(market, ctx, lab), _h3(market, ctx, lab), _h4(market, ctx, summary, lab, res)]


def literature(summary: pd.DataFrame, lab: LabSpec) -> list[Verdict]:
    """Check two published findings: Leland (band edge vs full) and Vanguard 2010 (calendar frequencies)."""
    out = []
    full, edge = _row(summary, "threshold:0.05", lab.cost_bps), _row(summary, "partial:edge,0.05", lab.cost_bps)
    st = ("Band-edge rebalancing reaches about the same TE as full rebalancing with about half the turnover "
          "(Leland 1999)")
    if full is None or edge is None:
        out.append(Verdict(5, st, None, "needs threshold:0.05 and partial:edge,0.05", pd.DataFrame()))
    elif not (full["tracking_error"] > 0 and full["turnover_per_year"] > 0):
        out.append(Verdict(5, st, None, "threshold:0.05 never traded (the book never drifted): nothing to compare",
                           pd.DataFrame([full, edge])))
    else:
        te_ratio = edge["tracking_error"] / full["tracking_error"]
        to_ratio = edge["turnover_per_year"] / full["turnover_per_year"]
        ok = bool(te_ratio <= 1.25 and 0.3 <= to_ratio <= 0.7)
        out.append(Verdict(5, st, ok, f"at 5 % and {lab.cost_bps:g} bps: TE {edge['tracking_error']:.2%} vs "
                           f"{full['tracking_error']:.2%} ({te_ratio:.2f}x), "
                           f"turnover {edge['turnover_per_year']:.1%} vs {full['turnover_per_year']:.1%}/yr "
                           f"({to_ratio:.2f}x); 'about the same' read as within 25 %",
                           pd.DataFrame([full, edge])))
    cals = [_row(summary, f"calendar:{f}", lab.cost_bps) for f in ("monthly", "quarterly", "annual")]
    st = "Monthly, quarterly and annual calendars differ little in risk-adjusted return (Vanguard 2010)"
    if any(c is None for c in cals):
        out.append(Verdict(6, st, None, "needs the three calendar rules", pd.DataFrame()))
    else:
        sh = [c["sharpe"] for c in cals]
        spread = max(sh) - min(sh)
        out.append(Verdict(6, st, bool(spread <= 0.1),
                           f"Sharpe monthly {sh[0]:.2f}, quarterly {sh[1]:.2f}, annual {sh[2]:.2f} "
                           f"(spread {spread:.2f}; 'little' read as <= 0.10); TE {cals[0]['tracking_error']:.2%} / "
                           f"{cals[1]['tracking_error']:.2%} / {cals[2]['tracking_error']:.2%}", pd.DataFrame(cals)))
    return out


def frontier_mask(te: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Mark configurations no other beats on both tracking error and cost (the efficient frontier)."""
    te, cost = np.asarray(te, float), np.asarray(cost, float)
    dominated = ((te[None, :] <= te[:, None]) & (cost[None, :] <= cost[:, None])
                 & ((te[None, :] < te[:, None]) | (cost[None, :] < cost[:, None]))).any(axis=1)
    return ~dominated
