"""The weekly job: run every profile's template notebooks, render HTML + PDF, build the packet.

Order of work, so that bad input costs nothing and leaves nothing behind:

1. validate every requested profile and the data it needs (holdings, fresh prices, enough
   history) as of the run date; a profile that fails is left out and reported (in ``run.json`` as
   a report with an empty ``notebook``, on the packet's cover, on stderr; the exit code is 1) while
   the others run; when none is valid, or the problem is not one profile's (no lakehouse, an
   ``--as-of`` outside the data), it raises before a file is written;
2. record the run as in progress in ``run.json`` (:func:`rebal.report.week.begin_run`, which also
   removes the staging folders of killed runs), then run (profile, notebook) jobs in parallel
   processes that die with the run (:mod:`rebal.report.workers`), or on a Dask distributed cluster
   (``scheduler``, :mod:`rebal.report.cluster`, reached before step 2): papermill into a staging
   directory, then HTML (:mod:`rebal.report.jobs`); locally a profile's proposal-sharing reports run as
   one chain in one worker, whose reused kernel builds the proposal once (:mod:`rebal.report.warm_kernel`);
3. render the reports' PDFs in the workers (on a cluster the workers render them in step 2); a report's
   files move into ``reports/<as_of>/<profile>/`` only when all three exist, so a failing notebook leaves
   no partial report (its executed notebook is kept as ``<notebook>.failed.ipynb`` for diagnosis);
   ``run.json`` is written, then the committee packet is assembled from the published reports (a short
   decision document laid out, the reports' own PDFs appended: :mod:`rebal.report.packet`); ``run.json``
   records the run and the split of its time.
"""
from __future__ import annotations

import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from rebal.config import Profile, list_profiles, load_profile
from rebal.data.freshness import check_as_of
from rebal.data.lakehouse import Lakehouse
from rebal.errors import ConfigError, DataError, RebalError
from rebal.monitor.state import StateStore
from rebal.paths import Paths, get_paths
from rebal.report import registry, week
from rebal.report.jobs import (
    ReportResult,
    html_job,
    notebook_stage,
    pdf_job,
    phase_totals,
    publish_stage,
    report_job,
    worker_failed,
)
from rebal.report.workers import run_local, run_pool

__all__ = ["ReportResult", "RunOutcome", "preflight", "run_weekly", "phase_totals"]


@dataclass
class RunOutcome:
    """Outcome of a weekly run."""

    as_of: date
    out_dir: Path
    reports: list[ReportResult]
    packet: Path | None
    seconds: float
    #: profiles left out before running, with their one-line error: [{"profile", "error"}]
    invalid: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every requested profile ran and every report rendered."""
        return not self.invalid and all(r.ok for r in self.reports)


def preflight(profile: Profile, lh: Lakehouse, as_of: date, states: StateStore | None = None) -> None:
    """Check the data a profile's reports need as of ``as_of``; raise :class:`DataError` if unfit."""
    from rebal.monitor.audit import check_inputs

    view = lh.at(as_of)
    check_inputs(profile, view, as_of, states)
    if profile.risk4 is not None:
        from rebal.selection.risk4 import risk4_target

        risk4_target(profile, view, as_of)  # a blocked Risk4 run stops the job before anything is written
    if profile.target.method != "fixed":
        sessions = view.sessions()
        need = profile.target.lookback_days + 1
        if len(sessions) < need:
            raise DataError(f"{profile.source}: `target.lookback_days`: {profile.target.lookback_days} "
                            f"returns need {need} sessions up to {as_of}, the lakehouse has {len(sessions)}")
        px = view.prices(list(profile.tickers), start=sessions[-need].date())
        missing = px.columns[px.isna().any()].tolist()
        if missing:
            raise DataError(f"{profile.source}: `universe`: {missing[0]!r} lacks prices in the "
                            f"{profile.target.lookback_days}-session lookback ending {as_of}")


def _log(msg: str, enabled: bool) -> None:
    if enabled:
        print(msg, file=sys.stderr, flush=True)


