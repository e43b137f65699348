"""The committee packet of the sample week as a reader gets it: a short decision document, then the reports' PDFs.

One week is built for the module (the decision report, the proposal and the risk report of every sample
profile) and read back with pypdf: the decision document's length, one page numbering, every link landing
on a page of the packet, the outline, the SAMPLE DATA mark, the caveats on the cover and the record of
the week on the sign-off. Expected facts come from the scraps and the lakehouse, not from the packet code.
"""
from __future__ import annotations

import re
import shutil

import pytest
from conftest import REPO
from pypdf import PdfReader

pytestmark = [pytest.mark.integration, pytest.mark.pdf, pytest.mark.slow]
NOTEBOOKS = ["weekly_review", "rebalance_proposal", "risk_stress"]
MARK = "SAMPLE DATA — NOT FOR INVESTMENT DECISIONS"


@pytest.fixture(scope="module")
def packet(sample_lakehouse, tmp_path_factory):
    import os

    from rebal.paths import get_paths
    from rebal.report.runner import run_weekly

    home = tmp_path_factory.mktemp("packet") / "proj"
    shutil.copytree(REPO / "params", home / "params")
    shutil.copytree(REPO / "notebooks", home / "notebooks")
    (home / "data" / "lakehouse").mkdir(parents=True)
    shutil.copy(sample_lakehouse, home / "data" / "lakehouse" / "rebal.duckdb")
    saved = {v: os.environ.pop(v) for v in ("REBAL_HOME", "REBAL_LAKEHOUSE", "REBAL_REPORTS_DIR",
                                            "REBAL_PARAMS_DIR", "REBAL_NOTEBOOKS_DIR") if v in os.environ}
    try:
        out = run_weekly(paths=get_paths(home), notebooks=NOTEBOOKS, workers=2, progress=False)
    finally:
        os.environ.update(saved)
    assert out.ok and len(out.reports) == 21, [r.error for r in out.reports if not r.ok]
    reader = PdfReader(out.packet)
    texts = [p.extract_text() for p in reader.pages]
    appendix = next(x for x in reader.outline if not isinstance(x, list) and x.title == "Appendix — the reports")
    first_report = reader.get_destination_page_number(appendix)  # 0-based: the decision document's length
    assert "Weekly review" in texts[first_report] and "Contents" in texts[first_report]
    return out, reader, texts, first_report


def test_the_decision_document_is_at_most_15_pages_and_the_reports_follow_whole(packet):
    out, reader, texts, first_report = packet
    assert first_report <= 15, first_report
    from pypdf import PdfReader as R

    report_pages = sum(len(R(p).pages) for p in sorted(out.out_dir.glob("*/*.pdf")))
    assert len(reader.pages) == first_report + report_pages  # every report's own pages, none laid out again


def test_one_page_numbering_is_stamped_on_every_page(packet):
    _, reader, texts, _ = packet
    n = len(reader.pages)
    for i, t in enumerate(texts):
        assert f"p. {i + 1} / {n}" in t, i + 1


def test_every_link_lands_on_a_page_of_the_packet(packet):
    _, reader, _, first_report = packet
    index = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    n_links = n_into_appendix = 0
    for i, page in enumerate(reader.pages):
        for a in page.get("/Annots") or []:
            a = a.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            n_links += 1
            assert "/A" not in a, f"page {i + 1}: a URI link is left: {a['/A']}"  # nothing leaves the packet
            dest = a["/Dest"]
            assert isinstance(dest, list) and dest[0].idnum in index, f"page {i + 1}: unresolved {dest}"
            n_into_appendix += i < first_report <= index[dest[0].idnum]
    assert n_links > 100 and n_into_appendix >= 30  # the contents of every report, and the evidence's sources


