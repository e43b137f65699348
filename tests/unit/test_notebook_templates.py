"""The template notebooks as committed: thin, no outputs, one literal parameters cell, scraps glued last.

A static read of the .ipynb files (no kernel), so it runs in the fast tier; executing the templates
is tested in tests/integration/test_notebooks.py.
"""
from __future__ import annotations

import json

from conftest import REPO


def test_templates_are_thin_and_committed_without_outputs():
    paths = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert paths, "no template notebooks found"
    for path in paths:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path
        params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
        assert len(params) == 1, f"{path.name}: needs exactly one cell tagged parameters"
        for line in "".join(params[0]["source"]).splitlines():
            assert not line.strip() or line.lstrip().startswith("#") or " = " in line, line
        src = "\n".join("".join(c["source"]) for c in code)
        assert "\ndef " not in "\n" + src and "\nclass " not in "\n" + src, path
        assert "rn.glue(page.REPORT, " in "".join(code[-1]["source"]), f"{path.name}: last cell must glue its scraps"
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
