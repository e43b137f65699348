"""The packet's executive summary: one row per profile, the book line across profiles, and the words used.

Every figure comes from the reports' scraps: the profile's decision report (decision, trades,
alerts, the proposal to sign) and whichever report recorded the worst historical episode, current
vs proposed (found by its scrap, not by the report's name).
"""
from __future__ import annotations

import html
from typing import Any

import pandas as pd

from rebal.report.packet.entries import PacketEntry, by_profile, decision_entry, profile_scrap, weekly
from rebal.report.pages.weekly_review import ACTION_COLORS, SIGNED_ACTIONS, decision_badge
from rebal.report.pages.weekly_review_evidence import signs
from rebal.report.tax import tax_summary

__all__ = ["SIGNED_ACTIONS", "to_sign", "summary_rows", "executive_summary", "book_line", "netted_trades",
           "crossed_trades", "vocabulary"]


def to_sign(s: dict[str, Any]) -> bool:
    """Whether a weekly review's discretionary trades are to sign: a decision that trades and a proposal id."""
    return signs(s)


def remedy_to_sign(s: dict[str, Any]) -> bool:
    """Whether a weekly review has a required remedy to sign on its own line."""
    return bool(s.get("remedial_id"))


def _money(x: float) -> str:
    a = abs(x)
    text = f"${a / 1e9:.2f}B" if a >= 1e9 else f"${a / 1e6:.1f}M" if a >= 1e6 else f"${a / 1e3:.0f}k" if a >= 1e3 \
        else f"${a:,.0f}"
    return ("−" if x < 0 else "") + text


def summary_rows(entries: list[PacketEntry]) -> list[dict[str, Any]]:
    """One plain row per profile: decision, reason, trades, alerts, stress, what to sign (or the failure)."""
    wk = weekly(entries)
    rows = []
    for profile in by_profile(entries):
        s = wk.get(profile)
        if s is None:
            failed = decision_entry(entries, profile)
            if failed is not None:
                rows.append({"profile": profile, "failed": failed.error or "did not render"})
            else:
                rows.append({"profile": profile, "absent": True})
            continue
        cur = profile_scrap(entries, profile, "worst_episode_loss_current")
        prop = profile_scrap(entries, profile, "worst_episode_loss_proposed")
        proxied = bool(profile_scrap(entries, profile, "worst_episode_proxied_current")
                       or profile_scrap(entries, profile, "worst_episode_proxied_proposed"))
        rows.append({
            "profile": profile, "action": s["decision_action"], "reason": s["decision_reason"],
            "n_trades": int(s["n_trades"]), "gross": float(s["gross_buys"]) + float(s["gross_sells"]),
            "cost_usd": float(s["cost_usd"]), "cost_bps": float(s["cost_bps"]), "alerts": list(s["alerts"]),
            "stress": (cur, prop), "proxied": proxied, "proposal_id": s["proposal_id"],
            "sign": to_sign(s), "then": s.get("discretionary_action") if s.get("decision_required") else None,
            "then_reason": s.get("discretionary_reason", ""),
            "remedial_id": s.get("remedial_id", ""), "remedial_value": float(s.get("remedial_value", 0.0)),
            "remedial_cost": float(s.get("remedial_cost", 0.0)), "remedial_tax": float(s.get("remedial_tax", 0.0)),
            "remedial_trades": len(s["remedial_trades"]) if hasattr(s.get("remedial_trades"), "__len__") else 0,
            "value": float(s["value"]), "tax": tax_summary(s, _money),
        })
    return rows


def _stress_text(pair: tuple[Any, Any], proxied: bool = False) -> str:
    cur, prop = pair
    if cur is None or prop is None or cur != cur or prop != prop:
        return "—"
    return f"{cur:+.1%}<br>→ {prop:+.1%}" + ("<br><b class='flag'>proxied</b>" if proxied else "")


def _profile_link(entries: list[PacketEntry], r: dict[str, Any]) -> str:
    """Name the profile, linked to its decision page (or the page of profiles with nothing to decide), else plain."""
    e = html.escape
    p = r["profile"]
    if "failed" not in r and not r.get("absent"):
        return f'<a href="#decide-{e(p)}">{e(p)}</a>'
    return e(p)


