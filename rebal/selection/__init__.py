"""Selection: the Risk4 weekly stock selection (features, checks, weights, trades) and execution alpha.

- :mod:`rebal.data.features`: the documented feature pipeline (alpha composite, vol_blend, adv_20);
- :mod:`rebal.selection.weights`: exact position/sector caps, turnover control, vol targeting;
- :mod:`rebal.selection.risk4`: the Risk4 process end to end (``rebal risk4 ...``);
- :mod:`rebal.selection.checks`: its data checks, post-selection alerts and market regime;
- :mod:`rebal.selection.result`: what a run decided (alerts, prior, result and its summary);
- :mod:`rebal.selection.artifacts`: a run recorded in the lakehouse and written to files;
- :mod:`rebal.selection.execution_alpha`: execution alpha and cluster leads of the factor map.
"""
from __future__ import annotations

from rebal.selection.execution_alpha import ALPHA_WEIGHTS, cluster_leads, execution_alpha

__all__ = ["ALPHA_WEIGHTS", "execution_alpha", "cluster_leads"]
