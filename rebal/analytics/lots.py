"""Tax lots: open lots per asset, their relief on a sale, the holding period and the wash-sale rule.

One home for lot accounting: the rule lab (:mod:`rebal.lab.tax`) and the proposal
(:mod:`rebal.proposal.tax`) use this book. Pure arithmetic: no lakehouse, no profile.

- Every buy opens a lot: shares, basis per share, the day its holding period starts
  (``acquired``), the day it was bought (``bought``; they differ only after a wash sale) and
  where the basis comes from (``source``).
- **Holding period** (IRS Publication 550, "Holding Period"): counting starts the day after
  the acquisition and includes the day of the sale; a lot held *more than one year* is long-term,
  i.e. sold after the one-year anniversary of its acquisition. Bought 2022-02-05: sold 2023-02-05
  is short-term, sold 2023-02-06 long-term. A lot acquired on 29 February has its anniversary
  on 28 February.
- **Relief orders** (:data:`LOT_METHODS`): ``fifo`` oldest first (the IRS default when the shares
  sold are not identified), ``hifo`` highest basis first, ``min_tax`` lowest estimated tax per
  share first: rate of the lot's class x (price - basis), so losses go first (largest saving
  first), then long-term gains, then short-term gains (ties: higher basis first). The lab's
  ``harvest_first`` puts loss lots first (largest loss per share first) and ``defer_short``
  keeps lots with a short-term gain unsold (the sale is smaller than asked).
- **Wash sales** (Publication 550, "Wash Sales"), applied when the book is given ``groups``
  (ticker -> group of substantially identical securities; a ticker not mapped is its own
  group): a loss on a sale is disallowed for as many shares as were bought in the same group
  within 30 days before or after the sale (replacement shares, matched in the order they were
  bought; each replacement share covers one sold share once). The disallowed loss per share is
  added to the basis of the replacement shares, and the holding period of the shares sold is
  added to theirs. Shares bought before the sale are found when the loss is realised; shares
  bought after it find the loss when they are bought (:meth:`LotBook.buy` returns the
  disallowed amounts, which belong to the year of the sale). Without ``groups`` (the lab) the
  rule is not applied.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Mapping, Protocol

import pandas as pd

__all__ = ["LOT_METHODS", "WASH_WINDOW_DAYS", "Rates", "long_term_from", "is_long_term", "Lot", "Relief", "Wash",
           "Realized", "LotBook"]

LOT_METHODS = ("fifo", "hifo", "min_tax")
#: days before and after a sale at a loss in which a purchase of the same group makes it a wash sale
WASH_WINDOW_DAYS = 30
_EPS = 1e-12


class Rates(Protocol):
    """Tax rates by class (fractions of a net gain): anything with these two attributes."""

    short_term: float
    long_term: float


def long_term_from(acquired) -> pd.Timestamp:
    """Return the first sale day on which a lot acquired on ``acquired`` is long-term (the anniversary + 1 day)."""
    return _long_from(pd.Timestamp(acquired).normalize())


@functools.lru_cache(maxsize=4096)
def _long_from(a: pd.Timestamp) -> pd.Timestamp:
    try:
        anniversary = a.replace(year=a.year + 1)
    except ValueError:  # 29 February: its anniversary is 28 February
        anniversary = a.replace(year=a.year + 1, day=28)
    return anniversary + pd.Timedelta(days=1)


def is_long_term(acquired, sold) -> bool:
    """Whether shares acquired on ``acquired`` and sold on ``sold`` were held more than one year."""
    return pd.Timestamp(sold) >= long_term_from(acquired)


class Lot:
    """One open lot.

    ``shares``, ``cost`` (basis per share, USD), ``acquired`` (holding period start), ``bought``
    (trade day), ``source`` (where the basis comes from); ``free`` shares may still serve as
    replacement shares of a wash sale.
    """

    __slots__ = ("shares", "cost", "acquired", "bought", "source", "free", "long_from")

    def __init__(self, shares: float, cost: float, acquired, bought=None, source: str = "", free: float | None = None):
        self.shares, self.cost = float(shares), float(cost)
        self.acquired = pd.Timestamp(acquired)
        self.bought = pd.Timestamp(bought) if bought is not None else self.acquired
        self.source = source
        self.free = self.shares if free is None else float(free)
        self.long_from = long_term_from(self.acquired)

    def is_long(self, day: pd.Timestamp) -> bool:
        """Whether this lot is long-term when sold on ``day``."""
        return day >= self.long_from

    def split(self, shares: float) -> "Lot":
        """Take ``shares`` out of this lot as a new lot with the same basis and dates (this lot keeps the rest)."""
        part = Lot(shares, self.cost, self.acquired, self.bought, self.source, min(self.free, shares))
        self.shares -= shares
        self.free = max(0.0, self.free - part.free)
        return part

    def copy(self) -> "Lot":
        """Return an independent copy."""
        return Lot(self.shares, self.cost, self.acquired, self.bought, self.source, self.free)

    def __repr__(self) -> str:
        return (f"Lot({self.shares:g} @ {self.cost:.4f}, acquired {self.acquired.date()}, bought {self.bought.date()}"
                f"{', ' + self.source if self.source else ''})")


@dataclass(frozen=True)
class Relief:
    """Shares of one lot relieved by a sale.

    ``gain``: realised (negative: a loss) before any wash sale; ``disallowed``: the part of a loss
    that a wash sale disallowed (>= 0); ``recognised`` = gain + disallowed.
    """

    ticker: str
    shares: float
    basis: float
    price: float
    acquired: pd.Timestamp
    bought: pd.Timestamp
    day: pd.Timestamp
    long_term: bool
    source: str
    gain: float
    disallowed: float = 0.0

    @property
    def recognised(self) -> float:
        """The gain (or loss) that counts for tax: a disallowed loss does not."""
        return self.gain + self.disallowed

    @property
    def term(self) -> str:
        """``long`` or ``short``."""
        return "long" if self.long_term else "short"


@dataclass(frozen=True)
class Wash:
    """A loss disallowed by the wash-sale rule.

    ``shares`` sold at a loss on ``sale_day`` matched with replacement shares of ``replacement``
    bought on ``bought``; ``amount`` (USD, > 0) is added to their basis.
    """

    ticker: str
    sale_day: pd.Timestamp
    replacement: str
    bought: pd.Timestamp
    shares: float
    amount: float
    long_term: bool


@dataclass
class Realized:
    """Realised (recognised) gains (+) and losses (-) of one sale, by class, and what made them.

    ``shares``: shares sold; ``relieved``: the lots relieved; ``washes``: losses the wash-sale rule
    disallowed (on a sale: replacement shares bought before it; on a buy: earlier loss sales),
    ``disallowed`` their total (USD, >= 0).
    """

    short_term: float = 0.0
    long_term: float = 0.0
    shares: float = 0.0
    relieved: list[Relief] = field(default_factory=list)
    washes: list[Wash] = field(default_factory=list)
    disallowed: float = 0.0

    def __iadd__(self, other: "Realized") -> "Realized":
        self.short_term += other.short_term
        self.long_term += other.long_term
        self.shares += other.shares
        self.relieved += other.relieved
        self.washes += other.washes
        self.disallowed += other.disallowed
        return self


@dataclass
class _LossSale:
    """Shares sold at a loss not yet matched with replacement shares (for purchases after the sale)."""

    ticker: str
    group: str
    day: pd.Timestamp
    shares: float
    loss_per_share: float
    acquired: pd.Timestamp
    long_term: bool


class LotBook:
    """Open tax lots per asset (see the module docstring).

    Parameters
    ----------
    groups
        Ticker -> group of substantially identical securities for the wash-sale rule; ``None``
        (the default) does not apply the rule.
    """

    def __init__(self, groups: Mapping[str, str] | None = None) -> None:
        self.lots: dict[str, list[Lot]] = {}
        self.groups = None if groups is None else dict(groups)
        self._losses: list[_LossSale] = []

    def copy(self) -> "LotBook":
        """Return an independent copy (lots and pending loss sales)."""
        out = LotBook(self.groups)
        out.lots = {a: [lot.copy() for lot in lots] for a, lots in self.lots.items()}
        out._losses = [_LossSale(**vars(x)) for x in self._losses]
        return out

    def group(self, asset: str) -> str:
        """Return the wash-sale group of ``asset`` (itself when not mapped)."""
        return (self.groups or {}).get(asset, asset)

    def add(self, asset: str, lot: Lot) -> None:
        """Add an existing lot (an imported one, with its own dates and basis) without any wash-sale matching."""
        if lot.shares > 0:
            self.lots.setdefault(asset, []).append(lot)

    def buy(self, asset: str, shares: float, price: float, day, *, source: str = "") -> Realized:
        """Open a lot of ``shares`` at ``price`` per share on ``day`` (nothing when ``shares`` <= 0).

        With wash sales applied, shares bought within 30 days after a loss sale of the same group
        become its replacement shares; the return value lists the losses so disallowed (they
        belong to the year of each sale), else it is empty.
        """
        out = Realized()
        if shares <= 0:
            return out
        day = pd.Timestamp(day)
        left = float(shares)
        if self.groups is not None:
            g = self.group(asset)
            # loss sales older than the window can no longer be washed (purchases come in date order)
            self._losses = [r for r in self._losses if (day - r.day).days <= WASH_WINDOW_DAYS]
            for rec in self._losses:
                if left <= _EPS:
                    break
                if rec.group != g or rec.shares <= _EPS or not (0 <= (day - rec.day).days <= WASH_WINDOW_DAYS):
                    continue
                q = min(left, rec.shares)
                start = day - (rec.day - rec.acquired)  # the sold shares' holding period is added
                self.lots.setdefault(asset, []).append(
                    Lot(q, price + rec.loss_per_share, start, day, _washed(source, rec.ticker, rec.day), 0.0))
                amount = q * rec.loss_per_share
                out.washes.append(Wash(rec.ticker, rec.day, asset, day, q, amount, rec.long_term))
                out.disallowed += amount
                if rec.long_term:
                    out.long_term += amount
                else:
                    out.short_term += amount
                rec.shares -= q
                left -= q
            self._losses = [r for r in self._losses if r.shares > _EPS]
        if left > _EPS:
            self.lots.setdefault(asset, []).append(Lot(left, price, day, day, source))
        return out

    def shares(self, asset: str) -> float:
        """Return the shares held in ``asset`` across its open lots."""
        return float(sum(lot.shares for lot in self.lots.get(asset, [])))

    def order(self, asset: str, price: float, relief: str, harvest_first: bool = False, *, day=None,
              rates: Rates | None = None, short_last: bool = False) -> list[Lot]:
        """Return the lots of ``asset`` in the order a sale on ``day`` at ``price`` relieves them.

        ``min_tax`` needs ``day`` (the class of each lot) and ``rates``. ``short_last`` relieves lots with
        a short-term gain after all others (a sale cut short then keeps them: the tax-aware mode).
        """
        lots = self.lots.get(asset, [])
        if relief == "fifo":
            ranked = sorted(lots, key=lambda lot: lot.acquired)
        elif relief == "hifo":
            ranked = sorted(lots, key=lambda lot: -lot.cost)
        elif relief == "min_tax":
            if day is None or rates is None:
                raise ValueError("min_tax lot relief needs the sale day and the tax rates")
            d = pd.Timestamp(day)
            ranked = sorted(lots, key=lambda lot: ((rates.long_term if lot.is_long(d) else rates.short_term)
                                                   * (price - lot.cost), -lot.cost))
        else:
            raise ValueError(f"unknown lot relief {relief!r}; valid: {', '.join(LOT_METHODS)}")
        if harvest_first:
            losses = sorted((lot for lot in ranked if lot.cost > price), key=lambda lot: price - lot.cost)
            ranked = losses + [lot for lot in ranked if lot.cost <= price]
        if short_last:
            d = pd.Timestamp(day)
            st = [lot for lot in ranked if price > lot.cost and not lot.is_long(d)]
            ranked = [lot for lot in ranked if not (price > lot.cost and not lot.is_long(d))] + st
        return ranked

    def sell(self, asset: str, shares: float, price: float, day, *, relief: str = "fifo",
             harvest_first: bool = False, defer_short: bool = False, rates: Rates | None = None,
             short_last: bool = False) -> Realized:
        """Relieve up to ``shares``; returns what was realised (``shares`` = shares actually sold)."""
        day = pd.Timestamp(day)
        out = Realized()
        left = float(shares)
        for lot in self.order(asset, price, relief, harvest_first, day=day, rates=rates, short_last=short_last):
            if left <= 1e-15:
                break
            long = lot.is_long(day)
            if defer_short and not long and price > lot.cost:
                continue
            q = min(lot.shares, left)
            gain = q * (price - lot.cost)
            out.relieved.append(Relief(asset, q, lot.cost, price, lot.acquired, lot.bought, day, long, lot.source,
                                       gain))
            if long:
                out.long_term += gain
            else:
                out.short_term += gain
            out.shares += q
            lot.shares -= q
            lot.free = min(lot.free, lot.shares)
            left -= q
        self.lots[asset] = [lot for lot in self.lots.get(asset, []) if lot.shares > 1e-15]
        if self.groups is not None:
            self._wash_on_sale(asset, day, out)
        return out

    def _wash_on_sale(self, asset: str, day: pd.Timestamp, out: Realized) -> None:
        """Match the losses of a sale with replacement shares bought in the 30 days before; keep the rest pending."""
        g = self.group(asset)
        since = day - pd.Timedelta(days=WASH_WINDOW_DAYS)
        for k, r in enumerate(out.relieved):
            if r.gain >= 0:
                continue
            per_share, left, disallowed = -r.gain / r.shares, r.shares, 0.0
            cands = sorted(((a, lot) for a, lots in self.lots.items() if self.group(a) == g for lot in lots
                            if lot.free > _EPS and since <= lot.bought <= day), key=lambda x: x[1].bought)
            for a, lot in cands:
                if left <= _EPS:
                    break
                q = min(left, lot.free)
                part = lot.split(q) if q < lot.shares - _EPS else lot
                if part is not lot:
                    self.lots[a].append(part)
                part.cost += per_share
                part.acquired = part.acquired - (day - r.acquired)
                part.long_from = long_term_from(part.acquired)
                part.free = 0.0
                part.source = _washed(part.source, asset, day)
                out.washes.append(Wash(asset, day, a, part.bought, q, q * per_share, r.long_term))
                disallowed += q * per_share
                left -= q
            if disallowed > 0:
                out.relieved[k] = Relief(**{**vars(r), "disallowed": disallowed})
                out.disallowed += disallowed
                if r.long_term:
                    out.long_term += disallowed
                else:
                    out.short_term += disallowed
            if left > _EPS:
                self._losses.append(_LossSale(asset, g, day, left, per_share, r.acquired, r.long_term))

    def pending_losses(self, day) -> pd.DataFrame:
        """Tabulate the loss sales of the 30 days up to ``day`` whose shares a purchase of their group would wash."""
        d = pd.Timestamp(day)
        rows = [{"ticker": r.ticker, "group": r.group, "sale_day": r.day.date(), "shares": r.shares,
                 "loss": r.shares * r.loss_per_share, "until": (r.day + pd.Timedelta(days=WASH_WINDOW_DAYS)).date()}
                for r in self._losses if 0 <= (d - r.day).days <= WASH_WINDOW_DAYS and r.shares > _EPS]
        cols = ["ticker", "group", "sale_day", "shares", "loss_per_share", "until"]
        if not rows:
            return pd.DataFrame(columns=cols)
        keys = ["ticker", "group", "sale_day", "until"]
        out = pd.DataFrame(rows).groupby(keys, as_index=False)[["shares", "loss"]].sum()
        out["loss_per_share"] = out["loss"] / out["shares"]  # one row per sale, its lots together
        return out.sort_values(["sale_day", "ticker"])[cols].reset_index(drop=True)

    def frame(self, prices: Mapping[str, float] | None = None, day=None) -> pd.DataFrame:
        """Tabulate the open lots (one row each); with ``prices`` and ``day``, their unrealised gain and class."""
        rows = []
        for a, lots in self.lots.items():
            for lot in lots:
                row = {"ticker": a, "shares": lot.shares, "basis": lot.cost, "acquired": lot.acquired.date(),
                       "bought": lot.bought.date(), "source": lot.source}
                if prices is not None and day is not None and a in prices:
                    row["unrealised"] = lot.shares * (float(prices[a]) - lot.cost)
                    row["term"] = "long" if lot.is_long(pd.Timestamp(day)) else "short"
                rows.append(row)
        return pd.DataFrame(rows)


def _washed(source: str, sold: str, day: pd.Timestamp) -> str:
    note = f"basis + loss disallowed on the {sold} sale of {day.date()} (wash sale)"
    return f"{source}; {note}" if source else note
