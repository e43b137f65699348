"""The rebalance proposal report: target, mode, circuit breakers, options, simulation, costs, trades and frontier."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from rebal.allocation.registry import METHODS, describe
from rebal.report.pages.proposal_figures import allocation_plot, correlation_heatmap, frontier_plot, simulation_plot
from rebal.report.pages.rebalance_proposal_evidence import evidence
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import CONFLICT_COLOR, STATUS_COLORS, VERDICT_COLORS
from rebal.report.tax import TAX_SCRAPS, tax_scraps, tax_summary
from rebal.report.widgets import badge, card, html_block, note

if TYPE_CHECKING:

    from rebal.config import Profile

__all__ = ["REPORT", "proposal_card", "proposal_flags", "changes_table", "limits_table", "simulation_table",
           "options_table",
           "SIMULATION_FORMATS", "noise_table", "NOISE_FORMATS", "costs_table", "proposal_trades", "proposal_scraps",
           "scraps", "proposal_parameters", "target_method_note", "black_litterman_tables", "allocation_plot",
           "correlation_heatmap", "simulation_plot", "frontier_plot"]


def proposal_card(p: Any) -> Any:
    """Headline of a rebalance proposal: conflicts and breaches first, then the simulation verdict and the numbers."""
    b, c = p.allocation.breaker, p.costs
    mode = p.allocation.mode.replace("_", "-")
    if p.allocation.mode != p.mode_requested:
        mode += f" (requested {p.mode_requested.replace('_', '-')}: fell back)"
    rows = []
    if p.target_conflicts:
        rows.append(("Configuration conflict",
                     badge("CONFIGURATION CONFLICT", CONFLICT_COLOR) + " the profile's own target breaks its hard "
                     "limits, so trading towards it cannot comply: not a routine trade, the profile must change "
                     "first<br>" + "<br>".join(html.escape(t) for t in p.target_conflicts)))
    rows.append(("Simulation verdict", badge(p.verdict, VERDICT_COLORS[p.verdict]) + " "
                 + html.escape(p.verdict_reason)))
    rows.append(("Hard limits breached now", "<br>".join(html.escape(h) for h in p.hard_breaches)
                 or "none (total deployed, correlated clusters and single assets within their limits)"))
    if p.remedial is not None:
        r = p.remedial
        rows.append(("Required remedy", f"<code>{html.escape(r.id)}</code>: {len(r.trades.trades)} trade(s) worth "
                                        f"${r.traded_value:,.0f}, estimated cost ${r.cost_usd:,.0f}"))
    rows += [("Proposal", f"<code>{html.escape(p.id)}</code> as of {p.as_of}; holdings of {p.holdings_date}"),
             ("Portfolio", f"${p.value:,.0f}; deployed {1 - p.current.get('CASH', 0.0):.1%} now, "
                           f"{1 - p.proposed.get('CASH', 0.0):.1%} proposed"),
             ("Drift", f"{p.drift:.2%} from the {html.escape(p.data['target_method'].replace('_', ' '))} target "
                       f"({p.drift_status})"),
             ("Mode", html.escape(mode)),
             ("Circuit breakers", f"{b.status}: {len(b.checks)} checks, {len(b.adjustments)} adjustment(s) in "
                                  f"{b.iterations} round(s)" + (f" — {html.escape(b.reason)}" if b.reason else "")),
             ("Trades", f"{len(p.trades.trades)} worth ${c['traded_value']:,.0f}; "
                        f"estimated cost {c['total_bps']:.1f} bps (${c['total_usd']:,.0f})"),
             ("Baseline", html.escape(p.baseline))]
    if p.partway is not None and len(p.partway.trades.trades):
        w = p.partway
        far = f", aimed {w.toward:.0%} of the way" if w.toward < 1 else ""
        rows.append(("Part-way trade", f"{len(w.trades.trades)} trade(s) worth ${w.traded_value:,.0f}, estimated cost "
                                       f"${w.cost_usd:,.0f}; removes {w.te_removed:.0%} of the tracking-error variance "
                                       f"to the proposal{far}"))
    fig = p.figure
    if fig is not None:
        rows.append(("Simulation", html.escape(fig.words())))
    return card(rows)


def proposal_flags(p: Any) -> Any:
    """Warnings and alerts, or a note that there are none."""
    items = [("ALERT", a, STATUS_COLORS["URGENT"]) for a in p.alerts] + \
            [("WARNING", w, STATUS_COLORS["REBALANCE"]) for w in p.warnings]
    if not items:
        return note("No warnings or alerts.")
    rows = "".join(f'<tr><td style="color:{c};font-weight:700">{k}</td>'
                   f'<td style="text-align:left">{html.escape(m)}</td></tr>'
                   for k, m, c in items)
    return html_block(f'<table class="rebal-table"><thead><tr><th>level</th><th>message</th></tr></thead><tbody>{rows}'
                 "</tbody></table>")


def changes_table(p: Any) -> pd.DataFrame:
    """Tabulate current, target and proposed weights with the change and its reason (rows with any weight)."""
    return p.changes(held_only=True)


def limits_table(p: Any) -> pd.DataFrame:
    """Every limit check on the proposal, with the current allocation's value next to it.

    ``failed`` marks a row failing on the proposal or on the current allocation.
    """
    cur = p.current_checks
    t = p.allocation.breaker.checks.copy()
    t["current"] = cur["proposed"].to_numpy()
    t["current status"] = cur["status"].to_numpy()
    t = t[["check", "item", "current", "current status", "proposed", "limit", "status", "buffer"]]
    return t.assign(failed=(t["status"] == "FAIL") | (t["current status"] == "FAIL")).set_index(["check", "item"])


#: short headings of the simulation metrics (:data:`rebal.proposal.simulation.METRIC_LABELS` keys)
_METRICS = {"sharpe": "Sharpe (annualised)", "max_drawdown": "max drawdown", "win_rate": "up days",
            "total_return": "return over the window", "volatility": "volatility (annualised)"}
#: formats of :func:`simulation_table`: the Sharpe ratio as a number, everything else in percent
SIMULATION_FORMATS = {"Sharpe (annualised)": "{:.2f}", "max drawdown": "{:.1%}", "up days": "{:.1%}",
                      "return over the window": "{:+.1%}", "volatility (annualised)": "{:.1%}"}


def simulation_table(p: Any) -> pd.DataFrame:
    """Metrics by path (rows: baseline, in-sample, out-of-sample; columns: metrics, see :data:`SIMULATION_FORMATS`)."""
    from rebal.proposal.simulation import METRIC_LABELS

    t = p.simulation.table().T.rename(columns={label: _METRICS[k] for k, label in METRIC_LABELS.items()})
    t.index.name = "path"
    return t


_NBSP = "\u00a0"
_NOISE = {"baseline Sharpe": "Sharpe baseline", "projected Sharpe": "Sharpe projected",
          "difference": "difference", "SE of the difference": f"±{_NBSP}SE", "z": "z", "correlation": "ρ",
          "sessions": "sessions"}
#: formats of :func:`noise_table` (ρ: correlation of the two daily paths)
NOISE_FORMATS = {"Sharpe baseline": "{:.2f}", "Sharpe projected": "{:.2f}", "difference": "{:+.2f}",
                 f"±{_NBSP}SE": "{:.2f}", "z": "{:+.2f}", "ρ": "{:.2f}", "sessions": "{:.0f}"}


def noise_table(p: Any) -> pd.DataFrame:
    """Sharpe ratios of each comparison with the baseline, their difference ± SE and z (:mod:`rebal.proposal.noise`)."""
    t = p.simulation.noise_table().rename(columns=_NOISE)
    t.index.name = "projection"
    return t


def costs_table(p: Any) -> pd.DataFrame:
    """Tabulate the cost estimate in bps of portfolio value and in dollars."""
    c = p.costs
    return pd.DataFrame({"bps of value": [c["slippage_bps"], c["commission_bps"], c["total_bps"]],
                         "USD": [c["slippage_usd"], c["commission_usd"], c["total_usd"]]},
                        index=pd.Index(["slippage (spread + impact)", "commission", "total"], name="cost"))


def proposal_trades(p: Any) -> pd.DataFrame:
    """Tabulate the trades as the committee reads them."""
    t = p.trades.trades
    cols = {"action": "action", "shares": "shares", "price": "price", "value": "value ($)", "reason": "reason",
            "est_cost": "est. cost ($)", "weight_before": "weight before", "weight_target": "weight target",
            "weight_after": "weight after"}
    t = t.assign(reason=t["reason"].astype(str).str.replace("_", _NBSP))  # "exit position" kept on one line
    return t.set_index("ticker")[list(cols)].rename(columns=cols)


def options_table(p: Any) -> pd.DataFrame:
    """Return the proposal's trade lists side by side: the full adoption, the part-way trade and the required remedy."""
    rows = [{"trade list": "adopt the target", "id": p.id, "trades": len(p.trades.trades),
             "value ($)": p.costs["traded_value"], "cost ($)": p.costs["total_usd"], "tracking error removed": 1.0,
             "hard limits after": "hold" if not p.blocked else "blocked"}]
    for opt, name in ((p.partway, "part-way"), (p.remedial, "required remedy")):
        if opt is not None:
            rows.append({"trade list": name, "id": opt.id or p.id, "trades": len(opt.trades.trades),
                         "value ($)": opt.traded_value, "cost ($)": opt.cost_usd,
                         "tracking error removed": opt.te_removed, "hard limits after": "hold" if opt.limits_ok
                         else "fail"})
    return pd.DataFrame(rows).set_index("trade list")


