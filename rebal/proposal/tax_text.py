"""A proposal's tax consequences as plain types (``proposal.json``'s ``tax``) and as text lines (``rebal propose``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rebal.proposal.tax import ProposalTax, SellTax

__all__ = ["tax_json", "tax_lines"]


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 2)


def _sell_json(s: SellTax) -> dict:
    return {"ticker": s.ticker, "shares": s.shares, "price": s.price, "proceeds": _r(s.shares * s.price),
            "short_term": _r(s.short_term), "long_term": _r(s.long_term), "disallowed": _r(s.disallowed),
            "lots": [{"acquired": str(r.acquired.date()), "bought": str(r.bought.date()), "shares": r.shares,
                      "basis_per_share": round(r.basis, 6), "gain": _r(r.gain), "recognised": _r(r.recognised),
                      "term": r.term, "basis_source": r.source} for r in s.relieved]}


def tax_json(pt: ProposalTax | None) -> dict | None:
    """Return the tax consequences as plain types (``proposal.json``'s ``tax``); USD, rounded to cents."""
    if pt is None:
        return None
    doc: dict = {"account": pt.account, "estimate": True, "label": pt.label}
    if pt.exempt:
        return doc
    r = pt.realised
    doc.update({
        "lot_method": pt.lot_method, "rates": {"short_term": pt.short_term_rate, "long_term": pt.long_term_rate},
        "rates_note": pt.rates_note,
        "realised": {"short_term_gains": _r(r.short_term_gains), "short_term_losses": _r(r.short_term_losses),
                     "long_term_gains": _r(r.long_term_gains), "long_term_losses": _r(r.long_term_losses),
                     "earlier_losses_disallowed": {"short_term": _r(r.earlier_short), "long_term": _r(r.earlier_long)},
                     "short_term_net": _r(r.short_term), "long_term_net": _r(r.long_term),
                     "disallowed_wash_sales": _r(r.disallowed)},
        "year_to_date": {"short_term": _r(pt.year_to_date[0]), "long_term": _r(pt.year_to_date[1])},
        "carried_losses": {"short_term": _r(abs(pt.carry_in[0])), "long_term": _r(abs(pt.carry_in[1])),
                           "source": pt.carry_source},
        "estimated_tax": _r(pt.tax), "trading_cost": _r(pt.trading_cost), "after_tax_cost": _r(pt.after_tax_cost),
        "sells": [_sell_json(s) for s in pt.sells],
        "wash_sales": [{"sold": w.ticker, "sale_day": str(w.sale_day.date()), "replacement": w.replacement,
                        "bought": str(w.bought.date()), "shares": w.shares, "disallowed": _r(w.amount),
                        "term": "long" if w.long_term else "short"} for w in pt.washes],
        "wash_sale_windows": [{k: str(v) if k in ("sale_day", "until") else round(v, 6) if isinstance(v, float) else v
                               for k, v in row.items()}
                              for row in (pt.windows.to_dict("records") if pt.windows is not None else [])],
        "lot_basis_sources": pt.basis, "notes": pt.notes,
    })
    a = pt.aware
    if a is not None:
        doc["tax_aware"] = {
            "tax_saved": _r(a.tax_saved), "saved_by_lot_choice": _r(a.saved_by_lots),
            "saved_by_changed_trades": _r(a.tax_saved - a.saved_by_lots),
            "tracking_error_between": round(a.te_between, 8), "max_drift_left": round(a.plan.bound, 8),
            "comparison": {k: {c: (None if v != v else round(float(v), 8)) for c, v in row.items()}
                           for k, row in a.comparison.iterrows()},
            "harvests": [{k: (_r(v) if isinstance(v, float) else v) for k, v in h.items()} for h in a.plan.harvests],
            "changes": a.plan.reasons, "not_done": a.plan.skipped,
            "plain_trades": [{k: v for k, v in t.items() if k in ("ticker", "action", "shares", "value")}
                             for t in a.plain_trades.trades.to_dict("records")],
        }
    return doc


def _money(x: float) -> str:
    return f"{'-' if x < 0 else ''}${abs(x):,.0f}"


def tax_lines(pt: ProposalTax | None, *, lots: bool = True) -> list[str]:
    """Write the tax consequences as text lines (``rebal propose``): totals, lots per sell, the tax-aware mode."""
    if pt is None:
        return []
    if pt.exempt:
        return ["tax: tax-exempt account: its trades realise no taxable gains"]
    r = pt.realised
    out = [f"tax ({pt.label}):",
           f"  realised: short-term gains {_money(r.short_term_gains)}, losses {_money(r.short_term_losses)}; "
           f"long-term gains {_money(r.long_term_gains)}, losses {_money(r.long_term_losses)}"
           + (f"; wash sales disallow {_money(r.disallowed)}" if r.disallowed else "")
           + (f" (of earlier sales: ST {_money(r.earlier_short)}, LT {_money(r.earlier_long)})"
              if r.earlier_short or r.earlier_long else ""),
           f"  this year before: ST {_money(pt.year_to_date[0])}, LT {_money(pt.year_to_date[1])}; losses carried in: "
           f"ST {_money(abs(pt.carry_in[0]))}, LT {_money(abs(pt.carry_in[1]))} ({pt.carry_source})",
           f"  estimated tax {_money(pt.tax)}{' (a saving)' if pt.tax < 0 else ''}; trading cost "
           f"{_money(pt.trading_cost)}; after-tax cost {_money(pt.after_tax_cost)}"]
    if lots:
        for s in pt.sells:
            out.append(f"  SELL {s.ticker} {s.shares:,.0f} sh: ST {_money(s.short_term)}, LT {_money(s.long_term)}")
            out += [f"    lot {r.acquired.date()} {r.shares:>10,.0f} sh @ ${r.basis:,.2f} -> {_money(r.gain)} {r.term}"
                    + (f" ({_money(r.disallowed)} disallowed)" if r.disallowed else "") for r in s.relieved]
    a = pt.aware
    if a is not None:
        c = a.comparison
        out.append(f"  tax-aware vs plain: tax {_money(c.loc['estimated tax ($)', 'tax-aware'])} vs "
                   f"{_money(c.loc['estimated tax ($)', 'plain'])} (saved {_money(a.tax_saved)}: lots "
                   f"{_money(a.saved_by_lots)}, trades {_money(a.tax_saved - a.saved_by_lots)}); drift left "
                   f"{c.loc['drift left vs target', 'tax-aware']:.2%} vs {c.loc['drift left vs target', 'plain']:.2%}; "
                   f"tracking error {c.loc['tracking error vs target (annualised)', 'tax-aware']:.2%} vs "
                   f"{c.loc['tracking error vs target (annualised)', 'plain']:.2%} (between them {a.te_between:.2%})")
        cuts = {k: v for k, v in a.plan.reasons.items() if v.startswith("tax-aware: buy cut")}
        out += [f"    {k}: {v}" for k, v in a.plan.reasons.items() if k not in cuts]
        if cuts:
            out.append(f"    buys cut to fund them: {', '.join(cuts)}")
        out += [f"    not done: {x}" for x in a.plan.skipped]
    out += [f"  note: {n}" for n in pt.notes]
    return out
