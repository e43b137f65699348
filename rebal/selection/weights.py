r"""Weight construction for stock selection: caps by water-filling, turnover control, vol targeting.

Capping then renormalising once (the original Risk4 recipe) can push weights back over their
caps. :func:`capped_weights` instead finds the weights closest in shape to the base weights that
satisfy both caps exactly and sum to 1:

.. math::

    w_i = \min(c, \mu_{s(i)} b_i), \qquad \mu_s = \min(\lambda, \bar\mu_s)

where ``c`` is the position cap, ``b_i`` the base weight, ``λ`` a global level and ``μ̄_s`` the
level at which sector ``s`` reaches its cap ``C_s``. Total weight is non-decreasing in ``λ``, so
``λ`` is found by bisection (and each ``μ̄_s`` likewise). Unconstrained names keep the
proportions of their base weights. When Σ_s min(C_s, n_s c) < 1 no portfolio satisfies the caps
and :class:`~rebal.errors.InfeasibleCaps` says why.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rebal.errors import InfeasibleCaps

__all__ = ["capped_weights", "turnover", "turnover_control", "vol_target"]

_TOL = 1e-12


def _level_total(b: np.ndarray, cap: float, mu: float) -> float:
    return float(np.minimum(cap, mu * b).sum())


def _solve_level(b: np.ndarray, cap: float, total: float) -> float:
    """Smallest mu with sum(min(cap, mu b)) >= total (b > 0), by bisection."""
    lo, hi = 0.0, 1.0
    while _level_total(b, cap, hi) < total - _TOL:
        hi *= 2.0
        if hi > 1e300:
            return np.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _level_total(b, cap, mid) < total:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    return hi


def capped_weights(base: pd.Series, sectors: pd.Series, *, max_position: float,
                   sector_caps: pd.Series | None = None) -> pd.Series:
    """Cap weights by water-filling: proportional to ``base`` where possible, within the caps, summing to 1.

    Every weight is <= ``max_position`` and every sector <= its cap (see the module docstring).

    Parameters
    ----------
    base
        Non-negative base weights by ticker (at least one positive).
    sectors
        Sector of each ticker.
    max_position
        Cap per position (fraction).
    sector_caps
        Cap per sector (fraction); sectors not listed are uncapped.

    Returns
    -------
    Weights by ticker (fractions summing to 1), named ``weight``; raises
    :class:`~rebal.errors.InfeasibleCaps` when the caps admit no portfolio.
    """
    b = base.astype(float)
    if (b < 0).any() or not np.isfinite(b).all() or b.sum() <= 0:
        raise ValueError("base weights must be finite, non-negative and not all zero")
    b = b[b > 0]
    sec = sectors.reindex(b.index)
    if sec.isna().any():
        raise ValueError(f"no sector for {sec.index[sec.isna()][0]!r}")
    caps = (sector_caps if sector_caps is not None else pd.Series(dtype=float)).reindex(sec.unique()).fillna(np.inf)
    groups = {s: b.index[sec == s] for s in sec.unique()}
    arrays = {s: b[ix].to_numpy() for s, ix in groups.items()}
    reach = sum(min(caps[s], len(ix) * max_position) for s, ix in groups.items())
    if reach < 1.0 - 1e-9:
        raise InfeasibleCaps(
            f"caps leave at most {reach:.2%} investable: {len(b)} names x position cap {max_position:.2%} "
            "within the sector caps cannot reach 100 %; raise the caps or select more names")
    # the level at which each sector hits its own cap
    sector_mu = {}
    for s, bs in arrays.items():
        full = len(bs) * max_position
        sector_mu[s] = np.inf if caps[s] >= full - _TOL else _solve_level(bs, max_position, caps[s])

    def total(lam: float) -> float:
        return sum(_level_total(bs, max_position, min(lam, sector_mu[s])) for s, bs in arrays.items())

    lo, hi = 0.0, 1.0
    while total(hi) < 1.0 - _TOL:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if total(mid) < 1.0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    out = pd.Series(0.0, index=base.index)
    for s, ix in groups.items():
        out[ix] = np.minimum(max_position, min(hi, sector_mu[s]) * arrays[s])
    # bisection leaves the sum within ~1e-12 of 1; spread the residual over uncapped names
    resid = 1.0 - out.sum()
    free = out[(out < max_position - 1e-12) & (out > 0)]
    if len(free) and abs(resid) > 0:
        out[free.index] += resid * free / free.sum()
    return out.rename("weight")


def turnover(new: pd.Series, old: pd.Series) -> float:
    """Compute the one-way turnover ½ Σ |new - old| over the union of names (missing = 0).

    Weights are fractions of value, so the turnover is a fraction of value traded one way.
    """
    idx = new.index.union(old.index)
    return 0.5 * float((new.reindex(idx, fill_value=0.0) - old.reindex(idx, fill_value=0.0)).abs().sum())


def turnover_control(target: pd.Series, prior: pd.Series | None, *, lam: float = 0.5,
                     max_turnover: float = 0.30) -> pd.Series:
    """Blend toward the prior, w = λ prior + (1 - λ) target, then shrink the change so turnover <= ``max_turnover``.

    Both inputs are normalised to sum to 1 first, so the result sums to 1 without a final
    renormalisation that could break the turnover bound. ``lam`` is in [0, 1] and ``max_turnover``
    a one-way fraction of value (0.30 = 30 %).
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"`lam` must be in [0, 1], found {lam}")
    t = target / target.sum()
    if prior is None or len(prior) == 0 or prior.sum() <= 0:
        return t.rename("weight")
    p = prior / prior.sum()
    idx = t.index.union(p.index)
    t, p = t.reindex(idx, fill_value=0.0), p.reindex(idx, fill_value=0.0)
    w = lam * p + (1.0 - lam) * t
    to = turnover(w, p)
    if to > max_turnover:
        w = p + (max_turnover / to) * (w - p)
    w = w.clip(lower=0.0)
    return w[w > 0].rename("weight")


def vol_target(weights: pd.Series, cov_annual: pd.DataFrame, *, target_vol: float = 0.20,
               max_gross: float = 1.0) -> tuple[pd.Series, float, float]:
    """Scale exposure so the estimated volatility meets ``target_vol``, gross exposure capped at ``max_gross``.

    ``cov_annual`` is the annual covariance and ``target_vol`` an annualised volatility (fraction a
    year, 0.20 = 20 %). Returns the scaled weights, the estimated annualised volatility of the
    unscaled portfolio and the cash fraction (1 - exposure; negative would mean leverage, which
    ``max_gross`` <= 1 prevents).
    """
    w = weights.astype(float)
    c = cov_annual.reindex(index=w.index, columns=w.index).to_numpy()
    vol = float(np.sqrt(max(w.to_numpy() @ c @ w.to_numpy(), 0.0)))
    scale = min(target_vol / vol, max_gross) if vol > 0 else max_gross
    return (w * scale).rename("weight"), vol, 1.0 - float(w.sum() * scale)
