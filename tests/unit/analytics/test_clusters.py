"""Clusters, MDS and execution alpha on inputs whose answer is known."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.clusters import cluster_assets, correlation_distance, factor_map, kruskal_stress, mds_map
from rebal.selection import ALPHA_WEIGHTS, cluster_leads
from rebal.selection.execution_alpha import atr, zscore


def test_correlation_distance_endpoints():
    corr = pd.DataFrame([[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    d = correlation_distance(corr).to_numpy()
    assert d[0, 0] == 0 and d[0, 1] == pytest.approx(1.0) and d[0, 2] == pytest.approx(np.sqrt(0.5))


def test_mds_recovers_a_known_planar_geometry():
    # four points at the corners of a 3 x 4 rectangle: distances 3, 4 and 5 are exactly embeddable in 2-D
    pts = np.array([[0, 0], [3, 0], [3, 4], [0, 4]], dtype=float)
    dist = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    coords, stress = mds_map(pd.DataFrame(dist))
    emb = np.sqrt(((coords.to_numpy()[:, None] - coords.to_numpy()[None]) ** 2).sum(-1))
    np.testing.assert_allclose(emb, dist, atol=1e-3)
    assert stress < 1e-3


def test_kruskal_stress_by_hand():
    # target distance 2 between two points embedded 1 apart: sqrt((1 - 2)^2 / 2^2) = 0.5
    assert kruskal_stress(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0, 2.0], [2.0, 0]])) == pytest.approx(0.5)


def _blocks(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    common, f1, f2, f3 = rng.normal(0, 0.01, (4, 500))
    cols = {}
    for i in range(4):  # blocks A and B share a common factor; the loner shares nothing
        cols[f"A{i}"] = common + f1 + rng.normal(0, 0.003, 500)
        cols[f"B{i}"] = common + f2 + rng.normal(0, 0.003, 500)
    cols["LONER"] = f3
    return pd.DataFrame(cols, index=pd.bdate_range("2020-01-01", periods=500))


def test_clusters_find_the_planted_blocks_and_the_loner_is_isolated():
    r = _blocks()
    labels, _ = cluster_assets(r, 3)
    assert labels[[f"A{i}" for i in range(4)]].nunique() == 1
    assert labels[[f"B{i}" for i in range(4)]].nunique() == 1
    assert labels["LONER"] not in {labels["A0"], labels["B0"]}
    fm = factor_map(r, 3)
    assert fm.members["size"].tolist() == [4, 4, 1]  # clusters numbered by size
    # centroids A, B correlate about 0.5 (distance 0.5); the loner sits at about sqrt(1/2) from both
    assert fm.isolated == (int(labels["LONER"]),)


def test_zscore_and_alpha_weights():
    z = zscore(pd.Series([1.0, 2.0, 3.0]))
    assert z.tolist() == pytest.approx([-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    assert sum(ALPHA_WEIGHTS.values()) == pytest.approx(1.0)
    assert zscore(pd.Series([2.0, 2.0])).tolist() == [0.0, 0.0]


def test_atr_wilder_by_hand():
    # true ranges: day 1: H-L = 2; day 2: max(3-1, |3-2|, |1-2|) = 2; day 3: max(6-4, |6-2|, |4-2|) = 4
    h = pd.DataFrame({"X": [3.0, 3.0, 6.0]})
    lo = pd.DataFrame({"X": [1.0, 1.0, 4.0]})
    c = pd.DataFrame({"X": [2.0, 2.0, 5.0]})
    out = atr(h, lo, c, window=2)["X"].tolist()
    # EMA alpha 1/2 without adjustment: 2, 2, 0.5*2 + 0.5*4 = 3
    assert out == pytest.approx([2.0, 2.0, 3.0])


def test_cluster_leads_pick_the_highest_alpha():
    alpha = pd.Series({"a": 0.1, "b": 0.5, "c": -1.0, "d": 0.0})
    labels = pd.Series({"a": 1, "b": 1, "c": 2, "d": 2})
    assert cluster_leads(alpha, labels).to_dict() == {1: "b", 2: "d"}