def executive_summary(entries: list[PacketEntry]) -> str:
    """Tabulate the summary (HTML): one row per profile; long lists page cleanly (rows never split)."""
    e = html.escape
    body = []
    for r in summary_rows(entries):
        link = _profile_link(entries, r)
        if "failed" in r:
            body.append(f'<tr><td>{link}</td><td colspan="5" class="failed">no decision: its decision report failed '
                        f'({e(r["failed"])})</td></tr>')
            continue
        if r.get("absent"):
            body.append(f'<tr><td>{link}</td><td colspan="5">no decision in this packet: its decision report is '
                        "not among this profile's reports (see its reports in the appendix)</td></tr>")
            continue
        rtax = f', est. tax {_money(r["remedial_tax"])}' if r["tax"] and r["tax"] != "tax-exempt" else ""
        remedy = (f'required: {r["remedial_trades"]} · {_money(r["remedial_value"])}, cost {_money(r["remedial_cost"])}'
                  f"{rtax}<br>then: " if r["remedial_id"] else "")
        if not r["n_trades"]:
            trades = "none" if not remedy else "nothing more"
        elif r["sign"]:
            trades = (f'{r["n_trades"]} · {_money(r["gross"])}<br>cost {_money(r["cost_usd"])} '
                      f'({r["cost_bps"]:.1f} bps)' + (f'<br>{html.escape(r["tax"])}' if r["tax"] else ""))
        else:  # the decision trades nothing: the proposal's list is context, not an order
            trades = (f'none this week<br><span class="why">(the proposal listed {r["n_trades"]} · '
                      f'{_money(r["gross"])})</span>')
        alerts = r["alerts"]
        alert_text = (f'<b>{len(alerts)}</b>: ' + "; ".join(e(a) for a in alerts[:2])
                      + (f"; +{len(alerts) - 2} more" if len(alerts) > 2 else "")) if alerts else "none"
        trades = remedy + trades
        sign = "<br>".join([f'1. <code>{e(r["remedial_id"])}</code>'] if r["remedial_id"] else []) or ""
        if r["sign"]:
            sign += ("<br>2. " if sign else "") + f'<code>{e(r["proposal_id"])}</code>'
        then = (f"<br>then {decision_badge(r['then'])}<br><span class='why'>{e(r['then_reason'])}</span>"
                if r.get("then") else "")
        body.append(f"<tr><td>{link}</td><td>{decision_badge(r['action'])}<br><span class='why'>{e(r['reason'])}"
                    f"</span>{then}</td><td>{trades}</td><td>{alert_text}</td>"
                    f"<td class='num'>{_stress_text(r['stress'], r.get('proxied', False))}</td>"
                    f"<td>{sign or '—'}</td></tr>")
    cols = "".join(f'<col class="c-{c}">' for c in ("profile", "decision", "trades", "alerts", "stress", "sign"))
    return (f'<table class="summary decisions"><colgroup>{cols}</colgroup><thead><tr><th>Profile</th>'
            '<th>Decision and why</th><th>Trades (gross, est. cost and tax)</th><th>Alerts</th>'
            '<th>Worst episode: now → proposed</th>'
            '<th>To sign</th></tr></thead><tbody>' + "".join(body) + "</tbody></table>")


