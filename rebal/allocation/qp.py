"""The quadratic programmes of mean-variance, solved with Clarabel, and a working set of assets for large N.

Formulations (constraints: fully invested, ``lo <= w_i <= hi``, sector rows ``Gs w <= caps``):

- ``min_variance``: min wᵀΣw (P = 2Σ);
- ``max_utility``: max μᵀw - (δ/2) wᵀΣw (P = δΣ, q = -μ); with ``target_return``, min-variance
  with μᵀw >= target;
- ``max_sharpe``: the Cornuejols-Tütüncü change of variables y = κw: min yᵀΣy s.t.
  (μ - r_f)ᵀy = 1, Σy = κ, κ·lo <= y <= κ·hi, sector rows scaled by κ; w = y / κ.

Working set (min variance and max Sharpe with ``lo = 0`` above :data:`WORKING_SET_MIN_ASSETS`
assets): a long-only optimum holds few assets (at N = 500 typically 30-100), and an interior-point
solver on all N pays for a dense N x N factorisation each iteration. So the QP is solved on a
working set J of assets, the others held at 0: J starts with the assets most attractive against
the equal-weight portfolio (smallest covariance with it for min variance; largest excess return
per unit of it for max Sharpe), and after each solve the optimality (KKT) condition of every
asset left out is checked with the solver's multipliers: its reduced cost (Pw + q + Aᵀz)_i, the
multiplier its lower bound w_i >= 0 would need, must be >= 0. Assets that fail join J and the QP is
solved again; when none fails, the solution is optimal for all N assets. The working-set QPs are
small, so they are solved to 1e-10 (Clarabel's default is 1e-8) and then polished: with the binding
constraints as equalities the optimum is one linear (KKT) system, solved exactly and kept when it is
feasible with multipliers of the right sign, so the weights are the exact optimum to rounding where
the one-shot solve of all N assets stops up to ~1e-5 away in weight. Below the threshold the one-shot solve is
kept as it was (a few milliseconds there; its numbers are those of the recorded sample week).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

import numpy as np
import scipy.sparse as sp

from rebal.errors import DataError

__all__ = ["solve_qp", "group_rows", "mv_weights", "WORKING_SET_MIN_ASSETS", "WORKING_SET_TOL"]
Objective = Literal["min_variance", "max_sharpe", "max_utility"]

#: Above this many assets, min variance and max Sharpe (with ``lo = 0``) use a working set.
WORKING_SET_MIN_ASSETS = 100
#: Clarabel's gap and feasibility tolerances for the working-set QPs.
WORKING_SET_TOL = 1e-10


def _clarabel(P: np.ndarray, q: np.ndarray, A_eq: np.ndarray, b_eq: np.ndarray, G: np.ndarray, h: np.ndarray,
              tol: float | None = None):
    import clarabel

    n = len(q)
    A = sp.csc_matrix(np.vstack([A_eq.reshape(-1, n), G.reshape(-1, n)]))
    b = np.concatenate([b_eq, h])
    cones = []
    if len(b_eq):
        cones.append(clarabel.ZeroConeT(len(b_eq)))
    if len(h):
        cones.append(clarabel.NonnegativeConeT(len(h)))
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    if tol is not None:
        settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tol
    P_upper = sp.triu(sp.csc_matrix(P), format="csc")
    solver = clarabel.DefaultSolver(P_upper, np.asarray(q, float), A, b, cones, settings)
    return solver.solve()


def solve_qp(P: np.ndarray, q: np.ndarray, A_eq: np.ndarray, b_eq: np.ndarray, G: np.ndarray, h: np.ndarray,
             *, what: str = "optimisation") -> np.ndarray:
    """Solve min ½xᵀPx + qᵀx s.t. A_eq x = b_eq, G x <= h with Clarabel (default tolerances).

    Returns
    -------
    numpy.ndarray
        The solution x.

    Raises
    ------
    DataError
        The solver did not reach Solved or AlmostSolved (``what`` names the problem).
    """
    sol = _clarabel(P, q, A_eq, b_eq, G, h)
    status = str(sol.status)
    if "Solved" not in status:  # Solved or AlmostSolved
        raise DataError(f"{what}: the solver did not converge ({status}); check the bounds and sector caps")
    return np.asarray(sol.x, dtype=float)


def group_rows(assets: list[str], groups: Mapping[str, str] | None,
               caps: Mapping[str, float] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Sector rows: (G x N membership 0/1, G caps, G group names) of the groups that have members."""
    if not caps:
        return np.zeros((0, len(assets))), np.zeros(0), []
    groups = groups or {}
    rows, limits, names = [], [], []
    for g, cap in caps.items():
        member = np.array([groups.get(a) == g for a in assets], dtype=float)
        if member.any():
            rows.append(member)
            limits.append(cap)
            names.append(g)
    return (np.array(rows) if rows else np.zeros((0, len(assets)))), np.array(limits, float), names


