"""The weekly review report: a profile's decision, its evidence, what would be signed, what changed since last week.

In the committee packet this report is the profile's decision page (the decision part); the other
reports follow it as the appendix. The required part (a hard limit broken now) comes first with its
own remedy and id, then the recommendation on the target with the evidence behind it
(:mod:`rebal.report.pages.decision_view`). Its scraps feed the packet's executive summary, its book
line (trades netted across profiles), the changes section and the sign-off block; ``recommendation``
carries the evidence as data.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from rebal.report.pages.decision_view import (
    ACTION_COLORS,
    decision_badge,
    decision_card,
    decision_scraps,
    evidence_notes,
    evidence_table,
    remedy_block,
    signed_trades,
    signing_block,
)
from rebal.report.pages.weekly_review_evidence import SIGNED_ACTIONS, decides, evidence, sign
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import pyplot
from rebal.report.tax import TAX_SCRAPS, tax_scraps
from rebal.report.widgets import html_block

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rebal.decision.history import Changes
    from rebal.decision.review import WeeklyReview

__all__ = ["REPORT", "ACTION_COLORS", "SIGNED_ACTIONS", "decision_badge", "decision_card", "remedy_block",
           "evidence_table", "evidence_notes", "signing_block", "numbers_table", "changes_block", "drift_trend_plot",
           "decision_table_block", "scraps"]


def numbers_table(review: WeeklyReview) -> pd.DataFrame:
    """Tabulate the figures behind the decision, each with what it is measured against.

    The drift's parts add up to it (:func:`rebal.analytics.drift.drift_split`); the distances moved by
    prices and by the target are shown apart, as distances, not as parts.
    """
    a, i = review.audit, review.decision.inputs
    th = review.profile.drift
    rows = [
        ("drift against today's target", f"{i.drift:.2%}", f"status {i.drift_status}: rebalance above "
                                                         f"{th.rebalance:.0%}, urgent above {th.urgent:.0%}"),
        ("  of which prices", f"{i.price_part:+.2%}", f"the holdings' moves since {a.lis.as_of}, towards (−) or away "
                                                     "from (+) today's target"),
        ("  of which the target's move", f"{i.target_part:+.2%}", f"{a.target.method} target refitted as of {a.as_of} "
                                                                  "(the two parts add up to the drift)"),
        ("distance moved by prices", f"{i.price_drift:.2%}", "implemented weights → today's weights (a distance, "
                                                             "not a part)"),
        ("distance moved by the target", f"{i.target_change:.2%}", "implemented weights → today's target (a distance)"),
        ("planner verdict", i.planner_verdict, i.planner_reason),
        ("simulation verdict", i.simulation_verdict, i.simulation_reason),
        ("hard limits now", "; ".join(i.hard_breaches) or "all within", "the current holdings"),
    ]
    if i.target_conflicts:
        rows.append(("configuration conflicts", "; ".join(i.target_conflicts), "the target breaks its own limits"))
    return pd.DataFrame(rows, columns=["figure", "value", "against"]).set_index("figure")


def changes_block(ch: Changes) -> Any:
    """List what changed since the last committee (HTML)."""
    e = html.escape
    if ch.previous is None:
        return html_block(f"<p>No earlier week: {e(ch.previous_source)}.</p>")
    items = [f"Compared with {e(ch.previous_source)}."]
    if ch.decision_change:
        items.append(f"Decision: {e(ch.decision_change[0])} → <b>{e(ch.decision_change[1])}</b>.")
    elif ch.previous_decision:
        items.append(f"Decision unchanged: {e(ch.previous_decision)}.")
    if ch.status_change:
        items.append(f"Drift status: {e(ch.status_change[0])} → {e(ch.status_change[1])}.")
    items += [f"<span style='color:#c62828'>{e(d)}</span>" for d in ch.differences]
    if ch.added or ch.dropped:
        items.append(f"Target names added: {e(', '.join(ch.added) or 'none')}; "
                     f"dropped: {e(', '.join(ch.dropped) or 'none')}.")
    if ch.target_changes:
        moves = ", ".join(f"{t} {b:.1%} → {a:.1%}" for t, b, a in ch.target_changes[:6])
        more = f" and {len(ch.target_changes) - 6} more" if len(ch.target_changes) > 6 else ""
        items.append(f"Target weights moved: {e(moves)}{more}.")
    items += [f"New alert since the last committee: {e(a)}." for a in ch.new_alerts]
    items += [f"Resolved since the last committee: {e(a)}." for a in ch.resolved_alerts]
    if not ch.new_alerts and not ch.resolved_alerts:
        items.append("No alert is new or resolved since the last committee (alerts that continue are on the cover).")
    items += [f"Approval: {e(a)}." for a in ch.approvals] + [f"Execution: {e(x)}." for x in ch.executions]
    items += [f"Implemented {e(i.line())}." for i in ch.implementations]
    if len(items) == 2 and not ch.decision_change:
        items.append("Nothing else changed.")
    return html_block("<ul style='margin:2px 0'>" + "".join(f"<li>{x}</li>" for x in items) + "</ul>")


def drift_trend_plot(ch: Changes, review: WeeklyReview) -> Figure:
    """Drift against each week's own target over the last weekly points, with the profile's thresholds."""
    plt = pyplot()
    from matplotlib.ticker import PercentFormatter

    th = review.profile.drift
    pts = ch.drift_points
    fig, ax = plt.subplots(figsize=(8, 2.4))
    ax.plot(pd.to_datetime(pts["date"]), pts["drift"] * 100, marker="o", color="#263238", lw=1.4, ms=4)
    for level, color, name in ((th.rebalance, "#ef6c00", "rebalance"), (th.urgent, "#c62828", "urgent")):
        ax.axhline(level * 100, color=color, ls="--", lw=1)
        ax.text(1.005, level * 100, f"{name} {level:.0%}", transform=ax.get_yaxis_transform(), color=color,
                fontsize=7, va="center")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(0, max(th.urgent * 110, float(pts["drift"].max() * 110) if len(pts) else 0))
    ax.set_ylabel("portfolio drift")
    ax.set_title(f"Drift against each week's own target, last {len(pts)} weekly points (point in time)", loc="left",
                 fontsize=10)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def decision_table_block(review: WeeklyReview | None = None) -> Any:
    """Say which rows of the decision table decided (the whole table is once in the packet and in the README)."""
    from rebal.decision.table import DECISION_TABLE

    d = review.decision if review is not None else None
    parts = [(d, ""), (d.then, "On the rest, ")] if d is not None and d.then is not None else [(d, "")]
    which = ""
    for part, lead in parts:
        row = next((r for r in DECISION_TABLE if part is not None and r.number == part.rule), None)
        if row is not None:
            which += (f"{lead}row {row.number} of the decision table decided: when {html.escape(row.when)}, the "
                      f"decision is <b>{html.escape(row.action)}</b>. ")
    return html_block('<div class="rebal-standalone"><h2>How the decision is made</h2><p>' + which[:1].upper()
                      + which[1:] + "The first row of the decision table whose condition holds decides (after a "
                      "required row, the table is applied again without the breach for the rest); the reasons above "
                      "list what each input said in its own words. The whole table is in the committee packet (How "
                      "the decisions are made) and in the README.</p></div>")


def scraps(review: WeeklyReview, ch: Changes, alerts: list[str]) -> dict[str, Any]:
    """Every scrap of the weekly review (the packet's executive summary, book line, changes and sign-off).

    ``trades`` (and their counts and gross values) are the discretionary trades the decision signs;
    the required remedy's are ``remedial_trades`` with ``remedial_id``.
    """
    p, d = review.proposal, review.decision
    t = signed_trades(review)
    buys = float(t.loc[t["action"] == "BUY", "value"].sum())
    sells = float(t.loc[t["action"] == "SELL", "value"].sum())
    part = d.discretionary.action == "ADOPT PART-WAY" and p is not None and p.partway is not None
    cost = (p.partway.cost_usd if part else p.costs["total_usd"]) if p is not None else 0.0
    return {
        "profile": review.profile.name, "as_of": str(review.as_of),
        "decision_action": d.action, "decision_reason": d.reason, "decision_rule": d.rule,
        "decision_reasons": list(d.reasons), "drift_status": d.inputs.drift_status,
        "drift": float(d.inputs.drift), "price_drift": float(d.inputs.price_drift),
        "target_change": float(d.inputs.target_change), "price_part": float(d.inputs.price_part),
        "target_part": float(d.inputs.target_part), "planner_verdict": d.inputs.planner_verdict,
        "simulation_verdict": d.inputs.simulation_verdict,
        "proposal_id": p.id if p is not None else "", "proposal_blocked": bool(p.blocked) if p is not None else False,
        "value": float(p.value) if p is not None else float(review.audit.total_value or 0.0),
        "n_trades": int(len(t)), "gross_buys": buys, "gross_sells": sells,
        "cost_usd": float(cost) if len(t) else 0.0,
        "cost_bps": float(1e4 * cost / p.value) if p is not None and len(t) else 0.0,
        "trades": t.astype({"ticker": str, "action": str}),
        "alerts": list(alerts), "changes": ch.to_json(), **decision_scraps(review),
        **tax_scraps(p, (p.partway.tax if part else p.tax) if len(t) else None, float(cost) if len(t) else 0.0),
    }


def _summary(s: Any) -> str:
    return f"{s.get('decision_headline') or s['decision_action']}: {s['decision_reason']}"


def _cell(s: Any) -> str:
    then = s.get("discretionary_action") if s.get("decision_required") else None
    return (f"{decision_badge(str(s.get('decision_action', '')))}"
            + (f" then {decision_badge(str(then))}" if then else "")
            + f"<br>{html.escape(str(s.get('decision_reason', '')))}")


REPORT = ReportSpec(
    name="weekly_review", title="Weekly review", order=5,
    scraps={"profile": str, "as_of": str, "decision_action": str, "decision_reason": str, "decision_rule": int,
            "decision_reasons": list, "drift_status": str, "drift": float, "price_drift": float,
            "target_change": float, "price_part": float, "target_part": float, "planner_verdict": str,
            "simulation_verdict": str, "proposal_id": str,
            "proposal_blocked": bool, "value": float, "n_trades": int, "gross_buys": float, "gross_sells": float,
            "cost_usd": float, "cost_bps": float, "trades": "DataFrame", "alerts": list, "changes": dict,
            "decision_headline": str, "decision_required": bool, "discretionary_action": str,
            "discretionary_reason": str, "discretionary_rule": int, "hard_breaches": list,
            "remedial_limits_ok": bool, "remedial_id": str, "remedial_value": float,
            "remedial_cost": float, "remedial_tax": float,
            "remedial_trades": "DataFrame", "recommendation": dict, **TAX_SCRAPS},
    summary=_summary,
    cover=(Cover("Decision", _cell),), role="decision", evidence=evidence, sign=sign, decides=decides,
)
