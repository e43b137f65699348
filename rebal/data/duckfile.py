"""Open a DuckDB file at any legal path: DuckDB reads ``?`` in a path as the start of connection options.

DuckDB (2.0) names its write-ahead log by splitting the path at its first ``?`` (``file.db?opt=1`` ->
``file.db.wal?opt=1``), so a writer of ``/home/team?2/rebal.duckdb`` fails on ``/home/team.wal?2/...``;
it resolves links first, so a link to the directory does not help. Reading is fine (no log is written).
:func:`connect` therefore opens a *writable* lakehouse whose real path holds ``?`` as a copy in a private
temporary directory, under an exclusive lock file beside the lakehouse (``.<name>.writer.lock``), and
the function it returns moves the copy back atomically (:func:`rebal.fileio.atomic_write`) once the
connection is closed (DuckDB checkpoints on close). Readers see the old file or the new one; writers
take turns. Every other path is opened in place.
"""
from __future__ import annotations

import fcntl
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import duckdb

from rebal.errors import DataError

__all__ = ["connect"]


def connect(path: Path, *, read_only: bool) -> tuple[duckdb.DuckDBPyConnection, Callable[[], None]]:
    """Open ``path`` with DuckDB; return the connection and what to call after closing it (see the module docstring)."""
    if read_only or "?" not in str(path.resolve()):
        return duckdb.connect(str(path), read_only=read_only), lambda: None
    from rebal.fileio import atomic_write, destination_of

    dest = Path(destination_of(path))  # a staged build of the file takes the file's own lock
    lock = open(dest.with_name(f".{dest.name}.writer.lock"), "a+")  # noqa: SIM115 - released by finish()
    fcntl.flock(lock, fcntl.LOCK_EX)
    tmp = Path(tempfile.mkdtemp(prefix="rebal-lake-"))
    work = tmp / "lakehouse.duckdb"

    def release() -> None:
        shutil.rmtree(tmp, ignore_errors=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()

    try:
        if "?" in str(tmp.resolve()):
            raise DataError(f"{path}: DuckDB cannot write a file whose path holds '?', and the temporary directory "
                            f"{tmp} holds one too; set TMPDIR to a directory without '?'")
        if path.exists():
            shutil.copyfile(path, work)
        con = duckdb.connect(str(work))
    except BaseException:
        release()
        raise

    def finish() -> None:
        try:
            if work.exists():
                atomic_write(path, lambda p: shutil.copyfile(work, p))
        finally:
            release()

    return con, finish
