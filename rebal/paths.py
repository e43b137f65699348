"""Where profiles, data, state and reports live: one place, overridable.

The project root ("home") is, in order: the ``REBAL_HOME`` environment variable; the first
directory at or above the current working directory that holds ``params/profiles``; the current
working directory. Each location can be overridden on its own:

========================  ===============================  =======================================
variable                  default                          what
========================  ===============================  =======================================
``REBAL_PARAMS_DIR``      ``<home>/params/profiles``       one YAML file per profile
``REBAL_LAKEHOUSE``       ``<home>/data/lakehouse/rebal.duckdb``  the DuckDB lakehouse file
``REBAL_REPORTS_DIR``     ``<home>/reports``               rendered reports
``REBAL_NOTEBOOKS_DIR``   ``<home>/notebooks``             template notebooks
========================  ===============================  =======================================
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from rebal.errors import ConfigError

__all__ = ["Paths", "find_home", "get_paths", "validate_profile_name", "PROFILE_NAME_RE"]

#: A profile name is a safe path component: it names files under params/, states/ and reports/. ``\Z``, not ``$``:
#: ``$`` also matches before a trailing newline, which would admit ``"tiny\n"`` as a 5-character name.
PROFILE_NAME_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")


def find_home(start: Path | None = None) -> Path:
    """Return the project root (see the module docstring for the search order)."""
    env = os.environ.get("REBAL_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "params" / "profiles").is_dir():
            return candidate
    return here


@dataclass(frozen=True)
class Paths:
    """Resolved locations used by the CLI, the runner and the notebooks."""

    home: Path
    params_dir: Path
    lakehouse: Path
    reports_dir: Path
    notebooks_dir: Path

    @property
    def lakehouse_dir(self) -> Path:
        """Directory holding the lakehouse file (and its state files)."""
        return self.lakehouse.parent

    @property
    def states_dir(self) -> Path:
        """Accepted portfolio states, one JSON file per profile."""
        return self.lakehouse_dir / "states"


def get_paths(home: str | Path | None = None) -> Paths:
    """Resolve all locations, honouring the ``REBAL_*`` environment overrides."""
    root = Path(home).expanduser().resolve() if home else find_home()

    def pick(var: str, default: Path) -> Path:
        value = os.environ.get(var)
        return Path(value).expanduser().resolve() if value else default

    return Paths(
        home=root,
        params_dir=pick("REBAL_PARAMS_DIR", root / "params" / "profiles"),
        lakehouse=pick("REBAL_LAKEHOUSE", root / "data" / "lakehouse" / "rebal.duckdb"),
        reports_dir=pick("REBAL_REPORTS_DIR", root / "reports"),
        notebooks_dir=pick("REBAL_NOTEBOOKS_DIR", root / "notebooks"),
    )


def validate_profile_name(name: str) -> str:
    """Return ``name`` if it is a safe path component, else raise :class:`ConfigError`."""
    if not isinstance(name, str) or not PROFILE_NAME_RE.fullmatch(name):
        raise ConfigError(
            f"invalid profile name {repr(name)[:70]}: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or digit (no '/', '..' or spaces)"
        )
    return name
