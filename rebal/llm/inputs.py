"""What a view rests on, point in time: news, sentiment, trends, correlations, the base target, the holdings.

:func:`build_inputs` reads the lakehouse through the view limited to the as-of date T, so nothing
dated after T reaches a provider: news dated in [T - ``llm.news.window_days``, T], prices up to T
(``llm.lookback_days`` daily returns for the covariance and the correlations, ``llm.trend_days``
sessions for the trend), the latest holdings snapshot on or before T.

The prior of the views is the base target itself: its equilibrium returns are π = δ Σ w_base
(reverse optimisation, :func:`rebal.allocation.black_litterman.equilibrium_returns`) with Σ the
annualised Ledoit-Wolf covariance of the daily returns, so a model that adds no view leaves the base
target as it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.allocation.black_litterman import equilibrium_returns
from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import ledoit_wolf
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.data.news import news_items
from rebal.errors import DataError
from rebal.llm.sentiment import decayed_sentiment, headline_scores

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.llm.spec import LLMSpec

__all__ = ["ViewInputs", "build_inputs", "assets_of"]


@dataclass(frozen=True)
class ViewInputs:
    """The point-in-time inputs of one profile's views on one date (see the module docstring).

    Attributes
    ----------
    profile, as_of
        Whose views, as of when.
    spec
        The profile's ``llm`` section.
    base
        Base target weights of the invested assets (fractions of portfolio value; ``cash`` is the rest).
    cash
        The base target's cash (fraction).
    held
        Current weights from the latest holdings snapshot (fractions of value, ``CASH`` included); empty without one.
    cov
        Annualised covariance Σ of the assets (Ledoit-Wolf of ``llm.lookback_days`` daily returns).
    pi
        Equilibrium returns of the base target π = δ Σ w_base (annual excess returns, fractions).
    trend
        Total return over the last ``llm.trend_days`` sessions (fraction).
    sentiment
        :func:`rebal.llm.sentiment.decayed_sentiment` of each asset.
    news
        The news in the window (``date``, ``ticker``, ``headline``, ``body``, ``source``, ``score``), newest first.
    names, sectors
        Company name and sector by ticker ("" where unknown).
    news_through, prices_through
        Dates of the newest news item (None without news) and of the last price used.
    """

    profile: str
    as_of: date
    spec: LLMSpec
    base: pd.Series
    cash: float
    held: pd.Series
    cov: pd.DataFrame
    pi: pd.Series
    trend: pd.Series
    sentiment: pd.DataFrame
    news: pd.DataFrame
    names: pd.Series
    sectors: pd.Series
    news_through: date | None
    prices_through: date

    @property
    def assets(self) -> list[str]:
        """The invested assets, in the profile's order."""
        return list(self.base.index)

    @property
    def vol(self) -> pd.Series:
        """Annualised volatility of each asset (fraction)."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.cov.index, name="vol")

    @property
    def corr(self) -> pd.DataFrame:
        """Correlation matrix of the assets (from :attr:`cov`)."""
        v = self.vol.to_numpy()
        return pd.DataFrame(self.cov.to_numpy() / np.outer(v, v), index=self.cov.index, columns=self.cov.index)


def assets_of(profile: Profile, base: pd.Series) -> list[str]:
    """Return the assets views may name: the universe (without one, e.g. ``risk4``: the base target's names)."""
    if profile.universe:
        return list(profile.universe)
    return [t for t in base.index if t != CASH and base[t] > 0]


def _held(profile: Profile, lh: Lakehouse, as_of: date) -> pd.Series:
    from rebal.analytics.drift import weights_from_holdings

    if not lh.holdings_dates(profile.name):
        return pd.Series(dtype=float)
    _, shares, cash = lh.holdings(profile.name, as_of)
    shares = shares[shares != 0]
    if shares.empty and cash <= 0:
        return pd.Series(dtype=float)
    px = lh.prices(list(shares.index)).ffill().iloc[-1] if len(shares) else pd.Series(dtype=float)
    try:
        return weights_from_holdings(shares, px, cash)
    except ValueError:
        return pd.Series(dtype=float)


def build_inputs(profile: Profile, lh: Lakehouse, as_of: date, base_target: pd.Series) -> ViewInputs:
    """Gather the inputs of ``profile``'s views as of ``as_of`` (nothing dated after it is read).

    Parameters
    ----------
    profile : Profile
        A profile with an ``llm`` section.
    lh : Lakehouse
        The lakehouse (read through its view as of ``as_of``).
    as_of : datetime.date
        The as-of date T.
    base_target : pandas.Series
        The base target weights (fractions of value, ``CASH`` included when the profile keeps cash).

    Raises
    ------
    DataError
        Too few prices for the covariance or an asset without prices in the window.
    """
    spec = profile.llm
    view = lh.at(as_of)
    assets = assets_of(profile, base_target)
    base = base_target.reindex(assets).fillna(0.0).astype(float)
    cash = float(base_target.get(CASH, 0.0))
    need = max(spec.lookback_days, spec.trend_days) + 1
    px = view.prices(assets).iloc[-need:]
    if len(px) < need:
        raise DataError(f"{profile.source}: `llm.lookback_days`: {need - 1} daily returns needed up to {as_of}, "
                        f"only {max(len(px) - 1, 0)} available")
    gaps = px.columns[px.isna().any()].tolist()
    if gaps:
        raise DataError(f"{profile.source}: `llm`: {gaps[0]!r} lacks prices in the {need - 1} sessions up to {as_of}")
    rets = simple_returns(px, fill="none").iloc[1:].iloc[-spec.lookback_days:]
    cov_d, _ = ledoit_wolf(rets.to_numpy(float))
    cov = pd.DataFrame(cov_d * PERIODS_PER_YEAR, index=assets, columns=assets)
    pi = equilibrium_returns(cov, base, spec.delta)
    trend = (px.iloc[-1] / px.iloc[-(spec.trend_days + 1)] - 1.0).rename("trend")
    tk = view.tickers()
    names = tk["name"].reindex(assets).fillna("").astype(str)
    sectors = tk["sector"].reindex(assets).fillna("").astype(str)
    news = news_items(view, assets, start=as_of - timedelta(days=spec.news.window_days), end=as_of)
    news = news.assign(score=headline_scores(list(news["headline"]), [names[t] for t in news["ticker"]],
                                             list(news["ticker"])))
    senti = decayed_sentiment(news, assets, as_of, half_life_days=spec.news.half_life_days)
    through = max(news["date"]) if len(news) else None
    return ViewInputs(profile.name, as_of, spec, base, cash, _held(profile, view, as_of), cov, pi, trend, senti, news,
                      names, sectors, through, px.index[-1].date())
