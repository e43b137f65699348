"""The weekly review report: a profile's one decision, its reasons, its trades and what changed since last week.

In the committee packet this report is the profile's page of essentials (the decision part);
the other reports follow it as the appendix. Its scraps feed the packet's executive summary,
its book line (trades netted across profiles), the changes section and the sign-off block.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from rebal.report.pages.weekly_review_evidence import SIGNED_ACTIONS, decides, evidence, sign
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import pyplot
from rebal.report.widgets import card, html_block

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rebal.decision.history import Changes
    from rebal.decision.review import WeeklyReview

__all__ = ["REPORT", "ACTION_COLORS", "SIGNED_ACTIONS", "decision_badge", "decision_card", "numbers_table",
           "trades_summary", "changes_block", "drift_trend_plot", "decision_table_block", "scraps"]

#: colours of the decision's actions (the packet uses the same)
ACTION_COLORS = {"EXECUTE": "#c62828", "ADOPT TARGET": "#6a1b9a", "DEFER": "#ef6c00", "NO ACTION": "#2e7d32",
                 "RESOLVE CONFLICT": "#ad1457", "FIX DATA": "#455a64"}


def decision_badge(action: str) -> str:
    """Show the action as a coloured badge (HTML)."""
    return (f'<span style="background:{ACTION_COLORS.get(action, "#455a64")};color:#fff;padding:2px 10px;'
            f'border-radius:4px;font-weight:700;letter-spacing:.03em">{html.escape(action)}</span>')


def decision_card(review: WeeklyReview) -> Any:
    """Show the decision, what it asks of the committee, and the ordered reasons that led to it."""
    d = review.decision
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in d.reasons)
    return card([
        ("Decision", f"{decision_badge(d.action)} &nbsp; {html.escape(d.meaning)}"),
        ("Because", f"{html.escape(d.reason)} <span style='color:#78909c'>(row {d.rule} of the decision table)</span>"),
        ("Inputs", f"<ol style='margin:0;padding-left:18px'>{reasons}</ol>"),
    ])


def numbers_table(review: WeeklyReview) -> pd.DataFrame:
    """Tabulate the figures behind the decision, each with what it is measured against."""
    a, i, p = review.audit, review.decision.inputs, review.proposal
    th = review.profile.drift
    rows = [
        ("drift against today's target", f"{i.drift:.2%}", f"status {i.drift_status}: rebalance above "
                                                         f"{th.rebalance:.0%}, urgent above {th.urgent:.0%}"),
        ("  of which prices moved the holdings", f"{i.price_drift:.2%}", f"since the implementation of {a.lis.as_of}"),
        ("  of which the target moved", f"{i.target_change:.2%}", f"{a.target.method} target as of {a.as_of}"),
        ("planner verdict", i.planner_verdict, "the reasons above say why"),
        ("simulation verdict", i.simulation_verdict, "the reasons above say why"),
    ]
    if p is not None and i.improvement is not None:
        se = f" ± {i.improvement_se:.1%}" if i.improvement_se is not None else ""
        rows.append(("simulated improvement", f"{i.improvement:+.1%}{se}", "out of sample, net of costs"))
    rows.append(("hard limits now", "; ".join(i.hard_breaches) or "all within", "the current holdings"))
    if i.target_conflicts:
        rows.append(("configuration conflicts", "; ".join(i.target_conflicts), "the target breaks its own limits"))
    return pd.DataFrame(rows, columns=["figure", "value", "against"]).set_index("figure")


def _trades(review: WeeklyReview) -> pd.DataFrame:
    p = review.proposal
    if p is None or p.blocked or p.trades.trades.empty:
        return pd.DataFrame(columns=["ticker", "action", "shares", "value"])
    return p.trades.trades[["ticker", "action", "shares", "value"]].reset_index(drop=True)


def trades_summary(review: WeeklyReview) -> Any:
    """Summarise what would be signed: trades, gross buys and sells, estimated cost, the proposal id."""
    p = review.proposal
    if p is None:
        return html_block("<p>No proposal: the profile has no holdings to trade from.</p>")
    t = _trades(review)
    buys, sells = float(t.loc[t["action"] == "BUY", "value"].sum()), float(t.loc[t["action"] == "SELL", "value"].sum())
    c = p.costs
    return card([
        ("Proposal", f"<code>{html.escape(p.id)}</code> on ${p.value:,.0f}"
                     + (" — <b>BLOCKED</b>: no allocation within the hard limits" if p.blocked else "")),
        ("Trades", f"{len(t)}: buys ${buys:,.0f}, sells ${sells:,.0f}, net cash flow ${sells - buys:+,.0f}"),
        ("Estimated cost", f"${c['total_usd']:,.0f} ({c['total_bps']:.1f} bps of value)"),
    ])


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
    items += [f"New alert: {e(a)}." for a in ch.new_alerts] + [f"Resolved: {e(a)}." for a in ch.resolved_alerts]
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
    """Say which row of the decision table decided (the whole table is once in the packet and in the README)."""
    from rebal.decision.table import DECISION_TABLE

    row = next((r for r in DECISION_TABLE if review is not None and r.number == review.decision.rule), None)
    which = (f"Row {row.number} of the decision table decided: when {html.escape(row.when)}, the decision is "
             f"<b>{html.escape(row.action)}</b>. " if row is not None else "")
    return html_block('<div class="rebal-standalone"><h2>How the decision is made</h2><p>' + which
                      + "The first row of the decision table whose condition holds decides; the reasons above list "
                      "what each input said in its own words. The whole table is in the committee packet (How the "
                      "decisions are made) and in the README.</p></div>")


def scraps(review: WeeklyReview, ch: Changes, alerts: list[str]) -> dict[str, Any]:
    """Every scrap of the weekly review (the packet's executive summary, book line, changes and sign-off)."""
    p, d = review.proposal, review.decision
    t = _trades(review)
    buys = float(t.loc[t["action"] == "BUY", "value"].sum())
    sells = float(t.loc[t["action"] == "SELL", "value"].sum())
    return {
        "profile": review.profile.name, "as_of": str(review.as_of),
        "decision_action": d.action, "decision_reason": d.reason, "decision_rule": d.rule,
        "decision_reasons": list(d.reasons), "drift_status": d.inputs.drift_status,
        "drift": float(d.inputs.drift), "price_drift": float(d.inputs.price_drift),
        "target_change": float(d.inputs.target_change), "planner_verdict": d.inputs.planner_verdict,
        "simulation_verdict": d.inputs.simulation_verdict,
        "proposal_id": p.id if p is not None else "", "proposal_blocked": bool(p.blocked) if p is not None else False,
        "value": float(p.value) if p is not None else float(review.audit.total_value or 0.0),
        "n_trades": int(len(t)), "gross_buys": buys, "gross_sells": sells,
        "cost_usd": float(p.costs["total_usd"]) if p is not None else 0.0,
        "cost_bps": float(p.costs["total_bps"]) if p is not None else 0.0,
        "trades": t.astype({"ticker": str, "action": str}),
        "alerts": list(alerts), "changes": ch.to_json(),
    }


def _summary(s: Any) -> str:
    return f"{s['decision_action']}: {s['decision_reason']}"


def _cell(s: Any) -> str:
    return f"{decision_badge(str(s.get('decision_action', '')))}<br>{html.escape(str(s.get('decision_reason', '')))}"


REPORT = ReportSpec(
    name="weekly_review", title="Weekly review", order=5,
    scraps={"profile": str, "as_of": str, "decision_action": str, "decision_reason": str, "decision_rule": int,
            "decision_reasons": list, "drift_status": str, "drift": float, "price_drift": float,
            "target_change": float, "planner_verdict": str, "simulation_verdict": str, "proposal_id": str,
            "proposal_blocked": bool, "value": float, "n_trades": int, "gross_buys": float, "gross_sells": float,
            "cost_usd": float, "cost_bps": float, "trades": "DataFrame", "alerts": list, "changes": dict},
    summary=_summary,
    cover=(Cover("Decision", _cell),), role="decision", evidence=evidence, sign=sign, decides=decides,
)
