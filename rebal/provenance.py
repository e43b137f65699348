"""Provenance: what a committee member needs to trace a number back to its inputs."""
from __future__ import annotations

import platform
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

from rebal import __version__

__all__ = ["git_commit", "provenance", "utc_stamp"]


def utc_stamp() -> str:
    """Now in UTC to the second, ``YYYY-MM-DDTHH:MM:SSZ`` (recorded times of states, proposals, orders)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def git_commit(root: Path) -> str:
    """``<sha>`` of HEAD at ``root`` (``+dirty`` when the tree has uncommitted changes), or ``unknown``."""
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(*, as_of: date, profile_source: str, profile_sha256: str, snapshot: dict,
               home: Path, started: datetime) -> dict[str, str]:
    """Ordered facts for the end of every report (all values are strings)."""
    finished = datetime.now(timezone.utc)
    counts = snapshot.get("row_counts", {})
    return {
        "As-of date": str(as_of),
        "Data used": f"only rows dated on or before {as_of} (no look-ahead)",
        "Profile file": str(profile_source),
        "Profile SHA-256": profile_sha256,
        "Lakehouse": str(snapshot.get("path", "")),
        "Lakehouse built": str(snapshot.get("built_at", "")),
        "Latest price date used": str(snapshot.get("latest_price_date", "")),
        "Rows (as of)": ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        "rebal version": __version__,
        "Git commit": git_commit(home),
        "Python": platform.python_version(),
        "Run started (UTC)": started.replace(microsecond=0).isoformat(),
        "Run time": f"{(finished - started).total_seconds():.1f} s",
    }
