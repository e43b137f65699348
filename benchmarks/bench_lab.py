"""Template notebooks in JupyterLab's kernel: the first cell, and a run top to bottom, first and again.

Drives a kernel the way JupyterLab does: starts the kernel named in the notebook (``python3``, the
default kernel of ``make lab``: ipykernel in the project's environment) with the notebook's folder as
working directory, then sends each code cell as an execute request and waits for the kernel to be idle
again, the defaults of the parameters cell unchanged. For each template it prints the kernel start, the
first cell that does work (imports, the profile, the data), the whole run top to bottom (kernel
started, as when Lab opens a notebook), and the same run again in the same kernel (an analyst rerunning
after a change; the in-process memo of :mod:`rebal.cache` and warm imports apply). Medians over
``--repeat`` fresh kernels. Goals (issue 17): first cell <= 3 s; the lighter templates (drift audit,
beta/correlation) top to bottom <= 5 s.

Run: ``python benchmarks/bench_lab.py [--repeat 3] [--notebook NAME ...]``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHT = ("drift_audit", "beta_correlation")


def _cells(name: str) -> tuple[str, list[str]]:
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3")
    return kernel, ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _execute(kc, code: str, timeout: float = 600.0) -> tuple[float, str | None]:
    """Run ``code``; return (seconds until the kernel is idle again, error name or None)."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    error = None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            error = msg["content"].get("ename", "error")
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return time.perf_counter() - t0, error


def run_once(name: str) -> dict[str, float]:
    """One fresh kernel: start, run every cell, run them all again; seconds of each."""
    from jupyter_client.manager import KernelManager

    kernel, cells = _cells(name)
    km = KernelManager(kernel_name=kernel)
    t0 = time.perf_counter()
    km.start_kernel(cwd=str(ROOT / "notebooks"), stderr=subprocess.DEVNULL)  # ipykernel's own start-up notices
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        out = {"start": time.perf_counter() - t0}
        times = []
        for code in cells:
            sec, err = _execute(kc, code)
            if err:
                raise RuntimeError(f"{name}: a cell raised {err}")
            times.append(sec)
        out["parameters"] = times[0]
        out["first"] = times[1] if len(times) > 1 else float("nan")
        out["all"] = sum(times)
        out["again"] = sum(_execute(kc, code)[0] for code in cells)
        return out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--notebook", nargs="+", default=None, help="templates (default: all)")
    args = ap.parse_args()
    names = args.notebook or sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    if not (ROOT / "data" / "lakehouse" / "rebal.duckdb").is_file():
        sys.exit("build the sample lakehouse first: make lakehouse")
    kernel = _cells(names[0])[0]
    print(f"templates in the {kernel!r} kernel (JupyterLab's for these notebooks), default parameters, "
          f"median of {args.repeat} fresh kernels; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"  {'template':20} {'kernel start':>12} {'first cell':>11} {'top to bottom':>14} {'again':>8}  goal")
    for name in names:
        runs = [run_once(name) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        goal = "first <= 3 s" + (", top to bottom <= 5 s" if name in LIGHT else "")
        print(f"  {name:20} {med['start']:10.2f} s {med['first']:9.2f} s {med['all']:12.2f} s {med['again']:6.2f} s"
              f"  {goal}", flush=True)


if __name__ == "__main__":
    main()
