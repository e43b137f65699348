"""The tax part of the proposal report and the packet: a card, the lots each sell relieves, the tax-aware comparison.

Every figure is the proposal's own (:mod:`rebal.proposal.tax`); each is labelled an estimate at the
profile's rates. A tax-exempt account shows one line saying so and nothing else.
"""
from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from rebal.proposal.lots import INFERRED
from rebal.report.widgets import card, html_block, note

__all__ = ["tax_line", "tax_card", "lots_table", "LOTS_FORMATS", "aware_table", "aware_note",
           "windows_table", "tax_scraps", "TAX_SCRAPS", "tax_summary", "tax_words"]


def _money(x: float) -> str:
    return f"{'−' if x < 0 else ''}${abs(x):,.0f}"


def tax_line(p: Any) -> str:
    """Say the proposal's estimated tax in one line (HTML): the figure, the after-tax cost, what is realised."""
    t = p.tax
    if t is None or t.exempt:
        return "none: a tax-exempt account"
    saving = " (a saving)" if t.tax < 0 else ""
    return (f"{_money(t.tax)}{saving}, after-tax cost {_money(t.after_tax_cost)} (realised: short-term "
            f"{_money(t.realised.short_term)}, long-term {_money(t.realised.long_term)}; {html.escape(t.label)})")


def tax_card(p: Any) -> Any:
    """Headline of the proposal's tax: realised gains and losses by class, the estimated tax, the after-tax cost."""
    t = p.tax
    if t is None or t.exempt:
        return note("Tax-exempt account: the trades realise no taxable gains; no tax is estimated.")
    r = t.realised
    washed = f"; wash sales disallow {_money(r.disallowed)}" if r.disallowed else ""
    earlier = (f" (of which earlier sales' losses: ST {_money(r.earlier_short)}, LT {_money(r.earlier_long)})"
               if r.earlier_short or r.earlier_long else "")
    saving = " (a saving: the losses offset gains realised earlier this year)" if t.tax < 0 else ""
    rows = [("Basis of the estimate", html.escape(t.label)),
            ("Realised, short-term", f"gains {_money(r.short_term_gains)}, losses {_money(r.short_term_losses)}"),
            ("Realised, long-term", f"gains {_money(r.long_term_gains)}, losses {_money(r.long_term_losses)}"
                                    f"{washed}{earlier}"),
            ("Earlier this year", f"short-term {_money(t.year_to_date[0])}, long-term {_money(t.year_to_date[1])} "
                                  "(realised by the recorded implementations)"),
            ("Losses carried in", f"short-term {_money(abs(t.carry_in[0]))}, long-term {_money(abs(t.carry_in[1]))} "
                                  f"({html.escape(t.carry_source)})"),
            ("Estimated tax", f"<b>{_money(t.tax)}</b>{saving}: the year's tax with these trades less without them, "
                              "after netting short- against long-term results"),
            ("Trading cost → after-tax cost", f"{_money(t.trading_cost)} → <b>{_money(t.after_tax_cost)}</b> "
                                              "(trading cost + estimated tax)")]
    return card(rows)


def _source(s: str) -> str:
    out = s.replace(INFERRED, "inferred: adjusted close").replace("imported lot statement of", "imported statement")
    return out.replace("basis + loss disallowed on the", "+ wash-sale loss of").replace(" (wash sale)", "")


#: formats of :func:`lots_table`
LOTS_FORMATS = {"shares": "{:,.0f}", "basis / share": "{:,.2f}", "price": "{:,.2f}", "gain or loss ($)": "{:+,.0f}",
                "disallowed ($)": "{:,.0f}"}


def lots_table(p: Any) -> pd.DataFrame | None:
    """Tabulate the lots each sell relieves (None when nothing is sold or the account is exempt).

    The column of losses disallowed by a wash sale is shown only when there is one.
    """
    t = p.tax
    if t is None or t.exempt or not t.sells:
        return None
    rows = [{"sell": s.ticker, "acquired": str(r.acquired.date()), "shares": r.shares, "basis / share": r.basis,
             "price": r.price, "gain or loss ($)": r.gain, "term": r.term, "disallowed ($)": r.disallowed,
             "basis from": _source(r.source)} for s in t.sells for r in s.relieved]
    out = pd.DataFrame(rows).set_index(["sell", "acquired"])
    return out if (out["disallowed ($)"] > 0).any() else out.drop(columns="disallowed ($)")




def aware_table(p: Any) -> pd.DataFrame | None:
    """Tabulate the tax-aware proposal against the plain one, as text cells (None outside the tax-aware mode)."""
    t = p.tax
    if t is None or t.aware is None:
        return None
    c = t.aware.comparison

    def fmt(k: str, v: float, signed: bool) -> str:
        if v != v:
            return "—"
        if "drift" in k or "tracking" in k:
            return f"{v:+.2%}" if signed else f"{v:.2%}"
        if k == "trades":
            return f"{v:+.0f}" if signed else f"{v:.0f}"
        return f"{'+' if signed and v > 0 else ''}{_money(v)}"

    out = pd.DataFrame({col: [fmt(k, v, col == "change") for k, v in c[col].items()] for col in c.columns},
                       index=c.index)
    out.index.name = "figure"
    return out


