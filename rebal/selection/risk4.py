"""The Risk4 weekly stock-selection process: schedule, checks, selection, weights, trades, artifacts.

One call, :func:`run_risk4`, answers for a profile and a date: is it a rebalance day, is the data
fit to trade on, which stocks at what weights, what trades against the prior holdings. It reads
the lakehouse only; :func:`~rebal.selection.artifacts.record_run` and
:func:`~rebal.selection.artifacts.write_artifacts` persist a result.

Steps (parameters from the profile's ``risk4`` block, :class:`rebal.selection.spec.Risk4Spec`):

1. Features of the latest feature date on or before the run date, by SQL on the lakehouse
   (``features`` joined with ``tickers``; alpha from ``alpha_imported`` when the profile says so).
2. Checks (:mod:`rebal.selection.checks`, limits in :class:`rebal.selection.spec.Risk4Checks`): freshness in NYSE
   sessions, required columns, NULL alpha share, alpha dispersion and top-bottom spread, universe size, sector
   coverage and concentration. A CRITICAL failure blocks the run: alerts, no picks, no trades.
3. Universe: rows with a sector, ``vol_blend > 0``, an alpha and ``adv_20 >= min_adv``. Alpha is
   z-scored across this universe and clipped at ``zclip``; the ``top_n`` by alpha z are picked.
4. Weights: base alpha_z / vol_blend (non-positive dropped), capped per position and per sector
   (``sector_multiple`` x the universe's count share of the sector) by water-filling
   (:func:`rebal.selection.weights.capped_weights`; the spec's cap-then-renormalise breaks the
   caps), then blended with the prior composition and the change shrunk to ``max_turnover``.
5. Vol targeting: portfolio vol from a Ledoit-Wolf covariance of ``cov_lookback`` daily returns,
   exposure scaled to ``target_vol`` and capped at ``max_gross``; the rest stays in cash.
6. Trades in whole shares against the prior holdings: target shares = floor(weight x value /
   price), so buys never overdraw cash and a sell never exceeds the shares held.

Prior holdings: the newest of the profile's holdings snapshot strictly before the run date (what
was implemented) and the last recorded, unblocked run strictly before it (assumed executed as
generated); a holdings snapshot wins a tie. ``prior=`` overrides both (``--prior-holdings``).
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from rebal.analytics.measures import annualise_variance
from rebal.analytics.returns import simple_returns
from rebal.calendar import is_rebalance_day, next_rebalance_dates, nyse_sessions, sessions_after
from rebal.config import Profile
from rebal.data.features import selection_features
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.data.prices import closes_between, latest_closes
from rebal.data.selection_runs import latest_unblocked_run, run_picks
from rebal.errors import DataError, InfeasibleCaps, NoPositiveAlpha
from rebal.selection.artifacts import PICKS_COLUMNS
from rebal.selection.checks import add_check, feature_checks, finish, post_selection_checks
from rebal.selection.result import TRADES_COLUMNS, Alert, Prior, Risk4Result
from rebal.selection.spec import Risk4Spec
from rebal.selection.weights import capped_weights, turnover, turnover_control, vol_target

__all__ = ["Alert", "Prior", "Risk4Result", "run_risk4", "select_portfolio", "find_prior", "read_prior_file",
           "last_rebalance_day", "previous_rebalance_day", "risk4_target", "implemented_on",
           "PICKS_COLUMNS", "TRADES_COLUMNS"]


# ---------------------------------------------------------------------------------------------
# schedule and prior


def last_rebalance_day(day: date, spec: Risk4Spec) -> date:
    """Return the latest rebalance day on or before ``day``."""
    s = nyse_sessions()
    a = int(s.searchsorted(pd.Timestamp(spec.anchor)))
    i = int(s.searchsorted(pd.Timestamp(day), side="right")) - 1
    if i < a:
        raise DataError(f"no Risk4 rebalance day on or before {day} (anchor {spec.anchor})")
    return s[i - (i - a) % spec.every].date()


def find_prior(profile: Profile, lh: Lakehouse, day: date) -> Prior | None:
    """Newest of the holdings snapshot and the recorded unblocked run strictly before ``day``."""
    before = lh.at(day - timedelta(days=1))
    snap = None
    if before.holdings_dates(profile.name):
        d, shares, cash = before.holdings(profile.name)
        snap = Prior(shares[shares != 0], cash, f"holdings snapshot of {d}", d)
    row = latest_unblocked_run(lh, profile.name, day)
    if row is not None and (snap is None or row[0] > snap.as_of):
        df = run_picks(lh, profile.name, row[0])
        shares = pd.Series(df["target_shares"].to_numpy(float), index=pd.Index(df["ticker"], name="ticker"))
        return Prior(shares[shares != 0], float(row[1]), f"recorded run of {row[0]} (assumed executed)", row[0])
    return snap


def read_prior_file(path: Path, known: set[str]) -> Prior:
    """Read prior holdings from a CSV: ``ticker`` and ``shares`` (or ``target_shares``, as in picks.csv).

    An optional ``CASH`` row holds cash in USD.
    """
    from rebal.data.importers import read_table

    df = read_table(path)
    col = "shares" if "shares" in df.columns else "target_shares" if "target_shares" in df.columns else None
    if "ticker" not in df.columns or col is None:
        raise DataError(f"{path}: prior holdings need columns `ticker` and `shares` (or `target_shares`)")
    n = pd.to_numeric(df[col], errors="coerce")
    bad = n.isna() | ~np.isfinite(n) | (n < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: row {i + 2}: `{col}` must be a number >= 0, found {df[col].iloc[i]!r}")
    if df["ticker"].duplicated().any():
        raise DataError(f"{path}: `ticker`: {df['ticker'][df['ticker'].duplicated()].iloc[0]!r} listed twice")
    s = pd.Series(n.to_numpy(float), index=pd.Index(df["ticker"].astype(str), name="ticker"))
    cash = float(s.get(CASH, 0.0))
    s = s.drop(CASH, errors="ignore")
    unknown = sorted(set(s.index) - known)
    if unknown:
        raise DataError(f"{path}: `ticker`: unknown ticker {unknown[0]!r} (not in the lakehouse tickers table)")
    return Prior(s[s > 0], cash, f"file {path}", None)


def previous_rebalance_day(day: date, spec: Risk4Spec) -> date | None:
    """Return the rebalance day before ``day`` (None before the anchor's next)."""
    try:
        return last_rebalance_day(day - timedelta(days=1), spec)
    except DataError:
        return None


# ---------------------------------------------------------------------------------------------
# the run


def _returns(lh: Lakehouse, tickers: list[str], day: date, n: int) -> pd.DataFrame:
    s = nyse_sessions()
    i = int(s.searchsorted(pd.Timestamp(day), side="right")) - 1
    start = s[max(i - n - 5, 0)].date()
    wide = closes_between(lh, tickers, start, day)
    return simple_returns(wide, fill="none").iloc[1:].iloc[-n:]


def run_risk4(profile: Profile, lh: Lakehouse, day: date, *, prior: Prior | None = None,
              checks_only: bool = False) -> Risk4Result:
    """Run the Risk4 process for ``profile`` on ``day`` (see the module docstring); reads only."""
    spec = profile.risk4
    if spec is None:
        raise DataError(f"{profile.source}: `risk4`: profile {profile.name!r} has no risk4 block")
    c = spec.checks
    rows: list[dict] = []
    alerts: list[Alert] = []
    reb = is_rebalance_day(day, anchor=spec.anchor, every=spec.every)
    nxt = next_rebalance_dates(day + timedelta(days=1), 1, anchor=spec.anchor, every=spec.every)[0]
    if not reb:
        alerts.append(Alert("WARNING", "not_rebalance_day",
                            f"{day} is not a rebalance day (every {spec.every} NYSE sessions from {spec.anchor}); "
                            f"next {nxt}"))
    fdate, feats, missing = selection_features(lh, day, imported_alpha=spec.alpha_source == "imported",
                                               universe=profile.universe)
    res = Risk4Result(profile, day, reb, nxt, fdate, pd.DataFrame(), alerts)
    u = feature_checks(res, lh, feats, missing, rows)
    if u is None or res.blocked or checks_only:
        return finish(res, rows)

    # -- selection and weights -------------------------------------------------------------------
    try:
        u, target, sector_caps = select_portfolio(u, spec)
        added = [t for t in target.index if u.loc[t, "rank"] > spec.top_n]
        if added:
            alerts.append(Alert("WARNING", "caps_extended",
                                f"the caps cannot hold with the top {spec.top_n} names alone: added {len(added)} "
                                f"next-ranked name(s) from sectors with room ({', '.join(added[:5])}"
                                + (", ..." if len(added) > 5 else "") + ")"))
    except NoPositiveAlpha as exc:
        alerts.append(Alert("CRITICAL", "no_positive_alpha", str(exc)))
        return finish(res, rows)
    except InfeasibleCaps as exc:
        res.universe = u
        alerts.append(Alert("CRITICAL", "infeasible_caps", str(exc)))
        return finish(res, rows)
    res.universe = u
    uni_share = sector_caps / spec.sector_multiple  # the universe's count share of each sector

    # -- prior, valuation -----------------------------------------------------------------------
    if prior is None:
        prior = find_prior(profile, lh, day)
    if prior is None:
        prior = Prior(pd.Series(dtype=float), spec.initial_value,
                      f"none: starting from ${spec.initial_value:,.0f} cash")
    res.prior = prior
    names = list(dict.fromkeys([*target.index, *prior.shares.index]))
    px = latest_closes(lh, names, day)
    no_px = [t for t in names if pd.isna(px.loc[t, "price"])]
    stale_px = [t for t in names
                if t not in no_px and sessions_after(px.loc[t, "price_date"], day) > c.max_stale_sessions]
    if not add_check(rows, "prices for picks and holdings",
                     "missing " + ", ".join((no_px + stale_px)[:5]) if no_px or stale_px else "all fresh",
                     f"close within {c.max_stale_sessions} session(s)", not (no_px or stale_px), "CRITICAL"):
        t = (no_px + stale_px)[0]
        alerts.append(Alert("CRITICAL", "stale_prices", f"no close of {t!r} within {c.max_stale_sessions} NYSE "
                            f"session(s) before {day}: cannot value or trade it"))
        return finish(res, rows)
    price = px["price"].astype(float)
    res.data_freshness["prices_latest"] = str(pd.Timestamp(px["price_date"].max()).date())
    held_value = prior.shares * price.reindex(prior.shares.index)
    value = float(held_value.sum()) + prior.cash
    if value <= 0:
        alerts.append(Alert("CRITICAL", "no_value", f"prior holdings are worth {value:,.2f}: nothing to invest"))
        return finish(res, rows)
    res.value = value
    w_prior = held_value / value  # risky weights; the rest of the prior is cash
    composition = turnover_control(target, w_prior if len(w_prior) else None,
                                   lam=spec.turnover_lambda, max_turnover=spec.max_turnover)
    res.turnover_composition = (turnover(composition, w_prior / w_prior.sum())
                                if len(w_prior) and w_prior.sum() > 0 else 1.0)

    # -- vol targeting and beta -----------------------------------------------------------------
    names = list(composition.index)
    rets = _returns(lh, names + [profile.benchmark], day, spec.cov_lookback)
    r = rets[names].dropna()
    if len(r) < 60:
        alerts.append(Alert("CRITICAL", "short_history", f"only {len(r)} complete daily returns of the picks "
                            f"before {day} to estimate their covariance (need >= 60)"))
        return finish(res, rows)
    from rebal.analytics.risk import ledoit_wolf

    cov = pd.DataFrame(annualise_variance(ledoit_wolf(r.to_numpy())[0]), index=names, columns=names)
    final, vol0, _cash_w = vol_target(composition, cov, target_vol=spec.target_vol, max_gross=spec.max_gross)
    res.vol_unscaled = vol0
    w = final.to_numpy()
    res.estimated_vol = float(np.sqrt(max(w @ cov.to_numpy() @ w, 0.0)))
    res.exposure = float(final.sum())
    b = rets[profile.benchmark] if profile.benchmark in rets else None
    if b is not None and b.notna().sum() >= 60:
        j = rets[names + [profile.benchmark]].dropna().to_numpy()
        x, bm = j[:, :-1] - j[:, :-1].mean(axis=0), j[:, -1] - j[:, -1].mean()
        betas = (x.T @ bm) / (bm @ bm)  # OLS slope of each name on the benchmark
        res.estimated_beta = float(final.to_numpy() @ betas)

    # -- shares and trades: the proposal's trade-list policy (dust, minimum trade value) ---------
    policy = profile.proposal
    dust = final.index[(final > 0) & (final < policy.limits.min_allocation - 1e-12)]
    if len(dust):
        alerts.append(Alert("INFO", "dust_dropped", f"{len(dust)} pick(s) under the {policy.limits.min_allocation:.0%} "
                            f"minimum allocation left out ({', '.join(dust)}): their weight stays in cash"))
        final = final.drop(dust)
        names = list(final.index)
        w = final.to_numpy()
        c = cov.loc[names, names].to_numpy()
        res.estimated_vol, res.exposure = float(np.sqrt(max(w @ c @ w, 0.0))), float(final.sum())
        if b is not None and b.notna().sum() >= 60:
            res.estimated_beta = float(final.to_numpy() @ pd.Series(betas, index=list(cov.index))[names].to_numpy())
    res.weights = final.rename("weight")
    tgt_shares = np.floor(final * value / price.reindex(final.index) + 1e-9).astype(float)
    allnames = list(dict.fromkeys([*names, *prior.shares.index]))
    cur = prior.shares.reindex(allnames, fill_value=0.0)
    tgt = tgt_shares.reindex(allnames, fill_value=0.0)
    # exits always trade; other trades below the minimum value are skipped (a small sell only while
    # the cash left after the buys stays >= 0)
    small = [t for t in allnames if tgt[t] > 0 and tgt[t] != cur[t]
             and abs(tgt[t] - cur[t]) * float(price[t]) < policy.min_trade_value]
    skipped = []
    for t in sorted(small, key=lambda s: tgt[s] > cur[s], reverse=True):  # buys first: skipping them frees cash
        before = tgt[t]
        tgt[t] = cur[t]
        if value - float((tgt * price.reindex(allnames)).sum()) < 0:
            tgt[t] = before
        else:
            skipped.append(t)
    if skipped:
        alerts.append(Alert("INFO", "small_trades_skipped", f"{len(skipped)} trade(s) under the "
                            f"${policy.min_trade_value:,.0f} minimum trade value skipped ({', '.join(skipped)})"))
    delta = tgt - cur
    trades = []
    for t in allnames:
        d = float(delta[t])
        if d == 0:
            continue
        if d > 0:
            reason = "new_position" if cur[t] == 0 else "increase_weight"
        else:
            d = -min(-d, float(cur[t]))  # a sell never exceeds the shares held
            reason = "exit_position" if tgt[t] == 0 else "decrease_weight"
        trades.append({"ticker": t, "action": "BUY" if d > 0 else "SELL", "shares": abs(d),
                       "estimated_value": round(abs(d) * float(price[t]), 2), "price": float(price[t]),
                       "reason": reason})
    res.trades = pd.DataFrame(trades, columns=TRADES_COLUMNS)
    res.cash_after = value - float((tgt * price.reindex(allnames)).sum())
    res.positions = pd.DataFrame({
        "price": price.reindex(allnames), "prior_shares": cur, "prior_weight": cur * price.reindex(allnames) / value,
        "target_weight": final.reindex(allnames, fill_value=0.0), "target_shares": tgt,
        "weight_after": tgt * price.reindex(allnames) / value,  # after whole-share rounding
        "trade_shares": tgt - cur}).rename_axis("ticker")
    held_after = tgt * price.reindex(allnames) / value
    res.turnover = turnover(pd.concat([held_after, pd.Series({CASH: res.cash_after / value})]),
                            pd.concat([w_prior, pd.Series({CASH: prior.cash / value})]))
    feat_all = feats.reindex(names)
    picks = pd.DataFrame({
        "ticker": names, "weight": final.to_numpy(), "target_shares": tgt.reindex(names).to_numpy(),
        "sector": feat_all["sector"].to_numpy(), "alpha_z": u["alpha_z"].reindex(names).to_numpy(),
        "vol_blend": feat_all["vol_blend"].to_numpy(), "adv_20": feat_all["adv_20"].to_numpy(),
        "rank": u["rank"].reindex(names).to_numpy(), "price": price.reindex(names).to_numpy(),
    })
    missing_sector = picks["sector"].isna()
    if missing_sector.any():  # a carried prior name outside today's features
        picks.loc[missing_sector, "sector"] = (lh.tickers()["sector"]
                                               .reindex(picks.loc[missing_sector, "ticker"]).to_numpy())
    res.picks = picks.sort_values(["weight", "ticker"], ascending=[False, True]).reset_index(drop=True)
    sec_w = res.picks.groupby("sector")["weight"].sum()
    invested = float(final.sum())
    res.sectors = pd.DataFrame({
        "weight": sec_w, "weight_of_invested": sec_w / invested,
        "universe_share": uni_share.reindex(sec_w.index), "cap": sector_caps.reindex(sec_w.index),
    }).sort_values("weight", ascending=False)
    res.sectors.index.name = "sector"

    post_selection_checks(res, lh, composition, rows, previous_rebalance_day(day, spec))
    return finish(res, rows)


def select_portfolio(universe: pd.DataFrame, spec: Risk4Spec) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Score, rank, pick and weight a filtered universe (steps 3-4 of the module docstring).

    ``universe`` has columns ``alpha``, ``vol_blend`` (> 0) and ``sector``, indexed by ticker.
    Returns the universe with ``alpha_z`` and ``rank`` (best first), the capped target weights
    of the picks (sum 1, every weight <= ``max_position``, every sector <= its cap) and the sector
    caps. Raises :class:`~rebal.errors.NoPositiveAlpha` or :class:`~rebal.errors.InfeasibleCaps`.
    """
    u = universe.copy()
    n = len(u)
    std = float(u["alpha"].std(ddof=1)) if n > 1 else 0.0
    z = (u["alpha"] - u["alpha"].mean()) / std if std > 0 else u["alpha"] * 0.0
    u["alpha_z"] = z.clip(-spec.zclip, spec.zclip)
    u = u.sort_values(["alpha_z", "vol_blend"], ascending=[False, True], kind="mergesort")
    u["rank"] = np.arange(1, n + 1)
    top = u.iloc[: spec.top_n]
    base = (top["alpha_z"] / top["vol_blend"]).clip(lower=0.0)
    base = base[base > 0]
    if base.empty:
        raise NoPositiveAlpha(f"none of the top {len(top)} names has a positive alpha z-score")
    sector_caps = spec.sector_multiple * u["sector"].value_counts(normalize=True)
    if spec.on_infeasible_caps == "extend":
        base = _extend_for_caps(u, base, sector_caps, spec.max_position)
    target = capped_weights(base, u.loc[base.index, "sector"], max_position=spec.max_position,
                            sector_caps=sector_caps)
    return u, target, sector_caps


def _extend_for_caps(u: pd.DataFrame, base: pd.Series, caps: pd.Series, cap: float) -> pd.Series:
    """Add next-ranked names with positive alpha from sectors with room until the caps can reach 100 %."""
    count = {s: int(k) for s, k in u.loc[base.index, "sector"].value_counts().items()}  # a dict: we add to it

    def reach() -> float:
        return float(sum(min(caps[s], k * cap) for s, k in count.items()))

    extra = {}
    for t, row in u.iloc[len(base):].iterrows():
        if reach() >= 1.0 - 1e-9:
            break
        if t in base.index or row["alpha_z"] <= 0:
            continue
        s = row["sector"]
        if count.get(s, 0) * cap < caps[s] - 1e-12:  # the sector still has room for another name
            extra[t] = row["alpha_z"] / row["vol_blend"]
            count[s] = count.get(s, 0) + 1
    return pd.concat([base, pd.Series(extra, dtype=float)]) if extra else base


def risk4_target(profile: Profile, lh: Lakehouse, as_of: date) -> Risk4Result:
    """Return the Risk4 portfolio in force on ``as_of``: the run of the latest rebalance day on or before it.

    Raises :class:`DataError` with the reason when that run is blocked.
    """
    day = last_rebalance_day(as_of, profile.risk4)
    res = run_risk4(profile, lh.at(as_of), day)
    if res.blocked:
        raise DataError(f"{profile.source}: Risk4 run of {day} blocked: {res.block_reason}")
    return res


def implemented_on(res: Risk4Result, lh: Lakehouse) -> date | None:
    """Return the run's date when the profile's holdings snapshot of that day already equals its target shares.

    The trade list of such a run is history, not a proposal: the drift audit treats the snapshot
    as the Last Implemented State. None when there is no such snapshot (or the run is blocked).
    """
    if res.blocked or res.picks is None or res.picks.empty:
        return None
    view = lh.at(res.date)
    dates = view.holdings_dates(res.profile.name)
    if not dates or dates[-1] != res.date:
        return None
    _, shares, _ = view.holdings(res.profile.name)
    want = res.picks.set_index("ticker")["target_shares"]
    want = want[want > 0]
    held = shares[shares != 0]
    if set(want.index) != set(held.index) or not np.allclose(want.reindex(held.index).to_numpy(), held.to_numpy()):
        return None
    return res.date
