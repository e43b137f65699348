"""The weekly review's part in the committee packet: the decision page's drift and trades, the line to sign.

The weekly review is the decision report (``role="decision"``): the registry hooks ``evidence``,
``sign`` and ``decides`` read its scraps (:func:`rebal.report.pages.weekly_review.scraps`).
"""
from __future__ import annotations

from typing import Any

__all__ = ["SIGNED_ACTIONS", "QUIET_ACTIONS", "evidence", "sign", "decides"]

#: decisions whose proposal the committee signs
SIGNED_ACTIONS = ("EXECUTE", "ADOPT TARGET")
#: decisions that ask nothing of the committee this week (the packet gives them no page of their own)
QUIET_ACTIONS = ("NO ACTION", "DEFER")
#: ids of the weekly review's sections its evidence links to
SIGNED, CHANGES = "What-would-be-signed", "Since-the-last-committee"


def _signs(s: Any) -> bool:
    return s.get("decision_action") in SIGNED_ACTIONS and bool(s.get("proposal_id"))


def evidence(s: Any) -> list[Any]:
    """Rows of the decision page: the drift behind the decision, the trades and their cost; the trades in brief."""
    from rebal.report.evidence import EvidenceRow, EvidenceTable, money, pct

    rows: list[Any] = [EvidenceRow(
        "Drift to today's target", f"{pct(s.get('drift'))} ({s.get('drift_status')})", "",
        f"prices moved it {pct(s.get('price_drift'))}, the target {pct(s.get('target_change'))}",
        anchor=CHANGES, order=10)]
    n = int(s.get("n_trades") or 0)
    if n:
        buys, sells = float(s.get("gross_buys") or 0.0), float(s.get("gross_sells") or 0.0)
        rows.append(EvidenceRow("Trades", "", f"{n}: buy {money(buys)}, sell {money(sells)}",
                                f"est. cost {money(s.get('cost_usd'))} = {float(s.get('cost_bps') or 0):.1f} bps of "
                                "value",
                                "" if _signs(s) else "not to trade this week: the decision trades nothing",
                                anchor=SIGNED, order=30))
    t = s.get("trades")
    if n and t is not None and hasattr(t, "columns") and len(t):
        top = t.assign(_abs=t["value"].astype(float).abs()).sort_values("_abs", ascending=False)
        shown = top.head(8)
        body = tuple((str(r.ticker), str(r.action).lower(), money(r.value)) for r in shown.itertuples())
        more = f"and {len(t) - len(shown)} smaller trade(s)" if len(t) > len(shown) else ""
        rows.append(EvidenceTable("The trades in brief", ("ticker", "", "value"), body, more=more, anchor=SIGNED,
                                  order=70))
    return rows


def sign(s: Any) -> list[Any]:
    """Return the line to sign: the proposal, when the decision trades (nothing otherwise)."""
    from rebal.report.evidence import SignItem, money

    if not _signs(s):
        return []
    gross = float(s.get("gross_buys") or 0.0) + float(s.get("gross_sells") or 0.0)
    return [SignItem(f"{s['decision_action']}: the rebalance proposal", str(s["proposal_id"]),
                     f"{int(s.get('n_trades') or 0)} trades, {money(gross)} gross, est. cost "
                     f"{money(s.get('cost_usd'))}")]


def decides(s: Any) -> bool:
    """Whether the week asks the committee for a decision on this profile (not a quiet NO ACTION or DEFER)."""
    return s.get("decision_action") not in QUIET_ACTIONS
