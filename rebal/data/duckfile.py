"""Open a DuckDB file at any legal path: DuckDB reads ``?`` in a path as the start of connection options.

``duckdb.connect("/home/team?2/rebal.duckdb")`` writes its write-ahead log to ``/home/team.wal?2/...``
and fails. :func:`connect` opens such a file through a symbolic link to its directory, made in a
private temporary directory (removed when the connection closes), so the log is written beside the
file as usual. A file *named* with a ``?`` cannot be opened that way and is refused with the reason.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import duckdb

from rebal.errors import DataError

__all__ = ["connect"]


def connect(path: Path, *, read_only: bool) -> tuple[duckdb.DuckDBPyConnection, Callable[[], None]]:
    """Open ``path`` with DuckDB; return the connection and a function that removes the link made for it (if any)."""
    if "?" not in str(path):
        return duckdb.connect(str(path), read_only=read_only), lambda: None
    if "?" in path.name:
        raise DataError(f"{path}: DuckDB cannot open a file whose name holds '?' (it reads the rest as options); "
                        "rename the file")
    tmp = tempfile.mkdtemp(prefix="rebal-lake-")
    link = Path(tmp) / "d"
    try:
        os.symlink(path.parent.resolve(), link, target_is_directory=True)
        con = duckdb.connect(str(link / path.name), read_only=read_only)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return con, lambda: shutil.rmtree(tmp, ignore_errors=True)
