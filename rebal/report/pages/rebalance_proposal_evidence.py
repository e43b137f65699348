"""The rebalance proposal report's part in the committee packet: its evidence rows on the profile's decision page.

Read from the report's scraps (:func:`rebal.report.pages.rebalance_proposal.proposal_scraps`) by the
registry hook ``evidence``: the hard limits now and after the circuit breakers, and the simulated
Sharpe change with its standard error and verdict.
"""
from __future__ import annotations

from typing import Any

__all__ = ["SIMULATION", "BREAKERS", "evidence"]


#: ids of the report's sections its evidence links to
SIMULATION, BREAKERS = "Impact-simulation", "Circuit-breakers"


def evidence(s: Any) -> list[Any]:
    """Rows of the decision page: the hard limits now and after, the simulated improvement with its noise."""
    from rebal.report.evidence import EvidenceRow, pct

    breaches = list(s.get("hard_breaches") or [])
    conflicts = list(s.get("target_conflicts") or [])
    rows = [EvidenceRow("Hard limits", "; ".join(breaches) or "within",
                        "BLOCKED: no allocation within them" if s.get("blocked") else "within",
                        f"circuit breakers {s.get('breakers')}, {s.get('n_adjustments', 0)} adjustment(s)",
                        flag="; ".join(f"configuration conflict: {c}" for c in conflicts), anchor=BREAKERS, order=15)]
    imp, se = s.get("improvement"), s.get("improvement_se")
    d, dse = s.get("sharpe_difference"), s.get("sharpe_difference_se")
    if imp is not None:
        diff = f": Sharpe {d:+.2f} ± {dse:.2f} (1 SE)" if d is not None and dse is not None else ""
        rows.append(EvidenceRow("Simulated Sharpe change", "",
                                f"{pct(imp, '+.1%')} ± {pct(se)}" if se is not None else pct(imp, "+.1%"),
                                f"{s.get('simulation_verdict')}{diff}; out of sample, net of costs",
                                anchor=SIMULATION, order=40))
    else:
        rows.append(EvidenceRow("Simulated Sharpe change, out of sample", "", "not simulated",
                                str(s.get("verdict_reason") or ""), anchor=SIMULATION, order=40))
    return rows
