"""The feature pipeline (SQL in DuckDB) against hand-worked values and an independent pandas implementation."""
from __future__ import annotations

import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import csv

from rebal.calendar import nyse_sessions
from rebal.data.features import build_features
from rebal.data.importers import import_file
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError

DAYS = nyse_sessions()[nyse_sessions() <= pd.Timestamp("2024-06-28")][-300:]
A = 0.01  # alternating log return of HHH


def _hand_lakehouse(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(len(DAYS))
    closes = {
        "GGG": 100 * 1.001 ** t,                      # constant growth
        "KKK": 50 * 0.9995 ** t,                      # constant decline
        "HHH": 100 * np.exp(np.where(t % 2 == 1, A, 0.0)),  # +a, -a, +a, ...: log returns alternate
    }
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for tk in closes:
            con.execute("INSERT INTO tickers VALUES (?, ?, 'Tech', 'equity', FALSE, 'test')", [tk, tk])
        con.execute("INSERT INTO tickers VALUES ('IDX', 'index', NULL, 'index', TRUE, 'test')")
        for tk, c in {**closes, "IDX": closes["GGG"]}.items():
            df = pd.DataFrame({"date": DAYS.date, "ticker": tk, "close": c, "volume": 1000.0})
            con.register("df", df)
            con.execute("INSERT INTO prices (date, ticker, close, volume) SELECT date, ticker, close, volume FROM df")
    return closes


def test_features_by_hand(tmp_path):
    path = tmp_path / "h.duckdb"
    closes = _hand_lakehouse(path)
    with Lakehouse(path, read_only=False) as lh:
        summary = build_features(lh)
        f = lh.con.execute("SELECT * FROM features WHERE date = ? ORDER BY ticker", [DAYS[-1].date()]).df()
        first_alpha = lh.con.execute("SELECT min(date) FROM features WHERE alpha IS NOT NULL").fetchone()[0]
        assert "IDX" not in set(lh.con.execute("SELECT DISTINCT ticker FROM features").df()["ticker"])
    f = f.set_index("ticker")
    assert summary["tickers"] == 3
    # 12-1 momentum: P[t-21] / P[t-252] - 1 = 1.001^231 - 1; reversal: -(1.001^21 - 1)
    assert f.loc["GGG", "mom_12_1"] == pytest.approx(1.001 ** 231 - 1, rel=1e-12)
    assert f.loc["GGG", "rev_1m"] == pytest.approx(-(1.001 ** 21 - 1), rel=1e-12)
    assert f.loc["KKK", "mom_12_1"] == pytest.approx(0.9995 ** 231 - 1, rel=1e-12)
    # constant log returns: zero volatility
    assert f.loc["GGG", "vol_20"] == pytest.approx(0.0, abs=1e-10)
    # alternating +a/-a: in an even window the mean is 0 and the sample std is a * sqrt(n / (n - 1))
    for n in (20, 60, 252):
        assert f.loc["HHH", f"vol_{n}"] == pytest.approx(A * np.sqrt(n / (n - 1)) * np.sqrt(252), rel=1e-9)
    assert f.loc["HHH", "vol_blend"] == pytest.approx(A * np.sqrt(252) * (np.sqrt(20 / 19) + np.sqrt(60 / 59)) / 2)
    assert f.loc["HHH", "low_vol"] == pytest.approx(-f.loc["HHH", "vol_252"])
    # ADV: mean of close x volume over the last 20 sessions
    assert f.loc["GGG", "adv_20"] == pytest.approx(float(np.mean(closes["GGG"][-20:] * 1000.0)))
    # alpha: per signal, z across the three names (sample std), clipped at 3, then the mean
    sig = f[["mom_12_1", "rev_1m", "low_vol"]]
    z = ((sig - sig.mean()) / sig.std(ddof=1)).clip(-3, 3)
    assert f["alpha"].to_numpy() == pytest.approx(z.mean(axis=1).to_numpy())
    # alpha needs 253 closes: the first date with one is the 253rd session
    assert first_alpha == DAYS[252].date()


def _reference(lh: Lakehouse, day: date) -> pd.DataFrame:
    """A second, deliberately plain implementation on wide pandas frames."""
    eq = lh.con.execute("SELECT ticker FROM tickers WHERE asset_class = 'equity' AND sector IS NOT NULL").df()["ticker"]
    close = lh.prices(list(eq)).loc[:pd.Timestamp(day)]
    volume = lh.prices(list(eq), field="volume").loc[:pd.Timestamp(day)]
    out = {}
    for t in eq:
        c = close[t].dropna()
        v = volume[t].reindex(c.index)
        lr = np.log(c).diff()
        row = {
            "mom_12_1": c.iloc[-22] / c.iloc[-253] - 1,
            "rev_1m": -(c.iloc[-1] / c.iloc[-22] - 1),
            "vol_20": lr.iloc[-20:].std(ddof=1) * np.sqrt(252),
            "vol_60": lr.iloc[-60:].std(ddof=1) * np.sqrt(252),
            "vol_252": lr.iloc[-252:].std(ddof=1) * np.sqrt(252),
            "adv_20": (c * v).iloc[-20:].mean(),
        }
        out[t] = row
    ref = pd.DataFrame(out).T.rename_axis("ticker")
    ref["low_vol"] = -ref["vol_252"]
    ref["vol_blend"] = (ref["vol_20"] + ref["vol_60"]) / 2
    z = ref[["mom_12_1", "rev_1m", "low_vol"]]
    ref["alpha"] = ((z - z.mean()) / z.std(ddof=1)).clip(-3, 3).mean(axis=1)
    return ref


@pytest.mark.parametrize("day", [date(2022, 12, 27), date(2008, 10, 10), date(1995, 6, 30)])
@pytest.mark.integration
def test_features_match_an_independent_pandas_implementation(sample_lakehouse, day):
    with Lakehouse(sample_lakehouse) as lh:
        got = lh.con.execute("SELECT * FROM features WHERE date = ?", [day]).df().set_index("ticker")
        ref = _reference(lh, day)
    assert len(got) == 20
    cols = ["mom_12_1", "rev_1m", "vol_20", "vol_60", "vol_252", "vol_blend", "adv_20", "alpha"]
    pd.testing.assert_frame_equal(got.loc[ref.index, cols].astype(float), ref[cols].astype(float), rtol=1e-9)


def test_build_features_start_replaces_only_those_dates(tmp_path):
    path = tmp_path / "h.duckdb"
    _hand_lakehouse(path)
    with Lakehouse(path, read_only=False) as lh:
        build_features(lh)
        full = lh.con.execute("SELECT * FROM features ORDER BY date, ticker").df()
        again = build_features(lh, start=DAYS[-5].date())
        after = lh.con.execute("SELECT * FROM features ORDER BY date, ticker").df()
    assert again["rows"] == 15 and again["first_date"] == str(DAYS[-5].date())
    pd.testing.assert_frame_equal(full, after)  # recomputing a tail with history gives the same rows


@pytest.mark.integration
def test_import_alpha_is_validated_and_used(tmp_path, sample_lakehouse):
    path = tmp_path / "lk.duckdb"
    shutil.copy(sample_lakehouse, path)
    before = Lakehouse(path).con.execute("SELECT count(*) FROM alpha_imported").fetchone()[0]
    for text, needle in [
        ("date,ticker,alpha\n2022-12-27,AAPL,1.0\n2022-12-27,ZZZZ,2\n", "`ticker` 'ZZZZ' is unknown"),
        ("date,ticker,alpha\n2022-12-27,AAPL,nan\n", "`alpha` must be a finite number"),
        ("date,ticker,alpha\n2022-12-27,SPX,1\n", "`ticker` 'SPX' is unknown"),  # an index is not an equity
        ("date,ticker,alpha\n2022-12-27,AAPL,1\n2022-12-27,AAPL,2\n", "duplicate"),
        ("date,ticker,score\n2022-12-27,AAPL,1\n", "missing column `alpha`"),
    ]:
        with pytest.raises(DataError, match=needle):
            import_file(path, "alpha", csv(tmp_path, "a.csv", text))
    assert Lakehouse(path).con.execute("SELECT count(*) FROM alpha_imported").fetchone()[0] == before
    from conftest import REPO

    from rebal.config import load_profile
    from rebal.selection.risk4 import Prior, run_risk4

    tickers = ["AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY", "MRK", "MSFT", "PEP",
               "PFE", "PG", "RRC", "UNH", "WMT", "XOM"]
    rows = "".join(f"2022-12-27,{t},{20 - i}\n" for i, t in enumerate(tickers))  # AAPL highest
    summary = import_file(path, "alpha", csv(tmp_path, "a.csv", "date,ticker,alpha\n" + rows))
    assert summary["rows"] == 20
    text = (REPO / "params" / "profiles" / "risk4_us.yaml").read_text().replace(
        "  cov_lookback: 252\n", "  cov_lookback: 252\n  alpha_source: imported\n")
    p = tmp_path / "imp.yaml"
    p.write_text(text)
    prof = load_profile(p)
    with Lakehouse(path) as lh:
        res = run_risk4(prof, lh, date(2022, 12, 27), prior=Prior(pd.Series(dtype=float), 1e6, "cash"))
    assert res.data_freshness["alpha_source"] == "alpha_imported"
    assert list(res.universe.index[:3]) == ["AAPL", "AMD", "BAC"]
