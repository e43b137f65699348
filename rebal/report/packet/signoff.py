"""The packet's sign-off block: each proposal to sign with its decision and a line for the approver."""
from __future__ import annotations

import html

from rebal.report.packet.entries import PacketEntry, weekly
from rebal.report.packet.summary import crossed_trades, summary_rows

__all__ = ["signoff_section"]


def signoff_section(entries: list[PacketEntry]) -> str:
    """Proposals to sign, profiles with nothing to sign, and the approvals recorded since the last committee."""
    e = html.escape
    rows, nothing = [], []
    for r in summary_rows(entries):
        if "failed" in r:
            nothing.append(f"{e(r['profile'])} (no decision: its weekly review failed)")
        elif r.get("absent"):
            nothing.append(f"{e(r['profile'])} (no weekly review among its reports)")
        elif r["sign"]:
            rows.append(f"<tr><td>{e(r['profile'])}</td><td><code>{e(r['proposal_id'])}</code></td>"
                        f"<td><b>{e(r['action'])}</b><br><span class='why'>{e(r['reason'])}</span></td>"
                        f"<td class='num'>{r['n_trades']}</td><td class='sign-line'>approved by: <br><br>date:</td>"
                        "</tr>")
        else:
            nothing.append(f"{e(r['profile'])} ({e(r['action'])})")
    table = ('<table class="summary signoff"><colgroup><col style="width:14%"><col style="width:20%">'
             '<col style="width:42%"><col style="width:8%"><col style="width:16%"></colgroup>'
             '<thead><tr><th>Profile</th><th>Proposal id</th><th>Decision</th>'
             f"<th>Trades</th><th>Approver</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
             if rows else "<p>No proposal to sign this week.</p>")
    recorded = [f"{e(p)}: {e(a)}" for p, s in weekly(entries).items()
                for a in s.get("changes", {}).get("approvals", []) + s.get("changes", {}).get("executions", [])]
    return (table
            + (f"<p>Nothing to sign for: {'; '.join(nothing)}.</p>" if nothing else "")
            + "<p>A signature approves exactly the proposal id above: <code>rebal approve ID --by NAME</code> "
              "records it, "
              "and <code>rebal propose --profile NAME --execute</code> refuses a proposal whose data or parameters "
              "changed since (its id would differ).</p>"
            + "<h3>Orders across books</h3>"
            + (crossed_trades(entries) or "<p>No ticker is bought by one book and sold by another.</p>")
            + "<h3>Approvals and executions recorded since the last committee</h3>"
            + ("<ul>" + "".join(f"<li>{x}</li>" for x in recorded) + "</ul>" if recorded else "<p>None.</p>"))
