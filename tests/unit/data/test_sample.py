"""The sample lakehouse: real packaged data, a flagged synthetic layer, drifted sample holdings."""
from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from conftest import REPO

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.data.sample import FACTOR_ETFS, STOCKS
from rebal.monitor.audit import drift_audit

pytestmark = pytest.mark.integration  # the real sample lakehouse


def test_sample_holds_the_real_series_untouched(sample_lakehouse):
    from skfolio.datasets import load_sp500_dataset, load_sp500_index

    real = load_sp500_dataset()
    with Lakehouse(sample_lakehouse) as lh:
        px = lh.prices(list(STOCKS))
        assert px.shape == (8313, 20)
        assert px.index[0].date() == date(1990, 1, 2) and px.index[-1].date() == date(2022, 12, 28)
        np.testing.assert_allclose(px[real.columns].to_numpy(), real.to_numpy(), rtol=0, atol=0)
        spx = lh.prices(["SPX"])["SPX"].dropna()
        np.testing.assert_allclose(spx.to_numpy(), load_sp500_index().iloc[:, 0].to_numpy())
        t = lh.tickers()
        assert t.loc["SPX", "is_benchmark"] and t.loc["AAPL", "sector"] == "Information Technology"
        assert set(FACTOR_ETFS) <= set(t.index) and "VIX" in t.index


def test_synthetic_layer_is_flagged_and_meets_its_calibration_targets(sample_lakehouse):
    with Lakehouse(sample_lakehouse) as lh:
        flags = dict(lh.con.execute(
            "SELECT ticker, bool_and(ohlv_synthetic) FROM prices WHERE ticker IN ('AAPL', 'MTUM', 'VIX') GROUP BY ticker"
        ).fetchall())
        assert flags == {"AAPL": True, "MTUM": True, "VIX": False}
        bad = lh.con.execute(
            "SELECT count(*) FROM prices WHERE ohlv_synthetic AND (high < greatest(open, close) "
            "OR low > least(open, close) OR volume <= 0)").fetchone()[0]
        assert bad == 0
        # ^GSPC open/high/low/volume are real (arch) where closes agree: every session the two packages share
        import arch.data.sp500
        from skfolio.datasets import load_sp500_index

        shared = arch.data.sp500.load().index.intersection(load_sp500_index().index)
        real_spx = lh.con.execute(
            "SELECT count(*) FROM prices WHERE ticker = 'SPX' AND volume IS NOT NULL AND NOT ohlv_synthetic").fetchone()[0]
        assert real_spx == len(shared)
        calib = json.loads(lh.meta()["calibration"])
    # targets measured on real series (shared DATA.md): gap 30-37 %, Parkinson/CC 0.80-0.85,
    # median log(H/L)/|r| 1.9-2.0, level spread about 0.61
    assert 0.30 <= calib["gap_variance_share"] <= 0.37
    assert 0.78 <= calib["parkinson_over_cc"] <= 0.87
    assert 1.85 <= calib["median_range_over_abs_return"] <= 2.05
    # levels are the names' approximate real 2022 dollar volumes (AAPL ~$14B ... RRC ~$0.14B): the 2014
    # cross-section keeps their spread (the market trend moves every name alike), up to the daily noise
    from rebal.data.sample import DOLLAR_ADV_2022, STOCKS

    spread = float(np.log([DOLLAR_ADV_2022[t] for t in STOCKS]).std(ddof=1))
    assert abs(calib["dollar_adv_2014_log_std"] - spread) < 0.15


def test_sample_holdings_drift_with_real_prices(sample_lakehouse):
    params = REPO / "params" / "profiles"
    with Lakehouse(sample_lakehouse) as lh:
        known = lh.known_tickers()
        sleeves = load_profile("strategy_sleeves", params, known_tickers=known)
        snap, shares, cash = lh.holdings("strategy_sleeves")
        assert snap == date(2022, 9, 30)
        # implemented at 60 % deployed / 40 % cash on 2022-09-30 (whole shares: cash a hair above 40 %)
        px0 = lh.prices(list(shares.index), start=snap).iloc[0]
        value0 = float((shares * px0).sum()) + cash
        assert cash / value0 == pytest.approx(0.40, abs=0.001)
        audit = drift_audit(sleeves, lh)
        # drift to 2022-12-28 comes from real prices: recompute by hand from the closes
        px1 = lh.prices(list(shares.index)).iloc[-1]
        v = shares * px1
        total = float(v.sum()) + cash
        target = {**sleeves.target.weights, "CASH": 0.40}
        by_hand = 0.5 * (sum(abs(v[t] / total - w) for t, w in target.items() if t != "CASH") + abs(cash / total - 0.40))
        assert audit.result.portfolio_drift == pytest.approx(by_hand, rel=1e-12)
        assert audit.result.portfolio_drift > 0.005


def test_every_sample_profile_has_a_drift_audit(sample_lakehouse):
    params = REPO / "params" / "profiles"
    with Lakehouse(sample_lakehouse) as lh:
        statuses = {}
        for name in ("min_variance", "hrp_balanced", "max_sharpe", "risk4_us", "strategy_sleeves"):
            a = drift_audit(load_profile(name, params, known_tickers=lh.known_tickers()), lh)
            assert a.actual.sum() == pytest.approx(1.0) and a.lis.source == "holdings"
            assert a.target.weights.sum() == pytest.approx(1.0)
            assert (a.target.weights >= -1e-9).all()
            statuses[name] = a.result.status.value
    assert set(statuses.values()) <= {"MAINTAIN", "REBALANCE", "URGENT"}
