"""Rule lab: sweeps (in-process = local processes = Dask), study helpers by hand, the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rebal.cli import main
from rebal.errors import ConfigError
from rebal.lab.rules import parse_rule
from rebal.lab.spec import LabSpec
from rebal.lab.study import Verdict, configs, drifting_weights, frontier_mask, hypotheses, literature
from rebal.lab.sweep import Market, chunk_configs, run_sweep

SPECS = ["threshold:0.05", "tax:hifo,0.05", "calendar:monthly", "partial:edge,0.05", "delay:0.05,10", "costbenefit"]


@pytest.fixture(scope="module")
def market():
    from skfolio.datasets import load_sp500_dataset

    px = load_sp500_dataset().loc["2015-06-01":"2019-12-31"].iloc[:, :8]
    vix = (px.pct_change().mean(axis=1).rolling(21).std() * np.sqrt(252) * 100).bfill().to_numpy()
    adv = np.full(px.shape, 3e8)
    return Market(px, pd.Series(0.12, index=px.columns), px.index[70], vix, adv)


def _cfgs():
    return [(parse_rule(s), c) for s, c in zip(SPECS, [20, 20, 10, 20, 50, 20], strict=True)]


@pytest.mark.dask
def test_local_processes_and_dask_give_identical_results(market):
    from distributed import Client, LocalCluster

    one = run_sweep(market, _cfgs(), workers=1, chunks=3)
    procs = run_sweep(market, _cfgs(), workers=2, chunks=3)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = run_sweep(market, _cfgs(), scheduler=client, chunks=3)
    for other in (procs, dask):
        assert other.result.specs == one.result.specs == [parse_rule(s).spec for s in SPECS]
        for field in ("values", "costs", "turnover", "rebalanced", "drift", "final_weights", "trades"):
            np.testing.assert_array_equal(getattr(other.result, field), getattr(one.result, field))
        assert {k: r.total for k, r in other.taxes.items()} == {k: r.total for k, r in one.taxes.items()}


def test_sweep_columns_equal_single_runs_whatever_the_chunks(market):
    whole = run_sweep(market, _cfgs(), workers=1, chunks=1)
    for k, (rule, cost) in enumerate(_cfgs()):
        alone = run_sweep(market, [(rule, cost)], workers=1)
        np.testing.assert_allclose(whole.result.values[:, k], alone.result.values[:, 0], rtol=1e-12)
        assert whole.taxes[k].total == pytest.approx(alone.taxes[0].total, rel=1e-9)


def test_a_chunked_sweep_estimates_the_volatility_once_a_sweep_and_equals_the_engine(market, monkeypatch):
    import rebal.lab.sweep as sweep
    from rebal.lab.engine import backtest

    plain = [(rule, cost) for rule, cost in _cfgs() if not rule.spec.startswith("tax:")]
    calls, estimate = [], sweep.trailing_vol
    monkeypatch.setattr(sweep, "trailing_vol", lambda *a: calls.append(1) or estimate(*a))

    chunked = run_sweep(market, plain, workers=1, chunks=3)
    direct = backtest(market.prices, market.target, [r for r, _ in plain], [c for _, c in plain], start=market.start,
                      vix=market.vix, adv=market.adv, settings=market.settings)
    no_taxes = run_sweep(market, plain, workers=1, chunks=3, taxes=False)  # the trade list is not recorded then
    assert len(calls) == 2 and len(no_taxes.result.trades) == len(no_taxes.result.trade_t) == 0 < len(direct.trades)
    for field in ("values", "costs", "turnover", "rebalanced", "drift", "final_weights", "skipped"):
        np.testing.assert_array_equal(getattr(chunked.result, field), getattr(direct, field))
        np.testing.assert_array_equal(getattr(no_taxes.result, field), getattr(direct, field))
    for k in range(len(plain)):  # trades are listed chunk by chunk in a sweep, day by day in one run
        a, b = chunked.result, direct
        np.testing.assert_array_equal(a.trades[a.trade_k == k], b.trades[b.trade_k == k])
        np.testing.assert_array_equal(a.trade_t[a.trade_k == k], b.trade_t[b.trade_k == k])


def test_chunks_keep_tax_rules_alone():
    cf = [(parse_rule(s).config(), 20.0) for s in SPECS]
    parts = chunk_configs(cf, 2)
    assert [len(p) for p in parts] == [3, 2, 1]
    assert parts[-1][0][0].tax == "hifo"


def test_frontier_by_hand():
    te = [1, 2, 3, 2, 3]
    cost = [3, 2, 1, 3, 3]
    assert frontier_mask(te, cost).tolist() == [True, True, True, False, False]


def test_drifting_weights_by_hand():
    px = np.array([[10.0, 10.0], [20.0, 10.0], [20.0, 5.0]])
    w = drifting_weights(px, np.array([0.5, 0.3, 0.2]), np.array([False, True, False]))
    assert w[1].tolist() == pytest.approx([1.0 / 1.5, 0.3 / 1.5, 0.2 / 1.5])
    # reset to target at day 1's close; B halves on day 2: 0.5, 0.15, 0.2 of 0.85
    assert w[2].tolist() == pytest.approx([0.5 / 0.85, 0.15 / 0.85, 0.2 / 0.85])


def test_configuration_sets():
    lab = LabSpec()
    grid = configs(lab, "grid")
    assert len(grid) == 24 and ("threshold:0.07", 50.0) in grid and ("calendar:annual", 10.0) in grid
    fast = configs(lab, "fast")
    assert set(grid) < set(fast) and ("tax:hifo,0.05", 20.0) in fast and ("delay:0.05,20", 20.0) in fast
    assert len(set(configs(lab, "full"))) > len(fast)
    with pytest.raises(ValueError, match="valid: grid, fast, full"):
        configs(lab, "huge")


def _summary(te_thr, te_q, sh_thr=1.0, sh_q=1.0):
    rows = [("threshold:0.05", 20.0, te_thr, sh_thr), ("calendar:quarterly", 20.0, te_q, sh_q),
            ("calendar:monthly", 20.0, te_q * 0.8, sh_q), ("calendar:annual", 20.0, te_q * 2, sh_q)]
    return pd.DataFrame(rows, columns=["rule", "cost_bps", "tracking_error", "sharpe"])


@pytest.mark.parametrize("te_thr, te_q, sh_thr, verdict", [(0.004, 0.010, 1.0, True), (0.006, 0.010, 1.0, False),
                                                           (0.004, 0.010, 0.9, False)])
def test_hypothesis_one_verdict(te_thr, te_q, sh_thr, verdict, market):
    # 60 % lower TE than quarterly and no lower Sharpe -> supported; 40 % lower or a lower Sharpe -> not
    lab = LabSpec(cost_levels=(20.0,))
    from rebal.lab.study import _h1

    v = _h1(_summary(te_thr, te_q, sh_thr), lab)
    assert isinstance(v, Verdict) and v.supported is verdict


def test_literature_checks_by_hand():
    s = pd.DataFrame([("threshold:0.05", 20.0, 0.010, 0.20, 1.0), ("partial:edge,0.05", 20.0, 0.011, 0.10, 1.0),
                      ("calendar:monthly", 20.0, 0.005, 0.3, 1.00), ("calendar:quarterly", 20.0, 0.006, 0.2, 1.05),
                      ("calendar:annual", 20.0, 0.009, 0.1, 0.98)],
                     columns=["rule", "cost_bps", "tracking_error", "turnover_per_year", "sharpe"])
    leland, vanguard = literature(s, LabSpec())
    assert leland.supported is True and "1.10x" in leland.evidence and "0.50x" in leland.evidence
    assert vanguard.supported is True and "spread 0.07" in vanguard.evidence


def test_hypotheses_run_on_real_prices(market):
    sw = run_sweep(market, [(parse_rule(s), 20) for s in ("threshold:0.05", "calendar:quarterly", "calendar:monthly",
                                                           "calendar:annual", "delay:0.05,10")], workers=1)
    from rebal.lab.metrics import summarize

    summ = summarize(sw.result)
    vs = hypotheses(market, sw.result, summ, LabSpec(delays=(10,)))
    assert [v.number for v in vs] == [1, 2, 3, 4]
    assert all(v.supported in (True, False, None) and v.evidence for v in vs)


# -- CLI --------------------------------------------------------------------------------------------

@pytest.fixture
def home(sample_home: Path) -> Path:
    return sample_home


def test_cli_backtest_writes_results_and_json(home, capsys):
    rc = main(["--home", str(home), "backtest", "--profile", "strategy_sleeves", "--rule", "threshold:0.05",
               "--rule", "calendar:quarterly", "--rule", "tax:hifo,0.05", "--workers", "1", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["rule"] for r in out["summary"]] == ["threshold:0.05", "calendar:quarterly", "tax:hifo,0.05"]
    # the ETFs start 2014-01-02; the window starts after the 61-session volatility warm-up (on the XNYS calendar)
    from rebal.calendar import nyse_sessions

    s = nyse_sessions()
    first = s[s >= "2014-01-02"][61]
    assert out["start"] == str(first.date()) and out["synthetic_volume"] is True
    assert out["regime_source"]["VIX"] > 1000 and out["regime_source"]["proxy"] > 900
    d = home / "reports" / "backtests" / "strategy_sleeves"
    assert {p.name for p in d.iterdir()} == {"summary.csv", "summary.parquet", "by_regime.csv", "values.parquet",
                                             "drift.parquet", "taxes.csv", "study.json"}
    summ = pd.read_parquet(d / "summary.parquet")
    assert summ["rebalances"].tolist() == [r["rebalances"] for r in out["summary"]]
    values = pd.read_parquet(d / "values.parquet")
    assert values.shape[1] == 4 and (values.iloc[0] == 1.0).all()


def test_cli_backtest_text_summary(home, capsys):
    rc = main(["--home", str(home), "backtest", "--profile", "strategy_sleeves", "--grid", "--workers", "1"])
    out = capsys.readouterr().out
    assert rc == 0 and "24 configurations" in out and "proxy on" in out and "synthetic" in out
    assert "1. Threshold rebalancing at 5 %" in out and "results in" in out


@pytest.mark.parametrize("args, msg", [
    (["--rule", "weekly:1"], "--rule: unknown rule 'weekly:1'; valid rules: calendar:monthly|quarterly|annual"),
    (["--rule", "partial:quarter,0.05"], "unknown sizing 'quarter'; valid: full, half, edge, cost"),
    (["--profile", "nope"], "nope"),
    (["--profile", "risk4_us"], "`target.method`: the rule lab needs an allocator"),
])
def test_cli_backtest_bad_input_is_one_line_exit_2(home, capsys, args, msg):
    base = ["--home", str(home), "backtest", "--workers", "1"]
    if "--profile" not in args:
        base += ["--profile", "min_variance"]
    rc = main(base + args)
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (home / "reports" / "backtests").exists()


def test_profile_lab_rules_are_checked(home):
    from rebal.config import load_profile

    p = home / "params" / "profiles" / "min_variance.yaml"
    p.write_text(p.read_text() + "lab:\n  rules: [threshold:0.05, banana]\n")
    with pytest.raises(ConfigError, match=r"min_variance.yaml: `lab.rules\[1\]`: unknown rule 'banana'"):
        load_profile("min_variance", home / "params" / "profiles")
    p.write_text(p.read_text().replace("banana", "threshold:0.05") + "  cost_multipliers: [1, 2]\n")
    with pytest.raises(ConfigError, match="`lab.cost_multipliers`: must be three positive numbers"):
        load_profile("min_variance", home / "params" / "profiles")


def test_report_summary_line_of_the_rule_lab():
    from rebal.report.registry import report

    s = {"lab_configurations": 37, "lab_check_1": "not supported", "lab_check_2": "supported",
         "lab_check_3": "not supported", "lab_check_4": "not tested"}
    assert report("rule_backtest").summary_line(s) == "37 rule configurations; hypotheses supported: 2 of 3 tested"
