"""The tax of a proposal on a hand-built lakehouse: lots from its history, tax worked by hand, tax-aware mode.

The history of profile ``taxy`` (closes on the implementation days are set exactly):

- 2021-01-04, closes AAA 50, BBB 20: 100 AAA and 200 BBB bought (bases inferred from those closes);
- 2022-09-01, closes AAA 60, BBB 30: 50 AAA more (a short-term lot at 60), 100 BBB sold
  (fifo: the 2021 lot, 100 x (30 - 20) = +1,000 long-term, realised earlier in 2022);
- as of 2022-12-30, closes AAA 70, BBB 15, CCC 10, DDD 40; cash $3,000: value
  150 x 70 + 100 x 15 + 3,000 = $15,000.

The target exits AAA (150 shares sold whatever the rounding), keeps BBB at 10 % and buys CCC.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.cli import main
from rebal.config import load_profile
from rebal.data.importers import import_file
from rebal.data.lakehouse import Lakehouse
from rebal.errors import ConfigError, DataError
from rebal.proposal.build import build_proposal
from rebal.proposal.lots import INFERRED, lot_history
from rebal.proposal.serialize import proposal_json

AS_OF = date(2022, 12, 30)
KEY = {"2021-01-04": {"AAA": 50.0, "BBB": 20.0}, "2022-09-01": {"AAA": 60.0, "BBB": 30.0, "CCC": 14.0},
       "2022-12-15": {"CCC": 12.0}, "2022-12-30": {"AAA": 70.0, "BBB": 15.0, "CCC": 10.0, "DDD": 40.0}}

PROFILE = """\
description: Tax test profile
universe: [AAA, BBB, CCC, DDD]
benchmark: IDX
target:
  method: fixed
  weights: {BBB: 0.10, CCC: 0.80}
  cash: 0.10
proposal:
  mode: proportional
  min_trade_value: 500
  limits: {max_total: 1.0, max_cluster: 1.0, max_single: 0.85, min_allocation: 0.01}
tax:
  short_term_rate: 0.37
  long_term_rate: 0.20
  lot_method: fifo
  substitutes: {BBB: DDD}
  aware: {max_shortfall: 0.0, harvest_min_loss: 100}
