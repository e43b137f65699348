"""One week's folder of reports (``reports/<as_of>/``): its manifest and its packet, built from the files.

Several runs may write the same week: a rerun of some profiles replaces just their reports, and
two runs at once must not drop each other's. So every run merges its results into ``run.json``
under a lock on the week's folder, keeping the reports of other profiles (and other notebooks)
whose files are still there, and the committee packet is always built from the executed
notebooks and rendered reports on disk: ``rebal packet --as-of DATE`` rebuilds it the same way
without running anything.

A run that has not finished is visible: :func:`begin_run` records it in ``run.json`` under
``in_progress`` (its id, pid, host, start, profiles, staging folder) before any report is written,
with ``status: in progress`` and ``ok: false``; :func:`merge_manifest` removes it when the run ends.
A run that was killed leaves its entry behind: :func:`read_manifest` then reports ``status:
interrupted`` (its process is gone) and ``stale: true``, so neither ``run.json`` nor the packet
built from it claim a complete week; the next run moves the entry to ``runs`` (``interrupted:
true``) and removes the ``.staging-*`` folders no live run owns (:func:`clean_staging`).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from rebal.errors import DataError
from rebal.fileio import atomic_write_json
from rebal.report import registry

__all__ = ["MANIFEST", "PACKET", "STAGING_PREFIX", "week_lock", "read_manifest", "merge_manifest", "write_manifest",
           "packet_entries", "build_packet", "PacketBuild", "week_date", "begin_run", "run_alive", "clean_staging",
           "abandon_run",
           "invalid_profile_entry"]

MANIFEST = "run.json"
PACKET = "committee_packet.pdf"
_LOCK = ".week.lock"
#: staging folders of the runs: ``.staging-<run id>``
STAGING_PREFIX = ".staging-"


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


def run_alive(entry: dict[str, Any]) -> bool:
    """Whether the run of an ``in_progress`` entry is still running (its process exists on this host)."""
    if entry.get("host") != socket.gethostname():
        return True  # another machine's run: it cannot be checked from here, so it is not declared dead
    try:
        os.kill(int(entry.get("pid", 0)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, OverflowError):
        return True
    return int(entry.get("pid", 0)) > 0


def _status(doc: dict[str, Any]) -> dict[str, Any]:
    """Set ``status``, ``stale`` and ``ok`` of a manifest from its reports and its runs in progress."""
    running = doc.get("in_progress") or []
    live = [e for e in running if run_alive(e)]
    stopped = bool((doc.get("runs") or [{}])[-1].get("interrupted"))  # the last run was stopped (SIGTERM, Ctrl-C)
    doc["status"] = "in progress" if live else "interrupted" if running or stopped else "complete"
    doc["stale"] = bool(running)
    doc["ok"] = not running and not stopped and all(r.get("ok") for r in doc.get("reports", []))
    return doc


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """Read the week's ``run.json`` ({} when there is none; a corrupt one is an error naming the file).

    ``status`` is refreshed: ``in progress`` while a run recorded in ``in_progress`` is alive,
    ``interrupted`` (and ``stale: true``, ``ok: false``) when its process is gone without finishing.
    """
    path = out_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, RecursionError) as exc:  # nested too deeply, too
        raise DataError(f"{path}: unreadable run manifest ({type(exc).__name__}); move it aside and rerun") from None
    return _status(doc) if isinstance(doc, dict) else {}


def clean_staging(out_dir: Path, keep: set[str] = frozenset()) -> list[str]:
    """Remove the ``.staging-*`` folders of ``out_dir`` that no live run owns (left by killed runs); return them.

    A folder named in ``keep`` or owned by a live ``in_progress`` run of the manifest stays.
    Call it holding :func:`week_lock`.
    """
    owned = set(keep) | {e.get("staging", "") for e in read_manifest(out_dir).get("in_progress", []) if run_alive(e)}
    removed = []
    for d in sorted(out_dir.glob(f"{STAGING_PREFIX}*")):
        if d.is_dir() and d.name not in owned:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d.name)
    return removed


def begin_run(out_dir: Path, run: dict[str, Any]) -> list[str]:
    """Record ``run`` (id, pid, host, started_at, profiles, staging) as in progress in ``run.json``.

    Under the week's lock: runs whose process is gone are moved to ``runs`` as interrupted, their
    staging folders removed (returned), and the manifest written with this run in ``in_progress``
    (``status: in progress``, ``ok: false``) before any report of this run is published.
    """
    with week_lock(out_dir):
        doc = read_manifest(out_dir)
        removed = clean_staging(out_dir, keep={run.get("staging", "")})
        running = doc.get("in_progress") or []
        dead = [{**e, "interrupted": True} for e in running if not run_alive(e)]
        doc = {"as_of": run["as_of"], "data_latest": run.get("data_latest", doc.get("data_latest", run["as_of"])),
               **{k: v for k, v in doc.items() if k not in ("in_progress", "runs")},
               "runs": [*doc.get("runs", []), *dead][-20:],
               "in_progress": [*(e for e in running if run_alive(e)), run]}
        doc.setdefault("reports", [])
        doc.setdefault("profiles", [])
        doc.setdefault("packet", str(out_dir / PACKET))
        write_manifest(out_dir, _status(doc))
    return removed


def abandon_run(out_dir: Path, run_id: str, why: str) -> None:
    """Record the run ``run_id`` as interrupted (``why``: ``SIGTERM``, ``Ctrl-C``) in ``run.json``, under the lock.

    Its ``in_progress`` entry moves to ``runs`` with ``interrupted: true``, so ``run.json`` does not show
    the week "in progress" after the run stopped; the reports it published stay listed.
    """
    with week_lock(out_dir):
        doc = read_manifest(out_dir)
        running = doc.get("in_progress") or []
        mine = [{**e, "interrupted": True, "why": why,
                 "finished_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
                for e in running if e.get("id") == run_id]
        if not mine:
            return
        doc["in_progress"] = [e for e in running if e.get("id") != run_id]
        doc["runs"] = [*doc.get("runs", []), *mine][-20:]
        write_manifest(out_dir, _status(doc))


def invalid_profile_entry(profile: str, error: str) -> dict[str, Any]:
    """Build the manifest report entry of a profile that could not run at all (invalid, or its data unfit).

    ``notebook`` is empty: the packet's cover lists it as a failure of the profile with ``error``.
    """
    return {"profile": profile, "notebook": "", "ok": False, "seconds": 0.0, "outputs": [], "scraps": {},
            "error": error, "stderr_removed": 0}


def _still_there(report: dict[str, Any]) -> bool:
    outputs = report.get("outputs") or []
    return (not report.get("ok")) or (bool(outputs) and all(Path(o).is_file() for o in outputs))


def merge_manifest(out_dir: Path, run: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge one run's ``reports`` into the week's manifest and return it (not written).

    A (profile, notebook) of this run replaces the recorded one; the others are kept while their
    files exist. ``run`` describes this run (as_of, data_latest, times, workers, and its ``id`` when
    :func:`begin_run` recorded it) and is appended to the manifest's ``runs``; its ``in_progress``
    entry is removed, and those of runs whose process is gone are moved to ``runs`` as interrupted.
    A profile that ran (``run["profiles"]``) drops its earlier "could not run" entry.
    """
    old = read_manifest(out_dir)
    ran = set(run.get("profiles", []))
    kept = {(r["profile"], r["notebook"]): r for r in old.get("reports", [])
            if _still_there(r) and not (r["notebook"] == "" and r["profile"] in ran)}
    for r in reports:
        kept[(r["profile"], r["notebook"])] = r
    order = {name: i for i, name in enumerate(registry.names())}
    merged = sorted(kept.values(), key=lambda r: (r["profile"], order.get(r["notebook"], -1)))
    others = [e for e in old.get("in_progress") or [] if e.get("id") != run.get("id")]
    dead = [{**e, "interrupted": True} for e in others if not run_alive(e)]
    runs = [*old.get("runs", []), *dead, run]
    return _status({"as_of": run["as_of"], "data_latest": run["data_latest"],
                    "updated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                    "profiles": sorted({r["profile"] for r in merged}), "packet": str(out_dir / PACKET),
                    "runs": runs[-20:], "in_progress": [e for e in others if run_alive(e)], "reports": merged})


