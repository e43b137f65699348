"""A file system that refuses writes (a read-only directory, a full disk) under every command that writes:
one line naming the path, exit code 2, no traceback, nothing recorded.

The tests run as root in CI containers, where chmod cannot make a directory read-only, so a refusing
directory is simulated: every write (``os.open`` for writing, ``os.mkdir``, ``os.replace``) under it
raises the ``OSError`` the kernel would (EROFS, ENOSPC).
"""
from __future__ import annotations

import builtins
import errno
import json
import os
from pathlib import Path

import pytest
from conftest import assert_one_line_error, file_digest

from rebal.data.lakehouse import Lakehouse

_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def refuse_writes(monkeypatch: pytest.MonkeyPatch, under: Path, code: int = errno.EROFS) -> None:
    """Make every write under ``under`` fail with ``code`` (reads still work)."""
    root = str(under)
    real_open, real_mkdir, real_replace, real_bopen = os.open, os.mkdir, os.replace, builtins.open

    def inside(path) -> bool:
        return str(os.fspath(path)).startswith(root)

    def fail(path):
        raise OSError(code, os.strerror(code), str(os.fspath(path)))

    def o_open(path, flags, *a, **k):
        if inside(path) and flags & _WRITE:
            fail(path)
        return real_open(path, flags, *a, **k)

    def o_mkdir(path, *a, **k):
        if inside(path):
            fail(path)
        return real_mkdir(path, *a, **k)

    def o_replace(src, dst, *a, **k):
        if inside(dst):
            fail(src)
        return real_replace(src, dst, *a, **k)

    def b_open(file, mode="r", *a, **k):
        if isinstance(file, (str, os.PathLike)) and inside(file) and any(c in mode for c in "wax+"):
            fail(file)
        return real_bopen(file, mode, *a, **k)

    monkeypatch.setattr(os, "open", o_open)
    monkeypatch.setattr(os, "mkdir", o_mkdir)
    monkeypatch.setattr(os, "replace", o_replace)
    monkeypatch.setattr(builtins, "open", b_open)


CODES = [errno.EROFS, errno.ENOSPC]


@pytest.mark.parametrize("code", CODES)
def test_accept_state_with_a_refusing_states_directory(tiny_home, cli, monkeypatch, code):
    states = tiny_home / "data" / "lakehouse" / "states"
    assert cli(tiny_home, "accept-state").returncode == 0
    before = (states / "tiny.json").read_bytes()
    with monkeypatch.context() as m:
        refuse_writes(m, states, code)
        res = cli(tiny_home, "accept-state")
    assert_one_line_error(res, "states", os.strerror(code))
    assert (states / "tiny.json").read_bytes() == before


@pytest.mark.parametrize("code", CODES)
def test_a_first_drift_monitor_run_with_a_refusing_states_directory(tiny_home, cli, monkeypatch, code):
    states = tiny_home / "data" / "lakehouse" / "states"
    with monkeypatch.context() as m:
        refuse_writes(m, tiny_home / "data" / "lakehouse" / "states", code)
        res = cli(tiny_home, "drift-monitor")
    assert_one_line_error(res, "states", os.strerror(code))
    assert not (states / "tiny.json").exists()


@pytest.mark.parametrize("code", CODES)
def test_run_with_a_refusing_reports_directory(tiny_home, cli, monkeypatch, code):
    before = file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb")
    with monkeypatch.context() as m:
        refuse_writes(m, tiny_home / "reports", code)
        res = cli(tiny_home, "run", "--workers", "1")
    assert_one_line_error(res, "reports", os.strerror(code))
    assert not (tiny_home / "reports").exists()
    assert file_digest(tiny_home / "data" / "lakehouse" / "rebal.duckdb") == before


@pytest.mark.parametrize("code", CODES)
def test_propose_with_a_refusing_reports_directory_records_no_proposal(sample_home, cli, monkeypatch, code):
    with monkeypatch.context() as m:
        refuse_writes(m, sample_home / "reports", code)
        res = cli(sample_home, "propose", "--profile", "min_variance")
    assert_one_line_error(res, "reports", "min_variance", os.strerror(code))
    with Lakehouse(sample_home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        n = lh.con.execute("SELECT count(*) FROM proposals").fetchone()[0] if "proposals" in lh.table_names() else 0
    assert n == 0


@pytest.mark.parametrize("code", CODES)
def test_backtest_with_a_refusing_reports_directory(sample_home, cli, monkeypatch, code):
    with monkeypatch.context() as m:
        refuse_writes(m, sample_home / "reports", code)
        res = cli(sample_home, "backtest", "--profile", "min_variance", "--rule", "threshold:0.05", "--start",
                  "2021-01-04", "--workers", "1")
    assert_one_line_error(res, "reports", "backtests", os.strerror(code))
    assert not (sample_home / "reports").exists()


def test_a_temporary_name_is_reported_as_its_destination():
    from rebal.fileio import destination_of

    assert destination_of("/r/2024/p/.proposal.json.1a2b3c4d.tmp.json") == "/r/2024/p/proposal.json"
    assert destination_of("/r/.2024-01-05.1a2b3c4d.staging/p/x.html") == "/r/2024-01-05/p/x.html"
    assert destination_of("/r/plain.json") == "/r/plain.json"
    json.dumps(destination_of("x"))
