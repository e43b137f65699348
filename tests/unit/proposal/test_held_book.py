"""The symmetric baseline: the book as held on each date, on a constructed lakehouse where hindsight flips the verdict.

The market (deterministic, so every figure can be worked by hand): F is flat, alternating +2 % / -2 %
(mean 0); R rallies, +0.4 % a day with ±0.5 % around it on a pattern orthogonal to F's. The book held
F through the whole window and switched into R on the last day (as a momentum pick made with
information up to today would). The target is 40 % F / 60 % R.

- Replaying today's holdings (100 % R) over the window credits the baseline with R's rally it never
  earned: the proposal (about 40/60) looks worse, daily Sharpe ≈ 0.28 against ≈ 0.79, ρ ≈ 0.35, 40
  sessions: SE(D) ≈ sqrt([2(0.65) + ½(0.08 + 0.63) − 0.03] / 40) ≈ 0.20 daily, z ≈ −2.5: WORSENS.
- The book as held (100 % F, Sharpe 0, ρ ≈ 0.94): SE(D) ≈ sqrt([2(0.06) + ½(0.08)] / 40) ≈ 0.064
  daily, z ≈ +4.4: IMPROVES.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.monitor.state import StateStore
from rebal.proposal.build import build_proposal

N, WINDOW = 120, 40
PROFILE = """\
description: hindsight test
universe: [F, R]
benchmark: IDX
target:
  method: fixed
  weights: {F: 0.40, R: 0.60}
proposal:
  mode: proportional
  limits: {max_total: 1.0, max_cluster: 1.0, max_single: 1.0, min_allocation: 0.0}
  simulation_days: 40
  refit_every: 10
  correlation_days: 20
  performance_days: 20
  min_trade_value: 0
