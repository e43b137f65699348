"""Risk and stress of a profile (rebal.stress.build) on a constructed lakehouse, every number recomputed with numpy.

The market: benchmark IDX with seeded daily returns b from 2018; stocks A = 0.8 b + e and B = 1.2 b + e
with full history; ETF E = 1.1 b + e listed on 2020-06-01, after the COVID episode (2020-02-19 .. 03-23),
so the episode replays A and B on their closes and E through its beta to IDX estimated on the 250
returns up to the as-of date (2021-06-30). Holdings: snapshots on 2020-12-31 and 2021-03-31 implementing
40 % A, 30 % B, 20 % E and 10 % cash at that day's closes. The expected numbers below come from the
constructed closes with numpy (and skfolio's VaR), not from the package.
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
from rebal.errors import ConfigError, DataError
from rebal.stress.build import risk_stress

SESSIONS = nyse_sessions()
DAYS = SESSIONS[(SESSIONS >= "2018-01-02") & (SESSIONS <= "2021-07-30")]
AS_OF = date(2021, 6, 30)
LISTED = pd.Timestamp("2020-06-01")
WEIGHTS = {"A": 0.4, "B": 0.3, "E": 0.2}
SNAPSHOTS = (date(2020, 12, 31), date(2021, 3, 31))

PROFILE = """\
universe: [A, B, E]
benchmark: IDX
target: {method: fixed, weights: {A: 0.4, B: 0.3, E: 0.2}, cash: 0.1}
proposal: {mode: proportional, limits: {max_total: 1.0, max_cluster: 1.0, max_single: 1.0}}
stress:
  covariance: sample
  window_days: 250
  var_window_days: 100
  backtest_days: 60
  shocks: {factors: [E], sectors: [Tech]}
notebooks: [risk_stress]
"""
EPISODES = """\
episodes:
  - {name: before the data, start: 2010-01-04, end: 2010-02-05}
  - {name: COVID, start: 2020-02-19, end: 2020-03-23}
  - {name: after the as-of date, start: 2021-07-01, end: 2021-07-20}
