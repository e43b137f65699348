"""Configuration: the generic YAML loader and the ``Profile`` composed of each domain's spec.

Names are resolved lazily: a domain's spec module imports :mod:`rebal.config.loader` without
pulling in :mod:`rebal.config.profile`, which imports every domain's spec.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "Profile": "profile", "load_profile": "profile", "load_profiles": "profile",
    "list_profiles": "loader", "profile_path": "loader",
    "validate_profile_name": "loader",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"rebal.config.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'rebal.config' has no attribute {name!r}")