def proposal_scraps(p: Any, decision: Any = None, recommendation: Any = None) -> dict[str, Any]:
    """Key proposal results as plain types, with the week's decision and recommendation when given."""
    fig = p.figure
    extra = ({"decision_action": decision.action, "decision_reason": decision.reason, "decision_rule": decision.rule,
              "decision_headline": decision.headline} if decision is not None else {})

    def num(x: Any) -> float | None:
        return None if x is None else float(x)

    return {"proposal_id": p.id, "simulation_verdict": p.verdict, "verdict_reason": p.verdict_reason,
            "blocked": bool(p.blocked), "hard_breaches": list(p.hard_breaches),
            "target_conflicts": list(p.target_conflicts), "baseline": p.baseline,
            "sharpe_difference": num(p.sharpe_difference), "sharpe_difference_se": num(p.sharpe_difference_se),
            "simulation": fig.to_json() if fig is not None else {},
            "mode": p.allocation.mode, "breakers": p.allocation.breaker.status,
            "n_adjustments": len(p.allocation.breaker.adjustments), "n_trades": int(len(p.trades.trades)),
            "cost_bps": float(p.costs["total_bps"]), "drift": float(p.drift),
            "deployed": float(1 - p.proposed.get("CASH", 0.0)),
            "remedial_id": p.remedial.id if p.remedial is not None else "",
            "remedial": p.remedial.to_json() if p.remedial is not None else {},
            "partway": p.partway.to_json() if p.partway is not None else {},
            "stability": p.stability.to_json() if p.stability is not None else {},
            "recommendation": recommendation.to_json() if recommendation is not None else {},
            "warnings": list(p.warnings), "alerts": list(p.alerts),
            "proposed": {k: float(v) for k, v in p.proposed.items()}, **tax_scraps(p), **extra}


