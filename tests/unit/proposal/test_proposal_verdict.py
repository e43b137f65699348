"""The proposal's simulation verdict, hard breaches and target conflicts, on hand-made numbers."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rebal.data.lakehouse import CASH
from rebal.decision.table import SIMULATION_VERDICTS
from rebal.proposal.allocate import propose_allocation
from rebal.proposal.modes import check_limits
from rebal.proposal.noise import SharpeComparison
from rebal.proposal.spec import Limits, ProposalSpec
from rebal.proposal.verdict import VERDICTS, hard_breaches, judge, pct, simulation_verdict, target_conflicts

SPEC = ProposalSpec()  # z 1.96


def cmp(diff: float, z: float, baseline: float = 1.0) -> SharpeComparison:
    """A comparison with the given Sharpe difference and z (SE = |diff / z|)."""
    return SharpeComparison(126, baseline, baseline + diff, 0.5, diff, abs(diff / z))


def test_the_vocabulary_is_the_decision_tables():
    assert VERDICTS == SIMULATION_VERDICTS


@pytest.mark.parametrize("diff, z, verdict, phrase", [
    (0.10, 2.5, "IMPROVES", "significant (z > 1.96)"),
    (0.10, 1.5, "WITHIN NOISE", "not significant (|z| ≤ 1.96)"),
    (0.03, 3.0, "IMPROVES", "significant"),         # a small difference beyond its noise is significant
    (-0.10, -2.5, "WORSENS", "significantly worse (z < -1.96)"),
    (-0.10, -1.0, "WITHIN NOISE", "not significant"),
    (0.051, 1.97, "IMPROVES", "significant"),
    (0.051, 1.95, "WITHIN NOISE", "not significant"),
])
def test_the_verdict_is_the_noise_test_on_the_sharpe_difference(diff, z, verdict, phrase):
    v, why = judge(cmp(diff, z), SPEC, "holdings as held on each date (3 snapshots)")
    assert v == verdict and phrase in why
    assert "holdings as held on each date (3 snapshots)" in why and f"{diff:+.2f}" in why
    assert "max(" not in why and "%" not in why  # no ratio to max(|baseline|, floor), no percentage


def test_reason_carries_the_numbers():
    c = SharpeComparison(126, 0.85, 1.23, 0.6, 0.38, 0.21)
    _, why = judge(c, SPEC, "b")
    assert "1.23 against 0.85" in why and "+0.38 ± 0.21" in why and "z = +1.81" in why


def test_a_stricter_z_turns_an_improvement_into_noise():
    assert judge(cmp(0.2, 2.2), SPEC, "b")[0] == "IMPROVES"
    assert judge(cmp(0.2, 2.2), ProposalSpec(noise_z=2.58), "b")[0] == "WITHIN NOISE"


def _sim(**kw):
    ins = SharpeComparison(126, 0.5, 0.62, 0.9, 0.12, 0.1)
    base = dict(comparison_out_of_sample=None, comparison_in_sample=ins, notes=[], baseline_source="b")
    return SimpleNamespace(**{**base, **kw})


def test_not_simulated_says_why():
    v, why = simulation_verdict(SPEC, None, blocked="cannot rebalance while respecting all limits", no_trades=True,
                                min_trade_value=5000)
    assert v == "NOT SIMULATED" and "no allocation meets the hard limits" in why
    v, why = simulation_verdict(SPEC, None, blocked=None, no_trades=True, min_trade_value=5000)
    assert v == "NOT SIMULATED" and "nothing to trade" in why and "$5,000" in why
    sim = _sim(notes=["out-of-sample estimate unavailable: no returns for 'X'"])
    v, why = simulation_verdict(SPEC, sim, blocked=None, no_trades=False, min_trade_value=0)
    assert v == "NOT SIMULATED" and "no returns for 'X'" in why and "(+0.12)" in why and "looks ahead" in why
    flat = SharpeComparison(126, float("nan"), 1.0, float("nan"), float("nan"), float("nan"))
    v, why = simulation_verdict(SPEC, _sim(comparison_out_of_sample=flat), blocked=None, no_trades=False,
                                min_trade_value=0)
    assert v == "NOT SIMULATED" and "undefined" in why


def test_pct_drops_needless_decimals():
    assert [pct(x) for x in (0.3, 0.325, 0.2968, 1.0, 0.6)] == ["30%", "32.5%", "29.7%", "100%", "60%"]


def test_hard_breaches_are_the_hard_limits_only_and_dust_is_not_one():
    # A 29.7 %, B 50 %, C 0.5 % (dust under the 1 % minimum); A and B one correlated cluster
    alloc = pd.Series({"A": 0.297, "B": 0.50, "C": 0.005})
    lim = Limits(max_total=0.60, max_cluster=0.30, max_single=0.20, min_allocation=0.01)
    lines = hard_breaches(check_limits(alloc, [["A", "B"]], lim))
    assert lines == ["total deployed: 80.2% > 60% (proposal.limits.max_total)",
                     "correlated cluster A + B: 79.7% > 30% (proposal.limits.max_cluster)",
                     "single-asset A: 29.7% > 20% (proposal.limits.max_single)",
                     "single-asset B: 50% > 20% (proposal.limits.max_single)"]


def test_target_conflict_names_the_cluster_and_its_weight():
    # A and B move together (correlation 1 up to noise), C is independent: one cluster A + B
    rng = np.random.default_rng(3)
    common, other = rng.normal(0, 0.01, 40), rng.normal(0, 0.01, 40)
    returns = pd.DataFrame({"A": common, "B": common + rng.normal(0, 1e-4, 40), "C": other})
    assert returns.corr().loc["A", "B"] > 0.99 and abs(returns.corr().loc["A", "C"]) < 0.7
    lim = Limits(max_total=1.0, max_cluster=0.30, max_single=0.40, min_allocation=0.01)
    prof = SimpleNamespace(proposal=ProposalSpec(limits=lim))
    target = pd.Series({"A": 0.25, "B": 0.25, "C": 0.30, CASH: 0.20})
    alloc = propose_allocation(prof, target, returns, mode="correlation_aware")
    assert alloc.clusters == [["A", "B"]]
    assert target_conflicts(alloc, lim) == ["correlated cluster A + B: target 50% > 30% (proposal.limits.max_cluster)"]
    # the same target under a 50 % cluster limit is coherent
    lim2 = Limits(max_total=1.0, max_cluster=0.50, max_single=0.40, min_allocation=0.01)
    alloc2 = propose_allocation(SimpleNamespace(proposal=ProposalSpec(limits=lim2)), target, returns,
                                mode="correlation_aware")
    assert target_conflicts(alloc2, lim2) == []


def test_a_target_a_hair_above_its_bound_is_no_conflict():
    # an optimiser lands 1e-9 above max_single: not a conflict (tolerance 1e-6)
    lim = Limits(max_total=1.0, max_cluster=1.0, max_single=0.20, min_allocation=0.0)
    prof = SimpleNamespace(proposal=ProposalSpec(limits=lim))
    target = pd.Series({f"X{i}": 0.2 + (1e-9 if i == 0 else -2.5e-10) for i in range(5)})
    alloc = propose_allocation(prof, target, pd.DataFrame(), mode="proportional")
    assert target_conflicts(alloc, lim) == []
