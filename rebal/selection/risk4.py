"""The Risk4 weekly stock-selection process: schedule, checks, selection, weights, trades, artifacts.

One call, :func:`run_risk4`, answers for a profile and a date: is it a rebalance day, is the data
fit to trade on, which stocks at what weights, what trades against the prior holdings. It reads
the lakehouse only; :func:`record_run` and :func:`write_artifacts` persist a result.

Steps (parameters from the profile's ``risk4`` block, :class:`rebal.selection.spec.Risk4Spec`):

1. Features of the latest feature date on or before the run date, by SQL on the lakehouse
   (``features`` joined with ``tickers``; alpha from ``alpha_imported`` when the profile says so).
2. Checks (:class:`rebal.selection.spec.Risk4Checks`): freshness in NYSE sessions, required columns,
   NULL alpha share, alpha dispersion and top-bottom spread, universe size, sector coverage and
   concentration. A CRITICAL failure blocks the run: alerts, no picks, no trades.
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

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from rebal.analytics.measures import annualise_variance, classify_vix
from rebal.analytics.returns import simple_returns
from rebal.calendar import is_rebalance_day, next_rebalance_dates, nyse_sessions, schedule_document, sessions_after
from rebal.config import Profile
from rebal.selection.spec import Risk4Spec
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError, InfeasibleCaps, NoPositiveAlpha
from rebal.fileio import staged_directory
from rebal.selection.weights import capped_weights, turnover, turnover_control, vol_target

__all__ = ["Alert", "Prior", "Risk4Result", "run_risk4", "select_portfolio", "find_prior", "read_prior_file", "record_run",
           "write_artifacts", "last_rebalance_day", "previous_rebalance_day", "risk4_target", "PICKS_COLUMNS", "TRADES_COLUMNS"]

PICKS_COLUMNS = ["ticker", "weight", "target_shares", "sector", "alpha_z", "vol_blend", "adv_20", "rank"]
TRADES_COLUMNS = ["ticker", "action", "shares", "estimated_value", "price", "reason"]
_TREND_WINDOW = 200


@dataclass(frozen=True)
class Alert:
    """One alert: CRITICAL blocks the run, WARNING asks for review, INFO is context."""

    severity: str
    code: str
    message: str


@dataclass(frozen=True)
class Prior:
    """Holdings before the run: shares by ticker, cash in USD, where they came from."""

    shares: pd.Series
    cash: float
    source: str
    as_of: date | None = None


@dataclass
class Risk4Result:
    """Everything one Risk4 run decided (see the module docstring)."""

    profile: Profile
    date: date
    is_rebalance_day: bool
    next_rebalance: date
    feature_date: date | None
    checks: pd.DataFrame
    alerts: list[Alert]
    prior: Prior | None = None
    universe: pd.DataFrame = field(default_factory=pd.DataFrame)
    picks: pd.DataFrame = field(default_factory=pd.DataFrame)
    trades: pd.DataFrame = field(default_factory=pd.DataFrame)
    sectors: pd.DataFrame = field(default_factory=pd.DataFrame)
    positions: pd.DataFrame = field(default_factory=pd.DataFrame)
    weights: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    value: float = float("nan")
    cash_after: float = float("nan")
    exposure: float = float("nan")
    vol_unscaled: float = float("nan")
    estimated_vol: float = float("nan")
    estimated_beta: float = float("nan")
    turnover_composition: float = float("nan")
    turnover: float = float("nan")
    regime: dict = field(default_factory=dict)
    data_freshness: dict = field(default_factory=dict)
    synthetic_inputs: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """Whether a CRITICAL alert blocked the run."""
        return any(a.severity == "CRITICAL" for a in self.alerts)

    @property
    def status(self) -> str:
        """BLOCKED, WARNING (review before trading) or OK."""
        if self.blocked:
            return "BLOCKED"
        return "WARNING" if any(a.severity == "WARNING" for a in self.alerts) else "OK"

    @property
    def block_reason(self) -> str:
        """The CRITICAL alerts in one line."""
        return "; ".join(a.message for a in self.alerts if a.severity == "CRITICAL")

    def target_weights(self) -> pd.Series:
        """Final weights by ticker plus ``CASH`` (sum 1)."""
        w = self.weights[self.weights > 0]
        return pd.concat([w, pd.Series({CASH: max(1.0 - float(w.sum()), 0.0)})]).rename("target")

    def alerts_frame(self) -> pd.DataFrame:
        """The alerts as a table (severity, code, message)."""
        return pd.DataFrame([a.__dict__ for a in self.alerts], columns=["severity", "code", "message"])

    def summary(self) -> dict:
        """The ``portfolio_summary.json`` content."""
        w = self.weights[self.weights > 0].sort_values(ascending=False)
        sec = self.sectors["weight"].round(6).to_dict() if len(self.sectors) else {}
        return {
            "profile": self.profile.name,
            "date": str(self.date),
            "status": self.status,
            "is_rebalance_day": self.is_rebalance_day,
            "next_rebalance": str(self.next_rebalance),
            "regime": self.regime,
            "portfolio": {
                "n_positions": int(len(w)),
                "total_weight": round(float(w.sum()), 6),
                "cash_weight": round(1.0 - float(w.sum()), 6),
                "top_5_weight": round(float(w.iloc[:5].sum()), 6),
                "sector_concentration": sec,
                "value": round(self.value, 2),
            },
            "metrics": {
                "estimated_beta": _r(self.estimated_beta),
                "estimated_vol": _r(self.estimated_vol),
                "estimated_vol_before_targeting": _r(self.vol_unscaled),
                "avg_adv": _r(float(self.picks["adv_20"].mean()) if len(self.picks) else float("nan"), 0),
                "turnover_vs_prior": _r(self.turnover),
                "composition_turnover_vs_prior": _r(self.turnover_composition),
            },
            "prior": {"source": self.prior.source if self.prior else None,
                      "as_of": str(self.prior.as_of) if self.prior and self.prior.as_of else None},
            "data_freshness": self.data_freshness,
            "synthetic_inputs": self.synthetic_inputs,
            "alerts": [a.__dict__ for a in self.alerts],
        }


def _r(x: float, nd: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


# ---------------------------------------------------------------------------------------------
# schedule and prior


def last_rebalance_day(day: date, spec: Risk4Spec) -> date:
    """The latest rebalance day on or before ``day``."""
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
    row = None
    if "risk4_runs" in lh.table_names():
        row = lh.con.execute(
            "SELECT date, cash FROM risk4_runs WHERE profile = ? AND date < ? AND status <> 'BLOCKED' "
            "ORDER BY date DESC LIMIT 1", [profile.name, day]).fetchone()
    if row is not None and (snap is None or row[0] > snap.as_of):
        df = lh.con.execute("SELECT ticker, target_shares FROM risk4_picks WHERE profile = ? AND date = ?",
                            [profile.name, row[0]]).df()
        shares = pd.Series(df["target_shares"].to_numpy(float), index=pd.Index(df["ticker"], name="ticker"))
        return Prior(shares[shares != 0], float(row[1]), f"recorded run of {row[0]} (assumed executed)", row[0])
    return snap


def read_prior_file(path: Path, known: set[str]) -> Prior:
    """Prior holdings from a CSV: ``ticker`` and ``shares`` (or ``target_shares``, as in picks.csv);
    an optional ``CASH`` row holds cash in USD."""
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


# ---------------------------------------------------------------------------------------------
# the run


def _features(profile: Profile, lh: Lakehouse, day: date) -> tuple[date | None, pd.DataFrame, list[str]]:
    """Latest feature date on or before ``day`` and its rows (with sector), by SQL."""
    spec = profile.risk4
    have = {r[0] for r in lh.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'features'").fetchall()}
    missing = [c for c in ("alpha", "vol_blend", "adv_20") if c not in have]
    if spec.alpha_source == "imported":
        src, alpha = "alpha_imported", "a.alpha"
        join = "LEFT JOIN alpha_imported a ON a.date = f.date AND a.ticker = f.ticker"
    else:
        src, alpha, join = "features", "f.alpha", ""
    if missing:
        return None, pd.DataFrame(), missing
    uni = list(profile.universe)
    filt = " AND f.ticker IN (SELECT unnest(?))" if uni else ""
    args: list = [day] + ([uni] if uni else [])
    latest = lh.con.execute(f"SELECT max(f.date) FROM {src} f WHERE f.date <= ?{filt}", args).fetchone()[0]
    if latest is None:
        return None, pd.DataFrame(), []
    df = lh.con.execute(
        f"SELECT f.ticker, f.date, {alpha} AS alpha, f.vol_blend, f.adv_20, t.sector "
        f"FROM features f JOIN tickers t ON t.ticker = f.ticker {join} "
        f"WHERE f.date = ? AND t.asset_class = 'equity'{filt} ORDER BY f.ticker",
        [latest] + ([uni] if uni else [])).df()
    return latest, df.set_index("ticker"), []


def _prices_at(lh: Lakehouse, tickers: list[str], day: date) -> pd.DataFrame:
    """Latest close on or before ``day`` per ticker and its date."""
    if not tickers:
        return pd.DataFrame(columns=["price", "price_date"])
    start = day - timedelta(days=30)
    df = lh.con.execute(
        "SELECT ticker, arg_max(close, date) AS price, max(date) AS price_date FROM prices "
        "WHERE ticker IN (SELECT unnest(?)) AND date <= ? AND date >= ? GROUP BY ticker",
        [tickers, day, start]).df()
    return df.set_index("ticker").reindex(tickers)


def _returns(lh: Lakehouse, tickers: list[str], day: date, n: int) -> pd.DataFrame:
    s = nyse_sessions()
    i = int(s.searchsorted(pd.Timestamp(day), side="right")) - 1
    start = s[max(i - n - 5, 0)].date()
    long = lh.con.execute(
        "SELECT date, ticker, close FROM prices WHERE ticker IN (SELECT unnest(?)) AND date <= ? AND date >= ?",
        [tickers, day, start]).df()
    wide = long.pivot(index="date", columns="ticker", values="close").sort_index().reindex(columns=tickers)
    return simple_returns(wide, fill="none").iloc[1:].iloc[-n:]


def _regime(lh: Lakehouse, benchmark: str, day: date, spec_planner) -> dict:
    from rebal.monitor.planner import market_vix

    view = lh.at(day)
    vix, vix_source = market_vix(view, benchmark, day)
    name = classify_vix(vix, elevated=spec_planner.elevated_vix, stress=spec_planner.stress_vix,
                        widening=spec_planner.regime_widening)[0] if np.isfinite(vix) else "unknown"
    vol_regime = {"normal": "normal_vol", "elevated": "elevated_vol", "stress": "high_vol"}.get(name, "unknown")
    px = _last_closes(lh, benchmark, day, _TREND_WINDOW)
    if len(px) >= _TREND_WINDOW:
        trend = "bull" if px.iloc[-1] >= px.iloc[-_TREND_WINDOW:].mean() else "bear"
    else:
        trend = "unknown"
    return {"current": f"{vol_regime}_{trend}", "vol_regime": vol_regime, "trend_regime": trend,
            "vix": _r(vix, 2), "vix_source": vix_source,
            "trend_rule": f"{benchmark} close vs its {_TREND_WINDOW}-session average"}


def _last_closes(lh: Lakehouse, ticker: str, day: date, n: int) -> pd.Series:
    rows = lh.con.execute("SELECT close FROM (SELECT date, close FROM prices WHERE ticker = ? AND date <= ? "
                          "ORDER BY date DESC LIMIT ?) ORDER BY date", [ticker, day, n]).fetchall()
    return pd.Series([r[0] for r in rows], dtype=float)


def _check(rows: list, name: str, value, limit: str, ok: bool, severity: str, detail: str = "") -> bool:
    rows.append({"check": name, "value": value, "limit": limit, "status": "PASS" if ok else "FAIL",
                 "severity": severity, "detail": detail})
    return ok


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
    fdate, feats, missing = _features(profile, lh, day)
    res = Risk4Result(profile, day, reb, nxt, fdate, pd.DataFrame(), alerts)
    if not _check(rows, "required feature columns", "missing " + ", ".join(missing) if missing else "all present",
                  "alpha, vol_blend, adv_20", not missing, "CRITICAL"):
        alerts.append(Alert("CRITICAL", "missing_columns", f"features table lacks {', '.join(missing)}; "
                            "build it with `rebal features build`"))
    src = "alpha_imported" if spec.alpha_source == "imported" else "features"
    if fdate is None:
        if not missing:
            _check(rows, "data freshness (sessions)", "no features", f"<= {c.max_stale_sessions}", False, "CRITICAL")
            alerts.append(Alert("CRITICAL", "no_features",
                                f"no {src} rows on or before {day}; build them with `rebal features build`"
                                + (" or import them with `rebal data import alpha FILE`" if src == "alpha_imported" else "")))
        return _finish(res, rows)
    stale = sessions_after(fdate, day)
    res.data_freshness = {"features_latest": str(fdate), "sessions_stale": stale, "alpha_source": src}
    if not _check(rows, "data freshness (sessions)", stale, f"<= {c.max_stale_sessions}",
                  stale <= c.max_stale_sessions, "CRITICAL", f"latest feature date {fdate}"):
        alerts.append(Alert("CRITICAL", "stale_data", f"stale data: latest {src} date {fdate} is {stale} NYSE sessions "
                            f"before {day} (limit {c.max_stale_sessions})"))
    null_share = float(feats["alpha"].isna().mean()) if len(feats) else 1.0
    if not _check(rows, "NULL alpha share", round(null_share, 4), f"<= {c.max_null_alpha:.0%}",
                  null_share <= c.max_null_alpha, "CRITICAL", f"{int(feats['alpha'].isna().sum())} of {len(feats)} rows"):
        alerts.append(Alert("CRITICAL", "null_alpha", f"{null_share:.1%} of alpha values on {fdate} are NULL "
                            f"(limit {c.max_null_alpha:.0%})"))
    u = feats.dropna(subset=["sector", "vol_blend", "alpha"])
    u = u[(u["vol_blend"] > 0) & (u["adv_20"] >= spec.min_adv)].copy()
    n = len(u)
    if not _check(rows, "names passing filters", n, f">= {c.min_names}", n >= c.min_names, "CRITICAL",
                  f"ADV >= ${spec.min_adv:,.0f}, sector and vol present"):
        alerts.append(Alert("CRITICAL", "too_few_names", f"only {n} names pass the filters (minimum {c.min_names})"))
    if not _check(rows, "universe size", n, f">= {c.min_universe}", n >= c.min_universe, "WARNING"):
        alerts.append(Alert("WARNING", "small_universe", f"{n} names pass the ADV filter (expected >= {c.min_universe})"))
    shares_s = u["sector"].value_counts(normalize=True) if n else pd.Series(dtype=float)
    k = int(shares_s.size)
    if not _check(rows, "sectors represented", k, f">= {c.min_sectors}", k >= c.min_sectors, "WARNING"):
        alerts.append(Alert("WARNING", "missing_sectors", f"{k} GICS sectors in the universe (expected >= {c.min_sectors})"))
    top_share = float(shares_s.max()) if k else 0.0
    if not _check(rows, "largest sector share", round(top_share, 4), f"<= {c.max_sector_share:.0%}",
                  top_share <= c.max_sector_share, "WARNING", shares_s.index[0] if k else ""):
        alerts.append(Alert("WARNING", "sector_concentration",
                            f"{shares_s.index[0]} is {top_share:.0%} of the universe (limit {c.max_sector_share:.0%})"))
    std = float(u["alpha"].std(ddof=1)) if n > 1 else 0.0
    if not _check(rows, "alpha cross-sectional std", round(std, 4), f"> {c.min_alpha_std}", std > c.min_alpha_std,
                  "CRITICAL"):
        alerts.append(Alert("CRITICAL", "flat_alpha", f"alpha std {std:.3f} <= {c.min_alpha_std}: signal degenerate"))
    dec = max(1, n // 10)
    srt = u["alpha"].sort_values()
    spread = float((srt.iloc[-dec:].mean() - srt.iloc[:dec].mean()) / std) if n > 1 and std > 0 else 0.0
    if not _check(rows, "top-bottom decile spread (std)", round(spread, 3), f"> {c.min_spread_std}",
                  spread > c.min_spread_std, "CRITICAL", f"deciles of {dec} names"):
        alerts.append(Alert("CRITICAL", "weak_spread", f"top-bottom alpha spread {spread:.2f} std <= {c.min_spread_std}"))
    res.synthetic_inputs = _synthetic(lh, list(u.index), day)
    if res.blocked or checks_only:
        return _finish(res, rows)

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
        return _finish(res, rows)
    except InfeasibleCaps as exc:
        res.universe = u
        alerts.append(Alert("CRITICAL", "infeasible_caps", str(exc)))
        return _finish(res, rows)
    res.universe = u
    uni_share = sector_caps / spec.sector_multiple  # the universe's count share of each sector

    # -- prior, valuation -----------------------------------------------------------------------
    if prior is None:
        prior = find_prior(profile, lh, day)
    if prior is None:
        prior = Prior(pd.Series(dtype=float), spec.initial_value, f"none: starting from ${spec.initial_value:,.0f} cash")
    res.prior = prior
    names = list(dict.fromkeys([*target.index, *prior.shares.index]))
    px = _prices_at(lh, names, day)
    no_px = [t for t in names if pd.isna(px.loc[t, "price"])]
    stale_px = [t for t in names if t not in no_px and sessions_after(px.loc[t, "price_date"], day) > c.max_stale_sessions]
    if not _check(rows, "prices for picks and holdings", "missing " + ", ".join((no_px + stale_px)[:5]) if no_px or stale_px
                  else "all fresh", f"close within {c.max_stale_sessions} session(s)", not (no_px or stale_px), "CRITICAL"):
        t = (no_px + stale_px)[0]
        alerts.append(Alert("CRITICAL", "stale_prices", f"no close of {t!r} within {c.max_stale_sessions} NYSE "
                            f"session(s) before {day}: cannot value or trade it"))
        return _finish(res, rows)
    price = px["price"].astype(float)
    res.data_freshness["prices_latest"] = str(pd.Timestamp(px["price_date"].max()).date())
    held_value = prior.shares * price.reindex(prior.shares.index)
    value = float(held_value.sum()) + prior.cash
    if value <= 0:
        alerts.append(Alert("CRITICAL", "no_value", f"prior holdings are worth {value:,.2f}: nothing to invest"))
        return _finish(res, rows)
    res.value = value
    w_prior = held_value / value  # risky weights; the rest of the prior is cash
    composition = turnover_control(target, w_prior if len(w_prior) else None,
                                   lam=spec.turnover_lambda, max_turnover=spec.max_turnover)
    res.turnover_composition = turnover(composition, w_prior / w_prior.sum()) if len(w_prior) and w_prior.sum() > 0 else 1.0

    # -- vol targeting and beta -----------------------------------------------------------------
    names = list(composition.index)
    rets = _returns(lh, names + [profile.benchmark], day, spec.cov_lookback)
    r = rets[names].dropna()
    if len(r) < 60:
        alerts.append(Alert("CRITICAL", "short_history", f"only {len(r)} complete daily returns of the picks "
                            f"before {day} to estimate their covariance (need >= 60)"))
        return _finish(res, rows)
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

    # -- shares and trades ----------------------------------------------------------------------
    res.weights = final.rename("weight")
    tgt_shares = np.floor(final * value / price.reindex(final.index) + 1e-9).astype(float)
    allnames = list(dict.fromkeys([*names, *prior.shares.index]))
    cur = prior.shares.reindex(allnames, fill_value=0.0)
    tgt = tgt_shares.reindex(allnames, fill_value=0.0)
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
                       "estimated_value": round(abs(d) * float(price[t]), 2), "price": float(price[t]), "reason": reason})
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
        "ticker": names, "weight": final.to_numpy(), "target_shares": tgt_shares.reindex(names).to_numpy(),
        "sector": feat_all["sector"].to_numpy(), "alpha_z": u["alpha_z"].reindex(names).to_numpy(),
        "vol_blend": feat_all["vol_blend"].to_numpy(), "adv_20": feat_all["adv_20"].to_numpy(),
        "rank": u["rank"].reindex(names).to_numpy(), "price": price.reindex(names).to_numpy(),
    })
    missing_sector = picks["sector"].isna()
    if missing_sector.any():  # a carried prior name outside today's features
        picks.loc[missing_sector, "sector"] = lh.tickers()["sector"].reindex(picks.loc[missing_sector, "ticker"]).to_numpy()
    res.picks = picks.sort_values(["weight", "ticker"], ascending=[False, True]).reset_index(drop=True)
    sec_w = res.picks.groupby("sector")["weight"].sum()
    invested = float(final.sum())
    res.sectors = pd.DataFrame({
        "weight": sec_w, "weight_of_invested": sec_w / invested,
        "universe_share": uni_share.reindex(sec_w.index), "cap": sector_caps.reindex(sec_w.index),
    }).sort_values("weight", ascending=False)
    res.sectors.index.name = "sector"

    # -- post-selection alerts ------------------------------------------------------------------
    comp_max = float(composition.max())
    sec_over = res.sectors["weight_of_invested"] > res.sectors["cap"].fillna(np.inf) + 1e-9
    _check(rows, "position cap (of invested)", round(comp_max, 4), f"<= {spec.max_position:.2%}",
           comp_max <= spec.max_position + 1e-9, "WARNING",
           "after turnover control; a prior overweight is only partly unwound" if comp_max > spec.max_position + 1e-9 else "")
    _check(rows, "sector caps (of invested)", ", ".join(res.sectors.index[sec_over]) or "all within",
           f"<= {spec.sector_multiple:g} x universe share", not sec_over.any(), "WARNING")
    if not _check(rows, "turnover vs prior", round(res.turnover, 4), f"<= {c.turnover_warning:.0%}",
                  res.turnover <= c.turnover_warning, "WARNING",
                  "initial deployment from cash" if not len(prior.shares) else ""):
        alerts.append(Alert("WARNING", "high_turnover", f"turnover {res.turnover:.1%} above {c.turnover_warning:.0%}"
                            + (" (initial deployment from cash)" if not len(prior.shares) else "") + ": review before trading"))
    big = res.picks[res.picks["weight"] > c.position_warning]
    if not _check(rows, "largest position", round(float(res.picks["weight"].max()), 4), f"<= {c.position_warning:.0%}",
                  big.empty, "WARNING"):
        alerts.append(Alert("WARNING", "large_position", f"{big['ticker'].iloc[0]} at {big['weight'].iloc[0]:.1%} "
                            f"> {c.position_warning:.0%}: manual cap review"))
    res.regime = _regime(lh, profile.benchmark, day, profile.planner)
    prev = previous_rebalance_day(day, spec)
    if prev is not None:
        before = _regime(lh, profile.benchmark, prev, profile.planner)
        if before["current"] != res.regime["current"]:
            alerts.append(Alert("INFO", "regime_change", f"regime changed from {before['current']} ({prev}) "
                                f"to {res.regime['current']}"))
    if res.synthetic_inputs:
        alerts.append(Alert("INFO", "synthetic_inputs", "synthetic inputs: " + "; ".join(res.synthetic_inputs)))
    return _finish(res, rows)


def previous_rebalance_day(day: date, spec: Risk4Spec) -> date | None:
    """The rebalance day before ``day`` (None before the anchor's next)."""
    try:
        return last_rebalance_day(day - timedelta(days=1), spec)
    except DataError:
        return None


def _synthetic(lh: Lakehouse, tickers: list[str], day: date) -> list[str]:
    if lh.meta().get("universe") == "synthetic":
        return ["the whole universe (prices, volumes, sectors) is a seeded synthetic test fixture, not market data"]
    if tickers and lh.at(day).has_synthetic_ohlv(tickers):
        return ["volumes (and so adv_20 and the ADV filter) come from the calibrated synthetic OHLV layer"]
    return []


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


def _finish(res: Risk4Result, rows: list[dict]) -> Risk4Result:
    res.checks = pd.DataFrame(rows, columns=["check", "value", "limit", "status", "severity", "detail"])
    return res


def risk4_target(profile: Profile, lh: Lakehouse, as_of: date) -> Risk4Result:
    """The Risk4 portfolio in force on ``as_of``: the run of the latest rebalance day on or before it.

    Raises :class:`DataError` with the reason when that run is blocked.
    """
    day = last_rebalance_day(as_of, profile.risk4)
    res = run_risk4(profile, lh.at(as_of), day)
    if res.blocked:
        raise DataError(f"{profile.source}: Risk4 run of {day} blocked: {res.block_reason}")
    return res


# ---------------------------------------------------------------------------------------------
# persistence


def record_run(lh: Lakehouse, res: Risk4Result) -> None:
    """Record a run in ``risk4_runs``/``risk4_picks`` (replacing the same profile and date), one transaction."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    alerts = json.dumps([a.__dict__ for a in res.alerts])
    name = res.profile.name
    with lh.transaction() as con:
        con.execute("DELETE FROM risk4_picks WHERE profile = ? AND date = ?", [name, res.date])
        con.execute("DELETE FROM risk4_runs WHERE profile = ? AND date = ?", [name, res.date])
        con.execute("INSERT INTO risk4_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [name, res.date, res.status, now, res.prior.source if res.prior else None,
                     _r(res.value, 2), _r(res.cash_after, 2), _r(res.exposure), _r(res.turnover),
                     _r(res.estimated_vol), _r(res.estimated_beta), alerts])
        if not res.blocked and len(res.picks):
            p = res.picks
            con.executemany(
                "INSERT INTO risk4_picks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(name, res.date, r.ticker, None if pd.isna(r.rank) else int(r.rank), float(r.weight),
                  float(r.target_shares), float(r.price), r.sector, _r(r.alpha_z), _r(r.vol_blend), _r(r.adv_20, 2))
                 for r in p.itertuples()])


def write_artifacts(res: Risk4Result, out_dir: Path) -> list[Path]:
    """Write the run's files to ``out_dir`` atomically (staged, then swapped in whole).

    Always: ``alerts.json``, ``checks.csv``, ``schedule.json``. Unless blocked: ``picks.csv``,
    ``trades.csv``, ``portfolio_summary.json``. A blocked run replaces an earlier run's files for
    the same directory, so no stale trades remain beside its alerts.
    """
    out_dir = Path(out_dir)
    spec = res.profile.risk4
    with staged_directory(out_dir) as stage:
        def dump(name: str, obj) -> None:
            (stage / name).write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")

        dump("alerts.json", {"profile": res.profile.name, "date": str(res.date), "status": res.status,
                             "alerts": [a.__dict__ for a in res.alerts]})
        res.checks.to_csv(stage / "checks.csv", index=False)
        dump("schedule.json", schedule_document(res.date, n=10, anchor=spec.anchor, every=spec.every))
        if not res.blocked:
            picks = res.picks[PICKS_COLUMNS].copy()
            picks["rank"] = picks["rank"].astype("Int64")
            picks["target_shares"] = picks["target_shares"].astype(int)
            picks = picks.round({"weight": 6, "alpha_z": 4, "vol_blend": 4, "adv_20": 0})
            picks.to_csv(stage / "picks.csv", index=False)
            tr = res.trades.copy()
            tr["shares"] = tr["shares"].astype(int)
            tr.to_csv(stage / "trades.csv", index=False)
            dump("portfolio_summary.json", res.summary())
    return sorted(out_dir.iterdir())
