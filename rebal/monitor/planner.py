"""Today's rebalancing decision panel: is rebalancing worth its cost, and which rules fire.

Built on a :class:`~rebal.monitor.audit.DriftAudit`. Per asset: drift, 60-day volatility, drift speed
and its percentile, the trade to target, dollar ADV, liquidity days, and the cost in bps
(spread + commission + square-root impact; :mod:`rebal.analytics.costs`). For the portfolio: tracking
error of the drift (full covariance over 60 and 252 sessions, diagonal approximation), the
rebalancing cost, the cost-benefit ratio, three thresholds (fixed, the planner spec's formula,
the no-trade band) and the trigger table.

Definitions used here (the spec leaves them open):

- benefit of a full rebalance: it removes today's tracking error TE (252-session covariance,
  annualised) for the horizon H = ``planner.horizon_years``; its certainty-equivalent value is
  B = ½ · λ · H · TE² (λ = ``planner.risk_aversion``, unitless; TE² in fraction² a year, H in
  years), a fraction of portfolio value like the one-off cost C of the rebalance
  (:func:`rebal.analytics.risk.tracking_benefit`, the rule lab's ``costbenefit`` rule uses the
  same). The cost-benefit rule fires when C / B < 1. (The planner spec's C / TE divides a
  one-off cost by an annualised volatility: below 1 at almost any drift, so it carried no
  information.) With λ = 2 and H = 1 year, TE = 1 % gives B = 1 bp, TE = 5 % gives 25 bps;
- liquidity days = |trade| / (participation x dollar ADV), participation 10 % by default;
- calendar review: a review date (last session of a month or quarter) fell after the last
  implementation and on or before today; a review is when the drift rules are looked at, not a
  drift rule itself (a due review with no drift rule firing is QUIET);
- hybrid early override: drift >= the early-override level (``hybrid_override``, 10 %) widened by the
  regime like every drift threshold (x 1.2 = 12 % in the elevated regime, x 1.5 = 15 % in stress: the
  planner spec's dynamic thresholds); with the monthly review it makes the spec's hybrid rule;
- no-trade-band threshold for the portfolio: half the sum over assets of each asset's
  Whalley-Wilmott band (the portfolio drift when every asset sits on its band edge);
- VIX: the lakehouse's ``VIX`` close at the as-of date; where there is none, a labelled proxy
  (21-day realised volatility of the benchmark, annualised, in VIX points).

The rules table (:data:`RULES`, in named stages: inputs -> economics -> thresholds -> rules -> verdict)
gives each rule its kind: a **drift rule** (the threshold and the hybrid early override: one of them
must fire for a trade), the **calendar** review, the **cost-benefit** test, the stress **delay**
condition, and information (high-volatility and illiquid assets, the VIX widening). The verdict reads
the same rows, so the table and the verdict agree.

The verdict is one of :data:`VERDICTS`, words distinct from the drift monitor's MAINTAIN /
REBALANCE / URGENT (the planner applies its own, tighter, regime-adjusted threshold and its
cost-benefit test; the two can disagree) and from the decision's (:mod:`rebal.decision.table`):

- ``DELAY``: a drift rule fires, but in the stress regime with drift at most ``delay_max_drift``
  the trade waits (spreads and impact are 2-3x normal; the planner spec's rule 4);
- ``TRADE``: a drift rule fires (threshold, or the hybrid early override) and C / B < 1;
- ``REVIEW``: a drift rule fires but the cost exceeds the benefit;
- ``QUIET``: no drift rule fires (a calendar review may be due; the drift does not call for a trade).

Fallbacks are flagged in ``flags``: estimated spreads and costs, notional portfolio value,
sector-average or benchmark volatility, zero correlation, drifts capped at 50 points, absolute
weights for short positions, equal-weight target when none is given.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

import numpy as np
import pandas as pd

from rebal.analytics.costs import ADV_DAYS, CostModel, estimate_costs, rebalancing_cost
from rebal.analytics.measures import annualise_variance, annualise_vol, classify_vix
from rebal.analytics.regime import market_vix
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import (
    cost_benefit_ratio,
    covariance,
    drift_speed,
    no_trade_band,
    optimal_threshold_formula,
    tracking_benefit,
    tracking_error,
    tracking_error_diagonal,
)
from rebal.calendar import nyse_sessions, sessions_after
from rebal.data.lakehouse import CASH, Lakehouse

__all__ = ["VERDICTS", "RULES", "Rule", "PlannerResult", "decision_panel", "review_dates"]

DRIFT_CAP = 0.50
#: The planner's verdicts (see the module docstring); QUIET replaced HOLD (issue 13).
VERDICTS = ("TRADE", "REVIEW", "DELAY", "QUIET")


@dataclass(frozen=True)
class PlannerResult:
    """Everything the decision panel shows.

    Attributes
    ----------
    assets
        Per asset: ``drift`` (fraction), ``vol_60d`` (annualised, fraction a year), ``drift_speed``
        (fraction) and ``speed_pct`` (percentile rank), ``trade_usd`` (dollars), ``dollar_adv``
        (dollars a day), ``liquidity_days`` (sessions), ``spread_bps``, ``impact_bps`` and
        ``cost_bps`` (bps of the traded value).
    metrics
        ``portfolio_drift`` (fraction of value), ``te_60d``, ``te_252d`` and ``te_diagonal_252d``
        (annualised tracking error, fraction a year), ``rebalancing_cost`` C (fraction of value,
        one-off), ``benefit`` B = ½ λ H TE²_252d (fraction of value over the horizon),
        ``cost_benefit`` C / B (unitless), ``horizon_years`` H (years), ``risk_aversion`` λ
        (unitless), ``portfolio_value`` (dollars), ``sigma_p`` (annualised, fraction a year),
        ``effective_threshold`` and ``effective_override`` (the regime-widened drift threshold and
        hybrid early override, fractions of value) and ``days_since_implementation`` (NYSE sessions).
    thresholds
        The three threshold methods: ``method``, ``threshold`` (fraction of value), ``basis``
        (how it was computed) and ``selected``.
    triggers
        One row per rule of :data:`RULES`: ``rule``, ``kind``, ``fires``, ``why`` and ``role`` (how it
        enters the verdict).
    vix, vix_source, regime
        The VIX level (VIX points), where it came from, and the regime name.
    verdict, verdict_reason
        One of :data:`VERDICTS` and its one-line reason.
    flags
        The fallbacks used (see the module docstring).
    synthetic_inputs
        True when ADV rests on synthetic volume.
    status_rebalance_threshold
        The drift monitor's REBALANCE threshold (fraction), shown for comparison.
    """

    assets: pd.DataFrame
    metrics: dict[str, float]
    thresholds: pd.DataFrame
    triggers: pd.DataFrame
    vix: float
    vix_source: str
    regime: str
    verdict: str
    verdict_reason: str
    flags: tuple[str, ...]
    synthetic_inputs: bool
    status_rebalance_threshold: float

    @property
    def recommendation(self) -> str:
        """``"VERDICT: reason"`` in one line (the form older displays show)."""
        return f"{self.verdict}: {self.verdict_reason}"


def review_dates(start: date, end: date, freq: str) -> list[date]:
    """List the NYSE review dates in ``(start, end]``: the last session of each month (or quarter).

    ``freq`` is ``"monthly"``; any other value means quarterly.
    """
    s = nyse_sessions()
    cur, nxt = s[:-1], s[1:]
    period = (lambda x: x.year * 12 + x.month) if freq == "monthly" else (lambda x: x.year * 4 + (x.month - 1) // 3)
    ends = cur[np.asarray(period(cur)) != np.asarray(period(nxt))]
    sel = ends[(ends > pd.Timestamp(start)) & (ends <= pd.Timestamp(end))]
    return [d.date() for d in sel]


def decision_panel(audit, lh: Lakehouse, *, target: pd.Series | None = None) -> PlannerResult:
    """Build the decision panel for a drift audit (see the module docstring).

    Parameters
    ----------
    audit
        The :class:`~rebal.monitor.audit.DriftAudit` of the profile on its as-of date; only data dated
        on or before it is read.
    lh
        The lakehouse (prices, volumes and the VIX).
    target
        Target weights (fractions by ticker) to use instead of the audit's; equal weight over the
        held assets when neither has any (flagged).

    Returns
    -------
    The :class:`PlannerResult`; units are listed on its attributes.
    """
    x = _inputs(audit, lh, target)                           # 1. inputs
    table, metrics = _economics(x)                           # 2. per-asset economics, TE, cost, benefit
    thresholds, th = _thresholds(x, table)                   # 3. thresholds, regime
    ctx = {**x, **metrics, **th, "table": table}
    triggers = pd.DataFrame([{"rule": r.name(ctx), "kind": r.kind, "fires": bool(r.holds(ctx)), "why": r.why(ctx),
                              "role": r.role} for r in RULES])   # 4. rules
    verdict, why = _verdict(ctx, triggers)                   # 5. verdict, from the same rows
    spec = x["spec"]
    metrics |= {"effective_threshold": th["effective"], "effective_override": th["override"],
                "sigma_p": th["sigma_p"], "days_since_implementation": float(x["days_since"]),
                "horizon_years": spec.horizon_years, "risk_aversion": spec.risk_aversion}
    return PlannerResult(assets=table, metrics=metrics, thresholds=thresholds, triggers=triggers, vix=th["vix"],
                         vix_source=th["vix_source"], regime=th["regime"], verdict=verdict, verdict_reason=why,
                         flags=tuple(dict.fromkeys(x["flags"])), synthetic_inputs=x["synthetic"],
                         status_rebalance_threshold=x["prof"].drift.rebalance)


def _inputs(audit, lh: Lakehouse, target: pd.Series | None) -> dict[str, Any]:
    """Stage 1: drift by asset, returns, volatilities, covariances, value, trades and liquidity."""
    prof, spec, as_of = audit.profile, audit.profile.planner, audit.as_of
    view = lh.at(as_of)
    flags: list[str] = []
    tgt = audit.target.weights if target is None else target
    if tgt is None or len(tgt) == 0:
        held = [a for a in audit.actual.index if a != CASH]
        tgt = pd.Series(1.0 / len(held), index=held)
        flags.append("no target specified: equal weight used")
    actual = audit.actual
    if (actual < 0).any():
        flags.append("short positions: drift measured on absolute weights")
        actual = actual.abs() / actual.abs().sum()
    idx = actual.index.union(tgt.index, sort=False)
    drift = actual.reindex(idx, fill_value=0.0) - tgt.reindex(idx, fill_value=0.0)
    capped = drift.abs() > DRIFT_CAP
    if capped.any():
        flags.append(f"drift above 50 points capped (probable data error): {', '.join(drift.index[capped])}")
        drift = drift.clip(-DRIFT_CAP, DRIFT_CAP)
    assets = [a for a in idx if a != CASH]
    px = view.prices([*assets, prof.benchmark], last=253)
    rets = simple_returns(px, fill="none").iloc[1:]
    sig60 = rets[assets].iloc[-60:].std(ddof=1)
    if sig60.isna().any():
        sectors = lh.tickers()["sector"].reindex(assets)
        miss = sig60.index[sig60.isna()].tolist()
        sig60 = sig60.fillna(sig60.groupby(sectors).transform("mean")).fillna(
            float(rets[prof.benchmark].iloc[-60:].std(ddof=1)))
        flags.append(f"no volatility for {', '.join(miss)}: sector average, else benchmark volatility")
    cov60, cov252 = covariance(rets[assets], window=60), covariance(rets[assets], window=252)
    if cov252.isna().any().any():
        flags.append("no correlation for some pairs: assumed zero")
        diag = np.diag(np.diag(cov252.fillna(0.0)))
        cov252 = cov252.fillna(pd.DataFrame(diag, index=assets, columns=assets))
        cov60 = cov60.fillna(0.0)
    value = audit.total_value
    if value is None:
        value = spec.notional_value
        flags.append(f"portfolio value unknown (weights-only state): notional ${value:,.0f} used for trade sizes")
    # the cost model's inputs as the proposal reads them (rebal.analytics.costs.liquidity_inputs); a missing
    # volatility is filled above rather than dropping the impact model
    adv = (view.prices(assets, field="volume", last=ADV_DAYS) * px[assets].iloc[-ADV_DAYS:]).mean()
    return {"audit": audit, "prof": prof, "spec": spec, "as_of": as_of, "view": view, "flags": flags, "tgt": tgt,
            "drift": drift.reindex(assets), "pdrift": 0.5 * float(drift.abs().sum()), "assets": assets,
            "sig60": sig60, "cov60": cov60, "cov252": cov252, "value": value,
            "trades": (-drift.reindex(assets)) * value,
            "adv": adv, "have_adv": bool(adv.notna().all() and (adv > 0).all()),
            "synthetic": view.has_synthetic_ohlv(assets),
            "days_since": sessions_after(audit.lis.as_of, as_of)}


def _economics(x: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, float]]:
    """Stage 2: per-asset costs and liquidity; tracking errors; the cost and benefit of a full rebalance."""
    spec, trades, adv, value, d = x["spec"], x["trades"], x["adv"], x["value"], x["drift"]
    costs, cflags = estimate_costs(trades, dollar_adv=adv if x["have_adv"] else None,
                                   sigma_daily=x["sig60"] if x["have_adv"] else None,
                                   model=CostModel(commission_bps=spec.commission_bps,
                                                   impact_coefficient=spec.impact_coefficient))
    x["flags"].extend(cflags)
    if x["synthetic"] and x["have_adv"]:
        x["flags"].append("dollar ADV and impact rest on the synthetic volume layer (ohlv_synthetic)")
    sig_ann = annualise_vol(x["sig60"])
    speed = drift_speed(sig_ann, max(x["days_since"], 0))
    table = pd.DataFrame({
        "drift": d, "vol_60d": sig_ann, "drift_speed": speed["drift_speed"], "speed_pct": speed["percentile"],
        "trade_usd": trades, "dollar_adv": adv, "liquidity_days": trades.abs() / (spec.participation * adv),
        "spread_bps": costs["spread_bps"], "impact_bps": costs["impact_bps"], "cost_bps": costs["cost_bps"],
    })
    te252 = tracking_error(d, x["cov252"])
    reb_cost = rebalancing_cost(trades, costs["cost_bps"], value)
    benefit = tracking_benefit(te252**2, risk_aversion=spec.risk_aversion, horizon_years=spec.horizon_years)
    return table, {"portfolio_drift": x["pdrift"], "te_60d": tracking_error(d, x["cov60"]), "te_252d": te252,
                   "te_diagonal_252d": tracking_error_diagonal(d, x["cov252"]), "rebalancing_cost": reb_cost,
                   "benefit": benefit, "cost_benefit": cost_benefit_ratio(reb_cost, benefit),
                   "portfolio_value": float(value)}


def _thresholds(x: dict[str, Any], table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Stage 3: the three threshold methods, the regime and the effective (widened) levels."""
    spec, assets = x["spec"], x["assets"]
    w_t = x["tgt"].reindex(assets, fill_value=0.0)
    sigma_p = float(np.sqrt(annualise_variance(max(w_t @ x["cov252"].to_numpy() @ w_t, 0.0))))
    avg_cost = float((table["cost_bps"] * w_t).sum() / max(w_t.sum(), 1e-12) / 1e4)
    formula = optimal_threshold_formula(avg_cost, sigma_p, spec.horizon_years) if sigma_p > 0 else float("nan")
    bands = pd.Series([no_trade_band(c / 1e4, w * (1 - w) * s, risk_aversion=spec.risk_aversion)
                       for c, w, s in zip(table["cost_bps"], w_t, table["vol_60d"], strict=True)], index=assets)
    ntb = 0.5 * float(bands.sum())
    base = {"fixed": spec.threshold, "formula": formula, "no_trade_band": ntb}[spec.threshold_method]
    vix, vix_source = market_vix(x["view"], x["prof"].benchmark, x["as_of"])
    reg, widen = classify_vix(vix, elevated=spec.elevated_vix, stress=spec.stress_vix, widening=spec.regime_widening)
    if np.isnan(vix):
        x["flags"].append(f"market regime unknown ({vix_source}): normal regime assumed")
    thresholds = pd.DataFrame([
        ("fixed (profile)", spec.threshold, "planner.threshold"),
        ("spec formula sqrt(2c / (σp² T))", formula,
         f"c = {avg_cost * 1e4:.1f} bps, σp = {sigma_p:.1%}, T = {spec.horizon_years:g} y"),
        ("no-trade band (Whalley-Wilmott)", ntb, f"½ Σ per-asset bands, risk aversion {spec.risk_aversion:g}"),
    ], columns=["method", "threshold", "basis"])
    thresholds["selected"] = thresholds["method"].str.startswith(
        {"fixed": "fixed", "formula": "spec", "no_trade_band": "no-trade"}[spec.threshold_method])
    audit = x["audit"]
    months = review_dates(audit.lis.as_of, x["as_of"], "monthly")
    cal = months if spec.calendar == "monthly" else review_dates(audit.lis.as_of, x["as_of"], "quarterly")
    return thresholds, {"base": base, "widen": widen, "regime": reg, "vix": vix, "vix_source": vix_source,
                        "effective": base * widen, "override": spec.hybrid_override * widen, "sigma_p": sigma_p,
                        "due_cal": cal[-1] if cal else None}


