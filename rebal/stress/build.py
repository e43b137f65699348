"""Risk and stress of one profile as of a date: the numbers behind the ``risk_stress`` report and ``rebal risk``.

:func:`risk_stress` (read-only) gathers, for the **current** holdings (the latest snapshot valued
at the as-of closes), the profile's **target** and the **proposal** (:func:`rebal.proposal.build.
build_proposal`: the same proposal, with the same id, as the weekly review and the proposal report):

1. **ex-ante risk** on the profile's covariance estimate (``stress.covariance``) of the last
   ``stress.window_days`` daily returns: volatility, beta, tracking error to the target, Euler
   risk contributions by asset and sector, concentration (:mod:`rebal.analytics.exante`);
2. **historical episodes** (``stress.episodes``) replayed on the current and proposed weights with
   actual closes, and a labelled beta proxy for an asset without prices in an episode; the betas
   are those of step 1, estimated on returns up to the as-of date (:mod:`rebal.analytics.stress`);
   the benchmark's own path over each episode is replayed beside them;
3. **hypothetical shocks** (``stress.shocks``, :mod:`rebal.analytics.shocks`); every shock that moves an
   asset by its own volatility uses the sample standard deviation of its daily returns over the risk window;
4. **VaR and ES** of the current holdings over the last ``stress.var_window_days`` returns
   (:mod:`rebal.analytics.var`), and a **backtest** of the 1-day VaR on the profile's own holdings
   history (:mod:`rebal.stress.history`, :mod:`rebal.analytics.var_backtest`); a model the backtest
   rejects is named in the notes with the direction of its failure (:mod:`rebal.stress.caveats`).

Every read goes through the lakehouse seen as of the as-of date: nothing later enters a number.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from rebal.analytics.covariance import COVARIANCE_LABELS, estimate_covariance
from rebal.analytics.exante import ExAnteRisk, asset_betas, exante_risk, group_contributions
from rebal.analytics.returns import simple_returns
from rebal.analytics.shocks import shock_table
from rebal.analytics.stress import Episode, EpisodeResult, replay_episode
from rebal.analytics.var import VAR_METHODS, var_table
from rebal.analytics.var_backtest import VarBacktest, backtest_var, var_forecasts
from rebal.config import Profile
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError
from rebal.stress.caveats import VarVerdict, var_verdict
from rebal.stress.episodes import profile_episodes
from rebal.stress.history import read_snapshots, weights_over_days
from rebal.stress.spec import StressSpec

__all__ = ["PORTFOLIOS", "RiskStress", "risk_stress", "sector_map"]

#: the portfolios compared, in report order
PORTFOLIOS = ("current", "target", "proposed")
#: a worst-episode loss that moves by less than this (a fraction) is "unchanged"
UNCHANGED_TOLERANCE = 0.0005


@dataclass
class RiskStress:
    """Everything the report and the CLI show (see the module docstring); fractions throughout."""

    profile: Profile
    as_of: date
    spec: StressSpec
    proposal_id: str
    verdict: str  # the proposal's simulation verdict
    #: assets (CASH last) x current, target, proposed
    weights: pd.DataFrame
    #: first and last date and number of daily returns of the risk window
    window: tuple[date, date, int]
    covariance: pd.DataFrame
    betas: pd.Series
    sectors: dict[str, str]
    exante: dict[str, ExAnteRisk]
    episodes: list[tuple[Episode, dict[str, EpisodeResult]]]
    shocks: pd.DataFrame
    var: pd.DataFrame
    var_returns: pd.Series
    backtests: dict[str, VarBacktest]
    notes: list[str] = field(default_factory=list)

    @property
    def covariance_label(self) -> str:
        """The covariance estimate, in words."""
        label = COVARIANCE_LABELS[self.spec.covariance]
        if self.spec.covariance == "ewma":
            label += f", λ = {self.spec.ewma_lambda:g}"
        return label

    def sector_contributions(self, portfolio: str) -> pd.DataFrame:
        """Risk contributions of ``portfolio`` summed by sector (cash as its own row)."""
        return group_contributions(self.exante[portfolio].contributions, {**self.sectors, CASH: "Cash"})

    def worst_episode(self, portfolio: str) -> EpisodeResult | None:
        """Return the covered episode with the largest peak-to-trough loss for ``portfolio`` (None if none covered)."""
        covered = [r[portfolio] for _, r in self.episodes if r[portfolio].covered]
        return min(covered, key=lambda r: r.peak_to_trough) if covered else None

    @property
    def stress_change(self) -> str:
        """``lowers`` / ``raises`` / ``unchanged``: the proposal's effect on the worst episode loss."""
        cur, prop = self.worst_episode("current"), self.worst_episode("proposed")
        if cur is None or prop is None:
            return "unknown"
        diff = prop.peak_to_trough - cur.peak_to_trough
        if abs(diff) < UNCHANGED_TOLERANCE:
            return "unchanged"
        return "lowers" if diff > 0 else "raises"

    @property
    def backtest(self) -> VarBacktest | None:
        """The backtest of the profile's ``stress.backtest_method`` (None without enough history)."""
        return self.backtests.get(self.spec.backtest_method)

    @property
    def var_verdict(self) -> VarVerdict | None:
        """What the backtest says of the VaR model (:func:`rebal.stress.caveats.var_verdict`; None without one)."""
        return var_verdict(self.backtests, self.spec.backtest_method)


