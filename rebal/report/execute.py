"""Execute a template notebook with papermill on the lean ``rebal-report`` kernel.

The kernel spec ships in this package (``kernels/rebal-report``) and is found through
``JUPYTER_PATH``; its launcher (:mod:`rebal.report._kernel`) keeps ``rfc3987_syntax`` out of the
import path and silences warnings. The host process does the same, before papermill imports
``jsonschema``. JupyterLab is unaffected: analysts keep the standard ``python3`` kernel.
"""
from __future__ import annotations

import os
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from rebal.errors import NotebookFailure

__all__ = ["KERNEL_NAME", "NotebookFailure", "prepare_environment", "execute_notebook", "failing_line"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"^(?:Cell In\s*\[\d*\]|Input In\s*\[\d*\]|<ipython-input-[^>]*>|File <ipython-input)")
_ARROW = re.compile(r"^-+>\s*(\d+)\s?(.*)$")


def failing_line(traceback: list[str] | None, source: str = "") -> tuple[int | None, str]:
    """Find the line of the cell that raised: (1-based line number, its code), from IPython's traceback.

    IPython prints the cell's own frame as ``Cell In[3], line 2`` followed by the code with an arrow
    (``----> 2 rn.table(x)``); deeper frames (inside the package) follow. The cell's frame is the
    first one; when no arrow is found the first code line of ``source`` is returned with no number.
    """
    text = "\n".join(_ANSI.sub("", t) for t in (traceback or []))
    in_cell = False
    for raw in text.splitlines():
        line = raw.strip()
        if _CELL_FRAME.match(line):
            in_cell = True
            continue
        m = _ARROW.match(line)
        if in_cell and m:
            return int(m.group(1)), m.group(2).strip()[:80]
    lines = [ln.strip() for ln in (source or "").splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return None, (lines[0][:80] if lines else "")

KERNEL_NAME = "rebal-report"


def prepare_environment() -> None:
    """Make the ``rebal-report`` kernel findable and skip the slow optional import (idempotent)."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    kernels_root = str(resources.files("rebal.report"))
    current = os.environ.get("JUPYTER_PATH", "")
    if kernels_root not in current.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (kernels_root, current) if p)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def execute_notebook(template: Path, output: Path, parameters: Mapping[str, Any], *, cwd: Path | None = None,
                     timeout: int = 900, timings: dict[str, float] | None = None) -> None:
    """Run ``template`` with ``parameters`` into ``output``.

    Raises :class:`~rebal.errors.NotebookFailure` (a ``ReportError``) naming the cell when a cell raises; the
    partially executed notebook is still written to ``output`` for diagnosis. The kernel is this worker's
    report kernel, reused with a fresh namespace (:mod:`rebal.report.warm_kernel`); ``timings`` receives
    the seconds of each phase (kernel start or reset, cells, saving, shutdown).
    """
    prepare_environment()
    from papermill.exceptions import PapermillExecutionError

    from rebal.report.warm_kernel import run_papermill

    try:
        run_papermill(template, output, parameters, kernel_name=KERNEL_NAME, cwd=cwd, timeout=timeout,
                      timings=timings if timings is not None else {})
    except PapermillExecutionError as exc:
        number, code = failing_line(exc.traceback, exc.source or "")
        raise NotebookFailure(Path(template).stem, exc.cell_index, exc.ename,
                              (exc.evalue or "").split("\n")[0][:300], code, number) from None
