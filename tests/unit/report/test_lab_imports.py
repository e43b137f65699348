"""What a template's imports cost in JupyterLab's first cell: no scikit-learn, SciPy's stats or NYSE calendar.

scikit-learn (and, through ``sklearn.utils.fixes``, ``scipy.stats``: most of its import time) loads when an
allocator is built and fitted, and the NYSE calendar when a session is counted (from its cache file,
:mod:`rebal.calendar`); importing the package for a template, a profile or the method registry loads neither.
"""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

HEAVY = ("sklearn", "scipy.stats", "exchange_calendars", "skfolio", "statsmodels", "scrapbook", "papermill")


def _imports(name: str) -> list[str]:
    nb = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())
    return [line for c in nb["cells"] if c["cell_type"] == "code" for line in "".join(c["source"]).splitlines()
            if line.startswith(("from ", "import "))]


def _loaded(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO).stdout
    return json.loads(out.strip().replace("'", '"'))


def test_the_templates_imports_load_nothing_heavy():
    """All templates' import lines in one process (if their union loads none of HEAVY, no single one does)."""
    names = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    imports = [line for n in names for line in _imports(n)]
    assert len(names) >= 8 and all(_imports(n) for n in names)
    assert _loaded("\n".join(dict.fromkeys(imports))) == []


def test_the_package_profiles_and_registry_load_nothing_heavy():
    code = ("import rebal.allocation, rebal.allocation.registry, rebal.allocation.spec, rebal.config, rebal.calendar\n"
            "from rebal.config import load_profile\n"
            f"load_profile('min_variance', {str(REPO / 'params' / 'profiles')!r})")
    assert _loaded(code) == []
