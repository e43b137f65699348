"""A profile's target weights, its current (implemented) portfolio, and the sample holdings.

Everything here reads the lakehouse through a view limited to the as-of date, so a rerun "as of"
an earlier date sees only data on or before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

import numpy as np
import pandas as pd

from rebal.allocation import make_allocator
from rebal.calendar import sessions_after
from rebal.config import Profile
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError

__all__ = [
    "TargetWeights",
    "Freshness",
    "compute_target",
    "check_freshness",
    "implementation_dates",
    "seed_sample_holdings",
]


@dataclass(frozen=True)
class TargetWeights:
    """Target weights (invested tickers plus ``CASH`` when the profile keeps cash)."""

    weights: pd.Series
    method: str
    fitted_on: date
    window_start: date | None
    n_observations: int
    #: the fitted allocator (``mu_``/``covariance_``, a Black-Litterman ``result_``...), None for fixed/risk4
    model: object = None


@dataclass(frozen=True)
class Freshness:
    """Latest price date per ticker and how many NYSE sessions it lags the as-of date."""

    as_of: date
    table: pd.DataFrame  # index ticker; columns last_price_date, sessions_stale, ok
    max_stale_sessions: int

    @property
    def ok(self) -> bool:
        """Whether every ticker is within the staleness limit."""
        return bool(self.table["ok"].all())


def check_freshness(lh: Lakehouse, tickers: Iterable[str], as_of: date, *, max_stale_sessions: int,
                    source: str = "", raise_on_stale: bool = True) -> Freshness:
    """Check that each ticker has a close within ``max_stale_sessions`` NYSE sessions of ``as_of``.

    Raises :class:`DataError` (naming the profile file and the ticker) on the first stale or
    missing ticker when ``raise_on_stale``.
    """
    tickers = list(dict.fromkeys(tickers))
    last = lh.at(as_of).last_price_dates(tickers)
    rows = []
    for t, d in last.items():
        stale = None if pd.isna(d) else sessions_after(d, as_of)
        rows.append((t, None if pd.isna(d) else d.date(), stale, stale is not None and stale <= max_stale_sessions))
    table = pd.DataFrame(rows, columns=["ticker", "last_price_date", "sessions_stale", "ok"]).set_index("ticker")
    fr = Freshness(as_of, table, max_stale_sessions)
    if raise_on_stale and not fr.ok:
        bad = table[~table["ok"]].iloc[0]
        t = table.index[~table["ok"]][0]
        prefix = f"{source}: " if source else ""
        if bad["last_price_date"] is None:
            raise DataError(f"{prefix}no prices for {t!r} on or before {as_of}")
        raise DataError(
            f"{prefix}stale data: latest close of {t!r} is {bad['last_price_date']}, "
            f"{int(bad['sessions_stale'])} NYSE sessions before {as_of} (limit {max_stale_sessions})"
        )
    return fr


def compute_target(profile: Profile, lh: Lakehouse, as_of: date) -> TargetWeights:
    """Target weights of ``profile`` fitted on data up to ``as_of``.

    Fitted methods use the ``lookback_days`` daily simple returns ending at ``as_of``. The
    invested weights are scaled to ``1 - cash`` and ``CASH`` is added when cash > 0. A ``risk4``
    target is the Risk4 portfolio of the latest rebalance day on or before ``as_of`` (its cash
    is what vol targeting leaves; ``fitted_on`` is that rebalance day).
    """
    spec = profile.target
    view = lh.at(as_of)
    tickers = list(profile.tickers)
    start = None
    n = 0
    if spec.method == "risk4":
        from rebal.selection.risk4 import risk4_target

        res = risk4_target(profile, view, as_of)
        return TargetWeights(res.target_weights(), "risk4", res.date, None, 0)
    model = None
    if spec.method == "fixed":
        w = make_allocator(spec).fit(None).weights_
    else:
        px = view.prices(tickers)
        px = px.iloc[-(spec.lookback_days + 1):]
        rets = px.pct_change().iloc[1:]
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
    w = w * (1.0 - spec.cash)
    if spec.cash > 0:
        w = pd.concat([w, pd.Series({CASH: spec.cash})])
    return TargetWeights(w.rename("target"), spec.method, as_of, start, n, model)


def _allocator_inputs(profile: Profile, lh: Lakehouse) -> dict:
    """Sectors (for sector caps) and the views provider (black_litterman) of a profile."""
    from rebal.config import ConfigError, views_path

    spec, out = profile.target, {}
    if spec.max_sector_weight < 1.0 or spec.sector_max:
        sectors = lh.tickers()["sector"].reindex(list(profile.tickers))
        missing = sectors.index[sectors.isna()].tolist()
        if missing:
            raise DataError(f"{profile.source}: `target.sector_max`: no GICS sector for {missing[0]!r} in the tickers table")
        unknown = sorted(set(spec.sector_max) - set(sectors))
        if unknown:
            raise ConfigError(f"{profile.source}: `target.sector_max.{unknown[0]}`: no asset of the universe is in "
                              f"that sector; sectors here: {', '.join(sorted(set(sectors)))}")
        out["sectors"] = sectors.to_dict()
    if spec.method == "black_litterman":
        from rebal.allocation.black_litterman import FileViews

        out["views"] = FileViews(views_path(profile))
    return out


def implementation_dates(sessions: pd.DatetimeIndex, start: date, every: str) -> list[pd.Timestamp]:
    """Sample implementation dates: the first session on or after ``start``, then the last session
    of every complete ``every`` period after it (a period is complete when a later session exists).
    """
    s = sessions[sessions >= pd.Timestamp(start)]
    if len(s) == 0:
        return []
    key = {
        "month": s.year * 12 + s.month,
        "quarter": s.year * 4 + (s.month - 1) // 3,
        "half_year": s.year * 2 + (s.month > 6),
        "year": s.year,
    }[every]
    ends = pd.Series(s, index=s).groupby(np.asarray(key)).max()
    return [s[0]] + [d for d in ends if s[0] < d < sessions[-1]]


def seed_sample_holdings(lh: Lakehouse, profiles: list[Profile]) -> dict[str, object]:
    """Implement each profile with ``sample_holdings`` on its schedule, drifting with real prices.

    On each implementation date the portfolio (initially ``initial_value`` in cash) is traded to
    the target of that date in whole shares, cost-free and self-financed; the rest is cash.
    Snapshots go to ``holdings`` and ``cash_balances`` with source ``sample``.
    """
    sessions = lh.sessions()
    summary: dict[str, object] = {}
    for prof in profiles:
        sh = prof.sample_holdings
        if sh is None:
            continue
        if sh.every == "rebalance_day":
            rows, cash_rows, dates, blocked = _seed_risk4(lh, prof, sessions)
        else:
            rows, cash_rows, dates, blocked = _seed_periodic(lh, prof, sessions)
        with lh.transaction() as con:
            con.execute("DELETE FROM holdings WHERE profile = ?", [prof.name])
            con.execute("DELETE FROM cash_balances WHERE profile = ?", [prof.name])
            if rows:
                con.executemany("INSERT INTO holdings VALUES (?, ?, ?, ?, ?)", rows)
                con.executemany("INSERT INTO cash_balances VALUES (?, ?, ?, ?)", cash_rows)
        summary[prof.name] = {"implementations": len(dates) - len(blocked),
                              "last_implemented": str(dates[-1]) if dates else None,
                              "blocked": [str(d) for d in blocked]}
    return {"sample_holdings": summary}


def _seed_periodic(lh: Lakehouse, prof: Profile, sessions: pd.DatetimeIndex):
    sh = prof.sample_holdings
    dates = implementation_dates(sessions, sh.start, sh.every)
    shares = pd.Series(dtype=float)
    cash = sh.initial_value
    rows, cash_rows = [], []
    for d in dates:
        day = d.date()
        view = lh.at(day)
        target = compute_target(prof, lh, day).weights
        inv = target.drop(CASH, errors="ignore")
        px = view.prices(list(set(inv.index) | set(shares.index)), start=day).iloc[-1]
        if px.isna().any():
            raise DataError(f"{prof.source}: no price on {day} for {px.index[px.isna()][0]!r}")
        value = cash + float((shares * px.reindex(shares.index)).sum())
        shares = np.floor(value * inv / px.reindex(inv.index)).rename("shares")
        shares = shares[shares > 0]
        cash = value - float((shares * px.reindex(shares.index)).sum())
        rows += [(prof.name, day, t, float(n), "sample") for t, n in shares.items()]
        cash_rows.append((prof.name, day, cash, "sample"))
    return rows, cash_rows, [d.date() for d in dates], []


def _seed_risk4(lh: Lakehouse, prof: Profile, sessions: pd.DatetimeIndex):
    """Run the Risk4 process on every rebalance day from ``start`` (before the last session) and
    implement its trades in whole shares; a blocked day keeps the holdings."""
    from rebal.calendar import rebalance_days
    from rebal.selection.risk4 import Prior, run_risk4

    sh, spec = prof.sample_holdings, prof.risk4
    last = sessions[-1].date()
    dates = [d for d in rebalance_days(sh.start, last, anchor=spec.anchor, every=spec.every) if d < last]
    prior = Prior(pd.Series(dtype=float), sh.initial_value, "sample start (cash)")
    rows, cash_rows, blocked = [], [], []
    for day in dates:
        res = run_risk4(prof, lh.at(day), day, prior=prior)
        if res.blocked:
            blocked.append(day)
            continue
        shares = res.picks.set_index("ticker")["target_shares"]
        shares = shares[shares > 0]
        prior = Prior(shares, res.cash_after, f"sample implementation of {day}", day)
        rows += [(prof.name, day, t, float(k), "sample (risk4)") for t, k in shares.items()]
        cash_rows.append((prof.name, day, res.cash_after, "sample (risk4)"))
    return rows, cash_rows, dates, blocked
