"""The risk_stress page (rebal.report.pages.risk_stress): scraps that pass the registry's schema, the summary line
and cover cell, the applies rule, and figures that are titled with labelled axes and units."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.report import registry
from rebal.report.pages import risk_stress as page
from rebal.stress.build import risk_stress

SESSIONS = nyse_sessions()
DAYS = SESSIONS[(SESSIONS >= "2019-01-02") & (SESSIONS <= "2021-06-30")]


@pytest.fixture(scope="module")
def rs(tmp_path_factory):
    """Two stocks and an index from 2019; holdings from 2020-12-31; the COVID episode replayed on real closes."""
    home = tmp_path_factory.mktemp("page")
    rng = np.random.default_rng(4)
    b = rng.normal(0.0004, 0.012, len(DAYS) - 1)
    r = pd.DataFrame({"IDX": b, "A": 0.9 * b + rng.normal(0, 0.01, len(b)), "B": 0.6 * b + rng.normal(0, 0.008, len(b))},
                     index=DAYS[1:])
    closes = 50.0 * pd.concat([pd.DataFrame(1.0, index=DAYS[:1], columns=r.columns), (1 + r).cumprod()])
    lake = write_market(home / "lake.duckdb", closes, benchmark="IDX", sectors={"A": "Energy", "B": "Health Care"})
    with Lakehouse(lake, read_only=False) as lh, lh.transaction() as con:
        for t, n in (("A", 1000.0), ("B", 2000.0)):
            con.execute("INSERT INTO holdings VALUES ('p', DATE '2020-12-31', ?, ?, 'test')", [t, n])
        con.execute("INSERT INTO cash_balances VALUES ('p', DATE '2020-12-31', 5000, 'test')")
    (home / "params" / "profiles").mkdir(parents=True)
    (home / "params" / "stress").mkdir()
    (home / "params" / "stress" / "episodes.yaml").write_text(
        "episodes:\n  - {name: 1987 crash, start: 1987-08-25, end: 1987-12-04}\n"
        "  - {name: COVID, start: 2020-02-19, end: 2020-03-23}\n")
    (home / "params" / "profiles" / "p.yaml").write_text(
        "universe: [A, B]\nbenchmark: IDX\ntarget: {method: fixed, weights: {A: 0.5, B: 0.4}, cash: 0.1}\n"
        "proposal: {mode: proportional, limits: {max_total: 1.0, max_cluster: 1.0, max_single: 1.0}}\n"
        "stress: {window_days: 120, var_window_days: 100, shocks: {factors: []}}\nnotebooks: [risk_stress]\n")
    lh = Lakehouse(lake)
    prof = load_profile("p", home / "params" / "profiles", known_tickers=lh.known_tickers())
    return risk_stress(prof, lh, date(2021, 6, 30))


def test_scraps_pass_the_registered_schema(rs):
    s = page.scraps(rs)
    registry.check_scraps(page.REPORT, s)
    assert s["worst_episode_current"] == "COVID" and s["episodes_covered"] == 1
    assert s["stress_change"] in {"lowers", "raises", "unchanged"}
    assert s["backtest_days"] == len(rs.backtest.forecasts) > 100
    assert list(s["episodes"]["episode"]) == ["1987 crash", "COVID"]


def test_summary_line_and_cover_cell():
    s = {"worst_episode_loss_current": -0.338, "worst_episode_loss_proposed": -0.317, "var99_1d": 0.0219,
         "largest_contributor": "CVX", "largest_contributor_share": 0.14, "stress_change": "lowers"}
    assert page.REPORT.summary_line(s) == ("stress: worst episode current -33.8% / proposed -31.7%; VaR99 1d 2.19%; "
                                           "largest risk CVX")
    cell = page.REPORT.cover[0].cell(s)
    assert "-33.8% → -31.7%" in cell and "(lowers)" in cell and "VaR99 2.19%" in cell and "top risk CVX 14%" in cell
    none = {**s, "worst_episode_loss_current": None, "worst_episode_loss_proposed": None,
            "largest_contributor": "<b>x</b>"}
    assert page.REPORT.summary_line(none).startswith("stress: no episode covered")
    assert "&lt;b&gt;x&lt;/b&gt;" in page.REPORT.cover[0].cell(none)  # text from data is escaped


def test_the_report_needs_holdings_and_is_in_every_default_list():
    assert page.REPORT.applies(None, True) is None
    assert "no holdings" in page.REPORT.applies(None, False)
    assert "risk_stress" in registry.default_names()
    assert registry.names().index("risk_stress") == registry.names().index("rebalance_proposal") + 1


def _axes_ok(fig) -> None:
    for ax in fig.axes:
        assert ax.get_title(loc="left") or ax.get_title(), "untitled figure"
        label = ax.get_xlabel() + " " + ax.get_ylabel()
        assert label.strip() and ("%" in label or "percentage points" in label), label


@pytest.mark.parametrize("name", ["contributions_plot", "sector_plot", "episodes_plot", "worst_episode_plot",
                                  "shocks_plot", "backtest_plot"])
def test_figures_are_titled_with_labelled_axes_in_units(rs, name):
    import matplotlib.pyplot as plt

    fig = getattr(page, name)(rs)
    assert fig is not None
    _axes_ok(fig)
    plt.close(fig)


def test_views_keep_the_tables_narrow(rs):
    view = page.episodes_view(rs)
    assert list(view.columns) == ["window chosen", "window", "IDX loss", "loss now", "loss proposed", "proxied",
                                  "worst day now", "worst day date", "worse"]
    assert view.loc["COVID", "window chosen"] == "index peak to trough" and view.loc["COVID", "proxied"] == ""
    assert "verdict (5 %)" in page.backtest_view(rs).columns
    params = page.stress_parameters(rs.profile)
    assert params.loc["window_days", "this profile"] == "120" and bool(params.loc["window_days", "changed"])


def test_the_benchmarks_own_loss_is_its_fall_over_the_window(rs):
    """IDX's loss over COVID is the fall of its closes from the running peak, recomputed from the replayed path."""
    from rebal.stress.tables import episodes_table

    res = dict(rs.episodes)
    covid = next(r for ep, r in rs.episodes if ep.name == "COVID")
    path = covid["benchmark"].path
    expected = float((path / path.cummax() - 1).min())
    assert episodes_table(rs).loc["COVID", "benchmark loss"] == pytest.approx(expected, rel=1e-12)
    assert len(res) == 2


def test_the_risk_card_flags_a_rejected_var_and_a_proxied_worst_episode():
    h = {"worst_episode_current": "2007-2009 financial crisis", "worst_episode_loss_current": -0.277,
         "worst_episode_benchmark_loss_current": -0.568, "worst_episode_proxied_current": 0.62}
    text = page._worst_text(h, "current", "SPX")
    assert text == ("-27.7% (2007-2009 financial crisis; SPX -56.8%; <b>proxied</b>: 62% of value through beta)")
    assert page._var_flag({"var_rejected": False}) == ""
    flag = page._var_flag({"var_rejected": True, "var_flag": "rejected by its Kupiec test: too many exceptions"})
    assert "too many exceptions" in flag and "#c62828" in flag
