"""Worker processes of the weekly run die with the run.

A ``rebal run`` killed (``kill``, ``kill -9``, a closed terminal) must not leave its workers
publishing reports for minutes after it. Each worker of the process pool calls
:func:`die_with_parent` first: on Linux the kernel sends it SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``), and on every platform a daemon thread checks once a second that the
parent is still its parent and ends the worker otherwise. A worker's Jupyter kernel follows its
worker by itself (``jupyter_client`` sets ``JPY_PARENT_PID`` and ``ipykernel`` polls it).
:func:`stop_workers` ends a pool's workers at once when the run itself is interrupted.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

__all__ = ["die_with_parent", "stop_workers", "POLL_SECONDS"]

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
