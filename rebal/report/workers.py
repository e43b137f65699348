"""Worker processes of the weekly run die with the run.

A ``rebal run`` killed (``kill``, ``kill -9``, a closed terminal) must not leave its workers
publishing reports for minutes after it. Each worker of the process pool calls
:func:`die_with_parent` first: on Linux the kernel sends it SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``), and on every platform a daemon thread checks once a second that the
parent is still its parent and ends the worker otherwise. A worker's Jupyter kernel follows its
worker by itself (``jupyter_client`` sets ``JPY_PARENT_PID`` and ``ipykernel`` polls it).
:func:`stop_workers` ends a pool's workers at once when the run itself is interrupted.

:func:`run_local` runs the report jobs on such a pool, in :func:`chains`: the reports of a profile
that share its proposal run one after another in one worker, whose kernel (reused between reports,
:mod:`rebal.report.warm_kernel`) then builds it once.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Callable

__all__ = ["die_with_parent", "stop_workers", "POLL_SECONDS", "SHARED_CHAIN", "chains", "run_local", "run_pool"]

#: how often a worker checks that its parent is alive (seconds)
POLL_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


def _set_pdeathsig() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(70)  # the run is gone: publish nothing more (EX_SOFTWARE)
        time.sleep(POLL_SECONDS)


def die_with_parent(parent_pid: int) -> None:
    """Make this worker end when the process ``parent_pid`` (the run) ends (see the module docstring).

    Used as the pool's ``initializer``. If the parent is already gone when this runs, the worker
    ends at once.
    """
    _set_pdeathsig()
    if os.getppid() != parent_pid:
        os._exit(70)
    threading.Thread(target=_watch, args=(parent_pid,), name="rebal-parent-watch", daemon=True).start()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the pool's worker processes now (the run was interrupted)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):  # CPython keeps them here
        try:
            proc.kill()
        except (OSError, ValueError):
            pass


#: reports that build the same proposal and review of a profile: run one after another in one worker, so the
#: worker's kernel computes them once (:mod:`rebal.cache`); every other report is a chain of its own
SHARED_CHAIN = ("drift_audit", "rebalance_proposal", "weekly_review", "risk_stress")


def chains(args: list[tuple[str, ...]]) -> list[list[tuple[str, ...]]]:
    """Group jobs into chains, each run in order by one worker; the longest chains first.

    A profile's :data:`SHARED_CHAIN` reports form one chain (they share the proposal, built once in the
    worker's kernel); every other report is its own chain, so two workers stay busy to the end.
    """
    groups: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for a in args:
        key = (a[0], "shared") if a[1] in SHARED_CHAIN else (a[0], a[1])
        groups.setdefault(key, []).append(a)
    return sorted(groups.values(), key=len, reverse=True)  # stable: the profiles' order among equals


_PROGRESS: Any = None


def _worker_init(parent_pid: int, progress: Any) -> None:
    global _PROGRESS
    die_with_parent(parent_pid)
    _PROGRESS = progress


def _chain(job: Callable[[Any], Any], args: list[tuple[str, ...]]) -> list[Any]:
    """Run a chain of jobs in this worker (see :func:`chains`), reporting each result as it is done."""
    out = []
    for a in args:
        r = job(a)
        out.append(r)
        if _PROGRESS is not None:
            _PROGRESS.put(r)
    return out


def run_local(job: Callable[[Any], Any], args: list[tuple[str, ...]], workers: int, record: Callable[[Any], None],
              failed: Callable[[tuple[str, ...], BaseException], Any]) -> None:
    """Run ``job`` on each of ``args`` in ``workers`` local processes that die with the run, in :func:`chains`.

    ``record`` gets each result as soon as its job is done (``.profile``/``.notebook`` identify it);
    a worker that dies fails the jobs of its chain not yet done, with ``failed(args, exc)``.
    """
    import queue as queue_mod

    ctx = mp.get_context("spawn")
    progress = ctx.Queue()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(), progress))
    seen: set[tuple[str, str]] = set()

    def take(r: Any) -> None:
        if (r.profile, r.notebook) not in seen:
            seen.add((r.profile, r.notebook))
            record(r)

    try:
        futures = {pool.submit(_chain, job, c): c for c in chains(args)}
        pending = set(futures)
        while pending:
            try:
                take(progress.get(timeout=0.2))
            except queue_mod.Empty:
                pass
            for fut in [f for f in pending if f.done()]:
                pending.discard(fut)
                try:
                    done = fut.result()
                except Exception as exc:  # a worker process died: the chain's reports not yet done failed
                    done = [failed(a, exc) for a in futures[fut]]
                for r in done:
                    take(r)
    except BaseException:  # Ctrl-C, or a signal turned into an exception: end the workers now, do not wait
        stop_workers(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _announce(progress: Callable[[Any], None]) -> Callable[[Any], None]:
    """Return a future's done-callback passing its result to ``progress`` (nothing for a failed job; never raises)."""
    def done(fut: Any) -> None:
        try:
            if not fut.cancelled() and fut.exception() is None:
                progress(fut.result())
        except Exception:  # progress output must not disturb the run
            pass
    return done


@contextmanager
def run_pool(job: Callable[[Any], Any], args: list[Any], workers: int, record: Callable[[Any], None],
             failed: Callable[[Any, BaseException], Any],
             progress: Callable[[Any], None] | None = None) -> Iterator[None]:
    """Run ``job`` on each of ``args`` in local processes that die with the run, while the ``with`` block runs.

    On leaving the block, wait for every job and ``record`` its result (``failed(args, exc)`` for a job whose
    worker died). ``progress`` gets each result as soon as its job is done, while the block still runs (from
    the pool's thread). An exception in the block, or Ctrl-C, ends the workers at once.
    """
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(args) or 1)), mp_context=mp.get_context("spawn"),
                               initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(job, a): a for a in args}
        if progress is not None:
            for fut in futures:
                fut.add_done_callback(_announce(progress))
        yield
        for fut in as_completed(futures):
            try:
                r = fut.result()
            except Exception as exc:
                r = failed(futures[fut], exc)
            record(r)
    except BaseException:
        stop_workers(pool)
        raise
    else:
        pool.shutdown(wait=True)
