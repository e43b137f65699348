"""A profile's target weights (rebal.allocation.target.compute_target): cash scaling, lookback window,
as-of limit and the data errors, worked by hand or with numpy.

(Here rather than under tests/unit/allocation/, which holds the allocators' own tests.)
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.allocation.target import compute_target
from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import ConfigError, DataError

SESSIONS = nyse_sessions()
AS_OF = date(2024, 3, 28)  # the last session of March 2024 (Good Friday follows)
DAYS = SESSIONS[SESSIONS <= pd.Timestamp(AS_OF)][-40:]


def _returns() -> pd.DataFrame:
    """Returns with very different volatilities: A 0.5 %, B 1 %, C 2 % a day (seeded)."""
    rng = np.random.default_rng(21)
    r = pd.DataFrame({t: rng.normal(0, s, len(DAYS)) for t, s in (("A", 0.005), ("B", 0.01), ("C", 0.02))},
                     index=DAYS)
    r.iloc[0] = 0.0
    return r


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    r = _returns()
    close = 50.0 * (1 + r).cumprod()
    close["IDX"] = 100.0
    path = write_market(tmp_path_factory.mktemp("target") / "rebal.duckdb", close, benchmark="IDX",
                        sectors={"A": "Tech", "B": "Tech", "C": "Energy"})
    return path, r


def _profile(tmp_path, target: str, name: str = "t"):
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"universe: [A, B, C]\nbenchmark: IDX\ntarget: {target}\nnotebooks: [drift_audit]\n")
    return load_profile(p)


def _inverse_vol(r: pd.DataFrame) -> dict[str, float]:
    inv = 1.0 / np.std(r.to_numpy(), axis=0, ddof=1)
    return dict(zip(r.columns, inv / inv.sum(), strict=True))


def test_fixed_weights_are_kept_and_cash_is_added(market, tmp_path):
    path, _ = market
    with Lakehouse(path) as lh:
        t = compute_target(_profile(tmp_path, "{method: fixed, weights: {A: 0.5, B: 0.3, C: 0.1}, cash: 0.1}"), lh, AS_OF)
        no_cash = compute_target(_profile(tmp_path, "{method: fixed, weights: {A: 0.5, B: 0.5}}", "nc"), lh, AS_OF)
    assert t.weights.to_dict() == pytest.approx({"A": 0.5, "B": 0.3, "C": 0.1, "CASH": 0.1})
    assert (t.method, t.fitted_on, t.window_start, t.n_observations, t.model) == ("fixed", AS_OF, None, 0, None)
    assert no_cash.weights.to_dict() == pytest.approx({"A": 0.5, "B": 0.5}) and "CASH" not in no_cash.weights


def test_equal_weight_invested_part_is_scaled_to_one_minus_cash(market, tmp_path):
    path, _ = market
    with Lakehouse(path) as lh:
        t = compute_target(_profile(tmp_path, "{method: equal_weight, cash: 0.25, lookback_days: 20}"), lh, AS_OF)
    assert t.weights.to_dict() == pytest.approx({"A": 0.25, "B": 0.25, "C": 0.25, "CASH": 0.25})
    assert t.weights.sum() == pytest.approx(1.0)


def test_inverse_vol_on_the_lookback_window_by_numpy(market, tmp_path):
    path, r = market
    with Lakehouse(path) as lh:
        t = compute_target(_profile(tmp_path, "{method: inverse_vol, cash: 0.2, lookback_days: 20}"), lh, AS_OF)
    window = r.iloc[-20:]  # the 20 daily returns ending on the as-of date
    expected = {k: 0.8 * v for k, v in _inverse_vol(window).items()} | {"CASH": 0.2}
    assert t.weights.to_dict() == pytest.approx(expected, rel=1e-9)
    assert t.window_start == window.index[0].date() and t.n_observations == 20 and t.fitted_on == AS_OF
    assert t.weights["A"] > t.weights["B"] > t.weights["C"]  # calmer assets weigh more
    assert t.model is not None


def test_an_earlier_as_of_fits_on_data_up_to_it_only(market, tmp_path):
    path, r = market
    as_of = DAYS[-11].date()
    with Lakehouse(path) as lh:
        t = compute_target(_profile(tmp_path, "{method: inverse_vol, lookback_days: 20}"), lh, as_of)
    expected = _inverse_vol(r.loc[:pd.Timestamp(as_of)].iloc[-20:])
    assert t.weights.to_dict() == pytest.approx(expected, rel=1e-9) and t.fitted_on == as_of


def test_too_short_a_history_names_the_lookback(market, tmp_path):
    path, _ = market
    with Lakehouse(path) as lh, pytest.raises(DataError, match=r"t\.yaml: `target.lookback_days`: needs 60 daily "
                                                               r"returns up to 2024-03-28, only 39 available"):
        compute_target(_profile(tmp_path, "{method: inverse_vol, lookback_days: 60}"), lh, AS_OF)


def test_a_gap_in_the_lookback_names_the_ticker(tmp_path):
    r = _returns()
    close = 50.0 * (1 + r).cumprod()
    close.loc[DAYS[-5], "B"] = np.nan
    close["IDX"] = 100.0
    path = write_market(tmp_path / "gap.duckdb", close, benchmark="IDX")
    with Lakehouse(path) as lh, pytest.raises(DataError, match=r"`universe`: 'B' has missing prices in the 20-day "
                                                               r"lookback ending 2024-03-28"):
        compute_target(_profile(tmp_path, "{method: inverse_vol, lookback_days: 20}"), lh, AS_OF)


def test_sector_caps_need_known_sectors_of_the_universe(market, tmp_path):
    path, _ = market
    prof = _profile(tmp_path, "{method: min_variance, lookback_days: 20, sector_max: {Utilities: 0.5}}")
    with Lakehouse(path) as lh, pytest.raises(ConfigError, match=r"`target.sector_max.Utilities`: no asset of the "
                                                                 r"universe is in that sector; sectors here: Energy, Tech"):
        compute_target(prof, lh, AS_OF)
    close = 50.0 * (1 + _returns()).cumprod()
    close["IDX"] = 100.0
    nosector = write_market(tmp_path / "ns.duckdb", close, benchmark="IDX", sectors={"C": None})
    with Lakehouse(nosector) as lh, pytest.raises(DataError, match=r"`target.sector_max`: no GICS sector for 'C'"):
        compute_target(_profile(tmp_path, "{method: min_variance, lookback_days: 20, max_sector_weight: 0.6}", "ms"),
                       lh, AS_OF)


def test_a_weight_under_the_floor_is_zero_and_what_it_held_is_cash():
    from rebal.allocation.target import WEIGHT_FLOOR, apply_floor

    w = pd.Series({"A": 0.2, "B": 0.2, "C": 0.5999999952, "D": 4.8e-9})
    out = apply_floor(w)
    assert out["D"] == 0.0 and out["A"] == 0.2 and out["B"] == 0.2  # a weight at its cap is not scaled over it
    assert WEIGHT_FLOOR == 1e-4 and apply_floor(pd.Series({"A": 5e-5, "B": 0.99995}))["A"] == 0.0
