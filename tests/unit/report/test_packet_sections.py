"""Packet sections: provenance lifted out, ids prefixed, short tables kept whole, shared maps once, summaries."""
from __future__ import annotations

import pandas as pd

from rebal.report import widgets
from rebal.report.packet.entries import PacketEntry
from rebal.report.packet.sections import dedupe_shared, provenance_table, section
from rebal.report.packet.summary import netted_trades, summary_rows

REPORT_HTML = """<html><body><main><div class="rebal-header">x</div><nav class="rebal-toc">toc</nav>
<div class="cell"><h1 id="Title">Title</h1></div>
<div class="cell"><h2 id="Summary">Summary</h2><a href="#Summary">link</a></div>
<div class="cell">{table}</div>
<div class="rebal-standalone">only standalone</div>
<div class="cell"><h2 id="Provenance">Provenance</h2></div>
<div class="cell"><table><tr><th class="row_heading">Profile file</th><td>/p/a.yaml</td></tr>
<tr><th class="row_heading">Git commit</th><td>abc123</td></tr></table></div>
</main></body></html>"""


def _entry(profile="a", notebook="drift_audit", scraps=None):
    tbl = widgets.table(pd.DataFrame({"v": [1.0, 2.0], "flag": [False, True]}), highlight="flag").data
    return PacketEntry(profile, notebook, REPORT_HTML.format(table=tbl), scraps or {})


def test_a_section_lifts_provenance_out_and_keeps_the_rest():
    s = section(_entry())
    assert s.provenance == {"Profile file": "/p/a.yaml", "Git commit": "abc123"}
    assert "Provenance" not in s.html and "only standalone" not in s.html and "toc" not in s.html
    assert 'id="a--drift_audit--Summary"' in s.html and 'href="#a--drift_audit--Summary"' in s.html
    assert "<h3" in s.html and "<h1" not in s.html          # demoted under the section's own title
    assert 'class="rebal-table keep"' in s.html               # two rows: never split across pages
    assert "color: #c62828" in s.html                         # the highlight survives the renamed ids


def test_factor_maps_of_the_same_universe_appear_once():
    same = {"cluster_of": {"A": 1, "B": 2}}
    maps = [section(_entry(p, "factor_map", same)) for p in ("p1", "p2")]
    other = section(_entry("p3", "factor_map", {"cluster_of": {"A": 1, "C": 2}}))
    kept = dedupe_shared([*maps, other])
    assert [s.entry.profile for s in kept] == ["p1", "p3"]
    assert kept[0].title == "Factor map — 2 assets shared by p1, p2" and kept[1].title == "p3 — Factor map"


def test_provenance_is_one_table_with_common_facts_once():
    html = provenance_table([section(_entry("a")), section(_entry("b"))])
    assert html.count("abc123") == 1 and html.count("a.yaml") == 2


def _weekly(profile, trades, action="EXECUTE", pid="id-1"):
    return PacketEntry(profile, "weekly_review", "<html><body><main>x</main></body></html>", {
        "decision_action": action, "decision_reason": "because", "n_trades": len(trades), "gross_buys": 0.0,
        "gross_sells": 0.0, "cost_usd": 10.0, "cost_bps": 1.0, "alerts": [], "proposal_id": pid, "value": 1e6,
        "trades": pd.DataFrame(trades, columns=["ticker", "action", "shares", "value"])})


def test_trades_are_netted_across_books_by_ticker():
    # book a buys $300 of X and sells $100 of Y; book b sells $200 of X: X nets to +$100, bought by a, sold by b
    entries = [_weekly("a", [("X", "BUY", 3, 300.0), ("Y", "SELL", 1, 100.0)]), _weekly("b", [("X", "SELL", 2, 200.0)])]
    n = netted_trades(entries)
    assert n.loc["X", "net"] == 100.0 and n.loc["X", "bought"] == 300.0 and n.loc["X", "sold"] == 200.0
    assert n.loc["X", "buyers"] == "a" and n.loc["X", "sellers"] == "b" and n.loc["Y", "net"] == -100.0


def test_only_executed_or_adopted_proposals_are_to_sign():
    rows = summary_rows([_weekly("a", [], "EXECUTE"), _weekly("b", [], "DEFER"), _weekly("c", [], "ADOPT TARGET")])
    assert [r["sign"] for r in rows] == [True, False, True]


def test_a_profile_that_trades_nothing_this_week_adds_no_orders():
    # b is decided DEFER: its proposal's sale of X is context, not an order, so X is only bought by a
    entries = [_weekly("a", [("X", "BUY", 3, 300.0)]), _weekly("b", [("X", "SELL", 2, 200.0)], action="DEFER")]
    n = netted_trades(entries)
    assert n.loc["X", "bought"] == 300.0 and n.loc["X", "sold"] == 0.0 and n.loc["X", "sellers"] == ""
    from rebal.report.packet.summary import executive_summary

    cover = executive_summary(entries)
    assert "none this week" in cover and "the proposal listed 1" in cover


def test_a_proposal_without_an_id_is_neither_to_sign_nor_an_order():
    # an ADOPT TARGET whose proposal id is empty cannot be signed, so its trades are no order either
    entries = [_weekly("a", [("X", "BUY", 3, 300.0)], pid=""), _weekly("b", [("Y", "SELL", 1, 100.0)])]
    assert [r["sign"] for r in summary_rows(entries)] == [False, True]
    assert list(netted_trades(entries).index) == ["Y"]


def test_every_profile_link_of_the_packet_has_its_target():
    # p2's only report is the factor map it shares with p1: it appears once, under p1, and the cover's link to
    # p2's reports still lands in Appendix A; p3's weekly review failed and its name is plain text
    import re

    from rebal.report.packet.assemble import packet_html

    same = {"cluster_of": {"A": 1, "B": 2}}
    entries = [_entry("p1", "factor_map", same), _entry("p2", "factor_map", same),
               PacketEntry("p3", "weekly_review", "", {}, error="boom")]
    doc = packet_html(entries, as_of="2024-01-05", data_latest="2024-01-05")
    targets = set(re.findall(r'href="#([^"]+)"', doc))
    ids = set(re.findall(r'id="([^"]+)"', doc))
    assert "app-p2" in targets and targets <= ids, targets - ids
    assert "FAILED: 1 report(s)" in doc and "p3 — weekly_review: boom" in doc
