"""Factor audit (rebal.monitor.factor_map): clusters, cluster leads, the window, the liquidity flag.

The market is built so the answers are known: two independent factors; A1..A4 load on the first,
B1..B3 on the second, each with its own noise. So correlations are high within a group and near zero
across, and any sensible clustering into two finds {A1..A4} and {B1..B3} (labels are numbered by
decreasing size: cluster 1 = the A group). In each group one name (A1, B1) is better on every input of
execution alpha at once: the strongest trend (12-1 momentum), the least noise (lowest volatility,
highest correlation with its cluster's centroid), the largest dollar volume and the tightest
high-low range. Execution alpha is a positive combination of those inputs' cross-sectional z-scores,
so A1 and B1 must lead their clusters whatever the exact scaling; the test also checks that the
construction does what it says, with numpy.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from rebal.calendar import nyse_sessions
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError
from rebal.monitor.factor_map import factor_audit, profile_factor_audit

SESSIONS = nyse_sessions()
DAYS = SESSIONS[SESSIONS <= pd.Timestamp("2024-06-28")][-300:]
A, B = ["A1", "A2", "A3", "A4"], ["B1", "B2", "B3"]
NOISE = {"A1": 0.001, "A2": 0.004, "A3": 0.005, "A4": 0.006, "B1": 0.001, "B2": 0.004, "B3": 0.005}
DRIFT = {t: (0.002 if t in ("A1", "B1") else 0.0) for t in NOISE}
VOLUME = {t: (5e6 if t in ("A1", "B1") else 2e5) for t in NOISE}
RANGE = {t: (0.002 if t in ("A1", "B1") else 0.02) for t in NOISE}  # (high - low) / close


def _frames(seed: int = 5):
    rng = np.random.default_rng(seed)
    n = len(DAYS)
    f1, f2 = rng.normal(0, 0.01, n), rng.normal(0, 0.01, n)
    rets = pd.DataFrame({t: (f1 if t in A else f2) + DRIFT[t] + rng.normal(0, NOISE[t], n) for t in NOISE}, index=DAYS)
    rets.iloc[0] = 0.0
    close = 50.0 * (1.0 + rets).cumprod()
    high = close * (1 + pd.Series(RANGE) / 2)
    low = close * (1 - pd.Series(RANGE) / 2)
    volume = pd.DataFrame({t: np.full(n, VOLUME[t]) for t in NOISE}, index=DAYS)
    return close, high, low, volume


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    close, high, low, volume = _frames()
    sectors = {**{t: "Energy" for t in A}, **{t: "Health" for t in B}}
    path = write_market(tmp_path_factory.mktemp("fm") / "rebal.duckdb", close, sectors=sectors, high=high, low=low,
                        volume=volume, synthetic=("B3",))
    return path, close


def test_two_factor_groups_are_the_two_clusters_and_the_cleanest_names_lead(lake):
    path, close = lake
    with Lakehouse(path) as lh:
        fa = factor_audit(list(NOISE), lh, date(2024, 6, 28), n_clusters=2, window_days=120)
    labels = fa.map.labels
    assert {t: int(labels[t]) for t in NOISE} == {**{t: 1 for t in A}, **{t: 2 for t in B}}
    assert fa.leads.to_dict() == {1: "A1", 2: "B1"}
    assert fa.tickers == tuple(NOISE) and fa.as_of == date(2024, 6, 28)
    # the same partition from scipy directly on the correlation distance sqrt((1 - rho) / 2)
    rets = close.pct_change().iloc[1:].iloc[-120:]
    dist = np.sqrt(((1 - rets.corr()) / 2).clip(lower=0)).to_numpy()
    ref = fcluster(linkage(squareform(dist, checks=False), method="average"), t=2, criterion="maxclust")
    assert len({(a, b) for a, b in zip(ref, labels[list(NOISE)], strict=True)}) == 2  # a one-to-one relabelling
    # the construction does what the module docstring says: A1/B1 best on every input within their group
    mom = close.iloc[-22] / close.iloc[-253] - 1
    vol = rets.iloc[-60:].std(ddof=1)
    for lead, group in (("A1", A), ("B1", B)):
        others = [t for t in group if t != lead]
        assert (mom[lead] > mom[others]).all() and (vol[lead] < vol[others]).all()
        assert fa.alpha.loc[lead, "alpha"] > fa.alpha.loc[others, "alpha"].max()


def test_window_is_the_last_window_days_returns_to_as_of(lake):
    path, _ = lake
    as_of = DAYS[-10].date()
    with Lakehouse(path) as lh:
        fa = factor_audit(list(NOISE), lh, as_of, n_clusters=2, window_days=120)
    # 120 returns ending on as_of: the first is that of the 120th session back (inclusive)
    assert fa.window == (str(DAYS[-10 - 119].date()), str(as_of))
    assert fa.map.centroid_returns.index[-1].date() == as_of and len(fa.map.centroid_returns) == 120


def test_centroids_are_the_equal_weighted_members_and_sectors_are_reported(lake):
    path, close = lake
    with Lakehouse(path) as lh:
        fa = factor_audit(list(NOISE), lh, date(2024, 6, 28), n_clusters=2, window_days=120)
    rets = close.pct_change().iloc[-120:]
    np.testing.assert_allclose(fa.map.centroid_returns[1].to_numpy(), rets[A].mean(axis=1).to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(fa.map.centroid_returns[2].to_numpy(), rets[B].mean(axis=1).to_numpy(), rtol=1e-10)
    assert fa.map.members["dominant_sector"].to_dict() == {1: "Energy", 2: "Health"}
    assert fa.map.members["size"].to_dict() == {1: 4, 2: 3}


def test_synthetic_liquidity_is_flagged_only_when_an_input_is_synthetic(lake):
    path, _ = lake
    with Lakehouse(path) as lh:
        assert factor_audit(list(NOISE), lh, date(2024, 6, 28), n_clusters=2, window_days=60).synthetic_liquidity
        real = [t for t in NOISE if t != "B3"]
        assert not factor_audit(real, lh, date(2024, 6, 28), n_clusters=2, window_days=60).synthetic_liquidity


def test_too_little_history_names_what_is_needed(lake):
    path, _ = lake
    # a window shorter than 252 still needs 253 closes (execution alpha uses 12-1 month momentum)
    n = int((DAYS <= pd.Timestamp("2023-09-01")).sum())  # closes on or before the as-of date
    assert n < 253
    with Lakehouse(path) as lh, pytest.raises(DataError, match=r"factor map needs 253 sessions of closes up to "
                                                               rf"2023-09-01 for every ticker, found {n}$"):
        factor_audit(list(NOISE), lh, date(2023, 9, 1), n_clusters=2, window_days=60)


def test_gaps_in_the_closes_are_data_errors(tmp_path):
    close, high, low, volume = _frames()
    close.loc[DAYS[-5], "A3"] = np.nan
    path = write_market(tmp_path / "gap.duckdb", close, high=high, low=low, volume=volume)
    with Lakehouse(path) as lh, pytest.raises(DataError, match="'A3' has gaps"):
        factor_audit(list(NOISE), lh, date(2024, 6, 28), n_clusters=2, window_days=60)


@pytest.mark.parametrize("kept", [{}, {"high": 1, "low": 1}])  # close only; or no volume
def test_close_only_data_leaves_liquidity_out_of_execution_alpha_and_says_so(tmp_path, kept):
    close, high, low, _ = _frames()
    extra = {"high": high, "low": low} if kept else {}
    path = write_market(tmp_path / "closes.duckdb", close, **extra)
    with Lakehouse(path) as lh:
        fa = factor_audit(list(NOISE), lh, date(2024, 6, 28), n_clusters=2, window_days=60)
    assert "liquidity not available without volume" in fa.liquidity_missing and "volume" in fa.liquidity_missing
    assert fa.alpha[["liquidity", "dollar_adv_20", "atr_over_price"]].isna().all().all()
    assert not fa.synthetic_liquidity
    # the other three components, worked out here with numpy, weighted 0.3 / 0.2 / 0.2 and rescaled by 0.7
    c = close.loc[:"2024-06-28"]
    z = lambda x: (x - x.mean()) / x.std(ddof=0)  # noqa: E731
    mom = z(c.iloc[-22] / c.iloc[-253] - 1.0)
    stab = z(-(c.pct_change().iloc[-60:].std(ddof=1) * np.sqrt(252)))
    conv = fa.alpha["conv"]  # its centroid correlations are checked by the test above
    expected = (0.3 * mom + 0.2 * stab + 0.2 * conv) / 0.7
    np.testing.assert_allclose(fa.alpha["alpha"].reindex(expected.index), expected, rtol=1e-10)
    assert set(fa.leads) and fa.leads.to_dict() == {1: "A1", 2: "B1"}  # still better on every remaining input


def test_profile_factor_audit_uses_the_profile_parameters(lake, tmp_path):
    path, _ = lake
    yaml_path = tmp_path / "fm.yaml"
    yaml_path.write_text(f"universe: [{', '.join(NOISE)}]\nbenchmark: A1\ntarget: {{method: equal_weight}}\n"
                         "factor_map: {n_clusters: 2, window_days: 90, linkage: complete}\nnotebooks: [factor_map]\n")
    prof = load_profile(yaml_path)
    with Lakehouse(path) as lh:
        fa = profile_factor_audit(prof, lh, date(2024, 6, 28))
        three = profile_factor_audit(prof, lh, date(2024, 6, 28), n_clusters=3)
    assert fa.window[0] == str(DAYS[-90].date()) and fa.map.labels.nunique() == 2
    assert {int(fa.map.labels[t]) for t in A} == {1} and three.map.labels.nunique() == 3
