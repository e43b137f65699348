"""Concurrent writers of one profile's Last Implemented State: every acceptance is kept, or refused with a clear
message; a state write that cannot happen (read-only directory, disk full) is refused naming the file."""
from __future__ import annotations

import errno
import multiprocessing as mp
import os
from datetime import date

import pandas as pd
import pytest

from rebal.errors import StateError
from rebal.monitor.state import StateStore

WRITERS, EACH = 6, 5


def _writer(directory: str, k: int, barrier) -> int:
    store = StateStore(directory)
    barrier.wait()
    for i in range(EACH):
        w = pd.Series({"AAA": 0.5, "BBB": 0.5 - 0.01 * k, "CASH": 0.01 * k})
        store.accept("p", w, as_of=date(2024, 1, 2), source="target", accepted_by=f"writer{k}", note=f"{k}-{i}")
    return k


def test_parallel_acceptances_are_all_kept(tmp_path):
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), k, barrier)) for k in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    notes = sorted(e.note for e in StateStore(tmp_path).history("p"))
    assert notes == sorted(f"{k}-{i}" for k in range(WRITERS) for i in range(EACH))  # 30 of 30, none lost


def test_a_writer_that_cannot_get_the_lock_is_refused_and_records_nothing(tmp_path):
    store = StateStore(tmp_path)
    w = pd.Series({"AAA": 1.0})
    store.accept("p", w, as_of=date(2024, 1, 2), source="target")
    with store.lock("p"):  # another writer holds it (flock is per open file: this blocks a second open)
        with pytest.raises(StateError, match=r"p\.json: another process has been writing this state file for "
                                             r"0\.2 s; nothing was recorded"):
            with store.lock("p", timeout=0.2):
                pass
    assert len(store.history("p")) == 1


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_failed_state_write_is_one_state_error_naming_the_file(tmp_path, monkeypatch, code):
    store = StateStore(tmp_path)
    store.accept("p", pd.Series({"AAA": 1.0}), as_of=date(2024, 1, 2), source="target")
    before = (tmp_path / "p.json").read_bytes()
    real = os.replace

    def refuse(src, dst, *a, **k):
        if str(dst).endswith("p.json"):
            raise OSError(code, os.strerror(code), str(src))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StateError, match=rf"p\.json: cannot write the state file \({os.strerror(code)}\); "
                                         "nothing was recorded"):
        store.accept("p", pd.Series({"BBB": 1.0}), as_of=date(2024, 1, 3), source="target")
    assert (tmp_path / "p.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_check_writable_names_the_state_file_when_its_directory_refuses_files(tmp_path, monkeypatch):
    real = os.open

    def refuse(path, flags, *a, **k):
        if ".probe." in str(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(StateError, match=r"p\.json: cannot write the state file: its directory .* refuses a new file "
                                         r"\(Read-only file system\)"):
        StateStore(tmp_path).check_writable("p")
