"""The committee packet: the decision part (cover, summary, changes, one page per profile, sign-off), then the reports.

Names are resolved lazily (the modules import BeautifulSoup and the report registry).
"""
from __future__ import annotations

import importlib

_WHERE = {"PacketEntry": "entries", "packet_html": "assemble", "data_note": "cover"}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"rebal.report.packet.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'rebal.report.packet' has no attribute {name!r}")
