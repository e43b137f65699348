"""Selection: execution alpha and cluster leads (the Risk4 selector arrives with its own issue)."""
from __future__ import annotations

from rebal.selection.execution_alpha import ALPHA_WEIGHTS, cluster_leads, execution_alpha

__all__ = ["ALPHA_WEIGHTS", "execution_alpha", "cluster_leads"]
