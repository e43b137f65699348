"""One report of the weekly job, in two stages that run in worker processes.

:func:`notebook_stage` executes the template notebook with papermill (in the worker's reused kernel,
:mod:`rebal.report.warm_kernel`) into the run's staging folder, checks its scraps and renders the HTML
beside it. :func:`pdf_stage` renders the staged HTML to PDF and then publishes the three files into
``reports/<as_of>/<profile>/`` together, so a report that fails at any stage leaves no partial report
(a failing notebook is kept as ``<notebook>.failed.ipynb`` for diagnosis). The local run does every
notebook stage first, then the PDFs, then the packet from them (:mod:`rebal.report.runner`);
:func:`report_job` does both stages at once (a job on a Dask worker).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebal.errors import ReportError
from rebal.paths import get_paths
from rebal.report import registry

__all__ = ["ReportResult", "notebook_stage", "pdf_stage", "pdf_job", "publish_stage", "report_job", "html_job",
           "phase_totals", "worker_failed"]


@dataclass
class ReportResult:
    """Outcome of one (profile, notebook) job."""

    profile: str
    notebook: str
    ok: bool
    seconds: float
    outputs: list[str] = field(default_factory=list)
    scraps: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    stderr_removed: int = 0
    #: seconds per phase of this job (:data:`rebal.report.warm_kernel.PHASES`: kernel start or reset, cells,
    #: saving, kernel shutdown, HTML, PDF)
    phases: dict[str, float] = field(default_factory=dict)


def _rounded(r: ReportResult) -> ReportResult:
    r.phases = {k: round(v, 3) for k, v in r.phases.items()}
    return r


def report_job(args: tuple[str, str, str, str, str, str]) -> ReportResult:
    """Run one notebook, render it and publish it (both stages in one worker: a job on a Dask worker)."""
    r = notebook_stage(args)
    if r.ok:
        pdf_stage(r, args[4], args[5])
    return _rounded(r)


def notebook_stage(args: tuple[str, str, str, str, str, str]) -> ReportResult:
    """Execute the notebook and render its HTML into the staging folder (not published yet).

    ``args``: (profile, notebook, as_of, home, staging dir, final dir). A notebook that fails is
    published as ``<notebook>.failed.ipynb`` and the report's old files are removed.
    """
    profile, notebook, as_of, home, staging, final = args
    from rebal.report.execute import NotebookFailure, execute_notebook, prepare_environment

    prepare_environment()
    import nbformat
    from scrapbook.models import Notebook

    from rebal.report.render import notebook_to_html

    t0 = time.perf_counter()
    paths = get_paths(home)
    stage = Path(staging) / profile
    stage.mkdir(parents=True, exist_ok=True)
    out_nb = stage / f"{notebook}.ipynb"
    final_dir = Path(final) / profile
    phases: dict[str, float] = {}

    def failed(error: str) -> ReportResult:
        return _rounded(ReportResult(profile, notebook, False, time.perf_counter() - t0, error=error, phases=phases))

    try:
        execute_notebook(paths.notebooks_dir / f"{notebook}.ipynb", out_nb,
                         {"profile": profile, "as_of": as_of, "home": str(paths.home)}, cwd=paths.notebooks_dir,
                         timings=phases)
    except NotebookFailure as exc:
        final_dir.mkdir(parents=True, exist_ok=True)
        for ext in ("ipynb", "html", "pdf"):
            (final_dir / f"{notebook}.{ext}").unlink(missing_ok=True)
        if out_nb.exists():
            os.replace(out_nb, final_dir / f"{notebook}.failed.ipynb")
        return failed(f"profile {profile}: {exc}")
    except Exception as exc:  # kernel died, timeout: still this report's failure only
        return failed(f"profile {profile}: {notebook}: {type(exc).__name__}: "
                      f"{str(exc).splitlines()[0] if str(exc) else ''}")
    try:
        t1 = time.perf_counter()
        nb = nbformat.read(out_nb, as_version=4)
        scraps = {k: v.data for k, v in Notebook(nb).scraps.items()}  # the notebook just read, not a second read
        phases["save"] = phases.get("save", 0.0) + time.perf_counter() - t1
    except Exception as exc:
        return failed(f"profile {profile}: {notebook}: unreadable notebook: {type(exc).__name__}: {exc}")
    try:
        registry.check_scraps(registry.report(notebook), scraps)
    except ReportError as exc:
        return failed(f"profile {profile}: {exc}")
    try:
        name = registry.report(notebook).title
        t1 = time.perf_counter()
        html, removed = notebook_to_html(nb, title=f"{name} — {profile}",
                                         header=f"rebal · {profile} · {name.lower()} · as of {as_of}")
        (stage / f"{notebook}.html").write_text(html, encoding="utf-8")
        phases["html"] = time.perf_counter() - t1
    except Exception as exc:
        return failed(f"profile {profile}: {notebook}: rendering failed: {type(exc).__name__}: {exc}")
    plain = {k: v for k, v in scraps.items() if not hasattr(v, "to_dict")}
    return _rounded(ReportResult(profile, notebook, True, time.perf_counter() - t0, [], plain,
                                 stderr_removed=removed, phases=phases))


def pdf_stage(r: ReportResult, staging: str | Path, final: str | Path) -> ReportResult:
    """Render the staged HTML of ``r`` to PDF, then publish its three files together; ``r`` updated and returned.

    A PDF that cannot be rendered fails the report (``ok`` false, the error said) and publishes nothing.
    """
    from rebal.report.render import html_to_pdf

    stage = Path(staging) / r.profile
    t0 = time.perf_counter()
    try:
        html_to_pdf((stage / f"{r.notebook}.html").read_text(encoding="utf-8"), stage / f"{r.notebook}.pdf")
    except Exception as exc:
        r.ok, r.error = False, f"profile {r.profile}: {r.notebook}: rendering failed: {type(exc).__name__}: {exc}"
        return r
    finally:
        r.phases["pdf"] = round(time.perf_counter() - t0, 3)
        r.seconds += time.perf_counter() - t0
    return publish_stage(r, staging, final)


def publish_stage(r: ReportResult, staging: str | Path, final: str | Path, *, pdf: bool = True) -> ReportResult:
    """Move the staged files of ``r`` into ``final/<profile>/`` (the PDF too when ``pdf``); ``r`` returned.

    Without ``pdf`` (``rebal run --html-only``) the notebook and its HTML are published and the report's
    PDF of an earlier run is removed, so no file claims to be this report's PDF while showing older numbers.
    """
    stage, final_dir = Path(staging) / r.profile, Path(final) / r.profile
    final_dir.mkdir(parents=True, exist_ok=True)
    r.outputs = []
    for ext in ("ipynb", "html", "pdf") if pdf else ("ipynb", "html"):
        dst = final_dir / f"{r.notebook}.{ext}"
        os.replace(stage / f"{r.notebook}.{ext}", dst)
        r.outputs.append(str(dst))
    if not pdf:
        (final_dir / f"{r.notebook}.pdf").unlink(missing_ok=True)
    (final_dir / f"{r.notebook}.failed.ipynb").unlink(missing_ok=True)
    return r


def html_job(args: tuple[str, str, str, str, str, str]) -> ReportResult:
    """Run one notebook, render its HTML and publish both, no PDF (``rebal run --html-only`` on a Dask worker)."""
    r = notebook_stage(args)
    if r.ok:
        publish_stage(r, args[4], args[5], pdf=False)
    return _rounded(r)


def pdf_job(args: tuple[ReportResult, str, str]) -> ReportResult:
    """:func:`pdf_stage` as a job of a process pool (``(result, staging, final)``)."""
    return pdf_stage(*args)


def phase_totals(results: list[ReportResult]) -> dict[str, float]:
    """Seconds spent in each phase, summed over the jobs (time across workers, not wall time)."""
    totals: dict[str, float] = {}
    for r in results:
        for k, v in r.phases.items():
            totals[k] = round(totals.get(k, 0.0) + v, 3)
    return totals


def worker_failed(a: tuple[str, ...], exc: BaseException) -> ReportResult:
    """Return the failed result of a job whose worker process died."""
    return ReportResult(a[0], a[1], False, 0.0, error=f"profile {a[0]}: {a[1]}: worker failed: {exc}")
