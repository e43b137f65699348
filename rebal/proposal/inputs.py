"""The first stage of a proposal: what it reads, and the one cost model its trades are priced with.

:func:`read_inputs` reads, for one profile as of a date and only data dated on or before it: the
latest holdings snapshot (shares and cash) valued at each asset's latest close, the target fitted
as of the date, the returns the later stages need (correlations, the simulation window, the 252
sessions of the trade-off's covariance) and the cost model's inputs (20-day dollar ADV and 60-day
daily volatility, :func:`rebal.analytics.costs.liquidity_inputs`, the planner's too).

Every trade of the proposal (the full adoption, the part-way trade, the remedial trades) is priced by
:func:`rebal.analytics.costs.estimate_costs` with these inputs (:meth:`ProposalInputs.cost_fn`), and
the trade-off problem uses the same model in weight terms (:meth:`ProposalInputs.trade_costs`): for
the same trades the two give the same dollars.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from rebal.allocation.target import TargetWeights, compute_target
from rebal.analytics.costs import CostModel, cost_coefficients, estimate_costs, liquidity_inputs
from rebal.analytics.drift import weights_from_holdings
from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import covariance
from rebal.data.freshness import check_freshness
from rebal.data.holdings import check_book
from rebal.data.lakehouse import CASH
from rebal.errors import DataError
from rebal.proposal.tax import TaxInputs, tax_inputs, tax_sell_cost
from rebal.proposal.tradeoff import TradeCosts

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse

__all__ = ["ProposalInputs", "read_inputs", "cost_model", "COVARIANCE_DAYS", "ExtraCost", "EXTRA_COSTS"]

#: sessions of the sample covariance of the trade-off (the planner's tracking error uses the same 252)
COVARIANCE_DAYS = 252

#: An extra per-unit cost of trading an asset: ``(inputs) -> (sell, buy)``, each a Series of fractions of
#: the value traded (>= 0) or None. Registered in :data:`EXTRA_COSTS`, it enters the part-way and remedial
#: problems of :mod:`rebal.proposal.options` with the spread, commission and impact.
ExtraCost = Callable[["ProposalInputs"], "tuple[pd.Series | None, pd.Series | None]"]
#: The extra costs every proposal's trade-off includes besides trading costs: the tax of realised gains
#: (a sell cost per asset: the position's tax per dollar sold, :func:`rebal.proposal.tax.tax_sell_cost`).
EXTRA_COSTS: list[ExtraCost] = [tax_sell_cost]


def cost_model(profile: Profile) -> CostModel:
    """Return the cost model of a profile (commission and impact coefficient from its ``planner`` section)."""
    pl = profile.planner
    return CostModel(commission_bps=pl.commission_bps, impact_coefficient=pl.impact_coefficient)


@dataclass(frozen=True)
class ProposalInputs:
    """What a proposal rests on (see the module docstring); weights are fractions of value, money in dollars."""

    profile: Profile
    as_of: date
    holdings_date: date
    shares: pd.Series
    cash: float
    target: TargetWeights
    assets: list[str]
    prices: pd.Series        # each asset's latest close (within the staleness limit)
    current: pd.Series       # current weights, CASH included
    value: float
    returns: pd.DataFrame    # daily returns of the universe and the held names (simulation, correlations)
    cov_annual: pd.DataFrame  # sample covariance of the last COVARIANCE_DAYS returns, annualised
    adv: pd.Series | None
    sigma: pd.Series | None
    model: CostModel
    synthetic_volume: bool
    prices_latest: date
    #: the lots and this year's results behind the tax of any trade (None: a tax-exempt account)
    tax: TaxInputs | None = None

    @property
    def have_liquidity(self) -> bool:
        """Whether every asset has a dollar ADV and a volatility (else size-bucket cost estimates)."""
        return self.adv is not None

    def cost_fn(self) -> Callable[[pd.Series], pd.Series]:
        """Signed dollar trades by ticker -> their estimated cost in dollars (the trade lists' cost model)."""
        adv, sig, model = self.adv, self.sigma, self.model

        def fn(trades: pd.Series) -> pd.Series:
            t = trades[trades != 0]
            if t.empty:
                return trades * 0.0
            frame, _ = estimate_costs(t, dollar_adv=adv, sigma_daily=sig, model=model)
            return frame["cost_usd"].reindex(trades.index).fillna(0.0)
        return fn

    def trade_costs(self, assets: list[str]) -> TradeCosts:
        """Return the cost model in weight terms over ``assets``, with every registered :data:`EXTRA_COSTS` term."""
        a, b = cost_coefficients(assets, self.value, dollar_adv=self.adv, sigma_daily=self.sigma, model=self.model)
        costs = TradeCosts(a, b)
        for extra in EXTRA_COSTS:
            sell, buy = extra(self)
            costs = costs.with_extra(sell=sell, buy=buy)
        return costs


def _covariance(returns: pd.DataFrame) -> pd.DataFrame:
    cov = covariance(returns, window=COVARIANCE_DAYS)
    if cov.isna().any().any():  # a pair without overlap: no correlation, as the planner assumes
        diag = pd.DataFrame(np.diag(np.diag(cov.fillna(0.0))), index=cov.index, columns=cov.columns)
        cov = cov.fillna(diag)
    return cov * PERIODS_PER_YEAR


def read_inputs(profile: Profile, lh: Lakehouse, as_of: date) -> ProposalInputs:
    """Read everything a proposal of ``profile`` needs as of ``as_of`` (see the module docstring). Read-only.

    Raises :class:`~rebal.errors.DataError` without holdings, or with a stale price.
    """
    view = lh.at(as_of)
    spec = profile.proposal
    if not view.holdings_dates(profile.name):
        raise DataError(f"{profile.source}: no holdings for {profile.name!r} on or before {as_of}: a proposal "
                        "trades real shares; import them with `rebal data import holdings FILE`")
    snap, shares, cash = view.holdings(profile.name)
    check_book(view, profile.name, snap, shares, cash, None, long_only=profile.long_only)
    shares = shares[shares != 0]
    tw = compute_target(profile, lh, as_of)
    assets = list(dict.fromkeys([*shares.index, *tw.weights.drop(CASH, errors="ignore").index]))
    check_freshness(lh, assets, as_of, max_stale_sessions=profile.data.max_stale_sessions, source=profile.source)
    # the simulation window plus, before its first refit, enough history for correlations and costs; and the
    # covariance window. Returns of the whole universe too: a walk-forward refit may pick a name neither held
    # nor targeted today
    need = max(spec.simulation_days + max(spec.correlation_days, spec.performance_days, 60), COVARIANCE_DAYS) + 1
    px_all = view.prices(list(dict.fromkeys([*assets, *profile.tickers])))
    px = px_all.iloc[-(need + 1):]
    value_px = px[assets].ffill().iloc[-1]
    returns = simple_returns(px, fill="none").iloc[1:]
    current = weights_from_holdings(shares, value_px, cash)
    value = cash + float((shares * value_px.reindex(shares.index)).sum())
    vol = view.prices(assets, field="volume")
    adv, sig = liquidity_inputs(px_all[assets], vol, returns[assets])
    return ProposalInputs(profile, as_of, snap, shares, cash, tw, assets, value_px, current, value, returns,
                          _covariance(returns[assets]), adv, sig, cost_model(profile),
                          view.has_synthetic_ohlv(assets), px.index[-1].date(), tax_inputs(profile, view, as_of))
