"""A pip-installed rebal starts from nothing: build the wheel, install it into a fresh venv, then from an
empty folder `rebal init`, `rebal data build-sample` and `rebal run` one report.

Offline and quick: the wheel is built without build isolation (the project's own setuptools), installed with
``--no-deps --no-index`` into a venv whose only other path is the project venv's site-packages (the
dependencies, already installed; a plain path line, so the checkout's editable rebal is not seen). Every
command runs in a folder outside the checkout with no ``REBAL_*`` variable.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run(cmd: list, cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{cmd}: exit {res.returncode}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def _source_copy(dst: Path) -> Path:
    """The files a wheel is built from (pyproject, setup.py, MANIFEST.in, README, rebal/, notebooks/, params/)."""
    dst.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(REPO / name, dst / name)
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_bundled", "*.egg-info")
    for name in ("rebal", "notebooks", "params"):
        shutil.copytree(REPO / name, dst / name, ignore=skip)
    return dst


def _fresh_venv(root: Path, wheel: Path, env: dict[str, str]) -> Path:
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], root, env)
    site = Path(subprocess.check_output([venv / "bin" / "python", "-c",
                                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    (site / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet", "--no-deps",
          "--no-index", wheel], root, env)
    return venv


def test_the_wheel_lays_out_a_project_and_runs_a_report_from_an_empty_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REBAL_", "PYTHON", "VIRTUAL_ENV"))}
    src = _source_copy(tmp_path / "src")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", tmp_path / "dist", src], tmp_path, env)
    wheel = next((tmp_path / "dist").glob("rebal-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("rebal/_bundled/notebooks/drift_audit.ipynb", "rebal/_bundled/notebooks/explore/explore.ipynb",
                    "rebal/_bundled/params/profiles/min_variance.yaml", "rebal/_bundled/params/views/bl_tilts.yaml",
                    "rebal/_bundled/params/stress/episodes.yaml", "rebal/report/kernels/rebal-report/kernel.json"):
        assert shipped in names, shipped
    assert not any(".ipynb_checkpoints" in n for n in names)

    venv = _fresh_venv(tmp_path, wheel, env)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # the dependencies' data files (nbconvert's HTML templates) live under the project venv's prefix, where a
    # real install of the dependencies would have put them in the new venv
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    rebal = venv / "bin" / "rebal"
    empty = tmp_path / "empty"
    empty.mkdir()
    where = _run([venv / "bin" / "python", "-c", "import rebal, rebal.home as h; print(rebal.__file__); "
                  "print(h.shipped_root())"], empty, env).stdout.split()
    assert all(str(venv) in w for w in where), where  # the installed wheel, not the checkout

    before = subprocess.run([str(rebal), "profiles"], cwd=empty, env=env, capture_output=True, text=True)
    assert before.returncode == 2 and "rebal init" in before.stderr

    init = _run([rebal, "init", "proj"], empty, env)
    assert "rebal data build-sample" in init.stdout and "rebal run" in init.stdout
    home = empty / "proj"
    assert (home / "params" / "profiles" / "min_variance.yaml").is_file()
    assert (home / "notebooks" / "drift_audit.ipynb").is_file() and (home / "data").is_dir()
    assert (home / "README.md").is_file()

    _run([rebal, "data", "build-sample"], home, env)
    run = _run([rebal, "run", "--profile", "min_variance", "--notebook", "drift_audit", "--workers", "1", "--quiet"],
               home, env)
    weeks = [d for d in (home / "reports").iterdir() if d.is_dir()]
    assert len(weeks) == 1, run.stdout
    week = weeks[0]
    for ext in ("ipynb", "html", "pdf"):
        assert (week / "min_variance" / f"drift_audit.{ext}").is_file()
    assert (week / "committee_packet.pdf").is_file()
    assert (week / "index.html").is_file()
