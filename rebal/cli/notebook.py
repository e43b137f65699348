"""The ``notebook`` command: run one template with papermill's ``-p NAME VALUE``, checked first, errors in one line.

``papermill TEMPLATE OUT -p profil x`` warns and runs the default profile; ``-p as_of 20220630``
ends in a Python traceback of papermill's own frames before the line that says what to write.
``rebal notebook`` checks the names against the template's parameters cell (with "did you mean")
and converts each value to the type of the parameter's default before any kernel starts, runs the
template with the report kernel, and reports a failing cell as one line (exit 2).
"""
from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any

from rebal.cli.common import paths_of

__all__ = ["register", "declared_parameters", "typed_parameters"]


def declared_parameters(template: Path) -> dict[str, Any]:
    """Return the parameters a template declares (its cell tagged ``parameters``) with their default values."""
    import papermill as pm

    out: dict[str, Any] = {}
    for name, info in pm.inspect_notebook(str(template)).items():
        try:
            out[name] = ast.literal_eval(info.get("default") or "None")
        except (ValueError, SyntaxError):
            out[name] = None
    return out


def typed_parameters(template: Path, given: list[list[str]]) -> dict[str, Any]:
    """Check ``given`` (``[[name, value], ...]``) against the template's parameters; convert each value.

    A value takes the type of the parameter's default (all the shipped templates' parameters are
    text, so ``-p as_of 20220630`` stays the text ``"20220630"`` and the template names the date it
    reads). Raises :class:`~rebal.errors.ParameterError` for an unknown name (with "did you mean") or
    a value that is not of the default's type.
    """
    from rebal.config.loader import clip, did_you_mean
    from rebal.errors import ParameterError

    declared = declared_parameters(template)
    out: dict[str, Any] = {}
    for name, value in given:
        if name not in declared:
            raise ParameterError(f"-p {clip(name, 60)}: not a parameter of {template.name} (its parameters: "
                                 f"{', '.join(declared) or 'none'}){did_you_mean(name, declared)}")
        default = declared[name]
        kind = type(default) if isinstance(default, (bool, int, float)) else str
        try:
            out[name] = (value.lower() in ("1", "true", "yes")) if kind is bool else kind(value)
        except ValueError:
            raise ParameterError(f"-p {name} {clip(value, 60)}: expected a {kind.__name__} (the type of its "
                                 f"default {default!r} in {template.name})") from None
    return out


def _cmd_notebook(args: argparse.Namespace) -> int:
    from rebal.errors import ConfigError
    from rebal.report.execute import execute_notebook

    paths = paths_of(args)
    template = Path(args.template)
    if template.suffix != ".ipynb":  # a template name: notebooks/<name>.ipynb of the project
        template = paths.notebooks_dir / f"{args.template}.ipynb"
    if not template.is_file():
        raise ConfigError(f"{template}: template notebook not found")
    params = typed_parameters(template, args.parameters or [])
    if "home" in declared_parameters(template) and "home" not in params:
        params["home"] = str(paths.home)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    execute_notebook(template, out, params, cwd=paths.home)  # a failing cell: NotebookFailure, one line
    print(f"executed {template.name} -> {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    np_ = sub.add_parser("notebook", help="run one template notebook with parameters (papermill -p, checked first)",
                         description="Run a template notebook (a name in notebooks/ or a .ipynb path) into OUTPUT "
                         "with papermill. Each -p NAME VALUE is checked against the template's parameters cell "
                         "before anything runs (an unknown name gets \"did you mean\"); a failing cell is one line "
                         "on stderr, exit code 2. The executed notebook is written either way.")
    np_.add_argument("template", metavar="TEMPLATE", help="e.g. drift_audit, or notebooks/drift_audit.ipynb")
    np_.add_argument("output", metavar="OUTPUT", help="the executed notebook to write (.ipynb)")
    np_.add_argument("-p", "--parameter", dest="parameters", action="append", nargs=2, metavar=("NAME", "VALUE"),
                     help="a parameter, as papermill's -p (repeatable)")
    np_.set_defaults(func=_cmd_notebook)
