"""Kernel launcher for report runs (kernel spec ``rebal-report``).

Same as ``python -m ipykernel_launcher`` with two differences that only report runs need:

- ``rfc3987_syntax`` is kept out of the import path. JupyterLab's dependencies install it, and
  ``jsonschema`` (imported by nbformat, papermill and scrapbook) then compiles its grammar on
  every import: about 1.2 s per kernel. Its absence only disables one optional format check.
- Python warnings are ignored: they belong in logs, not in committee reports.

JupyterLab keeps using the standard ``python3`` kernel, untouched.
"""
from __future__ import annotations

import sys
import warnings


def main() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    warnings.simplefilter("ignore")
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
