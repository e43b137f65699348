"""The rebalance proposal report's part in the committee packet: its evidence rows on the profile's decision page.

Read from the report's scraps (:func:`rebal.report.pages.rebalance_proposal.proposal_scraps`) by the
registry hook ``evidence``: the hard limits now and after the circuit breakers, and the simulated
Sharpe difference with its standard error and verdict.
"""
from __future__ import annotations

from typing import Any

__all__ = ["SIMULATION", "BREAKERS", "evidence"]


#: ids of the report's sections its evidence links to
SIMULATION, BREAKERS = "Impact-simulation", "Circuit-breakers"


def evidence(s: Any) -> list[Any]:
    """Rows of the decision page: the hard limits now and after, the simulated Sharpe difference with its noise.

    The simulation row has the key ``simulation``: on the decision page it is one row with the
    recommendation's (the decision report's), which this one gives its window and its link.
    """
    from rebal.report.evidence import EvidenceRow

    breaches = list(s.get("hard_breaches") or [])
    conflicts = list(s.get("target_conflicts") or [])
    rows = [EvidenceRow("Hard limits", "; ".join(breaches) or "within",
                        "BLOCKED: no allocation within them" if s.get("blocked") else "within",
                        f"circuit breakers {s.get('breakers')}, {s.get('n_adjustments', 0)} adjustment(s)",
                        flag="; ".join(f"configuration conflict: {c}" for c in conflicts), anchor=BREAKERS, order=15)]
    f = s.get("simulation") or {}
    d, dse = s.get("sharpe_difference"), s.get("sharpe_difference_se")
    if d is not None and dse is not None:
        z = f" (z {f['z']:+.2f})" if f.get("z") is not None else ""
        window = f", {f['window']}" if f.get("window") else ""
        rows.append(EvidenceRow("Simulated Sharpe difference", "", f"{d:+.2f} ± {dse:.2f}{z}",
                                f"{s.get('simulation_verdict')}: the strategy refitted on schedule against the book "
                                f"as held{window}, net of costs", anchor=SIMULATION, order=40, key="simulation"))
    else:
        rows.append(EvidenceRow("Simulated Sharpe difference", "", "not simulated",
                                str(s.get("verdict_reason") or ""), anchor=SIMULATION, order=40, key="simulation"))
    return rows
