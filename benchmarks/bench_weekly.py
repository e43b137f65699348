"""Wall time of the weekly job vs the naive way of running the same notebooks.

rebal: ``rebal run`` for every sample profile (parallel processes, lean report kernel,
in-process HTML and PDF, plus the committee packet).
naive: for each report, ``papermill`` CLI then ``jupyter nbconvert --to html`` CLI, one after
the other, on the standard ``python3`` kernel (HTML only: the naive route makes no PDF or packet,
so the comparison flatters it).

Prints medians over --repeat runs and the ratio. Run: ``python benchmarks/bench_weekly.py``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _env(reports: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["REBAL_REPORTS_DIR"] = str(reports)
    return env


def time_rebal(workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "rebal"), "--home", str(ROOT), "run", "--quiet", "--workers", str(workers)],
                       check=True, env=_env(Path(tmp)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0


def time_naive(jobs: list[tuple[str, str]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for p, nb in jobs:
            out = Path(tmp) / f"{p}-{nb}.ipynb"
            subprocess.run([str(BIN / "papermill"), str(ROOT / "notebooks" / f"{nb}.ipynb"), str(out),
                            "-p", "profile", p, "-p", "home", str(ROOT), "--cwd", str(ROOT / "notebooks")],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0


def measure_jsonschema_import(mode: str) -> float:
    """Measure the median wall time of ``import jsonschema`` in a fresh interpreter.

    papermill, nbformat and scrapbook all import it, in the host and in every kernel.
    """
    pre = "import sys; sys.modules['rfc3987_syntax'] = None; " if mode == "lean" else ""
    code = pre + "import time; t = time.perf_counter(); import jsonschema; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from rebal.config import list_profiles, load_profile

    if not (ROOT / "data" / "lakehouse" / "rebal.duckdb").is_file():
        sys.exit("build the sample lakehouse first: rebal data build-sample")
    profiles = list_profiles(ROOT / "params" / "profiles")
    jobs = [(p, nb) for p in profiles for nb in load_profile(p, ROOT / "params" / "profiles").notebooks]
    print(f"weekly job: {len(jobs)} reports ({len(profiles)} profiles), {os.cpu_count()} cores, {args.repeat} repeats")
    imports = {mode: measure_jsonschema_import(mode) for mode in ("standard", "lean")}
    print(f"import jsonschema (median of 5, fresh interpreter): standard {imports['standard']:.2f} s, "
          f"with rfc3987_syntax kept out (report kernel) {imports['lean']:.2f} s")
    rebal_t = [time_rebal(args.workers) for _ in range(args.repeat)]
    naive_t = [time_naive(jobs) for _ in range(args.repeat)]
    r, n = statistics.median(rebal_t), statistics.median(naive_t)
    print(f"rebal run (HTML + PDF + packet, {args.workers} workers): median {r:6.1f} s  runs {[round(x, 1) for x in rebal_t]}")
    print(f"naive papermill CLI + nbconvert CLI (HTML only):     median {n:6.1f} s  runs {[round(x, 1) for x in naive_t]}")
    print(f"ratio naive / rebal: {n / r:.2f}x")


if __name__ == "__main__":
    main()
