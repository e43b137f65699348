"""Risk4 process: hand-worked selection, weights and trades, checks that block, artifacts, prior tracking."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import ConfigError
from rebal.selection.artifacts import record_run, write_artifacts
from rebal.selection.risk4 import Prior, find_prior, run_risk4

SESSIONS = nyse_sessions()
END = SESSIONS[SESSIONS.searchsorted(pd.Timestamp("2024-06-28"))]
DAYS = SESSIONS[SESSIONS <= END][-300:]
LAST, PREV = DAYS[-1].date(), DAYS[-2].date()
SECTORS = {"A": "Tech", "B": "Energy", "C": "Health", "D": "Tech"}
# Features of the last two sessions, set by hand (the pipeline is tested separately below).
ALPHA = {"A": 3.0, "B": 2.0, "C": 1.0, "D": 0.0}
VOL = {"A": 0.2, "B": 0.1, "C": 0.3, "D": 0.25}

PROFILE = f"""\
description: hand-worked Risk4 profile
universe: [A, B, C, D]
benchmark: IDX
target:
  method: risk4
risk4:
  every: 1
  anchor: {DAYS[0].date()}
  top_n: 3
  min_adv: 2000000
  max_position: 1.0
  sector_multiple: 10.0
  target_vol: 2.0          # never binds (200 % a year, the largest allowed): exposure = max_gross
  turnover_lambda: 0.0
  max_turnover: 1.0
  initial_value: 100000
  checks: {{min_names: 2, min_universe: 2, min_sectors: 1, max_sector_share: 1.0, position_warning: 1.0}}
