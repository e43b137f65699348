r"""A profile's own objective, current book vs proposed, with its estimation error.

The measure comes from the allocation method (:attr:`rebal.allocation.registry.Method.objective`),
evaluated with the inputs the target was fitted on (its lookback window, its fitted model) on the
invested weights (cash earns nothing):

- ``variance`` (min-variance, HRP): ex-ante volatility sqrt(wᵀΣw), Σ the Ledoit-Wolf covariance of
  the lookback window, annualised. The difference of two portfolios' variances is the covariance of
  x = r_new − r_now and y = r_new + r_now; its standard error from the T daily returns of the window is
  sd((x − x̄)(y − ȳ)) / sqrt(T) (the SE of a sample covariance), annualised x 252; z = Δvar / SE.
- ``sharpe`` (max-Sharpe): ex-ante Sharpe (μᵀw − r_f) / sqrt(wᵀΣw) on the fitted means μ (trailing
  exponentially weighted means, half-life h: estimates, not forecasts) and covariance. Its estimation
  error is that of μ: with EW weights a^k (a = 2^{−1/h}, k = 0..T−1) the effective sample size is
  n = (Σa^k)² / Σa^{2k}, Var(μ̂) = 252 Σ / n (annual), and by the delta method
  SE(S_new − S_now) = sqrt(gᵀ (252 Σ / n) g), g = w_new / σ_new − w_now / σ_now.
- ``utility`` (Black-Litterman): U(w) = μ_BLᵀw − (δ / 2) wᵀΣ_BL w; the error of μ_BL is its posterior
  covariance M = Σ_BL − Σ (Σ the Ledoit-Wolf prior covariance), so SE(ΔU) = sqrt(dᵀ M d), d = w_new − w_now.
- ``tracking`` (a rule's target: fixed, equal weight, inverse volatility, Risk4, skfolio): the
  tracking error to the proposed allocation (the 252-session covariance of the proposal); being at the
  target is the objective, so there is no estimation error to weigh.

"Better" means better beyond ``proposal.noise_z`` standard errors (for ``tracking``: any reduction).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rebal.allocation.registry import METHODS
from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import ledoit_wolf
from rebal.data.lakehouse import CASH

__all__ = ["Objective", "objective", "ew_effective_n", "variance_difference"]

_NAMES = {"variance": "ex-ante volatility on the fitted returns",
          "sharpe": "ex-ante Sharpe ratio on trailing EW means (not forecasts)",
          "utility": "Black-Litterman utility μᵀw − δ/2 wᵀΣw",
          "tracking": "tracking error to the target"}
_SHORT = {"variance": "ex-ante volatility", "sharpe": "ex-ante Sharpe", "utility": "utility",
          "tracking": "tracking error to the target"}
_HIGHER_IS_BETTER = {"variance": False, "sharpe": True, "utility": True, "tracking": False}


@dataclass(frozen=True)
class Objective:
    """The objective of each book (``now``, ``adopt``, ``partway``; None where there is no such book).

    ``z`` is the (adopt − now) difference in its standard errors (NaN without one); ``better`` whether
    the adopted target is better beyond the noise; ``fmt`` how to show a value (``pct`` or ``num``).
    """

    kind: str
    name: str
    now: float
    adopt: float
    partway: float | None
    difference: float
    se: float
    z: float
    better: bool
    basis: str
    fmt: str

    def words(self, noise_z: float) -> str:
        """Return the comparison in one line, with the noise in words."""
        show = (lambda v: f"{v:.2%}") if self.fmt == "pct" else (lambda v: f"{v:.3f}")
        text = f"{_SHORT[self.kind]} {show(self.now)} → {show(self.adopt)}"
        if self.kind == "tracking":
            return text + (" (closer to the target)" if self.better else " (no closer to the target)")
        sig = math.isfinite(self.z) and abs(self.z) > noise_z
        size = f"{abs(self.difference) * 100:.2f} points" if self.fmt == "pct" else f"{abs(self.difference):.3f}"
        direction = "higher" if self.difference > 0 else "lower"
        return text + f" ({size} {direction}, z = {self.z:+.2f}: " + ("significant" if sig else "not significant") + ")"


def ew_effective_n(n: int, half_life: float) -> float:
    """Effective number of observations of an exponentially weighted mean: (Σa^k)² / Σa^{2k}, a = 2^(−1/h)."""
    a = 0.5 ** (1.0 / half_life)
    k = np.arange(n)
    return float((a ** k).sum() ** 2 / (a ** (2 * k)).sum())


def variance_difference(r_new: pd.Series, r_now: pd.Series) -> tuple[float, float]:
    """(Var(r_new) − Var(r_now), its standard error), daily units, from the paired daily returns."""
    x, y = (r_new - r_now).to_numpy(float), (r_new + r_now).to_numpy(float)
    prod = (x - x.mean()) * (y - y.mean())
    n = len(prod)
    return float(prod.sum() / (n - 1)), float(prod.std(ddof=1) / math.sqrt(n))


def _invested(w: pd.Series, assets: list[str]) -> np.ndarray:
    return w.drop(CASH, errors="ignore").reindex(assets).fillna(0.0).to_numpy(float)


def _lookback(p, lh) -> pd.DataFrame | None:
    """Return the daily returns the target was fitted on (its lookback window), None when incomplete."""
    spec = p.profile.target
    px = lh.at(p.as_of).prices(list(p.profile.tickers)).iloc[-(spec.lookback_days + 1):]
    r = simple_returns(px, fill="none").iloc[1:]
    return r if len(r) == spec.lookback_days and not r.isna().any().any() else None


def _values(kind: str, p, books: dict[str, pd.Series], rets: pd.DataFrame | None):
    """(value by book, SE of adopt − now) of the objective ``kind``."""
    m = p.target_model
    if kind == "tracking" or rets is None and kind == "variance":
        assets = list(p.inputs.cov_annual.index)
        cov, t = p.inputs.cov_annual.to_numpy(), _invested(p.proposed, assets)
        vals = {k: math.sqrt(max((d := _invested(w, assets) - t) @ cov @ d, 0.0)) for k, w in books.items()}
        return vals, float("nan")
    if kind == "variance":
        assets = list(rets.columns)
        cov = ledoit_wolf(rets.to_numpy(float))[0] * PERIODS_PER_YEAR
        vals = {k: math.sqrt(max(_invested(w, assets) @ cov @ _invested(w, assets), 0.0)) for k, w in books.items()}
        port = {k: rets @ _invested(books[k], assets) for k in ("now", "adopt")}
        _, se = variance_difference(port["adopt"], port["now"])
        return vals, se * PERIODS_PER_YEAR
    if kind == "sharpe":
        assets, mu, cov = list(m.mu_.index), m.mu_.to_numpy(float), m.covariance_.to_numpy(float)
        rf = p.profile.target.risk_free_rate
        ws = {k: _invested(w, assets) for k, w in books.items()}
        sd = {k: math.sqrt(max(w @ cov @ w, 0.0)) for k, w in ws.items()}
        vals = {k: (mu @ w - rf) / sd[k] for k, w in ws.items()}
        n_eff = ew_effective_n(p.profile.target.lookback_days, p.profile.target.half_life)
        g = ws["adopt"] / sd["adopt"] - ws["now"] / sd["now"]
        return vals, math.sqrt(max(g @ (PERIODS_PER_YEAR * cov / n_eff) @ g, 0.0))
    r = m.result_  # utility
    assets = list(r.posterior_returns.index)
    mu, cov_bl = r.posterior_returns.to_numpy(float), r.posterior_cov.to_numpy(float)
    prior = ledoit_wolf(rets[assets].to_numpy(float))[0] * PERIODS_PER_YEAR if rets is not None else cov_bl
    delta = p.profile.target.black_litterman.delta
    vals = {k: float(mu @ (w := _invested(b, assets)) - 0.5 * delta * w @ cov_bl @ w) for k, b in books.items()}
    d = _invested(books["adopt"], assets) - _invested(books["now"], assets)
    return vals, math.sqrt(max(d @ (cov_bl - prior) @ d, 0.0))


def objective(p, lh, noise_z: float) -> Objective:
    """Evaluate the profile's objective on the current book, the proposal and its part-way trade.

    ``p`` is the :class:`~rebal.proposal.build.Proposal`, ``lh`` the lakehouse (the lookback returns).
    """
    kind = METHODS[p.profile.target.method].objective
    if kind in ("sharpe", "utility") and p.target_model is None:
        kind = "tracking"
    books = {"now": p.current, "adopt": p.proposed}
    if p.partway is not None and len(p.partway.trades.trades):
        books["partway"] = p.partway.weights
    rets = _lookback(p, lh) if kind in ("variance", "utility") else None
    if kind in ("variance", "utility") and rets is None:
        kind = "tracking"
    vals, se = _values(kind, p, books, rets)
    diff = vals["adopt"] - vals["now"]
    z = diff / se if se and math.isfinite(se) and se > 0 else float("nan")
    if kind == "variance":  # judged on the variance: z of Δvar, with Δvar = σ_new² − σ_now²
        dvar = vals["adopt"] ** 2 - vals["now"] ** 2
        z = dvar / se if se and math.isfinite(se) and se > 0 else float("nan")
    up = _HIGHER_IS_BETTER[kind]
    better = (diff < -1e-12) if kind == "tracking" else (math.isfinite(z) and (z > noise_z if up else z < -noise_z))
    basis = {"variance": f"Ledoit-Wolf covariance of the {p.profile.target.lookback_days} returns the target was "
                         "fitted on; z of the variance difference from the same daily returns",
             "sharpe": f"the fitted means and covariance ({p.profile.target.lookback_days} sessions, half-life "
                       f"{p.profile.target.half_life:g}); ± the sampling error of the means",
             "utility": "posterior means and covariance; ± the posterior uncertainty of the means",
             "tracking": "252-session covariance; the target is the objective (no estimation error weighed)"}[kind]
    return Objective(kind, _NAMES[kind], vals["now"], vals["adopt"], vals.get("partway"), diff, se, z, bool(better),
                     basis, "num" if kind in ("sharpe", "utility") else "pct")
