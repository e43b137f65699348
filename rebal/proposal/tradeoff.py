r"""How far to trade towards a target: one convex problem, solved with Clarabel.

Single-period trade-off between staying away from the target and paying to trade (the single-period
optimisation of cvxportfolio, Boyd et al. 2017, with the planner's terms). With c the current weights,
t the target, w the weights after trading and z = w − c the trade (fractions of portfolio value):

.. math::

    \min_w \; \tfrac12 \lambda H (w - t)^\top \Sigma (w - t)
           + \sum_i a_i |z_i| + \sum_i b_i |z_i|^{3/2} + \sum_i s_i (z_i)^- + \sum_i u_i (z_i)^+

- the first term is the planner's benefit B = ½ λ H TE² left on the table (λ = ``planner.risk_aversion``,
  H = ``planner.horizon_years``, Σ annualised), so "keep" costs B and "adopt" costs nothing here;
- a_i: spread + commission, a fraction of the traded value (:func:`rebal.analytics.costs.estimate_costs`);
- b_i |z_i|^{3/2}: square-root impact. A trade of T dollars costs T · Y σ_i sqrt(T / ADV_i); with
  T = |z_i| V that is Y σ_i sqrt(V / ADV_i) |z_i|^{3/2} of value, so b_i = Y σ_i sqrt(V / ADV_i);
- s_i, u_i: extra costs per unit of value sold and bought (default zero). This is where another
  cost enters the same problem, e.g. the tax on realised gains of a sale (:class:`TradeCosts`).
  They must be >= 0 (a negative cost would make the relaxation below loose).

Subject to the hard limits (each asset <= ``max_single``, each correlated cluster <= ``max_cluster``,
all assets <= ``max_total``, cash >= 0, long only) and, optionally, the **box towards the target**:
every weight, cash included, moves from c_i towards t_i and never past it or away from it.

Special cases (each has a test): with no costs the optimum is the target; with λH = 0 it is the
current book when that meets the limits; with one asset, linear costs and cash the optimum is the
edge of the no-trade band |w − t| <= a / (λ H σ²); the **remedial trade** (the smallest trades by
value that bring the holdings within every hard limit, moving towards the target) is λH = 0 with
a_i = 1 and the box, and ties are then broken by the costs and the tracking error (a second solve
with the traded value held at its minimum).

Formulation: z = p − q with p, q >= 0 (bought and sold); |z_i|^{3/2} <= r_i through the power cones
(r_i, 1, p_i) and (r'_i, 1, q_i) in K_pow(2/3) = {(x, y, z): x^{2/3} y^{1/3} >= |z|}. The objective is
scaled to basis points of value for the solver.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rebal.data.lakehouse import CASH
from rebal.errors import DataError

__all__ = ["TradeCosts", "Tradeoff", "solve_tradeoff", "remedial_weights", "LIMIT_MARGIN"]

#: Hard limits are met with this margin (a fraction of value, 0.01 point) so that whole shares and costs land inside.
LIMIT_MARGIN = 1e-4
_SCALE = 1e4  # objective in bps of value
_TOL = 1e-11  # Clarabel's gap and feasibility tolerances (its default 1e-8 leaves weights ~1e-5 from the optimum)


@dataclass(frozen=True)
class TradeCosts:
    """Per-asset cost coefficients of a weight change z (fractions of portfolio value, see the module docstring).

    Attributes
    ----------
    linear
        a_i: spread + commission (and anything else proportional), fraction of the traded value.
    impact
        b_i = Y σ_i sqrt(V / ADV_i): the square-root impact coefficient in value terms (0: none).
    sell, buy
        Extra costs per unit of value sold / bought (fractions, >= 0), default zero: the hook for a
        tax on realised gains (sell) or a stamp duty (buy).
    """

    linear: pd.Series
    impact: pd.Series
    sell: pd.Series | None = None
    buy: pd.Series | None = None

    def coefficients(self, assets: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return (a, b, s, u) over ``assets`` (missing assets cost nothing); raises on a negative coefficient."""
        out = []
        for name, s in (("linear", self.linear), ("impact", self.impact), ("sell", self.sell), ("buy", self.buy)):
            v = np.zeros(len(assets)) if s is None else s.reindex(list(assets)).fillna(0.0).to_numpy(float)
            if (v < 0).any() or not np.isfinite(v).all():
                raise ValueError(f"TradeCosts.{name}: every coefficient must be a finite number >= 0")
            out.append(v)
        return tuple(out)  # type: ignore[return-value]

    def of(self, z: pd.Series) -> pd.Series:
        """Cost of the weight change ``z`` by asset, a fraction of portfolio value."""
        a, b, s, u = self.coefficients(list(z.index))
        x = z.to_numpy(float)
        cost = a * np.abs(x) + b * np.abs(x) ** 1.5 + s * np.maximum(-x, 0.0) + u * np.maximum(x, 0.0)
        return pd.Series(cost, index=z.index)

    def with_extra(self, *, sell: pd.Series | None = None, buy: pd.Series | None = None) -> TradeCosts:
        """Add extra per-unit costs (e.g. tax) to these; returns a new :class:`TradeCosts`."""
        def add(old, new):
            if new is None:
                return old
            return new if old is None else old.add(new, fill_value=0.0)
        return TradeCosts(self.linear, self.impact, add(self.sell, sell), add(self.buy, buy))


