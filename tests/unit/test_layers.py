"""Imports go one way: foundation <- data <- analytics <- domains <- report <- cli (README, Architecture)."""
from __future__ import annotations

import ast

from conftest import REPO

FOUNDATION = {"rebal", "rebal.errors", "rebal.paths", "rebal.fileio", "rebal.calendar", "rebal.provenance",
              "rebal.config.loader", "rebal.analytics.measures"}
RANK = {"data": 1, "analytics": 2, "allocation": 3, "selection": 3, "monitor": 3, "proposal": 3, "lab": 3,
        "config": 3, "decision": 3, "stress": 3, "llm": 3, "report": 4, "cli": 5, "__main__": 5}
#: the one import against the flow, made at call time: a profile's `notebooks:` list is checked against the
#: reports the report package declares (and a profile without one gets the declared defaults)
ALLOWED = {("rebal.config.profile", "rebal.report.registry")}


def _rank(module: str) -> int:
    if module in FOUNDATION:
        return 0
    parts = module.split(".")
    return RANK.get(parts[1], 0) if len(parts) > 1 else 0


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rebal"):
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("rebal"))


def test_imports_flow_one_way():
    wrong = []
    for path in sorted((REPO / "rebal").rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")
        for target in _imports(path):
            if _rank(target) > _rank(module) and (module, target) not in ALLOWED:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(REPO)}: {n}" for p in (REPO / "rebal").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400]
    assert not long, long


def test_every_subpackage_says_what_it_holds_in_one_line():
    for init in (REPO / "rebal").rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and doc.splitlines()[0].strip(), init
