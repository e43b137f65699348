"""Wall time of the weekly job as the number of books grows: local processes vs a Dask cluster.

Builds a temporary project home (never the repository's ``params/`` or ``reports/``): a copy of the
sample lakehouse and of the template notebooks, and N SYNTHETIC profiles ``synthetic_000`` ...
Each is a copy of a sample profile (``hrp_balanced``, ``max_sharpe``, ``min_variance``,
``strategy_sleeves`` in turn) whose target, as of the lakehouse's latest session, is perturbed with
seeded noise (each weight times ``exp(0.3 z)``, ``z`` standard normal, rescaled to the same invested
share) and kept as a fixed target; its holdings are seeded as the sample profiles' are
(:func:`rebal.monitor.sample_holdings.seed_sample_holdings`: implemented every half year from
2020, drifting with real prices). Their descriptions say SYNTHETIC: they are not books.

Then, for each N of ``--sizes``, it times ``rebal run --profile synthetic_000 ... --notebook
drift_audit`` (the whole command: validation, reports, run.json, packet) on ``--workers`` local
processes and with ``--scheduler`` on a ``LocalCluster`` of the same number of single-threaded
worker processes, and prints them side by side with seconds per report. Run:
``python benchmarks/bench_scale.py [--quick] [--sizes 6,24,96] [--notebooks drift_audit]``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
BASES = ("hrp_balanced", "max_sharpe", "min_variance", "strategy_sleeves")
SEED = 20261201


def synthetic_profiles(home: Path, n: int, lakehouse: Path) -> list[str]:
    """Write ``n`` SYNTHETIC profiles into ``home/params/profiles`` and seed their holdings; return names."""
    from rebal.allocation.target import compute_target
    from rebal.config import load_profile, load_profiles
    from rebal.data.lakehouse import CASH, Lakehouse
    from rebal.monitor.sample_holdings import seed_sample_holdings

    src = ROOT / "params" / "profiles"
    out = home / "params" / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    with Lakehouse(lakehouse) as lh:
        known, as_of = lh.known_tickers(), lh.latest_date()
        bases = {}
        for b in BASES:
            prof = load_profile(b, src, known_tickers=known)
            bases[b] = (yaml.safe_load((src / f"{b}.yaml").read_text()),
                        compute_target(prof, lh, as_of).weights.drop(CASH, errors="ignore"))
    names = []
    for k in range(n):
        base = BASES[k % len(BASES)]
        doc, w = bases[base]
        rng = np.random.default_rng(SEED + k)
        invested = float(w.sum())
        noisy = w * np.exp(0.3 * rng.standard_normal(len(w)))
        noisy = (noisy / noisy.sum() * invested).round(4)
        noisy = noisy[noisy > 0]
        cash = max(round(1.0 - invested, 4), 0.0)
        top = noisy.idxmax()  # rounding to 4 decimals may leave +-0.0001: the largest weight takes it
        noisy[top] = round(noisy[top] + 1.0 - cash - float(noisy.sum()), 4)
        name = f"synthetic_{k:03d}"
        # the base's drift thresholds; its proposal limits are left out (written for its own target)
        spec = {"description": f"SYNTHETIC benchmark book {k} (not a real book): {base} with a perturbed "
                               f"fixed target, seed {SEED + k}",
                "universe": list(noisy.index), "benchmark": doc["benchmark"],
                "target": {"method": "fixed", "weights": {t: float(x) for t, x in noisy.items()}, "cash": cash},
                "drift": doc["drift"],
                "sample_holdings": {**doc["sample_holdings"], "start": "2020-01-02", "every": "half_year"}}
        (out / f"{name}.yaml").write_text("# SYNTHETIC profile written by benchmarks/bench_scale.py\n"
                                          + yaml.safe_dump(spec, sort_keys=False))
        names.append(name)
    with Lakehouse(lakehouse, read_only=False) as lh:
        seed_sample_holdings(lh, load_profiles(names, out, known_tickers=lh.known_tickers()))
    return names


def time_run(home: Path, names: list[str], notebooks: list[str], reports: Path, *, workers: int,
             scheduler: str | None) -> float:
    """Seconds of one ``rebal run`` (a subprocess) over ``names``; raises if the run fails."""
    cmd = [sys.executable, "-m", "rebal", "--home", str(home), "run", "--quiet", "--profile", *names,
           "--notebook", *notebooks]
    cmd += ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")}
    env["REBAL_REPORTS_DIR"] = str(reports)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"bench_scale: {' '.join(cmd[:6])} ... failed ({done.returncode}): "
                         f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="6,24,96", help="numbers of synthetic profiles (default %(default)s)")
    ap.add_argument("--quick", action="store_true", help="sizes 6,24")
    ap.add_argument("--notebooks", default="drift_audit", help="comma-separated reports (default %(default)s)")
    ap.add_argument("--workers", type=int, default=2, help="local processes and cluster workers (default 2)")
    ap.add_argument("--lakehouse", type=Path, default=None,
                    help="sample lakehouse to copy (default: the project's, data/lakehouse/rebal.duckdb)")
    args = ap.parse_args(argv)
    sizes = [6, 24] if args.quick else [int(s) for s in args.sizes.split(",")]
    notebooks = [s for s in args.notebooks.split(",") if s]
    from rebal.paths import get_paths

    source = args.lakehouse or get_paths(ROOT).lakehouse
    if not source.is_file():
        raise SystemExit(f"bench_scale: {source}: no sample lakehouse; run `make lakehouse` or pass --lakehouse")
    with tempfile.TemporaryDirectory(prefix="rebal-scale-") as tmp:
        home = Path(tmp) / "home"
        (home / "data" / "lakehouse").mkdir(parents=True)
        lakehouse = home / "data" / "lakehouse" / "rebal.duckdb"
        shutil.copyfile(source, lakehouse)
        shutil.copytree(ROOT / "notebooks", home / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        t0 = time.perf_counter()
        names = synthetic_profiles(home, max(sizes), lakehouse)
        print(f"{len(names)} SYNTHETIC profiles with seeded holdings in {time.perf_counter() - t0:.1f} s "
              f"(temporary home {home}); reports: {', '.join(notebooks)}; load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        from distributed import LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            print(f"\n{'N':>4} {'reports':>7} | {'local ' + str(args.workers) + ' proc (s)':>18} {'s/report':>8} | "
                  f"{'LocalCluster ' + str(args.workers) + 'w (s)':>20} {'s/report':>8} | {'ratio':>5}")
            for n in sizes:
                jobs = n * len(notebooks)
                loc = time_run(home, names[:n], notebooks, Path(tmp) / f"local-{n}", workers=args.workers,
                               scheduler=None)
                das = time_run(home, names[:n], notebooks, Path(tmp) / f"dask-{n}", workers=args.workers,
                               scheduler=cluster.scheduler_address)
                print(f"{n:>4} {jobs:>7} | {loc:>18.1f} {loc / jobs:>8.2f} | {das:>20.1f} {das / jobs:>8.2f} | "
                      f"{das / loc:>5.2f}", flush=True)
    print("\nwall time of the whole `rebal run` (validation, reports, run.json, packet); ratio = cluster / local")
    return 0


if __name__ == "__main__":
    sys.exit(main())