def test_the_outline_lists_every_report_with_its_sections(packet):
    out, reader, _, _ = packet

    def nodes(items, depth=0):
        for x in items:
            if isinstance(x, list):
                yield from nodes(x, depth + 1)
            else:
                yield depth, x.title
    got = list(nodes(reader.outline))
    assert (0, "Decision document") in got and (0, "Appendix — the reports") in got
    for profile in sorted(p.name for p in out.out_dir.iterdir() if p.is_dir()):
        assert (1, profile) in got
    titles = [t for d, t in got if d == 2]
    assert titles.count("Weekly review") == titles.count("Risk and stress") == 7
    assert (3, "Historical episodes") in got and (3, "Backtest of the one-day VaR") in got


def test_every_decision_page_carries_the_sample_mark(packet):
    _, _, texts, first_report = packet
    assert all(MARK in t for t in texts[:first_report])
    assert all(MARK in t for t in texts[first_report:])  # stamped on the appendix too


def test_the_cover_names_rejected_var_models_with_their_direction_and_proxied_episodes(packet):
    from rebal.report.scrapfile import read_scraps

    out, _, texts, _ = packet
    cover = re.sub(r"\s+", " ", texts[0])
    for profile in ("bl_tilts", "hrp_balanced", "llm_tilts", "max_sharpe", "min_variance", "risk4_us",
                    "strategy_sleeves"):
        s = read_scraps(out.out_dir / profile / "risk_stress.ipynb")
        if s["kupiec_p"] is not None and s["kupiec_p"] < 0.05:
            direction = "too many" if s["backtest_exceedances"] > s["backtest_expected"] else "too few"
            assert f"{direction} exceptions ({s['backtest_exceedances']} vs" in cover, profile
        if s["worst_episode_proxied_current"]:
            assert f"worst episode proxied: {s['worst_episode_current']}" in cover, profile
    sleeves = read_scraps(out.out_dir / "strategy_sleeves" / "risk_stress.ipynb")
    assert sleeves["worst_episode_proxied_current"] > 0.5  # the sleeves' factor ETFs start in 2014


def _risk4_implementation(lakehouse) -> tuple[int, float]:
    """risk4_us's implementation of 2022-12-27 worked out in SQL: names whose shares changed, ½ Σ |Δw| (cash in)."""
    import duckdb

    con = duckdb.connect(str(lakehouse), read_only=True)
    try:
        rows = con.execute("""
            WITH d AS (SELECT max(as_of) AS before FROM holdings WHERE profile = 'risk4_us' AND as_of < '2022-12-27'),
            h AS (SELECT ticker, sum(CASE WHEN as_of = '2022-12-27' THEN shares ELSE 0 END) AS a,
                         sum(CASE WHEN as_of = (SELECT before FROM d) THEN shares ELSE 0 END) AS b
                  FROM holdings WHERE profile = 'risk4_us' GROUP BY ticker),
            px AS (SELECT ticker, arg_max(close, date) AS close FROM prices WHERE date <= '2022-12-27' GROUP BY ticker)
            SELECT h.ticker, h.a, h.b, px.close FROM h JOIN px USING (ticker) WHERE h.a <> 0 OR h.b <> 0""").fetchall()
        cash = dict(con.execute("""SELECT CASE WHEN as_of = '2022-12-27' THEN 'a' ELSE 'b' END, cash FROM cash_balances
            WHERE profile = 'risk4_us' AND as_of IN ('2022-12-27', (SELECT max(as_of) FROM cash_balances
            WHERE profile = 'risk4_us' AND as_of < '2022-12-27'))""").fetchall())
    finally:
        con.close()
    va = sum(a * c for _, a, _, c in rows) + cash.get("a", 0.0)
    vb = sum(b * c for _, _, b, c in rows) + cash.get("b", 0.0)
    turnover = 0.5 * (sum(abs(a * c / va - b * c / vb) for _, a, b, c in rows)
                      + abs(cash.get("a", 0.0) / va - cash.get("b", 0.0) / vb))
    return sum(a != b for _, a, b, _ in rows), turnover


