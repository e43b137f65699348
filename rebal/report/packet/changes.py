"""The packet's "what changed since the last committee": one row per profile, from the weekly reviews.

Each weekly review computes its history point in time (every past week as of its own date) and
compares with the last recorded run when there is one; this section lays the results side by side,
with the drift of the last weekly points as a small inline chart.
"""
from __future__ import annotations

import html
from typing import Any

from rebal.report.packet.entries import PacketEntry, weekly

__all__ = ["sparkline", "changes_section", "decision_table"]


def sparkline(points: list[dict[str, Any]], *, width: int = 150, height: int = 30) -> str:
    """Draw the weekly drift points as an inline SVG line (no external resource), labelled with the last value."""
    vals = [float(p["drift"]) for p in points]
    if len(vals) < 2:
        return "—"
    top = max(max(vals) * 1.1, 1e-9)
    xs = [2 + i * (width - 40) / (len(vals) - 1) for i in range(len(vals))]
    ys = [height - 3 - v / top * (height - 6) for v in vals]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    first, last = points[0]["date"], points[-1]["date"]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="drift from {first} to {last}"><polyline points="{path}" fill="none" stroke="#263238" '
            f'stroke-width="1.4"/><circle cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="2.2" fill="#c62828"/>'
            f'<text x="{width - 34}" y="{height / 2 + 3:.0f}" font-size="9" fill="#263238">{vals[-1]:.1%}</text></svg>'
            f'<div class="tiny">{len(vals)} weeks, {html.escape(str(first))} → {html.escape(str(last))}</div>')


def _list(items: list[str], empty: str = "none") -> str:
    if not items:
        return f"<span class='muted'>{empty}</span>"
    return "<br>".join(html.escape(i) for i in items)


def _row(profile: str, s: dict[str, Any]) -> str:
    c = s.get("changes", {})
    e = html.escape
    if not c.get("previous"):
        return (f"<tr><td>{e(profile)}</td><td colspan='5'>{e(c.get('previous_source', 'no earlier week'))}"
                f"</td><td>{sparkline(c.get('drift_points', []))}</td></tr>")
    now = s["decision_action"]
    before = (c.get("decision_change") or [c.get("recorded_decision") or c.get("previous_decision") or "—", now])[0]
    decision = (f"<b>{e(before)} → {e(now)}</b>" if c.get("decision_change") else f"{e(now)} (unchanged)")
    if c.get("status_change"):
        decision += f"<br>status {e(c['status_change'][0])} → {e(c['status_change'][1])}"
    decision += "".join(f"<br><span class='failed'>{e(d)}</span>" for d in c.get("differences", []))
    names = []
    if c.get("added") or c.get("dropped"):
        names.append(f"+ {', '.join(c.get('added', [])) or 'none'}; − {', '.join(c.get('dropped', [])) or 'none'}")
    moves = c.get("target_changes", [])
    if moves:
        names.append("; ".join(f"{t} {b:.1%}→{a:.1%}" for t, b, a in moves[:3])
                     + (f"; +{len(moves) - 3} more" if len(moves) > 3 else ""))
    alerts = [f"new: {a}" for a in c.get("new_alerts", [])] + [f"resolved: {a}" for a in c.get("resolved_alerts", [])]
    signed = c.get("approvals", []) + c.get("executions", []) + [
        f"implemented {i.get('date')}: {i.get('what')}" for i in c.get("implementations", [])]
    continuing = len(s.get("alerts", [])) - len(c.get("new_alerts", []))
    empty = f"no new alert ({continuing} continuing, on the cover)" if continuing > 0 else "none new"
    return (f"<tr><td>{e(profile)}</td><td>{decision}</td><td>{_list(names)}</td><td>{_list(alerts, empty)}</td>"
            f"<td>{_list(signed)}</td><td class='tiny'>{e(str(c.get('previous')))}</td>"
            f"<td>{sparkline(c.get('drift_points', []))}</td></tr>")


def changes_section(entries: list[PacketEntry]) -> str:
    """Tabulate the changes (HTML), with the basis of the comparison stated once."""
    wk = weekly(entries)
    if not wk:
        return "<p>No decision report rendered: nothing to compare.</p>"
    sources = {s.get("changes", {}).get("previous_source", "") for s in wk.values()}
    basis = ("Compared with " + html.escape(next(iter(sources))) + "." if len(sources) == 1
             else "Each profile is compared with its own last week (column 'since').")
    rows = "".join(_row(p, s) for p, s in wk.items())
    return (f"<p>{basis} Every past week is recomputed as of its own date from the lakehouse (only data dated on or "
            "before it); where an earlier weekly run exists, its recorded decision is used and a difference from the "
            "recomputation is named.</p>"
            '<table class="summary changes"><colgroup><col style="width:13%"><col style="width:13%">'
            '<col style="width:20%"><col style="width:13%"><col style="width:14%"><col style="width:10%">'
            '<col style="width:17%"></colgroup><thead><tr><th>Profile</th><th>Decision</th><th>Target: names '
            "added / dropped, largest moves</th><th>Alerts: new and resolved only</th><th>Approved, executed, "
            "implemented (see the sign-off)</th><th>since</th>"
            f"<th>Drift, weekly</th></tr></thead><tbody>{rows}</tbody></table>")


def decision_table() -> str:
    """Tabulate the decision table the decisions come from (HTML; the same rows as the README's)."""
    from rebal.decision.table import DECISION_TABLE

    rows = "".join(f"<tr><td class='num'>{r.number}</td><td>{html.escape(r.when)}</td><td><b>{html.escape(r.action)}"
                   "</b></td></tr>" for r in DECISION_TABLE)
    return ('<table class="summary decision-table keep"><colgroup><col style="width:6%"><col style="width:66%">'
            '<col style="width:28%"></colgroup><thead><tr><th>#</th><th>When (the first row that holds '
            f"decides)</th><th>Decision</th></tr></thead><tbody>{rows}</tbody></table>")
