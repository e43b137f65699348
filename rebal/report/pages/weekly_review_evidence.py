"""The weekly review's part in the committee packet: the remedy, the recommendation's evidence, the lines to sign.

The weekly review is the decision report (``role="decision"``): the registry hooks ``evidence``,
``sign`` and ``decides`` read its scraps (:func:`rebal.report.pages.weekly_review.scraps`). A hard
limit broken now comes first (the required remedy: its row, its trades, its own line to sign), then
the recommendation on the target with its evidence current → proposed (→ part-way) as
:mod:`rebal.decision.evidence` built it (each row keyed, so a report that shows the same measure adds
its caveats to the row instead of a second one), then the trades the decision signs.
"""
from __future__ import annotations

from typing import Any

__all__ = ["SIGNED_ACTIONS", "QUIET_ACTIONS", "evidence", "sign", "decides", "signs"]

#: decisions whose discretionary trades the committee signs (a required remedy is signed on its own line)
SIGNED_ACTIONS = ("EXECUTE", "ADOPT TARGET", "ADOPT PART-WAY")
#: decisions that ask nothing of the committee this week (the packet gives them no page of their own)
QUIET_ACTIONS = ("NO ACTION", "DEFER", "KEEP CURRENT")
#: ids of the weekly review's sections its evidence links to
SIGNED, CHANGES, EVIDENCE, REQUIRED = "What-would-be-signed", "Since-the-last-committee", "The-evidence", "Required"
#: place of the recommendation's rows on the decision page (the other reports' rows fit between them)
_ORDER = {"objective": 17, "volatility": 20, "beta": 21, "beta_rolling": 22, "te_benchmark": 23, "var99": 25,
          "worst_episode": 26, "cost": 31, "tax": 32, "after_tax_cost": 33, "benefit": 34, "stability": 35,
          "simulation": 40}


def signs(s: Any) -> bool:
    """Whether the discretionary trades are to sign: a decision that trades and a proposal id."""
    return (s.get("discretionary_action") or s.get("decision_action")) in SIGNED_ACTIONS and bool(s.get("proposal_id"))


def _taxable(s: Any) -> bool:
    return s.get("tax_account") == "taxable"


def _text(v: Any, fmt: str) -> str:
    """Write one figure of the evidence as the decision page writes its figures (``17.2 %``, ``−$3,555``)."""
    from rebal.report.evidence import pct

    if isinstance(v, str):
        return v
    if v is None or v != v:
        return "—"
    if fmt in ("pct", "pct1"):
        return pct(v, ".2%" if fmt == "pct" else ".1%")
    if fmt == "usd":
        return f"{'−' if v < 0 else ''}${abs(v):,.0f}"
    return format(float(v), ".3f" if fmt == "num3" else ".2f").replace("-", "−")


def _recommendation_rows(s: Any) -> list[Any]:
    """Return the recommendation's evidence rows as the decision page shows them, keyed by measure.

    A neutral row's note is dropped where it only names the episode (the risk report's row says more).
    """
    from rebal.report.evidence import EvidenceRow

    rec = s.get("recommendation") or {}
    out = []
    for d in (rec.get("evidence") or {}).get("rows") or []:
        values, fmt = dict(d.get("values") or {}), d.get("format", "")
        text = {b: (_text(values[b], fmt) if b in values else "") for b in ("now", "adopt", "partway")}
        note = "" if d["key"] == "worst_episode" and d["says"] == "neutral" else d.get("note", "")
        out.append(EvidenceRow(d["measure"], text["now"], text["adopt"], d.get("what", ""), anchor=EVIDENCE,
                               order=_ORDER.get(d["key"], 45), partway=text["partway"],
                               says=d["says"] + (f": {note}" if note else ""), key=d["key"]))
    return out


def _trades_table(title: str, t: Any, anchor: str, order: int) -> Any:
    from rebal.report.evidence import EvidenceTable, money

    top = t.assign(_abs=t["value"].astype(float).abs()).sort_values("_abs", ascending=False)
    shown = top.head(8)
    body = tuple((str(r.ticker), str(r.action).lower(), money(r.value)) for r in shown.itertuples())
    more = f"and {len(t) - len(shown)} smaller trade(s)" if len(t) > len(shown) else ""
    return EvidenceTable(title, ("ticker", "", "value"), body, more=more, anchor=anchor, order=order)


