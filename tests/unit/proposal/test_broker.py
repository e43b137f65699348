"""Paper broker (rebal.proposal.broker): fills at the close plus modelled slippage, worked by hand.

The market: 70 NYSE sessions to 2024-06-28 whose daily returns alternate +1 % / -1 %, so the last 60
returns are thirty +0.01 and thirty -0.01, mean 0, and sigma_60d = 0.01 x sqrt(60 / 59) exactly.
Volumes are constant, so dollar volume on the day and the 20-day average only differ by the close.

    X  close ~100, 1e6 shares/day  -> ~$1e8 ADV  -> mid:   spread 10 bps
    L  close ~50,  4e7 shares/day  -> ~$2e9      -> large: spread 5 bps
    S  close ~20,  1e4 shares/day  -> ~$2e5      -> small: spread 20 bps
    N  close ~10,  no volume       -> no liquidity data: spread 20 bps (small), no impact
    Q  no close on 2024-06-28

Slippage (bps) = spread + 0.6 x sigma x sqrt(shares x close / (day volume x close)) x 1e4, so the close
cancels in the impact; buys pay close x (1 + slippage), sells receive close x (1 - slippage);
commission = 1 bp of the value at the close. The profile holds 2,000 X, 100 L and $1,000,000 cash
(snapshot of 2024-06-27).
"""
from __future__ import annotations

import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.data.lakehouse import Lakehouse
from rebal.proposal.broker import ExecutionError, Order, PaperBroker

SESSIONS = nyse_sessions()
AS_OF = date(2024, 6, 28)
DAYS = SESSIONS[SESSIONS <= pd.Timestamp(AS_OF)][-70:]
SIGMA = 0.01 * np.sqrt(60 / 59)
BASE = {"X": 100.0, "L": 50.0, "S": 20.0, "N": 10.0, "Q": 30.0}
VOLUME = {"X": 1e6, "L": 4e7, "S": 1e4, "N": np.nan, "Q": 1e6}
CASH0 = 1_000_000.0
TABLES = ("holdings", "cash_balances", "orders", "fills")


def _slippage_bps(spread: float, shares: float, day_volume: float) -> float:
    return spread + 0.6 * SIGMA * np.sqrt(shares / day_volume) * 1e4


@pytest.fixture(scope="module")
def _built(tmp_path_factory):
    steps = np.where(np.arange(len(DAYS)) % 2 == 1, 1.01, 0.99)
    steps[0] = 1.0
    path_ = np.cumprod(steps)
    close = pd.DataFrame({t: b * path_ for t, b in BASE.items()}, index=DAYS)
    close.loc[DAYS[-1], "Q"] = np.nan  # Q did not trade on the as-of date
    volume = pd.DataFrame({t: np.full(len(DAYS), v) for t, v in VOLUME.items()}, index=DAYS)
    path = write_market(tmp_path_factory.mktemp("broker") / "rebal.duckdb", close, volume=volume)
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for t, n in (("X", 2000.0), ("L", 100.0)):
            con.execute("INSERT INTO holdings VALUES ('p', DATE '2024-06-27', ?, ?, 'test')", [t, n])
        con.execute("INSERT INTO cash_balances VALUES ('p', DATE '2024-06-27', ?, 'test')", [CASH0])
    return path, close.iloc[-1]


@pytest.fixture
def lake(_built, tmp_path):
    """A fresh copy of the market (each test may write)."""
    src, last_close = _built
    path = tmp_path / "rebal.duckdb"
    shutil.copyfile(src, path)
    return path, last_close


