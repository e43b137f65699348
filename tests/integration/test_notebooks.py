"""Template notebooks run under papermill with injected parameters; their scraps are checked."""
from __future__ import annotations

import pytest
import scrapbook as sb
from conftest import REPO

from rebal.report.execute import NotebookFailure, execute_notebook

pytestmark = [pytest.mark.integration, pytest.mark.notebook]


def run_audit(home, tmp_path, **params):
    out = tmp_path / "out.ipynb"
    execute_notebook(REPO / "notebooks" / "drift_audit.ipynb", out,
                     {"profile": "tiny", "home": str(home), **params}, cwd=REPO / "notebooks")
    return {k: v.data for k, v in sb.read_notebook(str(out)).scraps.items()}


def test_drift_audit_glues_hand_worked_results(tiny_home, tmp_path):
    s = run_audit(tiny_home, tmp_path)
    # As of 2024-01-05: AAA 100 x 44 = 4400, BBB 150 x 18 = 2700, CCC 50 x 46 = 2300, cash 1000 -> 10400.
    # Target 40/30/20/10 % of 10400 = 4160/3120/2080/1040: gaps 240, 420, 220, 40 -> D = 460 / 10400.
    assert s["as_of"] == "2024-01-05" and s["last_implemented"] == "2024-01-02"
    assert s["total_value"] == pytest.approx(10400.0)
    assert s["portfolio_drift"] == pytest.approx(460 / 10400)
    assert s["max_drift_asset"] == "BBB" and s["max_abs_drift"] == pytest.approx(420 / 10400)
    assert s["status"] == "MAINTAIN"
    assert s["target_change"] == pytest.approx(0.0, abs=1e-12)  # implemented exactly at target
    table = s["drift_table"].set_index("asset")
    assert table.loc["CCC", "drift"] == pytest.approx(2300 / 10400 - 0.20)
    assert table.loc["CASH", "actual"] == pytest.approx(1000 / 10400)


def test_drift_audit_as_of_an_earlier_date_sees_no_later_data(tiny_home, tmp_path):
    s = run_audit(tiny_home, tmp_path, as_of="2024-01-03")
    # As of 2024-01-03: 4200 + 2850 + 2050 + 1000 = 10100; targets 4040/3030/2020/1010:
    # gaps 160, 180, 30, 10 -> D = 190 / 10100. Any later price would change this number.
    assert s["as_of"] == "2024-01-03" and s["data_latest"] == "2024-01-05"
    assert s["portfolio_drift"] == pytest.approx(190 / 10100)
    assert s["total_value"] == pytest.approx(10100.0)


def test_a_failing_cell_is_named(tiny_home, tmp_path):
    with pytest.raises(NotebookFailure, match=r"drift_audit: cell \d+, line \d+ \(`run = rn.start\(.*\)`\) raised ConfigError"):
        run_audit(tiny_home, tmp_path, profile="ghost")


def test_drift_audit_runs_with_its_default_parameters_like_jupyterlab(sample_lakehouse, tmp_path, monkeypatch):
    """JupyterLab runs the template as committed: the standard python3 kernel, cwd notebooks/, no injection."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("REBAL_LAKEHOUSE", str(sample_lakehouse))
    nb = nbformat.read(REPO / "notebooks" / "drift_audit.ipynb", as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    out = tmp_path / "default.ipynb"
    nbformat.write(nb, out)
    scraps = sb.read_notebook(str(out)).scraps
    assert scraps["profile"].data == "min_variance" and scraps["as_of"].data == "2022-12-28"


def _run_sample(nb, sample_lakehouse, tmp_path, monkeypatch, profile):
    monkeypatch.setenv("REBAL_LAKEHOUSE", str(sample_lakehouse))
    out = tmp_path / f"{nb}.ipynb"
    execute_notebook(REPO / "notebooks" / f"{nb}.ipynb", out, {"profile": profile, "home": str(REPO)},
                     cwd=REPO / "notebooks")
    return {k: v.data for k, v in sb.read_notebook(str(out)).scraps.items()}


def test_beta_notebook_matches_an_independent_numpy_beta(sample_lakehouse, tmp_path, monkeypatch):
    import numpy as np

    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse

    s = _run_sample("beta_correlation", sample_lakehouse, tmp_path, monkeypatch, "strategy_sleeves")
    # strategy_sleeves' target is fixed weights: recompute beta = cov(p, b) / var(b) with numpy
    prof = load_profile("strategy_sleeves", REPO / "params" / "profiles")
    with Lakehouse(sample_lakehouse) as lh:
        snap, shares, cash = lh.holdings("strategy_sleeves")
        px = lh.prices([*dict.fromkeys([*prof.target.weights, *shares.index]), "SPX"]).iloc[-253:]
    r = px.pct_change().iloc[1:]
    b = r["SPX"].to_numpy()
    p = sum(r[t].to_numpy() * w for t, w in prof.target.weights.items())
    assert s["beta_target"] == pytest.approx(np.cov(p, b)[0, 1] / np.var(b, ddof=1), rel=1e-10)
    # the held book: the latest holdings valued at the last closes, held at those weights over the window
    values = shares * px[shares.index].iloc[-1]
    w = values / (values.sum() + cash)
    h = sum(r[t].to_numpy() * w[t] for t in shares.index)
    assert s["beta_basis"] == "held"
    assert s["beta"] == s["beta_held"] == pytest.approx(np.cov(h, b)[0, 1] / np.var(b, ddof=1), rel=1e-10)
    assert s["correlation"] == pytest.approx(np.corrcoef(h, b)[0, 1], rel=1e-10)
    assert s["vol_held"] == pytest.approx(np.std(h, ddof=1) * np.sqrt(252), rel=1e-10)
    assert s["n_obs"] == 252 and s["aggressive"] is False and s["beta_target_in_sample"] is False
    assert np.isfinite(s["beta_proposed"])  # the proposal's book, built without its simulation


def test_factor_map_notebook_scraps(sample_lakehouse, tmp_path, monkeypatch):
    s = _run_sample("factor_map", sample_lakehouse, tmp_path, monkeypatch, "min_variance")
    assert s["n_clusters"] == 6 and 0 <= s["stress"] < 0.5
    assert set(s["cluster_of"]) == set(["AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY", "MRK",
                                         "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM"])
    for c, lead in s["leads"].items():
        assert s["cluster_of"][lead] == int(c)
    assert s["synthetic_liquidity"] is True
    # XOM and CVX (integrated oil majors) share a cluster on any sensible clustering
    assert s["cluster_of"]["XOM"] == s["cluster_of"]["CVX"]
