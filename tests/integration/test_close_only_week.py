"""An analyst's own close-only prices (open/high/low/volume are optional): the reports that use volume degrade and
say so, every report renders."""
from __future__ import annotations

import pytest

from rebal.data.lakehouse import Lakehouse
from rebal.paths import get_paths
from rebal.report.runner import run_weekly

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.pdf, pytest.mark.slow]

NOTEBOOKS = ["drift_audit", "rebalance_proposal", "factor_map", "rule_backtest"]


def test_a_week_on_close_only_prices_renders_and_says_what_needs_volume(sample_home, monkeypatch):
    from conftest import REPO

    with Lakehouse(sample_home / "data" / "lakehouse" / "rebal.duckdb", read_only=False) as lh:
        lh.con.execute("UPDATE prices SET open = NULL, high = NULL, low = NULL, volume = NULL, ohlv_synthetic = FALSE")
    monkeypatch.setenv("REBAL_NOTEBOOKS_DIR", str(REPO / "notebooks"))
    outcome = run_weekly(profiles=["min_variance"], notebooks=NOTEBOOKS, paths=get_paths(sample_home), workers=2,
                         progress=False)
    assert outcome.ok, [r.error for r in outcome.reports if not r.ok]
    out = outcome.out_dir / "min_variance"
    fm = (out / "factor_map.html").read_text()
    assert "Liquidity not available without volume" in fm and "(0.3 Mom + 0.2 Stab + 0.2 Conv) / 0.7" in fm
    assert "size-bucket cost estimates" in (out / "rebalance_proposal.html").read_text()
    assert "no volume for some assets: no market impact" in (out / "rule_backtest.html").read_text()
    by = {r.notebook: r.scraps for r in outcome.reports}
    assert by["factor_map"]["synthetic_liquidity"] is False  # nothing synthetic: absent, and said so above