def proposal_parameters(profile: Profile) -> pd.DataFrame:
    """Tabulate the profile's proposal parameters next to the defaults (the rebalance-modes spec's values)."""
    from dataclasses import fields

    from rebal.proposal.spec import Limits, ProposalSpec

    spec, dflt = profile.proposal, ProposalSpec()
    rows = [(f.name, getattr(spec, f.name), getattr(dflt, f.name)) for f in fields(ProposalSpec) if f.name != "limits"]
    rows += [(f"limits.{f.name}", getattr(spec.limits, f.name), getattr(Limits(), f.name)) for f in fields(Limits)]
    t = pd.DataFrame(rows, columns=["parameter", "this profile", "default"]).set_index("parameter")
    # whole amounts read 5,000, not 5000.0 (the same rule as the Risk4 parameters)
    t = t.map(lambda v: f"{v:,.0f}" if isinstance(v, float) and v.is_integer() and abs(v) >= 1000 else str(v))
    return t.assign(changed=t["this profile"] != t["default"])


def target_method_note(profile: Profile) -> Any:
    """One paragraph on how the profile's target is made, with its parameters."""
    t = profile.target
    method = METHODS[t.method]
    text = describe(t)
    bits = [f"lookback {t.lookback_days} sessions"] if method.fits_returns else []
    if method.sector_caps:
        bits.append(f"weights in [{t.min_weight:.0%}, {t.max_weight:.0%}]")
        if t.max_sector_weight < 1 or t.sector_max:
            caps = [f"every sector ≤ {t.max_sector_weight:.0%}"] if t.max_sector_weight < 1 else []
            caps += [f"{k} ≤ {v:.0%}" for k, v in t.sector_max.items()]
            bits.append("sector caps: " + ", ".join(caps))
    if t.method == "max_sharpe":
        bits.append(f"risk-free rate {t.risk_free_rate:.1%}")
    if t.cash:
        bits.append(f"{t.cash:.0%} cash")
    return note(f"<b>Target</b>: {html.escape(text)}" + (f" ({html.escape('; '.join(bits))})" if bits else "") + ".")


