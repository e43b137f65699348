"""Risk4 weight construction: caps by water-filling, turnover bound, vol targeting, schedule."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebal.calendar import is_rebalance_day, next_rebalance_dates
from rebal.errors import InfeasibleCaps
from rebal.selection.weights import capped_weights, turnover, turnover_control, vol_target


def test_position_cap_by_hand():
    # base 0.5, 0.3, 0.1, 0.1 with a 35 % cap: A is capped at 0.35, the remaining 0.65 goes to
    # B, C, D in proportion 3:1:1 -> 0.39, 0.13, 0.13; B then exceeds 0.35 too, so A = B = 0.35 and
    # C, D share 0.30 equally: 0.15 each (proportions kept among uncapped names)
    w = capped_weights(pd.Series({"A": 0.5, "B": 0.3, "C": 0.1, "D": 0.1}), pd.Series("X", index=list("ABCD")),
                       max_position=0.35)
    assert w.to_dict() == pytest.approx({"A": 0.35, "B": 0.35, "C": 0.15, "D": 0.15})


def test_sector_cap_by_hand():
    # tech (A, B) base 0.6 / 0.2, health (C, D) 0.1 / 0.1; tech capped at 50 %: A, B = 0.375, 0.125
    # (3:1 kept); health gets the other 50 % in 1:1
    sec = pd.Series({"A": "tech", "B": "tech", "C": "health", "D": "health"})
    w = capped_weights(pd.Series({"A": 0.6, "B": 0.2, "C": 0.1, "D": 0.1}), sec, max_position=1.0,
                       sector_caps=pd.Series({"tech": 0.5}))
    assert w.to_dict() == pytest.approx({"A": 0.375, "B": 0.125, "C": 0.25, "D": 0.25})


def test_cap_then_renormalise_breaks_caps_but_water_filling_does_not():
    base = pd.Series({"A": 0.6, "B": 0.2, "C": 0.1, "D": 0.1})
    naive = base.clip(upper=0.3)
    naive = naive / naive.sum()  # the spec's recipe: A = 0.3 / 0.7 = 0.43 > 0.3 again
    assert naive["A"] > 0.3
    w = capped_weights(base, pd.Series("X", index=base.index), max_position=0.3)
    assert w.max() <= 0.3 + 1e-12 and w.sum() == pytest.approx(1.0)


def test_infeasible_caps_are_reported():
    with pytest.raises(InfeasibleCaps, match=r"at most 60\.00% investable"):
        capped_weights(pd.Series(1.0, index=list("ABC")), pd.Series("X", index=list("ABC")), max_position=0.2)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 40),
    seed=st.integers(0, 10_000),
    cap=st.floats(0.02, 1.0),
    n_sectors=st.integers(1, 6),
    mult=st.floats(1.0, 3.0),
)
def test_caps_always_hold_or_infeasibility_is_reported(n, seed, cap, n_sectors, mult):
    rng = np.random.default_rng(seed)
    names = [f"T{i}" for i in range(n)]
    base = pd.Series(rng.lognormal(0, 1.5, n), index=names)
    sectors = pd.Series([f"S{i % n_sectors}" for i in rng.permutation(n)], index=names)
    share = sectors.value_counts(normalize=True)
    sector_caps = share * mult
    try:
        w = capped_weights(base, sectors, max_position=cap, sector_caps=sector_caps)
    except InfeasibleCaps:
        reach = sum(min(sector_caps[s], (sectors == s).sum() * cap) for s in share.index)
        assert reach < 1.0
        return
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (w >= 0).all() and w.max() <= cap + 1e-9
    by_sector = w.groupby(sectors).sum().reindex(sector_caps.index, fill_value=0.0)
    assert (by_sector <= sector_caps + 1e-9).all()


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10_000), lam=st.floats(0.0, 1.0), max_to=st.floats(0.01, 1.0))
def test_turnover_never_exceeds_its_maximum(seed, lam, max_to):
    rng = np.random.default_rng(seed)
    prior = pd.Series(rng.random(15), index=[f"P{i}" for i in range(15)])
    target = pd.Series(rng.random(12), index=[f"P{i}" for i in range(5, 17)])
    w = turnover_control(target, prior, lam=lam, max_turnover=max_to)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    assert turnover(w, prior / prior.sum()) <= max_to + 1e-9


def test_turnover_control_by_hand():
    # prior all in A, target all in B: blend 50/50 is turnover 0.5; capped at 0.3 -> A 0.7, B 0.3
    w = turnover_control(pd.Series({"B": 1.0}), pd.Series({"A": 1.0}), lam=0.5, max_turnover=0.3)
    assert w.to_dict() == pytest.approx({"A": 0.7, "B": 0.3})


def test_vol_target_by_hand():
    # one asset at 40 % vol, target 20 %: exposure 0.5, cash 0.5; at 10 % vol the cap of 1.0 binds
    cov = pd.DataFrame([[0.16]], index=["A"], columns=["A"])
    w, vol, cash = vol_target(pd.Series({"A": 1.0}), cov, target_vol=0.2)
    assert vol == pytest.approx(0.4) and w["A"] == pytest.approx(0.5) and cash == pytest.approx(0.5)
    w, _, cash = vol_target(pd.Series({"A": 1.0}), cov / 16, target_vol=0.2, max_gross=1.0)
    assert w["A"] == pytest.approx(1.0) and cash == pytest.approx(0.0)


def test_schedule_around_good_friday_and_the_2025_closure():
    # from the 2015-01-02 anchor, every 5 sessions: 2015-01-09 (Jan 5, 6, 7, 8, 9) is a rebalance day
    assert is_rebalance_day(date(2015, 1, 2)) and is_rebalance_day(date(2015, 1, 9))
    assert not is_rebalance_day(date(2015, 1, 8))
    # Mar 31 is one; Good Friday (Apr 3) is closed, so the next is Apr 8 (Apr 1, 2, 6, 7, 8), not Apr 7
    assert next_rebalance_dates(date(2015, 3, 31), 2) == [date(2015, 3, 31), date(2015, 4, 8)]
    assert not is_rebalance_day(date(2015, 4, 3)) and not is_rebalance_day(date(2015, 4, 7))
    # 2025-01-09 (national day of mourning) is never a rebalance day
    assert not is_rebalance_day(date(2025, 1, 9))
    dates = next_rebalance_dates(date(2025, 1, 1), 3)
    assert date(2025, 1, 9) not in dates and all(is_rebalance_day(d) for d in dates)
    assert not is_rebalance_day(date(2014, 12, 31))  # before the anchor