@dataclass
class _QP:
    """One formulation: min ½xᵀPx + qᵀx s.t. A_eq x = b_eq, G x <= h; the sector rows of G start at ``sectors``."""

    P: np.ndarray
    q: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray
    G: np.ndarray
    h: np.ndarray
    sectors: int


def _formulate(objective: Objective, mu: np.ndarray, cov: np.ndarray, lo: float, hi: float, Gs: np.ndarray,
               caps: np.ndarray, risk_free: float, risk_aversion: float, target_return: float | None) -> _QP:
    n = len(mu)
    eye = np.eye(n)
    if objective == "max_sharpe":
        ex = mu - risk_free
        # variables x = [y, κ]
        P = np.zeros((n + 1, n + 1))
        P[:n, :n] = 2.0 * cov
        A_eq = np.vstack([np.r_[ex, 0.0], np.r_[np.ones(n), -1.0]])
        b_eq = np.array([1.0, 0.0])
        G = [np.hstack([eye, -hi * np.ones((n, 1))]), np.hstack([-eye, lo * np.ones((n, 1))]),
             np.r_[np.zeros(n), -1.0][None, :]]
        if len(Gs):
            G.append(np.hstack([Gs, -caps[:, None]]))
        G = np.vstack(G)
        return _QP(P, np.zeros(n + 1), A_eq, b_eq, G, np.zeros(len(G)), 2 * n + 1)
    P = 2.0 * cov if objective == "min_variance" else risk_aversion * cov
    q = np.zeros(n) if objective == "min_variance" else -mu
    G = [eye, -eye]
    h = [np.full(n, hi), np.full(n, -lo)]
    if len(Gs):
        G.append(Gs)
        h.append(caps)
    if target_return is not None:
        G.append(-mu[None, :])
        h.append(np.array([-target_return]))
    return _QP(P, q, np.ones((1, n)), np.array([1.0]), np.vstack(G), np.concatenate(h), 2 * n)


def _weights(objective: Objective, x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] / x[n] if objective == "max_sharpe" else x[:n]


def mv_weights(objective: Objective, mu: np.ndarray, cov: np.ndarray, lo: float, hi: float, Gs: np.ndarray,
               caps: np.ndarray, *, risk_free: float = 0.0, risk_aversion: float = 2.5,
               target_return: float | None = None) -> np.ndarray:
    """Optimal weights of one mean-variance problem (see the module docstring).

    Parameters
    ----------
    objective : {"min_variance", "max_sharpe", "max_utility"}
        What is optimised.
    mu, cov : numpy.ndarray
        Annual expected returns (N,) and covariance (N, N).
    lo, hi : float
        Bounds on every weight (fractions); a negative ``lo`` allows shorts (long-short).
    Gs, caps : numpy.ndarray
        Sector rows (G, N) of 0/1 and their caps (G,) (:func:`group_rows`).
    risk_free : float
        Annual risk-free rate, for ``max_sharpe``.
    risk_aversion : float
        δ of ``max_utility``.
    target_return : float or None
        Minimum expected return (``min_variance`` on the frontier).

    Returns
    -------
    numpy.ndarray
        Weights summing to 1; weights within 1e-9 of 0 are set to 0 (a short position is kept).

    Raises
    ------
    DataError
        ``max_sharpe`` with no asset above the risk-free rate, or a solver failure.
    """
    n = len(mu)
    if objective == "max_sharpe" and lo >= 0 and (mu - risk_free).max() <= 0:
        raise DataError("max_sharpe: no asset's expected return exceeds the risk-free rate; "
                        "use min_variance or a lower risk_free_rate")
    if objective != "max_utility" and target_return is None and lo == 0.0 and n > WORKING_SET_MIN_ASSETS:
        w = _working_set(objective, mu, cov, hi, Gs, caps, risk_free)
    else:
        qp = _formulate(objective, mu, cov, lo, hi, Gs, caps, risk_free, risk_aversion, target_return)
        x = solve_qp(qp.P, qp.q, qp.A_eq, qp.b_eq, qp.G, qp.h, what=objective)
        if objective == "max_sharpe" and not x[n] > 1e-12:
            raise DataError("max_sharpe: no portfolio within the bounds has an expected return above the "
                            "risk-free rate; use min_variance or a lower risk_free_rate")
        w = _weights(objective, x, n)
    w = np.where(np.abs(w) < 1e-9, 0.0, w)  # solver noise only: a short position is kept as it is
    return w / w.sum()