def netted_trades(entries: list[PacketEntry]) -> pd.DataFrame:
    """Trades to sign by ticker: bought, sold and net dollars, and which profiles (one row per ticker).

    Only the proposals to sign (:func:`to_sign`) count: a profile decided NO ACTION
    or DEFER trades nothing this week, whatever its proposal listed.
    """
    frames = []
    for profile, s in weekly(entries).items():
        if not to_sign(s) and not remedy_to_sign(s):
            continue
        t = s.get("trades") if to_sign(s) else s.get("remedial_trades")  # the discretionary trades include the remedy
        if t is None or not hasattr(t, "columns") or t.empty:
            continue
        t = t.assign(profile=profile, signed=t["value"].astype(float).where(t["action"] == "BUY",
                                                                            -t["value"].astype(float)))
        frames.append(t)
    if not frames:
        return pd.DataFrame(columns=["bought", "sold", "net", "buyers", "sellers"])
    allt = pd.concat(frames, ignore_index=True)
    g = allt.groupby("ticker")
    out = pd.DataFrame({
        "bought": g["signed"].apply(lambda x: float(x[x > 0].sum())),
        "sold": g["signed"].apply(lambda x: float(-x[x < 0].sum())),
        "net": g["signed"].sum(),
        "buyers": g.apply(lambda d: ", ".join(sorted(d.loc[d["signed"] > 0, "profile"].unique())),
                          include_groups=False),
        "sellers": g.apply(lambda d: ", ".join(sorted(d.loc[d["signed"] < 0, "profile"].unique())),
                           include_groups=False),
    })
    return out


def book_line(entries: list[PacketEntry]) -> str:
    """Sum the book across profiles: value, gross buys and sells, net cash flow, netted orders (HTML)."""
    rows = [r for r in summary_rows(entries) if "failed" not in r and not r.get("absent")]
    value = sum(r["value"] for r in rows)
    n = netted_trades(entries)
    buys, sells = float(n["bought"].sum()), float(n["sold"].sum())
    crossed = n[(n["bought"] > 0) & (n["sold"] > 0)]
    gross_net = float(n["net"].abs().sum())
    signed = sum(1 for r in rows if r["sign"])
    text = (f"<p class='book'><b>Book</b> across {len(rows)} profile(s): value {_money(value)}. The {signed} "
            f"proposal(s) to sign buy {_money(buys)} and sell {_money(sells)} gross, net cash flow "
            f"{_money(sells - buys)} (sells less buys). Netted across profiles the same trades need "
            f"{_money(gross_net)} of orders "
            f"({len(crossed)} ticker(s) bought by one book and sold by another: see the sign-off).</p>")
    return text


def crossed_trades(entries: list[PacketEntry]) -> str:
    """Tabulate the tickers one book buys while another sells, netted (HTML; empty when there are none)."""
    n = netted_trades(entries)
    crossed = n[(n["bought"] > 0) & (n["sold"] > 0)]
    text = ""
    if len(crossed):
        e = html.escape
        cells = "".join(f"<tr><td>{e(t)}</td><td class='num'>{_money(r.bought)}</td><td>{e(r.buyers)}</td>"
                        f"<td class='num'>{_money(r.sold)}</td><td>{e(r.sellers)}</td>"
                        f"<td class='num'>{_money(r.net)}</td></tr>" for t, r in crossed.iterrows())
        text += ('<table class="summary netted"><thead><tr><th>Ticker</th><th>Bought</th><th>by</th><th>Sold</th>'
                 f'<th>by</th><th>Net</th></tr></thead><tbody>{cells}</tbody></table>')
    return text


def vocabulary() -> str:
    """Define the words of the decision and of its three inputs, each defined once (HTML)."""
    from rebal.decision.table import ACTIONS

    acts = " ".join(f'<span style="color:{ACTION_COLORS[a]};font-weight:700">{html.escape(a)}</span>: '
                    f"{html.escape(m)}." for a, m in ACTIONS.items())
    return (f"<p class='legend'><b>Decision</b> (one per profile). {acts} It comes from three analyses, each in its "
            "own words: the drift monitor's <b>status</b> (MAINTAIN, REBALANCE, URGENT: drift against the "
            "profile's thresholds), the planner's <b>verdict</b> (TRADE, REVIEW, DELAY, QUIET: drift rules, cost "
            "against benefit, market regime) and the proposal's <b>simulation verdict</b> (IMPROVES, WITHIN "
            "NOISE, WORSENS, NOT SIMULATED: the walk-forward strategy's Sharpe difference against the book as held, "
            "in standard errors), with the recommendation on a changed target weighed on its evidence. A broken hard "
            "limit is cured first, on its own line (1.), before any question on the target (2.). The decision table "
            "is on the page after the changes. Worst episode: the largest "
            "peak-to-trough loss over the historical stress episodes, of the current and of the proposed "
            "weights.</p>")
