"""Benchmark: `rebal risk4 generate` on a synthetic 5,000-ticker x 20-year daily lakehouse.

Goal (issue): under 2 s per run once the lakehouse exists, under 2 GB peak memory, and how the
time grows from 500 to 5,000 tickers. The universe is the seeded synthetic fixture
(:mod:`rebal.data.universe`), never market data.

For each size the script builds the lakehouse (prices + features; build time printed), then
measures, on the last five rebalance days:

- ``rebal risk4 generate`` as a user runs it: a fresh process each time (imports, DuckDB open,
  checks, selection, covariance, trades, artifacts), wall time and peak RSS of that process;
- the run itself in-process (``run_risk4`` + ``write_artifacts``), median of 5;
- the peer: the spec's own recipe in pandas (its SQL query of the latest features and its
  ``calculate_weights``: cap once, renormalise), median of 5, in the same process, with how many
  of its weights break the 3 % cap it claims to apply.

Usage: python benchmarks/bench_risk4.py [--sizes 500 1000 2000 5000] [--years 20] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

PROFILE = """\
description: "Risk4 with production defaults on the SYNTHETIC benchmark universe (not market data)"
benchmark: SYNIDX
target: {method: risk4}
risk4: {on_infeasible_caps: extend}   # the top 75 of a sector-clustered alpha can break the sector caps
notebooks: [risk4_picks]
"""

# Peak memory from /proc/self/status VmHWM (this process's own high-water mark): getrusage's
# ru_maxrss would carry over the parent's peak through fork + exec on Linux.
CHILD = """
import sys, time
t0 = time.perf_counter()
from rebal.cli import main
rc = main(sys.argv[1:])
dt = time.perf_counter() - t0
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))
print(f"__BENCH__ {rc} {dt:.4f} {hwm}", file=sys.stderr)
"""


def spec_recipe(lh, day: date):
    """Run the spec's query and calculate_weights, verbatim in substance (for the peer timing)."""
    df = lh.con.execute(
        "SELECT m.ticker, m.date, m.alpha, m.vol_blend, m.adv_20, t.sector FROM features m "
        "JOIN tickers t ON m.ticker = t.ticker WHERE m.date = (SELECT MAX(date) FROM features WHERE date <= ?) "
        "AND m.alpha IS NOT NULL AND m.vol_blend IS NOT NULL AND m.vol_blend > 0 AND m.adv_20 >= 2000000 "
        "AND t.sector IS NOT NULL ORDER BY m.alpha DESC", [day]).df()
    df["alpha_z"] = ((df["alpha"] - df["alpha"].mean()) / df["alpha"].std()).clip(-3, 3)
    top = df.nlargest(75, "alpha_z").copy()
    top["raw_weight"] = (top["alpha_z"] / top["vol_blend"]).clip(lower=0)
    top["weight"] = top["raw_weight"] / top["raw_weight"].sum()
    top["weight"] = top["weight"].clip(upper=0.03)
    top["weight"] = top["weight"] / top["weight"].sum()
    caps = df.groupby("sector").size() / len(df) * 2.0
    for sector in top["sector"].unique():
        mask = top["sector"] == sector
        sw = top.loc[mask, "weight"].sum()
        if sw > caps.get(sector, 0.03):
            top.loc[mask, "weight"] *= caps[sector] / sw
    top["weight"] = top["weight"] / top["weight"].sum()
    return top


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="keep the lakehouses in DIR (default: a temp dir, removed)")
    args = ap.parse_args()

    from rebal.calendar import rebalance_days
    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.data.universe import build_synthetic_lakehouse
    from rebal.selection.artifacts import write_artifacts
    from rebal.selection.risk4 import run_risk4

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_risk4_"))
    rows = []
    try:
        for n in args.sizes:
            home = root / f"u{n}"
            (home / "params" / "profiles").mkdir(parents=True, exist_ok=True)
            (home / "params" / "profiles" / "synthetic.yaml").write_text(PROFILE)
            lk = home / "data" / "lakehouse" / "rebal.duckdb"
            t0 = time.perf_counter()
            if not lk.exists():
                summary = build_synthetic_lakehouse(lk, n_tickers=n, years=args.years, seed=2026)
            else:
                summary = {"features": {"rows": "?"}}
            build_s = time.perf_counter() - t0 if "tickers" in summary else float("nan")  # nan: reused (--keep)
            size_mb = lk.stat().st_size / 1e6
            prof = load_profile(home / "params" / "profiles" / "synthetic.yaml")
            days = rebalance_days(date(2022, 11, 1), date(2022, 12, 30))[-args.repeat:]

            cli_t, cli_rss = [], []
            for d in days[:3]:
                out = home / "out" / str(d)
                p = subprocess.run([sys.executable, "-c", CHILD, "--home", str(home), "risk4", "generate",
                                    "--date", str(d), "--no-record", "--output-dir", str(out)],
                                   capture_output=True, text=True)
                line = [x for x in p.stderr.splitlines() if x.startswith("__BENCH__")][-1].split()
                if line[1] != "0":
                    raise SystemExit(f"generate failed on {d}: {p.stderr}")
                cli_t.append(float(line[2]))
                cli_rss.append(int(line[3]) / 1024)  # KiB -> MiB (Linux)
            wall = []
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "rebal", "--home", str(home), "risk4", "generate", "--date",
                                str(days[-1]), "--no-record", "--output-dir", str(home / "out" / "wall")],
                               capture_output=True, check=True)
                wall.append(time.perf_counter() - t)

            ours, peer, breaches, picks = [], [], [], 0
            with Lakehouse(lk) as lh:
                run_risk4(prof, lh, days[0])  # warm the calendar and imports, as a long-lived process would be
                for d in days:
                    t = time.perf_counter()
                    res = run_risk4(prof, lh, d)
                    write_artifacts(res, home / "out" / f"inproc-{d}")
                    ours.append(time.perf_counter() - t)
                    picks = len(res.weights)
                    t = time.perf_counter()
                    top = spec_recipe(lh, d)
                    peer.append(time.perf_counter() - t)
                    breaches.append(int((top["weight"] > 0.03 + 1e-12).sum()))
            rows.append({
                "tickers": n, "sessions": args.years * 252, "build_s": round(build_s, 1), "lakehouse_mb": round(size_mb),
                "cli_median_s": round(statistics.median(cli_t), 3), "cli_wall_median_s": round(statistics.median(wall), 3),
                "cli_peak_rss_mb": round(max(cli_rss)), "inproc_median_s": round(statistics.median(ours), 3),
                "peer_spec_recipe_median_s": round(statistics.median(peer), 3),
                "ratio_ours_over_peer": round(statistics.median(ours) / statistics.median(peer), 1),
                "picks": picks, "peer_cap_breaches": max(breaches),
            })
            print(json.dumps(rows[-1]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print("\nrisk4 generate on the synthetic universe (2 cores; medians; CLI = fresh process incl. imports)")
    print(f"{'tickers':>8} {'build s':>8} {'MB':>6} {'CLI s':>7} {'wall s':>7} {'peak MB':>8} {'run s':>7} "
          f"{'spec s':>7} {'ratio':>6} {'picks':>6} {'spec cap breaches':>18}")
    for r in rows:
        print(f"{r['tickers']:>8} {r['build_s']:>8} {r['lakehouse_mb']:>6} {r['cli_median_s']:>7} "
              f"{r['cli_wall_median_s']:>7} {r['cli_peak_rss_mb']:>8} {r['inproc_median_s']:>7} "
              f"{r['peer_spec_recipe_median_s']:>7} {r['ratio_ours_over_peer']:>6} {r['picks']:>6} "
              f"{r['peer_cap_breaches']:>18}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"\nscaling {a['tickers']} -> {b['tickers']} tickers: CLI x{b['cli_median_s'] / a['cli_median_s']:.2f}, "
              f"in-process run x{b['inproc_median_s'] / a['inproc_median_s']:.2f}; goal: CLI < 2 s and peak < 2048 MB at 5,000")


if __name__ == "__main__":
    main()
