"""What every command shares: the parser class, argument types, paths and the lakehouse with profiles."""
from __future__ import annotations

import argparse
import sys
from datetime import date

__all__ = ["Parser", "parse_date", "positive_int", "paths_of", "profiles_and_lake", "profile_args", "writable_lake"]


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
    """Parse a ``YYYY-MM-DD`` date (an argparse type)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def positive_int(text: str) -> int:
    """Parse an integer >= 1 (an argparse type)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, found {n}")
    return n


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
