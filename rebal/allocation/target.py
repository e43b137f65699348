"""A profile's target weights, fitted with its allocation method on data up to the as-of date.

Everything here reads the lakehouse through a view limited to the as-of date, so a rerun "as of"
an earlier date sees only data on or before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from rebal.allocation.registry import make_allocator
from rebal.analytics.returns import simple_returns
from rebal.cache import memoize
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["TargetWeights", "compute_target", "refit", "WEIGHT_FLOOR", "apply_floor", "base_target"]

#: A target weight below this (a fraction of value, 0.01 %) is zero everywhere: solver residue such as
#: 4.8e-9 is not a position (names added or dropped, trades and tables all see the same zero). What the
#: zeroed weights held is cash: the others are not scaled up (that would push a weight at its cap over it).
WEIGHT_FLOOR = 1e-4
#: a residue of zeroed weights at most this large is dropped rather than shown as cash (below the weight-sum tolerance)
CASH_RESIDUE = 1e-6


def apply_floor(weights: pd.Series, floor: float = WEIGHT_FLOOR) -> pd.Series:
    """Set weights below ``floor`` in absolute value to zero (the others unchanged; see :data:`WEIGHT_FLOOR`)."""
    small = weights.abs() < floor
    if not small.any() or small.all():
        return weights
    return weights.where(~small, 0.0)


@dataclass(frozen=True)
class TargetWeights:
    """Target weights (invested tickers plus ``CASH`` when the profile keeps cash).

    Attributes
    ----------
    weights
        Fractions of portfolio value by ticker (and ``CASH``), summing to 1.
    method
        The profile's ``target.method``.
    fitted_on
        Last date of the data the weights were fitted on (the Risk4 rebalance day for ``risk4``).
    window_start
        First date of the fitted returns window (None when nothing was fitted).
    n_observations
        Number of daily returns fitted on (0 for ``fixed`` and ``risk4``).
    """

    weights: pd.Series
    method: str
    fitted_on: date
    window_start: date | None
    n_observations: int
    #: the fitted allocator (``mu_``/``covariance_``, a Black-Litterman ``result_``...), None for fixed/risk4
    model: object = None
    #: for a profile with an ``llm`` section: the :class:`rebal.llm.assist.ViewsOutcome` (views, base target,
    #: guardrails) behind ``weights``; None otherwise
    assist: object = None


@memoize(64)
def compute_target(profile: Profile, lh: Lakehouse, as_of: date) -> TargetWeights:
    """Target weights of ``profile`` on ``as_of``: :func:`base_target`, tilted by the ``llm`` views if any.

    A profile with an ``llm`` section gets the LLM-assisted target of :func:`rebal.llm.assist.assisted_target`
    (replayed from the recorded call, or the offline rule; never a remote call from here), with the outcome in
    ``assist``; when no view applies the weights are the base target's. Memoized like :func:`base_target`.
    """
    base = base_target(profile, lh, as_of)
    if profile.llm is None:
        return base
    from dataclasses import replace

    from rebal.llm.assist import assisted_target

    outcome = assisted_target(profile, lh, as_of, base.weights)
    return replace(base, weights=outcome.weights.rename("target"), assist=outcome)


@memoize(64)
def base_target(profile: Profile, lh: Lakehouse, as_of: date) -> TargetWeights:
    """Target weights of ``profile`` fitted with its method on data up to ``as_of`` (no LLM views).

    Fitted methods use the ``lookback_days`` daily simple returns ending at ``as_of``. The
    invested weights are scaled to ``1 - cash`` and ``CASH`` is added when cash > 0. A ``risk4``
    target is the Risk4 portfolio of the latest rebalance day on or before ``as_of`` (its cash
    is what vol targeting leaves; ``fitted_on`` is that rebalance day).

    Parameters
    ----------
    profile
        The profile whose ``target`` section says how the weights are made.
    lh
        The lakehouse; only data dated on or before ``as_of`` is read.
    as_of
        The as-of date.

    Returns
    -------
    The :class:`TargetWeights` (fractions of portfolio value summing to 1, cash included).

    Memoized in the process (:mod:`rebal.cache`): the same profile, data and date give a copy of
    the weights fitted the first time.
    """
    spec = profile.target
    view = lh.at(as_of)
    tickers = list(profile.tickers)
    start = None
    n = 0
    if spec.method == "risk4":
        from rebal.selection.risk4 import risk4_target

        res = risk4_target(profile, view, as_of)
        tw = res.target_weights()
        return TargetWeights(_with_cash(apply_floor(tw.drop(CASH, errors="ignore")), 1.0).rename(tw.name), "risk4",
                             res.date, None, 0)
    model = None
    if spec.method == "fixed":
        w = make_allocator(spec).fit(None).weights_
    else:
        px = view.prices(tickers)
        px = px.iloc[-(spec.lookback_days + 1):]
        rets = simple_returns(px, fill="none").iloc[1:]
        if len(rets) < spec.lookback_days:
            raise DataError(
                f"{profile.source}: `target.lookback_days`: needs {spec.lookback_days} daily returns "
                f"up to {as_of}, only {len(rets)} available"
            )
        missing = rets.columns[rets.isna().any()].tolist()
        if missing:
            raise DataError(
                f"{profile.source}: `universe`: {missing[0]!r} has missing prices in the "
                f"{spec.lookback_days}-day lookback ending {as_of}"
            )
        model = make_allocator(spec, **_allocator_inputs(profile, view)).fit(rets)
        w = model.weights_
        start, n = rets.index[0].date(), len(rets)
    w = _with_cash(apply_floor(w) * (1.0 - spec.cash), 1.0)
    return TargetWeights(w.rename("target"), spec.method, as_of, start, n, model)


def _with_cash(invested: pd.Series, total: float) -> pd.Series:
    """Invested weights and CASH = ``total`` - their sum (no CASH entry for a residue under :data:`CASH_RESIDUE`)."""
    cash = total - float(invested.sum())
    return pd.concat([invested, pd.Series({CASH: cash})]) if cash > CASH_RESIDUE else invested


def refit(profile: Profile, lh: Lakehouse, returns: pd.DataFrame) -> pd.Series:
    """Fit ``profile``'s allocation method on ``returns`` (daily, dates x tickers) as :func:`compute_target` would.

    The invested weights (before ``target.cash``) with :data:`WEIGHT_FLOOR` applied;
    used to measure the target's sampling uncertainty on resampled returns. ``lh`` is the view the
    sectors and views are read from. Only for methods fitted on returns.
    """
    return apply_floor(make_allocator(profile.target, **_allocator_inputs(profile, lh)).fit(returns).weights_)


def _allocator_inputs(profile: Profile, lh: Lakehouse) -> dict:
    """Sectors (for sector caps) and the views provider (black_litterman) of a profile."""
    from rebal.allocation.spec import views_path
    from rebal.errors import ConfigError

    spec, out = profile.target, {}
    if spec.max_sector_weight < 1.0 or spec.sector_max:
        sectors = lh.tickers()["sector"].reindex(list(profile.tickers))
        missing = sectors.index[sectors.isna()].tolist()
        if missing:
            raise DataError(f"{profile.source}: `target.sector_max`: no GICS sector for {missing[0]!r} "
                            "in the tickers table")
        unknown = sorted(set(spec.sector_max) - set(sectors))
        if unknown:
            raise ConfigError(f"{profile.source}: `target.sector_max.{unknown[0]}`: no asset of the universe is in "
                              f"that sector; sectors here: {', '.join(sorted(set(sectors)))}")
        out["sectors"] = sectors.to_dict()
    if spec.method == "black_litterman":
        from rebal.allocation.black_litterman import FileViews

        out["views"] = FileViews(views_path(profile))
    return out
