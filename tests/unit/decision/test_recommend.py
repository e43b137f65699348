"""The recommendation's grading table row by row, the evidence's verdicts per measure, and the cost hook."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import REPO

from rebal.config import load_profile
from rebal.decision import recommend as rec
from rebal.decision.evidence import build_evidence
from rebal.decision.objective import Objective
from rebal.decision.recommend import GRADE_TABLE, Judgement, option_costs

BETTER = Objective("variance", "ex-ante volatility", 0.153, 0.148, 0.149, -0.005, 4.7e-4, -3.05, True, "b", "pct")
NOT_BETTER = Objective("variance", "ex-ante volatility", 0.142, 0.142, None, -0.0004, 1.7e-4, -0.59, False, "b", "pct")


def judge(**kw) -> Judgement:
    base = dict(has_trade=True, objective=BETTER, against=(), unstable=(), net_adopt=2690.0, net_partway=2000.0,
                partway_removed=0.95, partway_toward=1.0, adopt_share=0.9, noise_z=1.96)
    return Judgement(**(base | kw))


CASES = [
    (1, judge(has_trade=False, objective=NOT_BETTER), "no trade towards the target"),
    (2, judge(objective=NOT_BETTER, against=("worst stress episode deeper",)),
     "ex-ante volatility 14.20% → 14.20% (0.04 points lower, z = -0.59: not significant)"),
    (3, judge(against=("worst stress episode deeper (2008-09 crisis)",), unstable=("x",)), "2008-09 crisis"),
    (4, judge(net_adopt=-19.0, net_partway=0.0, unstable=("x",)), "adopt −$19, part-way $0"),
    (5, judge(unstable=("5.4% a week > 5%", "bootstrap 45% > 25%"), partway_toward=0.78),
     "unstable target (5.4% a week > 5%, bootstrap 45% > 25%): 78% of the way"),
    (5, judge(net_partway=3210.0), "part-way nets $3,210 vs $2,690 adopting"),  # the part-way trade nets more
    (5, judge(partway_removed=0.64, net_partway=100.0), "(64% of the tracking-error variance removed)"),
    (6, judge(), "better on the profile's objective beyond its noise (ex-ante volatility 15.30% → 14.80% (0.50 "
               "points lower, z = -3.05: significant)), stable, nothing against it"),
]


@pytest.mark.parametrize("row, j, phrase", CASES)
def test_grade_is_the_first_row_that_holds(row, j, phrase):
    first = next(r for r in GRADE_TABLE if r.condition(j))
    assert first.number == row and phrase in first.reason(j)


def test_every_grade_row_has_a_case_and_the_last_is_otherwise():
    assert sorted({c[0] for c in CASES}) == [r.number for r in GRADE_TABLE]
    assert GRADE_TABLE[-1].when == "otherwise" and {r.grade for r in GRADE_TABLE} == set(rec.GRADES)


def _proposal(defensive: bool = True):
    prof = load_profile("min_variance", REPO / "params" / "profiles")
    if not defensive:
        import dataclasses
        prof = dataclasses.replace(prof, sensitivity=dataclasses.replace(prof.sensitivity, defensive=False))
    return SimpleNamespace(profile=prof)


def _m(now: dict, adopt: dict) -> dict:
    base = {"vol": 0.15, "beta": 0.45, "beta_rolling": 0.45, "te_benchmark": 0.16, "var99": 0.020, "worst": -0.30,
            "worst_name": "2008-09 crisis"}
    return {"now": base | now, "adopt": base | adopt}


def _ev(m, **kw):
    args = dict(costs={"adopt": 2444.0}, benefits={"adopt": 5134.0}, stability_text="stable", unstable=False,
                simulation=("Sharpe +0.01 ± 0.09 (z +0.13): not significant", "not significant"))
    return build_evidence(_proposal(kw.pop("defensive", True)), m, BETTER, **(args | kw))


def test_each_measure_says_for_or_against_by_its_rule():
    ev = _ev(_m({}, {}))
    assert {r.key: r.says for r in ev.rows} == {
        "objective": "for", "volatility": "neutral", "beta": "neutral", "beta_rolling": "neutral",
        "te_benchmark": "neutral", "var99": "neutral", "worst_episode": "neutral", "cost": "neutral",
        "benefit": "for", "stability": "neutral", "simulation": "not significant"}
    # a defensive profile (limit 0.5): above the limit and higher than now argues against; lower than now does not
    assert _ev(_m({"beta_rolling": 0.48}, {"beta_rolling": 0.52})).row("beta_rolling").says == "against"
    lower = _ev(_m({"beta_rolling": 0.56}, {"beta_rolling": 0.51})).row("beta")
    assert lower.says == "neutral" and lower.note == "above the 0.5 limit, but lower than now"
    assert _ev(_m({"beta": 0.48}, {"beta": 0.60}), defensive=False).row("beta").says == "neutral"
    # VaR: 10 % higher relative is the tolerance; stress: 0.5 point deeper
    assert _ev(_m({}, {"var99": 0.0221})).row("var99").says == "against"   # +10.5 %
    assert _ev(_m({}, {"var99": 0.0219})).row("var99").says == "neutral"   # +9.5 %
    assert _ev(_m({"worst": -0.375}, {"worst": -0.385})).row("worst_episode").says == "against"  # hrp: 1 point
    assert _ev(_m({"worst": -0.375}, {"worst": -0.379})).row("worst_episode").says == "neutral"
    assert _ev(_m({}, {}), benefits={"adopt": 1000.0}).row("benefit").says == "against"


def test_the_cost_hook_adds_a_component_to_every_trade_list(monkeypatch):
    monkeypatch.setattr(rec, "COST_COMPONENTS", [lambda p, trades: ("tax", 100.0 * len(trades.trades))])
    tl = SimpleNamespace(trades=pd.DataFrame({"ticker": ["A", "B"]}))
    assert option_costs(None, tl, 1234.0) == {"trading": 1234.0, "tax": 200.0}


def test_a_part_way_book_that_loses_more_in_stress_than_now_is_evidence_against():
    # max_sharpe on 2022-12-28: now -46.9 %, part-way -47.6 % in 2007-2009: 0.7 points deeper > the 0.5 tolerance
    rs = SimpleNamespace(stress_tolerance=0.005, var_tolerance=0.10)
    now = {"worst": -0.469, "var99": 0.0322, "worst_name": "2007-2009 financial crisis"}
    deeper = rec._partway_against({"now": now, "partway": {**now, "worst": -0.476}}, rs)
    assert len(deeper) == 1 and "-46.9% now → -47.6%" in deeper[0] and "2007-2009" in deeper[0]
    # 0.4 points deeper is within the tolerance; VaR 9 % higher is within 10 %, 11 % higher is not
    assert rec._partway_against({"now": now, "partway": {**now, "worst": -0.473, "var99": 0.0322 * 1.09}}, rs) == ()
    var = rec._partway_against({"now": now, "partway": {**now, "var99": 0.0322 * 1.11}}, rs)
    assert len(var) == 1 and "3.22% → 3.57%" in var[0]
    # and row 3 then keeps the current book, with that reason
    j = judge(unstable=("5.4% a week > 5%",), against=deeper)
    first = next(r for r in GRADE_TABLE if r.condition(j))
    assert first.number == 3 and first.grade == "KEEP CURRENT" and "part-way book" in first.reason(j)


def test_the_worst_episode_row_says_when_the_part_way_book_is_deeper():
    # max_sharpe: now -46.9 %, adopt -44.6 % (shallower), part-way -47.6 % (0.7 points deeper than now)
    m = _m({"worst": -0.469}, {"worst": -0.446})
    m["partway"] = m["now"] | {"worst": -0.476}
    row = _ev(m, costs={"adopt": 2444.0, "partway": 900.0}, benefits={"adopt": 5134.0, "partway": 3000.0}) \
        .row("worst_episode")
    assert row.says == "neutral" and "part-way book is deeper than now" in row.note
    m["partway"]["worst"] = -0.472  # 0.3 points: within the tolerance, no remark
    row = _ev(m, costs={"adopt": 2444.0, "partway": 900.0}, benefits={"adopt": 5134.0, "partway": 3000.0}) \
        .row("worst_episode")
    assert "part-way" not in row.note
