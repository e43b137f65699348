"""Market-sensitivity audit (rebal.monitor.sensitivity) on constructed series, against numpy OLS.

The market: a benchmark IDX with seeded daily returns b, two stocks A = 0.8 b + e_A and B = 1.2 b + e_B,
closes 100 x the cumulative product. The profile holds A 50 %, B 30 %, cash 20 %, so its daily return is
p = 0.5 r_A + 0.3 r_B (cash earns zero) and its beta is about 0.5 x 0.8 + 0.3 x 1.2 = 0.76. Every
expected number is recomputed here from the constructed returns with numpy (normal equations and
textbook OLS formulas), not from the package.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market

from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError
from rebal.monitor.sensitivity import interpretation, sensitivity_audit

SESSIONS = nyse_sessions()
END = pd.Timestamp("2024-06-28")
DAYS = SESSIONS[SESSIONS <= END][-320:]


def _market(noise: float, seed: int = 11) -> pd.DataFrame:
    """Daily returns (index DAYS[1:]) of IDX, A and B."""
    rng = np.random.default_rng(seed)
    n = len(DAYS) - 1
    b = rng.normal(0.0003, 0.01, n)
    r = pd.DataFrame({"IDX": b, "A": 0.8 * b + rng.normal(0, noise, n), "B": 1.2 * b + rng.normal(0, noise, n)},
                     index=DAYS[1:])
    return r


def _closes(r: pd.DataFrame) -> pd.DataFrame:
    first = pd.DataFrame(1.0, index=DAYS[:1], columns=r.columns)
    return 100.0 * pd.concat([first, (1.0 + r).cumprod()])


def _profile(tmp_path, name="p", *, weights=(0.5, 0.3), cash=0.2, defensive=True, beta_limit=0.5, window=252, rolling=63):
    path = tmp_path / "params" / "profiles" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"universe: [A, B]\nbenchmark: IDX\n"
        f"target: {{method: fixed, weights: {{A: {weights[0]}, B: {weights[1]}}}, cash: {cash}}}\n"
        f"sensitivity: {{window_days: {window}, rolling_days: {rolling}, defensive: {str(defensive).lower()}, "
        f"beta_limit: {beta_limit}}}\nnotebooks: [beta_correlation]\n")
    return load_profile(path)


def _ols(p: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """OLS of p on [1, b] from the normal equations, with the textbook standard error and R²."""
    x = np.column_stack([np.ones_like(b), b])
    coef = np.linalg.solve(x.T @ x, x.T @ p)
    resid = p - x @ coef
    n = len(p)
    s2 = resid @ resid / (n - 2)
    return {"alpha": coef[0], "beta": coef[1], "se": np.sqrt(s2 / ((b - b.mean()) ** 2).sum()),
            "r2": 1 - resid @ resid / ((p - p.mean()) ** 2).sum(), "corr": np.corrcoef(p, b)[0, 1]}


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    r = _market(noise=0.004)
    path = write_market(tmp_path_factory.mktemp("sens") / "rebal.duckdb", _closes(r), benchmark="IDX")
    return path, r


def test_beta_correlation_and_vols_match_numpy_ols(market, tmp_path):
    path, r = market
    prof = _profile(tmp_path)
    with Lakehouse(path) as lh:
        a = sensitivity_audit(prof, lh)
    w = r.iloc[-252:]
    p, b = (0.5 * w["A"] + 0.3 * w["B"]).to_numpy(), w["IDX"].to_numpy()
    ref = _ols(p, b)
    # nothing held, no proposal: the target is the only book, and the main one
    assert [bk.label for bk in a.books] == ["target"] and a.held is None and a.main is a.target
    assert a.notes == ("no holdings and no accepted state: the held book is unknown, the target stands in",)
    t = a.target
    assert a.as_of == END.date() and t.beta.n_obs == 252
    assert (t.beta.start, t.beta.end) == (str(w.index[0].date()), str(END.date()))
    assert t.weights.to_dict() == pytest.approx({"A": 0.5, "B": 0.3, "CASH": 0.2})
    np.testing.assert_allclose(t.returns.to_numpy(), p, rtol=1e-9, atol=1e-15)
    assert t.beta.beta == pytest.approx(ref["beta"], rel=1e-9)
    assert t.beta.alpha_daily == pytest.approx(ref["alpha"], rel=1e-6, abs=1e-12)
    assert t.beta.beta_se == pytest.approx(ref["se"], rel=1e-9)
    assert t.beta.r_squared == pytest.approx(ref["r2"], rel=1e-9)
    assert t.beta.correlation == pytest.approx(ref["corr"], rel=1e-9)
    assert t.beta.beta == pytest.approx(0.76, abs=0.05)  # the construction's beta, within sampling noise
    assert t.vol == pytest.approx(np.std(p, ddof=1) * np.sqrt(252), rel=1e-9)
    assert a.benchmark_vol == pytest.approx(np.std(b, ddof=1) * np.sqrt(252), rel=1e-9)
    # a fixed target is not fitted: not in-sample
    assert not t.in_sample and t.in_sample_basis == ""
    # rolling beta over 63 returns: 252 - 63 + 1 values, the last one over the last 63 returns
    assert len(t.rolling) == 190
    assert t.rolling.iloc[-1] == pytest.approx(np.cov(p[-63:], b[-63:])[0, 1] / np.var(b[-63:], ddof=1), rel=1e-9)
    assert t.rolling.iloc[0] == pytest.approx(np.cov(p[:63], b[:63])[0, 1] / np.var(b[:63], ddof=1), rel=1e-9)


def test_defensive_profile_above_its_limit_is_flagged_aggressive(market, tmp_path):
    path, r = market
    w = r.iloc[-252:]
    beta = _ols((0.5 * w["A"] + 0.3 * w["B"]).to_numpy(), w["IDX"].to_numpy())["beta"]
    with Lakehouse(path) as lh:
        flagged = sensitivity_audit(_profile(tmp_path, "d1", beta_limit=0.5), lh)
        relaxed = sensitivity_audit(_profile(tmp_path, "d2", beta_limit=0.9), lh)
        offensive = sensitivity_audit(_profile(tmp_path, "o", defensive=False, beta_limit=0.5), lh)
    assert flagged.flags[0].startswith(f"⚠️ AGGRESSIVE (target): defensive profile with beta {beta:.2f} > limit 0.50")
    assert len(flagged.flags) == 1 and flagged.target.aggressive
    assert relaxed.flags == () and offensive.flags == ()


def test_an_earlier_as_of_sees_no_later_data(market, tmp_path):
    path, r = market
    as_of = DAYS[-30].date()
    with Lakehouse(path) as lh:
        a = sensitivity_audit(_profile(tmp_path, window=100, rolling=20), lh, as_of)
    w = r.loc[:pd.Timestamp(as_of)].iloc[-100:]
    ref = _ols((0.5 * w["A"] + 0.3 * w["B"]).to_numpy(), w["IDX"].to_numpy())
    assert a.as_of == as_of and a.target.beta.end == str(as_of) and a.target.beta.n_obs == 100
    assert a.target.beta.beta == pytest.approx(ref["beta"], rel=1e-9)
    assert a.target.beta.r_squared == pytest.approx(ref["r2"], rel=1e-9)


@pytest.mark.parametrize(("noise", "weights", "cash", "case", "reading"), [
    # beta 0.76, tiny specific risk: R² near 1, vol ratio near 0.76
    (0.0005, (0.5, 0.3), 0.2, "low ratio, high R²", "mostly lower market exposure: a scaled-down market bet"),
    # beta 0.44 with specific risk of the same size as the market part: ratio about 0.6, R² about 0.5
    (0.01, (0.4, 0.1), 0.5, "low ratio, low R²", "not just lower beta: a large specific component"),
    # fully invested, large specific risk: more volatile than the market
    (0.02, (0.5, 0.5), 0.0, "high ratio", "not lower than the market's"),
])
def test_interpretation_names_what_the_variance_is_made_of(tmp_path, noise, weights, cash, case, reading):
    r = _market(noise, seed=3)
    path = write_market(tmp_path / "rebal.duckdb", _closes(r), benchmark="IDX")
    with Lakehouse(path) as lh:
        a = sensitivity_audit(_profile(tmp_path, weights=weights, cash=cash), lh)
    w = r.iloc[-252:]
    p, b = (weights[0] * w["A"] + weights[1] * w["B"]).to_numpy(), w["IDX"].to_numpy()
    ratio, r2 = np.std(p, ddof=1) / np.std(b, ddof=1), _ols(p, b)["r2"]
    # the constructed case is the one described, so each branch really is exercised
    assert case == ("high ratio" if ratio >= 0.9 else "low ratio, high R²" if r2 >= 0.7 else "low ratio, low R²")
    text = interpretation(a)
    assert reading in text
    assert f"R² {r2:.2f}" in text and f"({ratio:.2f}x)" in text
    assert text.startswith("The target book: over 252 sessions to 2024-06-28")


def test_too_short_a_window_is_a_data_error_naming_the_field(tmp_path):
    r = _market(0.004).iloc[-150:]
    path = write_market(tmp_path / "rebal.duckdb", _closes(r).iloc[-150:], benchmark="IDX")
    with Lakehouse(path) as lh, pytest.raises(DataError, match=r"p\.yaml: `sensitivity.window_days`: 252 complete "
                                                               r"daily returns needed up to 2024-06-28, found 149"):
        sensitivity_audit(_profile(tmp_path), lh)


def test_a_gap_in_the_window_names_the_ticker(tmp_path):
    closes = _closes(_market(0.004))
    closes.loc[DAYS[-10], "B"] = np.nan  # no row for B that day
    path = write_market(tmp_path / "rebal.duckdb", closes, benchmark="IDX")
    with Lakehouse(path) as lh, pytest.raises(DataError, match=r"`sensitivity.window_days`.*missing for 'B'"):
        sensitivity_audit(_profile(tmp_path), lh, date(2024, 6, 28))
