"""The tax consequences of a proposal: the lots each sell relieves, realised gains, the estimated tax.

The proposal's one tax stage (:func:`tax_stage`, called once by :func:`rebal.proposal.build.build_proposal`):

1. the profile's open lots as of the proposal date, from its recorded implementations
   (:func:`rebal.proposal.lots.lot_history`);
2. the trade list applied to them (:func:`rebal.analytics.tax.trade_tax`): sells first, lots
   relieved by the profile's ``tax.lot_method``, then buys (the wash-sale rule sees both);
3. the estimated tax at the profile's rates, *incremental*: the year's tax with the proposal's
   results added to those realised earlier in the year (the lot history) and the losses
   carried in (``tax.carried_losses`` when recorded, else the carry of the lot history), less
   the year's tax without them; the **after-tax cost** is the trading cost plus that tax;
4. in the tax-aware mode (``tax.aware.enabled`` or ``rebal propose --tax-aware``) the allocation
   is re-planned (:mod:`rebal.proposal.tax_aware`) and the trade list rebuilt; the plain proposal is
   kept for the comparison (tax saved, drift left, tracking error).

A ``tax_exempt`` account shows no tax: the stage only says so. Every figure is an estimate at
the profile's rates, not tax advice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from rebal.analytics.lots import Relief, Wash
from rebal.analytics.tax import Classes, TaxCurve, TradeTax, net_year, tax_curves, trade_tax
from rebal.proposal.lots import INFERRED, LotHistory, lot_history

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.proposal.allocate import Allocation
    from rebal.proposal.trades import TradeList

__all__ = ["ESTIMATE", "SellTax", "ProposalTax", "proposal_tax", "Replan", "tax_stage", "carry_in", "TaxInputs",
           "tax_inputs", "option_tax", "tax_sell_cost", "trades_tax"]

#: how every tax figure is labelled
ESTIMATE = "estimate at the profile's rates, not tax advice"


@dataclass
class SellTax:
    """One sell of the trade list: the lots it relieves and what it realises (USD)."""

    ticker: str
    shares: float
    price: float
    relieved: list[Relief]
    washes: list[Wash] = field(default_factory=list)

    @property
    def short_term(self) -> float:
        """Recognised short-term result (a disallowed loss does not count)."""
        return sum(r.recognised for r in self.relieved if not r.long_term)

    @property
    def long_term(self) -> float:
        """Recognised long-term result."""
        return sum(r.recognised for r in self.relieved if r.long_term)

    @property
    def disallowed(self) -> float:
        """Loss disallowed by the wash-sale rule (USD, >= 0); ``washes`` say by which purchases."""
        return sum(r.disallowed for r in self.relieved)


@dataclass
class ProposalTax:
    """The tax consequences of one trade list (see the module docstring)."""

    account: str
    lot_method: str
    short_term_rate: float
    long_term_rate: float
    rates_note: str = ""
    realised: Classes | None = None
    #: short- and long-term results realised earlier this year (the lot history), USD
    year_to_date: tuple[float, float] = (0.0, 0.0)
    #: losses carried into the year by class (USD, <= 0) and where they come from
    carry_in: tuple[float, float] = (0.0, 0.0)
    carry_source: str = ""
    tax: float | None = None
    trading_cost: float = 0.0
    sells: list[SellTax] = field(default_factory=list)
    #: losses disallowed by buys of this proposal (earlier sales) or matched on its sells
    washes: list[Wash] = field(default_factory=list)
    #: loss sales whose 30-day window is open after the proposal: buying their group would wash them
    windows: pd.DataFrame | None = None
    basis: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the tax-aware mode's comparison with the plain proposal (:class:`rebal.proposal.tax_aware.TaxAware`)
    aware: object = None

    @property
    def exempt(self) -> bool:
        """Whether the account pays no tax (nothing else is shown)."""
        return self.account == "tax_exempt"

    @property
    def after_tax_cost(self) -> float | None:
        """Trading cost plus the estimated tax (USD); None for an exempt account."""
        return None if self.tax is None else self.trading_cost + self.tax

    @property
    def label(self) -> str:
        """The rates and method, as every figure is labelled."""
        if self.exempt:
            return "tax-exempt account: no tax on its trades"
        note = f"; {self.rates_note}" if self.rates_note else ""
        return (f"{ESTIMATE}: short-term {self.short_term_rate:.1%}, long-term {self.long_term_rate:.1%}, lots "
                f"{self.lot_method.replace('_', '-')}{note}")


def carry_in(profile: Profile, history: LotHistory, year: int) -> tuple[tuple[float, float], str]:
    """Losses carried into ``year`` by class (<= 0) and their source: recorded in the profile, else the lot history."""
    rec = profile.tax.carried_losses
    if rec is not None:
        return (-rec.short_term, -rec.long_term), "recorded in the profile, tax.carried_losses"
    st = lt = 0.0
    for y, r in history.realised.sort_index().iterrows():
        if y >= year:
            break
        n = net_year(float(r["short_term"]), float(r["long_term"]), st, lt)
        st, lt = n.carry_short, n.carry_long
    if history.first is None:
        return (0.0, 0.0), "none recorded, no lot history"
    return (st, lt), f"the lot history since {history.first}; none recorded in the profile"


@dataclass
class TaxInputs:
    """What the tax of any trade of a profile on a day needs: its lots, this year's results, the carried losses.

    For an optimiser (a part-way rebalance weighing tax): :meth:`tax_of` prices a signed trade vector
    exactly (netting, wash sales); :meth:`curves` gives each held asset's convex tax of the dollars sold.
    """

    profile: Profile
    day: date
    history: LotHistory
    year_to_date: tuple[float, float]
    carry_in: tuple[float, float]

    def tax_of(self, trades: pd.Series, prices: pd.Series, *, in_value: bool = True,
               method: str | None = None) -> TradeTax:
        """Tax of ``trades`` (signed, dollars by default; sells < 0) at ``prices``: realised ST/LT and ``.tax``."""
        return trade_tax(self.history.book, prices, trades, self.day, self.profile.tax,
                         method=method or self.profile.tax.lot_method, in_value=in_value,
                         year_to_date=self.year_to_date, carry_in=self.carry_in)

    def curves(self, prices: pd.Series) -> dict[str, TaxCurve]:
        """Each held asset's tax of selling x dollars (lots in min-tax order): convex, piecewise linear."""
        return tax_curves(self.history.book, prices, self.day, self.profile.tax)


