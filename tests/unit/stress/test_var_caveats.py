"""The VaR backtest's verdict (rebal.stress.caveats): rejection, its direction, the model used instead.

Kupiec's statistic is recomputed by hand: LR = -2 [ (T-x) ln(1-p) + x ln p - (T-x) ln(1-x/T) - x ln(x/T) ].
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from rebal.analytics.var_backtest import backtest_var, coverage_direction
from rebal.stress.caveats import var_verdict


def _bt(exceed_at: list[int], days: int = 500, level: float = 0.99):
    idx = pd.bdate_range("2020-01-01", periods=days)
    ret = np.full(days, 0.001)
    ret[exceed_at] = -0.05
    f = pd.DataFrame({"return": ret, "var": 0.02, "exceedance": ret < -0.02}, index=idx)
    return backtest_var(f, level)


def _kupiec_p(x: int, t: int, p: float) -> float:
    lr = -2 * ((t - x) * math.log(1 - p) + x * math.log(p) - (t - x) * math.log(1 - x / t) - x * math.log(x / t))
    return float(chi2.sf(lr, 1))


SPREAD = [10, 60, 110, 160, 210, 260, 310, 360, 410, 460, 30, 85]          # 12 apart: no clustering
CLUSTER = [100, 101, 102, 103, 104, 300]                                    # 6, five in a row


def test_too_many_exceptions_reject_the_model_and_name_the_direction():
    bt = _bt(SPREAD)  # 12 in 500 at 99 %: 5 expected
    assert bt.kupiec.p_value == pytest.approx(_kupiec_p(12, 500, 0.01), rel=1e-9)
    assert _kupiec_p(12, 500, 0.01) < 0.05
    v = var_verdict({"historical": bt}, "historical")
    assert v.rejected and v.direction == "too many" and v.exceedances == 12 and v.expected == pytest.approx(5.0)
    assert "rejected by its Kupiec test: too many exceptions (12 in 500 days, 5.0 expected" in v.headline
    assert "it understates the loss" in v.text and "no other model was backtested" in v.text
    assert "a lower bound" in v.text


def test_too_few_exceptions_are_a_rejection_the_other_way():
    bt = _bt([], days=1000)  # none in 1000: 10 expected
    v = var_verdict({"normal": bt}, "normal")
    assert bt.kupiec.p_value < 0.05 and v.rejected and v.direction == "too few"
    assert "too few exceptions" in v.headline and "overstates" in v.text and "an upper bound" in v.text


def test_the_alternative_is_a_model_both_tests_accept():
    hist, normal, cf = _bt(SPREAD), _bt([10, 200, 400, 450]), _bt(CLUSTER)
    assert normal.kupiec.p_value >= 0.05 and normal.christoffersen.p_value >= 0.05
    assert cf.kupiec.p_value >= 0.05 > cf.christoffersen.p_value  # right count, but clustered
    v = var_verdict({"historical": hist, "normal": normal, "cornish_fisher": cf}, "historical")
    assert v.alternative == "normal" and "would use the parametric, normal VaR instead" in v.text
    none = var_verdict({"historical": hist, "cornish_fisher": cf}, "historical")
    assert none.alternative == "" and "Cornish-Fisher: its exceptions cluster" in none.text
    assert "none is used instead" in none.text


def test_a_model_that_passes_carries_no_flag_and_a_missing_backtest_no_verdict():
    v = var_verdict({"historical": _bt([10, 200, 400, 450])}, "historical")
    assert not v.rejected and v.headline == "" and "passes its Kupiec test" in v.text
    assert var_verdict({}, "historical") is None


@pytest.mark.parametrize("x, expected, word", [(9, 7.6, "too many"), (3, 7.6, "too few"), (5, 5.0, "")])
def test_coverage_direction(x, expected, word):
    assert coverage_direction(x, expected) == word
