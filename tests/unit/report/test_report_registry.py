"""The report registry: every page declares one report; scraps are checked by name and type."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO

from rebal.errors import ConfigError, ReportError
from rebal.report import registry
from rebal.report.registry import Cover, ReportSpec, check_scraps


def test_every_template_notebook_has_exactly_one_page_and_back():
    notebooks = {p.stem for p in (REPO / "notebooks").glob("*.ipynb")}
    assert set(registry.names()) == notebooks


def test_reports_come_in_their_declared_order_and_defaults_exclude_risk4():
    specs = registry.reports()
    assert [s.order for s in specs] == sorted(s.order for s in specs)
    assert registry.names()[:2] == ("weekly_review", "drift_audit")
    assert "risk4_picks" not in registry.default_names()
    assert "drift_audit" in registry.default_names()


def test_unknown_report_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown report 'nope'; valid: weekly_review, drift_audit, "):
        registry.report("nope")


SPEC = ReportSpec(name="demo", title="Demo", order=1, scraps={"x": float, "n": int, "t": "DataFrame",
                                                              "o": (float, type(None))},
                  summary=lambda s: f"x {s['x']:.1f}", optional={"extra": str},
                  cover=(Cover("X", lambda s: str(s["x"])),))


def test_check_scraps_accepts_the_declared_types():
    check_scraps(SPEC, {"x": 1, "n": 2, "t": pd.DataFrame({"a": [1]}), "o": None})
    check_scraps(SPEC, {"x": "nan", "n": 2, "t": pd.DataFrame(), "o": 0.5, "extra": "e"})  # JSON has no NaN


@pytest.mark.parametrize("scraps, message", [
    ({"n": 2, "t": pd.DataFrame(), "o": None}, r"report demo: scrap `x` is missing"),
    ({"x": "abc", "n": 2, "t": pd.DataFrame(), "o": None}, r"report demo: scrap `x` must be a number, found str 'abc'"),
    ({"x": 1.0, "n": 2.5, "t": pd.DataFrame(), "o": None}, r"scrap `n` must be an integer, found float"),
    ({"x": 1.0, "n": True, "t": pd.DataFrame(), "o": None}, r"scrap `n` must be an integer, found bool"),
    ({"x": 1.0, "n": 2, "t": [1], "o": None}, r"scrap `t` must be a DataFrame, found list"),
    ({"x": 1.0, "n": 2, "t": pd.DataFrame(), "o": "a"}, r"scrap `o` must be a number or empty"),
    ({"x": 1.0, "n": 2, "t": pd.DataFrame(), "o": None, "extra": 3}, r"scrap `extra` must be a string, found int"),
])
def test_check_scraps_names_the_report_and_the_key(scraps, message):
    with pytest.raises(ReportError, match=message):
        check_scraps(SPEC, scraps)


def test_summary_line_is_empty_when_the_scraps_cannot_make_one():
    assert SPEC.summary_line({"x": 2.0}) == "x 2.0"
    assert SPEC.summary_line({}) == ""


def test_summaries_and_cover_cells_of_the_shipped_reports_from_hand_made_scraps():
    drift = {"status": "URGENT", "portfolio_drift": 0.2512, "recommendation": "TRADE: threshold fires",
             "max_drift_asset": "LLY", "max_abs_drift": 0.0912, "max_drift": -0.0912}
    spec = registry.report("drift_audit")
    assert spec.summary_line(drift) == "URGENT drift 25.12%; planner TRADE"
    assert spec.summary_line({**drift, "planner_verdict": "QUIET"}) == "URGENT drift 25.12%; planner QUIET"
    cells = [c.cell(drift) for c in spec.cover]
    assert "URGENT" in cells[0] and "25.12% drift; largest LLY -9.12%" in cells[0] and cells[1] == "TRADE"
    beta = {"beta": 0.456, "correlation": 0.71, "r_squared": 0.5, "aggressive": True}
    assert registry.report("beta_correlation").summary_line(beta) == "beta 0.46 corr 0.71 R² 0.50 AGGRESSIVE"
    # each book labelled; the cover shows the held and target betas, the target's marked in-sample
    books = {**beta, "beta_held": 0.956, "beta_target": 0.479, "beta_proposed": float("nan"),
             "aggressive_held": True, "aggressive_target": False, "beta_target_in_sample": True}
    spec = registry.report("beta_correlation")
    assert spec.summary_line(books) == "beta held 0.96 target 0.48 corr 0.71 R² 0.50 AGGRESSIVE (held)"
    assert spec.cover[0].cell(books) == ('β held 0.96, β target 0.48 (in-sample), ρ 0.71<br>'
                                         '<span class="failed">AGGRESSIVE (held)</span>')
    prop = {"simulation_verdict": "WITHIN NOISE", "mode": "correlation_aware", "n_trades": 3, "cost_bps": 1.25,
            "simulation": {"difference": -0.18, "se": 0.21, "z": -0.857, "significant": False}, "target_conflicts": []}
    spec = registry.report("rebalance_proposal")
    assert spec.summary_line(prop) == ("WITHIN NOISE (correlation-aware; 3 trades, 1.2 bps; Sharpe -0.18 ± 0.21 (z -0.86, "
                                       "not significant))")
    assert "WITHIN NOISE" in spec.cover[0].cell(prop) and "conflict" not in spec.cover[0].cell(prop)
    conflict = {**prop, "target_conflicts": ["correlated cluster A + B: target 60% > 30% (proposal.limits.max_cluster)"]}
    assert spec.summary_line(conflict).endswith("; CONFIGURATION CONFLICT")
    assert "configuration conflict" in spec.cover[0].cell(conflict)


def test_cover_cells_escape_text_from_data():
    spec = registry.report("drift_audit")
    cell = spec.cover[0].cell({"status": "<b>x</b>", "portfolio_drift": 0.1, "max_drift_asset": "<img src=x>",
                               "max_abs_drift": 0.01})
    assert "<img" not in cell and "&lt;img src=x&gt;" in cell


def test_a_profile_naming_an_unknown_report_is_refused(tmp_path):
    from rebal.config import load_profile

    d = tmp_path / "profiles"
    d.mkdir()
    (d / "p.yaml").write_text("universe: [A]\ntarget: {method: fixed, weights: {A: 1.0}}\nnotebooks: [drift_audit, nope]\n")
    with pytest.raises(ConfigError, match=r"p.yaml: `notebooks\[1\]`: expected one of 'weekly_review', 'drift_audit', .* found 'nope'"):
        load_profile("p", d)
    (d / "p.yaml").write_text("universe: [A, B]\ntarget: {method: fixed, weights: {A: 0.5, B: 0.5}}\n"
                              "factor_map: {n_clusters: 2}\n")
    assert load_profile("p", d).notebooks == registry.default_names()
