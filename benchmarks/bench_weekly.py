"""Wall time and time split of the weekly job: after, before, and the naive chain, measured in one run.

Run on a scratch copy of the project's params, notebooks and sample lakehouse (runs interleaved,
``--repeat`` times):

- after: ``rebal run`` as shipped: parallel workers, each reusing one report kernel with a fresh
  namespace per report, the in-process memo (:mod:`rebal.cache`) shared by a profile's reports run
  as one chain; HTML, PDF and the committee packet;
- before: the same command with ``REBAL_REPORT_KERNELS=papermill REBAL_CACHE=off`` (papermill starts
  and shuts down a kernel per report and saves the notebook after every cell; nothing memoized): the
  split before, on today's code;
- before (code): with ``--before-code DIR``, another checkout's package (the commit before the speed
  work, e.g. a clone at 51b976c) run the same way: the wall time before, as it was shipped;
- naive: for each report, the ``papermill`` CLI, then ``jupyter nbconvert --to html`` CLI, then the
  ``weasyprint`` CLI for the PDF, one after the other, on the standard ``python3`` kernel (no packet).

The split comes from ``run.json`` (each report's phases summed over the reports: seconds of work spread
over the workers, not wall time; validation, notebooks + HTML, and the PDFs followed by the packet assembled from them are wall time). Prints medians and ratios.
Run: ``python benchmarks/bench_weekly.py [--repeat 3] [--profile NAME ...] [--before-code DIR]``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LAKEHOUSE = ROOT / "data" / "lakehouse" / "rebal.duckdb"
LABELS = {"kernel_start": "kernel start / reset", "cells": "notebook cells (imports + compute)",
          "save": "papermill saves + read back", "shutdown": "kernel shutdown", "html": "HTML", "pdf": "PDF (per report)"}
MODES = {"after": {"REBAL_REPORT_KERNELS": "reuse", "REBAL_CACHE": "on"},
         "before": {"REBAL_REPORT_KERNELS": "papermill", "REBAL_CACHE": "off"}}


def _home(tmp: Path) -> Path:
    home = tmp / "home"
    for d in ("params", "notebooks"):
        shutil.copytree(ROOT / d, home / d)
    (home / "data" / "lakehouse").mkdir(parents=True)
    shutil.copy2(LAKEHOUSE, home / "data" / "lakehouse" / "rebal.duckdb")
    return home


def time_rebal(profiles: list[str], workers: int, *, mode: str, code: Path) -> tuple[float, dict]:
    """Run ``rebal run`` in a scratch home; return wall seconds and this run's timing from run.json."""
    with tempfile.TemporaryDirectory() as tmp:
        home = _home(Path(tmp))
        env = dict(os.environ, REBAL_HOME=str(home), PYTHONPATH=str(code), **MODES[mode])
        cmd = [sys.executable, "-m", "rebal", "run", "--quiet", "--workers", str(workers), "--profile", *profiles]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=False, env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        runs = sorted((home / "reports").glob("*/run.json"))
        doc = json.loads(runs[-1].read_text()) if runs else {}
        timing = (doc.get("runs") or [{}])[-1].get("timing", {})
        timing["ok_reports"] = sum(1 for r in doc.get("reports", []) if r.get("ok"))
        timing["jobs"] = [(r["profile"], r["notebook"]) for r in doc.get("reports", []) if r.get("notebook")]
        return wall, timing