@dataclass(frozen=True)
class Rule:
    """One row of the planner's rules table: its kind, whether it holds, why, and how it enters the verdict."""

    name: Callable[[dict], str]
    kind: str
    holds: Callable[[dict], bool]
    why: Callable[[dict], str]
    role: str


def _stress(c: dict) -> tuple[bool, bool]:
    """Return (a moderate drift in stress waits, a large one overrides the wait)."""
    s = c["spec"]
    return (c["regime"] == "stress" and c["pdrift"] <= s.delay_max_drift,
            c["regime"] == "stress" and c["pdrift"] >= s.stress_override)


def _hv(c: dict) -> list[str]:
    t, s = c["table"], c["spec"]
    return t.index[(t["vol_60d"] >= s.high_vol_sigma) & (t["drift"].abs() >= s.high_vol_band)].tolist()


def _illiquid(c: dict) -> list[str]:
    t, s = c["table"], c["spec"]
    return t.index[(t["dollar_adv"] < s.min_adv) | (t["liquidity_days"] > s.max_liquidity_days)].tolist()


#: The planner's rules, in table order; the verdict reads the rows of kind "drift rule", "test" and "condition".
RULES: tuple[Rule, ...] = (
    Rule(lambda c: "threshold", "drift rule", lambda c: c["pdrift"] >= c["effective"],
         lambda c: f"drift {c['pdrift']:.2%} vs threshold {c['effective']:.2%} ({c['spec'].threshold_method} "
                   f"{c['base']:.2%} x {c['widen']:.1f} for the {c['regime']} regime)", "a trade needs a drift rule"),
    Rule(lambda c: "hybrid early override", "drift rule", lambda c: c["pdrift"] >= c["override"],
         lambda c: f"early override at {c['spec'].hybrid_override:.0%} x {c['widen']:.1f} for the {c['regime']} "
                   f"regime = {c['override']:.2%}: drift {c['pdrift']:.2%}", "a trade needs a drift rule"),
    Rule(lambda c: f"calendar review ({c['spec'].calendar})", "schedule", lambda c: c["due_cal"] is not None,
         lambda c: (f"review date {c['due_cal']} passed since the last implementation on {c['audit'].lis.as_of}"
                    if c["due_cal"] else f"no {c['spec'].calendar} review date since {c['audit'].lis.as_of}"),
         "when the drift rules are looked at; trades nothing on its own"),
    Rule(lambda c: "cost-benefit", "test", lambda c: c["cost_benefit"] < 1,
         lambda c: f"cost C = {c['rebalancing_cost'] * 1e4:.2f} bps of value (one-off) vs benefit B = ½ λ H TE² = ½ x "
                   f"{c['spec'].risk_aversion:g} x {c['spec'].horizon_years:g} y x ({c['te_252d']:.2%} a year)² = "
                   f"{c['benefit'] * 1e4:.2f} bps of value: C / B = {c['cost_benefit']:.2f} (act when < 1)",
         "TRADE when it holds, REVIEW when it does not"),
    Rule(lambda c: "stress regime delay", "condition", lambda c: _stress(c)[0] and not _stress(c)[1],
         lambda c: f"VIX {c['vix']:.1f} ({c['regime']}); drift {c['pdrift']:.2%}: " + (
             "delay 10-20 sessions" if _stress(c)[0] else
             f"override: drift >= {c['spec'].stress_override:.0%}" if _stress(c)[1] else "no delay"),
         "DELAY when it holds"),
    Rule(lambda c: "high-volatility assets", "information", lambda c: bool(_hv(c)),
         lambda c: (f"{', '.join(_hv(c))}: σ60 >= {c['spec'].high_vol_sigma:.0%} and |drift| >= "
                    f"{c['spec'].high_vol_band:.0%}: tighter band" if _hv(c) else
                    f"none with σ60 >= {c['spec'].high_vol_sigma:.0%} and |drift| >= {c['spec'].high_vol_band:.0%}"),
         "information"),
    Rule(lambda c: "illiquid assets", "information", lambda c: bool(_illiquid(c)),
         lambda c: (f"skip {', '.join(_illiquid(c))}: ADV < ${c['spec'].min_adv:,.0f} or > "
                    f"{c['spec'].max_liquidity_days:g} days to trade" if _illiquid(c) else "none"), "information"),
    Rule(lambda c: "VIX threshold widening", "information", lambda c: c["widen"] > 1.0,
         lambda c: f"VIX {c['vix']:.1f}: {c['regime']} regime, thresholds x{c['widen']:.1f}", "information"),
)


