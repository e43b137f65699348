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
- calendar trigger: a review date (last session of a month or quarter) fell after the last
  implementation and on or before today;
- hybrid: the monthly review is due, or drift >= the early-override level (``hybrid_override``,
  10 %) widened by the regime like every drift threshold (x 1.2 = 12 % in the elevated regime,
  x 1.5 = 15 % in stress: the planner spec's dynamic thresholds);
- no-trade-band threshold for the portfolio: half the sum over assets of each asset's
  Whalley-Wilmott band (the portfolio drift when every asset sits on its band edge);
- VIX: the lakehouse's ``VIX`` close at the as-of date; where there is none, a labelled proxy
  (21-day realised volatility of the benchmark, annualised, in VIX points).

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

import numpy as np
import pandas as pd

from rebal.analytics.costs import CostModel, estimate_costs, rebalancing_cost
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

__all__ = ["VERDICTS", "PlannerResult", "decision_panel", "review_dates"]

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
        One row per rule: ``rule``, ``fires`` and ``why``.
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
    pdrift = 0.5 * float(drift.abs().sum())

    assets = [a for a in idx if a != CASH]
    px = view.prices([*assets, prof.benchmark]).iloc[-253:]
    rets = simple_returns(px, fill="none").iloc[1:]
    sig60 = rets[assets].iloc[-60:].std(ddof=1)
    bench_sig = float(rets[prof.benchmark].iloc[-60:].std(ddof=1))
    if sig60.isna().any():
        sectors = lh.tickers()["sector"].reindex(assets)
        by_sector = sig60.groupby(sectors).transform("mean")
        miss = sig60.index[sig60.isna()].tolist()
        sig60 = sig60.fillna(by_sector).fillna(bench_sig)
        flags.append(f"no volatility for {', '.join(miss)}: sector average, else benchmark volatility")
    cov60 = covariance(rets[assets], window=60)
    cov252 = covariance(rets[assets], window=252)
    if cov252.isna().any().any():
        flags.append("no correlation for some pairs: assumed zero")
        diag = np.diag(np.diag(cov252.fillna(0.0)))
        cov252 = cov252.fillna(pd.DataFrame(diag, index=assets, columns=assets))
        cov60 = cov60.fillna(0.0)

    value = audit.total_value
    if value is None:
        value = spec.notional_value
        flags.append(f"portfolio value unknown (weights-only state): notional ${value:,.0f} used for trade sizes")
    trades = (-drift.reindex(assets)) * value
    vol = view.prices(assets, field="volume").iloc[-20:]
    close = px[assets].iloc[-20:]
    adv = (vol * close).mean()
    synthetic = view.has_synthetic_ohlv(assets)
    have_adv = adv.notna().all() and (adv > 0).all()
    costs, cflags = estimate_costs(trades, dollar_adv=adv if have_adv else None,
                                   sigma_daily=sig60 if have_adv else None,
                                   model=CostModel(commission_bps=spec.commission_bps,
                                                   impact_coefficient=spec.impact_coefficient))
    flags.extend(cflags)
    if synthetic and have_adv:
        flags.append("dollar ADV and impact rest on the synthetic volume layer (ohlv_synthetic)")
    liq_days = trades.abs() / (spec.participation * adv)
    days_since = sessions_after(audit.lis.as_of, as_of)
    sig_ann = annualise_vol(sig60)
    speed = drift_speed(sig_ann, max(days_since, 0))
    table = pd.DataFrame({
        "drift": drift.reindex(assets), "vol_60d": sig_ann,
        "drift_speed": speed["drift_speed"], "speed_pct": speed["percentile"],
        "trade_usd": trades, "dollar_adv": adv, "liquidity_days": liq_days,
        "spread_bps": costs["spread_bps"], "impact_bps": costs["impact_bps"], "cost_bps": costs["cost_bps"],
    })
    d_assets = drift.reindex(assets)
    te60 = tracking_error(d_assets, cov60)
    te252 = tracking_error(d_assets, cov252)
    te_diag = tracking_error_diagonal(d_assets, cov252)
    reb_cost = rebalancing_cost(trades, costs["cost_bps"], value)
    lam, horizon = spec.risk_aversion, spec.horizon_years
    benefit = tracking_benefit(te252**2, risk_aversion=lam, horizon_years=horizon)
    cb = cost_benefit_ratio(reb_cost, benefit)

    # thresholds
    w_t = tgt.reindex(assets, fill_value=0.0)
    sigma_p = float(np.sqrt(annualise_variance(max(w_t @ cov252.to_numpy() @ w_t, 0.0))))
    avg_cost = float((costs["cost_bps"] * w_t).sum() / max(w_t.sum(), 1e-12) / 1e4)
    formula = optimal_threshold_formula(avg_cost, sigma_p, spec.horizon_years) if sigma_p > 0 else float("nan")
    bands = pd.Series([no_trade_band(c / 1e4, w * (1 - w) * s, risk_aversion=spec.risk_aversion)
                       for c, w, s in zip(costs["cost_bps"], w_t, sig_ann, strict=True)], index=assets)
    ntb = 0.5 * float(bands.sum())
    base = {"fixed": spec.threshold, "formula": formula, "no_trade_band": ntb}[spec.threshold_method]
    vix, vix_source = market_vix(view, prof.benchmark, as_of)
    reg, widen = classify_vix(vix, elevated=spec.elevated_vix, stress=spec.stress_vix, widening=spec.regime_widening)
    if np.isnan(vix):
        flags.append(f"market regime unknown ({vix_source}): normal regime assumed")
    effective = base * widen
    override = spec.hybrid_override * widen
    thresholds = pd.DataFrame([
        ("fixed (profile)", spec.threshold, "planner.threshold"),
        ("spec formula sqrt(2c / (σp² T))", formula,
         f"c = {avg_cost * 1e4:.1f} bps, σp = {sigma_p:.1%}, T = {spec.horizon_years:g} y"),
        ("no-trade band (Whalley-Wilmott)", ntb, f"½ Σ per-asset bands, risk aversion {spec.risk_aversion:g}"),
    ], columns=["method", "threshold", "basis"])
    thresholds["selected"] = thresholds["method"].str.startswith(
        {"fixed": "fixed", "formula": "spec", "no_trade_band": "no-trade"}[spec.threshold_method])

    months = review_dates(audit.lis.as_of, as_of, "monthly")
    due_m = months[-1] if months else None
    cal = months if spec.calendar == "monthly" else review_dates(audit.lis.as_of, as_of, "quarterly")
    due_cal = cal[-1] if cal else None
    hv = table.index[(table["vol_60d"] >= spec.high_vol_sigma) & (table["drift"].abs() >= spec.high_vol_band)].tolist()
    illq = table.index[(table["dollar_adv"] < spec.min_adv)
                       | (table["liquidity_days"] > spec.max_liquidity_days)].tolist()
    stress_delay = reg == "stress" and pdrift <= spec.delay_max_drift
    stress_override = reg == "stress" and pdrift >= spec.stress_override
    rows = [
        ("threshold", pdrift >= effective,
         f"drift {pdrift:.2%} vs threshold {effective:.2%} "
         f"({spec.threshold_method} {base:.2%} x {widen:.1f} for the {reg} regime)"),
        (f"calendar ({spec.calendar})", due_cal is not None,
         f"review date {due_cal} passed since the last implementation on {audit.lis.as_of}" if due_cal
         else f"no {spec.calendar} review date since {audit.lis.as_of}"),
        ("hybrid (monthly + early override)", due_m is not None or pdrift >= override,
         f"monthly review due: {'yes, ' + str(due_m) if due_m else 'no'}; early override at "
         f"{spec.hybrid_override:.0%} x {widen:.1f} for the {reg} regime = {override:.2%}: drift {pdrift:.2%}"),
        ("cost-benefit", cb < 1,
         f"cost C = {reb_cost * 1e4:.2f} bps of value (one-off) vs benefit B = ½ λ H TE² = ½ x {lam:g} x "
         f"{horizon:g} y x ({te252:.2%} a year)² = {benefit * 1e4:.2f} bps of value: C / B = {cb:.2f} "
         "(act when < 1)"),
        ("high-volatility assets", bool(hv),
         (f"{', '.join(hv)}: σ60 >= {spec.high_vol_sigma:.0%} and |drift| >= {spec.high_vol_band:.0%}: tighter band"
          if hv else f"none with σ60 >= {spec.high_vol_sigma:.0%} and |drift| >= {spec.high_vol_band:.0%}")),
        ("stress regime delay", stress_delay and not stress_override,
         f"VIX {vix:.1f} ({reg}); drift {pdrift:.2%}: " + (
             "delay 10-20 sessions" if stress_delay
             else f"override: drift >= {spec.stress_override:.0%}" if stress_override else "no delay")),
        ("illiquid assets", bool(illq),
         (f"skip {', '.join(illq)}: ADV < ${spec.min_adv:,.0f} or > {spec.max_liquidity_days:g} days to trade"
          if illq else "none")),
        ("VIX threshold widening", widen > 1.0, f"VIX {vix:.1f}: {reg} regime, thresholds x{widen:.1f}"),
    ]
    triggers = pd.DataFrame(rows, columns=["rule", "fires", "why"])
    drift_rules = [f"{name} ({pdrift:.2%} >= {level:.2%})"
                   for name, level in (("threshold", effective), ("hybrid early override", override))
                   if pdrift >= level]
    fire = f"{' and '.join(drift_rules)} {'fires' if len(drift_rules) == 1 else 'fire'}"
    worth = f"cost {reb_cost * 1e4:.2f} bps vs benefit {benefit * 1e4:.2f} bps of value over {horizon:g} y"
    if drift_rules and stress_delay and not stress_override:
        verdict, why = "DELAY", (f"{fire}, but in the stress regime (VIX {vix:.1f}) a moderate drift "
                                 f"(<= {spec.delay_max_drift:.0%}) waits: revisit in 10-20 sessions")
    elif drift_rules and cb < 1:
        verdict, why = "TRADE", f"{fire} and the cost is below the benefit ({worth})"
    elif drift_rules:
        verdict, why = "REVIEW", f"{fire} but the cost exceeds the benefit ({worth})"
    elif due_cal is not None:
        verdict, why = "QUIET", (f"{spec.calendar} review due ({due_cal}) but drift {pdrift:.2%} is below the "
                                 f"threshold {effective:.2%}: no drift rule fires")
    else:
        verdict, why = "QUIET", f"no drift rule fires (drift {pdrift:.2%} below the threshold {effective:.2%})"
    metrics = {"portfolio_drift": pdrift, "te_60d": te60, "te_252d": te252, "te_diagonal_252d": te_diag,
               "rebalancing_cost": reb_cost, "benefit": benefit, "cost_benefit": cb, "horizon_years": horizon,
               "risk_aversion": lam, "portfolio_value": float(value), "sigma_p": sigma_p,
               "effective_threshold": effective, "effective_override": override,
               "days_since_implementation": float(days_since)}
    return PlannerResult(assets=table, metrics=metrics, thresholds=thresholds, triggers=triggers, vix=vix,
                         vix_source=vix_source, regime=reg, verdict=verdict, verdict_reason=why,
                         flags=tuple(dict.fromkeys(flags)), synthetic_inputs=synthetic,
                         status_rebalance_threshold=prof.drift.rebalance)
