"""Benchmark: HRP and mean-variance fits, rebal vs skfolio and PyPortfolioOpt, measured in the same run.

Data: SYNTHETIC daily returns (seeded one-factor model plus 11 sector factors, fat-ish tails
from a t(5) idiosyncratic term), N = 50, 200, 500 assets x 2,520 sessions (ten years); not
market data. For each N, the median of ``--repeat`` fits of:

- HRP: :class:`rebal.allocation.hrp.HRP` (covariance-only, Ward linkage) vs skfolio's
  ``HierarchicalRiskParity`` with the same linkage (goal: N = 500 in under 60 ms);
- max Sharpe and min variance, max 10 % per asset (20 % at N = 50), long only, from the same
  estimates everywhere: exponentially weighted means (half-life 126 sessions) and the Ledoit-Wolf
  covariance, annualised with 252 sessions:

  - rebal: :class:`rebal.allocation.mean_variance.MeanVariance` (``fit`` from returns);
  - skfolio: ``MeanRisk(MAXIMIZE_RATIO | MINIMIZE_RISK)`` with ``EWMu`` + ``LedoitWolf`` (cvxpy + Clarabel);
  - PyPortfolioOpt (the ``bench`` extra): ``ema_historical_return(span=...)`` with the span of the same
    half-life, ``CovarianceShrinkage.ledoit_wolf()``, then ``EfficientFrontier(solver=OSQP | CLARABEL)``
    ``.max_sharpe()`` / ``.min_volatility()`` (cvxpy);

  and, from the same μ and Σ arrays, the optimisation alone: rebal's QP
  (:func:`rebal.allocation.qp.mv_weights`) vs PyPortfolioOpt's ``EfficientFrontier`` with each solver.

Each row prints the medians, each peer's time / rebal's (> 1: rebal faster), the largest absolute
weight difference between the peer and rebal (the same optimum to the solvers' tolerance: HRP
~1e-12; mean-variance 1e-5-ish, the peers' solvers stopping at their default 1e-8 duality gap) and,
for mean-variance, how much worse the peer's weights are on rebal's μ and Σ (relative variance, or
relative Sharpe ratio; > 0: rebal's are better).
The load average is printed: the 2 cores may be shared. ``--threads`` caps the BLAS threads of
every library alike (default: as installed).

Usage: python benchmarks/bench_allocation.py [--sizes 50 200 500] [--days 2520] [--repeat 5] [--threads N]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
import warnings

import numpy as np
import pandas as pd

HALF_LIFE = 126


def synthetic_returns(n: int, days: int, seed: int = 7) -> pd.DataFrame:
    """Seeded SYNTHETIC daily returns: market + sector factors + t(5) idiosyncratic noise."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.011, days)
    sectors = rng.normal(0.0, 0.006, (days, 11))
    sector_of = rng.integers(0, 11, n)
    beta = rng.uniform(0.5, 1.5, n)
    idio = rng.standard_t(5, (days, n)) * rng.uniform(0.008, 0.025, n) / np.sqrt(5 / 3)
    drift = rng.normal(0.0002, 0.0002, n)
    r = market[:, None] * beta + sectors[:, sector_of] + idio + drift
    idx = pd.bdate_range("2015-01-02", periods=days)
    return pd.DataFrame(r, index=idx, columns=[f"SYN{i:04d}" for i in range(n)])


def timed(fn, repeat: int):
    """(median seconds of ``repeat`` calls, the last result)."""
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def pypfopt_weights(mu: pd.Series, cov: pd.DataFrame, objective: str, cap: float, solver: str) -> np.ndarray:
    from pypfopt import EfficientFrontier

    ef = EfficientFrontier(mu, cov, weight_bounds=(0, cap), solver=solver)
    ef.max_sharpe(risk_free_rate=0.0) if objective == "max_sharpe" else ef.min_volatility()
    return pd.Series(ef.clean_weights(cutoff=0.0, rounding=None)).reindex(mu.index).to_numpy(float)


def pypfopt_fit(X: pd.DataFrame, objective: str, cap: float, solver: str) -> np.ndarray:
    from pypfopt import expected_returns, risk_models

    alpha = 1 - 0.5 ** (1 / HALF_LIFE)  # the EW mean of half-life 126 as pandas' span
    mu = expected_returns.ema_historical_return(X, returns_data=True, compounding=False, span=2 / alpha - 1)
    cov = risk_models.CovarianceShrinkage(X, returns_data=True).ledoit_wolf()
    return pypfopt_weights(mu, cov, objective, cap, solver)


def skfolio_fit(X: pd.DataFrame, objective: str, cap: float) -> np.ndarray:
    from skfolio import RiskMeasure
    from skfolio.moments import EWMu, LedoitWolf
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    sk = ObjectiveFunction.MAXIMIZE_RATIO if objective == "max_sharpe" else ObjectiveFunction.MINIMIZE_RISK
    prior = EmpiricalPrior(mu_estimator=EWMu(half_life=HALF_LIFE), covariance_estimator=LedoitWolf())
    return MeanRisk(objective_function=sk, risk_measure=RiskMeasure.VARIANCE, prior_estimator=prior,
                    max_weights=cap).fit(X).weights_


