"""The held, target and proposed books of the sensitivity audit, on constructed markets, against numpy.

The market: a benchmark IDX with seeded daily returns b and three stocks A = 0.6 b + e_A,
B = 1.3 b + e_B, C = 0.2 b + e_C, closes 100 x the cumulative product of (1 + r). Expected numbers
are recomputed here from the constructed closes with numpy (normal equations, textbook OLS), never
from the package.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.monitor.sensitivity import run_above_since, sensitivity_audit, sensitivity_summary

SESSIONS = nyse_sessions()
END = pd.Timestamp("2024-06-28")
DAYS = SESSIONS[SESSIONS <= END][-320:]
HELD_ON = DAYS[-60]                         # the holdings snapshot: 60 sessions before the as-of date
SHARES = {"A": 1000.0, "B": 500.0}          # C not held
CASH = 20_000.0


def _closes(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(DAYS) - 1
    b = rng.normal(0.0003, 0.01, n)
    r = pd.DataFrame({"IDX": b, "A": 0.6 * b + rng.normal(0, 0.006, n), "B": 1.3 * b + rng.normal(0, 0.008, n),
                      "C": 0.2 * b + rng.normal(0, 0.01, n)}, index=DAYS[1:])
    first = pd.DataFrame(1.0, index=DAYS[:1], columns=r.columns)
    return 100.0 * pd.concat([first, (1.0 + r).cumprod()])


def _profile(tmp_path, target: str, *, defensive=True, window=252, rolling=63, universe="[A, B, C]"):
    path = tmp_path / "params" / "profiles" / "p.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"universe: {universe}\nbenchmark: IDX\ntarget: {target}\n"
                    f"sensitivity: {{window_days: {window}, rolling_days: {rolling}, defensive: "
                    f"{str(defensive).lower()}, beta_limit: 0.5}}\nnotebooks: [beta_correlation]\n")
    return load_profile(path)


def _ols(p: np.ndarray, b: np.ndarray) -> dict[str, float]:
    x = np.column_stack([np.ones_like(b), b])
    coef = np.linalg.solve(x.T @ x, x.T @ p)
    resid = p - x @ coef
    return {"beta": coef[1], "se": np.sqrt(resid @ resid / (len(p) - 2) / ((b - b.mean()) ** 2).sum()),
            "corr": np.corrcoef(p, b)[0, 1], "vol": np.std(p, ddof=1) * np.sqrt(252)}


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    closes = _closes()
    path = write_market(tmp_path_factory.mktemp("books") / "rebal.duckdb", closes, benchmark="IDX")
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for t, n in SHARES.items():
            con.execute("INSERT INTO holdings VALUES ('p', ?, ?, ?, 'test')", [HELD_ON.date(), t, n])
        con.execute("INSERT INTO cash_balances VALUES ('p', ?, ?, 'test')", [HELD_ON.date(), CASH])
    return path, closes


def test_the_held_book_is_todays_holdings_and_its_beta_matches_numpy(market, tmp_path):
    path, closes = market
    prof = _profile(tmp_path, "{method: fixed, weights: {A: 0.2, C: 0.7}, cash: 0.1}")
    proposed = pd.Series({"A": 0.4, "B": 0.1, "C": 0.3, "CASH": 0.2})
    with Lakehouse(path) as lh:
        a = sensitivity_audit(prof, lh, END.date(), proposed=proposed, proposed_source="a test proposal")
    # today's weights: the shares valued at the closes of the as-of date, with the cash
    last = closes.loc[END]
    value = {t: n * last[t] for t, n in SHARES.items()}
    total = sum(value.values()) + CASH
    w = {t: v / total for t, v in value.items()}
    r = closes.pct_change().iloc[-252:]
    b = r["IDX"].to_numpy()
    expected = {"held": _ols(w["A"] * r["A"].to_numpy() + w["B"] * r["B"].to_numpy(), b),
                "target": _ols(0.2 * r["A"].to_numpy() + 0.7 * r["C"].to_numpy(), b),
                "proposed": _ols(0.4 * r["A"].to_numpy() + 0.1 * r["B"].to_numpy() + 0.3 * r["C"].to_numpy(), b)}
    assert [bk.label for bk in a.books] == ["held", "target", "proposed"] and a.main is a.held
    assert a.held.weights.to_dict() == pytest.approx({**w, "CASH": CASH / total}, rel=1e-12)
    assert a.held.source == f"holdings implemented on {HELD_ON.date()}, valued at the closes of {END.date()}"
    assert a.proposed.source == "a test proposal"
    for label, ref in expected.items():
        bk = a.book(label)
        assert bk.beta.n_obs == 252 and bk.beta.end == str(END.date())
        assert bk.beta.beta == pytest.approx(ref["beta"], rel=1e-9), label
        assert bk.beta.beta_se == pytest.approx(ref["se"], rel=1e-9), label
        assert bk.beta.correlation == pytest.approx(ref["corr"], rel=1e-9), label
        assert bk.vol == pytest.approx(ref["vol"], rel=1e-9), label
    # the books really differ: A and B held (beta near 0.6-1.3) against mostly C in the target (near 0.2)
    assert expected["held"]["beta"] > 0.6 > 0.3 > expected["target"]["beta"]
    # the defensive limit 0.5 applies to each book: the held one is AGGRESSIVE, the target is not
    assert a.held.aggressive and not a.target.aggressive
    assert a.flags[0].startswith(f"⚠️ AGGRESSIVE (held): defensive profile with beta {expected['held']['beta']:.2f}")
    s = sensitivity_summary(a)
    assert s["beta_basis"] == "held" and s["beta"] == s["beta_held"] == a.held.beta.beta
    assert s["beta_target"] == a.target.beta.beta and s["vol_proposed"] == a.proposed.vol
    assert s["aggressive_held"] is True and s["aggressive_target"] is False and s["aggressive"] is True
    assert s["beta_target_in_sample"] is False and s["target_in_sample_sessions"] == 0


def test_a_fitted_target_is_in_sample_and_the_overlap_is_stated(market, tmp_path):
    path, closes = market
    # inverse volatility fitted on the last 100 daily returns: all inside the 252-session regression window
    prof = _profile(tmp_path, "{method: inverse_vol, lookback_days: 100}", defensive=False)
    with Lakehouse(path) as lh:
        a = sensitivity_audit(prof, lh, END.date(), proposed=pd.Series({"A": 0.5, "B": 0.5}))
    fit_start = DAYS[-100].date()  # the first of the 100 returns ending on the as-of date
    t = a.target
    assert t.in_sample and t.in_sample_sessions == 100
    assert t.in_sample_basis == f"the inverse_vol target was fitted on the 100 daily returns {fit_start} .. {END.date()}"
    assert a.proposed.in_sample_sessions == 100  # built from the target: it inherits the overlap
    assert not a.held.in_sample  # how the held weights were chosen is not known: no claim
    assert (f"target beta is in-sample: the inverse_vol target was fitted on the 100 daily returns {fit_start} .. "
            f"{END.date()}; they include 100 of the 252 regression sessions (39.7%)") in a.notes[0]
    # a regression window of 60 sessions lies wholly inside the fit window
    prof60 = _profile(tmp_path, "{method: inverse_vol, lookback_days: 100}", defensive=False, window=60, rolling=20)
    with Lakehouse(path) as lh:
        assert sensitivity_audit(prof60, lh, END.date()).target.in_sample_sessions == 60


@pytest.mark.parametrize(("values", "expected"), [
    ([0.40, 0.60, 0.45, 0.55, 0.70, 0.52], 3),   # the current run starts at the 4th value
    ([0.60, 0.70, 0.80], 0),                     # above throughout: the first date (it may have begun earlier)
    ([0.60, 0.50, 0.60], 2),                     # equal to the limit is not above it
    ([0.60, 0.70, 0.40], None),                  # ends below: no current run
    ([0.40, np.nan, 0.60, 0.61], 2),             # a missing estimate does not break or start a run
])
def test_run_above_since_finds_the_start_of_the_current_run(values, expected):
    idx = pd.bdate_range("2024-03-01", periods=len(values))
    got = run_above_since(pd.Series(values, index=idx), 0.5)
    assert got == (None if expected is None else idx[expected].date())


def test_since_when_the_rolling_beta_of_a_defensive_book_is_above_its_limit(tmp_path):
    # A has beta 0.2 to the market, then 1.0 over the last 40 sessions; the book holds A only
    rng = np.random.default_rng(8)
    n = len(DAYS) - 1
    b = rng.normal(0.0, 0.01, n)
    slope = np.where(np.arange(n) >= n - 40, 1.0, 0.2)
    r = pd.DataFrame({"IDX": b, "A": slope * b + rng.normal(0, 0.002, n)}, index=DAYS[1:])
    closes = 100.0 * pd.concat([pd.DataFrame(1.0, index=DAYS[:1], columns=r.columns), (1.0 + r).cumprod()])
    path = write_market(tmp_path / "rebal.duckdb", closes, benchmark="IDX")
    prof = _profile(tmp_path, "{method: fixed, weights: {A: 1.0}}", window=252, rolling=20, universe="[A]")
    with Lakehouse(path) as lh:
        a = sensitivity_audit(prof, lh, END.date())
    # rolling beta by hand over each 20-return window of the last 252 returns, then the start of the last run
    ra, rb = closes["A"].pct_change().to_numpy()[-252:], closes["IDX"].pct_change().to_numpy()[-252:]
    dates = closes.index[-252:]
    roll = [np.cov(ra[i - 19:i + 1], rb[i - 19:i + 1])[0, 1] / np.var(rb[i - 19:i + 1], ddof=1)
            for i in range(19, 252)]
    above = np.array(roll) > 0.5
    assert above[-1] and not above[: -40].any()  # the construction: above only after the change
    start = len(above) - int(np.argmin(above[::-1]))  # first index of the final run of True
    since = dates[19 + start].date()
    assert a.target.above_limit_since == since
    assert a.target.beta.beta < 0.5 and not a.target.aggressive  # the full window still reads below the limit
    assert (f"target: beta {a.target.beta.beta:.2f} is within the limit 0.50 over the window, but its rolling "
            f"20-session beta ({roll[-1]:.2f}) has been above it since {since}") in a.notes
    assert sensitivity_summary(a)["above_limit_since_target"] == str(since)
    # once the full-window beta is above the limit too, the AGGRESSIVE flag says since when
    prof = _profile(tmp_path, "{method: fixed, weights: {A: 1.0}}", window=60, rolling=20, universe="[A]")
    with Lakehouse(path) as lh:
        a60 = sensitivity_audit(prof, lh, END.date())
    assert a60.target.aggressive
    assert a60.flags == (f"⚠️ AGGRESSIVE (target): defensive profile with beta {a60.target.beta.beta:.2f} > limit "
                         f"0.50; its rolling 20-session beta has been above the limit since {since}",)


def test_a_book_ticker_without_prices_in_the_window_is_a_data_error(market, tmp_path):
    from rebal.errors import DataError

    path, closes = market
    prof = _profile(tmp_path, "{method: fixed, weights: {A: 0.5}, cash: 0.5}")
    with Lakehouse(path) as lh, pytest.raises(DataError, match=r"`sensitivity.window_days`: 252 complete daily "
                                                              r"returns needed up to 2024-06-28; missing for 'D'"):
        sensitivity_audit(prof, lh, END.date(), proposed=pd.Series({"A": 0.5, "D": 0.5}))