@dataclass(frozen=True)
class Tradeoff:
    """The optimum of :func:`solve_tradeoff` (fractions of portfolio value).

    ``weights`` are the assets' weights after trading (cash = 1 − their sum); ``trade`` = weights −
    current; ``tracking`` is ½ λ H TE² of the weights to the target, ``cost`` the trading cost
    (both fractions of value) and ``te_before`` / ``te_after`` the tracking errors (annualised).
    """

    weights: pd.Series
    trade: pd.Series
    tracking: float
    cost: float
    te_before: float
    te_after: float
    status: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def traded(self) -> float:
        """Two-way traded value Σ|z_i|, a fraction of portfolio value (buys plus sells)."""
        return float(self.trade.abs().sum())

    @property
    def te_removed(self) -> float:
        """Share of the tracking error variance to the target removed, 1 − TE_after² / TE_before² (0 when none)."""
        return 0.0 if self.te_before <= 0 else 1.0 - (self.te_after / self.te_before) ** 2


def _te2(x: np.ndarray, cov: np.ndarray) -> float:
    return max(float(x @ cov @ x), 0.0)


def _rows(n: int, idx: np.ndarray, coef: float = 1.0) -> np.ndarray:
    r = np.zeros(n)
    r[idx] = coef
    return r


def _limit_rows(c: np.ndarray, t: np.ndarray, limits, clusters_idx: list[np.ndarray], box: bool, cap: float | None,
                margin: float, bounds: dict[int, tuple[float, float]] | None = None
                ) -> tuple[list[np.ndarray], list[float]]:
    """Rows G [p; q] <= h of the linear constraints (see the module docstring).

    With the box, a limit less its margin is never set below the lowest sum the box allows (a target
    at its limit stays reachable).
    """
    n = len(c)
    rows, h = [], []
    low = np.minimum(c, t) if box else np.zeros(n)

    def add(row_p: np.ndarray, row_q: np.ndarray, rhs: float) -> None:
        rows.append(np.concatenate([row_p, row_q]))
        h.append(rhs)

    def cap_of(limit: float, idx) -> float:  # the margin gives way to the box, the limit never does
        return max(limit - margin, min(float(low[idx].sum()), limit)) - float(c[idx].sum())

    eye = np.eye(n)
    for i in range(n):
        add(-eye[i], 0 * eye[i], 0.0)                 # p >= 0
        add(0 * eye[i], -eye[i], 0.0)                 # q >= 0
        add(-eye[i], eye[i], c[i])                    # w >= 0
        if limits is not None:
            add(eye[i], -eye[i], cap_of(limits.max_single, [i]))
        if box:
            up = t[i] >= c[i]
            add(0 * eye[i], eye[i], 0.0) if up else add(eye[i], 0 * eye[i], 0.0)
            add(eye[i], 0 * eye[i], t[i] - c[i]) if up else add(0 * eye[i], eye[i], c[i] - t[i])
    ones = np.ones(n)
    if limits is not None:
        for idx in clusters_idx:
            add(_rows(n, idx), -_rows(n, idx), cap_of(limits.max_cluster, idx))
        # the total's reach under the box is set by cash, which moves between 1 - Σc and 1 - Σt
        floor = min(float(c.sum()), float(t.sum()), limits.max_total) if box else 0.0
        add(ones, -ones, max(limits.max_total - margin, floor) - float(c.sum()))
    add(ones, -ones, 1.0 - float(c.sum()))            # cash >= 0
    if box:  # cash moves towards its target too: between 1 - Σc and 1 - Σt
        lo_sum, hi_sum = sorted((float(c.sum()), float(t.sum())))
        add(ones, -ones, hi_sum - float(c.sum()))
        add(-ones, ones, float(c.sum()) - lo_sum)
    if cap is not None:
        add(ones, ones, cap)
    for i, (lo, hi) in (bounds or {}).items():  # per-asset bounds on the weight after trading
        add(-eye[i], eye[i], c[i] - lo)
        add(eye[i], -eye[i], hi - c[i])
    return rows, h


