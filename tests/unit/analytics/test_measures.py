"""The one home of each formula: annualisation, Sharpe, drawdown, impact and regime, on hand-worked numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.measures import (
    PERIODS_PER_YEAR,
    REGIMES,
    annualise_return,
    annualise_variance,
    annualise_vol,
    classify_vix,
    max_drawdown,
    regime_widening,
    sharpe_ratio,
    square_root_impact,
    vix_regime,
)

# four daily returns: mean 1 %; deviations +1, -1, -2, +2 points -> sum of squares 1e-3, sample variance 1e-3 / 3
R = [0.02, 0.0, -0.01, 0.03]
SD = np.sqrt(1e-3 / 3)  # 1.8257 %


def test_a_year_is_252_sessions_and_annualisation_by_hand():
    assert PERIODS_PER_YEAR == 252
    assert annualise_vol(0.01) == pytest.approx(0.158745, abs=1e-6)        # 1 % a day = 15.87 % a year
    assert annualise_variance(1e-4) == pytest.approx(0.0252)                 # variance scales with time
    assert annualise_return(0.0004) == pytest.approx(0.1008)                 # arithmetic, not compounded
    assert annualise_vol(0.02, periods_per_year=12) == pytest.approx(0.02 * np.sqrt(12))
    cov = pd.DataFrame([[1e-4, 2e-5], [2e-5, 4e-4]])
    assert annualise_variance(cov).iloc[1, 0] == pytest.approx(2e-5 * 252)


def test_sharpe_ratio_of_a_series_by_hand():
    r = pd.Series(R)
    assert sharpe_ratio(r) == pytest.approx(0.01 / SD * np.sqrt(252))   # 8.6948
    # 2.52 % a year risk-free = 0.01 % a day off every return: mean excess 0.99 %
    assert sharpe_ratio(r, risk_free_rate=0.0252) == pytest.approx(0.0099 / SD * np.sqrt(252))
    assert np.isnan(sharpe_ratio(pd.Series([0.01, 0.01, 0.01])))         # no volatility: undefined


def test_sharpe_ratio_column_by_column_keeps_the_type():
    frame = pd.DataFrame({"a": R, "flat": [0.0] * 4})
    s = sharpe_ratio(frame)
    assert isinstance(s, pd.Series) and s["a"] == pytest.approx(0.01 / SD * np.sqrt(252)) and np.isnan(s["flat"])
    arr = sharpe_ratio(np.column_stack([R, [-x for x in R], [0.0] * 4]))
    assert isinstance(arr, np.ndarray) and arr.shape == (3,)
    assert arr[0] == pytest.approx(-arr[1]) == pytest.approx(8.6948, abs=1e-4)  # sqrt(0.3) x sqrt(252) and np.isnan(arr[2])


def test_max_drawdown_is_a_negative_fraction():
    # peak 1.2 then 0.6: a 50 % fall, whatever the recovery after it
    v = [1.0, 1.2, 0.9, 1.1, 0.6, 0.8]
    assert max_drawdown(np.array(v)) == pytest.approx(-0.5)
    assert max_drawdown(pd.Series(v)) == pytest.approx(-0.5)
    assert max_drawdown(np.array([1.0, 1.1, 1.3])) == 0.0                # never falls
    cols = max_drawdown(np.column_stack([v, [1.0, 0.75, 0.9, 1.0, 1.0, 1.0]]))
    assert cols == pytest.approx([-0.5, -0.25])
    frame = max_drawdown(pd.DataFrame({"a": v, "b": [2.0, 1.0, 2.0, 3.0, 1.5, 3.0]}))
    assert frame.to_dict() == pytest.approx({"a": -0.5, "b": -0.5})


def test_square_root_impact_by_hand():
    # Y 0.6, sigma 2 % a day, $1M traded against $100M ADV: 0.6 x 0.02 x sqrt(0.01) = 0.12 % = 12 bps
    assert square_root_impact(1e6, 1e8, 0.02, coefficient=0.6) == pytest.approx(0.0012)
    assert square_root_impact(-1e6, 1e8, 0.02, coefficient=0.6) == pytest.approx(0.0012)  # a sell costs the same
    # four times the size, twice the impact per dollar
    out = square_root_impact(pd.Series({"A": 4e6, "B": 1e6}), pd.Series({"A": 1e8, "B": 1e8}),
                             pd.Series({"A": 0.02, "B": 0.01}), coefficient=0.5)
    assert out.to_dict() == pytest.approx({"A": 0.5 * 0.02 * 0.2, "B": 0.5 * 0.01 * 0.1})


@pytest.mark.parametrize(("vix", "expected"), [(12.0, ("normal", 1.0)), (19.99, ("normal", 1.0)),
                                               (20.0, ("elevated", 1.2)), (29.9, ("elevated", 1.2)),
                                               (30.0, ("stress", 1.5)), (80.0, ("stress", 1.5)),
                                               (float("nan"), ("normal", 1.0))])
def test_vix_regime_bands_at_the_planner_levels(vix, expected):
    assert classify_vix(vix, elevated=20.0, stress=30.0, widening=(1.0, 1.2, 1.5)) == expected


def test_regime_levels_and_widening_are_parameters():
    codes = vix_regime(np.array([10.0, 15.0, 24.9, 25.0, np.nan]), elevated=15.0, stress=25.0)
    assert codes.tolist() == [0, 1, 1, 2, 0] and codes.dtype == np.int8
    assert regime_widening(codes, (1.0, 2.0, 3.0)).tolist() == [1.0, 2.0, 2.0, 3.0, 1.0]
    assert classify_vix(26.0, elevated=15.0, stress=25.0, widening=(1.0, 2.0, 3.0)) == ("stress", 3.0)
    assert REGIMES == ("normal", "elevated", "stress")
    with pytest.raises(ValueError, match="need 3 multipliers"):
        regime_widening(codes, (1.0, 1.2))
