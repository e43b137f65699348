"""A proposal as plain data: its JSON (``proposal.json``), its ids and its plain-English explanation.

A proposal's ``id`` is ``<profile>-<YYYYMMDD>-<hash>``, the hash of **what is signed**
(:func:`signed_content`): the holdings and prices it starts from, the target and the proposed
allocation, the profile's parameters, and every trade list (the full adoption, the part-way trade,
the remedial part). Nothing derived from them enters it (the simulation and its verdict, warnings,
the explanation, the time it was built): every report, ``rebal propose``, ``rebal risk`` and
``rebal drift-monitor`` show the same id for the same data and parameters, simulated or not. The
remedial part has its own id (:func:`remedial_id`), the hash of the holdings, prices, limits and its
own trades, so it can be signed apart. The explanation is generated from the numbers.
"""
from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH
from rebal.fileio import atomic_write_json
from rebal.proposal.noise import SE_DEFINITION
from rebal.proposal.tax_text import tax_json

if TYPE_CHECKING:
    from rebal.proposal.build import Proposal

__all__ = ["proposal_json", "signed_content", "proposal_id", "remedial_id", "write_proposal", "explain"]


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


def _cmp(c) -> dict | None:
    return None if c is None else {k: _num(v) for k, v in c.to_json().items()}


def _trades(tl) -> list[dict]:
    cols = [c for c in ("ticker", "action", "shares", "price", "value") if c in tl.trades.columns]
    return [{k: _num(v) for k, v in r.items()} for r in tl.trades[cols].to_dict("records")]


def _simulation_json(p: Proposal) -> dict:
    s = p.simulation
    fig = p.figure
    return {
        "window": {"start": str(s.start), "end": str(s.end), "sessions": s.n_days},
        "compared": fig.compared if fig is not None else "",
        "figure": fig.to_json() if fig is not None else None,
        "baseline_source": s.baseline_source,
        "baseline": {k: _num(v) for k, v in s.baseline.items()},
        "in_sample": {k: _num(v) for k, v in s.in_sample.items()},
        "out_of_sample": {k: _num(v) for k, v in s.out_of_sample.items()} if s.out_of_sample else None,
        "comparison_in_sample": _cmp(s.comparison_in_sample),
        "comparison_out_of_sample": _cmp(s.comparison_out_of_sample),
        "refits": [{k: (str(v) if isinstance(v, date) else _num(v)) for k, v in r.items()} for r in s.refits],
        "notes": s.notes,
    }


def proposal_json(p: Proposal, *, with_id: bool = True) -> dict:
    """Return the proposal as plain types (what ``proposal.json`` holds)."""
    a, b = p.allocation, p.allocation.breaker
    spec = p.profile.proposal
    doc = {
        "profile": p.profile.name, "as_of": str(p.as_of), "mode": a.mode, "mode_requested": p.mode_requested,
        "status": "BLOCKED" if p.blocked else "PROPOSED", "simulation_verdict": p.verdict,
        "verdict_reason": p.verdict_reason, "hard_breaches": list(p.hard_breaches),
        "target_conflicts": list(p.target_conflicts), "baseline": p.baseline,
        "sharpe_difference": {"basis": "out-of-sample (walk-forward) against the baseline, net of costs",
                              "value": _num(p.sharpe_difference), "se": _num(p.sharpe_difference_se),
                              "se_definition": SE_DEFINITION, "noise_z": _num(spec.noise_z)},
        "value": _num(p.value), "cash": _num(p.cash),
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
        "tax": tax_json(p.tax),
        "remedial": p.remedial.to_json() if p.remedial is not None else None,
        "partway": p.partway.to_json() if p.partway is not None else None,
        "stability": p.stability.to_json() if p.stability is not None else None,
        "flags": {"warnings": p.warnings, "alerts": p.alerts},
        "notes": p.notes, "data": p.data,
    }
    if p.simulation is not None:
        doc["simulation"] = _simulation_json(p)
    doc["explanation"] = explain(p)
    if with_id:
        doc = {"id": p.id, "created_at": p.created_at, **doc}
    return doc


