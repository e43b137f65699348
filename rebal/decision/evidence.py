"""The evidence behind a recommendation: current book → proposed, in the profile's own terms.

One row per measure, one column per book: ``now`` (the current holdings), ``adopt`` (the proposal:
the new target after the mode and the circuit breakers) and ``part-way`` (the optimal trade part of
the way, :mod:`rebal.proposal.options`, when it differs). Each row says what it measures and whether
it argues **for** the new target, **against** it, or neither:

- the profile's **objective** with its estimation error (:mod:`rebal.decision.objective`): for when
  better beyond ``noise_z`` standard errors;
- ex-ante **volatility** and **tracking error to the benchmark** on the profile's risk estimate
  (``stress.covariance`` of ``stress.window_days`` returns): shown, not judged (the objective judges);
- **beta** to the benchmark over ``sensitivity.window_days`` sessions (Σ w_i β_i, the OLS beta of the
  book held at today's weights) and over the last ``sensitivity.rolling_days`` (the beta report's
  rolling window): against when a defensive profile's proposal is above its ``beta_limit`` and higher
  than now;
- **1-day 99 % VaR** (historical, ``stress.var_window_days`` returns of today's weights): against when
  higher than now by more than ``recommendation.var_tolerance`` (relative);
- the **worst historical stress episode** (peak-to-trough loss, :mod:`rebal.analytics.stress`): against
  when deeper than now by more than ``recommendation.stress_tolerance``;
- **trading cost** and the **planner's benefit in dollars** (½ λ H (TE²_now − TE²_after) x value, the
  planner's cost-benefit terms, TE to the proposed allocation): for when the benefit exceeds the cost;
- the target's **stability** (:mod:`rebal.proposal.stability`): against when unstable;
- the **simulation** (:meth:`rebal.proposal.simulation.Simulation.figure`): against when significantly
  worse, for when significantly better, else not significant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rebal.analytics.covariance import estimate_covariance
from rebal.analytics.exante import asset_betas, portfolio_beta, portfolio_volatility
from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import rolling_beta
from rebal.analytics.stress import replay_episode
from rebal.analytics.var import var_es
from rebal.data.lakehouse import CASH
from rebal.errors import ConfigError
from rebal.stress.episodes import profile_episodes

__all__ = ["BOOKS", "BOOK_LABELS", "EvidenceRow", "Evidence", "risk_measures", "benefit_usd"]

BOOKS = ("now", "adopt", "partway")
BOOK_LABELS = {"now": "now", "adopt": "adopt the target", "partway": "part-way"}
_FMT = {"pct": "{:.2%}", "pct1": "{:.1%}", "num2": "{:.2f}", "num3": "{:.3f}", "usd": "${:,.0f}"}


@dataclass(frozen=True)
class EvidenceRow:
    """One measure of the evidence: its values by book, what it measures and what it says.

    ``values`` are numbers (fractions, dollars or ratios, see ``fmt``) or text; ``says`` is ``for``,
    ``against``, ``neutral`` or ``not significant``, with ``note`` saying why.
    """

    key: str
    measure: str
    what: str
    values: dict[str, Any]
    fmt: str
    says: str
    note: str = ""

    def text(self, book: str) -> str:
        """Return the value of ``book`` as shown (an em dash when there is none)."""
        v = self.values.get(book)
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "—"
        return v if isinstance(v, str) else _FMT[self.fmt].format(v)

    def to_json(self) -> dict[str, Any]:
        """Plain types (NaN as None)."""
        vals = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in self.values.items()}
        return {"key": self.key, "measure": self.measure, "what": self.what, "values": vals, "format": self.fmt,
                "says": self.says, "note": self.note}


@dataclass(frozen=True)
class Evidence:
    """The rows of the evidence and the books they compare (see the module docstring)."""

    rows: tuple[EvidenceRow, ...]
    books: tuple[str, ...] = field(default=("now", "adopt"))

    def row(self, key: str) -> EvidenceRow | None:
        """Return the row of ``key`` (None when absent)."""
        return next((r for r in self.rows if r.key == key), None)

    def against(self) -> tuple[EvidenceRow, ...]:
        """Return the rows that argue against the new target."""
        return tuple(r for r in self.rows if r.says == "against")

    def table(self) -> pd.DataFrame:
        """Measure x books as text, with what each row says (the decision page's table)."""
        rows = [{"measure": r.measure, **{BOOK_LABELS[b]: r.text(b) for b in self.books},
                 "says": r.says + (f": {r.note}" if r.note else ""), "what it measures": r.what} for r in self.rows]
        return pd.DataFrame(rows).set_index("measure")

    def to_json(self) -> dict[str, Any]:
        """Plain types: the books and every row."""
        return {"books": list(self.books), "rows": [r.to_json() for r in self.rows]}


def _window(view, tickers: list[str], days: int) -> pd.DataFrame:
    px = view.prices(tickers, last=days + 1)
    return simple_returns(px, fill="none").iloc[1:]


def _nan_measures(books: dict[str, pd.Series]) -> dict[str, dict[str, Any]]:
    nan = float("nan")
    return {b: {"vol": nan, "beta": nan, "beta_rolling": nan, "te_benchmark": nan, "var99": nan, "worst": nan,
                "worst_name": ""} for b in books}


def risk_measures(p, lh, books: dict[str, pd.Series]) -> dict[str, dict[str, Any]]:
    """Volatility, betas, TE to the benchmark, VaR and the worst episode of each book (fractions; see the docstring).

    Every measure is NaN when there are fewer than two daily returns to estimate it from.
    """
    prof, view, as_of = p.profile, lh.at(p.as_of), p.as_of
    bench, st, sen = prof.benchmark, prof.stress, prof.sensitivity
    assets = list(dict.fromkeys(a for w in books.values() for a in w.index if a != CASH and w[a] != 0))
    rets = _window(view, [*assets, bench], max(st.window_days, sen.window_days)).fillna(0.0)
    if len(rets) < 2 or not assets:
        return _nan_measures(books)
    cov = estimate_covariance(rets[assets].iloc[-st.window_days:], st.covariance, ewma_lambda=st.ewma_lambda)
    betas = asset_betas(rets[assets].iloc[-sen.window_days:], rets[bench].iloc[-sen.window_days:])
    vrets = _window(view, assets, st.var_window_days).fillna(0.0)
    closes = view.prices([*assets, bench])
    try:
        episodes = profile_episodes(prof)
    except ConfigError:  # no episodes file: the stress row says so (the risk report names the error)
        episodes = ()
    out = {}
    for name, w in books.items():
        wa = w.drop(CASH, errors="ignore").reindex(assets).fillna(0.0)
        port = rets[assets] @ wa
        rolled = rolling_beta(port, rets[bench], sen.rolling_days)
        worst = None
        for ep in episodes:
            r = replay_episode(ep, closes, w[w != 0], betas, benchmark=bench, as_of=as_of)
            if r.covered and (worst is None or r.peak_to_trough < worst.peak_to_trough):
                worst = r
        out[name] = {"vol": portfolio_volatility(wa, cov), "beta": portfolio_beta(wa, betas),
                     "beta_rolling": float(rolled.iloc[-1]) if len(rolled) else float("nan"),
                     "te_benchmark": float((port - rets[bench]).iloc[-st.window_days:].std(ddof=1)
                                           * math.sqrt(PERIODS_PER_YEAR)),
                     "var99": var_es(vrets @ wa, level=0.99, method="historical")[0] if len(vrets) > 1
                     else float("nan"),
                     "worst": worst.peak_to_trough if worst else float("nan"),
                     "worst_name": worst.episode.name if worst else ""}
    return out


def benefit_usd(p, weights: pd.Series) -> float:
    """Return the planner's benefit of moving to ``weights``: ½ λ H (TE²_now − TE²_after) x value (dollars).

    TE to the proposed allocation on the proposal's 252-session covariance (annual); λ and H are the
    profile's ``planner.risk_aversion`` and ``planner.horizon_years``.
    """
    cov = p.inputs.cov_annual
    assets = list(cov.index)
    t = p.proposed.drop(CASH, errors="ignore").reindex(assets).fillna(0.0).to_numpy()

    def te2(w: pd.Series) -> float:
        d = w.drop(CASH, errors="ignore").reindex(assets).fillna(0.0).to_numpy() - t
        return max(float(d @ cov.to_numpy() @ d), 0.0)

    k = p.profile.planner.risk_aversion * p.profile.planner.horizon_years
    return float(0.5 * k * (te2(p.current) - te2(weights)) * p.value)


def as_values(measures: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
    """Return the values of one measure by book."""
    return {b: m[key] for b, m in measures.items()}


def finite(x: Any) -> bool:
    """Whether ``x`` is a finite number."""
    return isinstance(x, (int, float, np.floating)) and math.isfinite(float(x))


def _says_beta(prof, m: dict[str, dict[str, Any]]) -> tuple[str, str]:
    sen = prof.sensitivity
    if not sen.defensive:
        return "neutral", "no limit (not defensive)"
    hi = {b: max(x["beta"], x["beta_rolling"]) if finite(x["beta_rolling"]) else x["beta"] for b, x in m.items()}
    if hi["adopt"] > sen.beta_limit and hi["adopt"] > hi["now"] + 1e-9:
        return "against", f"above the {sen.beta_limit:g} limit and higher than now"
    if hi["adopt"] > sen.beta_limit:
        return "neutral", f"above the {sen.beta_limit:g} limit, but lower than now"
    return "neutral", f"within the {sen.beta_limit:g} limit"


def _row(key: str, measure: str, what: str, values: dict, fmt: str, says: str = "neutral",
         note: str = "") -> EvidenceRow:
    return EvidenceRow(key, measure, what, values, fmt, says, note)


def build_evidence(p, m: dict[str, dict[str, Any]], obj, costs: dict[str, float], benefits: dict[str, float],
                   stability_text: str, unstable: bool, simulation: tuple[str, str],
                   tax: dict[str, float] | None = None) -> Evidence:
    """Assemble the rows (see the module docstring) from the measures ``m`` of :func:`risk_measures`.

    ``obj`` is the :class:`~rebal.decision.objective.Objective`; ``costs`` (trading costs) and ``benefits``
    are dollars by book; ``simulation`` is (its words, what it says); ``tax``: the estimated tax by book for
    a taxable account (None: tax-exempt), shown with the after-tax cost, which the benefit is then weighed
    against.
    """
    rs, prof = p.profile.proposal.recommendation, p.profile
    books = tuple(b for b in BOOKS if b in m)
    beta_says, beta_note = _says_beta(prof, m)
    var_up = bool(m["adopt"]["var99"] > m["now"]["var99"] * (1 + rs.var_tolerance))  # NaN compares False
    deeper = bool(m["adopt"]["worst"] < m["now"]["worst"] - rs.stress_tolerance)
    ep = m["adopt"]["worst_name"]
    pw_deeper = "partway" in m and bool(m["partway"]["worst"] < m["now"]["worst"] - rs.stress_tolerance)
    after_tax = {b: costs.get(b, 0.0) + (tax or {}).get(b, 0.0) for b in costs}
    net = {b: benefits.get(b, 0.0) - after_tax.get(b, 0.0) for b in books if b != "now"}
    obj_vals = {"now": obj.now, "adopt": obj.adopt, **({"partway": obj.partway} if obj.partway is not None else {})}
    objective_note = ("closer to the target" if obj.better else "no closer to the target") if obj.kind == "tracking" \
        else ("better beyond its noise" if obj.better else "not better beyond its noise")
    rows = [
        _row("objective", f"objective: {obj.name}", obj.basis, obj_vals, "num3" if obj.fmt == "num" else "pct",
             "for" if obj.better else "not significant" if obj.kind != "tracking" else "against",
             objective_note + (f" (z = {obj.z:+.2f})" if finite(obj.z) else "")),
        _row("volatility", f"ex-ante volatility, {prof.stress.window_days} sessions", f"{prof.stress.covariance} "
             f"covariance of {prof.stress.window_days} daily returns (the risk report's), annualised",
             as_values(m, "vol"), "pct"),
        _row("beta", f"beta, {prof.sensitivity.window_days} sessions", "OLS beta to the benchmark of today's weights",
             as_values(m, "beta"), "num2", beta_says, beta_note),
        _row("beta_rolling", f"beta, last {prof.sensitivity.rolling_days} sessions",
             "the beta report's rolling window", as_values(m, "beta_rolling"), "num2", beta_says, beta_note),
        _row("te_benchmark", "tracking error to the benchmark", f"{prof.benchmark}, {prof.stress.window_days} "
             "daily returns, annualised", as_values(m, "te_benchmark"), "pct"),
        _row("var99", "VaR 1 day 99 %", f"historical, {prof.stress.var_window_days} daily returns (a loss)",
             as_values(m, "var99"), "pct", "against" if var_up else "neutral",
             f"higher by more than {rs.var_tolerance:.0%}" if var_up else ""),
        _row("worst_episode", "worst stress episode", "peak-to-trough loss over the historical episodes",
             as_values(m, "worst"), "pct1", "against" if deeper else "neutral",
             (f"deeper ({ep})" if deeper else (f"{ep}" if ep else ""))
             + ("; the part-way book is deeper than now (it cannot be the recommendation)" if pw_deeper else "")),
        _row("cost", "trading cost ($)", "spread + commission + square-root impact of the trades", costs, "usd"),
        *([_row("tax", "estimated tax ($)", "tax on the gains the trades realise, the profile's rates (an estimate)",
                tax, "usd"),
           _row("after_tax_cost", "after-tax cost ($)", "trading cost + estimated tax", after_tax, "usd")]
          if tax is not None else []),
        _row("benefit", "planner's benefit ($)", "½ λ H (TE² now − TE² after) x value, TE to the proposal", benefits,
             "usd", "for" if max(net.values(), default=0.0) > 0 else "against",
             ("exceeds the " + ("after-tax " if tax is not None else "") + "cost") if max(net.values(), default=0.0) > 0
             else ("does not exceed the " + ("after-tax " if tax is not None else "") + "cost")),
        _row("stability", "target stability", "weekly turnover, weights on a bound, bootstrap spread",
             {"adopt": stability_text}, "pct", "against" if unstable else "neutral", "unstable" if unstable else ""),
        _row("simulation", "simulation (walk-forward vs the book as held)", "Sharpe difference ± SE, net of costs",
             {"adopt": simulation[0]}, "pct", simulation[1]),
    ]
    return Evidence(tuple(rows), books)