def sector_map(lh: Lakehouse, tickers: list[str]) -> dict[str, str]:
    """Ticker -> GICS sector; a ticker without one gets ``"<asset class> (no sector)"``."""
    t = lh.tickers().reindex(tickers)
    out = {}
    for tk, row in t.iterrows():
        sector = row.get("sector")
        if isinstance(sector, str) and sector:
            out[tk] = sector
        else:
            cls = row.get("asset_class")
            out[tk] = f"{cls if isinstance(cls, str) and cls else 'asset'} (no sector)"
    return out


def _window_returns(view: Lakehouse, tickers: list[str], days: int) -> pd.DataFrame:
    px = view.prices(tickers, last=days + 1)
    return simple_returns(px, fill="none").iloc[1:]


def _require_complete(rets: pd.DataFrame, tickers: list[str], days: int, field_name: str, profile: Profile,
                      as_of: date) -> None:
    if len(rets) < days:
        raise DataError(f"{profile.source}: `{field_name}`: {days} daily returns needed up to {as_of}, "
                        f"the lakehouse has {len(rets)}")
    bad = [t for t in tickers if rets[t].isna().any()]
    if bad:
        raise DataError(f"{profile.source}: `{field_name}`: {bad[0]!r} lacks prices in the {days}-session window "
                        f"ending {as_of}")


