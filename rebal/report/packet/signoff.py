"""The packet's sign-off: every line to sign with a line for the approver, and the record of the week.

The lines to sign come from the reports' ``sign`` hooks (the registry). A profile whose holdings
break a hard limit has two: the required remedy (its own id) first, then the discretionary trades
(the proposal id), whose trades include the remedy. The record of the week is every approval,
execution and implementation recorded since the last committee, whichever command recorded it
(:mod:`rebal.decision.record`, carried in the decision report's ``changes`` scrap).
"""
from __future__ import annotations

import html

from rebal.report.packet.decision import sign_items
from rebal.report.packet.entries import PacketEntry, profiles, weekly
from rebal.report.packet.summary import crossed_trades, summary_rows

__all__ = ["signoff_section", "record_of_the_week"]


def record_of_the_week(entries: list[PacketEntry]) -> str:
    """Approvals, executions and implementations recorded since the last committee, per profile (HTML)."""
    e = html.escape
    items = []
    for p, s in weekly(entries).items():
        c = s.get("changes") or {}
        since = f" since {c['previous']}" if c.get("previous") else ""
        lines = [f"approval: {a}" for a in c.get("approvals", [])]
        lines += [f"execution: {x}" for x in c.get("executions", [])]
        lines += [f"implemented {i.get('line', '')}" for i in c.get("implementations", [])]
        if lines:
            items.append(f"<li><b>{e(p)}</b>{e(since)}<ul>" + "".join(f"<li>{e(x)}</li>" for x in lines)
                         + "</ul></li>")
    if not items:
        return ("<p>None: no approval, execution, holdings snapshot, Risk4 run or accepted state is recorded in the "
                "lakehouse since the last committee.</p>")
    return f"<ul class='record'>{''.join(items)}</ul>"


def signoff_section(entries: list[PacketEntry]) -> str:
    """Lines to sign, profiles with nothing to sign, the orders across books and the record of the week (HTML)."""
    e = html.escape
    rows, nothing = [], []
    why = {r["profile"]: r for r in summary_rows(entries)}
    for p in profiles(entries):
        items = sign_items(entries, p)
        numbered = len(items) > 1 or any(it.required for _, it in items)
        for k, (_, it) in enumerate(items, 1):
            rows.append(f"<tr><td><a href='#decide-{e(p)}'>{e(p)}</a></td><td>{f'{k}. ' if numbered else ''}"
                        f"<code>{e(it.id)}</code></td>"
                        f"<td>{it.html()}<br>"
                        f"<span class='why'>{e(it.detail)}</span></td>"
                        "<td class='sign-line'>approved by: <br><br>date:</td></tr>")
        r = why.get(p, {})
        if items and len(items) == 1 and items[0][1].required and r.get("then"):
            rows.append(f"<tr><td>{e(p)}</td><td>2. —</td><td><b>{e(r['then'])}</b><br><span class='why'>nothing to "
                        "sign beyond the remedy</span></td><td></td></tr>")
        if not items:
            reason = ("its decision report failed" if "failed" in r else "no decision report" if r.get("absent")
                      else r.get("action", ""))
            nothing.append(f"{e(p)} ({e(reason)})")
    table = ('<table class="summary signoff"><colgroup><col style="width:15%"><col style="width:29%">'
             '<col style="width:37%"><col style="width:19%"></colgroup><thead><tr><th>Profile</th><th>Id</th>'
             f"<th>What is approved</th><th>Approver</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
             if rows else "<p>No line to sign this week.</p>")
    return (table
            + (f"<p>Nothing to sign for: {'; '.join(nothing)}.</p>" if nothing else "")
            + "<p>A signature approves exactly the id beside it: <code>rebal approve ID --by NAME</code> "
              "records it (a required remedy alone, or the discretionary trades, which include the remedy), "
              "and <code>rebal propose --profile NAME --execute</code> refuses a proposal whose data or parameters "
              "changed since (its id would differ).</p>"
            + "<h2>Orders across books</h2>"
            + (crossed_trades(entries) or "<p>No ticker is bought by one book and sold by another.</p>")
            + "<h2 id='record'>Recorded since the last committee</h2>"
            + "<p class='tiny'>Every approval, execution and implementation the lakehouse records since the last "
              "committee, with the command that recorded it: holdings snapshots (imports, paper executions, the "
              "sample's Risk4 and periodic implementations), Risk4 runs, accepted states and the drift monitor's "
              "first baseline.</p>"
            + record_of_the_week(entries))
