"""Allocation: scikit-learn estimators ``fit(daily_returns) -> weights_`` and the registry of ``target.method``.

Names are imported lazily, so reading the ``target`` spec (:mod:`rebal.allocation.spec`) does not load
scikit-learn or the solvers.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "BaseAllocator": "base", "FixedWeights": "basic", "EqualWeight": "basic", "InverseVolatility": "basic",
    "MeanVariance": "mean_variance", "HRP": "hrp", "BlackLittermanAllocator": "black_litterman",
    "SkfolioAllocator": "skfolio_adapter", "make_allocator": "registry", "METHODS": "registry",
    "sharpe_scorer": "scoring",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"rebal.allocation.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'rebal.allocation' has no attribute {name!r}")