def time_naive(jobs: list[tuple[str, str]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        home = _home(Path(tmp))
        env = dict(os.environ, REBAL_HOME=str(home), PYTHONPATH=str(ROOT))
        t0 = time.perf_counter()
        for p, nb in jobs:
            out = Path(tmp) / f"{p}-{nb}.ipynb"
            subprocess.run([str(BIN / "papermill"), str(home / "notebooks" / f"{nb}.ipynb"), str(out), "-p", "profile",
                            p, "-p", "home", str(home), "--cwd", str(home / "notebooks"), "-k", "python3"],
                           check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                           check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run([str(BIN / "weasyprint"), str(out.with_suffix(".html")), str(out.with_suffix(".pdf"))],
                           check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--profile", nargs="+", help="profiles to run (default: every sample profile)")
    ap.add_argument("--before-code", type=Path, help="a checkout whose package is also timed as 'before (code)'")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive chain")
    ap.add_argument("--lakehouse", type=Path, default=LAKEHOUSE,
                    help="the sample lakehouse (copied; default: %(default)s)")
    args = ap.parse_args()
    globals()["LAKEHOUSE"] = args.lakehouse
    sys.path.insert(0, str(ROOT))
    from rebal.config import list_profiles
    from rebal.report.warm_kernel import PHASES

    if not args.lakehouse.is_file():
        sys.exit("build the sample lakehouse first: rebal data build-sample")
    profiles = args.profile or list_profiles(ROOT / "params" / "profiles")
    print(f"weekly job: {len(profiles)} profiles, {os.cpu_count()} cores, {args.workers} workers, {args.repeat} "
          f"repeat(s), load average {os.getloadavg()[0]:.1f}", flush=True)
    res: dict[str, list] = {"after": [], "before": [], "code": [], "naive": []}
    jobs: list = []
    for i in range(args.repeat):
        for key in ("after", "before", "code"):
            if key == "code" and not args.before_code:
                continue
            code = args.before_code if key == "code" else ROOT
            res[key].append(time_rebal(profiles, args.workers, mode="after" if key == "code" else key, code=code))
            if key == "after":
                jobs = res["after"][-1][1]["jobs"]  # the reports the weekly job made (each applies to its profile)
            print(f"  run {i + 1}: {key} {res[key][-1][0]:.1f} s, {res[key][-1][1].get('ok_reports')} reports ok, "
                  f"split {json.dumps(res[key][-1][1].get('phases'))}", flush=True)
        if not args.no_naive:
            res["naive"].append(time_naive(jobs))
            print(f"  run {i + 1}: naive {res['naive'][-1]:.1f} s", flush=True)
    a = _med([w for w, _ in res["after"]])
    b = _med([w for w, _ in res["before"]])
    print(f"\n{len(jobs)} reports + the packet; wall time, median of {args.repeat} (runs in brackets):")
    rows = [("after", "after   rebal run (reused kernels, memo, chains)"),
            ("before", "before  rebal run, a papermill kernel per report, no memo"),
            ("code", f"before  rebal run of {args.before_code}")]
    for key, label in rows:
        if res[key]:
            print(f"  {label:60} {_med([w for w, _ in res[key]]):7.1f} s  {[round(w, 1) for w, _ in res[key]]}")
    if res["naive"]:
        n = _med(res["naive"])
        print(f"  {'naive   papermill CLI + nbconvert CLI + weasyprint CLI (no packet)':60} {n:7.1f} s  "
              f"{[round(x, 1) for x in res['naive']]}")
        print(f"  ratio naive / after {n / a:.2f}x (goal >= 4x); after {a:.1f} s (goal <= 60 s)")
    print(f"  ratio before / after {b / a:.2f}x" + (f", before (code) / after {_med([w for w, _ in res['code']]) / a:.2f}x"
                                                     if res["code"] else ""))
    print("\nsplit (median over repeats; report phases summed over the reports = seconds of work on the workers):")
    print(f"  {'phase':36} {'before':>9} {'after':>9}")
    for k in PHASES:
        vals = {m: _med([t.get("phases", {}).get(k, 0.0) for _, t in res[m] if t]) for m in ("before", "after")}
        print(f"  {LABELS[k]:36} {vals['before']:9.1f} {vals['after']:9.1f}")
    for k, label in (("validation", "validation, wall"), ("reports", "notebooks + HTML, wall"),
                     ("pdfs_and_packet", "PDFs + packet (overlapped), wall")):
        vals = {m: _med([t.get(k, 0.0) for _, t in res[m] if t]) for m in ("before", "after")}
        print(f"  {label:36} {vals['before']:9.1f} {vals['after']:9.1f}")


if __name__ == "__main__":
    main()
