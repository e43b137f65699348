"""Defaults that depend on the universe adapt to it, or the error says which default and why."""
from __future__ import annotations

import pytest

from rebal.config import load_profile
from rebal.errors import ConfigError
from rebal.monitor.spec import DEFAULT_CLUSTERS, FactorMapSpec

THREE = "universe: [AAA, BBB, CCC]\nbenchmark: IDX\ntarget: {method: equal_weight}\n" \
        "notebooks: [drift_audit, factor_map]\n"


def test_a_copied_profile_on_three_assets_gets_a_factor_map_default_that_fits(tmp_path):
    (tmp_path / "three.yaml").write_text(THREE)
    p = load_profile(tmp_path / "three.yaml")
    assert p.factor_map.n_clusters is None
    assert p.factor_map.clusters_for(3) == 2  # min(6, 3 - 1)


@pytest.mark.parametrize(("n_assets", "k"), [(2, 2), (3, 2), (5, 4), (7, 6), (20, DEFAULT_CLUSTERS)])
def test_the_default_number_of_clusters_is_six_capped_below_the_universe(n_assets, k):
    assert FactorMapSpec().clusters_for(n_assets) == k
    assert FactorMapSpec(n_clusters=3).clusters_for(n_assets) == 3  # a stated value is kept


def test_a_stated_number_of_clusters_above_the_universe_is_refused(tmp_path):
    (tmp_path / "three.yaml").write_text(THREE + "factor_map: {n_clusters: 6}\n")
    with pytest.raises(ConfigError, match=r"three\.yaml: `factor_map.n_clusters`: must be between 2 and the 3 "
                                          r"assets, found 6"):
        load_profile(tmp_path / "three.yaml")