def tax_inputs(profile: Profile, view: Lakehouse, as_of: date) -> TaxInputs | None:
    """Collect the :class:`TaxInputs` of ``profile`` on ``as_of`` (``view`` limited to it); None when tax-exempt."""
    if profile.tax.exempt:
        return None
    history = lot_history(profile, view)
    carry, _ = carry_in(profile, history, as_of.year)
    return TaxInputs(profile, as_of, history, history.year_to_date(as_of.year), carry)


def _signed_shares(trades: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    if trades.empty:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    sign = trades["action"].map({"BUY": 1.0, "SELL": -1.0}).to_numpy()
    shares = pd.Series(sign * trades["shares"].astype(float).to_numpy(), index=trades["ticker"].to_list())
    return shares, pd.Series(trades["price"].astype(float).to_numpy(), index=trades["ticker"].to_list())


def proposal_tax(profile: Profile, history: LotHistory, trades: pd.DataFrame, as_of: date, trading_cost: float, *,
                 method: str | None = None, short_last: tuple[str, ...] = ()) -> ProposalTax:
    """Compute the tax consequences of ``trades`` (a trade list's frame) on the lots of ``history`` as of ``as_of``.

    ``method``: the lot relief (default: the profile's); ``short_last``: tickers whose short-term gain lots
    are relieved last (the tax-aware mode's stopped sales).
    """
    tax = profile.tax
    method = method or tax.lot_method
    out = ProposalTax(tax.account, method, tax.short_term_rate, tax.long_term_rate, tax.note, trading_cost=trading_cost)
    if tax.exempt:
        return out
    shares, prices = _signed_shares(trades)
    ytd = history.year_to_date(as_of.year)
    carry, source = carry_in(profile, history, as_of.year)
    tt = trade_tax(history.book, prices, shares, as_of, tax, method=method, year_to_date=ytd, carry_in=carry,
                   short_last=short_last)
    out.realised, out.tax, out.year_to_date, out.carry_in, out.carry_source = tt.realised, tt.tax, ytd, carry, source
    out.washes = tt.washes
    for t in shares.index[shares < 0]:
        washes = [w for w in tt.washes if w.ticker == t and w.sale_day == pd.Timestamp(as_of)]
        out.sells.append(SellTax(t, float(-shares[t]), float(prices[t]), [r for r in tt.relieved if r.ticker == t],
                                 washes))
    out.windows = tt.book.pending_losses(as_of)
    out.basis = history.basis_sources()
    out.notes = list(history.notes) + _basis_notes(out) + _wash_notes(tt.washes, as_of)
    return out


def _basis_notes(pt: ProposalTax) -> list[str]:
    inferred = sum(1 for s in pt.sells for r in s.relieved if INFERRED in r.source)
    if not inferred:
        return []
    return [f"{inferred} of the lots relieved have a cost basis {INFERRED}: import your lot statements "
            "(`rebal data import lots FILE`) to replace them"]


def _wash_notes(washes: list[Wash], as_of: date) -> list[str]:
    out = []
    for w in washes:
        if pd.Timestamp(w.sale_day) == pd.Timestamp(as_of) and pd.Timestamp(w.bought) == pd.Timestamp(as_of):
            out.append(f"wash sale: the proposal sells {w.ticker} at a loss and buys {w.replacement}, substantially "
                       f"identical, the same day: ${w.amount:,.0f} of the loss is disallowed and added to the basis of "
                       f"{w.shares:,.0f} new {w.replacement} shares")
        elif pd.Timestamp(w.bought) == pd.Timestamp(as_of):
            out.append(f"wash sale: buying {w.replacement} within 30 days after the loss sale of {w.ticker} on "
                       f"{pd.Timestamp(w.sale_day).date()} disallows ${w.amount:,.0f} of that loss (added to the "
                       f"basis of {w.shares:,.0f} new shares)")
        else:
            out.append(f"wash sale: {w.ticker} is sold at a loss within 30 days after {w.shares:,.0f} "
                       f"{w.replacement} shares were bought on {pd.Timestamp(w.bought).date()}: ${w.amount:,.0f} of "
                       "the loss is disallowed and added to their basis")
    return out


@dataclass(frozen=True)
class Replan:
    """What the tax-aware mode needs from the proposal to rebuild its trade list and costs.

    ``trade(weights, prices, cost_fn)`` -> a trade list from the current holdings;
    ``summarize(trade_list, adv, sigma)`` -> its cost summary; ``cost_fn_of(adv, sigma)`` -> a cost
    function; ``adv`` and ``sigma`` (None when the proposal has no liquidity data), ``prices``,
    ``current`` weights (incl. CASH) and ``value`` as the proposal built them.
    """

    trade: Callable
    summarize: Callable
    cost_fn_of: Callable
    adv: pd.Series | None
    sigma: pd.Series | None
    prices: pd.Series
    current: pd.Series
    value: float

    @property
    def cost_fn(self) -> Callable:
        """The proposal's cost function (on its own liquidity data)."""
        return self.cost_fn_of(self.adv, self.sigma)


def tax_stage(profile: Profile, view: Lakehouse, as_of: date, alloc: Allocation, tl: TradeList, costs: dict,
              returns: pd.DataFrame, replan: Replan, *, tax_aware: bool | None = None,
              history: LotHistory | None = None) -> tuple[Allocation, TradeList, dict, ProposalTax]:
    """Run the proposal's tax stage (module docstring): return the allocation, trades and costs to use, and their tax.

    Without the tax-aware mode they are ``alloc``, ``tl`` and ``costs`` unchanged. ``history``: the
    profile's lots when already read (else read from ``view``).
    """
    aware = profile.tax.aware.enabled if tax_aware is None else tax_aware
    if profile.tax.exempt:
        if aware:
            from rebal.errors import ConfigError

            raise ConfigError(f"{profile.source}: `tax.account` is tax_exempt: --tax-aware has nothing to do")
        return alloc, tl, costs, proposal_tax(profile, None, tl.trades, as_of, costs["total_usd"])
    history = history if history is not None else lot_history(profile, view)
    plain = proposal_tax(profile, history, tl.trades, as_of, costs["total_usd"])
    if not aware or alloc.breaker.status == "BLOCKED":
        if aware:
            plain.notes.append("tax-aware mode: the proposal is blocked, nothing to re-plan")
        return alloc, tl, costs, plain
    from rebal.proposal.tax_aware import tax_aware_proposal

    return tax_aware_proposal(profile, view, as_of, alloc, tl, costs, plain, history, returns, replan)


def option_tax(inp: Any, option: Any) -> Any:
    """Return ``option`` (a :class:`rebal.proposal.options.TradeOption`, or None) with the tax of its trades.

    ``inp``: the proposal's :class:`rebal.proposal.inputs.ProposalInputs` (its ``tax`` the profile's
    :class:`TaxInputs`, None for a tax-exempt account, whose options get an exempt :class:`ProposalTax`).
    """
    if option is None:
        return None
    from dataclasses import replace

    history = inp.tax.history if inp.tax is not None else None
    return replace(option, tax=proposal_tax(inp.profile, history, option.trades.trades, inp.as_of, option.cost_usd))


def trades_tax(p: Any, trades: Any) -> float:
    """Estimated tax (USD) of one of proposal ``p``'s trade lists (full adoption, part-way or remedial).

    The tax already computed for that list when it is one of the proposal's, else computed on its lots;
    0 for a tax-exempt account or a proposal without a tax stage.
    """
    for owner in (p, getattr(p, "partway", None), getattr(p, "remedial", None)):
        if owner is not None and getattr(owner, "trades", None) is trades and getattr(owner, "tax", None) is not None:
            return float(owner.tax.tax or 0.0)
    inp = getattr(p, "inputs", None)
    if inp is None or inp.tax is None:
        return 0.0
    return float(proposal_tax(p.profile, inp.tax.history, trades.trades, p.as_of, 0.0).tax or 0.0)


def tax_sell_cost(inp: Any) -> tuple[pd.Series | None, None]:
    """Tax per dollar sold of each held asset, for the trade-off problem (an ``EXTRA_COSTS`` term).

    The trade-off (:mod:`rebal.proposal.tradeoff`) takes a linear cost per unit of value sold, while
    the tax of a sale is convex and piecewise linear in the dollars sold (:class:`TaxCurve`). The
    linear rate used is the tax of selling the whole position divided by its value, at least 0: the
    average rate of the position's lots at the profile's rates (a loss position costs nothing to sell;
    the exact tax of the chosen trades, netted across classes, is :func:`proposal_tax`'s).
    """
    ti = getattr(inp, "tax", None)
    if ti is None:
        return None, None
    rates = {a: max(0.0, c(c.held) / c.held) for a, c in ti.curves(inp.prices).items() if c.held > 0}
    return (pd.Series(rates, dtype=float) if rates else None), None