def aware_note(p: Any) -> Any:
    """Say what the tax-aware mode changed, what it did not do and why, and the tax saved by cause."""
    t = p.tax
    if t is None or t.exempt:
        return html_block("")
    if t.aware is None:
        return note("Plain proposal: lots relieved by the profile's lot method; <code>rebal propose --tax-aware</code> "
                    "(or <code>tax.aware.enabled</code> in the profile) re-plans the trades to spare tax.")
    a = t.aware
    e = html.escape
    cuts: dict[str, list[str]] = {}
    items = []
    for k, v in a.plan.reasons.items():
        m = re.fullmatch(r"tax-aware: buy cut by (\S+) to keep more of (\S+)", v)
        if m:
            cuts.setdefault(m.group(2), []).append(f"{k} {m.group(1)}")
        else:
            items.append(f"<b>{e(k)}</b>: {e(v.removeprefix('tax-aware: '))}")
    items += [f"buys cut to keep more of {e(t)}: {e(', '.join(c))}" for t, c in cuts.items()]
    items += [f"not done: {e(x)}" for x in a.plan.skipped]
    head = (f"Tax saved against the plain proposal: <b>{_money(a.tax_saved)}</b> (lot choice "
            f"{_money(a.saved_by_lots)}, changed trades {_money(a.tax_saved - a.saved_by_lots)}); tracking error "
            f"between the two {a.te_between:.2%} a year; drift left allowed up to {a.plan.bound:.2%}.")
    body = "".join(f"<li>{x}</li>" for x in items) or "<li>nothing to change: no sale realised a short-term gain "\
        "and no loss could be harvested</li>"
    return note(f"{head}<ul style='margin:2px 0'>{body}</ul>")


def windows_table(p: Any) -> pd.DataFrame | None:
    """Loss sales whose 30-day wash-sale window is open after the proposal (None when there are none)."""
    t = p.tax
    if t is None or t.exempt or t.windows is None or t.windows.empty:
        return None
    w = t.windows.rename(columns={"sale_day": "sold at a loss on", "loss_per_share": "loss / share",
                                  "until": "window open until"})
    if (w["group"] == w["ticker"]).all():  # no substantially identical groups declared
        w = w.drop(columns="group")
    return w.set_index("ticker")


#: the tax scraps of the proposal report and the weekly review, and their types
TAX_SCRAPS = {"tax_account": str, "tax_usd": float, "after_tax_cost_usd": float, "tax_short_term": float,
              "tax_long_term": float, "tax_aware": bool, "tax_saved": float}


_SIGNED = object()


def tax_scraps(p: Any, tax: Any = _SIGNED, trading_cost: float | None = None) -> dict[str, Any]:
    """Return the tax of a proposal's trade list as plain scraps (the full adoption's unless ``tax`` is given).

    ``tax``: another trade list's :class:`~rebal.proposal.tax.ProposalTax` (the part-way trade's), or
    None when nothing is signed (every amount 0); ``trading_cost``: that list's trading cost.
    ``tax_account`` is ``taxable``, ``tax_exempt`` (every amount 0, the after-tax cost the trading
    cost) or "" without a proposal; ``tax_saved`` is the tax-aware mode's saving (0 without it).
    """
    t = None if p is None else (p.tax if tax is _SIGNED else tax)
    account = "" if p is None or p.tax is None else p.tax.account
    if t is None or t.exempt:
        cost = trading_cost if trading_cost is not None else float(p.costs["total_usd"]) if p is not None else 0.0
        return {"tax_account": account, "tax_usd": 0.0, "after_tax_cost_usd": float(cost),
                "tax_short_term": 0.0, "tax_long_term": 0.0, "tax_aware": False, "tax_saved": 0.0}
    return {"tax_account": t.account, "tax_usd": float(t.tax), "after_tax_cost_usd": float(t.after_tax_cost),
            "tax_short_term": float(t.realised.short_term), "tax_long_term": float(t.realised.long_term),
            "tax_aware": t.aware is not None, "tax_saved": float(t.aware.tax_saved) if t.aware is not None else 0.0}


def tax_words(t: Any) -> str:
    """Say a trade list's estimated tax and after-tax cost in a few words ("" for none or a tax-exempt account)."""
    if t is None or t.exempt or t.tax is None:
        return ""
    saving = " (a saving)" if t.tax < 0 else ""
    return f"estimated tax {_money(t.tax)}{saving}, after-tax cost {_money(t.after_tax_cost)}"


def tax_summary(s: Any, money=_money) -> str:
    """Write one line of tax for the packet's cover and the reports' cells, from the scraps ("" without any)."""
    account = s.get("tax_account")
    if account == "tax_exempt":
        return "tax-exempt"
    if account != "taxable":
        return ""
    aware = f" (tax-aware, {money(s.get('tax_saved', 0.0))} saved)" if s.get("tax_aware") else ""
    return f"est. tax {money(s.get('tax_usd', 0.0))}" + aware