def test_the_sign_off_lists_the_risk4_implementation_of_the_week(packet, sample_lakehouse):
    _, _, texts, first_report = packet
    n, turnover = _risk4_implementation(sample_lakehouse)
    assert n >= 10 and 0.05 < turnover < 0.15  # the sample's Risk4 rebalance of 2022-12-27: a real one
    signoff = next(re.sub(r"\s+", " ", t) for t in texts[:first_report] if "Recorded since the last committee" in t)
    assert "risk4_us" in signoff
    assert f"implemented 2022-12-27: {n} trade(s), {turnover:.1%} one-way turnover".replace("%", " %") in signoff
    assert "sample Risk4 implementation (rebal data build-sample)" in signoff


def test_the_html_packet_links_the_reports_instead_of_inlining_them(packet):
    out, _, _, _ = packet
    doc = (out.out_dir / "committee_packet.html").read_text()
    assert len(doc) < 400_000 and "data:image/png" not in doc
    links = set(re.findall(r'href="([^"#]+\.html)(?:#[^"]*)?"', doc))
    assert links and all((out.out_dir / link).is_file() for link in links)
    assert "min_variance/risk_stress.html#Historical-episodes" in doc


def test_one_proposal_id_on_every_page(packet):
    """The weekly review, the proposal report and the risk report show the same proposal: one id to sign."""
    from rebal.report.scrapfile import read_scraps

    out, _, texts, _ = packet
    for profile in sorted(p.name for p in out.out_dir.iterdir() if p.is_dir()):
        ids = {nb: read_scraps(out.out_dir / profile / f"{nb}.ipynb")["proposal_id"] for nb in NOTEBOOKS}
        assert len(set(ids.values())) == 1, (profile, ids)


def test_the_recommendation_and_the_risk_report_agree_on_the_measures_merged_into_one_row(packet):
    """A decision page shows one row per measure (the recommendation's figures, the risk report's caveats): the two
    reports compute the same books on the same inputs, so the figures must agree."""
    from rebal.report.scrapfile import read_scraps

    out, _, texts, first_report = packet
    pairs = {"volatility": ("vol_current", "vol_proposed"), "beta": ("beta_current", "beta_proposed"),
             "var99": ("var99_1d", None), "worst_episode": ("worst_episode_loss_current", "worst_episode_loss_proposed")}
    for profile in sorted(p.name for p in out.out_dir.iterdir() if p.is_dir()):
        rec = read_scraps(out.out_dir / profile / "weekly_review.ipynb")["recommendation"]
        risk = read_scraps(out.out_dir / profile / "risk_stress.ipynb")
        values = {r["key"]: r["values"] for r in rec["evidence"]["rows"]}
        for key, (now, proposed) in pairs.items():
            assert values[key]["now"] == pytest.approx(risk[now], abs=5e-4), (profile, key)
            if proposed:
                assert values[key]["adopt"] == pytest.approx(risk[proposed], abs=5e-4), (profile, key)
    # max_sharpe holds LLY above its 20 % limit: its page puts the remedy first, with its own id and its tax
    page = re.sub(r"\s+", " ", " ".join(t for t in texts[:first_report] if "max_sharpe — decision" in t))
    weekly = read_scraps(out.out_dir / "max_sharpe" / "weekly_review.ipynb")
    assert weekly["remedial_id"] and weekly["remedial_tax"] > 0 and "LLY" in " ".join(weekly["hard_breaches"])
    assert "CURE BREACH" in page and "Then, on the rest" in page and weekly["remedial_id"] in page
    if weekly["discretionary_action"] in ("ADOPT TARGET", "ADOPT PART-WAY"):  # then the rest is signed after it
        assert page.index(weekly["remedial_id"]) < page.index(weekly["proposal_id"])
    else:  # the rest keeps the current book (the sample: its part-way book is deeper in 2007-2009): only the remedy
        assert weekly["discretionary_action"] == "KEEP CURRENT" and "KEEP CURRENT" in page
