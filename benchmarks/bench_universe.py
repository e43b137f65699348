"""Benchmark: the cost curve of `rebal propose`, `rebal risk` and `rebal data import prices` as the universe grows.

For each size N of ``--sizes`` (default 100, 500, 1,000, 5,000 names) the script builds a SYNTHETIC universe
lakehouse (the seeded fixture of :mod:`rebal.data.universe`: factor-structured returns on real NYSE sessions,
``--years`` of history, labelled synthetic everywhere; never market data) in a temporary project home with one
SYNTHETIC profile over the whole universe (``--method``, default ``min_variance``, at most 5 % a name) whose
holdings are seeded as the sample profiles' are (implemented every half year over the last 18 months, drifting
with the synthetic prices). Then it measures, each in a fresh process as a user runs it (imports, DuckDB open,
checks, the work, the output), the wall seconds and the peak memory (``VmHWM`` of that process):

- ``rebal propose --profile synthetic`` (target fit, mode, circuit breakers, trades, the impact simulation with
  its walk-forward refits; writes the proposal into the temporary home);
- ``rebal risk --profile synthetic --json`` (ex-ante risk, episodes, shocks, VaR and its backtest);
- ``rebal data import prices FILE`` of a CSV of N names x ``--import-years`` of the same synthetic prices
  (date, ticker, close, volume) into an empty lakehouse, with the file's size and peak memory / file size.

Goals (issue 26): propose at 1,000 names <= 10 s and <= 1 GB, at 5,000 <= 60 s and <= 2 GB; an import
in at most 3x the file's size of memory. The load average is printed with every row: on shared cores
wall times are inflated, peak memory is not.

Usage: python benchmarks/bench_universe.py [--sizes 100 500 1000 5000] [--years 20] [--import-years 2]
       [--commands propose risk import] [--method min_variance] [--keep DIR] [--repeat 1]
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
END = "2022-12-30"
SEED = 2026
PROFILE = """\
# SYNTHETIC profile written by benchmarks/bench_universe.py (not a book)
description: "SYNTHETIC benchmark book over the {n}-name synthetic universe (seed {seed}; not market data)"
universe: [{universe}]
benchmark: SYNIDX
target:
  method: {method}
  lookback_days: 252
  max_weight: {cap}
sample_holdings:
  start: {start}
  every: half_year
  initial_value: 100000000
proposal:
  mode: proportional
  limits: {{max_total: 1.0, max_cluster: 0.30, max_single: {cap}}}
  max_trades: 100
  min_trade_value: 5000
notebooks: [drift_audit]
data: {{max_universe: {n}}}  # above the default limit of 1,000 names (rebal.limits), as the benchmark means
"""

# Peak memory from /proc/self/status VmHWM (this process's own high-water mark): getrusage's
# ru_maxrss would carry over the parent's peak through fork + exec on Linux.
CHILD = """
import sys, time
t0 = time.perf_counter()
import duckdb, numpy, pandas  # what every command imports: the process's base memory is taken after them
from rebal.cli import main
base = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmRSS"))
rc = main(sys.argv[1:])
dt = time.perf_counter() - t0
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))
cpu = time.process_time()  # user + system CPU of every thread of this process (DuckDB's included)
print(f"__BENCH__ {rc} {dt:.4f} {hwm} {base} {cpu:.4f}", file=sys.stderr)
"""


def load() -> str:
    """Return the 1-minute load average and the number of cores, e.g. ``3.2/2``."""
    return f"{os.getloadavg()[0]:.1f}/{os.cpu_count()}"


def run_child(args: list[str], code: Path = ROOT) -> tuple[float, float, float, str, float]:
    """Run ``rebal ARGS`` with the package at ``code`` in a fresh process.

    Returns (seconds, peak MiB, peak above the base MiB, the load average when it ended, CPU seconds); the
    base is the process's memory once Python, pandas, DuckDB and the package are imported. CPU seconds
    (all threads) suffer less than wall seconds from other processes on shared cores.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")}
    env["PYTHONPATH"] = str(code)
    # cwd: `python -c` puts the working directory first on sys.path, before PYTHONPATH
    p = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env, cwd=str(code))
    lines = [x for x in p.stderr.splitlines() if x.startswith("__BENCH__")]
    if not lines or lines[-1].split()[1] not in ("0", "1"):
        raise SystemExit(f"rebal {' '.join(args)} failed:\n{p.stderr[-3000:]}")
    _, rc, dt, hwm, base, cpu = lines[-1].split()
    return float(dt), int(hwm) / 1024, (int(hwm) - int(base)) / 1024, load(), float(cpu)


def build_home(root: Path, n: int, years: int, method: str) -> tuple[Path, float]:
    """Build the project home of size ``n`` (lakehouse, profile, seeded holdings); return (home, build seconds)."""
    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.data.universe import build_synthetic_lakehouse
    from rebal.monitor.sample_holdings import seed_sample_holdings

    home = root / f"u{n}"
    lk = home / "data" / "lakehouse" / "rebal.duckdb"
    prof_dir = home / "params" / "profiles"
    done = home / "built.json"  # written last: a home without it is finished (or rebuilt) before use
    if done.exists():
        return home, float("nan")
    t0 = time.perf_counter()
    prof_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "params" / "stress", home / "params" / "stress", dirs_exist_ok=True)  # the episodes
    if not lk.exists():
        build_synthetic_lakehouse(lk, n_tickers=n, years=years, seed=SEED, end=END, features=False)
    tickers = [f"S{i + 1:05d}" for i in range(n)]
    cap = max(0.05, round(2.0 / n, 4))
    (prof_dir / "synthetic.yaml").write_text(PROFILE.format(n=n, seed=SEED, method=method, cap=cap,
                                                           start="2021-06-01", universe=", ".join(tickers)))
    with Lakehouse(lk, read_only=False) as lh:
        prof = load_profile(prof_dir / "synthetic.yaml", known_tickers=lh.known_tickers())
        seed_sample_holdings(lh, [prof])  # replaces the profile's holdings: a killed earlier seeding is redone
        lh.con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t0
    done.write_text(json.dumps({"names": n, "years": years, "method": method, "seconds": round(seconds, 1)}))
    return home, seconds