notebooks: [risk4_picks]
"""


def _lakehouse(path: Path, *, feature_days=(PREV, LAST)) -> dict[str, pd.Series]:
    rng = np.random.default_rng(7)
    closes = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for t, s in SECTORS.items():
            con.execute("INSERT INTO tickers VALUES (?, ?, ?, 'equity', FALSE, 'test')", [t, t, s])
        con.execute("INSERT INTO tickers VALUES ('IDX', 'index', NULL, 'index', TRUE, 'test')")
        market = rng.normal(0, 0.01, len(DAYS))
        for i, t in enumerate([*SECTORS, "IDX"]):
            r = market + (0 if t == "IDX" else rng.normal(0, 0.01, len(DAYS)))
            px = pd.Series(np.round(20.0 * (i + 1) * np.exp(np.cumsum(r)), 2), index=DAYS)
            closes[t] = px
            rows = pd.DataFrame({"date": DAYS.date, "ticker": t, "close": px.to_numpy(), "volume": 1e6})
            con.register("rows", rows)
            con.execute("INSERT INTO prices (date, ticker, close, volume, source) SELECT date, ticker, close, volume, "
                        "'test' FROM rows")
        for d in feature_days:
            for t in SECTORS:
                con.execute("INSERT INTO features (date, ticker, alpha, vol_blend, adv_20) VALUES (?, ?, ?, ?, 1e9)",
                            [d, t, ALPHA[t], VOL[t]])
        con.execute("INSERT INTO meta VALUES ('built_at', 'test')")
    return closes


@pytest.fixture
def r4home(tmp_path, monkeypatch):
    for var in ("REBAL_HOME", "REBAL_PARAMS_DIR", "REBAL_LAKEHOUSE", "REBAL_REPORTS_DIR", "REBAL_NOTEBOOKS_DIR"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "r4"
    (home / "params" / "profiles").mkdir(parents=True)
    (home / "params" / "profiles" / "hand.yaml").write_text(PROFILE)
    closes = _lakehouse(home / "data" / "lakehouse" / "rebal.duckdb")
    return home, closes


def _profile(home: Path, **override):
    text = PROFILE
    for k, v in override.items():
        text = text.replace(f"  {k}: ", f"  {k}: {v}  # was ", 1)
    p = home / "params" / "profiles" / "hand.yaml"
    p.write_text(text)
    return load_profile(p)


def _cli_process(home: Path, *args: str):
    """``python -m rebal`` in a separate process: only where this process cannot stand in for it."""
    return subprocess.run([sys.executable, "-m", "rebal", "--home", str(home), *args],
                          capture_output=True, text=True, cwd=home)


# ---------------------------------------------------------------------------------------------
# selection and weights, worked by hand


def test_selection_weights_and_trades_from_cash(r4home):
    home, closes = r4home
    prof = _profile(home)
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(prof, lh, LAST)
    assert res.status in ("OK", "WARNING") and not res.blocked
    # alpha 3, 2, 1, 0: mean 1.5, sample std sqrt(5/3); z = (x - 1.5) / 1.290994
    z = res.universe["alpha_z"]
    assert z["A"] == pytest.approx(1.5 / np.sqrt(5 / 3)) and z["D"] == pytest.approx(-1.5 / np.sqrt(5 / 3))
    assert list(res.universe.index[:3]) == ["A", "B", "C"]
    # top 3 = A, B, C; C has negative z and is dropped; base A : B = (1.5/0.2) : (0.5/0.1) = 7.5 : 5 -> 0.6 / 0.4
    w = res.weights
    assert set(w.index) == {"A", "B"}
    assert w["A"] == pytest.approx(0.6) and w["B"] == pytest.approx(0.4)
    assert res.exposure == pytest.approx(1.0)
    # from $100,000 cash: whole shares at the last close
    pa, pb = closes["A"].iloc[-1], closes["B"].iloc[-1]
    tr = res.trades.set_index("ticker")
    assert tr.loc["A", "shares"] == np.floor(60000 / pa) and tr.loc["A", "reason"] == "new_position"
    assert tr.loc["B", "shares"] == np.floor(40000 / pb) and tr.loc["B", "action"] == "BUY"
    assert res.cash_after == pytest.approx(100000 - np.floor(60000 / pa) * pa - np.floor(40000 / pb) * pb)
    assert res.turnover > 0.5 and any(a.code == "high_turnover" for a in res.alerts)  # initial deployment


def test_trades_against_prior_holdings(r4home):
    home, closes = r4home
    prof = _profile(home)
    px = {t: closes[t].iloc[-1] for t in SECTORS}
    prior = Prior(pd.Series({"B": 100.0, "D": 50.0}), 5000.0, "test")
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(prof, lh, LAST, prior=prior)
    value = 100 * px["B"] + 50 * px["D"] + 5000
    assert res.value == pytest.approx(value)
    tr = res.trades.set_index("ticker")
    assert tr.loc["D", "action"] == "SELL" and tr.loc["D", "shares"] == 50 and tr.loc["D", "reason"] == "exit_position"
    assert tr.loc["A", "reason"] == "new_position" and tr.loc["A", "shares"] == np.floor(0.6 * value / px["A"])
    b_target = np.floor(0.4 * value / px["B"])
    assert tr.loc["B", "shares"] == abs(b_target - 100)
    assert tr.loc["B", "reason"] == ("increase_weight" if b_target > 100 else "decrease_weight")


def test_turnover_control_blends_then_caps(r4home):
    home, closes = r4home
    prof = _profile(home, turnover_lambda="0.5", max_turnover="0.30")
    px = {t: closes[t].iloc[-1] for t in SECTORS}
    prior = Prior(pd.Series({"B": 100.0, "D": 50.0}), 0.0, "test")
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(prof, lh, LAST, prior=prior)
    vb, vd = 100 * px["B"], 50 * px["D"]
    p = pd.Series({"A": 0.0, "B": vb / (vb + vd), "D": vd / (vb + vd)})
    t = pd.Series({"A": 0.6, "B": 0.4, "D": 0.0})
    blend = 0.5 * p + 0.5 * t
    to = 0.5 * (blend - p).abs().sum()
    expected = p + min(1.0, 0.30 / to) * (blend - p)
    assert res.turnover_composition == pytest.approx(min(to, 0.30))
    assert res.weights.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shares=st.lists(st.integers(0, 5000), min_size=4, max_size=4), cash=st.floats(0, 1e6),
       lam=st.floats(0, 1), max_to=st.floats(0.01, 1))
def test_sells_never_exceed_holdings(r4home, shares, cash, lam, max_to):
    home, _ = r4home
    prof = load_profile(home / "params" / "profiles" / "hand.yaml")
    prof = prof.__class__(**{**prof.__dict__, "risk4": prof.risk4.__class__(
        **{**prof.risk4.__dict__, "turnover_lambda": lam, "max_turnover": max_to})})
    held = pd.Series(dict(zip(SECTORS, map(float, shares), strict=True)))
    if held.sum() == 0 and cash < 1:
        cash = 1000.0
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(prof, lh, LAST, prior=Prior(held[held > 0], cash, "test"))
    assert not res.blocked
    sells = res.trades[res.trades["action"] == "SELL"].set_index("ticker")["shares"]
    for t, n in sells.items():
        assert n <= held[t]
    assert (res.positions["target_shares"] >= 0).all()
    assert res.cash_after >= -1e-6
    if held.sum() > 0:  # turnover control applies against prior holdings (from cash: nothing to blend)
        assert res.turnover_composition <= max_to + 1e-9


# ---------------------------------------------------------------------------------------------
# checks that block


def test_stale_features_block_the_run(r4home):
    home, _ = r4home
    prof = _profile(home)
    later = SESSIONS[SESSIONS.searchsorted(pd.Timestamp(LAST)) + 3].date()
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(prof, lh, later)
    assert res.blocked and res.status == "BLOCKED"
    assert [a.code for a in res.alerts if a.severity == "CRITICAL"] == ["stale_data"]
    assert "3 NYSE sessions" in res.block_reason
    assert res.picks.empty and res.trades.empty


@pytest.mark.parametrize("override, code", [
    ({"min_adv": "2000000000"}, "too_few_names"),
    ({"sector_multiple": "0.5"}, "infeasible_caps"),  # Tech 50 % x 0.5 + Energy 25 % x 0.5 < 1
])
def test_failed_checks_block(r4home, override, code):
    home, _ = r4home
    prof = _profile(home, **override)
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(prof, lh, LAST)
    assert res.blocked and code in [a.code for a in res.alerts]


def test_flat_alpha_blocks(r4home):
    home, _ = r4home
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=False) as lh:
        lh.con.execute("UPDATE features SET alpha = 1.0")
        res = run_risk4(_profile(home), lh, LAST)
    assert res.blocked and {"flat_alpha", "weak_spread"} <= {a.code for a in res.alerts}


def test_cli_generate_blocked_writes_alerts_and_no_trades(r4home, cli):
    home, _ = r4home
    out = home / "out"
    ok = cli(home, "risk4", "generate", "--date", str(LAST), "--output-dir", str(out))
    assert ok.returncode == 0, ok.stderr
    assert {"picks.csv", "trades.csv", "portfolio_summary.json", "schedule.json"} <= {p.name for p in out.iterdir()}
    later = SESSIONS[SESSIONS.searchsorted(pd.Timestamp(LAST)) + 2].date()
    r = cli(home, "risk4", "generate", "--date", str(later), "--output-dir", str(out))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "BLOCKED" in lines[0] and "stale data" in lines[0] and "Traceback" not in r.stderr
    names = {p.name for p in out.iterdir()}
    assert "trades.csv" not in names and "picks.csv" not in names and "alerts.json" in names
    alerts = json.loads((out / "alerts.json").read_text())
    assert alerts["status"] == "BLOCKED" and alerts["alerts"][0]["severity"] == "CRITICAL"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]  # no staging left behind


def test_cli_artifacts_have_the_documented_columns(r4home, cli):
    home, _ = r4home
    out = home / "o"
    r = cli(home, "risk4", "generate", "--date", str(LAST), "--output-dir", str(out), "--no-record")
    assert r.returncode == 0, r.stderr
    picks = pd.read_csv(out / "picks.csv")
    assert list(picks.columns) == ["ticker", "weight", "target_shares", "sector", "alpha_z", "vol_blend", "adv_20", "rank"]
    trades = pd.read_csv(out / "trades.csv")
    assert list(trades.columns) == ["ticker", "action", "shares", "estimated_value", "price", "reason"]
    s = json.loads((out / "portfolio_summary.json").read_text())
    assert {"date", "is_rebalance_day", "next_rebalance", "regime", "portfolio", "metrics", "data_freshness"} <= set(s)
    assert {"vol_regime", "trend_regime"} <= set(s["regime"])
    assert {"n_positions", "total_weight", "top_5_weight", "sector_concentration"} <= set(s["portfolio"])
    assert {"estimated_beta", "estimated_vol", "avg_adv", "turnover_vs_prior"} <= set(s["metrics"])
    sched = json.loads((out / "schedule.json").read_text())
    assert sched["frequency_days"] == 1 and len(sched["next_10_rebalances"]) == 10
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        assert lh.con.execute("SELECT count(*) FROM risk4_runs").fetchone()[0] == 0  # --no-record


def test_cli_check_exit_codes_and_errors(r4home, tmp_path, cli):
    home, _ = r4home
    assert cli(home, "risk4", "check", "--date", str(LAST)).returncode == 0
    r = cli(home, "risk4", "check", "--date", "2024-06-29")  # a Saturday: never a rebalance day
    assert r.returncode == 1 and "not a rebalance day" in r.stdout
    bad = tmp_path / "prior.csv"
    bad.write_text("ticker,shares\nA,10\nZZZ,5\n")
    r = cli(home, "risk4", "generate", "--date", str(LAST), "--prior-holdings", str(bad))
    assert r.returncode == 2 and "unknown ticker 'ZZZ'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    bad.write_text("ticker,shares\nA,-3\n")
    r = cli(home, "risk4", "generate", "--date", str(LAST), "--prior-holdings", str(bad))
    assert r.returncode == 2 and "`shares` must be a number >= 0" in r.stderr


def test_recorded_run_is_the_next_prior(r4home):
    home, _ = r4home
    prof = _profile(home)
    path = home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(path) as lh:
        first = run_risk4(prof, lh, PREV)
        assert find_prior(prof, lh, LAST) is None
    with Lakehouse(path, read_only=False) as lh:
        record_run(lh, first)
    with Lakehouse(path) as lh:
        prior = find_prior(prof, lh, LAST)
        assert prior.as_of == PREV and "recorded run" in prior.source
        expected = first.picks.set_index("ticker")["target_shares"]
        assert prior.shares.sort_index().to_dict() == expected[expected > 0].sort_index().to_dict()
        assert prior.cash == pytest.approx(first.cash_after, abs=0.01)
        # the run on the same date does not see itself
        assert find_prior(prof, lh, PREV) is None


def test_write_artifacts_is_atomic_per_directory(r4home, tmp_path):
    home, _ = r4home
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(_profile(home), lh, LAST)
    files = write_artifacts(res, tmp_path / "run")
    assert [f.name for f in files] == sorted(["alerts.json", "checks.csv", "schedule.json", "picks.csv",
                                              "trades.csv", "portfolio_summary.json"])


# ---------------------------------------------------------------------------------------------
# on the real sample


@pytest.mark.integration
def test_sample_run_respects_caps_and_reports(sample_lakehouse):
    prof = load_profile("risk4_us", REPO / "params" / "profiles")
    with Lakehouse(sample_lakehouse) as lh:
        res = run_risk4(prof, lh, date(2022, 12, 27), prior=Prior(pd.Series(dtype=float), 5e6, "cash"))
        seeded = lh.holdings_dates("risk4_us")
    assert res.is_rebalance_day and not res.blocked
    comp = res.weights / res.weights.sum()
    assert comp.max() <= prof.risk4.max_position + 1e-9
    assert (res.sectors["weight_of_invested"] <= res.sectors["cap"] + 1e-9).all()
    assert len(res.weights) == prof.risk4.top_n or len(res.weights) < prof.risk4.top_n  # negatives dropped
    assert res.exposure <= prof.risk4.max_gross + 1e-12
    assert res.estimated_vol <= prof.risk4.target_vol + 1e-9
    # the sample holdings follow the weekly Risk4 schedule
    assert date(2022, 12, 27) in seeded and date(2022, 12, 19) in seeded


def test_profile_risk4_block_is_validated(tmp_path):
    base = PROFILE.replace("  max_position: 1.0\n", "  max_position: 0.2\n")
    p = tmp_path / "bad.yaml"
    p.write_text(base)
    with pytest.raises(ConfigError, match=r"risk4.max_position.*3 names x 0.2 < 1"):
        load_profile(p)
    p.write_text(PROFILE.replace(f"anchor: {DAYS[0].date()}", "anchor: 2024-06-29"))
    with pytest.raises(ConfigError, match=r"risk4.anchor.*not an NYSE session"):
        load_profile(p)
    p.write_text(PROFILE.replace("  method: risk4", "  method: equal_weight"))
    with pytest.raises(ConfigError, match=r"`risk4`: only allowed with `target.method: risk4`"):
        load_profile(p)
    p.write_text("universe: [A]\ntarget: {method: equal_weight}\nnotebooks: [risk4_picks]\n")
    with pytest.raises(ConfigError, match=r"`notebooks`: needs a `risk4` block"):
        load_profile(p)


@pytest.mark.integration
@pytest.mark.notebook
def test_risk4_picks_notebook_on_the_sample(sample_lakehouse, tmp_path):
    import scrapbook as sb

    from rebal.report.execute import execute_notebook

    home = tmp_path / "home"
    (home / "data" / "lakehouse").mkdir(parents=True)
    shutil.copytree(REPO / "params", home / "params")
    shutil.copy(sample_lakehouse, home / "data" / "lakehouse" / "rebal.duckdb")
    out = tmp_path / "r4.ipynb"
    execute_notebook(REPO / "notebooks" / "risk4_picks.ipynb", out,
                     {"profile": "risk4_us", "as_of": "2022-12-28", "home": str(home)}, cwd=REPO / "notebooks")
    s = {k: v.data for k, v in sb.read_notebook(str(out)).scraps.items()}
    assert s["rebalance_date"] == "2022-12-27" and s["next_rebalance"] == "2023-01-04"
    prof = load_profile("risk4_us", home / "params" / "profiles")
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        res = run_risk4(prof, lh.at(date(2022, 12, 28)), date(2022, 12, 27))
    assert s["n_positions"] == int((res.weights > 0).sum())
    assert s["turnover"] == pytest.approx(res.turnover)
    assert s["estimated_vol"] == pytest.approx(res.estimated_vol)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_caps_hold_after_selection_on_any_universe(data):
    """Any universe, any alpha: every weight <= cap, every sector <= its cap, sum 1 - or a clear error."""
    from rebal.errors import InfeasibleCaps, NoPositiveAlpha
    from rebal.selection.risk4 import select_portfolio
    from rebal.selection.spec import Risk4Spec

    n = data.draw(st.integers(1, 60))
    alpha = data.draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    vol = data.draw(st.lists(st.floats(0.01, 3.0), min_size=n, max_size=n))
    sectors = data.draw(st.lists(st.sampled_from("ABCDEFGHIJK"), min_size=n, max_size=n))
    spec = Risk4Spec(top_n=data.draw(st.integers(1, 80)), max_position=data.draw(st.floats(0.01, 1.0)),
                     sector_multiple=data.draw(st.floats(0.1, 5.0)), zclip=data.draw(st.floats(0.5, 5.0)),
                     on_infeasible_caps=data.draw(st.sampled_from(["block", "extend"])))
    u = pd.DataFrame({"alpha": alpha, "vol_blend": vol, "sector": sectors}, index=[f"T{i}" for i in range(n)])
    try:
        ranked, w, caps = select_portfolio(u, spec)
    except (NoPositiveAlpha, InfeasibleCaps) as exc:
        assert str(exc)
        return
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (w >= 0).all() and (w <= spec.max_position + 1e-9).all()
    by_sector = w.groupby(u.loc[w.index, "sector"]).sum()
    assert (by_sector <= caps.reindex(by_sector.index) + 1e-9).all()
    if spec.on_infeasible_caps == "block":
        assert set(w.index) <= set(ranked.index[: spec.top_n])
    assert (ranked.loc[w.index, "alpha_z"] > 0).all()
    assert ranked["alpha_z"].abs().max() <= spec.zclip + 1e-12


def test_infeasible_caps_block_or_extend_by_hand():
    from rebal.errors import InfeasibleCaps
    from rebal.selection.risk4 import select_portfolio
    from rebal.selection.spec import Risk4Spec

    # A, B in sector X; C, D in Y: each sector is half the universe, so with multiple 1 its cap is 50 %.
    u = pd.DataFrame({"alpha": [4.0, 3.0, 2.0, -9.0], "vol_blend": 0.2, "sector": ["X", "X", "Y", "Y"]},
                     index=["A", "B", "C", "D"])
    spec = Risk4Spec(top_n=2, max_position=0.5, sector_multiple=1.0)
    with pytest.raises(InfeasibleCaps, match="at most 50.00% investable"):
        select_portfolio(u, spec)  # the top 2 are both in X: at most 50 %
    _, w, _ = select_portfolio(u, Risk4Spec(top_n=2, max_position=0.5, sector_multiple=1.0,
                                            on_infeasible_caps="extend"))
    # C (next ranked, positive z, sector Y has room) is added; X holds 50 % split 4 : 3, C its 50 % cap
    assert w.to_dict() == pytest.approx({"A": 0.5 * 4 / 7, "B": 0.5 * 3 / 7, "C": 0.5})


@pytest.mark.integration  # DuckDB's file lock is per process: the writer must be another process
def test_generate_on_a_locked_lakehouse_writes_nothing(r4home):
    home, _ = r4home
    out = home / "locked"
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=False):  # another writer holds it
        r = _cli_process(home, "risk4", "generate", "--date", str(LAST), "--output-dir", str(out))
    assert r.returncode == 2 and "cannot open the lakehouse" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_risk4_follows_the_proposals_trade_list_policy(r4home):
    """Dust picks under the minimum allocation are left out; trades under the minimum value are skipped
    (exits always trade), with cash never negative, as in the rebalance proposal's trade list."""
    from dataclasses import replace

    home, _ = r4home
    prof = load_profile(home / "params" / "profiles" / "hand.yaml")
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        free = run_risk4(prof, lh, LAST)
        smallest = float(free.weights.min())
        dusty = replace(prof, proposal=replace(prof.proposal, limits=replace(prof.proposal.limits,
                                                                             min_allocation=smallest + 1e-6)))
        res = run_risk4(dusty, lh, LAST)
        assert free.weights.idxmin() not in res.weights.index and (res.weights >= smallest).all()
        assert any(a.code == "dust_dropped" for a in res.alerts)
        # from the first run's holdings, every re-sizing trade is under a huge minimum: only exits remain
        held = free.picks.set_index("ticker")["target_shares"]
        prior = Prior(held[held > 0], free.cash_after, "test")
        stingy = replace(prof, proposal=replace(prof.proposal, min_trade_value=1e12))
        res2 = run_risk4(stingy, lh, LAST, prior=prior)
    assert set(res2.trades["reason"]) <= {"exit_position", "new_position"} or res2.trades.empty
    assert res2.cash_after >= 0


def test_a_run_whose_snapshot_equals_its_picks_is_implemented(r4home):
    from rebal.selection.risk4 import implemented_on

    home, _ = r4home
    prof = load_profile(home / "params" / "profiles" / "hand.yaml")
    path = home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(path) as lh:
        res = run_risk4(prof, lh, LAST)
        assert implemented_on(res, lh) is None
    held = res.picks.set_index("ticker")["target_shares"]
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for t, n in held[held > 0].items():
            con.execute("INSERT INTO holdings VALUES ('hand', ?, ?, ?, 'test')", [LAST, t, float(n)])
        con.execute("INSERT INTO cash_balances VALUES ('hand', ?, ?, 'test')", [LAST, res.cash_after])
    with Lakehouse(path) as lh:
        assert implemented_on(res, lh) == LAST
