"""One week's folder of reports (``reports/<as_of>/``): its manifest and its packet, built from the files.

Several runs may write the same week: a rerun of some profiles replaces just their reports, and
two runs at once must not drop each other's. So every run merges its results into ``run.json``
under a lock on the week's folder, keeping the reports of other profiles (and other notebooks)
whose files are still there, and the committee packet is always built from the executed
notebooks and rendered reports on disk: ``rebal packet --as-of DATE`` rebuilds it the same way
without running anything.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from rebal.errors import DataError
from rebal.fileio import atomic_write, atomic_write_json, atomic_write_text
from rebal.report import registry

__all__ = ["MANIFEST", "PACKET", "week_lock", "read_manifest", "merge_manifest", "write_manifest", "packet_entries",
           "build_packet", "PacketBuild", "week_date"]

MANIFEST = "run.json"
PACKET = "committee_packet.pdf"
_LOCK = ".week.lock"


@contextlib.contextmanager
def week_lock(out_dir: Path) -> Iterator[None]:
    """Hold the week folder's lock (one writer of ``run.json`` and the packet at a time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / _LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """Read the week's ``run.json`` ({} when there is none; a corrupt one is an error naming the file)."""
    path = out_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: unreadable run manifest ({type(exc).__name__}); move it aside and rerun") from None
    return doc if isinstance(doc, dict) else {}


def _still_there(report: dict[str, Any]) -> bool:
    outputs = report.get("outputs") or []
    return (not report.get("ok")) or (bool(outputs) and all(Path(o).is_file() for o in outputs))


def merge_manifest(out_dir: Path, run: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge one run's ``reports`` into the week's manifest and return it (not written).

    A (profile, notebook) of this run replaces the recorded one; the others are kept while their
    files exist. ``run`` describes this run (as_of, data_latest, times, workers) and is appended
    to the manifest's ``runs``.
    """
    old = read_manifest(out_dir)
    kept = {(r["profile"], r["notebook"]): r for r in old.get("reports", []) if _still_there(r)}
    for r in reports:
        kept[(r["profile"], r["notebook"])] = r
    order = {name: i for i, name in enumerate(registry.names())}
    merged = sorted(kept.values(), key=lambda r: (r["profile"], order.get(r["notebook"], 99)))
    runs = [*old.get("runs", []), run]
    return {"as_of": run["as_of"], "data_latest": run["data_latest"],
            "updated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "ok": all(r["ok"] for r in merged), "profiles": sorted({r["profile"] for r in merged}),
            "packet": str(out_dir / PACKET), "runs": runs[-20:], "reports": merged}


def packet_entries(out_dir: Path, manifest: dict[str, Any]) -> list:
    """One packet entry per report of the manifest: the rendered HTML and every scrap, read from disk."""
    import scrapbook as sb

    from rebal.report.packet import PacketEntry

    entries = []
    for r in manifest.get("reports", []):
        if not r.get("ok"):
            entries.append(PacketEntry(r["profile"], r["notebook"], error=r.get("error", "failed")))
            continue
        html = out_dir / r["profile"] / f"{r['notebook']}.html"
        nb = out_dir / r["profile"] / f"{r['notebook']}.ipynb"
        if not html.is_file() or not nb.is_file():
            continue
        scraps = {k: v.data for k, v in sb.read_notebook(str(nb)).scraps.items()}
        entries.append(PacketEntry(r["profile"], r["notebook"], html.read_text(encoding="utf-8"), scraps))
    return entries


@dataclass(frozen=True)
class PacketBuild:
    """Where the packet went and how long it is."""

    pdf: Path
    html: Path
    pages: int
    reports: int


def build_packet(out_dir: Path, *, lakehouse_meta: dict[str, str] | None = None) -> PacketBuild | None:
    """Build ``committee_packet.pdf`` and ``.html`` of the week in ``out_dir`` from its files.

    Returns None when no report of the week rendered. Call it holding :func:`week_lock`.
    """
    from rebal.report.execute import prepare_environment

    prepare_environment()
    from rebal.report.packet import packet_html
    from rebal.report.render import html_to_pdf

    manifest = read_manifest(out_dir)
    if not manifest:
        raise DataError(f"{out_dir}: no {MANIFEST}: run the weekly job for this date first (`rebal run --as-of`)")
    entries = packet_entries(out_dir, manifest)
    if not any(e.html for e in entries):
        return None
    doc = packet_html(entries, as_of=manifest["as_of"], data_latest=manifest["data_latest"],
                      lakehouse_meta=lakehouse_meta or {})
    pages: list[int] = []
    pdf = atomic_write(out_dir / PACKET, lambda p: pages.append(html_to_pdf(doc, p)))
    html = atomic_write_text(out_dir / "committee_packet.html", doc)
    return PacketBuild(pdf, html, pages[0] if pages else 0, sum(1 for e in entries if e.html))


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``run.json`` atomically."""
    return atomic_write_json(out_dir / MANIFEST, manifest, indent=2, default=str, final_newline=False)


def week_date(out_dir: Path) -> date:
    """Return the as-of date a week folder is named after."""
    return date.fromisoformat(out_dir.name)
