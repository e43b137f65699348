"""Tables and key figures of a :class:`~rebal.stress.build.RiskStress`, shared by the report and ``rebal risk``.

Plain DataFrames and dicts (fractions, not percent); the report formats them, the CLI prints them
and writes them as JSON. :func:`headline` is the packet's contract (the report's scraps).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rebal.analytics.var import VAR_LABELS, var_es
from rebal.data.lakehouse import CASH
from rebal.stress.build import PORTFOLIOS, RiskStress

__all__ = ["CHANGE_WORDS", "exante_table", "contributions_table", "sector_table", "episodes_table", "shocks_table",
           "var_frame", "backtest_table", "headline", "risk_json"]

#: how a sentence says what the proposal does to the worst stress loss (:attr:`RiskStress.stress_change`)
CHANGE_WORDS = {"lowers": "lowers", "raises": "raises", "unchanged": "leaves unchanged", "unknown": "cannot compare"}


def exante_table(rs: RiskStress) -> pd.DataFrame:
    """One row per portfolio (current, target, proposed): volatility, beta, TE, concentration, largest contributor."""
    rows = []
    for name in PORTFOLIOS:
        e = rs.exante[name]
        top = e.largest
        rows.append({"portfolio": name, "volatility": e.volatility, "beta": e.beta,
                     "tracking error": e.tracking_error, "effective bets": e.effective_bets,
                     "effective positions": e.effective_positions, "largest contributor": top or "—",
                     "its share": float(e.contributions.loc[top, "share"]) if top else float("nan")})
    return pd.DataFrame(rows).set_index("portfolio")


def contributions_table(rs: RiskStress) -> pd.DataFrame:
    """Per asset held now or proposed: weight, Euler contribution (annualised vol), share and marginal, both sides.

    Sorted by the current contribution, largest first; cash is left out (it contributes nothing).
    """
    cur, prop = rs.exante["current"].contributions, rs.exante["proposed"].contributions
    idx = [a for a in rs.weights.index if a != CASH and (rs.weights.loc[a, ["current", "proposed"]].abs() > 0).any()]
    out = pd.DataFrame({
        "weight now": cur["weight"].reindex(idx), "contribution now": cur["contribution"].reindex(idx),
        "share now": cur["share"].reindex(idx), "weight proposed": prop["weight"].reindex(idx),
        "contribution proposed": prop["contribution"].reindex(idx), "share proposed": prop["share"].reindex(idx),
        "marginal now": cur["marginal"].reindex(idx), "sector": [rs.sectors.get(a, "") for a in idx],
    }, index=pd.Index(idx, name="asset")).fillna({"weight now": 0.0, "weight proposed": 0.0})
    return out.sort_values(["contribution now", "contribution proposed"], ascending=False)


def sector_table(rs: RiskStress) -> pd.DataFrame:
    """Per sector: weight, contribution and share of the current and the proposed portfolio (cash left out)."""
    cur, prop = rs.sector_contributions("current"), rs.sector_contributions("proposed")
    idx = [s for s in dict.fromkeys([*cur.index, *prop.index]) if s != "Cash"]
    out = pd.DataFrame({"weight now": cur["weight"].reindex(idx), "contribution now": cur["contribution"].reindex(idx),
                        "share now": cur["share"].reindex(idx), "weight proposed": prop["weight"].reindex(idx),
                        "contribution proposed": prop["contribution"].reindex(idx),
                        "share proposed": prop["share"].reindex(idx)}, index=pd.Index(idx, name="sector"))
    out = out[(out[["weight now", "weight proposed"]].abs() > 1e-12).any(axis=1)]
    return out.sort_values("contribution now", ascending=False)


def _proxy_text(res) -> str:
    if not res.covered or not res.proxied:
        return ""
    parts = [f"{a} β {b:.2f}" for a, b in res.proxied.items()]
    return f"{', '.join(parts)} ({res.proxied_weight:.0%} of value)"


def episodes_table(rs: RiskStress) -> pd.DataFrame:
    """One row per episode: its definition, the benchmark's own loss and return, and the book's, current and proposed.

    Losses are peak to trough within the window, returns first to last session, worst day the lowest
    one-session return. ``proxied`` names the assets replayed through their beta (with the share of
    the weights, also in ``proxied share``); ``worse`` marks an episode in which the proposal loses
    more than the current book (by more than the tolerance of :attr:`RiskStress.stress_change`);
    ``covered`` is False with the reason in ``note`` when the data do not reach the episode.
    """
    from rebal.stress.build import UNCHANGED_TOLERANCE

    rows = []
    for ep, res in rs.episodes:
        c, p, b = res["current"], res["proposed"], res.get("benchmark")
        rows.append({"episode": ep.name, "kind": ep.kind, "definition": ep.definition, "covered": c.covered,
                     "window": f"{c.first} .. {c.last}" if c.covered else f"{ep.start} .. {ep.end}",
                     "sessions": c.sessions,
                     "benchmark loss": b.peak_to_trough if b is not None else float("nan"),
                     "benchmark return": b.episode_return if b is not None else float("nan"),
                     "loss now": c.peak_to_trough, "loss proposed": p.peak_to_trough,
                     "return now": c.episode_return, "return proposed": p.episode_return,
                     "worst day now": c.worst_day, "worst day proposed": p.worst_day,
                     "worst day date": str(c.worst_day_date) if c.worst_day_date else "",
                     "proxied now": _proxy_text(c), "proxied proposed": _proxy_text(p),
                     "proxied share now": c.proxied_weight if c.covered and c.proxied else 0.0,
                     "proxied share proposed": p.proxied_weight if p.covered and p.proxied else 0.0,
                     "worse": bool(c.covered and p.peak_to_trough < c.peak_to_trough - UNCHANGED_TOLERANCE),
                     "note": "" if c.covered else f"not covered: {c.reason}"})
    return pd.DataFrame(rows).set_index("episode")


def shocks_table(rs: RiskStress) -> pd.DataFrame:
    """Hypothetical shocks: the return of the current and the proposed portfolio, and the change."""
    t = rs.shocks.set_index("shock")
    return pd.DataFrame({"kind": t["kind"], "now": t["current"], "proposed": t["proposed"],
                         "change": t["proposed"] - t["current"]})


def var_frame(rs: RiskStress) -> pd.DataFrame:
    """VaR and ES of the current holdings: rows (method, level, horizon), columns VaR and ES (losses)."""
    v = rs.var.copy()
    v["method"] = v["method"].map(VAR_LABELS)
    v["level"] = v["level"].map(lambda x: f"{x:.0%}")
    v["horizon"] = v["horizon_days"].map(lambda h: f"{h} day" + ("s" if h > 1 else ""))
    return v.set_index(["method", "level", "horizon"])[["var", "es"]].rename(columns={"var": "VaR", "es": "ES"})


def backtest_table(rs: RiskStress) -> pd.DataFrame:
    """One row per VaR method backtested: days, exceedances (and expected), Kupiec, Christoffersen, verdict at 5 %."""
    rows = []
    for method, bt in rs.backtests.items():
        tests = (("coverage", bt.kupiec), ("independence", bt.christoffersen))
        reject = [name for name, t in tests if t.p_value < 0.05]
        rows.append({"method": VAR_LABELS[method], "days": bt.days, "exceedances": bt.exceedances,
                     "expected": bt.expected, "rate": bt.rate, "Kupiec LR": bt.kupiec.statistic,
                     "Kupiec p": bt.kupiec.p_value, "Christoffersen LR": bt.christoffersen.statistic,
                     "Christoffersen p": bt.christoffersen.p_value, "conditional p": bt.conditional.p_value,
                     "verdict (5 %)": "rejected: " + " and ".join(reject) if reject else "not rejected"})
    return pd.DataFrame(rows).set_index("method") if rows else pd.DataFrame()


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _episode_facts(rs: RiskStress) -> dict[str, Any]:
    """Collect the worst episodes' benchmark loss and proxied share, and the episodes the proposal makes worse."""
    wc, wp = rs.worst_episode("current"), rs.worst_episode("proposed")
    bench = {ep.name: r.get("benchmark") for ep, r in rs.episodes}

    def bench_loss(w) -> float | None:
        b = bench.get(w.episode.name) if w else None
        return _num(b.peak_to_trough) if b is not None and b.covered else None

    t = episodes_table(rs)
    worse = [{"episode": str(name), "loss now": float(r["loss now"]), "loss proposed": float(r["loss proposed"]),
              "benchmark loss": _num(float(r["benchmark loss"])), "proxied": bool(r["proxied now"] or
                                                                                   r["proxied proposed"])}
             for name, r in t[t["worse"]].iterrows()]
    return {"worst_episode_benchmark_loss_current": bench_loss(wc),
            "worst_episode_benchmark_loss_proposed": bench_loss(wp),
            "worst_episode_proxied_current": float(wc.proxied_weight) if wc and wc.proxied else 0.0,
            "worst_episode_proxied_proposed": float(wp.proxied_weight) if wp and wp.proxied else 0.0,
            "episodes_worse": worse}


