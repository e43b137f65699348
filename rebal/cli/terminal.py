r"""What the ``rebal`` command does to its terminal: safe output streams, and SIGTERM handled as Ctrl-C.

**Output.** Every text the CLI prints may hold data (ticker names, sectors, who accepted a state and
their note, a profile's description, a value echoed in an error). While a command runs,
:func:`safe_output` puts a filter on ``sys.stdout`` and ``sys.stderr`` that writes every control
character but newline and tab, and every invisible or direction-changing character, as a visible
escape (``\x1b``, ``\r``, ``<U+202E>``: :func:`rebal.safetext.visible`): data cannot clear the
screen, move the cursor, overwrite a line or reverse text. A writer that draws on the terminal itself
(a progress bar) writes to the stream's ``unfiltered`` attribute.

**SIGTERM.** Schedulers and containers stop a job with SIGTERM. :func:`sigterm_as_interrupt` turns it
into :class:`Terminated`, a ``KeyboardInterrupt``, so the clean-up that runs on Ctrl-C runs (a weekly
run stops its workers, removes its staging folder and records itself as interrupted in run.json; an
import rolls its transaction back and closes the lakehouse, leaving no write-ahead log). A second
SIGTERM during the clean-up is ignored.
"""
from __future__ import annotations

import contextlib
import signal
import sys
from typing import Any, Iterator

from rebal.safetext import visible

__all__ = ["Terminated", "SafeStream", "safe_output", "sigterm_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM (raised by :func:`sigterm_as_interrupt`'s handler)."""


class SafeStream:
    """A text stream whose ``write`` makes control and invisible characters visible (newlines and tabs kept)."""

    def __init__(self, stream: Any):
        self.unfiltered = stream

    def write(self, text: str) -> int:
        """Write ``text`` with its unsafe characters escaped; return the length of ``text``."""
        self.unfiltered.write(visible(text, keep_newlines=True))
        return len(text)

    def writelines(self, lines) -> None:
        """Write each line (see :meth:`write`)."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unfiltered, name)


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """Filter ``sys.stdout`` and ``sys.stderr`` through :class:`SafeStream` inside the block."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # the reader left (a broken pipe), or the stream was closed
                pass
        if isinstance(sys.stdout, SafeStream):  # a stream replaced inside the block (the reader left) stays
            sys.stdout = out
        if isinstance(sys.stderr, SafeStream):
            sys.stderr = err


def _on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the clean-up is not interrupted by a second SIGTERM
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM raises :class:`Terminated` (see the module docstring); restored after."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
