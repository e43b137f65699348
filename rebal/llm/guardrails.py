r"""Caps on the views, and the LLM-assisted target: the Black-Litterman tilt of the base weights, bounded.

1. **View caps** (:func:`cap_views`), per view with pick vector p and the base target's equilibrium
   returns π: the value Q is held within ``llm.caps.max_view_excess`` of the view's equilibrium
   return pᵀπ, Q' = pᵀπ + clip(Q - pᵀπ, -cap, +cap), and the confidence within
   ``llm.caps.max_confidence``. Each cap that bites is written down.
2. **Tilt** (:func:`assisted_weights`): with the capped views (P, Q, confidences c), the Black-Litterman
   posterior μ_BL = π + τΣPᵀ(τPΣPᵀ + Ω)⁻¹(Q - Pπ) (:func:`rebal.allocation.black_litterman.black_litterman`,
   Ω of Idzorek or He-Litterman) and the unconstrained weights w = (δΣ)⁻¹ μ_BL of Idzorek (2005), which
   equal the base weights when there is no view (π = δΣ w_base):

   .. math:: w_{raw} = w_{base} + (\delta\Sigma)^{-1}(\mu_{BL} - \pi)
             = w_{base} + \frac{\tau}{\delta} P^\top (\tau P \Sigma P^\top + \Omega)^{-1} (Q - P\pi)

   so only the assets of a view move (one absolute Idzorek view on asset i with confidence c moves it by
   c (Q - π_i) / (δ σ_i²)).
3. **Feasibility**: w_raw is projected (least squares) on the base target's own constraints: the invested
   total of the base (1 - cash), the bounds ``target.min_weight``/``max_weight`` (0 for a long-only
   profile) and the sector caps of methods that have them, all scaled by the invested total.
4. **Distance**: when d = ½ Σ|w - w_base| (the one-way turnover from the base target) exceeds
   ``llm.caps.max_distance``, the tilt is shrunk toward the base, w = w_base + (cap / d)(w - w_base),
   which stays within the constraints (both ends satisfy them).

The proposal's circuit breakers and hard limits then apply to this target as to any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import pandas as pd

from rebal.allocation.black_litterman import View, black_litterman
from rebal.errors import DataError

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.llm.inputs import ViewInputs
    from rebal.llm.parse import ProposedView
    from rebal.llm.spec import CapsSpec

__all__ = ["GuardedView", "Tilt", "cap_views", "assisted_weights", "project", "distance", "bounds_of"]


@dataclass(frozen=True)
class GuardedView:
    """A view after the caps: the stated view, its equilibrium return pᵀπ, the value and confidence used.

    ``outcomes`` says which caps bit ("" none).
    """

    stated: ProposedView
    equilibrium: float
    value: float
    confidence: float
    outcomes: tuple[str, ...] = ()

    @property
    def excess(self) -> float:
        """The view's departure from equilibrium used, Q' - pᵀπ (annual, fraction)."""
        return self.value - self.equilibrium

    def as_bl_view(self) -> View:
        """Return the capped view as a Black-Litterman :class:`~rebal.allocation.black_litterman.View`."""
        picks = self.stated.picks
        return View(tuple(picks), tuple(picks.values()), self.value, self.confidence, self.stated.label)


@dataclass(frozen=True)
class Tilt:
    """The LLM-assisted invested weights and how they were reached (fractions of portfolio value).

    Attributes
    ----------
    base, raw, projected, weights
        The base weights; w_raw = w_base + (δΣ)⁻¹(μ_BL - π); its projection on the constraints; the final
        weights after the distance cap.
    posterior
        μ_BL (annual excess returns); π when there is no view.
    distance_raw, distance
        ½ Σ|w - w_base| of the projected and of the final weights.
    outcomes
        What the feasibility projection and the distance cap did, in words.
    """

    base: pd.Series
    raw: pd.Series
    projected: pd.Series
    weights: pd.Series
    posterior: pd.Series
    distance_raw: float
    distance: float
    outcomes: tuple[str, ...] = ()


def distance(a: pd.Series, b: pd.Series) -> float:
    """½ Σ|a - b| over the union of tickers (the one-way turnover between two weight vectors)."""
    idx = a.index.union(b.index)
    return 0.5 * float(np.abs(a.reindex(idx).fillna(0.0) - b.reindex(idx).fillna(0.0)).sum())


def cap_views(views: Sequence[ProposedView], pi: pd.Series, caps: CapsSpec) -> list[GuardedView]:
    """Apply the value and confidence caps of ``caps`` to each view (see the module docstring)."""
    out = []
    for v in views:
        eq = float(sum(w * pi[a] for a, w in v.picks.items()))
        notes = []
        excess = v.value - eq
        value = v.value
        if abs(excess) > caps.max_view_excess + 1e-12:
            value = eq + float(np.sign(excess)) * caps.max_view_excess
            notes.append(f"value capped from {v.value:+.2%} to {value:+.2%} (equilibrium {eq:+.2%} "
                         f"± {caps.max_view_excess:.2%})")
        conf = v.confidence
        if conf > caps.max_confidence + 1e-12:
            conf = caps.max_confidence
            notes.append(f"confidence capped from {v.confidence:.2f} to {conf:.2f}")
        out.append(GuardedView(v, eq, float(value), float(conf), tuple(notes)))
    return out


def project(raw: np.ndarray, total: float, lo: float, hi: float, G: np.ndarray | None = None,
            h: np.ndarray | None = None) -> np.ndarray:
    """Find the weights closest to ``raw`` (least squares) with Σw = ``total``, ``lo`` <= w <= ``hi``, G w <= h.

    Without group rows the solution is clip(raw - λ, lo, hi) with λ found by bisection (exact to rounding);
    with them, a quadratic programme (Clarabel).

    Raises
    ------
    DataError
        The constraints admit no portfolio.
    """
    n = len(raw)
    if n * lo > total + 1e-12 or n * hi < total - 1e-12:
        raise DataError(f"no portfolio of {n} assets with weights in [{lo:g}, {hi:g}] sums to {total:g}")
    if G is None or len(G) == 0:
        a, b = float(np.min(raw) - hi - 1.0), float(np.max(raw) - lo + 1.0)  # sum(clip) is >= total at a, <= at b
        for _ in range(200):
            mid = 0.5 * (a + b)
            if np.clip(raw - mid, lo, hi).sum() > total:
                a = mid
            else:
                b = mid
        return np.clip(raw - 0.5 * (a + b), lo, hi)
    from rebal.allocation.qp import solve_qp

    Gb = np.vstack([G, np.eye(n), -np.eye(n)])
    hb = np.concatenate([h, np.full(n, hi), np.full(n, -lo)])
    return solve_qp(np.eye(n), -raw, np.ones((1, n)), np.array([total]), Gb, hb,
                    what="LLM-assisted target within the base target's constraints")


def bounds_of(profile: Profile, sectors: Mapping[str, str]) -> tuple[float, float, dict[str, float]]:
    """Return the base target's bounds (of the pre-cash weights, summing to 1) and sector caps (group -> cap)."""
    from rebal.allocation.registry import METHODS, sector_cap_map

    t = profile.target
    lo = max(t.min_weight, 0.0) if profile.long_only else t.min_weight
    caps = sector_cap_map(t, sectors) if METHODS[t.method].sector_caps else {}
    return lo, t.max_weight, caps