def _verdict(c: dict, triggers: pd.DataFrame) -> tuple[str, str]:
    """Stage 5: the verdict from the rows of the rules table (see the module docstring)."""
    spec, pdrift = c["spec"], c["pdrift"]
    rows = triggers.set_index("rule")
    level = {"threshold": c["effective"], "hybrid early override": c["override"]}
    drift_rules = [f"{r} ({pdrift:.2%} >= {level[r]:.2%})" for r in triggers.loc[
        (triggers["kind"] == "drift rule") & triggers["fires"], "rule"]]
    fire = f"{' and '.join(drift_rules)} {'fires' if len(drift_rules) == 1 else 'fire'}"
    worth = (f"cost {c['rebalancing_cost'] * 1e4:.2f} bps vs benefit {c['benefit'] * 1e4:.2f} bps of value over "
             f"{spec.horizon_years:g} y")
    due = triggers.loc[triggers["kind"] == "schedule"].iloc[0]
    if drift_rules and rows.loc["stress regime delay", "fires"]:
        return "DELAY", (f"{fire}, but in the stress regime (VIX {c['vix']:.1f}) a moderate drift "
                         f"(<= {spec.delay_max_drift:.0%}) waits: revisit in 10-20 sessions")
    if drift_rules and rows.loc["cost-benefit", "fires"]:
        return "TRADE", f"{fire} and the cost is below the benefit ({worth})"
    if drift_rules:
        return "REVIEW", f"{fire} but the cost exceeds the benefit ({worth})"
    if due["fires"]:
        return "QUIET", (f"the {spec.calendar} review is due ({c['due_cal']}) but no drift rule fires: drift "
                         f"{pdrift:.2%} is below the threshold {c['effective']:.2%} and the early override "
                         f"{c['override']:.2%}")
    return "QUIET", f"no drift rule fires (drift {pdrift:.2%} below the threshold {c['effective']:.2%})"