def _var_facts(rs: RiskStress) -> dict[str, Any]:
    """Return the backtest's verdict on the VaR model (:mod:`rebal.stress.caveats`) as plain types."""
    v = rs.var_verdict
    return {"var_rejected": bool(v.rejected) if v else False, "var_direction": v.direction if v else "",
            "var_alternative": v.alternative if v else "", "var_caveat": v.text if v and v.rejected else "",
            "var_flag": v.headline if v else ""}


def headline(rs: RiskStress) -> dict[str, Any]:
    """Return the key figures as plain types: the report's scraps and the top of ``rebal risk --json``."""
    cur, prop = rs.exante["current"], rs.exante["proposed"]
    wc, wp = rs.worst_episode("current"), rs.worst_episode("proposed")
    var99, es99 = var_es(rs.var_returns, level=0.99, method="historical")
    bt = rs.backtest
    sh = rs.shocks
    worst_shock = sh.loc[sh["current"].idxmin()] if len(sh) else None
    top = cur.largest
    return {
        "profile": rs.profile.name, "as_of": str(rs.as_of), "proposal_id": rs.proposal_id,
        "covariance": rs.spec.covariance, "window_days": int(rs.window[2]),
        "vol_current": cur.volatility, "vol_target": rs.exante["target"].volatility, "vol_proposed": prop.volatility,
        "beta_current": cur.beta, "beta_proposed": prop.beta,
        "te_current": _num(cur.tracking_error), "te_proposed": _num(prop.tracking_error),
        "effective_bets_current": _num(cur.effective_bets), "effective_bets_proposed": _num(prop.effective_bets),
        "largest_contributor": top, "largest_contributor_share":
            _num(float(cur.contributions.loc[top, "share"])) if top else None,
        "largest_contributor_proposed": prop.largest,
        "worst_episode_current": wc.episode.name if wc else None,
        "worst_episode_loss_current": wc.peak_to_trough if wc else None,
        "worst_episode_proposed": wp.episode.name if wp else None,
        "worst_episode_loss_proposed": wp.peak_to_trough if wp else None,
        "stress_change": rs.stress_change,
        "episodes_covered": sum(1 for _, r in rs.episodes if r["current"].covered),
        "episodes_proxied": sum(1 for _, r in rs.episodes if r["current"].covered and r["current"].proxied),
        "worst_shock": str(worst_shock["shock"]) if worst_shock is not None else None,
        "worst_shock_current": float(worst_shock["current"]) if worst_shock is not None else None,
        "worst_shock_proposed": float(worst_shock["proposed"]) if worst_shock is not None else None,
        "var99_1d": var99, "es99_1d": es99, "var_method": "historical",
        "backtest_method": rs.spec.backtest_method,
        "backtest_days": bt.days if bt else 0, "backtest_exceedances": bt.exceedances if bt else 0,
        "backtest_expected": bt.expected if bt else 0.0,
        "kupiec_p": bt.kupiec.p_value if bt else None, "christoffersen_p": bt.christoffersen.p_value if bt else None,
        "notes": list(rs.notes), **_episode_facts(rs), **_var_facts(rs),
    }


def _records(df: pd.DataFrame, index: str) -> list[dict[str, Any]]:
    out = df.reset_index().rename(columns={df.index.name or "index": index})
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in out.to_dict("records")]


def risk_json(rs: RiskStress) -> dict[str, Any]:
    """Everything ``rebal risk --json`` prints: the headline and every table as records."""
    var = rs.var.to_dict("records")
    return {**headline(rs), "covariance_label": rs.covariance_label,
            "window": {"first": str(rs.window[0]), "last": str(rs.window[1]), "returns": rs.window[2]},
            "weights": _records(rs.weights, "asset"),
            "exante": _records(exante_table(rs), "portfolio"),
            "contributions": _records(contributions_table(rs), "asset"),
            "sectors": _records(sector_table(rs), "sector"),
            "episodes": _records(episodes_table(rs), "episode"),
            "shocks": _records(shocks_table(rs), "shock"),
            "var": var, "backtests": _records(backtest_table(rs), "method") if rs.backtests else []}
