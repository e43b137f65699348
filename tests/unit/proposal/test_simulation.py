"""Impact simulation on hand-worked paths."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.proposal.simulation import Simulation, path_metrics, path_returns, walk_forward

DAYS = pd.bdate_range("2024-01-02", periods=4)


def test_buy_and_hold_path_with_cash_and_cost():
    # A 50 %, B 30 %, cash 20 %; A +10 % then 0, B -10 % then +10 %:
    # day 1: 0.55 + 0.27 + 0.2 = 1.02; day 2: 0.55 + 0.297 + 0.2 = 1.047 -> +2.647 %
    r = pd.DataFrame({"A": [0.10, 0.0], "B": [-0.10, 0.10]}, index=DAYS[:2])
    w = pd.Series({"A": 0.5, "B": 0.3, "CASH": 0.2})
    np.testing.assert_allclose(path_returns(w, r).to_numpy(), [0.02, 1.047 / 1.02 - 1])
    # a 1 % cost paid up front: 1.02 x 0.99 = 1.0098 on day 1, same day-2 return
    np.testing.assert_allclose(path_returns(w, r, cost=0.01).to_numpy(), [0.0098, 1.047 / 1.02 - 1])


def test_metrics_by_hand():
    r = pd.Series([0.01, -0.02, 0.03, 0.0], index=DAYS)
    m = path_metrics(r)
    assert m["win_rate"] == 0.5
    assert m["total_return"] == pytest.approx(1.01 * 0.98 * 1.03 - 1)
    assert m["max_drawdown"] == pytest.approx(-0.02)  # 1.01 -> 0.9898
    # mean 0.005; sample sd sqrt(0.0013 / 3) = 0.0208167; x sqrt(252)
    assert m["sharpe"] == pytest.approx(0.005 / np.sqrt(0.0013 / 3) * np.sqrt(252))
    assert m["volatility"] == pytest.approx(np.sqrt(0.0013 / 3) * np.sqrt(252))
    # a risk-free rate of 2.52 % a year takes 0.0001 a day off the mean
    assert path_metrics(r, 0.0252)["sharpe"] == pytest.approx(0.0049 / np.sqrt(0.0013 / 3) * np.sqrt(252))


def test_the_figure_states_both_sides_the_difference_its_noise_and_the_dollars():
    from rebal.proposal.noise import SharpeComparison

    base = {"sharpe": 0.21, "volatility": 0.30, "max_drawdown": -0.20, "total_return": 0.05}
    oos = {"sharpe": 1.20, "volatility": 0.23, "max_drawdown": -0.127, "total_return": 0.1374}
    cmp = SharpeComparison(126, 0.21, 1.20, 0.6, 0.99, 0.86)
    sim = Simulation(DAYS[0].date(), DAYS[-1].date(), 126, 0.002, base, dict(base), oos, pd.DataFrame(),
                     baseline_source="holdings as held on each date (1 snapshot)", baseline_hindsight=False,
                     comparison_out_of_sample=cmp, refit_every=21, value=21_168_517.0)
    f = sim.figure(1.96)
    # z = 0.99 / 0.86 = 1.151: not significant at 1.96; vol 23 - 30 = -7 points, drawdown -12.7 - (-20) = +7.3 points;
    # P&L (13.74 % - 5 %) x $21,168,517 = $1,850,128
    assert f.z == pytest.approx(0.99 / 0.86) and not f.significant
    assert f.vol_difference == pytest.approx(-0.07) and f.drawdown_difference == pytest.approx(0.073)
    assert f.pnl_difference_usd == pytest.approx(0.0874 * 21_168_517.0)
    words = f.words()
    assert "Sharpe 1.20 vs 0.21, difference +0.99 ± 0.86 (z = +1.15): not significant" in words
    assert "every 21 sessions" in words and "against holdings as held on each date" in words
    assert "126 sessions" in words and "P&L +$1.85M on today's $21.17M" in words
    assert "%" not in f.short() and "max(" not in words  # no ratio to max(|base|, 0.5) anywhere
    assert sim.figure(1.0).significant  # |z| 1.15 > 1.0


def test_walk_forward_trades_the_drift_back_at_each_refit():
    # 50/50 in A and B; A gains 10 % on days 1 and 3; refits before day 1 and after day 2.
    # Segment 1: 1.05 then flat. Drifted weights 0.55/1.05 and 0.5/1.05: back to 50/50 trades
    # |0.5 - 0.5238| + |0.5 - 0.4762| = 0.047619 of value, at 10 bps = 4.7619e-5.
    # Segment 2: day 3 = 1.05 x (1 - 4.7619e-5) - 1, day 4 flat.
    r = pd.DataFrame({"A": [0.10, 0.0, 0.10, 0.0], "B": [0.0] * 4}, index=DAYS)
    w = pd.Series({"A": 0.5, "B": 0.5})
    refits = [DAYS[0] - pd.Timedelta(days=1), DAYS[1]]
    out, log = walk_forward(w, r, refits, lambda d: w, cost_rate=0.001)
    cost2 = (0.55 / 1.05 - 0.5 + 0.5 - 0.5 / 1.05) * 0.001
    np.testing.assert_allclose(out.to_numpy(), [0.05, 0.0, 1.05 * (1 - cost2) - 1, 0.0], atol=1e-12)
    assert log[0]["cost"] == 0.0 and log[1]["cost"] == pytest.approx(cost2)
    assert log[1]["traded"] == pytest.approx(0.047619, abs=1e-6)
