"""Stated limits on inputs, each with its reason and its knob.

Sizes (so nothing silently takes gigabytes) and the plausible range of market data (applied by
:mod:`rebal.data.plausible`):

- **An imported file** larger than :data:`MAX_IMPORT_BYTES` (50 MB) is refused before it is read:
  a CSV takes 15 to 20 times its size in memory while it is parsed and checked (a 74 MB file of
  prices took 1.14 GB; measured here, a 27.8 MB file of 1.25 million price rows peaked at 648 MB of
  which 188 MB is the interpreter's own), so 50 MB is about 1.2 GB. Parquet is compressed: what it holds counts (its
  uncompressed size, and at least 8 bytes a value, from the file's metadata). Knob: ``rebal data
  import ... --max-size MB`` (0: no limit), or split the file (an import of several files is the
  same as one). A long prices file is read in chunks (:mod:`rebal.data.import_stream`: an 85 MB CSV of
  2.5 million rows took 412 MB above the interpreter's base, against 1,072 MB read whole); the limit
  applies to it too, and ``--max-size 0`` is the way to import a larger one.
- **A universe** of more than ``data.max_universe`` names (default :data:`DEFAULT_MAX_UNIVERSE`,
  1,000) is refused when the profile is loaded: the covariance, the optimisers and the simulation
  grow with the square of the names (5,000 names made ``rebal propose`` take 168 s and 3.3 GB).
  Knob: ``data: {max_universe: N}`` in the profile. The factor map of every equity in the
  lakehouse (``rebal factor-map`` without ``--profile``) has the same default limit.
"""
from __future__ import annotations

from pathlib import Path

from rebal.errors import DataError

__all__ = ["MAX_IMPORT_BYTES", "DEFAULT_MAX_UNIVERSE", "check_file_size", "input_bytes", "MIN_PRICE", "MAX_PRICE",
           "MAX_VOLUME", "MAX_SHARES", "MAX_CASH", "MAX_ALPHA", "DEFAULT_MAX_MOVE"]

MAX_IMPORT_BYTES = 50_000_000
DEFAULT_MAX_UNIVERSE = 1000

#: plausible market data (reasons in :mod:`rebal.data.plausible`)
MIN_PRICE = 1e-6
MAX_PRICE = 1e9
MAX_VOLUME = 1e13
MAX_SHARES = 1e12
MAX_CASH = 1e15
MAX_ALPHA = 1e6
#: a one-day close ratio beyond this factor (up or down) is refused at import unless confirmed (``--max-move``)
DEFAULT_MAX_MOVE = 4.0


def input_bytes(path: Path) -> int:
    """Bytes the file stands for: its size; for Parquet at least its uncompressed size and 8 bytes a value.

    A Parquet file is compressed and dictionary-encoded: what it holds, not its size on disk, is what
    reading it costs.
    """
    size = path.stat().st_size
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path)
            size = max(size, sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)),
                       8 * meta.num_rows * meta.num_columns)  # a value takes 8 bytes at least once read
        except Exception:  # not Parquet after all: the reader names the problem
            pass
    return size


def check_file_size(path: Path, max_bytes: int | None) -> None:
    """Raise :class:`DataError` naming the file, its size, the limit and the knob when it is above ``max_bytes``."""
    if not max_bytes:
        return
    size = input_bytes(path)
    if size > max_bytes:
        raise DataError(f"{path}: {size / 1e6:,.1f} MB to read, more than the {max_bytes / 1e6:,.0f} MB limit of an "
                        "import "
                        "(a file takes 15 to 20 times its size in memory while it is checked); split it into smaller "
                        "files, or raise the limit with --max-size MB")
