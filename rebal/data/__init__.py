"""Data layer: the DuckDB lakehouse, the sample builder and the importers."""
from __future__ import annotations

from rebal.data.lakehouse import CASH, Lakehouse, SCHEMA_DOC

__all__ = ["CASH", "Lakehouse", "SCHEMA_DOC"]
