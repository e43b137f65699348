"""Notebook helpers and the drift audit page on the tiny hand-worked lakehouse."""
from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import ReportError
from rebal.monitor.audit import drift_audit
from rebal.report import widgets
from rebal.report.pages import drift_audit as page


@pytest.fixture
def audit(tiny_home):
    lh = Lakehouse(tiny_home / "data" / "lakehouse" / "rebal.duckdb")
    prof = load_profile("tiny", tiny_home / "params" / "profiles", known_tickers=lh.known_tickers())
    yield drift_audit(prof, lh, date(2024, 1, 5))
    lh.close()


def test_signed_pct_and_yes_no():
    assert widgets.signed_pct(0.012345) == "+1.23%"
    assert widgets.signed_pct(-0.00004) == "0.00%"  # rounding noise is not a negative drift
    assert widgets.yes_no(1) == "yes" and widgets.yes_no(False) == "no"


def test_table_highlights_the_flagged_rows_only_with_inline_styles():
    df = pd.DataFrame({"name": ["A", "B"], "w": [0.1, 0.2], "breach": [False, True]}, index=["x", "y"])
    html = widgets.table(df, {"w": "{:.1%}"}, highlight="breach").data
    assert "breach" not in html and "<style" not in html       # marker column hidden, no id-based CSS
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    body = {re.search(r">\s*([xy])\s*</th>", r).group(1): r for r in rows if re.search(r">\s*[xy]\s*</th>", r)}
    assert body["y"].count("color: #c62828") == 2 and "#c62828" not in body["x"]
    assert "20.0%" in html and "10.0%" in html


def test_table_keeps_its_colours_when_ids_are_renamed():
    df = pd.DataFrame({"v": [1.0], "flag": [True]})
    html = widgets.table(df, highlight="flag").data
    renamed = re.sub(r'id="', 'id="other--', html)
    assert 'style="color: #c62828; font-weight: 600;"' in renamed


def test_table_shows_repeated_index_labels_as_a_column():
    """Two loss sales of one ticker: the Styler cannot style repeated labels, so they become a column."""
    df = pd.DataFrame({"shares": [10.0, 5.0], "kind": ["loss", "loss"]}, index=pd.Index(["AAPL", "AAPL"], name="ticker"))
    html = widgets.table(df, {"shares": "{:,.0f}"}).data
    assert html.count(">AAPL<") == 2 and ">ticker<" in html and ">10<" in html and ">5<" in html


def test_table_escapes_text_from_data():
    hostile = "<img src=x onerror=alert(1)>"
    df = pd.DataFrame({hostile: [hostile], "n": [1.0]}, index=pd.Index([hostile], name=hostile))
    html = widgets.table(df).data
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_inline_styles_handles_grouped_selectors():
    markup = ('<style type="text/css">\n#T_a_row0_col0, #T_a_row1_col0 {\n  color: red;\n}\n</style>\n'
              '<table id="T_a"><tr><td id="T_a_row0_col0">1</td><td id="T_a_row1_col0">2</td></tr></table>')
    out = widgets.inline_styles(markup)
    assert out.count('style="color: red;"') == 2 and "<style" not in out


def test_badge_and_card_escape_their_text():
    assert "&lt;script&gt;" in widgets.badge("<script>")
    assert "<th" in widgets.card([("Label", "value")]).data


def test_glue_refuses_scraps_that_break_the_schema(monkeypatch):
    glued = {}
    import scrapbook as sb

    monkeypatch.setattr(sb, "glue", lambda k, v: glued.__setitem__(k, v))
    spec = page.REPORT
    with pytest.raises(ReportError, match=r"report drift_audit: scrap `as_of` is missing"):
        widgets.glue(spec, {"profile": "tiny"})
    assert glued == {}


def test_drift_scraps_are_the_hand_worked_numbers_and_fit_the_schema(audit, tiny_home):
    from rebal.decision.review import weekly_review
    from rebal.monitor.planner import decision_panel
    from rebal.report.registry import check_scraps

    lh = Lakehouse(tiny_home / "data" / "lakehouse" / "rebal.duckdb")
    panel = decision_panel(audit, lh)
    review = weekly_review(audit.profile, lh, audit.as_of)
    s = page.scraps(review)
    check_scraps(page.REPORT, s)
    # AAA has grown to 4400 / 10400 = 42.3 % of the book, above the default 40 % single-asset limit: a hard
    # breach requires its remedy whatever the 4.4 % drift (row 4 of the decision table)
    assert s["decision_action"] == "CURE BREACH" and s["decision_rule"] == 4
    assert s["max_drift"] == pytest.approx(-420 / 10400)
    # 2024-01-05: 4400 + 2700 + 2300 + 1000 = 10400; targets 4160 / 3120 / 2080 / 1040 -> D = 460 / 10400
    assert s["portfolio_drift"] == pytest.approx(460 / 10400)
    assert s["status"] == "MAINTAIN" and s["max_drift_asset"] == "BBB"
    # the planner's verdict in its own vocabulary (QUIET, never HOLD), on the card and in the scraps
    assert s["planner_verdict"] == "QUIET" and s["recommendation"] == f"QUIET: {s['planner_reason']}"
    card = page.planner_card(panel).data
    assert ">QUIET</span>" in card and "HOLD" not in card and "½ λ H TE²" in card
    assert s["planner_benefit"] == pytest.approx(s["planner_te_252d"] ** 2)  # λ = 2, H = 1 year
    lh.close()


@pytest.mark.parametrize("figure", ["drift_overview", "weights_comparison", "drift_path_plot"])
def test_drift_figures_have_a_title_and_labelled_axes(audit, figure):
    fig = getattr(page, figure)(audit)
    axes = fig.get_axes()
    assert axes and all(ax.get_title(loc="left") for ax in axes)
    assert all(ax.get_xlabel() or ax.get_ylabel() for ax in axes)
    labels = {t.get_text() for t in axes[0].get_yticklabels()} | {t.get_text() for t in axes[0].get_xticklabels()}
    if figure != "drift_path_plot":
        assert {"AAA", "BBB", "CCC"} <= labels     # assets are named on the axis
