"""Capital-gains tax arithmetic: US-style netting, the tax of a trade vector, and a convex tax curve per asset.

Estimates at given rates, not tax advice. Amounts are USD (or any one currency unit).

- **Netting** (:func:`net_year`, IRS Publication 550, "Capital Gains and Losses" / Schedule D):
  short- and long-term results are each netted within their class, together with the losses
  carried into the year in that class; a net loss in one class offsets a net gain in the other;
  what is left negative is carried forward with its class. Tax = rate_st x taxable ST + rate_lt
  x taxable LT. (The deduction of up to $3,000 of net loss against ordinary income is not
  modelled: the loss is carried whole.)
- **The tax of a trade** (:func:`trade_tax`) is *incremental*: the year's tax with the trade's
  realised results added to those already realised this year, less the year's tax without
  them. A trade that realises a loss against earlier gains has a negative tax (a saving).
- **Tax curve** (:func:`tax_curve`): for a convex optimiser, the tax of selling ``x`` dollars of
  one asset when its lots are relieved in min-tax order is piecewise linear in ``x`` with
  increasing slopes (each lot's tax per dollar sold, rate x (1 - basis / price), is taken
  in increasing order), hence convex. Each loss is valued at its own class's rate (as if it
  offsets a gain of its class this year or later); the exact, netted figure is :func:`trade_tax`.
  Wash sales are not in the curve (they depend on the purchases of the whole trade: :func:`trade_tax`
  applies them).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable

import numpy as np
import pandas as pd

from rebal.analytics.lots import LotBook, Rates, Realized, Relief, Wash

__all__ = ["Netted", "net_year", "year_tax", "Classes", "classes", "TradeTax", "trade_tax", "TaxCurve", "tax_curve",
           "tax_curves", "curve_pieces"]


@dataclass(frozen=True)
class Netted:
    """One year after netting: taxable short- and long-term gains (>= 0), the carry-forward by class (<= 0)."""

    taxable_short: float
    taxable_long: float
    carry_short: float
    carry_long: float

    def tax(self, rates: Rates) -> float:
        """Tax at ``rates`` (fractions) on the taxable gains."""
        return rates.short_term * self.taxable_short + rates.long_term * self.taxable_long


def net_year(short_term: float, long_term: float, carry_short: float = 0.0, carry_long: float = 0.0) -> Netted:
    """Net one year's realised results by class with the losses carried in (``carry_*`` <= 0, with their class).

    A net loss in one class offsets a net gain in the other; what is left keeps the character of
    the class whose loss it is (Publication 550, "Capital loss carryover": a carried loss "remains
    long term or short term"). Example: ST -100, LT +50 -> nothing taxable, -50 carried as
    short-term; ST +100, LT -200 -> nothing taxable, -100 carried as long-term.
    """
    st, lt = float(short_term) + carry_short, float(long_term) + carry_long
    if st < 0 < lt:
        net = st + lt
        st, lt = (0.0, net) if net >= 0 else (net, 0.0)
    elif lt < 0 < st:
        net = st + lt
        st, lt = (net, 0.0) if net >= 0 else (0.0, net)
    return Netted(max(st, 0.0), max(lt, 0.0), min(st, 0.0), min(lt, 0.0))


def year_tax(short_term: float, long_term: float, rates: Rates, carry_short: float = 0.0,
             carry_long: float = 0.0) -> float:
    """Return the year's tax at ``rates`` on realised ``short_term`` and ``long_term`` results, after netting."""
    return net_year(short_term, long_term, carry_short, carry_long).tax(rates)


@dataclass(frozen=True)
class Classes:
    """Recognised gains and losses of a trade's sales by class (losses negative).

    ``earlier_short`` / ``earlier_long`` (>= 0): losses of earlier sales that the trade's purchases
    disallow (wash sales); they raise the year's result of their class. ``disallowed`` (>= 0): every
    loss a wash sale disallows, on the trade's own sales and on earlier ones.
    """

    short_term_gains: float = 0.0
    short_term_losses: float = 0.0
    long_term_gains: float = 0.0
    long_term_losses: float = 0.0
    disallowed: float = 0.0
    earlier_short: float = 0.0
    earlier_long: float = 0.0

    @property
    def short_term(self) -> float:
        """Net short-term result (earlier losses disallowed included)."""
        return self.short_term_gains + self.short_term_losses + self.earlier_short

    @property
    def long_term(self) -> float:
        """Net long-term result (earlier losses disallowed included)."""
        return self.long_term_gains + self.long_term_losses + self.earlier_long


def classes(reliefs: list[Relief], washes: list[Wash] = ()) -> Classes:
    """Split recognised results into gains and losses by class.

    ``washes`` are losses of *earlier* sales disallowed by a purchase; the losses disallowed on the
    sales in ``reliefs`` are already in their ``recognised``.
    """
    out = {"short_term_gains": 0.0, "short_term_losses": 0.0, "long_term_gains": 0.0, "long_term_losses": 0.0}
    for r in reliefs:
        v = r.recognised
        out[f"{r.term}_term_{'gains' if v > 0 else 'losses'}"] += v
    earlier_short = sum(w.amount for w in washes if not w.long_term)
    earlier_long = sum(w.amount for w in washes if w.long_term)
    disallowed = sum(r.disallowed for r in reliefs) + earlier_short + earlier_long
    return Classes(**out, disallowed=disallowed, earlier_short=earlier_short, earlier_long=earlier_long)


@dataclass
class TradeTax:
    """The tax consequences of one trade vector (see :func:`trade_tax`); amounts in USD, tax an estimate."""

    realised: Classes
    tax: float
    year_to_date: tuple[float, float]
    carry_in: tuple[float, float]
    relieved: list[Relief] = field(default_factory=list)
    washes: list[Wash] = field(default_factory=list)
    book: LotBook | None = None

    @property
    def short_term(self) -> float:
        """Net short-term result of the trade."""
        return self.realised.short_term

    @property
    def long_term(self) -> float:
        """Net long-term result of the trade."""
        return self.realised.long_term


def trade_tax(book: LotBook, prices: pd.Series, trades: pd.Series, day, rates: Rates, *, method: str = "fifo",
              in_value: bool = False, year_to_date: tuple[float, float] = (0.0, 0.0),
              carry_in: tuple[float, float] = (0.0, 0.0), short_last: Iterable[str] = ()) -> TradeTax:
    """Realised short- and long-term results of ``trades`` on ``book`` and the estimated (incremental) tax.

    Parameters
    ----------
    book
        The open lots before the trades (not changed: a copy is traded). Its ``groups`` decide
        whether the wash-sale rule applies.
    prices
        Price per share by ticker on ``day`` (every traded ticker).
    trades
        Signed trades by ticker: shares (default) or dollars (``in_value=True``); sells < 0. Sells
        are relieved first (lots in ``method`` order), then buys are opened.
    day
        The trade day (holding periods, wash-sale window).
    rates
        Tax rates by class (fractions).
    method
        Lot relief: ``fifo``, ``hifo`` or ``min_tax``.
    year_to_date
        Short- and long-term results already realised this year (USD).
    carry_in
        Losses carried into this year, by class (USD, <= 0).
    short_last
        Tickers whose lots with a short-term gain are relieved after all their others (see
        :meth:`~rebal.analytics.lots.LotBook.order`).

    Returns
    -------
    TradeTax
        Realised gains and losses by class, ``tax`` = tax(year to date + trade) - tax(year to date),
        the relieved lots, the wash sales, and the book after the trades.
    """
    b = book.copy()
    day = pd.Timestamp(day)
    t = trades[trades != 0].astype(float)
    missing = [a for a in t.index if not (float(prices.get(a, np.nan)) > 0)]
    if missing:
        raise ValueError(f"trade_tax: no price for {missing[0]!r}")
    shares = t / prices.reindex(t.index).astype(float) if in_value else t
    got = Realized()
    for a in shares.index[shares < 0]:
        held = b.shares(a)
        if -shares[a] > held + 1e-6:
            raise ValueError(f"trade_tax: selling {-shares[a]:g} shares of {a!r}, {held:g} held")
        got += b.sell(a, min(-shares[a], held), float(prices[a]), day, relief=method, rates=rates,
                      short_last=a in set(short_last))
    later: list[Wash] = []
    for a in shares.index[shares > 0]:
        later += b.buy(a, float(shares[a]), float(prices[a]), day, source=f"bought {day.date()}").washes
    relieved = _attribute(got.relieved, [w for w in later if w.sale_day == day])
    realised = classes(relieved, [w for w in later if w.sale_day != day])
    ytd_st, ytd_lt = year_to_date
    c_st, c_lt = carry_in
    before = year_tax(ytd_st, ytd_lt, rates, c_st, c_lt)
    after = year_tax(ytd_st + realised.short_term, ytd_lt + realised.long_term, rates, c_st, c_lt)
    return TradeTax(realised, after - before, (ytd_st, ytd_lt), (c_st, c_lt), relieved, got.washes + later, b)


def _attribute(reliefs: list[Relief], washes: list[Wash]) -> list[Relief]:
    """Put the losses that same-day purchases disallow on the trade's own loss reliefs (ticker and class)."""
    out = list(reliefs)
    for w in washes:
        left = w.amount
        for k, r in enumerate(out):
            room = -r.gain - r.disallowed
            if left > 1e-12 and r.ticker == w.ticker and r.long_term == w.long_term and room > 0:
                take = min(room, left)
                out[k] = replace(r, disallowed=r.disallowed + take)
                left -= take
    return out


@dataclass(frozen=True)
class TaxCurve:
    """Tax (USD) of selling ``x`` dollars of one asset, lots relieved cheapest first: convex, piecewise linear.

    ``breakpoints``: the cumulative dollars sold at the end of each segment (the last is the whole
    position at today's price); ``slopes``: tax per dollar sold on each segment, increasing.
    """

    ticker: str
    breakpoints: np.ndarray
    slopes: np.ndarray

    @property
    def held(self) -> float:
        """Value of the position (the largest sale)."""
        return float(self.breakpoints[-1]) if len(self.breakpoints) else 0.0

    def __call__(self, x: float) -> float:
        """Tax of selling ``x`` dollars (0 <= x <= held)."""
        a, b = self.pieces()
        return float(np.max(a + b * x)) if len(a) else 0.0

    def marginal(self, x: float) -> float:
        """Tax per dollar of the next dollar sold after ``x`` dollars (the slope of the segment holding ``x``)."""
        if not len(self.slopes):
            return 0.0
        k = int(np.searchsorted(self.breakpoints, x, side="right"))
        return float(self.slopes[min(k, len(self.slopes) - 1)])

    def pieces(self) -> tuple[np.ndarray, np.ndarray]:
        """Return intercepts ``a`` and slopes ``b`` with tax(x) = max_k (a_k + b_k x) on [0, held] (convexity)."""
        if not len(self.slopes):
            return np.zeros(0), np.zeros(0)
        starts = np.concatenate([[0.0], self.breakpoints[:-1]])
        values = np.concatenate([[0.0], np.cumsum(self.slopes * np.diff(np.concatenate([[0.0], self.breakpoints])))])
        return values[:-1] - self.slopes * starts, self.slopes.copy()


def tax_curve(book: LotBook, ticker: str, price: float, day, rates: Rates) -> TaxCurve:
    """Return the :class:`TaxCurve` of ``ticker`` at ``price`` on ``day``: one segment per lot, in min-tax order."""
    d = pd.Timestamp(day)
    lots = book.order(ticker, price, "min_tax", day=d, rates=rates)
    size = np.array([lot.shares * price for lot in lots])
    slope = np.array([(rates.long_term if lot.is_long(d) else rates.short_term) * (1.0 - lot.cost / price)
                      for lot in lots])
    return TaxCurve(ticker, np.cumsum(size), slope)


def tax_curves(book: LotBook, prices: pd.Series, day, rates: Rates) -> dict[str, TaxCurve]:
    """Return the :class:`TaxCurve` of every asset held in ``book`` with a price in ``prices``."""
    return {a: tax_curve(book, a, float(prices[a]), day, rates) for a in book.lots
            if book.shares(a) > 0 and a in prices.index and prices[a] > 0}


def curve_pieces(curves: dict[str, TaxCurve], tickers: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack the affine pieces of ``curves`` for the assets ``tickers`` (a vector of an optimiser).

    Returns ``(index, intercept, slope)``: with ``s`` the dollars sold per asset (ordered as
    ``tickers``) and ``t`` an epigraph variable per asset, the constraints
    ``t[index] >= intercept + slope * s[index]`` make ``sum(t)`` the estimated tax of the sales
    (an asset without lots has no piece: add ``t >= 0`` for it, or leave its ``t`` out).
    """
    idx, a_all, b_all = [], [], []
    for i, tk in enumerate(tickers):
        c = curves.get(tk)
        if c is None:
            continue
        a, b = c.pieces()
        idx += [i] * len(a)
        a_all.append(a)
        b_all.append(b)
    def cat(xs: list) -> np.ndarray:
        return np.concatenate(xs) if xs else np.zeros(0)

    return np.asarray(idx, int), cat(a_all), cat(b_all)