def _polish(qp: _QP, x: np.ndarray, z: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Refine an interior-point solution on its active set (as OSQP's polishing does).

    The inequality rows whose multiplier exceeds their slack are taken as binding; the QP with those
    rows as equalities is one linear (KKT) system, solved exactly: [P Aᵀ; A 0] [x; z] = [-q; b]. A row
    the refined point violates joins the set and a binding row with a negative multiplier leaves it
    (a few rounds, for the near-degenerate rows an interior point cannot tell apart). The refined
    point is kept when it is feasible with multipliers of the right sign, i.e. it is the optimum to
    rounding; otherwise the solver's point is returned unchanged.
    """
    n_eq, n = len(qp.b_eq), len(x)
    act = z[n_eq:] > s[n_eq:]
    for _ in range(5):
        A = np.vstack([qp.A_eq, qp.G[act]])
        K = np.block([[qp.P, A.T], [A, np.zeros((len(A), len(A)))]])
        rhs = np.concatenate([-qp.q, qp.b_eq, qp.h[act]])
        try:
            sol = np.linalg.solve(K, rhs)
        except np.linalg.LinAlgError:
            return x, z
        if not (np.isfinite(sol).all() and np.abs(K @ sol - rhs).max() <= 1e-9 * max(1.0, float(np.abs(rhs).max()))):
            return x, z
        xp, zp = sol[:n], sol[n:]
        z_act = np.zeros(len(act))
        z_act[act] = zp[n_eq:]
        over = ~act & (qp.G @ xp > qp.h + 1e-12 * max(1.0, float(np.abs(xp).max())))
        negative = act & (z_act < -1e-9 * max(1.0, float(np.abs(zp).max())))
        if not (over.any() or negative.any()):
            return xp, np.concatenate([zp[:n_eq], z_act])
        act = (act | over) & ~negative
    return x, z


def _working_set(objective: Objective, mu: np.ndarray, cov: np.ndarray, hi: float, Gs: np.ndarray,
                 caps: np.ndarray, risk_free: float) -> np.ndarray:
    """Weights of min variance / max Sharpe with lo = 0 solved on a working set of assets."""
    n = len(mu)
    ex = mu - risk_free
    ew = cov.sum(axis=1)  # N x covariance with the equal-weight portfolio
    score = -ew if objective == "min_variance" else ex / np.maximum(np.abs(ew), 1e-300)
    size = min(n, max(int(np.ceil(2.0 / hi)), n // 10))  # at least twice what the cap needs
    J = np.sort(np.argsort(-score, kind="stable")[:size])
    while True:
        m = len(J)
        qp = _formulate(objective, mu[J], cov[np.ix_(J, J)], 0.0, hi, Gs[:, J], caps, risk_free, 2.5, None)
        sol = _clarabel(qp.P, qp.q, qp.A_eq, qp.b_eq, qp.G, qp.h, tol=WORKING_SET_TOL)
        status = str(sol.status)
        if "Solved" not in status:
            if m < n:  # e.g. the sector caps leave too little room in J: all assets
                J = np.arange(n)
                continue
            raise DataError(f"{objective}: the solver did not converge ({status}); check the bounds and sector caps")
        x, z = _polish(qp, np.asarray(sol.x, float), np.asarray(sol.z, float), np.asarray(sol.s, float))
        out = np.setdiff1d(np.arange(n), J, assume_unique=True)
        if not len(out):
            break
        # reduced cost of each asset held at 0: (Pw + q + Aᵀz)_i over the rows it would enter
        grad = 2.0 * cov[np.ix_(out, J)] @ x[:m]
        n_eq = len(qp.b_eq)
        r = grad + (z[0] if objective == "min_variance" else ex[out] * z[0] + z[1])
        if len(caps):
            r = r + Gs[:, out].T @ z[n_eq + qp.sectors:n_eq + qp.sectors + len(caps)]
        scale = np.abs(2.0 * cov[np.ix_(J, J)] @ x[:m]).max() + abs(z[0])
        fail = out[r < -1e-9 * scale]
        if not len(fail):
            break
        J = np.union1d(J, fail)
    w = np.zeros(n)
    w[J] = _weights(objective, x, m)
    return w