def hrp_row(X: pd.DataFrame, repeat: int) -> tuple[float, float, float]:
    from skfolio import RiskMeasure
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.optimization import HierarchicalRiskParity
    from skfolio.seriation import HierarchicalSeriation

    from rebal.allocation.hrp import HRP

    t_ours, ours = timed(lambda: HRP(linkage="ward").fit(X).weights_.to_numpy(), repeat)
    t_ref, ref = timed(lambda: HierarchicalRiskParity(
        risk_measure=RiskMeasure.VARIANCE,
        seriation_estimator=HierarchicalSeriation(
            hierarchical_clustering_estimator=HierarchicalClustering(linkage_method=LinkageMethod.WARD),
            optimal_ordering=False)).fit(X).weights_, repeat)
    return t_ours, t_ref, float(np.abs(ours - ref).max())


def mean_variance_rows(X: pd.DataFrame, objective: str, cap: float, peers: list[str], repeat: int) -> float:
    """Print the rows of one objective; return the smallest peer / rebal time ratio."""
    from rebal.allocation.mean_variance import MeanVariance
    from rebal.allocation.qp import group_rows, mv_weights

    n = X.shape[1]
    t_ours, fitted = timed(lambda: MeanVariance(objective, max_weight=cap).fit(X), repeat)
    ours = fitted.weights_.to_numpy()
    mu, cov = fitted.mu_, fitted.covariance_
    m, S = mu.to_numpy(), cov.to_numpy()

    def worse(w: np.ndarray, ref: np.ndarray) -> float:
        """How much worse ``w`` is than ``ref`` on rebal's μ and Σ (relative; < 0: better)."""
        if objective == "min_variance":
            return (w @ S @ w) / (ref @ S @ ref) - 1
        return 1 - ((m @ w) / np.sqrt(w @ S @ w)) / ((m @ ref) / np.sqrt(ref @ S @ ref))

    print(f"{objective + ' rebal':<46} {n:>4} {t_ours:>9.4f}")
    fits = {"skfolio": lambda: skfolio_fit(X, objective, cap),
            "PyPortfolioOpt-OSQP": lambda: pypfopt_fit(X, objective, cap, "OSQP"),
            "PyPortfolioOpt-Clarabel": lambda: pypfopt_fit(X, objective, cap, "CLARABEL")}
    ratios = []
    for peer in peers:
        t, w = timed(fits[peer], repeat)
        ratios.append(t / t_ours)
        print(f"{objective + ' ' + peer:<46} {n:>4} {t:>9.4f} {t / t_ours:>10.1f}x {np.abs(w - ours).max():>9.1e} "
              f"{worse(w, ours):>+10.1e}")
    # the optimisation alone, from the same μ and Σ
    Gs, caps, _ = group_rows(list(cov.index), {}, {})
    t_qp, w_qp = timed(lambda: mv_weights(objective, m, S, 0.0, cap, Gs, caps), repeat)
    print(f"{'  optimisation alone: rebal':<46} {n:>4} {t_qp:>9.4f}")
    for peer, solver in (("PyPortfolioOpt-OSQP", "OSQP"), ("PyPortfolioOpt-Clarabel", "CLARABEL")):
        if peer in peers:
            t, w = timed(lambda s=solver: pypfopt_weights(mu, cov, objective, cap, s), repeat)
            ratios.append(t / t_qp)
            print(f"{'  optimisation alone: ' + peer:<46} {n:>4} {t:>9.4f} {t / t_qp:>10.1f}x "
                  f"{np.abs(w - w_qp).max():>9.1e} {worse(w, w_qp):>+10.1e}")
    return min(ratios)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    ap.add_argument("--days", type=int, default=2520)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="cap BLAS threads (threadpoolctl) for every library")
    args = ap.parse_args()

    try:
        import pypfopt  # noqa: F401
        peers = ["skfolio", "PyPortfolioOpt-OSQP", "PyPortfolioOpt-Clarabel"]
    except ImportError:
        print("PyPortfolioOpt not installed (pip install -e '.[bench]'): skfolio only")
        peers = ["skfolio"]
    limit = contextlib.nullcontext()
    if args.threads:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.threads)
    warnings.simplefilter("ignore")
    print(f"SYNTHETIC returns (seeded factor model, not market data), {args.days} sessions; median of {args.repeat} fits; "
          f"BLAS threads {'as installed' if not args.threads else args.threads}")
    print(f"start: {load()}")
    ahead = {}
    with limit:
        for n in args.sizes:
            X = synthetic_returns(n, args.days)
            cap = 0.20 if n <= 50 else 0.10
            print(f"\nN = {n} (max weight {cap:.0%})")
            print(f"{'fit':<46} {'N':>4} {'seconds':>9} {'peer/rebal':>11} {'max |Δw|':>9} {'objective':>10}")
            t_ours, t_ref, d = hrp_row(X, args.repeat)
            print(f"{'HRP (ward) rebal':<46} {n:>4} {t_ours:>9.4f}")
            print(f"{'HRP (ward) skfolio':<46} {n:>4} {t_ref:>9.4f} {t_ref / t_ours:>10.1f}x {d:>9.1e}")
            for obj in ("max_sharpe", "min_variance"):
                ahead[(obj, n)] = mean_variance_rows(X, obj, cap, peers, args.repeat)
    print(f"\nend: {load()}")
    for (obj, n), r in ahead.items():
        if n == max(args.sizes):
            print(f"goal: {obj} at N = {n} ahead of {', '.join(peers)} (fit and optimisation alone): "
                  f"{'met' if r > 1 else 'NOT met'} (closest peer {r:.1f}x rebal's time)")
    print("goal: HRP at N = 500 under 0.060 s")


if __name__ == "__main__":
    main()