def packet_entries(out_dir: Path, manifest: dict[str, Any], staged: Path | None = None) -> list:
    """One packet entry per report of the manifest: its PDF, its HTML file and every scrap, read from disk.

    ``staged``: a run's staging folder; a report found there (rendered, not yet published) is read from it.
    A report whose files are gone is left out.
    """
    from rebal.report.packet import PacketEntry
    from rebal.report.scrapfile import read_scraps

    entries = []
    for r in manifest.get("reports", []):
        if not r.get("ok"):
            entries.append(PacketEntry(r["profile"], r["notebook"], error=r.get("error", "failed")))
            continue
        base = out_dir
        if staged is not None and (staged / r["profile"] / f"{r['notebook']}.pdf").is_file():
            base = staged
        files = [base / r["profile"] / f"{r['notebook']}.{ext}" for ext in ("pdf", "html", "ipynb")]
        if not all(f.is_file() for f in files):
            continue
        entries.append(PacketEntry(r["profile"], r["notebook"], read_scraps(files[2]), pdf=files[0],
                                   href=f"{r['profile']}/{r['notebook']}.html"))
    return entries


@dataclass(frozen=True)
class PacketBuild:
    """Where the packet went, how long it is (all pages; the decision document's), and its time by step."""

    pdf: Path
    html: Path
    pages: int
    reports: int
    decision_pages: int = 0
    seconds: dict[str, float] | None = None
    #: how many times the decision document was laid out (1, or 2 when its first guess of its length was wrong)
    layouts: int = 0


