"""Last Implemented State (LIS): what was implemented, when, and by whom, with its history.

One JSON file per profile, ``<lakehouse dir>/states/<profile>.json``::

    {"schema": 1, "profile": "...", "history": [
        {"accepted_at": "...Z", "accepted_by": "...", "as_of": "YYYY-MM-DD",
         "source": "target|holdings", "note": "...", "weights": {"AAPL": 0.1, ..., "CASH": 0.0}},
        ...]}

The last entry is the current state; nothing is ever removed. Writers of one profile take turns:
:meth:`StateStore.accept` holds an exclusive ``fcntl.flock`` on ``.<profile>.lock`` beside the file
while it reads the history and writes it back, so two acceptances at once are both kept (a writer
that cannot get the lock within :data:`LOCK_TIMEOUT` seconds is refused, naming the file, and
records nothing). Before the lock, the file and its directory are checked to be writable. Writes are atomic
(:func:`rebal.fileio.atomic_write_text`: a temporary file in the same directory, flushed and
fsync'ed, then ``os.replace`` and an fsync of the directory), so a crash leaves either the old
or the new file, never a broken or empty one. A file that does not parse or validate is an
error naming the file; it is never overwritten.

Accepted states live in files beside the lakehouse rather than in the DuckDB file because DuckDB
admits one writer at a time: accepting a state must not fail while reports are reading.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import getpass
import json
import math
import os
import socket
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

import pandas as pd

from rebal.errors import StateError
from rebal.fileio import atomic_write_text
from rebal.paths import validate_profile_name
from rebal.provenance import utc_stamp
from rebal.safetext import check_text

__all__ = ["StateEntry", "StateStore", "default_actor", "LOCK_TIMEOUT"]

_SCHEMA = 1
_TOL = 1e-6
#: seconds a writer waits for another writer of the same profile before it is refused
LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class StateEntry:
    """One accepted (implemented) state."""

    accepted_at: str
    accepted_by: str
    as_of: date
    source: str
    note: str
    weights: pd.Series

    def to_json(self) -> dict:
        """Return the entry as plain types (weights as fractions by ticker), as stored in the state file."""
        return {"accepted_at": self.accepted_at, "accepted_by": self.accepted_by, "as_of": str(self.as_of),
                "source": self.source, "note": self.note,
                "weights": {k: float(v) for k, v in self.weights.items()}}


def default_actor() -> str:
    """``user@host`` of whoever runs the command."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _plain(text: object, field: str) -> str:
    """``text`` as a string, refusing control, invisible and direction-changing characters (they are shown later)."""
    return check_text(str(text), f"`{field}`")


def _entry(raw: dict, src: str, i: int) -> StateEntry:
    try:
        w = raw["weights"]
        if not isinstance(w, dict) or not w:
            raise ValueError("`weights` must be a non-empty mapping")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in w.values()):
            raise ValueError("`weights` must be numbers (a quoted \"0.5\" is text)")
        vals = [float(v) for v in w.values()]
        if not all(math.isfinite(v) for v in vals):
            raise ValueError("`weights` has a non-finite value")
        if abs(sum(vals) - 1.0) > _TOL:
            raise ValueError(f"`weights` sum to {sum(vals):.6f}, not 1")
        as_of = date.fromisoformat(raw["as_of"])
        if as_of > date.today():
            raise ValueError(f"`as_of` {as_of} is after today ({date.today()}): a state is implemented in the past; "
                             "it would be ignored by every run until then")
        return StateEntry(_plain(raw["accepted_at"], "accepted_at"), _plain(raw["accepted_by"], "accepted_by"), as_of,
                          _plain(raw.get("source", "target"), "source"), _plain(raw.get("note", ""), "note"),
                          pd.Series({_plain(k, "weights"): float(v) for k, v in w.items()}, name="weight"))
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise StateError(f"{src}: corrupted state file: history entry {i}: {msg}") from None