def risk_stress(profile: Profile, lh: Lakehouse, as_of: date | None = None) -> RiskStress:
    """Compute the risk and stress figures of ``profile`` as of ``as_of`` (default: the latest data). Read-only."""
    from rebal.proposal.build import build_proposal

    as_of = as_of or lh.at(None).latest_date()
    view = lh.at(as_of)
    spec = profile.stress
    episodes = profile_episodes(profile)
    if not view.holdings_dates(profile.name):
        raise DataError(f"{profile.source}: no holdings for {profile.name!r} on or before {as_of}: the risk of a book "
                        "needs its positions; import them with `rebal data import holdings FILE`")
    notes: list[str] = []
    # the proposal as the weekly review and the proposal report build it (simulated): the same proposal, so the
    # same id on every page (a proposal built without its simulation hashes to another id); in the weekly run
    # the reports of one profile share it (rebal.cache), so it costs nothing more
    p = build_proposal(profile, lh, as_of)
    if p.blocked:
        notes.append("the proposal is BLOCKED (a limit cannot hold): its weights are shown but would not be traded")
    ports = {"current": p.current, "target": p.target, "proposed": p.proposed}
    ports = {k: w[w.abs() > 1e-12].astype(float) for k, w in ports.items()}
    idx = list(dict.fromkeys(a for w in ports.values() for a in w.index if a != CASH)) + [CASH]
    weights = pd.DataFrame({k: w.reindex(idx).fillna(0.0) for k, w in ports.items()})
    assets = idx[:-1]
    bench = profile.benchmark

    # 1. ex-ante risk on the window ending at the as-of date
    known = view.known_tickers()
    factors = [f for f in spec.shocks.factors if f in known and f != bench]
    missing_factors = [f for f in spec.shocks.factors if f not in known]
    rets = _window_returns(view, list(dict.fromkeys([*assets, bench, *factors])), spec.window_days)
    _require_complete(rets, [*assets, bench], spec.window_days, "stress.window_days", profile, as_of)
    cov = estimate_covariance(rets[assets], spec.covariance, ewma_lambda=spec.ewma_lambda)
    betas = asset_betas(rets[assets], rets[bench])
    # every portfolio over the same assets (zero weights included), so that each asset has a marginal contribution
    exante = {k: exante_risk(weights[k], cov, betas, reference=weights["target"]) for k in ports}
    sectors = sector_map(view, assets)
    window = (rets.index[0].date(), rets.index[-1].date(), len(rets))

    # 2. historical episodes on actual closes (beta proxy where an asset has none), and the benchmark's own path
    closes = view.prices([*assets, bench])
    replayed = []
    for ep in episodes:
        res = {k: replay_episode(ep, closes, ports[k], betas, benchmark=bench, as_of=as_of)
               for k in ("current", "proposed")}
        res["benchmark"] = replay_episode(ep, closes, pd.Series({bench: 1.0}), betas, benchmark=bench, as_of=as_of)
        replayed.append((ep, res))

    # 3. hypothetical shocks
    usable = [f for f in factors if rets[f].notna().all()]
    incomplete = [f for f in factors if f not in usable]
    if incomplete:
        notes.append(f"factor shocks skipped for {', '.join(incomplete)}: no complete prices in the risk window")
    if missing_factors:
        notes.append(f"factor shocks skipped for {', '.join(missing_factors)}: not in the lakehouse")
    fbetas = pd.DataFrame({f: asset_betas(rets[assets], rets[f]) for f in usable}, index=assets) if usable else None
    fvols = rets[usable].std(ddof=1) if usable else None
    held_sectors = [s for s in dict.fromkeys(sectors[a] for a in assets
                                               if weights.loc[a, ["current", "proposed"]].abs().sum() > 0)]
    shock_sectors = list(spec.shocks.sectors) or held_sectors
    empty = [x for x in shock_sectors if x not in held_sectors]
    if empty:
        notes.append(f"`stress.shocks.sectors`: nothing held now or proposed in {', '.join(empty)} (shock of 0)")
    # one definition of an asset's volatility for every shock: the sample standard deviation of its daily
    # returns over the risk window (not the diagonal of the shrunk covariance estimate)
    shocks = shock_table({k: ports[k] for k in ("current", "proposed")}, betas=betas, sectors=sectors,
                         vols_daily=rets[assets].std(ddof=1),
                         benchmark_moves=spec.shocks.benchmark_moves, sector_move=spec.shocks.sector_move,
                         shock_sectors=shock_sectors, sds=spec.shocks.sds, horizon_days=spec.shocks.horizon_days,
                         factor_betas=fbetas, factor_vols_daily=fvols, benchmark=bench)

    # 4. VaR / ES of the current holdings, and the backtest on the profile's own history
    cur = ports["current"].drop(CASH, errors="ignore")
    vrets = _window_returns(view, list(cur.index), spec.var_window_days)
    _require_complete(vrets, list(cur.index), spec.var_window_days, "stress.var_window_days", profile, as_of)
    var_returns = (vrets[list(cur.index)] @ cur).rename("portfolio")
    var = var_table(var_returns, levels=spec.var_levels, horizons=spec.var_horizons)
    backtests = _backtests(profile, view, spec, notes)
    verdict = var_verdict(backtests, spec.backtest_method)
    if verdict is not None and verdict.rejected:
        notes.append(verdict.text)

    return RiskStress(profile, as_of, spec, p.id, p.verdict, weights, window, cov, betas, sectors, exante,
                      replayed, shocks, var, var_returns, backtests, notes)


def _backtests(profile: Profile, view: Lakehouse, spec: StressSpec, notes: list[str]) -> dict[str, VarBacktest]:
    """Backtest the 1-day VaR of every method on the profile's holdings history (see the module docstring)."""
    snaps = read_snapshots(view, profile.name)
    held = sorted({t for shares, _ in snaps.values() for t in shares.index})
    if not held:
        notes.append("no holdings history: no VaR backtest")
        return {}
    sessions = view.sessions()
    first = pd.Timestamp(min(snaps))
    after = sessions[sessions > first]
    test_days = after[-spec.backtest_days:]
    if len(test_days) < 2:
        notes.append(f"{len(test_days)} session(s) of holdings history: no VaR backtest")
        return {}
    start_pos = sessions.get_loc(test_days[0]) - spec.var_window_days - 1
    start = sessions[max(start_pos, 0)].date()
    closes = view.prices(held, start=start)
    weights = weights_over_days(snaps, closes).reindex(test_days).dropna(how="all")
    asset_rets = simple_returns(closes, fill="ffill")  # a gap day moves nothing; the next day gets the move
    out = {}
    for method in VAR_METHODS:
        fc = var_forecasts(asset_rets, weights, window=spec.var_window_days, level=spec.backtest_level,
                           method=method)  # type: ignore[arg-type]
        if len(fc) >= 2:
            out[method] = backtest_var(fc, spec.backtest_level)
    if not out:
        notes.append("too little price history before the holdings for a VaR backtest")
    elif len(next(iter(out.values())).forecasts) < 0.9 * spec.backtest_days:  # a few days short is no news
        n = len(next(iter(out.values())).forecasts)
        notes.append(f"VaR backtest over {n} sessions, all the holdings history there is (the first snapshot is "
                     f"{min(snaps)}; `stress.backtest_days` asks for up to {spec.backtest_days})")
    return out
