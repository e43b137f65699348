"""The packet's decision document from scraps: decision pages, the quiet page, the cover's caveats, the sign-off.

Entries are built in the test (their scraps written by hand, their PDFs blank pages), so every expectation
is read off the scraps: which profile decides, which figures and flags appear, what is signed.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from pypdf import PdfWriter

from rebal.report.packet.assemble import decision_html
from rebal.report.packet.entries import PacketEntry
from rebal.report.packet.refs import Refs, appendix_items
from rebal.report.packet.summary import netted_trades, summary_rows


@pytest.fixture
def blank(tmp_path):
    path = tmp_path / "blank.pdf"
    w = PdfWriter()
    w.add_blank_page(595.28, 841.89)
    with open(path, "wb") as fh:
        w.write(fh)
    return path


def _weekly(profile, trades, action="EXECUTE", pid="id-1", pdf=None, changes=None):
    return PacketEntry(profile, "weekly_review", {
        "decision_action": action, "decision_reason": "because", "decision_rule": 3,
        "decision_reasons": ["first input", "second input"], "drift": 0.062, "drift_status": "REBALANCE",
        "price_drift": 0.03, "target_change": 0.04, "n_trades": len(trades), "gross_buys": 300.0, "gross_sells": 100.0,
        "cost_usd": 10.0, "cost_bps": 1.0, "alerts": [], "proposal_id": pid, "value": 1e6, "changes": changes or {},
        "trades": pd.DataFrame(trades, columns=["ticker", "action", "shares", "value"])},
        pdf=pdf or "x.pdf", href=f"{profile}/weekly_review.html")


def _risk(profile, pdf, *, rejected=True, proxied=0.62, worse=True):
    episodes = pd.DataFrame([
        {"episode": "2007-2009 financial crisis", "kind": "peak_to_trough", "definition": "index peak", "covered": True,
         "window": "2007-10-09 .. 2009-03-09", "benchmark loss": -0.568, "benchmark return": -0.568,
         "loss now": -0.32, "loss proposed": -0.309, "worst day now": -0.04, "proxied now": "x",
         "proxied share now": proxied, "proxied share proposed": proxied, "worse": False},
        {"episode": "2020 COVID crash", "kind": "peak_to_trough", "definition": "index peak", "covered": True,
         "window": "2020-02-19 .. 2020-03-23", "benchmark loss": -0.339, "benchmark return": -0.339,
         "loss now": -0.224, "loss proposed": -0.288, "worst day now": -0.06, "proxied now": "",
         "proxied share now": 0.0, "proxied share proposed": 0.0, "worse": worse}])
    return PacketEntry(profile, "risk_stress", {
        "benchmark": "SPX", "vol_current": 0.15, "vol_proposed": 0.13, "vol_target": 0.13, "beta_current": 0.9,
        "beta_proposed": 0.8, "te_current": 0.02, "te_proposed": 0.0, "var99_1d": 0.022, "es99_1d": 0.03,
        "var_rejected": rejected, "var_direction": "too many", "backtest_exceedances": 18, "backtest_expected": 7.56,
        "kupiec_p": 0.001, "var_flag": "rejected by its Kupiec test: too many "
        "exceptions (18 in 756 days, 7.6 expected, p = 0.001)" if rejected else "",
        "worst_episode_current": "2007-2009 financial crisis", "worst_episode_loss_current": -0.32,
        "worst_episode_proposed": "2007-2009 financial crisis", "worst_episode_loss_proposed": -0.309,
        "worst_episode_benchmark_loss_current": -0.568, "worst_episode_proxied_current": proxied,
        "worst_episode_proxied_proposed": proxied,
        "episodes_worse": [{"episode": "2020 COVID crash", "loss now": -0.224, "loss proposed": -0.288,
                            "benchmark loss": -0.339, "proxied": False}] if worse else [],
        "episodes": episodes}, pdf=pdf, href=f"{profile}/risk_stress.html")


def _doc(entries, *, sample=False, mode="html"):
    refs = Refs(appendix_items(entries), mode=mode, offset=12)
    return decision_html(entries, refs, as_of="2024-01-05", data_latest="2024-01-05", facts={"sample": sample})


def test_trades_are_netted_across_books_by_ticker():
    # book a buys $300 of X and sells $100 of Y; book b sells $200 of X: X nets to +$100, bought by a, sold by b
    entries = [_weekly("a", [("X", "BUY", 3, 300.0), ("Y", "SELL", 1, 100.0)]), _weekly("b", [("X", "SELL", 2, 200.0)])]
    n = netted_trades(entries)
    assert n.loc["X", "net"] == 100.0 and n.loc["X", "bought"] == 300.0 and n.loc["X", "sold"] == 200.0
    assert n.loc["X", "buyers"] == "a" and n.loc["X", "sellers"] == "b" and n.loc["Y", "net"] == -100.0


def test_only_executed_or_adopted_proposals_with_an_id_are_to_sign():
    rows = summary_rows([_weekly("a", [], "EXECUTE"), _weekly("b", [], "DEFER"), _weekly("c", [], "ADOPT TARGET"),
                         _weekly("d", [], "EXECUTE", pid="")])
    assert [r["sign"] for r in rows] == [True, False, True, False]


def test_a_profile_that_trades_nothing_this_week_adds_no_orders():
    entries = [_weekly("a", [("X", "BUY", 3, 300.0)]), _weekly("b", [("X", "SELL", 2, 200.0)], action="DEFER")]
    n = netted_trades(entries)
    assert n.loc["X", "bought"] == 300.0 and n.loc["X", "sold"] == 0.0 and n.loc["X", "sellers"] == ""


def test_a_profile_to_decide_gets_a_page_with_its_evidence_and_what_would_be_signed(blank):
    entries = [_weekly("a", [("X", "BUY", 3, 300.0), ("Y", "SELL", 1, 100.0)], pdf=blank), _risk("a", blank)]
    doc = _doc(entries)
    page = doc[doc.index("id='decide-a'"):doc.index("id='signoff'")]
    assert "a — decision" in page and "What would be signed" in page and "<code>id-1</code>" in page
    for figure in ("Volatility", "15.0 %", "13.0 %", "Beta to SPX", "VaR 99 %, 1 day",
                   "rejected by its Kupiec test: too many exceptions", "Worst stress episode",
                   "−32.0 % 2007-2009 financial crisis (proxied: 62 % of value)", "SPX −56.8 %",
                   "proposal loses more in 2020 COVID crash", "Stress episodes", "The trades in brief", "worse"):
        assert figure in page, figure
    # the episode the proposal makes worse is a red row of the stress table; each figure links to its report
    assert "<tr class='flagged'><td>2020 COVID crash</td><td>2020-02-19→2020-03-23</td>" in page
    assert 'href="a/risk_stress.html#Historical-episodes"' in page and 'href="a/weekly_review.html' in page


def test_profiles_with_nothing_to_decide_share_a_page_without_a_box(blank):
    entries = [_weekly("a", [("X", "BUY", 3, 300.0)], pdf=blank),
               _weekly("q1", [], "NO ACTION", pdf=blank), _risk("q1", blank, worse=False),
               _weekly("q2", [("Z", "SELL", 1, 50.0)], "DEFER", pdf=blank)]
    doc = _doc(entries)
    assert "id='decide-q1'" not in doc.split("id='quiet'")[0]  # no page of its own
    quiet = doc[doc.index("id='quiet'"):doc.index("id='signoff'")]
    assert "q1" in quiet and "q2" in quiet and "What would be signed" not in quiet
    assert "proxied" in quiet and "VaR 99 % rejected by its Kupiec test" in quiet  # its caveats are there
    assert doc.count("What would be signed") == 1  # a's only


def test_the_cover_flags_kupiec_rejections_proxies_and_episodes_the_proposal_worsens(blank):
    entries = [_weekly("a", [("X", "BUY", 3, 300.0)], pdf=blank), _risk("a", blank)]
    cover = _doc(entries).split("id='contents'")[0]
    assert "Caveats the numbers carry" in cover
    assert "VaR 99 % rejected by its Kupiec test: too many exceptions (18 vs 7.6 expected, p = 0.001)" in cover
    assert "worst episode proxied: 2007-2009 financial crisis (62 % of value through beta)" in cover
    assert "proposal loses more in 2020 COVID crash (−22.4 % → −28.8 %; SPX −33.9 %)" in cover
    clean = [_weekly("a", [], pdf=blank), _risk("a", blank, rejected=False, proxied=0.0, worse=False)]
    assert "Caveats the numbers carry" not in _doc(clean).split("id='contents'")[0]


@pytest.mark.parametrize("sample", [True, False])
def test_every_decision_page_carries_the_sample_mark_only_on_the_sample(blank, sample):
    entries = [_weekly("a", [("X", "BUY", 3, 300.0)], pdf=blank), _weekly("q", [], "NO ACTION", pdf=blank)]
    doc = _doc(entries, sample=sample, mode="pdf")
    cover, *sections = re.split(r"<section class='(?:decision-page|part)'>", doc)  # the sections that open a page
    assert len(sections) == 3 and sum("id='decide-a'" in s or "id='quiet'" in s for s in sections) == 2
    mark = "SAMPLE DATA — NOT FOR INVESTMENT DECISIONS"
    assert (mark in cover) is sample
    assert all(s.startswith(f"<div class='sample-mark'>{mark}") is sample for s in sections)  # every page-opening
    assert (mark in doc) is sample  # section opens with it; the assembly stamps it at the foot of every page too


def test_every_in_document_link_has_its_target_and_failures_are_on_the_cover(blank):
    entries = [_weekly("a", [("X", "BUY", 3, 300.0)], pdf=blank), _weekly("q", [], "NO ACTION", pdf=blank),
               PacketEntry("p3", "weekly_review", {}, error="boom")]
    doc = _doc(entries)
    targets = set(re.findall(r"href=['\"]#([^'\"]+)['\"]", doc))
    ids = set(re.findall(r"id=['\"]([^'\"]+)['\"]", doc))
    assert targets and targets <= ids, targets - ids
    assert "FAILED: 1 report(s)" in doc and "p3 — weekly_review: boom" in doc


def test_the_sign_off_lists_every_implementation_recorded_since_the_last_committee(blank):
    changes = {"previous": "2022-12-20", "approvals": [], "executions": [],
               "implementations": [{"date": "2022-12-27", "what": "11 trade(s), 8.1 % one-way turnover",
                                    "line": "2022-12-27: 11 trade(s), 8.1 % one-way turnover [holdings snapshot, "
                                            "sample Risk4 implementation (rebal data build-sample)]"}]}
    entries = [_weekly("r4", [], "NO ACTION", pdf=blank, changes=changes), _weekly("b", [], "NO ACTION", pdf=blank)]
    signoff = _doc(entries).split("id='signoff'")[1]
    assert "Recorded since the last committee" in signoff
    assert "implemented 2022-12-27: 11 trade(s), 8.1 % one-way turnover" in signoff
    assert "sample Risk4 implementation (rebal data build-sample)" in signoff
    assert "r4</b> since 2022-12-20" in signoff
    none = _doc([_weekly("b", [], "NO ACTION", pdf=blank)]).split("id='signoff'")[1]
    assert "None: no approval, execution, holdings snapshot" in none


def test_factor_maps_of_the_same_universe_appear_once(blank):
    same = {"as_of": "2024-01-05", "cluster_of": {"A": 1, "B": 2}}
    maps = [PacketEntry(p, "factor_map", same, pdf=blank, href=f"{p}/factor_map.html") for p in ("p1", "p2")]
    other = PacketEntry("p3", "factor_map", {**same, "cluster_of": {"A": 1, "C": 2}}, pdf=blank)
    items = appendix_items([*maps, other])
    assert [it.entry.profile for it in items] == ["p1", "p3"]
    assert items[0].title == "Factor map (shared by p1, p2)" and items[1].title == "Factor map"
    refs = Refs(items, mode="pdf", offset=10)
    assert refs.page("p2", "factor_map") == refs.page("p1", "factor_map") == 11


@pytest.mark.pdf
def test_a_decision_page_takes_two_more_rows_and_a_second_line_to_sign_without_breaking(blank):
    """Rows and lines to sign recorded as scraps drop onto the page; laid out, the page may grow to a second one but
    the box of what would be signed stays whole, both lines in it, and the required one first."""
    from pypdf import PdfReader

    from rebal.report.render import layout_pdf

    extra = {"evidence": [{"label": "Expected benefit, one year", "current": "", "proposed": "$41k", "order": 35},
                          {"label": "Tax on realised gains", "current": "", "proposed": "$12k", "order": 36,
                           "flag": "short-term gains"}],
             "to_sign": [{"what": "Remedy the single-asset breach", "id": "a-remedy-1", "detail": "sell 2 % LLY",
                          "required": True}]}
    weekly = _weekly("a", [("X", "BUY", 3, 300.0), ("Y", "SELL", 1, 100.0)] * 6, pdf=blank)
    weekly.scraps.update(extra)
    entries = [weekly, _risk("a", blank)]
    html = _doc(entries, mode="pdf")
    box = html[html.index("What would be signed"):]
    assert box.index("a-remedy-1") < box.index("id-1") and "<b>required</b>" in box
    assert "Expected benefit, one year" in html and "short-term gains" in html
    doc = layout_pdf(html)
    path = blank.with_name("grown.pdf")
    doc.write_pdf(str(path))
    pages = [p.extract_text() for p in PdfReader(path).pages]
    start = next(i for i, t in enumerate(pages) if "Evidence: the book now" in t)
    signed = [i for i, t in enumerate(pages) if "What would be signed" in t]
    assert len(signed) == 1 and signed[0] - start <= 1  # the profile's page and at most one more
    assert "a-remedy-1" in pages[signed[0]] and "id-1" in pages[signed[0]]


def _recommended(profile, pdf, *, remedy=True):
    """A weekly review with a hard limit broken (its remedy) and a part-way recommendation with its evidence."""
    w = _weekly(profile, [("X", "BUY", 3, 300.0), ("Y", "SELL", 1, 100.0)], action="CURE BREACH", pid="pw-1", pdf=pdf)
    rows = [{"key": "volatility", "measure": "ex-ante volatility", "what": "annualised", "format": "pct",
             "values": {"now": 0.15, "adopt": 0.13, "partway": 0.14}, "says": "neutral", "note": ""},
            {"key": "var99", "measure": "VaR 1 day 99 %", "what": "historical", "format": "pct",
             "values": {"now": 0.022, "adopt": 0.02, "partway": 0.021}, "says": "neutral", "note": ""},
            {"key": "tax", "measure": "estimated tax ($)", "what": "an estimate", "format": "usd",
             "values": {"adopt": 2500.0, "partway": -1234.0}, "says": "neutral", "note": ""},
            {"key": "stability", "measure": "target stability", "what": "turnover", "format": "pct",
             "values": {"adopt": "UNSTABLE: 6 % a week"}, "says": "against", "note": "unstable"}]
    w.scraps.update({
        "decision_required": remedy, "decision_reason": "a hard limit is broken now (LLY 29.7 % > 20 %)",
        "discretionary_action": "ADOPT PART-WAY", "discretionary_reason": "unstable target: 78 % of the way",
        "discretionary_rule": 7, "hard_breaches": ["single-asset LLY: 29.7% > 20%"], "remedial_limits_ok": True,
        "remedial_id": "a-remedial-1" if remedy else "", "remedial_value": 4.1e6, "remedial_cost": 3704.0,
        "remedial_tax": 317718.0, "tax_account": "taxable", "tax_usd": 10797.0,
        "remedial_trades": pd.DataFrame([("LLY", "SELL", 10, 2.05e6)], columns=["ticker", "action", "shares", "value"]),
        "recommendation": {"headline": "ADOPT PART-WAY: 2 trade(s) worth $400", "evidence": {"rows": rows}}})
    if not remedy:
        w.scraps["decision_action"] = "ADOPT PART-WAY"
    return w


def test_the_remedy_comes_first_then_the_recommendation_with_its_evidence_and_tax(blank):
    entries = [_recommended("a", blank), _risk("a", blank)]
    doc = _doc(entries)
    page = doc[doc.index("id='decide-a'"):doc.index("id='signoff'")]
    assert page.index("CURE BREACH") < page.index("Then, on the rest") < page.index("ADOPT PART-WAY: 2 trade(s)")
    assert "<th>Part-way</th>" in page and "Required: cure the breach" in page and "The required remedy" in page
    # one row per measure: the recommendation's figures, the risk report's caveat and link
    vol = re.search(r"<tr><th>ex-ante volatility</th>(.*?)</tr>", page).group(1)
    assert "15.00 %" in vol and "13.00 %" in vol and "14.00 %" in vol and "risk_stress.html#Where-the-risk-sits" in vol
    assert "<th>Volatility</th>" not in page
    var = re.search(r"<tr><th>VaR 1 day 99 %</th>(.*?)</tr>", page).group(1)
    assert "rejected by its Kupiec test" in var and "2.10 %" in var
    assert "−$1,234" in page and "against</b>: unstable" in page
    box = page[page.index("What would be signed"):]
    assert box.index("a-remedial-1") < box.index("pw-1") and "est. tax $318k" in box and "est. tax $11k" in box
    signoff = doc.split("id='signoff'")[1]
    assert "1. <code>a-remedial-1</code>" in signoff and "2. <code>pw-1</code>" in signoff


def test_a_kept_book_has_nothing_to_decide_unless_a_remedy_is_required():
    from rebal.report.pages.weekly_review_evidence import decides, sign

    kept = {"decision_action": "KEEP CURRENT", "proposal_id": "p-1"}
    assert not decides(kept) and sign(kept) == []
    breach = {**kept, "decision_action": "CURE BREACH", "discretionary_action": "KEEP CURRENT",
              "remedial_id": "r-1", "remedial_value": 1000.0, "remedial_cost": 5.0, "tax_account": "tax_exempt",
              "remedial_trades": pd.DataFrame([("A", "SELL", 1, 1000.0)], columns=["ticker", "action", "shares",
                                                                                   "value"])}
    assert decides(breach)
    (line,) = sign(breach)
    assert line.required and line.id == "r-1" and "est. tax" not in line.detail  # tax-exempt: no tax
