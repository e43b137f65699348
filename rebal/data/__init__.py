"""Data layer: the DuckDB lakehouse, its schema, one module of SQL per table group, the sample builder, importers."""
from __future__ import annotations

from rebal.data.lakehouse import CASH, Lakehouse
from rebal.data.schema import SCHEMA_DOC

__all__ = ["CASH", "Lakehouse", "SCHEMA_DOC"]
