"""Conventions a user meets first: notebooks committed without outputs (and a hook that keeps them so), `make help`
listing every target, a plain SPDX license, the README's method list, `rebal data --help` naming alpha imports."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "notebooks" / "explore").glob("*.ipynb"))


def _nbstripout() -> str:
    exe = Path(sys.executable).with_name("nbstripout")
    if not exe.is_file():
        pytest.fail("nbstripout is a test dependency (pyproject's test extra): run `make install-test`")
    return str(exe)


def test_committed_notebooks_have_no_outputs_as_nbstripout_sees_them():
    assert len(NOTEBOOKS) >= 9
    res = subprocess.run([_nbstripout(), "--keep-id", "--verify", *map(str, NOTEBOOKS)], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_nbstripout_would_catch_an_output(tmp_path):
    nb = json.loads(NOTEBOOKS[0].read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["secret numbers\n"]}]
    code["execution_count"] = 3
    dirty = tmp_path / "dirty.ipynb"
    dirty.write_text(json.dumps(nb))
    res = subprocess.run([_nbstripout(), "--keep-id", "--verify", str(dirty)], capture_output=True, text=True)
    assert res.returncode == 1


def test_the_pre_commit_hook_strips_the_notebooks_folder():
    cfg = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [h for r in cfg["repos"] for h in r["hooks"] if h["id"] == "nbstripout"]
    assert len(hooks) == 1 and "--keep-id" in hooks[0]["args"]
    assert re.match(hooks[0]["files"], "notebooks/explore/explore.ipynb")
    assert re.match(hooks[0]["files"], "notebooks/drift_audit.ipynb")
    pins = "".join(hooks[0].get("additional_dependencies", []))
    assert "nbstripout" in pins


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_target_including_those_with_digits():
    makefile = (REPO / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split())
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True).stdout
    listed = set(re.findall(r"^  make (\S+)", out, re.M))
    assert {"risk4", "bench-risk4", "check-notebooks", "lab"} <= listed
    assert phony <= listed, sorted(phony - listed)


def test_the_license_is_a_plain_spdx_string():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "BSD-3-Clause"


def test_the_readme_lists_every_target_method():
    from rebal.allocation.registry import TARGET_METHODS

    line = next(ln for ln in (REPO / "README.md").read_text().splitlines() if "method: fixed" in ln and "|" in ln)
    listed = set(re.findall(r"[a-z_0-9]+", line.split("#", 1)[1]))
    assert set(TARGET_METHODS) <= listed, sorted(set(TARGET_METHODS) - listed)


def test_rebal_data_help_mentions_alpha_imports(cli):
    res = cli(None, "data", "--help")
    assert res.returncode == 0 and "alpha" in res.stdout
    assert "alpha" in cli(None, "data", "import", "--help").stdout


def test_sample_comments_name_the_solver_actually_used():
    for path in (REPO / "params" / "profiles").glob("*.yaml"):
        text = path.read_text()
        assert "skfolio MeanRisk" not in text, path.name
        method = yaml.safe_load(text)["target"]["method"]
        if method in ("min_variance", "max_sharpe"):  # rebal's own QP (rebal/allocation/mean_variance.py)
            assert "Clarabel" in text, path.name
