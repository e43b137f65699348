"""rebal: a research package for portfolio rebalancing.

Layers (imports flow one way):

- ``rebal.data``: the DuckDB lakehouse, the sample builder, importers and validation;
- analytics: ``rebal.drift``, ``rebal.calendar``;
- decisions: ``rebal.allocation``, ``rebal.portfolio``;
- reporting: ``rebal.report``, ``rebal.plots``, ``rebal.notebook`` and the ``rebal`` CLI.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
