"""One report kernel per worker, reused with a fresh namespace for every report, and each phase timed.

papermill starts a kernel for every notebook: the kernel imports pandas, matplotlib, seaborn,
scipy, the calendar and the package again (2-5 s of every report), runs the cells, then is shut
down (1.0-1.6 s of waiting). A worker of the weekly run keeps one :class:`ReportKernel` instead:

- the kernel is started once and runs the worker's reports one after another;
- before each report (after the first) it is given a **fresh namespace**: IPython's
  ``reset(new_session=True)`` empties the user namespace, the history and the execution count
  (numbering starts at 1 again), figures are closed and matplotlib's settings are restored to
  what they were when the kernel started. Only ``sys.modules`` stays warm, and with it the
  package's in-process caches (:mod:`rebal.cache`), which are keyed by what they depend on;
- a report that fails (a cell raises, a timeout, the kernel dies) ends its kernel: the next report
  gets a new one, so a failure cannot leave state behind;
- the notebook is written once at the end (and on a failing cell, with the error, as papermill
  does), not after every cell.

papermill still parameterizes and executes the notebook (engine ``rebal``), so its semantics are kept:
the parameters cell is injected, a failing cell stops the run and is named, the executed notebook is
written. ``REBAL_REPORT_KERNELS=papermill`` in the environment switches reuse off (papermill's own
kernel per notebook and per-cell saves, timed the same way): the benchmark's "before".
"""
from __future__ import annotations

import asyncio
import atexit
import os
import threading
import time
from pathlib import Path
from typing import Any, Mapping

__all__ = ["PHASES", "ReportKernel", "reuse_enabled", "run_papermill", "worker_kernel", "RESET_CODE"]

#: phases recorded per report, in seconds (``ReportResult.phases`` in ``run.json``)
PHASES = ("kernel_start", "cells", "save", "shutdown", "html", "pdf")
_HIST = "--HistoryManager.hist_file=:memory:"  # what nbclient passes to every kernel it starts

#: run silently before a report in a used kernel (see the module docstring); leaves no name behind
RESET_CODE = "__import__('rebal.report._kernel', fromlist=['fresh_namespace']).fresh_namespace()\n"
#: run silently once in a new kernel: remember matplotlib's settings as a fresh kernel has them
SNAPSHOT_CODE = "__import__('rebal.report._kernel', fromlist=['remember_settings']).remember_settings()\n"


def reuse_enabled() -> bool:
    """Whether report kernels are reused (``REBAL_REPORT_KERNELS`` is not ``papermill``)."""
    return os.environ.get("REBAL_REPORT_KERNELS", "reuse").strip().lower() != "papermill"


def _loop() -> asyncio.AbstractEventLoop:
    from jupyter_core.utils import ensure_event_loop

    return ensure_event_loop()  # the loop nbclient's synchronous calls use in this thread


def _run(coro: Any) -> Any:
    return _loop().run_until_complete(coro)


class ReportKernel:
    """A worker's report kernel: started on first use, reset between reports, ended after a failure."""

    def __init__(self, kernel_name: str, cwd: Path, *, startup_timeout: float = 120.0):
        self.kernel_name, self.cwd, self.startup_timeout = kernel_name, Path(cwd), startup_timeout
        self.km: Any = None
        self.kc: Any = None  # one client for the kernel's life: channels started and ready once
        self.used = False  # whether a report ran in the current kernel
        self.reports = 0  # reports run in the current kernel

    def _silent(self, code: str) -> bool:
        """Run ``code`` silently in the kernel; True if it finished without error."""
        kc = self.kc
        try:
            msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)

            async def wait() -> dict:
                while True:
                    msg = await kc.get_shell_msg(timeout=self.startup_timeout)
                    if msg.get("parent_header", {}).get("msg_id") == msg_id:
                        return msg

            reply = _run(wait())
        except Exception:
            return False
        return reply.get("content", {}).get("status") == "ok"

    def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=self.kernel_name)
        _run(km.start_kernel(extra_arguments=[_HIST], cwd=str(self.cwd)))
        self.km, self.used, self.reports = km, False, 0
        self.kc = km.client()
        self.kc.start_channels()
        try:
            _run(self.kc.wait_for_ready(timeout=self.startup_timeout))
        except Exception:
            self.discard()
            raise
        if not self._silent(SNAPSHOT_CODE):
            self.discard()
            raise RuntimeError(f"the report kernel {self.kernel_name!r} did not start")

    def acquire(self) -> tuple[Any, Any]:
        """Return (kernel manager, its ready client) of a live kernel with a fresh namespace, for one report."""
        alive = False
        if self.km is not None:
            try:
                alive = bool(_run(self.km.is_alive()))
            except Exception:
                alive = False
        if not alive:
            self.discard()
            self._start()
        elif self.used and not self._silent(RESET_CODE):
            self.discard()  # the reset failed: a new kernel, never a half-reset one
            self._start()
        self.used = True
        self.reports += 1
        return self.km, self.kc

    def discard(self) -> float:
        """End the kernel now (after a failure, or when the worker ends); return the seconds it took."""
        t0 = time.perf_counter()
        km, kc, self.km, self.kc, self.used = self.km, self.kc, None, None, False
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:
                pass
        if km is not None:
            try:
                _run(km.shutdown_kernel(now=True))
            except Exception:
                pass
            try:
                _run(km.cleanup_resources())
            except Exception:
                pass
        return time.perf_counter() - t0


