"""`make lab` starts JupyterLab, as root too (Jupyter refuses root without --allow-root): started with
--no-browser, waited for, stopped."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import REPO

from rebal.cli.project import lab_command

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_as_root_the_command_carries_allow_root(tmp_path):
    assert "--allow-root" in lab_command(tmp_path, uid=0)
    assert "--allow-root" not in lab_command(tmp_path, uid=1000)
    cmd = lab_command(tmp_path, uid=0, no_browser=True, port=8899)
    assert cmd[1:4] == ["-m", "jupyterlab", str(tmp_path)] and "--no-browser" in cmd and "--port=8899" in cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 120) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}: {proc.stdout.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no answer from {url} in {seconds} s")


def test_make_lab_starts_jupyterlab_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")}
    env |= {"JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws")}
    # -o: the target's lakehouse prerequisite is not built here (the server does not need it to start)
    missing = "data/lakehouse/not-built-by-this-test.duckdb"
    cmd = ["make", "--no-print-directory", "-o", missing, f"LAKEHOUSE={missing}", "lab",
           f"LAB_ARGS=--no-browser --port={port} --ip=127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        status = _wait_for(f"http://127.0.0.1:{port}/api", proc)
        assert "version" in status
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the process group this test started: make and the server
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
    assert "Use --allow-root to bypass" not in out  # what Jupyter says when it refuses root
    assert f".venv/bin/rebal lab --no-browser --port={port}" in out  # make echoes the command it ran