"""


def _closes() -> pd.DataFrame:
    idx = nyse_sessions()[(nyse_sessions() >= "2021-01-04") & (nyse_sessions() <= "2022-12-30")]  # the reader
    # refuses a holiday's close (issue 25), so sessions, not business days
    i = np.arange(len(idx))
    base = {"AAA": 60.0, "BBB": 20.0, "CCC": 11.0, "DDD": 40.0, "IDX": 100.0}
    close = pd.DataFrame({t: b * (1 + 0.01 * np.sin(i * k)) for (t, b), k in zip(base.items(), (0.7, 1.3, 2.1, 2.9, 0.4),
                                                                                   strict=True)}, index=idx)
    for d, row in KEY.items():
        for t, v in row.items():
            close.loc[pd.Timestamp(d), t] = v
    return close


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "proj"
    (h / "params" / "profiles").mkdir(parents=True)
    (h / "params" / "profiles" / "taxy.yaml").write_text(PROFILE)
    lake = write_market(h / "data" / "lakehouse" / "rebal.duckdb", _closes(), benchmark="IDX")
    with Lakehouse(lake, read_only=False) as lh, lh.transaction() as con:
        for d, pos, cash in (("2021-01-04", {"AAA": 100, "BBB": 200}, 1000.0),
                             ("2022-09-01", {"AAA": 150, "BBB": 100}, 3000.0)):
            for t, n in pos.items():
                con.execute("INSERT INTO holdings VALUES ('taxy', ?, ?, ?, 'test')", [date.fromisoformat(d), t, n])
            con.execute("INSERT INTO cash_balances VALUES ('taxy', ?, ?, 'test')", [date.fromisoformat(d), cash])
    return h


def _lake(h: Path) -> Lakehouse:
    return Lakehouse(h / "data" / "lakehouse" / "rebal.duckdb")


def _profile(h: Path, extra: str = "", replace: tuple[str, str] | None = None):
    text = PROFILE if replace is None else PROFILE.replace(*replace)
    (h / "params" / "profiles" / "taxy.yaml").write_text(text + extra)
    return load_profile("taxy", h / "params" / "profiles")


def _propose(h: Path, **kw):
    with _lake(h) as lh:
        return build_proposal(_profile(h), lh, AS_OF, simulate=False, **kw)


def test_lots_come_from_the_implementations_with_inferred_bases(home):
    with _lake(home) as lh:
        hist = lot_history(_profile(home), lh.at(AS_OF))
    lots = sorted((a, lot.shares, lot.cost, str(lot.acquired.date())) for a, ls in hist.book.lots.items() for lot in ls)
    assert lots == [("AAA", 50, 60.0, "2022-09-01"), ("AAA", 100, 50.0, "2021-01-04"), ("BBB", 100, 20.0, "2021-01-04")]
    assert all(INFERRED in lot.source for ls in hist.book.lots.values() for lot in ls)
    assert hist.year_to_date(2022) == pytest.approx((0.0, 1000.0))   # BBB 100 x (30 - 20), long-term


def test_proposal_states_lots_realised_gains_and_the_incremental_tax(home):
    p = _propose(home)
    t = p.tax
    sells = {s.ticker: s for s in t.sells}
    assert list(sells) == ["AAA"] and sells["AAA"].shares == 150
    # fifo: 100 x (70 - 50) = +2,000 long-term; 50 x (70 - 60) = +500 short-term (bought 2022-09-01)
    assert [(r.shares, r.basis, r.term, r.gain) for r in sells["AAA"].relieved] == \
        [(100, 50.0, "long", pytest.approx(2000.0)), (50, 60.0, "short", pytest.approx(500.0))]
    r = t.realised
    assert (r.short_term_gains, r.short_term_losses, r.long_term_gains, r.long_term_losses) == \
        pytest.approx((500.0, 0.0, 2000.0, 0.0))
    # the year before: LT +1,000 -> 200. After: ST 500 x 37 % + LT 3,000 x 20 % = 185 + 600 = 785. Tax: 585
    assert t.year_to_date == pytest.approx((0.0, 1000.0)) and t.tax == pytest.approx(585.0)
    assert t.after_tax_cost == pytest.approx(p.costs["total_usd"] + 585.0)
    doc = proposal_json(p)["tax"]
    assert doc["estimated_tax"] == pytest.approx(585.0) and doc["estimate"] is True
    assert doc["realised"]["short_term_gains"] == pytest.approx(500.0)
    assert doc["realised"]["long_term_gains"] == pytest.approx(2000.0)
    assert doc["rates"] == {"short_term": 0.37, "long_term": 0.2} and "not tax advice" in doc["label"]
    assert INFERRED in doc["sells"][0]["lots"][0]["basis_source"] and any(INFERRED in n for n in doc["notes"])


def test_rates_are_the_profiles(home):
    prof = _profile(home, replace=("short_term_rate: 0.37", "short_term_rate: 0.30"))
    with _lake(home) as lh:
        t = build_proposal(prof, lh, AS_OF, simulate=False).tax
    assert t.tax == pytest.approx(0.30 * 500 + 0.20 * 2000)


def test_recorded_carried_losses_offset_the_gains(home):
    prof = _profile(home, "  carried_losses: {short_term: 800, long_term: 0}\n")
    with _lake(home) as lh:
        t = build_proposal(prof, lh, AS_OF, simulate=False).tax
    # ST 500 - 800 = -300 offsets LT 3,000 -> 2,700 x 20 % = 540; before: ST -800 vs LT 1,000 -> 200 x 20 % = 40
    assert t.carry_in == (-800.0, 0.0) and "recorded" in t.carry_source
    assert t.tax == pytest.approx(540.0 - 40.0)


def test_a_tax_exempt_account_shows_no_tax(home, capsys):
    _profile(home, replace=("tax:\n", "tax:\n  account: tax_exempt\n"))
    _profile(home, replace=("tax:\n  short_term_rate: 0.37", "tax:\n  account: tax_exempt\n  short_term_rate: 0.37"))
    assert main(["--home", str(home), "propose", "--profile", "taxy", "--as-of", str(AS_OF), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["tax"]
    assert doc == {"account": "tax_exempt", "estimate": True, "label": "tax-exempt account: no tax on its trades"}
    assert main(["--home", str(home), "propose", "--profile", "taxy", "--as-of", str(AS_OF)]) == 0
    assert "tax: tax-exempt account: its trades realise no taxable gains" in capsys.readouterr().out


def test_the_cli_json_carries_the_tax(home, capsys):
    assert main(["--home", str(home), "propose", "--profile", "taxy", "--as-of", str(AS_OF), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["tax"]
    assert doc["realised"]["short_term_net"] == pytest.approx(500.0) and doc["estimated_tax"] == pytest.approx(585.0)
    assert doc["sells"][0]["lots"][1] == {"acquired": "2022-09-01", "bought": "2022-09-01", "shares": 50.0,
                                          "basis_per_share": 60.0, "gain": 500.0, "recognised": 500.0,
                                          "term": "short", "basis_source": f"{INFERRED}, 2022-09-01"}


def test_an_imported_lot_statement_overrides_the_inferred_bases(home, tmp_path):
    f = tmp_path / "lots.csv"
    f.write_text("profile,as_of,ticker,acquired,shares,cost_basis\n"
                 "taxy,2022-09-01,AAA,2020-06-01,100,4000\ntaxy,2022-09-01,AAA,2022-08-31,50,2950\n")
    assert import_file(home / "data" / "lakehouse" / "rebal.duckdb", "lots", f)["rows"] == 2
    t = _propose(home).tax
    # AAA: 100 x (70 - 40) = +3,000 LT; 50 x (70 - 59) = +550 ST. Tax: 0.37 x 550 + 0.2 x 4,000 - 200 = 803.5
    assert [(r.basis, r.gain) for r in t.sells[0].relieved] == [(40.0, pytest.approx(3000.0)),
                                                                (59.0, pytest.approx(550.0))]
    assert t.tax == pytest.approx(803.5) and t.basis["imported"] == 2
    assert all("imported lot statement of 2022-09-01" == r.source for r in t.sells[0].relieved)


def test_a_statement_that_disagrees_with_the_holdings_is_reconciled_and_said(home, tmp_path):
    f = tmp_path / "lots.csv"
    f.write_text("profile,as_of,ticker,acquired,shares,cost_basis\ntaxy,2022-09-01,AAA,2020-06-01,120,4800\n")
    import_file(home / "data" / "lakehouse" / "rebal.duckdb", "lots", f)
    with _lake(home) as lh:
        hist = lot_history(_profile(home), lh.at(AS_OF))
    assert hist.book.shares("AAA") == pytest.approx(150.0)  # 120 stated + 30 of the newest inferred lot
    assert any("lots total 120 shares, the holdings 150" in n for n in hist.notes)


def test_paper_fills_give_the_basis_commission_included(home):
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=False) as lh, lh.transaction() as con:
        con.execute("INSERT INTO fills VALUES ('o1', 'p1', 'taxy', DATE '2022-09-01', 'AAA', 'BUY', 50, 61.0, 60.0, "
                    "16.7, 5.0, 3050.0)")
    with _lake(home) as lh:
        hist = lot_history(_profile(home), lh.at(AS_OF))
    new = [lot for lot in hist.book.lots["AAA"] if lot.bought == pd.Timestamp("2022-09-01")]
    assert new[0].cost == pytest.approx((50 * 61.0 + 5.0) / 50) and new[0].source == "paper fill of 2022-09-01"


def test_tax_aware_harvests_a_loss_into_its_substitute(home):
    p = _propose(home, tax_aware=True)
    a = p.tax.aware
    # BBB's one lot: 100 @ 20, now 15: -25 % >= 10 %, -$500 >= $100 -> sold, the value held in DDD
    (h,) = a.plan.harvests
    assert (h["ticker"], h["substitute"], h["no_repurchase_before"]) == ("BBB", "DDD", "2023-01-30")
    assert h["loss"] == pytest.approx(-500.0)
    trades = p.trades.trades.set_index("ticker")
    assert trades.loc["BBB", "action"] == "SELL" and trades.loc["BBB", "shares"] == 100
    assert trades.loc["DDD", "action"] == "BUY"
    # tax: ST 500, LT 1,000 + 2,000 - 500 = 2,500 -> 185 + 500 - 200 = 485; plain 585: saved 100 (= 20 % of 500)
    assert p.tax.tax == pytest.approx(485.0) and a.tax_saved == pytest.approx(100.0)
    assert p.tax.windows["ticker"].tolist() == ["BBB"]  # buying BBB before 2023-01-30 would wash the loss
    assert "loss harvest" in p.changes().loc["BBB", "reason"] and "DDD" in p.changes().index
    cmp = a.comparison
    assert cmp.loc["tracking error vs target (annualised)", "tax-aware"] > 0
    assert cmp.loc["drift left vs target", "tax-aware"] > cmp.loc["drift left vs target", "plain"]


def test_tax_aware_stops_a_short_term_gain_sale_short_funded_by_a_loss_sale(home):
    prof = _profile(home, replace=("  substitutes: {BBB: DDD}\n  aware: {max_shortfall: 0.0, harvest_min_loss: 100}",
                                   "  aware: {max_shortfall: 0.05, max_drift_left: 0.10}"))
    with _lake(home) as lh:
        p = build_proposal(prof, lh, AS_OF, simulate=False, tax_aware=True)
        plain = build_proposal(prof, lh, AS_OF, simulate=False, tax_aware=False)
    t = p.trades.trades.set_index("ticker")
    kept = 150 - t.loc["AAA", "shares"]
    assert 5 <= kept <= 11  # 5 % of $15,000 at $70 is 10.7 shares: stopped short, in whole shares
    # the AAA sale relieves the long-term lot first and keeps short-term shares: 100 x 20 LT, (50 - kept) x 10 ST
    aaa = next(s for s in p.tax.sells if s.ticker == "AAA")
    assert [(r.term, r.shares) for r in aaa.relieved] == [("long", 100), ("short", 50 - kept)]
    # funded by selling more BBB, whose lot is at a loss (-5 a share, long-term)
    sold_b = t.loc["BBB", "shares"]
    assert t.loc["BBB", "action"] == "SELL" and sold_b > 0
    st, lt = (50 - kept) * 10.0, 1000.0 + 2000.0 - 5.0 * sold_b
    assert p.tax.tax == pytest.approx(0.37 * st + 0.20 * lt - 200.0)
    assert plain.tax.tax == pytest.approx(585.0) and p.tax.tax < plain.tax.tax
    assert p.tax.aware.tax_saved == pytest.approx(585.0 - p.tax.tax)
    assert "stopped short" in p.tax.aware.plan.reasons["AAA"]
    assert p.tax.aware.comparison.loc["drift left vs target", "tax-aware"] <= 0.10 + 1e-3


def test_a_loss_sale_in_the_last_30_days_blocks_a_buy_in_tax_aware_mode(home):
    # 100 CCC bought on 2022-09-01 at 14, sold on 2022-12-15 at 12: -200 short-term, its window open to 2023-01-14
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb", read_only=False) as lh, lh.transaction() as con:
        con.execute("INSERT INTO holdings VALUES ('taxy', DATE '2022-09-01', 'CCC', 100, 'test')")
        for t, n in (("AAA", 150), ("BBB", 100)):
            con.execute("INSERT INTO holdings VALUES ('taxy', DATE '2022-12-15', ?, ?, 'test')", [t, n])
        con.execute("INSERT INTO cash_balances VALUES ('taxy', DATE '2022-12-15', 4200, 'test')")
        con.execute("UPDATE cash_balances SET cash = 1800 WHERE as_of = DATE '2022-09-01'")
    with _lake(home) as lh:
        hist = lot_history(_profile(home), lh.at(AS_OF))
    pending = hist.book.pending_losses(AS_OF)
    assert pending["ticker"].tolist() == ["CCC"] and str(pending["until"].iloc[0]) == "2023-01-14"
    assert hist.year_to_date(2022) == pytest.approx((-200.0, 1000.0))
    plain = _propose(home, tax_aware=False)
    assert any("wash sale: buying CCC within 30 days after the loss sale of CCC on 2022-12-15" in n
               for n in plain.tax.notes)
    # the plain proposal buys CCC 15 days after the sale: the whole -200 is disallowed; the year's ST result
    # goes back up by 200: tax 0.37 x (500 - 200 + 200) + 0.2 x 3,000 - (0.2 x (1,000 - 200)) = 785 - 160 = 625
    r = plain.tax.realised
    assert r.disallowed == pytest.approx(200.0) and r.earlier_short == pytest.approx(200.0)
    assert r.short_term == pytest.approx(700.0) and plain.tax.tax == pytest.approx(625.0)
    aware = _propose(home, tax_aware=True)
    assert "CCC" not in set(aware.trades.trades["ticker"])
    assert "buy deferred" in aware.tax.aware.plan.reasons["CCC"] and aware.tax.realised.disallowed == 0


def test_bad_tax_sections_are_refused_with_the_field(home):
    with pytest.raises(ConfigError, match=r"`tax.substitutes.BBB`: BBB is substantially identical"):
        _profile(home, replace=("{BBB: DDD}", "{BBB: BBB}"))
    with pytest.raises(ConfigError, match=r"`tax.substitutes.BBB`: DDD is substantially identical"):
        _profile(home, "  identical: {b: [BBB, DDD]}\n")
    with pytest.raises(ConfigError, match=r"`tax.substitutes.BBB`: IDX is not in the profile's universe"):
        _profile(home, replace=("{BBB: DDD}", "{BBB: IDX}"))
    with pytest.raises(ConfigError, match=r"`tax.identical.b`: a group needs at least two tickers"):
        _profile(home, "  identical: {b: [BBB]}\n")
    with pytest.raises(ConfigError, match=r"`tax.short_term_rate`: must be in \[0, 1\) \(fraction\), found 37; a "
                                          r"fraction: write 0.37"):
        _profile(home, replace=("short_term_rate: 0.37", "short_term_rate: 37"))
    with pytest.raises(ConfigError, match="`tax.lot_method`: expected one of 'fifo', 'hifo', 'min_tax'"):
        _profile(home, replace=("lot_method: fifo", "lot_method: lifo"))
    with pytest.raises(ConfigError, match="`tax.aware.enabled`: a tax_exempt account"):
        load_profile_text(home, PROFILE.replace("  aware: {max_shortfall: 0.0, harvest_min_loss: 100}",
                                                "  account: tax_exempt\n  aware: {enabled: true}"))


def load_profile_text(home: Path, text: str):
    (home / "params" / "profiles" / "taxy.yaml").write_text(text)
    return load_profile("taxy", home / "params" / "profiles")


def test_tax_aware_on_an_exempt_account_is_refused(home, capsys):
    load_profile_text(home, PROFILE.replace("tax:\n", "tax:\n  account: tax_exempt\n"))
    assert main(["--home", str(home), "propose", "--profile", "taxy", "--as-of", str(AS_OF), "--tax-aware"]) == 2
    assert "tax_exempt: --tax-aware has nothing to do" in capsys.readouterr().err


@pytest.mark.parametrize("rows, match", [
    ("taxy,2022-09-01,AAA,2022-09-02,10,500", "`acquired` 2022-09-02 is after `as_of` 2022-09-01"),
    ("taxy,2022-09-01,AAA,2022-01-03,0,500", "`shares` of a lot must be > 0"),
    ("taxy,2022-09-01,AAA,2022-01-03,10,-5", "`cost_basis` .* must be >= 0"),
    ("taxy,2022-09-01,CASH,2022-01-03,10,5", "'CASH' is not a known security"),
    ("taxy,2022-09-01,ZZZ,2022-01-03,10,5", "'ZZZ' is not a known security"),
])
def test_bad_lot_files_are_rejected_whole(home, tmp_path, rows, match):
    f = tmp_path / "lots.csv"
    f.write_text("profile,as_of,ticker,acquired,shares,cost_basis\n" + rows + "\n")
    with pytest.raises(DataError, match=match):
        import_file(home / "data" / "lakehouse" / "rebal.duckdb", "lots", f)
    with _lake(home) as lh:
        assert lh.con.execute("SELECT count(*) FROM tax_lots").fetchone() == (0,)


def test_holdings_with_cost_basis_and_acquired_are_lots(home, tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("profile,as_of,ticker,shares,cost_basis,acquired\n"
                 "taxy,2022-12-30,AAA,150,6000,2020-03-02\ntaxy,2022-12-30,BBB,100,,\ntaxy,2022-12-30,CASH,3000,,\n")
    out = import_file(home / "data" / "lakehouse" / "rebal.duckdb", "holdings", f)
    assert out["lots"] == 1
    with _lake(home) as lh:
        hist = lot_history(_profile(home), lh.at(AS_OF))
    (lot,) = hist.book.lots["AAA"]
    assert (lot.shares, lot.cost, str(lot.acquired.date())) == (150, 40.0, "2020-03-02")
    bad = tmp_path / "bad.csv"
    bad.write_text("profile,as_of,ticker,shares,cost_basis,acquired\ntaxy,2022-12-30,AAA,150,6000,\n")
    with pytest.raises(DataError, match="`acquired` is empty: a lot needs both"):
        import_file(home / "data" / "lakehouse" / "rebal.duckdb", "holdings", bad)


def test_the_report_and_packet_parts_show_the_tax(home):
    from rebal.report import tax as page
    from rebal.report.packet.entries import PacketEntry
    from rebal.report.packet.summary import executive_summary

    p = _propose(home)
    s = page.tax_scraps(p)
    assert s["tax_account"] == "taxable" and s["tax_usd"] == pytest.approx(585.0) and not s["tax_aware"]
    assert s["after_tax_cost_usd"] == pytest.approx(p.costs["total_usd"] + 585.0)
    assert page.tax_summary(s) == "est. tax $585"
    lots = page.lots_table(p)
    assert lots.index.tolist() == [("AAA", "2021-01-04"), ("AAA", "2022-09-01")]
    assert lots["gain or loss ($)"].tolist() == pytest.approx([2000.0, 500.0]) and "disallowed ($)" not in lots
    assert lots["basis from"].tolist() == ["inferred: adjusted close, 2021-01-04", "inferred: adjusted close, 2022-09-01"]
    assert page.aware_table(p) is None and page.tax_line(p).startswith("$585, after-tax cost $")
    aware = _propose(home, tax_aware=True)
    sa = page.tax_scraps(aware)
    assert sa["tax_aware"] and sa["tax_saved"] == pytest.approx(100.0)
    assert page.tax_summary(sa) == "est. tax $485 (tax-aware, $100 saved)"
    table = page.aware_table(aware)
    assert table.loc["estimated tax ($)"].tolist() == ["$585", "$485", "−$100"]
    assert page.windows_table(aware).index.tolist() == ["BBB"]
    assert page.tax_summary({"tax_account": "tax_exempt", "tax_usd": 0.0}) == "tax-exempt"
    # the packet cover shows the tax under the cost, from the weekly review's scraps
    scraps = {"decision_action": "EXECUTE", "decision_reason": "drift", "n_trades": 2, "gross_buys": 1.0,
              "gross_sells": 1.0, "cost_usd": 10.0, "cost_bps": 1.0, "alerts": [], "proposal_id": "x", "value": 1.0}
    cover = executive_summary([PacketEntry("taxy", "weekly_review", {**scraps, **s}, pdf=Path("taxy.pdf")),
                               PacketEntry("exempt", "weekly_review",
                                           {**scraps, **page.tax_scraps(None), "tax_account": "tax_exempt"},
                                           pdf=Path("exempt.pdf"))])
    assert "cost $10 (1.0 bps)<br>est. tax $585" in cover and "(1.0 bps)<br>tax-exempt" in cover


def test_tax_inputs_price_any_trade_vector_for_an_optimiser(home):
    from rebal.proposal.tax import tax_inputs

    with _lake(home) as lh:
        ti = tax_inputs(_profile(home), lh.at(AS_OF), AS_OF)
    px = pd.Series({"AAA": 70.0, "BBB": 15.0, "CCC": 10.0})
    # the proposal's trades in dollars: AAA all sold (150 x 70), CCC bought: the same 585 as the proposal's stage
    tt = ti.tax_of(pd.Series({"AAA": -10500.0, "CCC": 9000.0}), px)
    assert tt.tax == pytest.approx(585.0) and tt.short_term == pytest.approx(500.0)
    # BBB's lot at a loss (-5 LT a share) is the cheapest dollar to sell: slope -0.2 x 5 / 15
    c = ti.curves(px)
    assert c["BBB"].slopes == pytest.approx([-0.2 * 5 / 15]) and c["BBB"](1500.0) == pytest.approx(-100.0)
    # AAA: the short-term lot (0.37 x 10 / 70 a dollar) before the long-term one (0.20 x 20 / 70)
    assert c["AAA"].slopes == pytest.approx([0.37 * 10 / 70, 0.20 * 20 / 70])


def test_the_required_remedy_carries_the_tax_of_its_own_sells(home):
    """AAA is 70 % of the book (150 x 70 of $15,000) against a 50 % limit: the remedy sells AAA alone.

    fifo relieves the 2021 lot (basis 50) first: n shares sold at 70 realise n x 20 long-term. The year
    before: LT +1,000 -> 200 at 20 %; after: LT 1,000 + 20 n -> 200 + 4 n. The remedy's tax: 4 n.
    """
    text = (PROFILE.replace("max_single: 0.85", "max_single: 0.50")
            .replace("weights: {BBB: 0.10, CCC: 0.80}", "weights: {BBB: 0.45, CCC: 0.45}"))
    (home / "params" / "profiles" / "taxy.yaml").write_text(text)
    with _lake(home) as lh:
        p = build_proposal(load_profile("taxy", home / "params" / "profiles"), lh, AS_OF, simulate=False)
    r = p.remedial
    assert r is not None and r.id.startswith("taxy-20221230-remedial-")
    sells = r.trades.trades[r.trades.trades["action"] == "SELL"]
    assert list(sells["ticker"]) == ["AAA"]
    n = int(sells["shares"].iloc[0])
    assert 0 < n <= 100 and r.tax is not None
    assert r.tax.tax == pytest.approx(4.0 * n)
