"""The reports of a week as the packet sees them: one entry per (profile, report), with its files and scraps.

The packet reads the registry for each report's part (:attr:`~rebal.report.registry.ReportSpec.role`
and its hooks): no report is named here or in any packet module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebal.report.registry import ReportSpec, names, report

__all__ = ["PacketEntry", "by_profile", "profiles", "weekly", "scrap_of", "profile_scrap", "spec_of",
           "decision_entry", "ordered"]


@dataclass
class PacketEntry:
    """One report in the packet (or one that failed).

    ``pdf`` is the report's PDF (the appendix is made of them), ``href`` its HTML file relative to the
    week's folder (the HTML packet links it), ``scraps`` every scrap it recorded.
    """

    profile: str
    notebook: str
    scraps: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    pdf: Path | None = None
    href: str = ""

    @property
    def spec(self) -> ReportSpec | None:
        """The report's registry entry (None for a profile that could not run at all)."""
        return spec_of(self.notebook)

    @property
    def title(self) -> str:
        """The report's title (the profile's name for a profile that could not run)."""
        return self.spec.title if self.spec is not None else self.profile

    @property
    def ok(self) -> bool:
        """Whether the report rendered (its PDF exists)."""
        return self.pdf is not None and not self.error


def spec_of(notebook: str) -> ReportSpec | None:
    """Return the registry entry of ``notebook``, or None (an unknown or empty name)."""
    return report(notebook) if notebook in names() else None


def ordered(entries: list[PacketEntry]) -> list[PacketEntry]:
    """Sort entries by profile (in their order of appearance), then in the registry's report order."""
    order = {n: i for i, n in enumerate(names())}
    first = {p: i for i, p in enumerate(profiles(entries))}
    return sorted(entries, key=lambda e: (first[e.profile], order.get(e.notebook, len(order))))


def profiles(entries: list[PacketEntry]) -> list[str]:
    """Profiles in the order their entries come."""
    return list(dict.fromkeys(e.profile for e in entries))


def by_profile(entries: list[PacketEntry]) -> dict[str, dict[str, PacketEntry]]:
    """Entries keyed by profile, then report name."""
    out: dict[str, dict[str, PacketEntry]] = {}
    for e in entries:
        out.setdefault(e.profile, {})[e.notebook] = e
    return out


def decision_entry(entries: list[PacketEntry], profile: str) -> PacketEntry | None:
    """Return the profile's report whose role is the decision (rendered or failed), or None."""
    for e in entries:
        if e.profile == profile and e.spec is not None and e.spec.role == "decision":
            return e
    return None


def weekly(entries: list[PacketEntry]) -> dict[str, dict[str, Any]]:
    """Collect the scraps of each profile's decision report, for the profiles whose decision report rendered."""
    return {e.profile: e.scraps for e in entries if e.ok and e.spec is not None and e.spec.role == "decision"}


def profile_scrap(entries: list[PacketEntry], profile: str, key: str, default: Any = None) -> Any:
    """Return the scrap ``key`` of the profile's first rendered report (registry order) that recorded it."""
    for e in ordered([x for x in entries if x.profile == profile and x.ok]):
        if key in e.scraps:
            return e.scraps[key]
    return default


def scrap_of(entries: list[PacketEntry], profile: str, notebook: str, key: str, default: Any = None) -> Any:
    """One scrap of one report of one profile (``default`` when the report or the scrap is missing)."""
    for e in entries:
        if e.profile == profile and e.notebook == notebook and e.ok:
            return e.scraps.get(key, default)
    return default