def run_weekly(
    *,
    profiles: list[str] | None = None,
    as_of: date | None = None,
    workers: int | None = None,
    notebooks: list[str] | None = None,
    paths: Paths | None = None,
    progress: bool = True,
    scheduler: str | None = None,
    pdf: bool = True,
    packet: bool = True,
) -> RunOutcome:
    """Run the weekly job (see the module docstring) and return what happened.

    ``scheduler`` (a Dask scheduler address) sends the report jobs to a Dask distributed cluster
    instead of ``workers`` local processes (:mod:`rebal.report.cluster`); the outputs, file layout,
    ``run.json`` and packet are the same, and ``run.json`` records where the reports ran.

    ``pdf=False`` (``--html-only``) runs the notebooks and publishes them with their HTML, no PDF (a
    report's PDF of an earlier run is removed) and no packet; ``packet=False`` (``--no-packet``) renders
    the PDFs but leaves the week's packet as it was. A run in which no report rendered leaves the packet
    as it was too.

    Raises :class:`ConfigError` / :class:`DataError` before writing anything when a profile or
    the data is unfit, or when no requested report applies to the profiles (saying why for each),
    :class:`~rebal.errors.ClusterError` when the scheduler cannot be reached or
    its workers cannot see the project. A failing notebook does not raise: it is reported in the outcome.
    """
    t0 = time.perf_counter()
    paths = paths or get_paths()
    for nb in notebooks or []:
        if nb not in registry.names():
            raise ConfigError(f"--notebook: unknown notebook {nb!r}; valid: {', '.join(registry.names())}")
    with Lakehouse(paths.lakehouse) as lh:
        known = lh.known_tickers()
        latest = lh.latest_date()
        names = profiles or list_profiles(paths.params_dir)
        if not names:
            raise ConfigError(f"{paths.params_dir}: no profiles (*.yaml) found")
        profs, invalid, first_error = [], [], None
        for name in names:  # one broken profile does not stop the others
            try:
                profs.append(load_profile(name, paths.params_dir, known_tickers=known))
            except RebalError as exc:
                invalid.append({"profile": name, "error": " ".join(str(exc).split())})
                first_error = first_error or exc
        # the rule of every command's --as-of; each profile's own staleness limit is checked in preflight
        limit = max((p.data.max_stale_sessions for p in profs), default=0)
        run_as_of = check_as_of(lh, as_of, max_stale_sessions=limit)
        states = StateStore(paths.states_dir)
        for p in list(profs):
            try:
                preflight(p, lh, run_as_of, states)
            except RebalError as exc:
                profs.remove(p)
                invalid.append({"profile": p.name, "error": " ".join(str(exc).split())})
                first_error = first_error or exc
        from rebal.llm.batch import weekly_calls  # the LLM-assisted views of profiles with an `llm` section

        views = weekly_calls(profs, lh, run_as_of, invalid)
        if not profs:  # nothing can run: the first problem, before anything is written
            raise first_error or ConfigError(invalid[-1]["error"])
        for bad in invalid:
            _log(f"rebal run: profile {bad['profile']} left out: {bad['error']}", progress)
        with_holdings = {p.name for p in profs if lh.at(run_as_of).holdings_dates(p.name)}
        facts = lh.at(run_as_of).describe()
    jobs = _plan(profs, notebooks, with_holdings, progress)
    packet = packet and pdf
    for _, nb in jobs:
        if not (paths.notebooks_dir / f"{nb}.ipynb").is_file():
            raise ConfigError(f"{paths.notebooks_dir / (nb + '.ipynb')}: template notebook not found")
    from rebal.llm.batch import record_at  # every new LLM call, in the lakehouse before the reports replay them

    if (why := record_at(views, paths.lakehouse)):
        _log(f"rebal run: LLM calls not recorded: {why}", progress)

    with _scheduler_client(scheduler, paths) as (client, threads):  # reached before anything is written
        from rebal.report.execute import prepare_environment

        prepare_environment()  # before anything imports jsonschema
        out_dir = paths.reports_dir / str(run_as_of)
        out_dir.mkdir(parents=True, exist_ok=True)
        run_id = uuid.uuid4().hex[:8]
        staging = out_dir / f"{week.STAGING_PREFIX}{run_id}"
        workers = threads if client is not None else max(1, min(workers or os.cpu_count() or 1, max(len(jobs), 1)))
        where = scheduler if scheduler is not None else "local"
        started_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        week.begin_run(out_dir, {"id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
                                 "as_of": str(run_as_of), "data_latest": str(latest), "started_at": started_at,
                                 "staging": staging.name, "scheduler": where,
                                 "profiles": sorted(p.name for p in profs)})
        started = time.perf_counter()
        _log(f"rebal run: {len(jobs)} report(s) for {len(profs)} profile(s) as of {run_as_of} on {workers} worker(s)"
             + (f" of the Dask scheduler {scheduler}" if client is not None else ""), progress)
        args = [(p, nb, str(run_as_of), str(paths.home), str(staging), str(out_dir)) for p, nb in jobs]
        results: list[ReportResult] = []

        def record(r: ReportResult) -> None:
            results.append(r)
            mark = "ok " if r.ok else "FAILED"
            detail = registry.report(r.notebook).summary_line(r.scraps) if r.ok else r.error
            _log(f"  [{len(results)}/{len(args)}] {mark} {r.profile}/{r.notebook} ({r.seconds:.1f} s) {detail}",
                 progress)

        order = {j: i for i, j in enumerate(jobs)}

        def info(results: list[ReportResult]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            results.sort(key=lambda r: order[(r.profile, r.notebook)])
            run_info = {"id": run_id, "as_of": str(run_as_of), "data_latest": str(latest), "started_at": started_at,
                        "finished_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                        "seconds": round(time.perf_counter() - t0, 2), "workers": workers, "scheduler": where,
                        "profiles": sorted({p.name for p in profs}),
                        "invalid_profiles": [b["profile"] for b in invalid], "outputs": _outputs(pdf, packet),
                        "ok": not invalid and all(r.ok for r in results)}
            entries = [week.invalid_profile_entry(b["profile"], b["error"]) for b in invalid]
            return run_info, entries + [asdict(r) for r in results]

        try:
            if client is None:  # notebooks and HTML first; then the reports' PDFs, then the packet from them
                run_local(notebook_stage, args, workers, record, worker_failed)
            else:
                from rebal.report.cluster import run_on_cluster

                run_on_cluster(client, report_job if pdf else html_job, args, record, worker_failed)
            reports_done = time.perf_counter()
            with week.week_lock(out_dir):  # another run of the same week merges before or after, never in between
                if client is None and pdf:
                    built = _pdfs_and_packet(results, staging, out_dir, workers, facts, info, progress, packet)
                else:
                    for r in results if client is None else []:  # --html-only: the notebooks and their HTML
                        if r.ok:
                            publish_stage(r, staging, out_dir, pdf=False)
                    week.write_manifest(out_dir, week.merge_manifest(out_dir, *info(results)))
                    built = _packet(lambda: week.build_packet(out_dir, lakehouse_meta=facts), results, packet,
                                    progress)
                # the split of this run's time (validation; notebooks + HTML; then the PDFs and the packet; each phase
                # summed over the reports), for users and `benchmarks/bench_weekly.py`
                doc = week.read_manifest(out_dir)
                for r in doc.get("runs", []):
                    if r.get("id") == run_id:
                        r["timing"] = {"validation": round(started - t0, 2),
                                       "reports": round(reports_done - started, 2),
                                       "pdfs_and_packet": round(time.perf_counter() - reports_done, 2),
                                       "phases": phase_totals(results)}
                week.write_manifest(out_dir, doc)
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (rebal.cli.terminal): run.json must not say "in progress"
            week.abandon_run(out_dir, run_id, "SIGTERM" if type(exc).__name__ == "Terminated" else "interrupted")
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        outcome = RunOutcome(run_as_of, out_dir, results, built.pdf if built else None, time.perf_counter() - t0,
                             invalid)
        failed = [r for r in results if not r.ok]
        for b in invalid:
            print(f"rebal: profile left out: {b['error']}", file=sys.stderr)
        for r in failed:
            print(f"rebal: report failed: {r.error}", file=sys.stderr)
        _log(f"rebal run: {len(results) - len(failed)}/{len(results)} report(s) in {out_dir}"
             + (f", packet {outcome.packet}" if outcome.packet else _no_packet(pdf, packet, run_as_of))
             + f" ({outcome.seconds:.1f} s)", progress)
        return outcome


def _plan(profs: list[Profile], notebooks: list[str] | None, with_holdings: set[str],
          progress: bool) -> list[tuple[str, str]]:
    """List the (profile, notebook) jobs: each report says which profiles it applies to (a proposal needs holdings).

    Raises :class:`ConfigError` when none applies, with each reason, before anything is written.
    """
    jobs, skipped = [], []
    for p in profs:
        for nb in notebooks or p.notebooks:
            why_not = registry.report(nb).applies(p, p.name in with_holdings)
            if why_not is None:
                jobs.append((p.name, nb))
            else:
                skipped.append(f"{p.name}: no {registry.report(nb).title.lower()}: {why_not}")
    if not jobs:
        raise ConfigError("no report to run (nothing was written, the packet is unchanged): " + "; ".join(skipped))
    for why in skipped:
        _log(f"rebal run: {why}", progress)
    return jobs


def _outputs(pdf: bool, packet: bool) -> str:
    """Say what a run makes, for run.json: ``all``, ``no packet`` or ``html only``."""
    return "all" if packet else ("no packet" if pdf else "html only")


def _no_packet(pdf: bool, packet: bool, as_of: date) -> str:
    if packet:
        return ", the packet left as it was (no report rendered in this run)"
    why = "--no-packet" if pdf else "--html-only: notebooks and HTML, no PDF"
    return (f", packet not rebuilt ({why}; a full run or `rebal packet --as-of {as_of}` rebuilds it)")


def _packet(build: Callable[[], week.PacketBuild | None], results: list[ReportResult], wanted: bool,
            progress: bool) -> week.PacketBuild | None:
    """Lay the packet out with ``build`` when ``wanted`` and a report rendered in this run; say so on stderr."""
    if not wanted or not any(r.ok for r in results):
        return None
    t0 = time.perf_counter()
    _log(f"rebal run: committee packet: the decision document, then the reports' PDFs as its appendix "
         f"({sum(r.ok for r in results)} report(s) from this run)", progress)
    built = build()
    if built is not None:
        _log(f"rebal run: committee packet: {built.pages} pages ({built.decision_pages} of decision document, then "
             f"{built.reports} report(s)) in {time.perf_counter() - t0:.1f} s", progress)
    return built


def _pdfs_and_packet(results: list[ReportResult], staging: Path, out_dir: Path, workers: int, facts: dict,
                     info: Callable[[list[ReportResult]], tuple[dict[str, Any], list[dict[str, Any]]]],
                     progress: bool, packet: bool = True) -> week.PacketBuild | None:
    """Render the staged reports' PDFs in ``workers`` processes, publish them, then assemble the packet.

    Each report is published (its three files together) once its PDF exists; a PDF that fails fails its
    report. ``run.json`` is written before the packet is built from the published reports (their PDFs are
    its appendix, so it follows them, in seconds): a packet that fails leaves the reports published and
    ``run.json`` written, and its error is raised after. Without ``packet``, or when no report rendered,
    the packet is left as it was.
    """
    ok = [r for r in results if r.ok]
    done: dict[tuple[str, str], ReportResult] = {}
    rendered: list[ReportResult] = []

    def show(r: ReportResult) -> None:  # from the pool's thread, as each PDF is done
        rendered.append(r)
        if r.ok:
            _log(f"  [{len(rendered)}/{len(ok)}] pdf {r.profile}/{r.notebook} ({r.phases.get('pdf', 0.0):.1f} s)",
                 progress)

    def take(r: ReportResult) -> None:
        done[(r.profile, r.notebook)] = r

    def failed(a: tuple, exc: BaseException) -> ReportResult:
        r = a[0]
        r.ok, r.error = False, f"profile {r.profile}: {r.notebook}: rendering failed: {type(exc).__name__}: {exc}"
        return r

    if ok:
        _log(f"rebal run: rendering {len(ok)} PDF(s) on {max(1, min(workers, len(ok)))} worker(s)", progress)
    with run_pool(pdf_job, [(r, str(staging), str(out_dir)) for r in ok], workers, take, failed, show):
        pass
    for i, r in enumerate(results):
        results[i] = done.get((r.profile, r.notebook), r)
    for r in (r for r in done.values() if not r.ok):
        _log(f"  FAILED {r.profile}/{r.notebook}: {r.error}", progress)
    manifest = week.merge_manifest(out_dir, *info(results))
    week.write_manifest(out_dir, manifest)
    return _packet(lambda: week.build_packet(out_dir, lakehouse_meta=facts, manifest=manifest), results, packet,
                   progress)


@contextmanager
def _scheduler_client(scheduler: str | None, paths: Paths) -> Iterator[tuple[Any, int]]:
    """Yield the Dask client of ``scheduler`` and its worker threads (``(None, 0)`` locally); close it after."""
    if scheduler is None:
        yield None, 0
        return
    from rebal.report.cluster import connect

    client, threads = connect(scheduler, paths)
    try:
        yield client, threads
    finally:
        client.close()
