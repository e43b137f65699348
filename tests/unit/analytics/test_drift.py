"""Drift and status, on examples worked out by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from rebal.analytics.drift import (
    Status,
    asset_drift,
    drift_path,
    drift_status,
    drift_table,
    portfolio_drift,
    weights_from_holdings,
)


def test_weights_from_holdings_three_assets_and_cash_by_hand():
    # 100 x 44 = 4400, 150 x 18 = 2700, 50 x 46 = 2300, cash 1000: total 10400
    w = weights_from_holdings(pd.Series({"AAA": 100, "BBB": 150, "CCC": 50}),
                              pd.Series({"AAA": 44.0, "BBB": 18.0, "CCC": 46.0}), 1000.0)
    assert w.to_dict() == pytest.approx({"AAA": 4400 / 10400, "BBB": 2700 / 10400, "CCC": 2300 / 10400,
                                         "CASH": 1000 / 10400})


def test_weights_from_holdings_missing_price_is_an_error():
    with pytest.raises(ValueError, match="no price for held ticker.*BBB"):
        weights_from_holdings(pd.Series({"AAA": 1, "BBB": 1}), pd.Series({"AAA": 1.0}))


def test_three_asset_drift_by_hand():
    # actual 50/30/20, target 40/40/20: drifts +10, -10, 0 points; D = (10 + 10 + 0) / 2 = 10 %
    actual = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    target = pd.Series({"A": 0.4, "B": 0.4, "C": 0.2})
    assert asset_drift(actual, target).to_dict() == pytest.approx({"A": 0.1, "B": -0.1, "C": 0.0})
    assert portfolio_drift(actual, target) == pytest.approx(0.10)


def test_drift_counts_assets_missing_on_either_side_as_zero_weight():
    # D held at 20 % is not in the target; E is targeted at 20 % but not held: D = (0.2 + 0.2) / 2
    actual = pd.Series({"A": 0.8, "D": 0.2})
    target = pd.Series({"A": 0.8, "E": 0.2})
    d = asset_drift(actual, target)
    assert d["D"] == pytest.approx(0.2) and d["E"] == pytest.approx(-0.2)
    assert portfolio_drift(actual, target) == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        # exactly 10 % portfolio drift, each asset 5 points: MAINTAIN ("above 10 %" is strict)
        ({"A": 0.30, "B": 0.30, "C": 0.20, "D": 0.20}, {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}, Status.MAINTAIN),
        # 10.5 %: REBALANCE (assets at 5.25 points, under the 7.5-point limit)
        ({"A": 0.3025, "B": 0.3025, "C": 0.1975, "D": 0.1975}, {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25},
         Status.REBALANCE),
        # a single 7.6-point drift with only 7.6 % portfolio drift: URGENT
        ({"A": 0.326, "B": 0.674}, {"A": 0.25, "B": 0.75}, Status.URGENT),
        # exactly 7.5 points on one asset: not beyond the limit
        ({"A": 0.325, "B": 0.675}, {"A": 0.25, "B": 0.75}, Status.MAINTAIN),
        # exactly 20 %: REBALANCE, not URGENT (assets within limit: 8 assets at 5 points)
        ({k: 0.125 + (0.05 if i < 4 else -0.05) for i, k in enumerate("ABCDEFGH")},
         {k: 0.125 for k in "ABCDEFGH"}, Status.REBALANCE),
        # 20.4 % spread over 8 assets (5.1 points each): URGENT on portfolio drift alone
        ({k: 0.125 + (0.051 if i < 4 else -0.051) for i, k in enumerate("ABCDEFGH")},
         {k: 0.125 for k in "ABCDEFGH"}, Status.URGENT),
    ],
)
def test_drift_status_boundaries(actual, target, expected):
    assert drift_status(pd.Series(actual), pd.Series(target)).status is expected


def test_drift_status_urgent_when_single_asset_breaches_reports_the_asset():
    res = drift_status(pd.Series({"A": 0.326, "B": 0.674}), pd.Series({"A": 0.25, "B": 0.75}))
    assert res.status is Status.URGENT
    assert res.max_drift_asset in {"A", "B"} and res.max_abs_drift == pytest.approx(0.076)
    assert res.portfolio_drift == pytest.approx(0.076)
    assert any("beyond ±7.50%" in r for r in res.reasons)


def test_drift_status_thresholds_are_parameters():
    actual, target = pd.Series({"A": 0.56, "B": 0.44}), pd.Series({"A": 0.5, "B": 0.5})  # D = 6 %
    assert drift_status(actual, target).status is Status.MAINTAIN
    assert drift_status(actual, target, rebalance=0.05, urgent=0.5, single_asset_urgent=0.5).status is Status.REBALANCE
    assert drift_status(actual, target, rebalance=0.02, urgent=0.05, single_asset_urgent=0.5).status is Status.URGENT


def test_drift_table_sorted_by_absolute_drift_with_breach_flag():
    t = drift_table(pd.Series({"A": 0.5, "B": 0.3, "C": 0.2}), pd.Series({"A": 0.4, "B": 0.45, "C": 0.15}))
    assert list(t.index) == ["B", "A", "C"]
    assert t["beyond_band"].tolist() == [True, True, False]  # 15 and 10 points are beyond the 7.5-point band; 5 is not


def test_drift_path_of_fixed_holdings_by_hand():
    # 1 share of X and 1 of Y; implemented at 50/50 (both at 10); next day X = 30, Y = 10:
    # weights 75/25, drift vs 50/50 = (25 + 25) / 2 = 25 %
    prices = pd.DataFrame({"X": [10.0, 30.0], "Y": [10.0, 10.0]}, index=pd.to_datetime(["2024-01-02", "2024-01-03"]))
    p = drift_path(pd.Series({"X": 1.0, "Y": 1.0}), prices, 0.0, pd.Series({"X": 0.5, "Y": 0.5}))
    assert p.tolist() == pytest.approx([0.0, 0.25])


def test_the_drift_splits_into_a_price_part_and_a_target_part_that_add_up():
    from rebal.analytics.drift import drift_split

    implemented = pd.Series({"A": 0.5, "B": 0.5})
    target = pd.Series({"A": 0.3, "B": 0.7})
    # prices moved A up 10 points, the target moved 20 points away: drift 30 = 10 (prices) + 20 (target)
    away = pd.Series({"A": 0.6, "B": 0.4})
    assert drift_split(away, implemented, target) == pytest.approx((0.10, 0.20))
    assert sum(drift_split(away, implemented, target)) == pytest.approx(portfolio_drift(away, target))
    # prices moved 5 points towards the new target: a negative price part, drift 15 = -5 + 20
    towards = pd.Series({"A": 0.45, "B": 0.55})
    assert drift_split(towards, implemented, target) == pytest.approx((-0.05, 0.20))
    # a name the target adds (C) and cash: still adds up
    t2 = pd.Series({"A": 0.3, "B": 0.4, "C": 0.2, "CASH": 0.1})
    a2 = pd.Series({"A": 0.55, "B": 0.40, "CASH": 0.05})
    p, t = drift_split(a2, implemented, t2)
    assert p + t == pytest.approx(portfolio_drift(a2, t2))