def assisted_weights(inp: ViewInputs, views: Sequence[GuardedView], *, lo: float = 0.0, hi: float = 1.0,
                     sector_caps: Mapping[str, float] | None = None) -> Tilt:
    """Tilt the base weights by the capped views and keep the result within the constraints (module docstring).

    ``lo``, ``hi`` and ``sector_caps`` bound the pre-cash weights (summing to 1); they are scaled by the base's
    invested total.
    """
    spec, base = inp.spec, inp.base
    total = float(base.sum())
    if not views:
        return Tilt(base, base, base, base, inp.pi.rename("mu_bl"), 0.0, 0.0, ())
    res = black_litterman(inp.cov, base, [g.as_bl_view() for g in views], delta=spec.delta, tau=spec.tau,
                          omega=spec.omega)
    delta_w = np.linalg.solve(spec.delta * inp.cov.to_numpy(), (res.posterior_returns - inp.pi).to_numpy())
    raw = base + delta_w
    G = h = None
    if sector_caps:
        from rebal.allocation.qp import group_rows

        G, h, _ = group_rows(list(base.index), inp.sectors.to_dict(), sector_caps)
        h = h * total
    proj = pd.Series(project(raw.to_numpy(), total, lo * total, hi * total, G, h), index=base.index)
    notes = []
    moved = float(np.abs(proj - raw).sum())
    if moved > 1e-9:
        notes.append(f"brought back to the base target's constraints (invested {total:.1%}, each weight in "
                     f"[{lo * total:.1%}, {hi * total:.1%}]" + (", sector caps" if sector_caps else "")
                     + f"): Σ|change| {moved:.2%}")
    d_raw = distance(proj, base)
    w, d = proj, d_raw
    if d_raw > spec.caps.max_distance + 1e-12:
        k = spec.caps.max_distance / d_raw
        w = base + k * (proj - base)
        d = distance(w, base)
        notes.append(f"distance from the base target capped: {d_raw:.2%} -> {d:.2%} of value (the tilt shrunk "
                     f"to {k:.0%})")
    return Tilt(base, raw.rename("raw"), proj.rename("projected"), w.rename("weight"),
                res.posterior_returns, d_raw, d, tuple(notes))