"""


def _closes(crash_after_as_of: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(15)
    n = len(DAYS) - 1
    b = rng.normal(0.0003, 0.012, n)
    r = pd.DataFrame({"IDX": b, "A": 0.8 * b + rng.normal(0, 0.008, n), "B": 1.2 * b + rng.normal(0, 0.01, n),
                      "E": 1.1 * b + rng.normal(0, 0.006, n)}, index=DAYS[1:])
    if crash_after_as_of:
        r.loc[r.index > pd.Timestamp(AS_OF)] = -0.05
    first = pd.DataFrame(1.0, index=DAYS[:1], columns=r.columns)
    closes = 100.0 * pd.concat([first, (1.0 + r).cumprod()])
    closes.loc[closes.index < LISTED, "E"] = np.nan
    return closes


def _home(tmp_path: Path, *, crash_after_as_of: bool = False, profile: str = PROFILE,
          episodes: str | None = EPISODES) -> Path:
    home = tmp_path / ("crash" if crash_after_as_of else "proj")
    (home / "params" / "profiles").mkdir(parents=True)
    (home / "params" / "profiles" / "p.yaml").write_text(profile)
    if episodes is not None:
        (home / "params" / "stress").mkdir()
        (home / "params" / "stress" / "episodes.yaml").write_text(episodes)
    closes = _closes(crash_after_as_of)
    lake = write_market(home / "data" / "rebal.duckdb", closes, benchmark="IDX",
                        sectors={"A": "Tech", "B": "Energy", "E": None})
    with Lakehouse(lake, read_only=False) as lh, lh.transaction() as con:
        con.execute("UPDATE tickers SET sector = NULL, asset_class = 'etf' WHERE ticker = 'E'")
        for d in SNAPSHOTS:
            px = closes.loc[pd.Timestamp(d)]
            for t, w in WEIGHTS.items():
                con.execute("INSERT INTO holdings VALUES ('p', ?, ?, ?, 'test')", [d, t, 1e6 * w / px[t]])
            con.execute("INSERT INTO cash_balances VALUES ('p', ?, ?, 'test')", [d, 1e6 * 0.1])
    return home


def _run(home: Path):
    lh = Lakehouse(home / "data" / "rebal.duckdb")
    prof = load_profile("p", home / "params" / "profiles", known_tickers=lh.known_tickers())
    return risk_stress(prof, lh, AS_OF), _closes()


def _current_weights(closes: pd.DataFrame) -> pd.Series:
    snap = closes.loc[pd.Timestamp(SNAPSHOTS[-1])]
    shares = pd.Series({t: 1e6 * w / snap[t] for t, w in WEIGHTS.items()})
    values = shares * closes.loc[pd.Timestamp(AS_OF), list(WEIGHTS)]
    return values / (values.sum() + 1e5)


def test_ex_ante_risk_on_the_window_up_to_the_as_of_date(tmp_path):
    rs, closes = _run(_home(tmp_path))
    c = closes.loc[:pd.Timestamp(AS_OF)]
    rets = (c / c.shift(1) - 1).iloc[-250:]
    w = _current_weights(closes)
    assert rs.weights["current"].drop("CASH").to_numpy() == pytest.approx(w[["A", "B", "E"]].to_numpy(), rel=1e-12)
    cov = np.cov(rets[["A", "B", "E"]].to_numpy().T, ddof=1)
    vol = np.sqrt(w.to_numpy() @ cov @ w.to_numpy() * 252)
    ex = rs.exante["current"]
    assert ex.volatility == pytest.approx(vol, rel=1e-10)
    assert ex.contributions["contribution"].sum() == pytest.approx(vol, abs=1e-12)
    beta_e = np.polyfit(rets["IDX"], rets["E"], 1)[0]
    assert rs.betas["E"] == pytest.approx(beta_e, rel=1e-9)
    assert rs.window == (rets.index[0].date(), AS_OF, 250)
    assert rs.sector_contributions("current").loc["etf (no sector)", "weight"] == pytest.approx(w["E"])


def test_episodes_replay_closes_and_proxy_the_etf_listed_later(tmp_path):
    rs, closes = _run(_home(tmp_path))
    by_name = {ep.name: r for ep, r in rs.episodes}
    assert not by_name["before the data"]["current"].covered
    assert "data start 2018-01-02" in by_name["before the data"]["current"].reason
    assert not by_name["after the as-of date"]["current"].covered
    res = by_name["COVID"]["current"]
    c = closes.loc[:pd.Timestamp(AS_OF)]
    rets = (c / c.shift(1) - 1).iloc[-250:]
    beta_e = np.polyfit(rets["IDX"], rets["E"], 1)[0]
    ep = closes.loc["2020-02-19":"2020-03-23"]
    w = _current_weights(closes)
    growth_e = 1 + beta_e * (ep["IDX"] / ep["IDX"].iloc[0] - 1)
    value = (1 - w.sum()) + w["A"] * ep["A"] / ep["A"].iloc[0] + w["B"] * ep["B"] / ep["B"].iloc[0] + w["E"] * growth_e
    v = value.to_numpy()
    peak_to_trough = min(v[i] / v[: i + 1].max() - 1 for i in range(len(v)))
    assert res.covered and res.proxied == {"E": pytest.approx(beta_e, rel=1e-9)}
    assert "E: no prices before 2020-06-01" in res.reason
    assert res.peak_to_trough == pytest.approx(peak_to_trough, abs=1e-12)
    assert res.worst_day == pytest.approx((v[1:] / v[:-1] - 1).min(), abs=1e-12)
    assert rs.worst_episode("current").episode.name == "COVID"


def test_var_and_its_backtest_on_the_holdings_history(tmp_path):
    from skfolio.measures import value_at_risk

    rs, closes = _run(_home(tmp_path))
    c = closes.loc[:pd.Timestamp(AS_OF), ["A", "B", "E"]]
    rets = c / c.shift(1) - 1
    w = _current_weights(closes)
    hist = rets.iloc[-100:].to_numpy() @ w.to_numpy()
    row = rs.var[(rs.var["method"] == "historical") & (rs.var["level"] == 0.99) & (rs.var["horizon_days"] == 1)]
    assert row["var"].item() == pytest.approx(value_at_risk(hist, beta=0.99), abs=1e-15)
    # the backtest: the last 60 sessions; each day holds the snapshot of the session before, at its closes
    days = rets.index[-60:]
    snaps = [pd.Timestamp(d) for d in SNAPSHOTS]
    hits = []
    for day in days:
        i = rets.index.get_loc(day)
        prev = rets.index[i - 1]
        snap = max(s for s in snaps if s <= prev)
        shares = pd.Series({t: 1e6 * x / closes.loc[snap, t] for t, x in WEIGHTS.items()})
        values = shares * c.loc[prev]
        wt = (values / (values.sum() + 1e5)).to_numpy()
        var = value_at_risk(rets.iloc[i - 100:i].to_numpy() @ wt, beta=0.99)
        hits.append(float(rets.loc[day].to_numpy() @ wt) < -var)
    bt = rs.backtest
    assert bt.days == 60 and bt.exceedances == sum(hits)
    assert list(bt.forecasts.index) == list(days)


def test_data_after_the_as_of_date_changes_nothing(tmp_path):
    rs, _ = _run(_home(tmp_path))
    crash, _ = _run(_home(tmp_path, crash_after_as_of=True))
    assert crash.exante["current"].volatility == rs.exante["current"].volatility
    pd.testing.assert_frame_equal(crash.var, rs.var)
    pd.testing.assert_frame_equal(crash.shocks, rs.shocks)
    assert crash.backtest.exceedances == rs.backtest.exceedances


def test_shocks_use_the_profiles_parameters(tmp_path):
    rs, _ = _run(_home(tmp_path))
    kinds = rs.shocks["kind"].tolist()
    assert kinds == ["benchmark"] * 3 + ["sector", "correlation", "factor"]
    w = rs.weights["current"]
    assert rs.shocks.loc[3, "current"] == pytest.approx(-0.25 * w["A"])  # Tech = A
    assert rs.shocks.loc[0, "current"] == pytest.approx(-0.1 * sum(w[a] * rs.betas[a] for a in "ABE"))


def test_the_correlation_one_shock_uses_sample_volatilities_whatever_the_covariance_estimate(tmp_path):
    """Every asset down 2 sd over 21 sessions: sd = the sample sd of its 250 daily returns (numpy, ddof=1), not the
    Ledoit-Wolf diagonal the risk figures use; the factor shock moves E by 2 of its own sample sd the same way."""
    rs, closes = _run(_home(tmp_path, profile=PROFILE.replace("covariance: sample", "covariance: ledoit_wolf")))
    c = closes.loc[:pd.Timestamp(AS_OF)]
    rets = (c / c.shift(1) - 1).iloc[-250:]
    sd = rets[["A", "B", "E"]].to_numpy().std(axis=0, ddof=1)
    assert not np.allclose(np.sqrt(np.diag(rs.covariance.to_numpy())), sd)  # the shrunk diagonal differs
    w = rs.weights["current"][["A", "B", "E"]].to_numpy()
    row = rs.shocks[rs.shocks["kind"] == "correlation"].iloc[0]
    assert row["current"] == pytest.approx(-2.0 * float(w @ sd) * np.sqrt(21), rel=1e-12)
    factor = rs.shocks[rs.shocks["kind"] == "factor"].iloc[0]
    assert factor["move"] == pytest.approx(-2.0 * sd[2] * np.sqrt(21), rel=1e-12)


def test_a_missing_shared_episodes_file_names_the_profile_field(tmp_path):
    home = _home(tmp_path, episodes=None)
    with pytest.raises(ConfigError, match=r"p.yaml: `stress.episodes`: .*stress/episodes.yaml: episodes file not found"):
        _run(home)


def test_too_short_a_window_is_a_data_error_naming_the_field(tmp_path):
    home = _home(tmp_path, profile=PROFILE.replace("window_days: 250", "window_days: 400"))
    with pytest.raises(DataError, match=r"`stress.window_days`: 'E' lacks prices in the 400-session window"):
        _run(home)