def black_litterman_tables(p: Any) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """For a black_litterman target: (per asset: market weight, π, μ_BL, weight; the views), else None."""
    m = p.target_model
    if m is None or not hasattr(m, "result_"):
        return None
    r = m.result_
    assets = pd.DataFrame({"market weight (prior)": m.market_weights_, "equilibrium π": r.pi,
                           "posterior μ_BL": r.posterior_returns, "weight": m.weights_})
    assets["μ_BL − π"] = assets["posterior μ_BL"] - assets["equilibrium π"]
    views = pd.DataFrame([{"view": v.label,
                           "picks": ", ".join(f"{a} {w:+.2f}" for a, w in zip(v.assets, v.weights, strict=True)),
                           "expected return": v.value, "confidence": v.confidence} for v in m.views_]).set_index("view")
    return assets.sort_values("weight", ascending=False), views


# -- figures ----------------------------------------------------------------------------------------


scraps = proposal_scraps


def _sim(s: Any) -> str:
    f = s.get("simulation") or {}
    if not f:
        return ""
    return (f"Sharpe {f['difference']:+.2f} ± {f['se']:.2f} (z {f['z']:+.2f}, "
            + ("significant" if f.get("significant") else "not significant") + ")")


def _summary(s: Any) -> str:
    sim = _sim(s)
    conflict = "; CONFIGURATION CONFLICT" if s.get("target_conflicts") else ""
    tax = f"; {tax_summary(s)}" if tax_summary(s) else ""
    return (f"{s['simulation_verdict']} ({s['mode'].replace('_', '-')}; {s['n_trades']} trades, "
            f"{s['cost_bps']:.1f} bps{tax}" + (f"; {sim}" if sim else "") + f"){conflict}")


def _cell(s: Any) -> str:
    verdict = str(s.get("simulation_verdict", ""))
    sim = _sim(s)
    conflict = (f'<span style="color:{CONFLICT_COLOR};font-weight:700">configuration conflict</span><br>'
                if s.get("target_conflicts") else "")
    return (conflict + f'<span style="color:{VERDICT_COLORS.get(verdict, "#455a64")};font-weight:700">'
            f'{html.escape(verdict)}</span><br>'
            f'{html.escape(str(s.get("mode", "")).replace("_", "-"))}; {s.get("n_trades", 0)} trades, '
            f'{s.get("cost_bps", float("nan")):.1f} bps'
            + (f"; {html.escape(tax_summary(s))}" if tax_summary(s) else "")
            + (f"; {html.escape(sim)}" if sim else ""))


def _applies(profile: Profile, has_holdings: bool) -> str | None:
    if has_holdings:
        return None
    return "no holdings on or before the as-of date (import them with `rebal data import holdings`)"


REPORT = ReportSpec(
    name="rebalance_proposal", title="Rebalance proposal", order=20,
    scraps={"proposal_id": str, "simulation_verdict": str, "verdict_reason": str, "blocked": bool,
            "hard_breaches": list, "target_conflicts": list, "baseline": str,
            "sharpe_difference": (float, type(None)), "sharpe_difference_se": (float, type(None)),
            "simulation": dict, "mode": str, "breakers": str, "n_adjustments": int, "n_trades": int,
            "cost_bps": float, "drift": float, "deployed": float, "remedial_id": str, "remedial": dict,
            "partway": dict, "stability": dict, "recommendation": dict, "warnings": list, "alerts": list,
            "proposed": dict, "decision_action": str, "decision_reason": str, "decision_rule": int,
            "decision_headline": str, **TAX_SCRAPS},
    summary=_summary, applies=_applies,
    cover=(Cover("Proposal", _cell),), evidence=evidence,
    method_notes=("The rebalance-modes specification subtracts a cost in percent of value from a relative Sharpe "
                  "change (its example: 14.3 % − 0.30 % = 14.0 %), which mixes units, and its \"improvement\" (a "
                  "Sharpe change divided by max(|baseline|, 0.5), printed as a percentage) is neither a relative "
                  "Sharpe change nor a return. Here the simulation reports the Sharpe difference of the "
                  "walk-forward strategy against the book as held, net of costs charged on the simulated path, "
                  "with its standard error.",),
    legend="<b>Proposal</b>: the simulation verdict (IMPROVES / WITHIN NOISE / WORSENS / NOT SIMULATED): the "
           "strategy refitted on schedule (walk-forward) against the book as held; its Sharpe difference ± one "
           "standard error (Jobson-Korkie-Memmel) and z, \"not significant\" when |z| is at most noise_z.",
)
