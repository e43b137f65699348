"""Kernel launcher for report runs (kernel spec ``rebal-report``).

Same as ``python -m ipykernel_launcher`` with two differences that only report runs need:

- ``rfc3987_syntax`` is kept out of the import path. JupyterLab's dependencies install it, and
  ``jsonschema`` (imported by nbformat, papermill and scrapbook) then compiles its grammar on
  every import: about 1.2 s per kernel. Its absence only disables one optional format check.
- Python warnings are ignored: they belong in logs, not in committee reports.

JupyterLab keeps using the standard ``python3`` kernel, untouched.

A weekly-run worker reuses its kernel for several reports (:mod:`rebal.report.warm_kernel`):
:func:`remember_settings` runs once when the kernel starts, :func:`fresh_namespace` before each
report after the first.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any

_SETTINGS: dict[str, Any] = {}


def remember_settings() -> None:
    """Remember matplotlib's settings as a new kernel has them (pyplot on the inline backend)."""
    import matplotlib
    import matplotlib.pyplot  # noqa: F401  (the backend sets its own settings on import)

    _SETTINGS["rc"] = matplotlib.rcParams.copy()


def fresh_namespace() -> None:
    """Give the next report what a new kernel gives it; only imported modules (and their caches) stay.

    The user namespace, the input/output history and the execution count are reset
    (``reset(new_session=True)``: numbering starts at 1), every figure is closed, matplotlib's
    settings are those :func:`remember_settings` saw, and warnings are ignored again.
    """
    from IPython import get_ipython

    get_ipython().reset(new_session=True)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    if "rc" in _SETTINGS:
        import matplotlib

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_SETTINGS["rc"])
    warnings.resetwarnings()
    warnings.simplefilter("ignore")


def main() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    warnings.simplefilter("ignore")
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
