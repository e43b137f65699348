"""Print-size figure helpers (rebal.report.figures) and the readable words of the page modules.

Expected tick texts, label boxes and wordings are worked out by hand from the inputs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from rebal.report import figures
from rebal.report.pages import factor_map, rebalance_proposal, risk4_picks, rule_backtest
from rebal.report.style import pyplot, setup_theme


@pytest.fixture
def plt():
    setup_theme()
    p = pyplot()
    yield p
    p.close("all")


def _ticks(fig, axis):
    fig.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_percent_ticks_keep_half_steps_and_show_signs(plt):
    fig, ax = plt.subplots(figsize=(10, 3), layout="constrained")
    ax.set_xlim(-5, 5)
    figures.percent_axis(ax.xaxis, signed=True)
    ticks = _ticks(fig, ax.xaxis)
    # round steps of 1, 2 or 5 (never 2.5 written "2%"); zero unsigned, negatives with a true minus sign
    assert "0%" in ticks and "+2%" in ticks and "\N{MINUS SIGN}2%" in ticks
    ax.set_xlim(0, 0.25)
    ticks = _ticks(fig, ax.xaxis)
    assert all(t.endswith("%") for t in ticks)
    values = [float(t.rstrip("%")) for t in ticks]
    assert len(set(values)) == len(values), ticks  # a 0.05 step is written 0.05%, not rounded onto its neighbour


@pytest.mark.parametrize("top", [0.3, 2.2, 17.5, 22.0, 130.0])
def test_percent_ticks_say_the_value_they_mark(plt, top):
    # PercentFormatter(decimals=0) wrote a tick at 7.5 as "8%" and one at 2.5 as "2%"
    fig, ax = plt.subplots(figsize=(10, 3), layout="constrained")
    ax.set_xlim(0, top)
    figures.percent_axis(ax.xaxis)
    ticks = _ticks(fig, ax.xaxis)
    locs = ax.xaxis.get_majorticklocs()
    assert np.allclose([float(t.rstrip("%")) for t in ticks], locs[:len(ticks)], atol=1e-12)


def test_number_axis_prefix_and_sign(plt):
    fig, ax = plt.subplots(layout="constrained")
    ax.set_ylim(0.95, 1.15)
    figures.number_axis(ax.yaxis, prefix="$")
    ticks = _ticks(fig, ax.yaxis)
    assert ticks[0].startswith("$") and all(len(t.split(".")[-1]) == 2 for t in ticks)  # $1.05, not $1.0
    ax.set_ylim(-8, 8)
    figures.number_axis(ax.yaxis, signed=True)
    assert "+4" in _ticks(fig, ax.yaxis) and "\N{MINUS SIGN}4" in _ticks(fig, ax.yaxis)


def test_legend_below_sits_under_the_axes(plt):
    fig, ax = plt.subplots(figsize=(10, 3), layout="constrained")
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set_xlabel("x")
    leg = figures.legend_below(fig)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert leg.get_window_extent(r).y1 <= ax.get_tightbbox(r).y0 + 1  # under the x label: hides no data
    assert leg.get_texts()[0].get_fontsize() == figures.LEGEND_SIZE


def test_place_labels_do_not_overlap(plt):
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    xs, ys = [1.0, 1.02, 1.04, 3.0], [1.0, 1.01, 0.99, 2.0]  # three points on top of each other
    ax.scatter(xs, ys)
    ax.set_xlim(0, 4)
    ax.set_ylim(0, 3)
    anns = figures.place_labels(ax, xs, ys, ["AAA", "BBB", "CCC", "DDD"])
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [Text.get_window_extent(a, r) for a in anns]  # the text alone, not its leader line
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (anns[i].get_text(), anns[j].get_text())


def test_map_of_three_centroids_is_called_exact_not_good():
    assert factor_map.map_fit(3, 0.0).startswith("exact: 3 cluster centroids always fit on a plane")
    assert "good" not in factor_map.map_fit(3, 0.0)
    assert factor_map.map_fit(6, 0.05) == "Kruskal stress-1 0.050 (good)"
    assert factor_map.map_fit(6, 0.212).endswith("(poor: read the map as a sketch)")
    s = {"n_clusters": 3, "stress": 0.0}
    assert factor_map.REPORT.summary_line(s) == "3 clusters, map exact (≤ 3 points always fit)"
    assert factor_map.REPORT.summary_line({"n_clusters": 6, "stress": 0.212}) == "6 clusters, MDS stress 0.212"


def test_z_scores_show_their_sign_without_negative_zero():
    z = factor_map.ALPHA_FORMATS["liquidity"]
    assert z(-0.004) == "0.00" and z(0.9912) == "+0.99" and z(-1.726) == "-1.73"


class _Res:
    sectors = pd.DataFrame({"weight": [0.39], "weight_of_invested": [0.3923], "universe_share": [0.25],
                            "cap": [0.5]}, index=pd.Index(["Health Care"], name="sector"))
    trades = pd.DataFrame({"ticker": ["GE", "XOM"], "action": ["SELL", "BUY"], "shares": [10, 5],
                           "estimated_value": [640.0, 530.0], "price": [64.0, 106.0],
                           "reason": ["exit_position", "increase_weight"]})


def test_risk4_tables_have_readable_headings_and_reasons():
    t = risk4_picks.sectors_table(_Res())
    assert not any("_" in c for c in t.columns)
    assert set(t.columns) == set(risk4_picks.SECTOR_FORMATS)
    tr = risk4_picks.trades_table(_Res())
    assert list(tr["reason"]) == ["exit\u00a0position", "increase\u00a0weight"]  # words, kept on one line
    assert list(tr.index) == ["GE", "XOM"]  # sells first


def test_lab_table_leaves_out_an_all_zero_skipped_column():
    summary = pd.DataFrame({"rule": ["threshold:0.05"], "cost_bps": [20.0], "tracking_error": [0.005],
                            "cost_per_year": [0.0003], "turnover_per_year": [0.05], "rebalances": [10],
                            "sharpe": [1.0], "sharpe_vs_target": [-0.01], "max_drawdown": [-0.24], "taxes": [0.16],
                            "skipped_illiquid": [0]})
    assert "skipped" not in rule_backtest.lab_table(summary).columns
    assert "skipped" in rule_backtest.lab_table(summary.assign(skipped_illiquid=[2])).columns


def test_noise_table_formats_cover_its_headings():
    assert set(rebalance_proposal._NOISE.values()) == set(rebalance_proposal.NOISE_FORMATS)
    assert set(rebalance_proposal._METRICS.values()) == set(rebalance_proposal.SIMULATION_FORMATS)