def _solve(c, t, e, cov, k, a, b, s, u, limits, clusters_idx, box, cap, margin, bounds=None):
    import clarabel

    n = len(c)
    imp = np.flatnonzero(b > 0)
    m = len(imp)
    nx = 2 * n + 2 * m
    P = np.zeros((nx, nx))
    P[:n, :n], P[:n, n:2 * n], P[n:2 * n, :n], P[n:2 * n, n:2 * n] = k * cov, -k * cov, -k * cov, k * cov
    g = k * cov @ (c - t)
    q = np.concatenate([g + a + u, -g + a + s, b[imp], b[imp]])
    rows, h = _limit_rows(c, e, limits, clusters_idx, box, cap, margin, bounds)
    G = np.array([np.concatenate([r, np.zeros(2 * m)]) for r in rows])
    A_parts, b_parts, cones = [G], [np.array(h)], [clarabel.NonnegativeConeT(len(h))]
    for j, i in enumerate(imp):
        for var, slot in ((i, 2 * n + j), (n + i, 2 * n + m + j)):  # (r, 1, p_i) and (r', 1, q_i)
            blk = np.zeros((3, nx))
            blk[0, slot], blk[2, var] = -1.0, -1.0
            A_parts.append(blk)
            b_parts.append(np.array([0.0, 1.0, 0.0]))
            cones.append(clarabel.PowerConeT(2.0 / 3.0))
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = _TOL
    solver = clarabel.DefaultSolver(sp.triu(sp.csc_matrix(P * _SCALE), format="csc"), q * _SCALE,
                                    sp.csc_matrix(np.vstack(A_parts)), np.concatenate(b_parts), cones, settings)
    sol = solver.solve()
    status = str(sol.status)
    if "Solved" not in status:
        return None, status
    x = np.asarray(sol.x, float)
    return x[:n] - x[n:2 * n], status


