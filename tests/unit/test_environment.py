"""environment.yml describes the same environment as pyproject.toml."""
from __future__ import annotations

import re
import tomllib

import yaml
from conftest import REPO

# conda-forge names that differ from the PyPI names
CONDA_NAMES = {"duckdb": "python-duckdb", "exchange_calendars": "exchange-calendars", "arch": "arch-py"}
# extras installed with pip only, not part of the conda environment: the benchmarks' peers (bt, PyPortfolioOpt) and
# the local-model provider of the LLM-assisted views (llama-cpp-python compiles llama.cpp: for users with a GGUF file)
PIP_ONLY_EXTRAS = {"bench", "llm-local"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert "test" in extras and PIP_ONLY_EXTRAS <= set(extras)
    mirrored = [r for name, reqs in extras.items() if name not in PIP_ONLY_EXTRAS for r in reqs]
    wanted = {_name(r): r for r in project["dependencies"] + mirrored}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str)}
    for name, req in wanted.items():
        cname = CONDA_NAMES.get(name, name).lower()
        assert cname in conda, f"environment.yml lacks {cname} (pyproject: {req})"
        pin = re.search(r"[<>=!~].*", req.replace(" ", ""))
        if pin:
            assert conda[cname].replace(" ", "").endswith(pin.group(0).split(";")[0]), (conda[cname], req)
    extra = set(conda) - {CONDA_NAMES.get(n, n) for n in wanted} - {"python", "pip"}
    assert not extra, f"environment.yml has packages pyproject.toml does not: {sorted(extra)}"
    pip_part = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip_part
