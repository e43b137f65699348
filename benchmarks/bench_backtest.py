"""Benchmark: the rule-lab engine and its sweeps, measured in one run.

Data: SYNTHETIC daily prices from seeded returns (``bench_allocation.synthetic_returns``: market
+ sector factors + t(5) noise), 500 assets x 2,520 sessions (ten years) after a 61-session
warm-up; equal target weights; regime from the 21-day realised volatility of the equal-weight
index (a proxy, as in the lab); dollar ADV synthetic (log-uniform $20M-$2B). Not market data.

Prints:

1. one ``threshold:0.05`` backtest (flat 20 bps): the vectorised engine (median of ``--repeat``)
   vs the reference engine, the deliberately plain per-asset loop of ``tests/test_lab.py``
   (one run; its results must agree: the largest relative value difference is printed);
2. the sensitivity grid (thresholds 3/5/7/10 % x 10/20/50 bps + monthly/quarterly/annual
   calendars and the monthly hybrid at each cost: 24 configurations, square-root impact and
   regime multipliers on; regimes are a breakdown of each run), in this process, on 2 local
   processes and on a Dask ``LocalCluster`` (2 workers x 1 thread) with the same chunks
   (goal: under 10 s on 2 cores); the three results must be identical;
3. the report's fast set without the two tax-aware rules (their lot accounting is per lot, in
   Python), on 2 local processes.

Usage: python benchmarks/bench_backtest.py [--assets 500] [--days 2520] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_allocation import synthetic_returns, timed  # noqa: E402

from rebal.analytics.risk import realized_vol_proxy_vix  # noqa: E402
from rebal.lab.engine import backtest  # noqa: E402
from rebal.lab.rules import Threshold, parse_rule  # noqa: E402
from rebal.lab.spec import LabSpec  # noqa: E402
from rebal.lab.study import configs  # noqa: E402
from rebal.lab.sweep import Market, run_sweep  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=500)
    ap.add_argument("--days", type=int, default=2520)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from test_lab import reference  # the independent loop of the tests

    warm = 61
    rets = synthetic_returns(args.assets, args.days + warm, seed=11)
    prices = 100 * (1 + rets).cumprod()
    target = pd.Series(1.0 / args.assets, index=prices.columns)
    vix = realized_vol_proxy_vix(prices.mean(axis=1)).bfill().to_numpy()
    adv = np.exp(np.random.default_rng(3).uniform(np.log(2e7), np.log(2e9), args.assets))[None, :].repeat(len(prices), 0)
    start = prices.index[warm]
    print(f"SYNTHETIC data: {args.assets} assets x {args.days} sessions (+{warm} warm-up), equal weights; "
          f"stress days {int((vix[warm:] >= 30).sum())}, elevated {int(((vix[warm:] >= 20) & (vix[warm:] < 30)).sum())}")

    # 1. one threshold backtest vs the reference loop
    window = prices.loc[start:]
    t_ours, res = timed(lambda: backtest(window, target, [Threshold(0.05)], cost_bps=20.0), args.repeat)
    t0 = time.perf_counter()
    v_ref, c_ref, _, f_ref = reference(window, target.to_dict(), "thr", 0.05, 20.0)
    t_ref = time.perf_counter() - t0
    diff = float(np.max(np.abs(res.values[:, 0] / v_ref - 1)))
    print(f"\n1. threshold:0.05, {args.assets} x {args.days}: rebal {t_ours * 1e3:.0f} ms (median of {args.repeat}), "
          f"reference loop {t_ref:.2f} s -> {t_ref / t_ours:.0f}x; {int(res.rebalanced.sum())} rebalances "
          f"(reference {int(f_ref.sum())}), max relative value difference {diff:.1e}")

    # 2. the grid: in-process, local processes, Dask LocalCluster (same chunks)
    lab = LabSpec()
    grid = [(parse_rule(s).config(), c) for s, c in configs(lab, "grid")]
    market = Market(prices, target, start, vix, adv)
    chunks = 4
    t_one, one = timed(lambda: run_sweep(market, grid, workers=1, chunks=chunks, taxes=False), args.repeat)
    t_proc, proc = timed(lambda: run_sweep(market, grid, workers=2, chunks=chunks, taxes=False), args.repeat)
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("rebal.lab.sweep"))  # warm the workers' imports once
        t_dask, dask = timed(lambda: run_sweep(market, grid, scheduler=client, chunks=chunks, taxes=False), args.repeat)
    same = (np.array_equal(one.result.values, proc.result.values) and np.array_equal(one.result.values, dask.result.values)
            and np.array_equal(one.result.costs, dask.result.costs))
    print(f"\n2. sensitivity grid, {len(grid)} configurations x {args.assets} assets x {args.days} sessions "
          f"(impact + regime costs on), median of {args.repeat}:")
    print(f"   in-process            {t_one:6.2f} s")
    print(f"   2 local processes     {t_proc:6.2f} s   ({t_one / t_proc:.2f}x in-process)   goal < 10 s: "
          f"{'met' if t_proc < 10 else 'NOT met'}")
    print(f"   Dask LocalCluster 2x1 {t_dask:6.2f} s   ({t_proc / t_dask:.2f}x local processes)")
    print(f"   identical results in all three: {same}")

    # 3. fast set without the tax rules
    fast = [(parse_rule(s).config(), c) for s, c in configs(lab, "fast") if not s.startswith("tax:")]
    t_fast, _ = timed(lambda: run_sweep(market, fast, workers=2, chunks=chunks, taxes=False), 1)
    print(f"\n3. fast set without tax rules, {len(fast)} configurations, 2 local processes: {t_fast:.2f} s")


if __name__ == "__main__":
    main()
