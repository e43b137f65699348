"""Execute a template notebook with papermill on the lean ``rebal-report`` kernel.

The kernel spec ships in this package (``kernels/rebal-report``) and is found through
``JUPYTER_PATH``; its launcher (:mod:`rebal.report._kernel`) keeps ``rfc3987_syntax`` out of the
import path and silences warnings. The host process does the same, before papermill imports
``jsonschema``. JupyterLab is unaffected: analysts keep the standard ``python3`` kernel.
"""
from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from rebal.errors import NotebookFailure

__all__ = ["KERNEL_NAME", "NotebookFailure", "prepare_environment", "execute_notebook"]

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
                     timeout: int = 900) -> None:
    """Run ``template`` with ``parameters`` into ``output``.

    Raises :class:`~rebal.errors.NotebookFailure` (a ``ReportError``) naming the cell when a cell raises; the
    partially executed notebook is still written to ``output`` for diagnosis.
    """
    prepare_environment()
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(template), str(output), parameters=dict(parameters), kernel_name=KERNEL_NAME,
                            progress_bar=False, log_output=False, cwd=str(cwd) if cwd else None,
                            execution_timeout=timeout)
    except PapermillExecutionError as exc:
        lines = [ln.strip() for ln in (exc.source or "").splitlines() if ln.strip() and not ln.strip().startswith("#")]
        first = lines[0][:80] if lines else ""
        raise NotebookFailure(Path(template).stem, exc.cell_index, exc.ename,
                              (exc.evalue or "").split("\n")[0], first) from None
