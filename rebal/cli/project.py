"""Project commands: ``init`` (a project home from the shipped files) and ``lab`` (JupyterLab on its notebooks)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rebal.cli.common import paths_of, positive_int

__all__ = ["register", "lab_command"]


def _cmd_init(args: argparse.Namespace) -> int:
    from rebal.home import init_home

    res = init_home(args.dir, force=args.force)
    n = len(res.written) + len(res.replaced)
    print(f"laid out a rebal project in {res.home}: {n} files (params/, notebooks/), data/, README.md, .gitignore"
          + (f"; replaced {len(res.replaced)} shipped file(s) with this version's" if res.replaced else "")
          + (f"; kept your {', '.join(str(p) for p in res.kept)}" if res.kept else ""))
    print("next:")
    if res.home != Path.cwd().resolve():
        print(f"  cd {res.home}")
    print("  rebal data build-sample    # the sample lakehouse from real prices shipped in packages (1-2 min)")
    print("  rebal run                  # the weekly reports -> reports/<date>/index.html")
    return 0


def lab_command(notebooks_dir: Path, *, uid: int | None = None, no_browser: bool = False, port: int | None = None,
                ip: str | None = None) -> list[str]:
    """Return the command line that starts JupyterLab on ``notebooks_dir``.

    As root (``uid`` 0, default the effective user id) it carries ``--allow-root``: containers and many dev
    boxes run as root, and Jupyter's server refuses to start there without it.
    """
    uid = os.geteuid() if uid is None else uid
    cmd = [sys.executable, "-m", "jupyterlab", str(notebooks_dir)]
    if uid == 0:
        cmd.append("--allow-root")
    if no_browser:
        cmd.append("--no-browser")
    if port is not None:
        cmd.append(f"--port={port}")
    if ip is not None:
        cmd.append(f"--ip={ip}")
    return cmd


def _cmd_lab(args: argparse.Namespace) -> int:
    from rebal.errors import ConfigError

    paths = paths_of(args)
    if not paths.notebooks_dir.is_dir():
        raise ConfigError(f"{paths.notebooks_dir}: no notebooks folder; lay out a project with `rebal init DIR` "
                          "(or run from inside one)")
    cmd = lab_command(paths.notebooks_dir, no_browser=args.no_browser, port=args.port, ip=args.ip)
    sys.stdout.flush()
    os.chdir(paths.home)
    os.execv(cmd[0], cmd)  # JupyterLab takes over this process (Ctrl-C stops it as usual)
    return 0  # pragma: no cover


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    ip = sub.add_parser("init", help="lay out a project home: sample profiles, report templates, data folder",
                        description="Copy the report templates (notebooks/, with notebooks/explore/), the sample "
                        "profiles, views and stress episodes (params/) shipped with rebal into DIR, with an empty "
                        "data/ folder, a README and a .gitignore, and print the next two commands. Writes over no "
                        "file unless --force.")
    ip.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the project folder (default: the current one)")
    ip.add_argument("--force", action="store_true", help="replace the shipped templates and sample files already in "
                    "DIR with this version's (README.md, .gitignore, your other profiles and data are kept)")
    ip.set_defaults(func=_cmd_init)
    lp = sub.add_parser("lab", help="open the project's notebooks in JupyterLab (as root too)",
                        description="Start JupyterLab on the project's notebooks/ folder, in the project home. As "
                        "root it passes --allow-root (Jupyter refuses root without it). Start with "
                        "notebooks/explore/explore.ipynb.")
    lp.add_argument("--no-browser", action="store_true", help="do not open a browser (print the URL)")
    lp.add_argument("--port", type=positive_int, metavar="N", help="port of the server (default: Jupyter's, 8888)")
    lp.add_argument("--ip", metavar="IP", help="address the server listens on (default: localhost)")
    lp.set_defaults(func=_cmd_lab)