_LOCAL = threading.local()  # one kernel per worker thread (a Dask worker may run jobs in several threads)
_ALL: list[ReportKernel] = []


def _close_all() -> None:
    for k in list(_ALL):
        k.discard()


def worker_kernel(kernel_name: str, cwd: Path) -> ReportKernel:
    """Return this thread's report kernel (created on first use, ended when the process exits)."""
    k = getattr(_LOCAL, "kernel", None)
    if k is None or k.kernel_name != kernel_name or k.cwd != Path(cwd):
        if k is not None:
            k.discard()
            _ALL.remove(k)
        k = ReportKernel(kernel_name, Path(cwd))
        _LOCAL.kernel = k
        if not _ALL:
            atexit.register(_close_all)
        _ALL.append(k)
    return k


def _engine() -> str:
    """Register papermill engine ``rebal`` (timed; takes a kernel manager ``km``) and return its name."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    if "rebal" in papermill_engines._engines:
        return "rebal"

    class TimedManager(NotebookExecutionManager):
        timings: dict[str, float]

        def save(self, **kwargs: Any) -> None:
            t0 = time.perf_counter()
            try:
                super().save(**kwargs)
            finally:
                self.timings["save"] = self.timings.get("save", 0.0) + time.perf_counter() - t0

    class TimedClient(PapermillNotebookClient):
        def execute(self, **kwargs: Any) -> Any:
            self._rebal_t0 = time.perf_counter()
            return super().execute(**kwargs)

        def papermill_execute_cells(self) -> None:
            t = self.nb_man.timings
            t1 = time.perf_counter()
            t["kernel_start"] = t.get("kernel_start", 0.0) + t1 - self._rebal_t0
            try:
                super().papermill_execute_cells()
            finally:
                t["cells"] = t.get("cells", 0.0) + time.perf_counter() - t1

        def _cleanup_kernel(self) -> None:  # papermill's own shutdown (REBAL_REPORT_KERNELS=papermill)
            t0 = time.perf_counter()
            try:
                super()._cleanup_kernel()
            finally:
                self.nb_man.timings["shutdown"] = self.nb_man.timings.get("shutdown", 0.0) + time.perf_counter() - t0

    class RebalEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: Any = None, progress_bar: bool = True,
                             log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
            timings = kwargs.pop("timings")
            nb_man = TimedManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                  autosave_cell_every=autosave_cell_every)
            nb_man.timings = timings
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None, start_timeout: int = 60,
                                     execution_timeout: Any = None, **kwargs: Any) -> Any:
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log_output=log_output, stdout_file=stdout_file,
                                 stderr_file=stderr_file)
            kc = final.pop("kc", None)
            client = TimedClient(nb_man, **final)
            client.kc = kc  # a reused kernel's ready client: nbclient then neither starts nor waits for one
            return client.execute()

    papermill_engines.register("rebal", RebalEngine)
    return "rebal"


def run_papermill(template: Path, output: Path, parameters: Mapping[str, Any], *, kernel_name: str,
                  cwd: Path | None, timeout: int, timings: dict[str, float]) -> Any:
    """Execute ``template`` into ``output`` with papermill, recording the phases in ``timings`` (seconds).

    With reuse (:func:`reuse_enabled`), the kernel is this worker's :class:`ReportKernel`, given a fresh
    namespace first and ended if the report fails; otherwise papermill starts and shuts down its own.
    Raises what :func:`papermill.execute_notebook` raises.
    """
    import papermill as pm

    engine = _engine()
    kw: dict[str, Any] = {"engine_name": engine, "parameters": dict(parameters), "kernel_name": kernel_name,
                          "progress_bar": False, "log_output": False, "cwd": str(cwd) if cwd else None,
                          "execution_timeout": timeout, "timings": timings}
    kernel = worker_kernel(kernel_name, cwd or Path.cwd()) if reuse_enabled() else None
    if kernel is not None:
        t0 = time.perf_counter()
        km, kc = kernel.acquire()
        kw.update(km=km, kc=kc, request_save_on_cell_execute=False)
        timings["kernel_start"] = timings.get("kernel_start", 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    inner = dict(timings)
    ok = False
    try:
        result = pm.execute_notebook(str(template), str(output), **kw)
        ok = True
        return result
    finally:
        # what papermill did outside the engine (parameters, the final write) counts as saving
        spent = sum(timings.get(k, 0.0) - inner.get(k, 0.0) for k in ("kernel_start", "cells", "save", "shutdown"))
        timings["save"] = timings.get("save", 0.0) + max(0.0, time.perf_counter() - t0 - spent)
        if kernel is not None and not ok:
            timings["shutdown"] = timings.get("shutdown", 0.0) + kernel.discard()
