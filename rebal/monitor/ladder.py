"""One ladder of drift thresholds per profile: every level a drift is judged against, its name and what it does.

A drift of the same book is read against several levels, each set by the profile under its own name:
the planner's drift threshold (``planner.threshold``, or the method ``planner.threshold_method``
selects) and its hybrid early override (``planner.hybrid_override``), both widened in the elevated and
stress regimes; the drift monitor's REBALANCE and URGENT levels (``drift.rebalance``,
``drift.urgent``); the proposal's drift alert (``proposal.drift_alert``); in the stress regime the
planner's delay ceiling and override (``planner.delay_max_drift``, ``planner.stress_override``); and,
per asset, the urgent band (``drift.single_asset_urgent``). None of them is a hard limit: "breach" and
"limit" are kept for the proposal's hard limits (``proposal.limits``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["threshold_ladder"]


def threshold_ladder(profile: Profile, *, planner_threshold: float | None = None, widen: float = 1.0,
                     regime: str = "normal") -> pd.DataFrame:
    """Every drift level of ``profile``, lowest first (fractions of portfolio value).

    Parameters
    ----------
    profile
        The profile whose sections set the levels.
    planner_threshold
        The planner's drift threshold before widening when its method is not ``fixed`` (the formula
        or the no-trade band computed that day); None: ``planner.threshold``.
    widen, regime
        The regime's widening of the planner's levels and the regime's name (1.0, normal).

    Returns
    -------
    One row per level: ``level`` (fraction), ``name`` (the profile field), ``applies to`` (the
    portfolio or one asset) and ``what happens above it``.
    """
    pl, d, pr = profile.planner, profile.drift, profile.proposal
    base = pl.threshold if planner_threshold is None else planner_threshold
    wide = f" x {widen:.1f} ({regime})" if widen != 1.0 else ""
    rows = [
        (base * widen, f"planner.threshold{wide}", "portfolio", "a planner drift rule fires: TRADE if worth its "
                                                                  "cost, else REVIEW"),
        (pl.hybrid_override * widen, f"planner.hybrid_override{wide}", "portfolio",
         "the hybrid rule's early override fires (no need to wait for the review date)"),
        (d.rebalance, "drift.rebalance", "portfolio", "drift status REBALANCE"),
        (d.urgent, "drift.urgent", "portfolio", "drift status URGENT"),
        (pr.drift_alert, "proposal.drift_alert", "portfolio", "the proposal raises a drift alert"),
        (pl.delay_max_drift, "planner.delay_max_drift", "portfolio, stress regime only",
         "up to it, a drift waits in the stress regime (DELAY)"),
        (pl.stress_override, "planner.stress_override", "portfolio, stress regime only",
         "from it, a drift trades in the stress regime anyway"),
        (d.single_asset_urgent, "drift.single_asset_urgent", "one asset (points)",
         "drift status URGENT when one asset drifts beyond this band"),
    ]
    out = pd.DataFrame(rows, columns=["level", "name", "applies to", "what happens above it"])
    order = {"portfolio": 0, "portfolio, stress regime only": 1, "one asset (points)": 2}
    out["_k"] = out["applies to"].map(order)
    return out.sort_values(["_k", "level"], kind="stable").drop(columns="_k").reset_index(drop=True)