def solve_tradeoff(current: pd.Series, target: pd.Series, cov: pd.DataFrame, costs: TradeCosts, *,
                   risk_aversion: float, horizon_years: float, limits=None, clusters: Sequence[Sequence[str]] = (),
                   towards_target: bool = True, box_end: pd.Series | None = None, max_traded: float | None = None,
                   margin: float = LIMIT_MARGIN, bounds: dict[str, tuple[float, float]] | None = None) -> Tradeoff:
    """Solve the trade-off of the module docstring.

    Parameters
    ----------
    current, target
        Weights by ticker, fractions of portfolio value (``CASH`` and other labels not in ``cov`` are
        dropped: cash is what the assets leave).
    cov
        Annualised covariance of the assets (fraction² a year); an asset missing from it is riskless.
    costs
        Cost coefficients (:class:`TradeCosts`).
    risk_aversion, horizon_years
        λ (unitless) and H (years) of the tracking term ½ λ H TE²; λH = 0 drops it.
    limits
        A :class:`~rebal.proposal.spec.Limits` (``max_single``, ``max_cluster``, ``max_total``) or None.
    clusters
        Correlated clusters (lists of tickers) whose sum is capped at ``limits.max_cluster``.
    towards_target
        The box: every weight moves from its current value towards its target, never past it.
    box_end
        The far end of the box when it is not ``target`` (the tracking term may aim part of the way
        while the box, and so the limits' reach, spans the whole way to ``box_end``).
    max_traded
        Cap on the two-way traded value Σ|z_i| (fraction of value), or None.
    margin
        The hard limits are met with this margin (fraction of value) where the box and cash leave room for
        it, else exactly.
    bounds
        Per-asset bounds (low, high) on the weight after trading, e.g. (0, 0) for an exit or (c, c) for an
        asset not to trade.

    Raises
    ------
    DataError
        No trade meets the constraints (e.g. a target that breaks a limit, with the box).
    """
    assets = [a for a in dict.fromkeys([*current.index, *target.index]) if a != CASH]
    c = current.reindex(assets).fillna(0.0).to_numpy(float)
    t = target.reindex(assets).fillna(0.0).to_numpy(float)
    e = t if box_end is None else box_end.reindex(assets).fillna(0.0).to_numpy(float)
    S = cov.reindex(index=assets, columns=assets).fillna(0.0).to_numpy(float)
    a, b, s, u = costs.coefficients(assets)
    pos = {x: i for i, x in enumerate(assets)}
    cl = [np.array([pos[x] for x in grp if x in pos], int) for grp in clusters]
    k = float(risk_aversion) * float(horizon_years)
    cl = [x for x in cl if len(x)]
    bd = {pos[x]: v for x, v in (bounds or {}).items() if x in pos}
    z, status = _solve(c, t, e, S, k, a, b, s, u, limits, cl, towards_target, max_traded, margin, bd)
    if z is None and margin > 0:  # the margin is a preference: where the box and cash leave no room, the limit itself
        z, status = _solve(c, t, e, S, k, a, b, s, u, limits, cl, towards_target, max_traded, 0.0, bd)
    if z is None:
        towards = " moving towards the target" if towards_target else ""
        raise DataError(f"trade-off: no trade meets the hard limits{towards}"
                        f" (solver status {status})")
    z[np.abs(z) < 1e-10] = 0.0
    w = np.clip(c + z, 0.0, None)
    zs = pd.Series(w - c, index=assets)
    cost = float(costs.of(zs).sum())
    te_b, te_a = np.sqrt(_te2(c - t, S)), np.sqrt(_te2(w - t, S))
    return Tradeoff(pd.Series(w, index=assets), zs, 0.5 * k * te_a ** 2, cost, float(te_b), float(te_a), status)


def remedial_weights(current: pd.Series, target: pd.Series, cov: pd.DataFrame, costs: TradeCosts, *, limits,
                     clusters: Sequence[Sequence[str]] = (), risk_aversion: float = 1.0, horizon_years: float = 1.0,
                     margin: float = LIMIT_MARGIN, bounds: dict[str, tuple[float, float]] | None = None) -> Tradeoff:
    """Return the smallest trades by value that bring ``current`` within every hard limit, moving towards ``target``.

    Two solves of :func:`solve_tradeoff` with the box towards the target: the least traded value
    Σ|z_i| (λH = 0, a_i = 1), then, with the traded value held at that minimum, the least cost plus
    tracking error (which of the equally small trades to make). Returns the second solve.
    """
    assets = [a for a in dict.fromkeys([*current.index, *target.index]) if a != CASH]
    unit = TradeCosts(pd.Series(1.0, index=assets), pd.Series(0.0, index=assets))
    first = solve_tradeoff(current, target, cov, unit, risk_aversion=0.0, horizon_years=0.0, limits=limits,
                           clusters=clusters, towards_target=True, margin=margin, bounds=bounds)
    least = first.traded
    return solve_tradeoff(current, target, cov, costs, risk_aversion=risk_aversion, horizon_years=horizon_years,
                          limits=limits, clusters=clusters, towards_target=True,
                          max_traded=least * (1 + 1e-7) + 1e-9, margin=margin, bounds=bounds)
