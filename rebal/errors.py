"""The exception hierarchy: every error a user can cause is a :class:`RebalError`.

The CLI turns a ``RebalError`` into one line on stderr and exit code 2, never a traceback.
Messages name the file and field, the value found and the rule.
"""
from __future__ import annotations

__all__ = ["RebalError", "ConfigError", "DataError", "ReportError"]


class RebalError(Exception):
    """Base class of the errors a user can cause (bad input, missing data)."""


class ConfigError(RebalError):
    """A profile or parameter file is malformed, has unknown keys or invalid values."""


class DataError(RebalError):
    """Market or holdings data is missing, stale, malformed or inconsistent."""


class ReportError(RebalError):
    """A report could not be produced (a notebook failed, rendering failed)."""