def write_import_file(home: Path, years: int) -> tuple[Path, Path]:
    """Write a prices CSV of the last ``years`` of the home's universe; return it and an empty project to import into."""
    from rebal.data.lakehouse import Lakehouse

    csv = home / "import" / "prices.csv"
    target = home / "import" / "home"
    lk = target / "data" / "lakehouse" / "rebal.duckdb"
    if lk.exists():
        lk.unlink()
    lk.parent.mkdir(parents=True, exist_ok=True)
    with Lakehouse(lk, read_only=False):
        pass  # an empty lakehouse (the schema only)
    if not csv.exists():
        with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
            lh.con.execute(
                f"COPY (SELECT strftime(date, '%Y-%m-%d') AS date, ticker, round(close, 6) AS close, "
                f"CAST(volume AS BIGINT) AS volume FROM prices WHERE ticker <> 'SYNIDX' AND date > "
                f"DATE '{END}' - INTERVAL {int(years * 365)} DAY AND round(close, 6) > 0 "  # a few synthetic
                f"ORDER BY date, ticker) "  # random walks fall below $0.000001 in 20 years
                f"TO '{csv}' (HEADER, DELIMITER ',')")
    return csv, target


def measure(home: Path, cmd: str, args: argparse.Namespace, code: Path) -> dict:
    """Measure one command on one home: median seconds, peak MB, peak above the base MB (and the file for import)."""
    extra: dict = {}
    if cmd in ("propose", "risk"):
        argv = ["--home", str(home), cmd, "--profile", "synthetic", "--json"]
    else:
        csv, target = write_import_file(home, args.import_years)
        # --max-size 0: the 50 MB default limit of an import (rebal.limits) would refuse the larger files
        argv = ["--home", str(target), "data", "import", "prices", str(csv), "--json", "--max-size", "0"]
        extra["file_mb"] = round(csv.stat().st_size / 2**20, 1)
    runs = []
    for _ in range(args.repeat):
        if cmd == "import":
            write_import_file(home, args.import_years)  # an empty lakehouse each time
        runs.append(run_child(argv, code))
    row = {"seconds": round(statistics.median(r[0] for r in runs), 2),
           "cpu_s": round(statistics.median(r[4] for r in runs), 2), "peak_mb": round(max(r[1] for r in runs)),
           "work_mb": round(max(r[2] for r in runs)), "load": runs[-1][3], **extra}
    if "file_mb" in extra:
        row["work_over_file"] = round(row["work_mb"] / max(extra["file_mb"], 1e-9), 1)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 5000])
    ap.add_argument("--years", type=int, default=20, help="years of synthetic history in the lakehouse")
    ap.add_argument("--import-years", type=float, default=2.0, help="years of prices in the imported CSV")
    ap.add_argument("--commands", nargs="+", default=["propose", "risk", "import"],
                    choices=["propose", "risk", "import"])
    ap.add_argument("--method", default="min_variance", help="target.method of the synthetic profile")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command (the median is printed)")
    ap.add_argument("--before-code", type=Path, help="also run each command with the package of this checkout "
                    "(e.g. `git archive <commit> rebal | tar -x -C DIR`)")
    ap.add_argument("--keep", type=Path, help="keep the homes in DIR and reuse them (default: a temp dir, removed)")
    args = ap.parse_args()

    codes = [("after", ROOT)] + ([("before", args.before_code.resolve())] if args.before_code else [])
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_universe_"))
    rows = []
    try:
        for n in args.sizes:
            home, build_s = build_home(root, n, args.years, args.method)
            for cmd in args.commands:
                for label, code in codes:
                    rows.append({"names": n, "command": cmd, "code": label, "build_s": round(build_s, 1),
                                 **measure(home, cmd, args, code)})
                    print(json.dumps(rows[-1]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\nthe universe curve ({args.method}, {args.years} years of SYNTHETIC history; a fresh process per command; "
          "CPU = user + system seconds of all its threads; peak = VmHWM, above base = peak minus the memory of Python + pandas + DuckDB + rebal imported; "
          "load = 1-minute load average / cores when the command ended)")
    print(f"{'names':>6} {'command':>8} {'code':>7} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} {'above base':>10} "
          f"{'load':>8}  notes")
    for r in rows:
        note = f"CSV {r['file_mb']} MB: above base {r['work_over_file']}x the file" if "file_mb" in r else ""
        print(f"{r['names']:>6} {r['command']:>8} {r['code']:>7} {r['seconds']:>8} {r['cpu_s']:>7} {r['peak_mb']:>8} "
              f"{r['work_mb']:>10} {r['load']:>8}  {note}")
    print("goals: propose at 1,000 names <= 10 s and <= 1024 MB, at 5,000 <= 60 s and <= 2048 MB; "
          "an import in <= 3x the file's size of memory")


if __name__ == "__main__":
    main()
