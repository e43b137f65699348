"""The shared episodes on the sample lakehouse's S&P 500: standard windows are the index's peak-to-trough falls.

Expected values come from the lakehouse's own SPX closes read with SQL (not through the package) and from the
published closes: 1,565.15 on 2007-10-09 and 676.53 on 2009-03-09, a fall of 56.8 %.
"""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from conftest import REPO

from rebal.stress.episodes import load_episodes

EPISODES = load_episodes(REPO / "params" / "stress" / "episodes.yaml")


@pytest.fixture(scope="module")
def spx(sample_lakehouse) -> pd.Series:
    con = duckdb.connect(str(sample_lakehouse), read_only=True)
    s = con.execute("SELECT date, close FROM prices WHERE ticker = 'SPX' ORDER BY date").df().set_index("date")["close"]
    con.close()
    s.index = pd.to_datetime(s.index)
    return s


@pytest.mark.parametrize("ep", [e for e in EPISODES if e.kind == "peak_to_trough" and e.start.year >= 1990],
                         ids=lambda e: e.name)
def test_each_standard_window_runs_from_the_index_closing_peak_to_its_closing_trough(spx, ep):
    w = spx[(spx.index >= pd.Timestamp(ep.start)) & (spx.index <= pd.Timestamp(ep.end))]
    assert w.index[0].date() == ep.start and w.index[-1].date() == ep.end  # both are sessions
    assert w.idxmax() == w.index[0] and w.idxmin() == w.index[-1]


def test_the_2008_window_is_the_sp500s_56_8_percent_fall(spx):
    gfc = next(e for e in EPISODES if e.name == "2007-2009 financial crisis")
    first, last = spx[pd.Timestamp(gfc.start)], spx[pd.Timestamp(gfc.end)]
    assert (first, last) == pytest.approx((1565.15, 676.53), abs=0.005)
    assert last / first - 1 == pytest.approx(-0.568, abs=0.0005)


def test_rebal_risk_json_shows_the_2008_episode_with_the_sp500s_own_loss(sample_home, cli, spx):
    res = cli(sample_home, "risk", "--profile", "min_variance", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    gfc = next(e for e in doc["episodes"] if e["episode"] == "2007-2009 financial crisis")
    expected = spx[pd.Timestamp("2009-03-09")] / spx[pd.Timestamp("2007-10-09")] - 1
    assert gfc["benchmark loss"] == pytest.approx(expected, rel=1e-12)
    assert round(gfc["benchmark loss"], 3) == -0.568
    assert gfc["window"] == "2007-10-09 .. 2009-03-09" and gfc["kind"] == "peak_to_trough"
    assert gfc["definition"].startswith("index peak 2007-10-09 to trough 2009-03-09")
    lehman = next(e for e in doc["episodes"] if e["episode"] == "2008 post-Lehman")
    post = spx[pd.Timestamp("2009-03-09")] / spx[pd.Timestamp("2008-09-12")] - 1
    assert lehman["benchmark return"] == pytest.approx(post, rel=1e-12) and lehman["kind"] == "event"
    # the book's own loss is beside it, and the worst episode rests on the full window
    assert gfc["loss now"] < lehman["loss now"] < 0
    assert doc["worst_episode_current"] == "2007-2009 financial crisis"
