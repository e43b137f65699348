"""The weekly job's reports on a Dask distributed cluster (``rebal run --scheduler ADDRESS``).

The run itself (validation, ``run.json``, the packet) stays in the process that started it; only the
(profile, notebook) jobs go to the cluster. A worker needs the ``rebal`` package and *read* access to
the project home and the lakehouse file at the same paths as the run (a shared file system): it runs
the job of :func:`rebal.report.jobs.report_job` in a private temporary directory and sends back the
result and the bytes of the files it produced (executed notebook, HTML, PDF, or the failed notebook).
The run publishes them into ``reports/<as_of>/<profile>/`` exactly as a local job does, through its
own staging folder, so the file layout and the failure isolation are the local run's, and an
interrupted run publishes nothing more (a worker writes nothing outside its temporary directory).

Before anything is written, :func:`connect` reaches the scheduler (a short timeout) and asks every
worker how it resolves the project's paths: an unreachable scheduler, a cluster without workers or a
worker that cannot read the lakehouse or the templates is a :class:`~rebal.errors.ClusterError`.
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rebal.errors import ClusterError
from rebal.paths import Paths, get_paths

__all__ = ["CONNECT_SECONDS", "REPORT_FILES", "connect", "worker_view", "remote_job", "publish", "run_on_cluster"]

#: how long to try to reach the scheduler, and to wait for its first worker (seconds)
CONNECT_SECONDS = 10.0

#: the files a job may leave in its profile's report folder, by extension
REPORT_FILES = ("ipynb", "html", "pdf", "failed.ipynb")


@contextmanager
def _quiet_distributed() -> Iterator[None]:
    """Silence distributed's own logging while connecting (a failed attempt is one line of ours)."""
    loggers = [logging.getLogger(n) for n in ("distributed", "distributed.client", "distributed.core",
                                                "distributed.comm", "tornado")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def worker_view(home: str) -> dict[str, Any]:
    """How a worker sees the project at ``home``: its resolved paths and whether it can read them.

    Runs on each worker (``Client.run``); compared with the run's own :class:`~rebal.paths.Paths`.
    """
    paths = get_paths(home)
    return {"lakehouse": str(paths.lakehouse), "notebooks_dir": str(paths.notebooks_dir),
            "params_dir": str(paths.params_dir),
            "lakehouse_readable": os.access(paths.lakehouse, os.R_OK),
            "notebooks_readable": os.access(paths.notebooks_dir, os.R_OK | os.X_OK)}


def connect(address: str, paths: Paths, *, timeout: float | None = None) -> tuple[Any, int]:
    """Reach the scheduler at ``address`` and check its workers; return ``(client, worker threads)``.

    Raises
    ------
    ClusterError
        The scheduler cannot be reached within ``timeout`` seconds (default :data:`CONNECT_SECONDS`),
        it has no worker, or a worker resolves the lakehouse or the templates to other paths than
        this run or cannot read them.
    """
    timeout = CONNECT_SECONDS if timeout is None else timeout
    with _quiet_distributed():
        from distributed import Client

        try:
            client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ClusterError(f"--scheduler: cannot reach the Dask scheduler at {address!r} within "
                               f"{timeout:g} s: {first}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"--scheduler: the Dask scheduler at {address!r} has no worker "
                               f"(waited {timeout:g} s)") from exc
        views = client.run(worker_view, str(paths.home))
        for worker, view in sorted(views.items()):
            for key in ("lakehouse", "notebooks_dir"):
                if view[key] != str(getattr(paths, key)):
                    raise ClusterError(f"--scheduler: worker {worker} resolves `{key}` to {view[key]}, this run to "
                                       f"{getattr(paths, key)}; set the same REBAL_* variables on the workers")
            if not view["lakehouse_readable"]:
                raise ClusterError(f"--scheduler: worker {worker} cannot read the lakehouse {view['lakehouse']} "
                                   "(the workers need a shared file system)")
            if not view["notebooks_readable"]:
                raise ClusterError(f"--scheduler: worker {worker} cannot read the templates in "
                                   f"{view['notebooks_dir']} (the workers need a shared file system)")
        threads = sum(client.nthreads().values())
    except BaseException:
        client.close()
        raise
    return client, threads


def remote_job(job: Callable[[tuple[str, ...]], Any], args: tuple[str, ...]) -> tuple[Any, dict[str, bytes] | None]:
    """Run ``job(args)`` on a worker with private staging and report folders; return its result and files.

    ``args`` are the local job's ``(profile, notebook, as_of, home, staging, final)``; staging and final
    are replaced by a temporary directory of the worker. The files are those the job left in its
    report folder, keyed by extension (:data:`REPORT_FILES`), or ``None`` when it left that folder alone.
    """
    profile, notebook, as_of, home = args[:4]
    with tempfile.TemporaryDirectory(prefix="rebal-job-") as tmp:
        staging, final = Path(tmp) / "staging", Path(tmp) / "final"
        result = job((profile, notebook, as_of, home, str(staging), str(final)))
        folder = final / profile
        if not folder.is_dir():
            return result, None
        files = {ext: (folder / f"{notebook}.{ext}").read_bytes()
                 for ext in REPORT_FILES if (folder / f"{notebook}.{ext}").is_file()}
    return result, files


def publish(result: Any, files: dict[str, bytes] | None, staging: Path, final: Path) -> Any:
    """Put a remote job's files into ``final/<profile>/`` as the local job would; return the result.

    Each file is written into ``staging`` first and moved into place (``os.replace``), so a report
    folder never holds a partial file; a file of :data:`REPORT_FILES` the job did not produce is
    removed (a failed notebook removes the previous report, a good one the previous ``.failed``).
    ``result.outputs`` are rewritten to the published paths.
    """
    if files is None:
        return result
    stage = staging / result.profile
    stage.mkdir(parents=True, exist_ok=True)
    folder = final / result.profile
    folder.mkdir(parents=True, exist_ok=True)
    for ext in REPORT_FILES:
        dst = folder / f"{result.notebook}.{ext}"
        if ext in files:
            tmp = stage / dst.name
            tmp.write_bytes(files[ext])
            os.replace(tmp, dst)
        else:
            dst.unlink(missing_ok=True)
    result.outputs = [str(folder / f"{result.notebook}.{ext}") for ext in ("ipynb", "html", "pdf")
                      if ext in files] if result.ok else []
    return result


def run_on_cluster(client: Any, job: Callable[[tuple[str, ...]], Any], args: Sequence[tuple[str, ...]],
                   on_result: Callable[[Any], None], failed: Callable[[tuple[str, ...], BaseException], Any]) -> None:
    """Submit one task per job, publish each result as it arrives and pass it to ``on_result``.

    ``failed(args, exc)`` builds the result of a task that raised (a worker died). On any exception,
    Ctrl-C included, the remaining tasks are cancelled before it propagates.
    """
    from distributed import as_completed

    futures = [client.submit(remote_job, job, a, pure=False, key=f"rebal-report-{a[0]}-{a[1]}-{os.urandom(4).hex()}")
               for a in args]
    which = {f.key: a for f, a in zip(futures, args, strict=True)}
    try:
        for fut in as_completed(futures, loop=client.loop):  # this client is not the default one
            a = which[fut.key]
            try:
                result, files = fut.result()
            except Exception as exc:  # the task raised or its worker died: this report's failure only
                on_result(failed(a, exc))
                continue
            try:
                result = publish(result, files, Path(a[4]), Path(a[5]))
            except OSError as exc:  # the report folder could not be written: this report's failure only
                result = failed(a, exc)
            on_result(result)
    except BaseException:
        client.cancel(futures, force=True)
        raise
