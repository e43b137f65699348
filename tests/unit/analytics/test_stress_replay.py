"""Historical episode replay and hypothetical shocks (rebal.analytics.stress, rebal.analytics.shocks) by hand.

The market: a benchmark IDX at 100, 90, 80, 88 over four sessions of an episode; stock A at 50, 45, 47.5, 40;
ETF E listed only after the episode (beta 1.5, estimated elsewhere). Weights: A 50 %, E 30 %, cash 20 %.
E's proxy growth is 1 + 1.5 (IDX / 100 - 1) = 1, 0.85, 0.70, 0.82; A's growth is 1, 0.9, 0.95, 0.8;
the value is 0.2 + 0.5 g_A + 0.3 g_E = 1, 0.905, 0.885, 0.846.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.shocks import (
    benchmark_shock,
    correlation_one_shock,
    factor_shock,
    sector_shock,
    shock_table,
)
from rebal.analytics.stress import Episode, replay_episode

DAYS = pd.to_datetime(["2020-02-18", "2020-02-19", "2020-02-20", "2020-02-21", "2020-02-24", "2020-02-25",
                       "2020-06-01"])
CLOSES = pd.DataFrame({
    "IDX": [101.0, 100.0, 90.0, 80.0, 88.0, 95.0, 120.0],
    "A": [51.0, 50.0, 45.0, 47.5, 40.0, 41.0, 60.0],
    "E": [np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 30.0],
}, index=DAYS)
W = pd.Series({"A": 0.5, "E": 0.3, "CASH": 0.2})
BETAS = pd.Series({"A": 0.9, "E": 1.5})
EP = Episode("test crash", date(2020, 2, 19), date(2020, 2, 24))


def test_replay_by_hand_with_a_labelled_beta_proxy():
    res = replay_episode(EP, CLOSES, W, BETAS, benchmark="IDX", as_of=date(2020, 6, 1))
    assert res.covered and res.sessions == 4
    assert (res.first, res.last) == (date(2020, 2, 19), date(2020, 2, 24))
    assert res.path.tolist() == pytest.approx([1.0, 0.905, 0.885, 0.846], abs=1e-12)
    assert res.peak_to_trough == pytest.approx(-0.154, abs=1e-12)
    assert res.episode_return == pytest.approx(-0.154, abs=1e-12)
    assert res.worst_day == pytest.approx(-0.095, abs=1e-12)
    assert res.worst_day_date == date(2020, 2, 20)
    assert res.proxied == {"E": 1.5} and res.proxied_weight == pytest.approx(0.3)
    assert "E: no prices before 2020-06-01" in res.reason


def test_peak_to_trough_equals_skfolios_max_drawdown():
    from skfolio.measures import get_drawdowns, max_drawdown

    res = replay_episode(Episode("w", date(2020, 2, 18), date(2020, 2, 25)), CLOSES, pd.Series({"A": 1.0}),
                         BETAS, benchmark="IDX", as_of=date(2020, 6, 1))
    rets = CLOSES["A"].iloc[:6].pct_change().dropna().to_numpy()
    expected = -max_drawdown(get_drawdowns(rets, compounded=True))
    assert res.peak_to_trough == pytest.approx(expected, abs=1e-12)
    assert res.peak_to_trough == pytest.approx(40 / 51 - 1, abs=1e-12)


def test_start_on_a_holiday_uses_the_session_before():
    res = replay_episode(Episode("w", date(2020, 2, 22), date(2020, 2, 25)), CLOSES, pd.Series({"A": 1.0}), BETAS,
                         benchmark="IDX", as_of=date(2020, 6, 1))
    assert res.first == date(2020, 2, 21) and res.sessions == 3


@pytest.mark.parametrize("episode, as_of, reason", [
    (Episode("old", date(1987, 8, 25), date(1987, 12, 4)), date(2020, 6, 1),
     "the benchmark's data start 2020-02-18, after the episode's start 1987-08-25"),
    (EP, date(2020, 2, 21), "ends 2020-02-24, after the as-of date 2020-02-21"),
])
def test_episodes_the_data_do_not_cover_say_why(episode, as_of, reason):
    res = replay_episode(episode, CLOSES, W, BETAS, benchmark="IDX", as_of=as_of)
    assert not res.covered and res.reason == reason and np.isnan(res.peak_to_trough)


def test_a_proxy_without_a_beta_is_refused():
    with pytest.raises(ValueError, match=r"`betas`: 'E' needs a beta proxy .* but has no finite beta"):
        replay_episode(EP, CLOSES, W, pd.Series({"A": 1.0}), benchmark="IDX", as_of=date(2020, 6, 1))


def test_shocks_by_hand():
    w = pd.Series({"A": 0.5, "B": 0.3, "CASH": 0.2})
    betas = pd.Series({"A": 0.8, "B": 1.5})
    assert benchmark_shock(w, betas, -0.2) == pytest.approx(-0.2 * (0.4 + 0.45))
    assert sector_shock(w, {"A": "Energy", "B": "Tech"}, "Energy", -0.25) == pytest.approx(-0.125)
    # daily vols 1 % and 2 %, 21 sessions, 2 sd: -2 · sqrt(21) · (0.5 · 0.01 + 0.3 · 0.02)
    vols = pd.Series({"A": 0.01, "B": 0.02}) * np.sqrt(21)
    assert correlation_one_shock(w, vols, 2.0) == pytest.approx(-2 * np.sqrt(21) * 0.011)
    assert factor_shock(w, pd.Series({"A": 0.2, "B": 1.0}), -0.1) == pytest.approx(-0.1 * (0.1 + 0.3))
    t = shock_table({"current": w}, betas=betas, sectors={"A": "Energy", "B": "Tech"},
                    vols_daily=pd.Series({"A": 0.01, "B": 0.02}), benchmark_moves=(-0.1, -0.3), sector_move=-0.25,
                    shock_sectors=("Tech",), sds=2.0, horizon_days=21,
                    factor_betas=pd.DataFrame({"F": [0.2, 1.0]}, index=["A", "B"]),
                    factor_vols_daily=pd.Series({"F": 0.01}), benchmark="IDX")
    assert t["kind"].tolist() == ["benchmark", "benchmark", "sector", "correlation", "factor"]
    assert t["current"].tolist() == pytest.approx([-0.085, -0.255, -0.075, -2 * np.sqrt(21) * 0.011,
                                                    -2 * 0.01 * np.sqrt(21) * 0.4])
    assert t.loc[0, "shock"] == "IDX -10% through betas"


def test_shocks_refuse_a_missing_input():
    with pytest.raises(ValueError, match=r"`betas`: no beta for 'B'"):
        benchmark_shock(pd.Series({"A": 0.5, "B": 0.5}), pd.Series({"A": 1.0}), -0.1)
    with pytest.raises(ValueError, match=r"`vols`: no volatility for 'A'"):
        correlation_one_shock(pd.Series({"A": 1.0}), pd.Series(dtype=float), 2.0)
