"""The packet's sign-off block: each proposal to sign with its decision and a line for the approver.

A profile whose holdings break a hard limit has two lines: the required remedy (its own id) first, then
the discretionary trades (the proposal id), whose trades include the remedy.
"""
from __future__ import annotations

import html

from rebal.report.packet.entries import PacketEntry, weekly
from rebal.report.packet.summary import crossed_trades, summary_rows

__all__ = ["signoff_section"]


def _line(profile: str, n: str, pid: str, what: str, why: str, trades: int) -> str:
    e = html.escape
    return (f"<tr><td>{e(profile)}</td><td>{n}<code>{e(pid)}</code></td><td><b>{e(what)}</b><br>"
            f"<span class='why'>{e(why)}</span></td><td class='num'>{trades}</td>"
            "<td class='sign-line'>approved by: <br><br>date:</td></tr>")


def _lines(r: dict) -> list[str]:
    """One line for the required remedy (if any) and one for the discretionary trades (if they are to sign)."""
    out = []
    if r["remedial_id"]:
        out.append(_line(r["profile"], "1. ", r["remedial_id"], "CURE BREACH (required)", r["reason"],
                         r["remedial_trades"]))
    if r["sign"]:
        what = r["then"] or r["action"]
        why = "its trades include the remedy above" if r["remedial_id"] else r["reason"]
        out.append(_line(r["profile"], "2. " if r["remedial_id"] else "", r["proposal_id"], what, why, r["n_trades"]))
    elif r["remedial_id"]:
        out.append(f"<tr><td>{html.escape(r['profile'])}</td><td>2. —</td><td><b>{html.escape(r['then'] or '')}</b>"
                   "<br><span class='why'>nothing to sign beyond the remedy</span></td><td></td><td></td></tr>")
    return out


def signoff_section(entries: list[PacketEntry]) -> str:
    """Proposals to sign, profiles with nothing to sign, and the approvals recorded since the last committee."""
    e = html.escape
    rows, nothing = [], []
    for r in summary_rows(entries):
        if "failed" in r:
            nothing.append(f"{e(r['profile'])} (no decision: its weekly review failed)")
        elif r.get("absent"):
            nothing.append(f"{e(r['profile'])} (no weekly review among its reports)")
        elif r["sign"] or r["remedial_id"]:
            rows += _lines(r)
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
            + "<p>A signature approves exactly the id beside it: <code>rebal approve ID --by NAME</code> "
              "records it (a required remedy alone, or the discretionary trades, which include the remedy), "
              "and <code>rebal propose --profile NAME --execute</code> refuses a proposal whose data or parameters "
              "changed since (its id would differ).</p>"
            + "<h3>Orders across books</h3>"
            + (crossed_trades(entries) or "<p>No ticker is bought by one book and sold by another.</p>")
            + "<h3>Approvals and executions recorded since the last committee</h3>"
            + ("<ul>" + "".join(f"<li>{x}</li>" for x in recorded) + "</ul>" if recorded else "<p>None.</p>"))
