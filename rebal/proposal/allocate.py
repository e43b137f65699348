"""One date's proposed allocation: the target's sleeves through the rebalance mode and the circuit breakers.

The sleeves are the target's assets with a positive weight plus those held. The mode
(:mod:`rebal.proposal.modes`) starts from the target; correlations over ``correlation_days``
(when they cannot be computed the mode falls back to proportional and says so); then every
limit is checked, adjusted and re-checked until all hold, or BLOCKED.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from rebal.analytics.measures import annualise_vol, sharpe_ratio
from rebal.config import Profile
from rebal.data.lakehouse import CASH
from rebal.errors import ConfigError
from rebal.proposal import modes

__all__ = ["Allocation", "propose_allocation"]


@dataclass
class Allocation:
    """A mode's proposal after the circuit breakers, for one date."""

    target: pd.Series      # the strategy's target (incl. CASH)
    after_mode: pd.Series  # sleeves after the mode (no CASH)
    breaker: modes.BreakerResult
    mode: str              # the mode used (after any fallback)
    correlation: pd.DataFrame | None
    clusters: list[list[str]]
    notes: list[str] = field(default_factory=list)

    @property
    def proposed(self) -> pd.Series:
        """Proposed weights of portfolio value, with CASH = 1 - deployed."""
        w = self.breaker.allocation[self.breaker.allocation > 1e-12]
        return pd.concat([w, pd.Series({CASH: max(0.0, 1.0 - float(w.sum()))})]).rename("proposed")


def propose_allocation(profile: Profile, target: pd.Series, returns: pd.DataFrame, *, mode: str,
                       held: list[str] = ()) -> Allocation:
    """Apply ``mode`` and the circuit breakers to ``target`` (incl. CASH) with ``returns`` up to the day.

    The sleeves are the target's assets with a positive weight plus those ``held``.
    """
    spec, lim = profile.proposal, profile.proposal.limits
    if mode not in modes.MODES:
        raise ConfigError(f"--mode: unknown mode {mode!r}; valid: {', '.join(modes.MODES)}")
    base = target.drop(CASH, errors="ignore")
    sleeves = list(dict.fromkeys([*base.index[base > 0], *held]))
    base = base.reindex(sleeves).fillna(0.0).astype(float)
    notes: list[str] = []
    corr, clusters = None, []
    window = returns.reindex(columns=sleeves).iloc[-spec.correlation_days:]
    if len(sleeves) < 2:
        notes.append("one sleeve: no correlations, no clusters")
    elif len(window) < spec.correlation_days or window.isna().any().any():
        bad = window.columns[window.isna().any()].tolist()
        why = f"missing returns for {', '.join(bad[:3])}" if bad else f"only {len(window)} sessions"
        notes.append(f"correlation unavailable ({why} in the {spec.correlation_days}-session window): "
                     "cluster limit not checked" + (f"; {mode.replace('_', '-')} mode fell back to proportional"
                                                    if mode != "proportional" else ""))
        mode = "proportional"
    else:
        corr = window.corr()
        if corr.isna().any().any():  # a flat series has no correlation
            notes.append("correlation undefined for a constant series: cluster limit not checked; "
                         "fell back to proportional")
            corr, mode = None, "proportional"
        else:
            clusters = modes.correlation_clusters(corr, lim.high_corr)
    live = base[base > 0]
    perf = returns.reindex(columns=list(live.index)).iloc[-spec.performance_days:]
    if mode == "proportional":
        after = modes.proportional(base, lim)
    elif mode == "correlation_aware":
        after = modes.correlation_aware(base, corr, lim)
    elif mode == "performance_weighted":
        sharpe = sharpe_ratio(perf.dropna(axis=1))
        after = modes.performance_weighted(base, sharpe, lim, spec.performance_shift)
    else:  # risk_adjusted
        vol = annualise_vol(perf.std(ddof=1))
        if vol.isna().any() or (vol <= 0).any() or len(live) == 0:
            notes.append("volatility unavailable for a sleeve: risk-adjusted mode fell back to proportional")
            mode, after = "proportional", modes.proportional(base, lim)
        else:
            after = base.copy()
            after[live.index] = modes.risk_adjusted(live, vol, lim)
    breaker = modes.enforce_limits(after, clusters, lim)
    return Allocation(target, after, breaker, mode, corr, clusters, notes)
