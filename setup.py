"""Build step of the wheel: ship the template notebooks and the sample parameters inside the package.

``notebooks/`` and ``params/`` stay where they are in the repository (their one source); building
the wheel copies them into ``rebal/_bundled/`` of the build, so a ``pip install``-ed rebal can lay
out a project home (``rebal init``) with no checkout. An editable install (``pip install -e .``)
copies nothing: :mod:`rebal.bundled` finds the checkout's own folders. Everything else is in
``pyproject.toml``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: the folders shipped, as they are in the repository (rebal.bundled.SHIPPED lists the same)
SHIPPED = ("notebooks", "params")
_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".*")


class BuildPyWithProjectFiles(build_py):
    """``build_py`` that also copies :data:`SHIPPED` into ``rebal/_bundled/`` of the build."""

    def run(self) -> None:
        """Build the package as usual, then copy the shipped folders (not for an editable install)."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        dest = Path(self.build_lib) / "rebal" / "_bundled"
        for name in SHIPPED:
            if (dest / name).exists():
                shutil.rmtree(dest / name)
            shutil.copytree(HERE / name, dest / name, ignore=_IGNORE)


setup(cmdclass={"build_py": BuildPyWithProjectFiles})
