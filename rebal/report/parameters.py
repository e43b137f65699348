"""A template's parameters as papermill set them: an unknown name is refused with "did you mean".

``papermill template.ipynb out.ipynb -p profil max_sharpe`` only warns "Passed unknown parameter:
profil", injects ``profil = "max_sharpe"`` and runs the report on the default profile. Papermill
injects the parameters as a cell whose first line is ``# Parameters``, run right after the
template's own cell tagged ``parameters``; both are in the kernel's input history. So at start-up
(:func:`rebal.report.widgets.start`) a template compares the names the injected cell assigns with
those its parameters cell declares, and refuses the unknown ones with
:class:`~rebal.errors.ParameterError`, whose notebook output is one line. A template run in Lab
has no injected cell: nothing is checked.
"""
from __future__ import annotations

import ast
from typing import Sequence

from rebal.config.loader import clip, did_you_mean
from rebal.errors import ParameterError

__all__ = ["INJECTED_HEADER", "assigned_names", "unknown_parameters", "check_injected_parameters"]

#: the first line of the cell papermill injects (papermill's ``PythonTranslator``: ``# Parameters``)
INJECTED_HEADER = "# Parameters"


def assigned_names(source: str) -> list[str]:
    """Return the names assigned at the top level of ``source`` (a cell of literals), in order ([] if unparsable)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for t in targets:
            if isinstance(t, ast.Name) and t.id not in out:
                out.append(t.id)
    return out


def unknown_parameters(history: Sequence[str]) -> tuple[list[str], list[str]]:
    """(unknown injected names, declared names) from a kernel's input history (oldest first).

    The injected cell is the last one whose first line is :data:`INJECTED_HEADER`; the declared
    names are those of the cell run just before it (the template's parameters cell). Nothing is
    unknown when there is no injected cell or no parameters cell before it.
    """
    idx = [i for i, src in enumerate(history) if isinstance(src, str) and src.strip()
           and src.strip().splitlines()[0].strip() == INJECTED_HEADER]
    if not idx or idx[-1] == 0:
        return [], []
    declared = assigned_names(history[idx[-1] - 1])
    if not declared:
        return [], []
    return [n for n in assigned_names(history[idx[-1]]) if n not in declared], declared


def check_injected_parameters(history: Sequence[str] | None = None) -> None:
    """Refuse parameters papermill injected that the template does not declare.

    ``history`` defaults to the running IPython kernel's input history (``In``); outside IPython
    nothing is checked.

    Raises
    ------
    ParameterError
        ``notebook parameter `profil` is not a parameter of this template (its parameters: profile,
        as_of, home); did you mean `profile`?``
    """
    if history is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython ships with ipykernel
            return
        ip = get_ipython()
        history = list(ip.user_ns.get("In", [])) if ip is not None else []
    unknown, declared = unknown_parameters(history)
    if unknown:
        name = unknown[0]
        more = f" (and {len(unknown) - 1} more unknown)" if len(unknown) > 1 else ""
        raise ParameterError(f"notebook parameter `{clip(name, 60)}` is not a parameter of this template{more} "
                             f"(its parameters: {', '.join(declared)}){did_you_mean(name, declared)}")
