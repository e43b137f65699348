"""One proposal id wherever the proposal appears, and the required remedy apart from the discretionary part.

The sample's max_sharpe book holds LLY at 29.7 % against its 20 % single-asset limit (issue 21): its
proposal has a required remedial part with its own id, the decision names both parts, and the reports,
the packet's sign-off and the JSON of ``rebal propose``, ``rebal risk`` and ``rebal drift-monitor`` show
the same proposal id.
"""
from __future__ import annotations

import json

import pytest
from conftest import REPO

from rebal.paths import get_paths
from rebal.report.runner import run_weekly

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf, pytest.mark.slow]

NOTEBOOKS = ["weekly_review", "drift_audit", "rebalance_proposal", "risk_stress"]
GRADES = {"ADOPT TARGET", "ADOPT PART-WAY", "KEEP CURRENT"}


def test_one_id_across_reports_and_cli_with_the_remedy_apart(sample_home, cli, monkeypatch):
    # the drift monitor's first run records a baseline and shows no decision; the second shows it
    assert cli(sample_home, "drift-monitor", "--profile", "max_sharpe", "--json").returncode == 0
    monitor = json.loads(cli(sample_home, "drift-monitor", "--profile", "max_sharpe", "--json").stdout)
    res = cli(sample_home, "propose", "--profile", "max_sharpe", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    pid, rem = doc["id"], doc["remedial"]
    # the required remedial part: trades, value, cost and its own id, apart from the discretionary question
    assert pid.startswith("max_sharpe-20221228-") and rem["id"].startswith("max_sharpe-20221228-remedial-")
    assert rem["id"] != pid and rem["n_trades"] == len(rem["trades"]) > 0 and rem["limits_ok"]
    assert rem["traded_value"] > 0 and rem["cost_usd"] > 0
    sold = {t["ticker"] for t in rem["trades"] if t["action"] == "SELL"}
    assert sold == {"LLY"} and any("LLY" in b for b in doc["hard_breaches"])
    # the remedy carries its own tax (taxable account): the rates times the net gains it realises, by hand
    tax = rem["tax"]
    assert tax is not None and tax["account"] == "taxable"
    st, lt = tax["realised"]["short_term_net"], tax["realised"]["long_term_net"]
    assert st >= 0 and lt > 0 and tax["year_to_date"] == {"short_term": 0.0, "long_term": 0.0}
    assert tax["estimated_tax"] == pytest.approx(st * tax["rates"]["short_term"] + lt * tax["rates"]["long_term"],
                                                 abs=0.02)
    d = doc["decision"]
    assert d["action"] == "CURE BREACH" and d["required"] and d["then"]["action"] in GRADES
    assert d["headline"] == f"CURE BREACH (required), then {d['then']['action']}"
    assert d["proposal_id"] == pid and d["remedial_id"] == rem["id"]
    assert doc["recommendation"]["proposal_id"] == pid and doc["recommendation"]["evidence"]["rows"]
    # the same id from the risk report's command and the drift monitor's
    risk = json.loads(cli(sample_home, "risk", "--profile", "max_sharpe", "--json").stdout)
    assert risk["proposal_id"] == pid and monitor[0]["decision"]["proposal_id"] == pid
    assert monitor[0]["decision"]["remedial_id"] == rem["id"]

    monkeypatch.setenv("REBAL_NOTEBOOKS_DIR", str(REPO / "notebooks"))
    outcome = run_weekly(profiles=["max_sharpe"], notebooks=NOTEBOOKS, paths=get_paths(sample_home), workers=2,
                         progress=False)
    assert outcome.ok, [r.error for r in outcome.reports if not r.ok]
    by = {r.notebook: r.scraps for r in outcome.reports}
    assert {by[n]["proposal_id"] for n in ("weekly_review", "rebalance_proposal", "risk_stress")} == {pid}
    assert by["weekly_review"]["remedial_id"] == by["rebalance_proposal"]["remedial_id"] == rem["id"]
    assert by["weekly_review"]["decision_headline"] == d["headline"]
    assert by["weekly_review"]["recommendation"]["grade"] == doc["recommendation"]["grade"]
    # the packet's sign-off: a line for the remedy, then the discretionary part
    packet = (outcome.out_dir / "committee_packet.html").read_text()
    sign = packet[packet.index("Orders across books") - 6000:packet.index("Orders across books")]
    assert f"1. <code>{rem['id']}</code>" in sign and "CURE BREACH (required)" in sign
    assert "2. " in sign
    # the remedy is recorded under its own id: approved alone, `--execute` runs its trades and nothing else
    ok = cli(sample_home, "approve", rem["id"], "--by", "committee")
    assert ok.returncode == 0 and "the required remedial part" in ok.stdout
    done = cli(sample_home, "propose", "--profile", "max_sharpe", "--execute", "--json")
    assert done.returncode == 0, done.stderr
    ex = json.loads(done.stdout)["execution"]
    assert ex["proposal_id"] == rem["id"] and ex["trades"] == len(rem["trades"]) and ex["limits_ok"]
