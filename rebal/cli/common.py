"""What every command shares: the parser class, argument types, paths and the lakehouse with profiles."""
from __future__ import annotations

import argparse
import sys
from datetime import date

__all__ = ["Parser", "parse_date", "positive_int", "paths_of", "profiles_and_lake", "profile_args", "writable_lake",
           "plain_text", "move_factor", "size_mb", "whole_number"]

#: the most characters of a --by or --note
MAX_NOTE_CHARS = 500


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) and no abbreviated options (``--profil`` is not ``--profile``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        """Write ``message`` as one line on stderr and exit with code 2."""
        sys.stderr.write(f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def parse_date(text: str) -> date:
    """Parse a ``YYYY-MM-DD`` date written with ASCII digits (an argparse type)."""
    try:
        if not text.isascii():
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD, ASCII digits): {text[:60]!r}") from None


def whole_number(text: str) -> int:
    """Parse an integer written with ASCII digits (an argparse type): ``int("５")`` would be 5."""
    from rebal.safetext import ascii_int

    try:
        return ascii_int(text, "value")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None


def positive_int(text: str) -> int:
    """Parse an integer >= 1 written with ASCII digits (an argparse type)."""
    n = whole_number(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, found {n}")
    return n


def _number(text: str) -> float:
    from rebal.safetext import ascii_float

    try:
        return ascii_float(text, "value")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None


def move_factor(text: str) -> float:
    """Parse the ``--max-move`` factor: a finite number above 1 (an argparse type)."""
    x = _number(text)
    if not 1 < x < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a factor above 1 (4 allows +300 % / -75 % a day), found {text[:40]}")
    return x


def size_mb(text: str) -> float:
    """Parse a size in megabytes >= 0 (0: no limit; an argparse type)."""
    x = _number(text)
    if not 0 <= x < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of megabytes >= 0 (0: no limit), found {text[:40]}")
    return x


def plain_text(text: str) -> str:
    """Accept one line of plain text (``--by``, ``--note``): no control, invisible or direction-changing character.

    A newline would forge a line of the drift monitor's output, an escape sequence would clear the
    terminal, U+202E would reverse what a reader sees.
    """
    from rebal.safetext import check_text

    try:
        return check_text(text, "the text", max_chars=MAX_NOTE_CHARS)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def paths_of(args: argparse.Namespace):
    """Return the project's locations, honouring ``--home`` and the ``REBAL_*`` variables."""
    from rebal.paths import get_paths

    return get_paths(args.home)


def profiles_and_lake(args: argparse.Namespace):
    """(paths, open lakehouse, the ``--profile`` profiles validated against its tickers, state store).

    A given ``--as-of`` must lie inside the data (:func:`rebal.data.freshness.check_as_of`, the rule of ``rebal run``).
    """
    from rebal.config import load_profiles
    from rebal.data.freshness import check_as_of
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.state import StateStore

    paths = paths_of(args)
    lh = Lakehouse(paths.lakehouse)
    try:
        profiles = load_profiles(args.profile or None, paths.params_dir, known_tickers=lh.known_tickers())
        if getattr(args, "as_of", None) is not None:
            check_as_of(lh, args.as_of, max_stale_sessions=max(p.data.max_stale_sessions for p in profiles))
    except BaseException:
        lh.close()
        raise
    return paths, lh, profiles, StateStore(paths.states_dir)


def profile_args(parser: argparse.ArgumentParser, what: str = "as of") -> None:
    """Add ``--profile NAME ...`` and ``--as-of DATE``."""
    parser.add_argument("--profile", action="extend", nargs="+", metavar="NAME", help="profile(s) (default: all)")
    parser.add_argument("--as-of", type=parse_date, metavar="DATE", help=f"{what} DATE (default: latest data)")


def writable_lake(paths):
    """Open the lakehouse for writing (a missing file is the standard "not found" error, not a new file)."""
    from rebal.data.lakehouse import Lakehouse

    if not paths.lakehouse.is_file():
        Lakehouse(paths.lakehouse)  # raises the standard "lakehouse not found" error
    return Lakehouse(paths.lakehouse, read_only=False)
