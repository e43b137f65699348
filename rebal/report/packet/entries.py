"""The reports of a week as the packet sees them: one entry per (profile, report), with its HTML and scraps."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rebal.report.registry import report

__all__ = ["PacketEntry", "by_profile", "profiles", "weekly", "scrap_of"]


@dataclass
class PacketEntry:
    """One report in the packet (or one that failed)."""

    profile: str
    notebook: str
    html: str = ""
    scraps: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def title(self) -> str:
        """Section title: the profile and the report's title."""
        return f"{self.profile} — {report(self.notebook).title}"

    @property
    def anchor(self) -> str:
        """HTML id of the section in the packet."""
        return f"sec-{self.profile}-{self.notebook}"

    @property
    def ok(self) -> bool:
        """Whether the report rendered."""
        return bool(self.html) and not self.error


def profiles(entries: list[PacketEntry]) -> list[str]:
    """Profiles in the order their entries come."""
    return list(dict.fromkeys(e.profile for e in entries))


def by_profile(entries: list[PacketEntry]) -> dict[str, dict[str, PacketEntry]]:
    """Entries keyed by profile, then report name."""
    out: dict[str, dict[str, PacketEntry]] = {}
    for e in entries:
        out.setdefault(e.profile, {})[e.notebook] = e
    return out


def weekly(entries: list[PacketEntry]) -> dict[str, dict[str, Any]]:
    """Collect the weekly review scraps of each profile whose weekly review rendered."""
    return {e.profile: e.scraps for e in entries if e.notebook == "weekly_review" and e.ok}


def scrap_of(entries: list[PacketEntry], profile: str, notebook: str, key: str, default: Any = None) -> Any:
    """One scrap of one report of one profile (``default`` when the report or the scrap is missing)."""
    for e in entries:
        if e.profile == profile and e.notebook == notebook and e.ok:
            return e.scraps.get(key, default)
    return default
