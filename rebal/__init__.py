"""rebal: a research package for portfolio rebalancing.

Layers (imports flow one way):

- ``rebal.data``: the DuckDB lakehouse, the sample builder, importers and validation;
- analytics: ``rebal.analytics.drift``, ``rebal.calendar``;
- decisions: ``rebal.allocation``, ``rebal.allocation.target``;
- reporting: ``rebal.report`` (registry, pages, runner, packet) and the ``rebal`` CLI.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