def _digest(path) -> dict:
    with Lakehouse(path) as lh:
        return {t: lh.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_the_market_is_what_the_docstring_says(lake):
    path, ref = lake
    with Lakehouse(path) as lh:
        r = lh.prices(["X"]).pct_change()["X"].iloc[-60:]
    assert (np.isclose(r, 0.01).sum(), np.isclose(r, -0.01).sum()) == (30, 30)
    assert r.std(ddof=1) == pytest.approx(SIGMA, rel=1e-9)
    assert 5e7 < 1e6 * ref["X"] < 5e8 and 4e7 * ref["L"] > 5e8 and 1e4 * ref["S"] < 5e7


def test_account_prices_and_value(lake):
    path, ref = lake
    with Lakehouse(path) as lh:
        broker = PaperBroker(lh, "p", AS_OF)
        acc = broker.account()
        assert acc.positions.to_dict() == {"L": 100.0, "X": 2000.0} and acc.cash == CASH0
        assert acc.snapshot_date == date(2024, 6, 27)
        px = broker.prices(["X", "Q"])
        assert px["X"] == pytest.approx(ref["X"]) and np.isnan(px["Q"])
        assert broker.portfolio_value() == pytest.approx(CASH0 + 2000 * ref["X"] + 100 * ref["L"])
        empty = PaperBroker(lh, "nobody", AS_OF).account()
        assert empty.positions.empty and empty.cash == 0.0 and empty.snapshot_date is None


def test_fills_are_the_close_plus_modelled_slippage_by_hand(lake):
    path, ref = lake
    orders = [Order("X", "BUY", 1000), Order("L", "SELL", 50), Order("S", "BUY", 10), Order("N", "BUY", 10)]
    with Lakehouse(path, read_only=False) as lh:
        fills = PaperBroker(lh, "p", AS_OF).execute(orders, batch_id="b1")
    slip = {"X": _slippage_bps(10, 1000, 1e6), "L": _slippage_bps(5, 50, 4e7), "S": _slippage_bps(20, 10, 1e4),
            "N": 20.0}
    sign = {"X": 1, "L": -1, "S": 1, "N": 1}
    shares = {"X": 1000, "L": 50, "S": 10, "N": 10}
    by = {f.ticker: f for f in fills}
    for t in slip:
        f = by[t]
        assert f.ref_price == pytest.approx(ref[t], rel=1e-12)
        assert f.slippage_bps == pytest.approx(slip[t], rel=1e-9)
        assert f.price == pytest.approx(ref[t] * (1 + sign[t] * slip[t] / 1e4), rel=1e-12)
        assert f.commission == pytest.approx(shares[t] * ref[t] * 1e-4, rel=1e-12)
        assert f.cost == pytest.approx(shares[t] * ref[t] * slip[t] / 1e4 + f.commission, rel=1e-9)
    # e.g. X: 10 + 0.6 x 0.0100844 x sqrt(1/1000) x 1e4 = 11.9134 bps
    assert slip["X"] == pytest.approx(11.9134, abs=1e-4)
    cash = (CASH0 - sum(shares[t] * ref[t] * (1 + slip[t] / 1e4) for t in ("X", "S", "N"))
            + 50 * ref["L"] * (1 - slip["L"] / 1e4) - sum(shares[t] * ref[t] * 1e-4 for t in shares))
    with Lakehouse(path) as lh:
        snap, pos, cash_after = lh.holdings("p")
        n_orders, n_fills = (lh.con.execute(f"SELECT count(*) FROM {t} WHERE proposal_id = 'b1'").fetchone()[0]
                             for t in ("orders", "fills"))
        sources = {r[0] for r in lh.con.execute("SELECT DISTINCT source FROM holdings WHERE as_of = ?", [AS_OF]).fetchall()}
    assert snap == AS_OF and pos.to_dict() == {"L": 50.0, "N": 10.0, "S": 10.0, "X": 3000.0}
    assert cash_after == pytest.approx(cash, rel=1e-12)
    assert (n_orders, n_fills) == (4, 4) and sources == {"paper (b1)"}


def test_selling_a_whole_position_removes_it(lake):
    path, _ = lake
    with Lakehouse(path, read_only=False) as lh:
        PaperBroker(lh, "p", AS_OF).execute([Order("L", "SELL", 100)], batch_id="b2")
        assert lh.holdings("p")[1].to_dict() == {"X": 2000.0}


@pytest.mark.parametrize(("orders", "kwargs", "message"), [
    ([Order("Q", "BUY", 10)], {}, "Q: no close on 2024-06-28: cannot fill"),
    ([Order("X", "SELL", 2001)], {}, "X: sell of 2001 shares exceeds the 2000 held"),
    ([Order("S", "SELL", 1)], {}, "S: sell of 1 shares exceeds the 0 held"),
    # 10 bps spread alone is above a 5 bps tolerance: 10 + 0.6 x 0.0100844 x sqrt(1e-6) x 1e4 = 10.06
    ([Order("X", "BUY", 1)], {"slippage_tolerance_bps": 5.0}, "X: modelled slippage 10.1 bps exceeds the tolerance 5 bps"),
    # a whole day's volume of S: impact 0.6 x 0.0100844 x 1e4 = 60.5 bps, plus 20 bps spread
    ([Order("S", "BUY", 10_000)], {}, "S: modelled slippage 80.5 bps exceeds the tolerance 50 bps"),
    ([Order("X", "BUY", 20_000)], {}, "insufficient cash: the batch would leave -"),
    ([Order("X", "BUY", 1.5)], {}, r"X: invalid order \(BUY 1.5 shares\)"),
    ([Order("X", "HOLD", 1)], {}, r"X: invalid order \(HOLD 1 shares\)"),
    ([Order("X", "BUY", 0)], {}, r"X: invalid order \(BUY 0 shares\)"),
    # the first order is fine; the second is rejected: nothing of the batch is applied
    ([Order("X", "BUY", 10), Order("Q", "BUY", 1)], {}, "Q: no close on"),
])
def test_a_rejected_order_rejects_the_batch_and_writes_nothing(lake, orders, kwargs, message):
    path, _ = lake
    before = _digest(path)
    with Lakehouse(path, read_only=False) as lh, pytest.raises(ExecutionError, match=message):
        PaperBroker(lh, "p", AS_OF, **kwargs).execute(orders, batch_id="bad")
    assert _digest(path) == before


def test_finalize_runs_in_the_transaction_and_a_failure_rolls_everything_back(lake):
    path, _ = lake
    before = _digest(path)
    seen = {}

    def finalize(con, fills, account):
        seen["n"] = len(fills)
        seen["held"] = account.positions.to_dict()
        raise RuntimeError("summary could not be written")

    with Lakehouse(path, read_only=False) as lh, pytest.raises(RuntimeError, match="summary could not be written"):
        PaperBroker(lh, "p", AS_OF).execute([Order("X", "BUY", 10)], batch_id="b3", finalize=finalize)
    assert seen == {"n": 1, "held": {"L": 100.0, "X": 2010.0}}
    assert _digest(path) == before
