"""Atomic file and directory writes: a reader sees the old content or the new, never half of it.

Every function writes into a temporary name in the *same directory* as the destination (so the
final ``os.replace`` is a rename within one file system, which POSIX makes atomic), flushes and
``fsync``'s the new file, renames it over the destination, then ``fsync``'s the directory so the
rename itself survives a crash. On any error the temporary file is removed and the destination
is untouched.

- :func:`atomic_write_text`, :func:`atomic_write_bytes`, :func:`atomic_write_json`: content in
  memory;
- :func:`atomic_write`: content written by a callback given the temporary path (a figure's
  ``savefig``, a PDF renderer, ``DataFrame.to_parquet``); the temporary name keeps the
  destination's suffix, so writers that infer the format from it work;
- :func:`write_csv`: a DataFrame as CSV, its text cells neutralised for spreadsheets (a cell
  starting with ``=``, ``+``, ``-``, ``@``, tab or CR is a formula there: CSV injection; see
  :func:`rebal.safetext.neutralise_frame`). Every CSV the package writes goes through it;
- :func:`staged_file`: the same as a context manager, for a file built in several steps (a
  DuckDB lakehouse: its ``.wal`` side file is removed too);
- :func:`staged_directory` / :func:`replace_directory`: a directory of files built beside its
  destination and swapped in whole, so no reader mixes old and new files.

Temporary names start with a dot and contain ``.tmp`` (files) or ``.staging`` (directories).
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_write_json", "atomic_write", "write_csv", "staged_file",
           "staged_directory", "replace_directory", "fsync_directory", "destination_of"]

#: Permission bits asked for new files and directories (the process umask applies, as for ``open``).
_FILE_MODE = 0o666
_DIR_MODE = 0o777


_TEMP_NAME = re.compile(r"\A\.(?P<name>.+)\.[0-9a-f]{8}\.(?:tmp(?:\.[^/]*)?|staging|old)\Z")


def destination_of(path: str | Path) -> str:
    """Map a temporary or staging name written here back to the file or directory it stands for.

    ``dir/.a.json.1a2b3c4d.tmp.json`` -> ``dir/a.json``; ``dir/.2024-01-05.1a2b3c4d.staging`` ->
    ``dir/2024-01-05``; any other path (or a path inside a staging directory) is returned unchanged
    but for the staging component. Used to name the right file in an error message.
    """
    p = Path(path)
    parts = [m.group("name") if (m := _TEMP_NAME.match(part)) else part for part in p.parts]
    return str(Path(*parts)) if parts else str(p)


def fsync_directory(directory: str | Path) -> None:
    """``fsync`` a directory, so renames and new entries in it are durable (no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. platforms that cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_name(path: Path) -> Path:
    """Make a fresh hidden name beside ``path`` that keeps its suffix (``a.json`` -> ``.a.json.<hex>.tmp.json``)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}")


def _remove_leftovers(tmp: Path) -> None:
    """Remove ``tmp`` and any side file named after it (``tmp.wal`` of DuckDB)."""
    tmp.unlink(missing_ok=True)
    for side in tmp.parent.glob(f"{glob.escape(tmp.name)}.*"):
        side.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on a clean exit move the file written there into place.

    The file is ``fsync``'ed, renamed over ``path`` with ``os.replace`` and the directory is
    ``fsync``'ed. Whatever happens, the temporary file and its side files are removed; on an
    exception ``path`` is untouched. The parent directory is created when missing. Any
    connection writing the temporary file must be closed before the block ends.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
        fsync_directory(path.parent)
    finally:
        _remove_leftovers(tmp)


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` to produce the file at a temporary path, then move it to ``path`` atomically.

    Examples: ``atomic_write(out, lambda p: fig.savefig(p, dpi=150))``,
    ``atomic_write(pdf, lambda p: html_to_pdf(doc, p))``. Returns ``path``.
    """
    path = Path(path)
    with staged_file(path) as tmp:
        write(tmp)
    return path


def write_csv(path: str | Path, df: Any, **to_csv: Any) -> Path:
    """Write the DataFrame ``df`` to ``path`` as CSV, atomically, with its text cells neutralised for spreadsheets.

    ``to_csv`` are the keyword arguments of ``DataFrame.to_csv`` (``index=False``...); lines end with CRLF
    (RFC 4180), so a text cell holding a line break stays one quoted cell. Numbers stay numbers;
    a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` (OWASP's guidance
    on CSV injection), so ``=cmd|' /C calc'!A0`` from a sector name is shown, never run. Returns ``path``.
    """
    from rebal.safetext import neutralise_frame

    safe = neutralise_frame(df)
    # RFC 4180 line ends: a field holding a carriage return is then quoted too (with "\n" alone it was written bare,
    # and a spreadsheet read it as the start of a new row)
    to_csv.setdefault("lineterminator", "\r\n")
    return atomic_write(path, lambda p: safe.to_csv(p, **to_csv))


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int = _FILE_MODE) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring); return ``path``.

    ``mode`` is the permission of the new file before the umask (default as for ``open``: 0o666).
    """
    path = Path(path)
    with staged_file(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8", mode: int = _FILE_MODE) -> Path:
    """Write ``text`` to ``path`` atomically, as ``Path.write_text(text, encoding)`` would; return ``path``."""
    path = Path(path)
    with staged_file(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w", encoding=encoding) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def atomic_write_json(path: str | Path, obj: Any, *, indent: int | None = 2, sort_keys: bool = False,
                      default: Callable[[Any], Any] | None = None, final_newline: bool = True,
                      mode: int = _FILE_MODE) -> Path:
    r"""Write ``json.dumps(obj, indent=..., sort_keys=..., default=...)`` (UTF-8) to ``path`` atomically.

    ``final_newline`` appends ``"\n"`` (the default). Returns ``path``.
    """
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, default=default)
    return atomic_write_text(path, text + ("\n" if final_newline else ""), mode=mode)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            _fsync_file(Path(dirpath) / name)
        fsync_directory(dirpath)


def replace_directory(stage: str | Path, target: str | Path) -> Path:
    """Swap the complete directory ``stage`` into place as ``target`` (same parent directory).

    Files in ``stage`` are ``fsync``'ed; an existing ``target`` is first renamed aside, then
    ``stage`` is renamed to ``target`` and the old one removed. Between the two renames (a
    moment) ``target`` is absent, never half-written. Returns ``target``.
    """
    stage, target = Path(stage), Path(target)
    _fsync_tree(stage)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
        os.replace(target, old)
    os.replace(stage, target)
    fsync_directory(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


@contextlib.contextmanager
def staged_directory(target: str | Path) -> Iterator[Path]:
    """Yield an empty staging directory beside ``target``; on a clean exit it replaces ``target`` whole.

    On an exception the staging directory is removed and ``target`` is untouched. The parent
    directory is created when missing.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.with_name(f".{target.name}.{secrets.token_hex(4)}.staging")
    stage.mkdir(mode=_DIR_MODE)
    try:
        yield stage
        replace_directory(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
