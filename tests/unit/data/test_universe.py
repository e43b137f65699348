"""The seeded synthetic universe: deterministic, labelled, sector factor structure, usable by Risk4."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.data.universe import BENCHMARK, GICS_SECTORS, build_synthetic_lakehouse
from rebal.selection.risk4 import run_risk4


@pytest.fixture(scope="module")
def universe(tmp_path_factory):
    path = tmp_path_factory.mktemp("syn") / "u.duckdb"
    summary = build_synthetic_lakehouse(path, n_tickers=300, years=2, seed=5, chunk=128)
    return path, summary


def test_labelled_and_deterministic(universe, tmp_path):
    path, summary = universe
    assert summary["tickers"] == 300 and summary["sessions"] == 504
    with Lakehouse(path) as lh:
        assert lh.meta()["universe"] == "synthetic"
        t = lh.tickers()
        assert set(t.loc[t["asset_class"] == "equity", "sector"]) == set(GICS_SECTORS)
        assert t["source"].str.contains("synthetic").all()
        assert lh.con.execute("SELECT bool_and(ohlv_synthetic) FROM prices").fetchone()[0]
        a = lh.prices(["S00001", "S00300"]).iloc[-5:]
    again = tmp_path / "again.duckdb"
    build_synthetic_lakehouse(again, n_tickers=300, years=2, seed=5, chunk=64, features=False)
    with Lakehouse(again) as lh:
        pd.testing.assert_frame_equal(a, lh.prices(["S00001", "S00300"]).iloc[-5:])  # chunking does not matter


def test_sector_factor_structure(universe):
    path, _ = universe
    with Lakehouse(path) as lh:
        t = lh.tickers()
        px = lh.prices()
    r = px.pct_change().iloc[1:]
    eq = t.index[t["asset_class"] == "equity"]
    corr = r[eq].corr().to_numpy()
    sec = t.loc[eq, "sector"].to_numpy()
    same = sec[:, None] == sec[None, :]
    off = ~np.eye(len(eq), dtype=bool)
    assert corr[same & off].mean() > corr[~same].mean() + 0.03  # names share their sector factor
    b = r[BENCHMARK]
    betas = r[eq].apply(lambda x: x.cov(b)) / b.var()
    assert 0.85 < betas.mean() < 1.15  # equal-weighted index: average beta about 1


def test_risk4_runs_on_the_synthetic_universe_and_says_so(universe, tmp_path):
    path, _ = universe
    p = tmp_path / "syn.yaml"
    p.write_text("benchmark: SYNIDX\ntarget: {method: risk4}\nrisk4: {top_n: 40, checks: {min_universe: 250}}\n"
                 "notebooks: [risk4_picks]\n")
    prof = load_profile(p)
    with Lakehouse(path) as lh:
        res = run_risk4(prof, lh, date(2022, 12, 28))
    assert not res.blocked
    assert len(res.weights) <= 40 and res.weights.max() <= 0.03 + 1e-12
    assert any("synthetic test fixture" in s for s in res.synthetic_inputs)
    assert {a.code for a in res.alerts} >= {"synthetic_inputs"}