def _has_rows(t: Any) -> bool:
    return t is not None and hasattr(t, "columns") and len(t) > 0


def evidence(s: Any) -> list[Any]:
    """Rows of the decision page: the remedy, the drift, the recommendation's evidence, the trades in brief."""
    from rebal.report.evidence import EvidenceRow, money, pct

    rows: list[Any] = []
    tax = _taxable(s)
    if s.get("remedial_id"):
        rt = s.get("remedial_trades")
        n = len(rt) if _has_rows(rt) else 0
        ok = s.get("remedial_limits_ok")
        rows.append(EvidenceRow(
            "Required: cure the breach", "; ".join(s.get("hard_breaches") or []) or "a hard limit broken",
            f"{n} trade(s), {money(s.get('remedial_value'))}",
            f"est. cost {money(s.get('remedial_cost'))}" + (f", est. tax {money(s.get('remedial_tax'))}" if tax
                                                             else "")
            + ("; every hard limit holds after it" if ok else ""),
            flag="a hard limit still fails after it" if ok is False else "", anchor=REQUIRED, order=5))
        if n:
            rows.append(_trades_table("The required remedy", rt, REQUIRED, 62))
    rows.append(EvidenceRow(
        "Drift to today's target", f"{pct(s.get('drift'))} ({s.get('drift_status')})", "",
        f"prices moved it {pct(s.get('price_drift'))}, the target {pct(s.get('target_change'))}",
        anchor=CHANGES, order=10))
    rows += _recommendation_rows(s)
    n = int(s.get("n_trades") or 0)
    part = (s.get("discretionary_action") or s.get("decision_action")) == "ADOPT PART-WAY"
    if n:
        buys, sells = float(s.get("gross_buys") or 0.0), float(s.get("gross_sells") or 0.0)
        what = f"{n}: buy {money(buys)}, sell {money(sells)}"
        rows.append(EvidenceRow("Trades signed", "", "" if part else what,
                                f"est. cost {money(s.get('cost_usd'))} = {float(s.get('cost_bps') or 0):.1f} bps of "
                                "value" + (f"; est. tax {money(s.get('tax_usd'))}" if tax else ""),
                                "" if signs(s) else "not to trade this week: the decision trades nothing",
                                anchor=SIGNED, order=30, partway=what if part else ""))
    if n and _has_rows(s.get("trades")):
        rows.append(_trades_table("The trades in brief" + (" (part-way)" if part else ""), s["trades"], SIGNED, 64))
    return rows


def sign(s: Any) -> list[Any]:
    """Return the lines to sign: the required remedy (its own id) first, then the discretionary trades."""
    from rebal.report.evidence import SignItem, money

    tax = _taxable(s)
    out = []
    if s.get("remedial_id"):
        rt = s.get("remedial_trades")
        out.append(SignItem("CURE BREACH (required): the remedy", str(s["remedial_id"]),
                            f"{len(rt) if _has_rows(rt) else 0} trade(s), {money(s.get('remedial_value'))}, est. cost "
                            f"{money(s.get('remedial_cost'))}"
                            + (f", est. tax {money(s.get('remedial_tax'))}" if tax else ""), required=True))
    if signs(s):
        act = s.get("discretionary_action") or s["decision_action"]
        gross = float(s.get("gross_buys") or 0.0) + float(s.get("gross_sells") or 0.0)
        what = "the part-way trade" if act == "ADOPT PART-WAY" else "the rebalance proposal"
        out.append(SignItem(f"{act}: {what}", str(s["proposal_id"]),
                            f"{int(s.get('n_trades') or 0)} trades, {money(gross)} gross, est. cost "
                            f"{money(s.get('cost_usd'))}" + (f", est. tax {money(s.get('tax_usd'))}" if tax else "")
                            + ("; its trades include the remedy" if s.get("remedial_id") else "")))
    return out


def decides(s: Any) -> bool:
    """Whether the week asks the committee for a decision on this profile (a remedy, or not a quiet decision)."""
    return bool(s.get("remedial_id")) or s.get("decision_action") not in QUIET_ACTIONS
