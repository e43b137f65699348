"""The ``rebal`` command: one module per command group; this module assembles the parser and runs it.

Every user error (bad profile, bad data file, stale data) ends with one line on stderr naming
the file and field, and exit code 2; nothing is written. A weekly run in which some report
failed exits 1 after rendering the others. Ctrl-C (exit 130) and SIGTERM (exit 143) stop a command
after its clean-up; what it prints goes through :mod:`rebal.cli.terminal` (control and invisible
characters from data are shown as escapes).
"""
from __future__ import annotations

import argparse
import os
import sys

from rebal import __version__
from rebal.cli import compare, data, lab, monitor, notebook, profiles, project, proposal, risk, run, selection, views
from rebal.cli.common import Parser
from rebal.cli.terminal import Terminated, safe_output, sigterm_as_interrupt
from rebal.errors import RebalError

__all__ = ["main", "build_parser"]

#: an error line longer than this is cut (values echoed in messages are already cut to 120 characters)
MAX_ERROR_CHARS = 2000
#: command groups in the order of ``rebal --help``
GROUPS = (project, profiles, data, monitor, selection, proposal, risk, views, compare, lab, run, notebook)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (exposed for the docs and tests)."""
    p = Parser(prog="rebal", description="Portfolio rebalancing research: data, drift audit, weekly reports.")
    p.add_argument("--version", action="version", version=f"rebal {__version__}")
    p.add_argument("--home", metavar="DIR", help="project root (default: $REBAL_HOME, else the nearest "
                   "directory above the current one holding params/profiles)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rebal`` console script; returns the exit code (``--help`` and usage errors too)."""
    parser = build_parser()
    with safe_output(), sigterm_as_interrupt():  # a usage error may echo an argument: the output is filtered too
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version (0) and usage errors (2, message already printed)
            return int(exc.code or 0)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; turn every error a user can cause into one line on stderr and its exit code."""
    try:
        return int(args.func(args) or 0)
    except RebalError as exc:
        msg = " ".join(str(exc).split())
        if len(msg) > MAX_ERROR_CHARS:  # a safety net: each message already cuts the values it echoes
            msg = msg[:MAX_ERROR_CHARS - 3] + "..."
        sys.stderr.write(f"rebal: error: {msg}\n")
        return 2
    except Terminated:
        sys.stderr.write("rebal: terminated (SIGTERM): stopped after cleaning up; what had not finished was "
                         "discarded, nothing half-written was kept\n")
        return 143
    except KeyboardInterrupt:
        sys.stderr.write("rebal: interrupted\n")
        return 130
    except BrokenPipeError:  # `rebal ... | head`: the reader left; nothing more to say
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - interpreter shutdown flushes it
        except OSError:
            pass
        return 0
    except OSError as exc:  # read-only directory, disk full, permissions: name the path, no traceback
        sys.stderr.write(f"rebal: error: {_os_error_line(exc)}\n")
        return 2


def _os_error_line(exc: OSError) -> str:
    """One line for a file-system error: the path it concerns (the destination, not a temporary name) and why."""
    from rebal.fileio import destination_of

    where = destination_of(exc.filename) if exc.filename else "file system"
    other = destination_of(exc.filename2) if getattr(exc, "filename2", None) else where
    also = f" -> {other}" if other != where else ""
    why = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}{also}: {why}; check the directory's permissions and free space"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