class StateStore:
    """Accepted states of every profile, in ``directory`` (one JSON file per profile)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def __cache_key__(self) -> tuple:
        """Key for :mod:`rebal.cache`: the directory and the size and modification time of each of its files."""
        try:
            entries = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(self.directory)
                             if e.is_file())
        except OSError:
            entries = []
        return str(self.directory.resolve()), tuple(entries)

    def path(self, profile: str) -> Path:
        """Return the state file of ``profile`` (the name is validated)."""
        return self.directory / f"{validate_profile_name(profile)}.json"

    def history(self, profile: str) -> list[StateEntry]:
        """Every accepted state, oldest first; empty when the profile has no state file."""
        p = self.path(profile)
        if not p.exists():
            return []
        src = str(p)
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StateError(f"{src}: corrupted state file: not valid JSON ({exc.__class__.__name__}); "
                             "it was left untouched: restore it or move it aside") from None
        except RecursionError:  # e.g. 100,000 nested lists: not a state file
            raise StateError(f"{src}: corrupted state file: nested too deeply to be a state file; it was left "
                             "untouched: restore it or move it aside") from None
        if not isinstance(raw, dict) or raw.get("schema") != _SCHEMA or raw.get("profile") != profile \
                or not isinstance(raw.get("history"), list) or not raw["history"]:
            raise StateError(f"{src}: corrupted state file: expected schema {_SCHEMA}, profile {profile!r} "
                             "and a non-empty history; it was left untouched")
        return [_entry(e, src, i) for i, e in enumerate(raw["history"])]

    def current(self, profile: str, as_of: date | None = None) -> StateEntry | None:
        """Return the latest accepted state (with ``as_of`` on or before the given date), or None."""
        entries = [e for e in self.history(profile) if as_of is None or e.as_of <= as_of]
        return entries[-1] if entries else None

    @contextlib.contextmanager
    def lock(self, profile: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the profile's writer lock (``.<profile>.lock`` beside its file); refuse after ``timeout`` seconds."""
        path = self.path(profile)
        lock_path = path.with_name(f".{path.stem}.lock")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fh = open(lock_path, "a+")  # noqa: SIM115 - closed below, after the lock is released
        except OSError as exc:
            raise StateError(f"{lock_path}: cannot open the state lock ({exc.strerror or exc}); nothing was "
                             "recorded") from None
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                        raise StateError(f"{path}: another process has been writing this state file for "
                                         f"{timeout:g} s; nothing was recorded: try again") from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            fh.close()

    def check_writable(self, profile: str) -> None:
        """Raise :class:`StateError` naming the path unless the profile's state file can be written now.

        Checks what can be checked before anything changes: the history parses (a corrupted file is
        never overwritten), the directory exists or can be created and accepts a new file.
        """
        self.history(profile)
        path = self.path(profile)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = path.with_name(f".{path.stem}.probe.{os.getpid()}")
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise StateError(f"{path}: cannot write the state file: its directory {self.directory} refuses a new "
                             f"file ({exc.strerror or exc})") from None

    def accept(self, profile: str, weights: pd.Series, *, as_of: date, source: str, accepted_by: str | None = None,
               note: str = "") -> StateEntry:
        """Append a new accepted state and write the file atomically, under the profile's lock; return the entry.

        Raises :class:`StateError` naming the file when the weights are not finite or do not sum to 1,
        the file is corrupted, the lock cannot be had within :data:`LOCK_TIMEOUT` seconds, or the write
        fails (read-only directory, disk full); the file is then as it was.
        """
        with self.lock(profile):
            entry, text = self.prepare(profile, weights, as_of=as_of, source=source, accepted_by=accepted_by,
                                       note=note)  # read under the lock: a concurrent acceptance is in it
            self.write_prepared(profile, text)
        return entry

    def prepare(self, profile: str, weights: pd.Series, *, as_of: date, source: str, accepted_by: str | None = None,
                note: str = "") -> tuple[StateEntry, str]:
        """Build the new entry and the file's new text without writing it (the caller holds :meth:`lock`).

        Everything that can fail short of the write itself fails here: weights that are not finite or
        do not sum to 1, a corrupted history, a value JSON cannot hold. :meth:`write_prepared` writes it.
        """
        w = weights.astype(float)
        if not w.map(math.isfinite).all() or abs(float(w.sum()) - 1.0) > _TOL:
            raise StateError(f"state for {profile!r}: weights must be finite and sum to 1, found {float(w.sum()):.6f}")
        for field, text in (("accepted_by", accepted_by or ""), ("note", note or "")):
            try:
                check_text(text, f"`{field}`")
            except ValueError as exc:
                raise StateError(f"{self.path(profile)}: {exc}; nothing was recorded") from None
        if as_of > date.today():
            raise StateError(f"{self.path(profile)}: `as_of` {as_of} is after today ({date.today()}); nothing was "
                             "recorded")
        history = self.history(profile)  # raises on a corrupted file: never overwrite it
        entry = StateEntry(utc_stamp(),
                           accepted_by or default_actor(), as_of, source, note, w[w.abs() > 0].rename("weight"))
        doc = {"schema": _SCHEMA, "profile": profile, "history": [e.to_json() for e in [*history, entry]]}
        try:
            text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
        except (TypeError, ValueError) as exc:
            raise StateError(f"{self.path(profile)}: the new state cannot be written as JSON ({exc})") from None
        return entry, text

    def write_prepared(self, profile: str, text: str) -> None:
        """Write the text from :meth:`prepare` atomically (owner-only); a failure is a :class:`StateError`."""
        try:
            # owner-only, as the files have always been written (who accepted what is not for everyone)
            atomic_write_text(self.path(profile), text, mode=0o600)
        except OSError as exc:
            raise StateError(f"{self.path(profile)}: cannot write the state file ({exc.strerror or exc}); "
                             "nothing was recorded") from None
