"""The committee packet: a short decision document, then the reports' own PDFs as a linked appendix.

Decision document (:mod:`~rebal.report.packet.assemble`): the cover with the week's decisions and the
caveats, the contents and the index of the reports, what changed, the decision rules, a decision page
per profile with something to decide (:mod:`~rebal.report.packet.decision`), one page for the rest,
the sign-off with the record of the week, the method notes. The PDF packet appends the reports' PDFs
without laying them out again (:mod:`~rebal.report.packet.pdf`); the HTML packet links the reports'
HTML files (:mod:`~rebal.report.packet.refs`). :func:`write_packet` writes both.

Names are resolved lazily (the modules import the report registry and, for the PDF, pypdf).
"""
from __future__ import annotations

import importlib

_WHERE = {"PacketEntry": "entries", "decision_html": "assemble", "data_note": "cover", "write_packet": "build",
          "Refs": "refs", "appendix_items": "refs"}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"rebal.report.packet.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'rebal.report.packet' has no attribute {name!r}")