def build_packet(out_dir: Path, *, lakehouse_meta: dict[str, str] | None = None,
                 manifest: dict[str, Any] | None = None, staged: Path | None = None,
                 write_to: Path | None = None) -> PacketBuild | None:
    """Build ``committee_packet.pdf`` and ``.html`` of the week in ``out_dir`` from its files.

    The decision document is laid out from the reports' scraps and the reports' own PDFs follow it
    as the appendix, assembled without a second layout (:mod:`rebal.report.packet.build`). Returns
    None when no report of the week rendered. Call it holding :func:`week_lock`. ``manifest``: a
    run's merged manifest (not yet written); ``staged``: its staging folder (reports rendered, not
    yet published); ``write_to``: a folder of its own to write the packet in.
    """
    from rebal.report.execute import prepare_environment

    prepare_environment()  # nothing here needs jsonschema's slow optional import (TOOLCHAIN.md)
    from rebal.report.packet.build import write_packet

    manifest = manifest if manifest is not None else read_manifest(out_dir)
    if not manifest:
        raise DataError(f"{out_dir}: no {MANIFEST}: run the weekly job for this date first (`rebal run --as-of`)")
    entries = packet_entries(out_dir, manifest, staged)
    if not any(e.ok for e in entries):
        return None
    where = write_to if write_to is not None else out_dir
    built = write_packet(entries, where, as_of=manifest["as_of"], data_latest=manifest["data_latest"],
                         facts=lakehouse_meta or {})
    return PacketBuild(built.pdf, built.html, built.pages, built.reports, built.decision_pages, built.seconds,
                       built.layouts)


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``run.json`` atomically, and the week's ``index.html`` from it (:mod:`rebal.report.week_index`)."""
    from rebal.report.week_index import write_index

    path = atomic_write_json(out_dir / MANIFEST, manifest, indent=2, default=str, final_newline=False)
    write_index(out_dir, manifest)
    return path


def week_date(out_dir: Path) -> date:
    """Return the as-of date a week folder is named after."""
    return date.fromisoformat(out_dir.name)
