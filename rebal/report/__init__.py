"""Reporting: papermill runs, HTML/PDF rendering and the committee packet.

- :mod:`rebal.report.execute`: run a template notebook on the lean ``rebal-report`` kernel;
- :mod:`rebal.report.render`: executed notebook -> self-contained HTML -> A4 PDF;
- :mod:`rebal.report.packet`: the committee packet (decision part, then the reports as appendix);
- :mod:`rebal.report.runner`: the weekly job (``rebal run``).
"""
from __future__ import annotations

__all__: list[str] = []
