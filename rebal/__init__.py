"""rebal: a research package for portfolio rebalancing.

Subpackages, in the one direction imports flow (data <- analytics <- domains <- report <- cli):

- ``rebal.data``: the DuckDB lakehouse, its schema, one module of SQL per table group, builders, importers;
- ``rebal.analytics``: pure functions: measures, returns, drift, risk, costs, clusters;
- domains: ``rebal.monitor`` (state, drift, planner), ``rebal.allocation`` (target weights),
  ``rebal.proposal`` (proposals, execution), ``rebal.selection`` (Risk4), ``rebal.lab`` (rule lab);
- ``rebal.report`` (the report registry and pages, papermill runs, rendering, packet) and ``rebal.cli``
  (the ``rebal`` command).

Foundation modules anyone may import: ``rebal.errors`` (every exception), ``rebal.fileio`` (atomic
writes), ``rebal.paths``, ``rebal.calendar``, ``rebal.provenance``, ``rebal.config.loader`` and
``rebal.analytics.measures``.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
