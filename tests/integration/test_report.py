"""Rendering and the weekly job: self-contained HTML, A4 PDF, packet, failure isolation."""
from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, add_failing_profile, make_tiny_home
from pypdf import PdfReader

from rebal.paths import get_paths
from rebal.report.runner import run_weekly

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I)

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf]


def count_pages(path) -> int:
    return len(PdfReader(path).pages)


def a4(path) -> bool:
    """Every page is A4 (595.28 x 841.89 pt), read with pypdf, a second library."""
    return all(abs(float(p.mediabox.width) - 595.28) < 1 and abs(float(p.mediabox.height) - 841.89) < 1
               for p in PdfReader(path).pages)


@pytest.fixture(scope="module")
def run_two(tmp_path_factory):
    """A weekly run over a good profile and one whose notebook fails (run once for this module)."""
    home = make_tiny_home(tmp_path_factory.mktemp("run") / "proj")
    add_failing_profile(home)
    outcome = run_weekly(paths=get_paths(home), workers=2, progress=False)
    return home, outcome


@pytest.mark.slow
def test_weekly_run_on_the_real_sample_profile(sample_lakehouse, tmp_path, monkeypatch):
    """End to end on real data: the strategy_sleeves profile over the sample lakehouse."""
    monkeypatch.setenv("REBAL_LAKEHOUSE", str(sample_lakehouse))
    monkeypatch.setenv("REBAL_REPORTS_DIR", str(tmp_path / "reports"))
    outcome = run_weekly(profiles=["strategy_sleeves"], paths=get_paths(REPO), workers=1, progress=False)
    assert outcome.ok and str(outcome.as_of) == "2022-12-28"
    by = {r.notebook: r.scraps for r in outcome.reports}
    assert set(by) == {"weekly_review", "drift_audit", "rebalance_proposal", "risk_stress", "beta_correlation", "factor_map",
                       "rule_backtest"}
    assert by["risk_stress"]["stress_change"] in {"lowers", "raises", "unchanged"}
    assert by["drift_audit"]["status"] in {"MAINTAIN", "REBALANCE", "URGENT"}
    # limits that fit an equity ETF book: the five correlated ETFs are one cluster, capped with what is deployed
    pr = by["rebalance_proposal"]
    assert pr["breakers"] == "OK" and not pr["target_conflicts"] and not pr["blocked"]
    assert pr["deployed"] <= 0.65 + 1e-9 and pr["simulation_verdict"] in {"IMPROVES", "WITHIN NOISE", "WORSENS"}
    assert pr["decision_action"] == by["drift_audit"]["decision_action"] == by["weekly_review"]["decision_action"]
    assert by["drift_audit"]["last_implemented"] == "2022-09-30"
    assert 0 < by["beta_correlation"]["beta"] < 1.5 and by["factor_map"]["n_clusters"] == 3
    assert (tmp_path / "reports" / "2022-12-28" / "committee_packet.pdf").is_file()
    # the rule lab: the report's numbers are the package's (same window, same configurations)
    lab = by["rule_backtest"]
    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.lab.run import run_lab

    with Lakehouse(sample_lakehouse) as lh:
        prof = load_profile("strategy_sleeves", REPO / "params" / "profiles", known_tickers=lh.known_tickers())
        ref = run_lab(prof, lh, which="fast", taxes=True)
    assert lab["lab_start"] == "2014-04-01" and lab["lab_configurations"] == len(ref.summary)
    assert [r["tracking_error"] for r in lab["lab_summary"]] == pytest.approx(ref.summary["tracking_error"].tolist(), rel=1e-12)
    assert {lab[f"lab_check_{i}"] for i in range(1, 7)} <= {"supported", "not supported", "not tested"}


def test_failing_notebook_fails_only_its_report(run_two):
    home, outcome = run_two
    assert not outcome.ok
    by = {r.profile: r for r in outcome.reports}
    assert by["tiny"].ok and not by["tiny_fail"].ok
    assert "profile tiny_fail" in by["tiny_fail"].error and "cell" in by["tiny_fail"].error
    assert "RuntimeError: injected failure for the test" in by["tiny_fail"].error
    out = home / "reports" / "2024-01-05"
    for ext in ("ipynb", "html", "pdf"):
        assert (out / "tiny" / f"drift_audit.{ext}").is_file()
        assert not (out / "tiny_fail" / f"drift_audit.{ext}").exists()
    assert (out / "tiny_fail" / "drift_audit.failed.ipynb").is_file()
    assert (out / "committee_packet.pdf").is_file()
    assert not list(out.glob(".staging-*"))
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["ok"] is False and len(manifest["reports"]) == 2


def test_html_report_is_self_contained_without_code_or_noise(run_two):
    home, _ = run_two
    html = (home / "reports" / "2024-01-05" / "tiny" / "drift_audit.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script")
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert not soup.select(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt, .highlight")
    assert "In&nbsp;[" not in html and "import scrapbook" not in html
    assert not soup.select('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert "Warning" not in soup.get_text()
    imgs = soup.find_all("img")
    assert imgs and all(i["src"].startswith("data:image/png;base64,") for i in imgs)
    toc = soup.select("nav.rebal-toc a")
    assert [a.get_text() for a in toc][:2] == ["This week's decision", "Summary"]
    assert all(soup.find(id=a["href"][1:]) for a in toc)
    text = soup.get_text(" ")
    for needle in ("MAINTAIN", "Provenance", "Profile SHA-256", "Git commit", "2024-01-05", "no look-ahead"):
        assert needle in text


def test_pdf_report_and_packet_are_a4_with_pages(run_two):
    home, _ = run_two
    out = home / "reports" / "2024-01-05"
    report, packet = out / "tiny" / "drift_audit.pdf", out / "committee_packet.pdf"
    assert a4(report) and a4(packet)
    assert count_pages(report) >= 2
    assert count_pages(packet) > count_pages(report)  # the decision document, then the report
    pages = [p.extract_text() for p in PdfReader(packet).pages]
    n = len(pages)
    assert all(f"p. {i + 1} / {n}" in t for i, t in enumerate(pages))  # one page numbering, on every page
    assert "Weekly rebalancing review" in pages[0] and "Contents" in " ".join(pages)
    assert not any("SAMPLE DATA" in t for t in pages)  # a lakehouse of the user's own: no sample mark
    doc = (out / "committee_packet.html").read_text()
    soup = BeautifulSoup(doc, "html.parser")
    cover = soup.select_one(".cover").get_text()
    assert "FAILED: 1 report(s)" in cover and "tiny_fail — drift_audit" in cover
    assert "RuntimeError: injected failure" in cover or "cell" in cover
    assert "tiny" in cover and "its decision report is not among this profile's reports" in cover
    ids = [e["id"] for e in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert all(soup.find(id=a["href"][1:]) for a in soup.select('a[href^="#"]'))
    assert soup.select_one('a[href="tiny/drift_audit.html"]') is not None  # the report is linked, not inlined
    assert not EXTERNAL.search(doc) and "SAMPLE DATA" not in doc