notebooks: [drift_audit, rebalance_proposal]
"""


def _market() -> pd.DataFrame:
    days = nyse_sessions()
    days = days[days >= pd.Timestamp("2023-01-03")][:N]
    k = np.arange(N) - (N - WINDOW)  # patterns aligned on the window's first session
    r_f = 0.02 * np.where(k % 2 == 0, 1.0, -1.0)
    r_r = 0.004 + 0.005 * np.where(k % 4 < 2, 1.0, -1.0)
    r_i = 0.001 * np.where(k % 3 == 0, 1.0, -0.5)
    close = pd.DataFrame({"F": 100 * np.cumprod(1 + r_f), "R": 50 * np.cumprod(1 + r_r),
                          "IDX": 1000 * np.cumprod(1 + r_i)}, index=days)
    return close


def _home(tmp_path: Path, *, history: bool) -> tuple[Path, pd.DataFrame]:
    close = _market()
    lake = write_market(tmp_path / "data" / "lakehouse" / "rebal.duckdb", close, benchmark="IDX")
    (tmp_path / "params" / "profiles").mkdir(parents=True)
    (tmp_path / "params" / "profiles" / "flip.yaml").write_text(PROFILE)
    first, last = close.index[10].date(), close.index[-1].date()
    value = 1000 * close["F"].iloc[-1]
    with Lakehouse(lake, read_only=False) as lh, lh.transaction() as con:
        if history:  # held F from session 10 on
            con.execute("INSERT INTO holdings VALUES ('flip', ?, 'F', 1000, 'test')", [first])
            con.execute("INSERT INTO cash_balances VALUES ('flip', ?, 0, 'test')", [first])
        # switched into R at the close of the last day
        con.execute("INSERT INTO holdings VALUES ('flip', ?, 'R', ?, 'test')", [last, value / close["R"].iloc[-1]])
        con.execute("INSERT INTO cash_balances VALUES ('flip', ?, 0, 'test')", [last])
    return tmp_path, close


def _propose(home: Path, states: StateStore | None = None):
    prof = load_profile("flip", home / "params" / "profiles")
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        return build_proposal(prof, lh, states=states)


def _window_growth(close: pd.DataFrame, ticker: str) -> np.ndarray:
    px = close[ticker].iloc[-(WINDOW + 1):]
    return (px / px.iloc[0]).iloc[1:].to_numpy()


def test_todays_holdings_replayed_make_the_proposal_look_worse(tmp_path):
    home, close = _home(tmp_path, history=False)
    p = _propose(home)
    s = p.simulation
    assert p.baseline.startswith("today's holdings replayed") and "hindsight" in p.baseline
    np.testing.assert_allclose(s.paths["baseline"].to_numpy(), _window_growth(close, "R"), rtol=1e-12)
    # the walk-forward starts from today's book (100 % R): to 40/60 trades |0.4| + |0.6 - 1| = 0.8
    assert s.refits[0]["traded"] == pytest.approx(0.8)
    assert p.verdict == "WORSENS" and "today's holdings replayed" in p.verdict_reason
    assert p.sharpe_difference < -1.96 * p.sharpe_difference_se


def test_the_book_as_held_does_not(tmp_path):
    home, close = _home(tmp_path, history=True)
    p = _propose(home)
    s = p.simulation
    # one snapshot in effect over the window: the one of session 10 (the switch earns from tomorrow)
    assert p.baseline == "holdings as held on each date (1 snapshot)" and not s.baseline_hindsight
    np.testing.assert_allclose(s.paths["baseline"].to_numpy(), _window_growth(close, "F"), rtol=1e-12)
    assert s.baseline["sharpe"] == pytest.approx(0.0, abs=1e-9)  # ±2 % alternating: mean exactly 0
    # the walk-forward starts from the book as held at the window start (100 % F): |0.4 - 1| + |0.6| = 1.2
    assert s.refits[0]["traded"] == pytest.approx(1.2)
    assert p.verdict == "IMPROVES"
    assert p.sharpe_difference > 1.96 * p.sharpe_difference_se and p.figure.significant
    # the in-sample comparison stays labelled as looking ahead
    assert "look-ahead" in " ".join(s.table().columns)


def test_accepted_states_stand_in_when_there_is_no_holdings_history(tmp_path):
    home, close = _home(tmp_path, history=False)
    states = StateStore(tmp_path / "states")
    states.accept("flip", pd.Series({"F": 0.5, "CASH": 0.5}), as_of=close.index[5].date(), source="test")
    p = _propose(home, states)
    assert p.baseline == ("holdings as held on each date (1 accepted weight-only state drifting with prices "
                          "in between)")
    # half F, half cash, bought on session 5 and left to drift: value 0.5 F_t / F_5 + 0.5
    f = close["F"]
    value = 0.5 * f / f.iloc[5] + 0.5
    v = value.iloc[-(WINDOW + 1):]
    np.testing.assert_allclose(p.simulation.paths["baseline"].to_numpy(), (v / v.iloc[0]).iloc[1:].to_numpy(),
                               rtol=1e-12)


def test_a_snapshot_changes_the_baseline_from_the_next_session(tmp_path):
    home, close = _home(tmp_path, history=True)
    mid = close.index[-20]  # switch half of F into cash at the close of this session
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=False) as lh, lh.transaction() as con:
        con.execute("INSERT INTO holdings VALUES ('flip', ?, 'F', 500, 'test')", [mid.date()])
        con.execute("INSERT INTO cash_balances VALUES ('flip', ?, ?, 'test')", [mid.date(), 500 * close["F"][mid]])
    p = _propose(home)
    assert p.baseline == "holdings as held on each date (2 snapshots)"
    f = close["F"]
    r_f = f.pct_change().iloc[-WINDOW:]
    # from the session after `mid` the book is 500 F + cash 500 F_mid: r_t = (F_t - F_t-1) / (F_t-1 + F_mid)
    after = f.diff() / (f.shift() + f[mid])
    expected = r_f.where(r_f.index <= mid, after.iloc[-WINDOW:])
    got = p.simulation.paths["baseline"].pct_change().fillna(p.simulation.paths["baseline"].iloc[0] - 1)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-12)
    assert date(2023, 1, 3) <= mid.date()
