"""Broker interface and the paper broker that executes proposals against the lakehouse.

A :class:`Broker` gives account balances, prices, the portfolio value, historical data and
batch execution. :class:`PaperBroker` is the offline implementation: it fills every order at
the as-of close plus modelled slippage and persists orders, fills and the new positions in the
lakehouse, all in **one transaction**: if any order of the batch is rejected (no price, selling
more than held, slippage above the tolerance, not enough cash), nothing is written and the
positions are as before.

Fill model (per order, bps of the reference close): slippage = spread + square-root impact
Y · σ_60d · sqrt(|value| / the day's dollar volume), so a paper fill differs from the
pre-trade estimate (which uses the 20-day average dollar volume) as a real fill would; the
commission is ``commission_bps`` of the value. Buys pay close x (1 + slippage), sells receive
close x (1 - slippage). On the sample data the day's volume comes from the synthetic OHLV layer.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Callable, Protocol, Sequence

import duckdb
import numpy as np
import pandas as pd

from rebal.analytics.costs import DEFAULT_SPREAD_BPS, size_bucket
from rebal.analytics.measures import square_root_impact
from rebal.analytics.returns import simple_returns
from rebal.data.holdings import write_snapshot
from rebal.data.lakehouse import Lakehouse
from rebal.data.trading import insert_fill, insert_order
from rebal.errors import ExecutionError, LakehouseError
from rebal.provenance import utc_stamp

__all__ = ["Order", "Fill", "Account", "Broker", "PaperBroker"]


@dataclass(frozen=True)
class Order:
    """An order to send to a broker: whole ``shares`` of ``ticker`` to BUY or SELL.

    ``est_price`` is the estimated price per share and ``est_cost`` the estimated trading cost in
    dollars (both from the proposal).
    """

    ticker: str
    side: str  # BUY or SELL
    shares: float
    est_price: float = float("nan")
    est_cost: float = 0.0


@dataclass(frozen=True)
class Fill:
    """An executed order: ``price`` per share paid or received, ``ref_price`` the reference close.

    ``slippage_bps`` is the slippage against the reference close in bps; ``commission`` is in dollars.
    """

    order_id: str
    ticker: str
    side: str
    shares: float
    price: float
    ref_price: float
    slippage_bps: float
    commission: float

    @property
    def value(self) -> float:
        """Traded value, ``shares`` x ``price``, in dollars."""
        return self.shares * self.price

    @property
    def cost(self) -> float:
        """Slippage against the reference close plus commission, in dollars."""
        return self.shares * abs(self.price - self.ref_price) + self.commission


@dataclass(frozen=True)
class Account:
    """A broker account on ``as_of``: shares by ticker, cash in dollars, and the snapshot they come from."""

    as_of: date
    positions: pd.Series  # shares by ticker
    cash: float
    snapshot_date: date | None


class Broker(Protocol):
    """What execution needs from a broker."""

    def account(self) -> Account:
        """Return the current positions and cash."""
        ...

    def prices(self, tickers: Sequence[str]) -> pd.Series:
        """Return the execution price per share of each ticker (NaN when there is none)."""
        ...

    def portfolio_value(self) -> float:
        """Return the value of positions and cash, in dollars."""
        ...

    def history(self, tickers: Sequence[str], start: date | None = None) -> pd.DataFrame:
        """Return daily closes of ``tickers`` (dates x tickers) from ``start`` on."""
        ...

    def execute(self, orders: Sequence[Order], *, batch_id: str,
                finalize: Callable[[duckdb.DuckDBPyConnection, list[Fill], Account], None] | None = None,
                ) -> list[Fill]:
        """Execute ``orders`` as one batch, all or none; ``finalize`` runs in the same transaction."""
        ...


class PaperBroker:
    """Paper trading against the lakehouse (see the module docstring).

    Parameters
    ----------
    lakehouse
        Opened for writing.
    profile
        Whose positions (holdings snapshots) are traded.
    as_of
        The trading day: fills at its closes; the new positions are a snapshot dated ``as_of``.
    commission_bps, impact_coefficient
        Cost model parameters (the profile's planner costs).
    slippage_tolerance_bps
        An order whose modelled slippage exceeds this is rejected (and with it the batch).
    """

    def __init__(self, lakehouse: Lakehouse, profile: str, as_of: date, *, commission_bps: float = 1.0,
                 impact_coefficient: float = 0.6, slippage_tolerance_bps: float = 50.0):
        self.lh = lakehouse
        self.view = lakehouse.at(as_of)
        self.profile = profile
        self.as_of = as_of
        self.commission_bps = commission_bps
        self.impact_coefficient = impact_coefficient
        self.slippage_tolerance_bps = slippage_tolerance_bps

    # -- reads ----------------------------------------------------------------------------------
    def account(self) -> Account:
        """Return the profile's latest holdings snapshot on or before the trading day (empty without one)."""
        if not self.view.holdings_dates(self.profile):
            return Account(self.as_of, pd.Series(dtype=float), 0.0, None)
        snap, shares, cash = self.view.holdings(self.profile)
        return Account(self.as_of, shares[shares != 0], cash, snap)

    def prices(self, tickers: Sequence[str]) -> pd.Series:
        """Return the closes of the trading day (NaN when a ticker has no close that day)."""
        px = self.view.prices(list(tickers), start=self.as_of)
        if len(px) == 0 or px.index[-1].date() != self.as_of:
            return pd.Series(np.nan, index=list(tickers))
        return px.iloc[-1]

    def portfolio_value(self) -> float:
        """Return cash plus positions at the trading day's closes, in dollars."""
        acc = self.account()
        px = self.prices(list(acc.positions.index))
        return acc.cash + float((acc.positions * px).sum())

    def history(self, tickers: Sequence[str], start: date | None = None) -> pd.DataFrame:
        """Return daily closes of ``tickers`` up to the trading day (dates x tickers) from ``start`` on."""
        return self.view.prices(list(tickers), start=start)

    # -- execution ------------------------------------------------------------------------------
    def _market(self, tickers: list[str]) -> pd.DataFrame:
        close = self.view.prices(tickers, last=61)
        vol = self.view.prices(tickers, field="volume", last=61)
        sig = simple_returns(close, fill="none").iloc[1:].std(ddof=1)
        day_dollar = (close * vol).iloc[-1] if len(close) and close.index[-1].date() == self.as_of else np.nan
        adv20 = (close * vol).iloc[-20:].mean()
        return pd.DataFrame({"sigma": sig, "day_dollar_volume": day_dollar, "adv20": adv20})

    def _fill(self, order_id: str, o: Order, ref: float, mkt: pd.Series) -> Fill:
        """Fill one order or raise :class:`ExecutionError`."""
        if o.side not in ("BUY", "SELL") or not o.shares > 0 or o.shares != int(o.shares):
            raise ExecutionError(f"{o.ticker}: invalid order ({o.side} {o.shares} shares)")
        if not np.isfinite(ref) or ref <= 0:
            raise ExecutionError(f"{o.ticker}: no close on {self.as_of}: cannot fill")
        value = o.shares * ref
        spread = DEFAULT_SPREAD_BPS[size_bucket(pd.Series([mkt["adv20"]])).iloc[0]] if np.isfinite(mkt["adv20"]) \
            else DEFAULT_SPREAD_BPS["small"]
        dv, sig = mkt["day_dollar_volume"], mkt["sigma"]
        impact = square_root_impact(value, dv, sig, coefficient=self.impact_coefficient) * 1e4 \
            if np.isfinite(dv) and dv > 0 and np.isfinite(sig) else 0.0
        slip = float(spread + impact)
        if slip > self.slippage_tolerance_bps:
            raise ExecutionError(f"{o.ticker}: modelled slippage {slip:.1f} bps exceeds the tolerance "
                                 f"{self.slippage_tolerance_bps:g} bps")
        sign = 1.0 if o.side == "BUY" else -1.0
        price = ref * (1.0 + sign * slip / 1e4)
        return Fill(order_id, o.ticker, o.side, float(o.shares), price, ref, slip, value * self.commission_bps / 1e4)

    def execute(self, orders: Sequence[Order], *, batch_id: str,
                finalize: Callable[[duckdb.DuckDBPyConnection, list[Fill], Account], None] | None = None) -> list[Fill]:
        """Fill every order and write orders, fills and the new positions in one transaction.

        ``finalize(con, fills, account_after)`` runs inside the same transaction (e.g. to record
        the execution summary), so it commits or rolls back with the fills. Raises
        :class:`ExecutionError` (nothing written) when any order is rejected.
        """
        acc = self.account()
        tickers = sorted({o.ticker for o in orders})
        refs = self.prices(tickers) if tickers else pd.Series(dtype=float)
        mkt = self._market(tickers) if tickers else pd.DataFrame()
        created = utc_stamp()
        positions = acc.positions.astype(float).copy()
        cash = acc.cash
        fills: list[Fill] = []
        try:
            with self.lh.transaction() as con:
                for k, o in enumerate(orders):
                    oid = f"{batch_id}-{k + 1:03d}-{uuid.uuid4().hex[:6]}"
                    insert_order(con, order_id=oid, proposal_id=batch_id, profile=self.profile, day=self.as_of,
                                 ticker=o.ticker, side=o.side, shares=float(o.shares), est_price=float(o.est_price),
                                 est_cost=float(o.est_cost), created_at=created)
                    f = self._fill(oid, o, float(refs.get(o.ticker, np.nan)), mkt.loc[o.ticker])
                    held = float(positions.get(o.ticker, 0.0))
                    if f.side == "SELL" and f.shares > held + 1e-9:
                        raise ExecutionError(f"{o.ticker}: sell of {f.shares:g} shares exceeds the {held:g} held")
                    positions[o.ticker] = held + (f.shares if f.side == "BUY" else -f.shares)
                    cash += (-f.value if f.side == "BUY" else f.value) - f.commission
                    insert_fill(con, order_id=oid, proposal_id=batch_id, profile=self.profile, day=self.as_of,
                                ticker=f.ticker, side=f.side, shares=f.shares, price=f.price, ref_price=f.ref_price,
                                slippage_bps=f.slippage_bps, commission=f.commission, value=f.value)
                    fills.append(f)
                if cash < -1e-6:
                    raise ExecutionError(f"insufficient cash: the batch would leave {cash:,.2f}")
                positions = positions[positions.abs() > 1e-9]
                write_snapshot(con, self.profile, self.as_of, positions, max(cash, 0.0), f"paper ({batch_id})")
                if finalize is not None:
                    finalize(con, fills, Account(self.as_of, positions, max(cash, 0.0), self.as_of))
        except (duckdb.Error, LakehouseError) as exc:
            raise ExecutionError(f"lakehouse write failed, batch rolled back: {exc}") from None
        return fills
