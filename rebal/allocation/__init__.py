"""Allocators: scikit-learn-shaped estimators, ``fit(returns) -> self`` with ``weights_``.

``weights_`` is a Series indexed by ticker summing to 1 (the invested part; the profile's cash
fraction is applied by :mod:`rebal.allocation.target`). Any skfolio portfolio estimator can be wrapped
with :class:`SkfolioAllocator`.
"""
from __future__ import annotations

from rebal.allocation.basic import (
    EqualWeight,
    FixedWeights,
    InverseVolatility,
    SkfolioAllocator,
    make_allocator,
)

__all__ = ["EqualWeight", "FixedWeights", "InverseVolatility", "SkfolioAllocator", "make_allocator"]
