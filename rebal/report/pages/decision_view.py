"""The decision page's parts, shared by the weekly review, the drift audit and the proposal reports.

Required first: a hard limit broken now gets its remedy (trades, value, cost, its own id) before any
question about the target. Then the recommendation (adopt / adopt part-way / keep current) with its
reasons, and the evidence behind it, current → proposed, each row saying what it measures and whether
it argues for or against. Then what would be signed, one line per part.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from rebal.report.tax import tax_words
from rebal.report.widgets import card, html_block, note

if TYPE_CHECKING:
    from rebal.decision.review import WeeklyReview

__all__ = ["ACTION_COLORS", "SAYS_COLORS", "decision_badge", "decision_card", "remedy_block", "evidence_table",
           "evidence_notes", "signing_block", "signed_trades", "decision_scraps"]

#: colours of the decision's actions (the packet uses the same)
ACTION_COLORS = {"EXECUTE": "#c62828", "CURE BREACH": "#b71c1c", "ADOPT TARGET": "#6a1b9a",
                 "ADOPT PART-WAY": "#4527a0", "KEEP CURRENT": "#37474f", "DEFER": "#ef6c00", "NO ACTION": "#2e7d32",
                 "RESOLVE CONFLICT": "#ad1457", "FIX DATA": "#455a64"}
#: colours of what an evidence row says
SAYS_COLORS = {"for": "#2e7d32", "against": "#c62828", "neutral": "#546e7a", "not significant": "#546e7a"}
_E = html.escape


def decision_badge(action: str) -> str:
    """Show the action as a coloured badge (HTML)."""
    return (f'<span style="background:{ACTION_COLORS.get(action, "#455a64")};color:#fff;padding:2px 10px;'
            f'border-radius:4px;font-weight:700;letter-spacing:.03em">{_E(action)}</span>')


def _money(x: float) -> str:
    return ("−" if x < 0 else "") + f"${abs(x):,.0f}"


def decision_card(review: WeeklyReview, *, inputs: bool = True) -> Any:
    """Return the decision: the required part first (if any), then the discretionary one, each with its reason.

    ``inputs``: also list what each input said (the weekly review shows them in its figures table instead).
    """
    d, rec = review.decision, review.recommendation
    rows = []
    if d.required:
        rows.append(("Required", f"{decision_badge(d.action)} &nbsp; {_E(d.meaning)}<br>{_E(d.reason)} "
                                 f"<span style='color:#78909c'>(row {d.rule} of the decision table)</span>"))
    t = d.discretionary
    label = "Then, on the rest" if d.required else "Decision"
    rows.append((label, f"{decision_badge(t.action)} &nbsp; {_E(t.meaning)}<br>{_E(t.reason)} "
                        f"<span style='color:#78909c'>(row {t.rule} of the decision table)</span>"))
    if rec is not None and rec.option is not None and t.action in ("ADOPT TARGET", "ADOPT PART-WAY"):
        rows.append(("Recommended trade", _E(rec.headline())))
    if inputs:
        rows.append(("Inputs", "<ol style='margin:0;padding-left:18px'>"
                               + "".join(f"<li>{_E(r)}</li>" for r in t.reasons[1:]) + "</ol>"))
    return card(rows)


def remedy_block(review: WeeklyReview) -> Any:
    """Return the required remedial part under its heading: the breach, its trades, value, cost and id (HTML).

    None when no hard limit is broken (nothing is shown: nothing is required).
    """
    p = review.proposal
    r = p.remedial if p is not None else None
    if r is None:
        return None
    t = r.trades.trades
    lines = "".join(f"<tr><td>{_E(x.action)}</td><td>{_E(x.ticker)}</td><td class='num'>{x.shares:,}</td>"
                    f"<td class='num'>${x.value:,.0f}</td><td class='num'>{x.weight_before:.2%} → {x.weight_after:.2%}"
                    "</td></tr>" for x in t.itertuples())
    ok = "every hard limit holds after it" if r.limits_ok else "a hard limit still fails after it: see the notes"
    head = (f"<h2 id='Required'>Required</h2><p><b>Remedy</b> <code>{_E(r.id)}</code>: "
            f"{_E('; '.join(p.hard_breaches))}. The "
            f"smallest trades by value that bring the holdings within every hard limit, moving towards the proposal "
            f"and never away from it (the proceeds go to positions below their target): {len(t)} trade(s) worth "
            f"${r.traded_value:,.0f}, estimated cost ${r.cost_usd:,.0f}; {ok}.</p>")
    table = ("<table class='rebal-table'><thead><tr><th>action</th><th>ticker</th><th>shares</th><th>value</th>"
             f"<th>weight now → after</th></tr></thead><tbody>{lines}</tbody></table>")
    return html_block(head + table)


def evidence_table(review: WeeklyReview) -> pd.DataFrame:
    """Return the evidence, current → proposed (→ part-way), as text by measure, with what each row says."""
    rec = review.recommendation
    if rec is None:
        return pd.DataFrame()
    return rec.evidence.table().drop(columns=["what it measures"])


def evidence_notes(review: WeeklyReview) -> Any:
    """Return what each evidence row measures, the stability and the simulation in words (HTML)."""
    rec, p = review.recommendation, review.proposal
    if rec is None or p is None:
        return note("No proposal: no evidence to weigh.")
    items = ["<b>What each row measures</b>: " + "; ".join(f"{_E(r.measure)}: {_E(r.what)}"
                                                       for r in rec.evidence.rows if r.key not in ("stability",
                                                                                                    "simulation"))]
    if p.stability is not None:
        items.append(f"<b>Stability</b>: {_E(p.stability.words())}"
                     + (f" — {_E('; '.join(p.stability.reasons))}" if p.stability.unstable else ""))
    if p.figure is not None:
        items.append(f"<b>Simulation</b>: {_E(p.figure.words())}. It measures refitting the strategy on schedule "
                     "against leaving the book alone, not today's trades.")
    if p.profile.target.method == "max_sharpe" or rec.objective.kind == "sharpe":
        items.append("Expected returns here are trailing exponentially weighted means of past returns: estimates, "
                     "not forecasts; the target was chosen to maximise the Sharpe ratio on these same estimates.")
    return html_block("<ul style='margin:2px 0;font-size:8.5pt'>" + "".join(f"<li>{x}</li>" for x in items) + "</ul>")


def signed_trades(review: WeeklyReview) -> pd.DataFrame:
    """Return the discretionary trades the decision signs (the proposal's, the part-way trade's, or none)."""
    p, d = review.proposal, review.decision.discretionary
    cols = ["ticker", "action", "shares", "value"]
    if p is None or p.blocked or d.action not in ("EXECUTE", "ADOPT TARGET", "ADOPT PART-WAY"):
        return pd.DataFrame(columns=cols)
    tl = p.partway.trades if d.action == "ADOPT PART-WAY" and p.partway is not None else p.trades
    return tl.trades[cols].reset_index(drop=True) if len(tl.trades) else pd.DataFrame(columns=cols)


def signing_block(review: WeeklyReview) -> Any:
    """Return what would be signed, one line per part: the required remedy, then the discretionary trades (HTML)."""
    p, d = review.proposal, review.decision
    if p is None:
        return html_block("<p>No proposal: the profile has no holdings to trade from.</p>")
    rows = []
    if p.remedial is not None:
        r = p.remedial
        rows.append(("1. Required remedy", f"<code>{_E(r.id)}</code>: {len(r.trades.trades)} trade(s), "
                                           f"${r.traded_value:,.0f}, estimated cost ${r.cost_usd:,.0f}"
                                           + (f"; {tax_words(r.tax)}" if tax_words(r.tax) else "")))
    t = signed_trades(review)
    act = d.discretionary.action
    label = f"{'2' if p.remedial is not None else '1'}. {act.capitalize()}"
    if len(t):
        buys = float(t.loc[t["action"] == "BUY", "value"].sum())
        sells = float(t.loc[t["action"] == "SELL", "value"].sum())
        opt = p.partway if act == "ADOPT PART-WAY" else None
        cost = opt.cost_usd if opt is not None else p.costs["total_usd"]
        tax = tax_words(opt.tax if opt is not None else p.tax)
        also = " (it includes the remedy: signing it makes line 1 moot)" if p.remedial is not None else ""
        rows.append((label, f"<code>{_E(p.id)}</code> on ${p.value:,.0f}: {len(t)} trade(s), buys ${buys:,.0f}, "
                            f"sells ${sells:,.0f}, estimated cost ${cost:,.0f}" + (f"; {tax}" if tax else "")
                            + also))
    else:
        rows.append((label, f"nothing to sign beyond the remedy (proposal <code>{_E(p.id)}</code> for reference)"
                     if p.remedial is not None
                     else f"nothing to sign (proposal <code>{_E(p.id)}</code> for reference)"))
    return card(rows)


def decision_scraps(review: WeeklyReview) -> dict[str, Any]:
    """Return the decision's two parts, the remedy and the recommendation as plain types (scraps and JSON)."""
    p, d, rec = review.proposal, review.decision, review.recommendation
    r = p.remedial if p is not None else None
    rt = r.trades.trades[["ticker", "action", "shares", "value"]].reset_index(drop=True) if r is not None else \
        pd.DataFrame(columns=["ticker", "action", "shares", "value"])
    return {"decision_headline": d.headline, "decision_required": bool(d.required),
            "discretionary_action": d.discretionary.action, "discretionary_reason": d.discretionary.reason,
            "discretionary_rule": int(d.discretionary.rule),
            "hard_breaches": list(p.hard_breaches) if p is not None else [],
            "remedial_limits_ok": bool(r.limits_ok) if r is not None else True,
            "remedial_id": r.id if r is not None else "", "remedial_value": float(r.traded_value) if r else 0.0,
            "remedial_cost": float(r.cost_usd) if r else 0.0,
            "remedial_tax": float(r.tax.tax) if r is not None and r.tax is not None and r.tax.tax is not None else 0.0,
            "remedial_trades": rt.astype({"ticker": str, "action": str}),
            "recommendation": rec.to_json() if rec is not None else {}}