def _parameters(p: Proposal) -> str:
    """SHA-256 of the profile's parameters (its content, without where it was read from)."""
    from dataclasses import asdict

    params = {k: v for k, v in asdict(p.profile).items() if k not in ("source", "sha256")}
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def _start(p: Proposal) -> dict:
    inp = p.inputs
    prices = _series(inp.prices) if inp is not None else {}
    shares = _series(inp.shares) if inp is not None else {}
    return {"profile": p.profile.name, "as_of": str(p.as_of), "holdings_date": str(p.holdings_date),
            "shares": shares, "cash": _num(p.cash), "prices": prices, "parameters": _parameters(p)}


def signed_content(p: Proposal) -> dict:
    """Return what a signature of the proposal covers: inputs, parameters, target, allocation and every trade list."""
    return {**_start(p), "data": p.data, "mode": p.allocation.mode, "target": _series(p.target),
            "proposed": _series(p.proposed), "trades": _trades(p.trades),
            "partway": _trades(p.partway.trades) if p.partway is not None else None,
            "remedial": _trades(p.remedial.trades) if p.remedial is not None else None}


def _digest(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:10]


def proposal_id(p: Proposal) -> str:
    """``<profile>-<YYYYMMDD>-<hash>``: the first 10 hex digits of the SHA-256 of :func:`signed_content`."""
    return f"{p.profile.name}-{p.as_of:%Y%m%d}-{_digest(signed_content(p))}"


def remedial_id(p: Proposal) -> str:
    """``<profile>-<YYYYMMDD>-remedial-<hash>``: the hash of the holdings, prices, limits and the remedial trades."""
    doc = {**_start(p), "limits": {k: _num(v) for k, v in vars(p.profile.proposal.limits).items()},
           "remedial": _trades(p.remedial.trades) if p.remedial is not None else None}
    return f"{p.profile.name}-{p.as_of:%Y%m%d}-remedial-{_digest(doc)}"


def write_proposal(p: Proposal, reports_dir: Path) -> Path:
    """Write ``reports/<as_of>/<profile>/proposal.json`` atomically; return its path."""
    out = Path(reports_dir) / str(p.as_of) / p.profile.name / "proposal.json"
    return atomic_write_json(out, proposal_json(p), indent=2, default=str)


def explain(p: Proposal) -> str:
    """Explain the proposal in plain English, a paragraph per topic, from its numbers."""
    a, b = p.allocation, p.allocation.breaker
    deployed_now = 1.0 - float(p.current.get(CASH, 0.0))
    deployed_new = 1.0 - float(p.proposed.get(CASH, 0.0))
    out = []
    if p.target_conflicts:
        out.append(f"Configuration conflict: the profile's own target breaks its hard limits "
                   f"({'; '.join(p.target_conflicts)}), so trading towards it cannot comply; this is not a routine "
                   "trade: the profile must change first.")
    out.append(f"{p.profile.name} is worth ${p.value:,.0f} as of {p.as_of}, {deployed_now:.1%} deployed. It has "
               f"drifted {p.drift:.1%} from its {p.data['target_method'].replace('_', ' ')} target "
               f"(status {p.drift_status}).")
    if p.hard_breaches:
        out.append(f"The current holdings break {len(p.hard_breaches)} hard limit(s): {'; '.join(p.hard_breaches)}.")
        r = p.remedial
        if r is not None:
            out.append(f"Required apart from anything else: the remedial part {r.id}, {len(r.trades.trades)} trade(s) "
                       f"worth ${r.traded_value:,.0f} at an estimated ${r.cost_usd:,.0f}, the smallest that bring the "
                       "holdings within every hard limit, moving towards the proposal.")
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
        out.append(f"The proposal is blocked: {b.reason}. No trades are proposed; manual action is needed.")
        out.append(f"Simulation verdict: {p.verdict} ({p.verdict_reason}).")
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
    fig = p.figure
    if fig is not None:
        out.append(f"Simulation: {fig.words()}.")
    out.append(f"Simulation verdict: {p.verdict} ({p.verdict_reason}).")
    if p.warnings:
        out.append("Warnings: " + "; ".join(p.warnings) + ".")
    if p.alerts:
        out.append("Alerts: " + "; ".join(p.alerts) + ".")
    return " ".join(out)
