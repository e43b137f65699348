"""Benchmark: the rule-lab engine against bt 1.4.1, and its sweeps, measured in one run.

Data: SYNTHETIC daily prices from seeded returns (``bench_allocation.synthetic_returns``: market
+ sector factors + t(5) noise), 500 assets x 2,520 sessions (ten years) after a 61-session
warm-up; equal target weights; regime from the 21-day realised volatility of the equal-weight
index (a proxy, as in the lab); dollar ADV synthetic (log-uniform $20M-$2B). Not market data.

Prints (medians of ``--repeat`` runs; ratios are between tools measured in this run):

1. one ``calendar:monthly`` backtest (fractional shares, a flat 20 bps of traded value, no impact,
   no regime multipliers): rebal vs bt 1.4.1 (the ``bench`` extra; commission function
   ``|q| * p * 0.002``, ``integer_positions=False``, ``RunMonthly`` on the last session of each
   month). Goals: rebal <= 0.1 s and >= 100x bt. Agreement: the largest relative difference
   between the two value paths (bt's normalised by its value after the day-one purchase). bt
   charges the fee out of each order's amount (a buy gets amount - fee of stock, a sale sells
   amount + fee), rebal on the trade sized at the pre-trade value, so the paths differ at the
   order of (cost rate)² per rebalance: tolerance 1e-4. At 0 bps (50 assets) they must agree to 1e-12;
2. one ``threshold:0.05`` backtest, rebal vs the reference loop of ``tests/unit/lab/test_engine.py``
   (a deliberately plain per-asset loop; on the first ``--ref-assets`` assets, it takes ~0.1 s an asset);
3. sensitivity grids with square-root impact and regime costs on: the 24-configuration grid of
   the study (thresholds 3/5/7/10 % x 10/20/50 bps, monthly/quarterly/annual calendars and the
   monthly hybrid at each cost) and a 60-configuration grid (the 24 plus the partial rules half,
   edge and cost at every threshold and cost level): in this process, on 2 local processes and
   on a Dask ``LocalCluster`` (2 workers x 1 thread) with the same chunks; the three results must
   be identical. Goal: the 60-configuration grid under 5 s on 2 cores;
4. the report's fast set without the two tax-aware rules (their lot accounting is per lot, in
   Python), on 2 local processes.

The machine's load average is printed at the start and the end: the 2 cores may be shared.

Usage: python benchmarks/bench_backtest.py [--assets 500] [--days 2520] [--repeat 3] [--bt-repeat 3]
       [--ref-assets 50] [--skip-bt] [--skip-grid]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "lab"))

from bench_allocation import synthetic_returns, timed  # noqa: E402

from rebal.analytics.risk import realized_vol_proxy_vix  # noqa: E402
from rebal.lab.engine import backtest  # noqa: E402
from rebal.lab.rules import Calendar, Threshold, parse_rule  # noqa: E402
from rebal.lab.spec import LabSpec  # noqa: E402
from rebal.lab.study import configs  # noqa: E402
from rebal.lab.sweep import Market, run_sweep  # noqa: E402


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def bt_monthly(prices: pd.DataFrame, weights: pd.Series, cost_bps: float) -> np.ndarray:
    """Value path of bt 1.4.1's monthly rebalance to ``weights``, normalised after the day-one purchase."""
    import bt

    rate = cost_bps / 1e4
    strategy = bt.Strategy("calendar:monthly", [
        bt.algos.RunMonthly(run_on_first_date=True, run_on_end_of_period=True, run_on_last_date=False),
        bt.algos.SelectAll(), bt.algos.WeighSpecified(**weights.to_dict()), bt.algos.Rebalance()])
    test = bt.Backtest(strategy, prices, initial_capital=1e6, commissions=lambda q, p: abs(q) * p * rate,
                       integer_positions=False, progress_bar=False)
    test.run()
    v = test.strategy.values.loc[prices.index].to_numpy()
    return v / v[0]


def rebal_monthly(prices: pd.DataFrame, weights: pd.Series, cost_bps: float) -> np.ndarray:
    return backtest(prices, weights, [Calendar("monthly")], cost_bps=cost_bps).values[:, 0]


def section_bt(window: pd.DataFrame, args) -> None:
    target = pd.Series(1.0 / window.shape[1], index=window.columns)
    t_ours, ours = timed(lambda: rebal_monthly(window, target, 20.0), args.repeat)
    print(f"\n1. calendar:monthly, {window.shape[1]} assets x {len(window)} sessions, 20 bps, fractional shares:")
    print(f"   rebal   {t_ours * 1e3:9.1f} ms (median of {args.repeat})   goal <= 100 ms: "
          f"{'met' if t_ours <= 0.1 else 'NOT met'}")
    if args.skip_bt:
        return
    try:
        import bt  # noqa: F401
    except ImportError:
        print("   bt 1.4.1 not installed: pip install -e '.[bench]'")
        return
    t_bt, theirs = timed(lambda: bt_monthly(window, target, 20.0), args.bt_repeat)
    diff = float(np.max(np.abs(ours / theirs - 1)))
    small = window.iloc[:, :50]
    w50 = pd.Series(1.0 / 50, index=small.columns)
    diff0 = float(np.max(np.abs(rebal_monthly(small, w50, 0.0) / bt_monthly(small, w50, 0.0) - 1)))
    print(f"   bt 1.4.1 {t_bt:8.2f} s  (median of {args.bt_repeat})   bt / rebal = {t_bt / t_ours:.0f}x   "
          f"goal >= 100x: {'met' if t_bt / t_ours >= 100 else 'NOT met'}")
    print(f"   same value path: max relative difference {diff:.1e} at 20 bps (tolerance 1e-4: "
          f"{'ok' if diff <= 1e-4 else 'EXCEEDED'}); {diff0:.1e} at 0 bps on 50 assets (tolerance 1e-12: "
          f"{'ok' if diff0 <= 1e-12 else 'EXCEEDED'})")


def section_reference(window: pd.DataFrame, args) -> None:
    from test_engine import reference  # the independent loop of the tests

    target = pd.Series(1.0 / window.shape[1], index=window.columns)
    t_ours, res = timed(lambda: backtest(window, target, [Threshold(0.05)], cost_bps=20.0), args.repeat)
    print(f"\n2. threshold:0.05, {window.shape[1]} x {len(window)}: rebal {t_ours * 1e3:.1f} ms (median of "
          f"{args.repeat}); {int(res.rebalanced.sum())} rebalances")
    small = window.iloc[:, :args.ref_assets]
    w = pd.Series(1.0 / small.shape[1], index=small.columns)
    t_small, res_small = timed(lambda: backtest(small, w, [Threshold(0.05)], cost_bps=20.0), args.repeat)
    t0 = time.perf_counter()
    v_ref, _, _, f_ref = reference(small, w.to_dict(), "thr", 0.05, 20.0)
    t_ref = time.perf_counter() - t0
    diff = float(np.max(np.abs(res_small.values[:, 0] / v_ref - 1)))
    print(f"   on the first {small.shape[1]} assets: rebal {t_small * 1e3:.1f} ms, reference loop {t_ref:.2f} s -> "
          f"{t_ref / t_small:.0f}x; rebalances {int(res_small.rebalanced.sum())} (reference {int(f_ref.sum())}), "
          f"max relative value difference {diff:.1e}")


def grid60(lab: LabSpec) -> list[tuple[str, float]]:
    """Return the study's 24-configuration grid plus partial half / edge / cost at every threshold and cost."""
    extra = [(f"partial:{m},{t:g}", c) for c in lab.cost_levels for t in lab.thresholds for m in ("half", "edge", "cost")]
    return configs(lab, "grid") + extra


def section_grids(market: Market, args) -> None:
    from distributed import Client, LocalCluster

    lab = LabSpec()
    grids = {"24": configs(lab, "grid"), "60": grid60(lab)}
    chunks = 4
    rows = {}
    for name, specs in grids.items():
        grid = [(parse_rule(s).config(), c) for s, c in specs]
        t_one, one = timed(lambda g=grid: run_sweep(market, g, workers=1, chunks=chunks, taxes=False), args.repeat)
        t_proc, proc = timed(lambda g=grid: run_sweep(market, g, workers=2, chunks=chunks, taxes=False), args.repeat)
        rows[name] = [len(grid), t_one, t_proc, one, proc]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("rebal.lab.sweep"))  # warm the workers' imports once
        for name, specs in grids.items():
            grid = [(parse_rule(s).config(), c) for s, c in specs]
            t_dask, dask = timed(lambda g=grid: run_sweep(market, g, scheduler=client, chunks=chunks, taxes=False),
                                 args.repeat)
            rows[name] += [t_dask, dask]
    print(f"\n3. sensitivity grids x {market.prices.shape[1]} assets x {len(market.prices.loc[market.start:])} "
          f"sessions (impact + regime costs on), {chunks} chunks, median of {args.repeat}:")
    print(f"   {'grid':<24} {'in-process':>11} {'2 processes':>12} {'Dask 2x1':>10}  identical")
    for k, t_one, t_proc, one, proc, t_dask, dask in rows.values():
        same = all(np.array_equal(getattr(one.result, f), getattr(other.result, f))
                   for other in (proc, dask) for f in ("values", "costs", "turnover", "trades"))
        print(f"   {k:>2} configurations        {t_one:10.2f}s {t_proc:11.2f}s {t_dask:9.2f}s  {same}")
    best = min(rows["60"][2], rows["60"][5])
    print(f"   goal: the 60-configuration grid under 5 s on 2 cores: {'met' if best < 5 else 'NOT met'} ({best:.2f} s)")

    fast = [(parse_rule(s).config(), c) for s, c in configs(lab, "fast") if not s.startswith("tax:")]
    t_fast, _ = timed(lambda: run_sweep(market, fast, workers=2, chunks=chunks, taxes=False), 1)
    print(f"\n4. fast set without tax rules, {len(fast)} configurations, 2 local processes: {t_fast:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=500)
    ap.add_argument("--days", type=int, default=2520)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bt-repeat", type=int, default=3)
    ap.add_argument("--ref-assets", type=int, default=50)
    ap.add_argument("--skip-bt", action="store_true", help="do not run bt (section 1 prints rebal alone)")
    ap.add_argument("--skip-grid", action="store_true", help="sections 1 and 2 only")
    args = ap.parse_args()

    warm = 61
    rets = synthetic_returns(args.assets, args.days + warm, seed=11)
    prices = 100 * (1 + rets).cumprod()
    target = pd.Series(1.0 / args.assets, index=prices.columns)
    vix = realized_vol_proxy_vix(prices.mean(axis=1)).bfill().to_numpy()
    adv = np.exp(np.random.default_rng(3).uniform(np.log(2e7), np.log(2e9), args.assets))[None, :].repeat(len(prices), 0)
    start = prices.index[warm]
    print(f"SYNTHETIC data: {args.assets} assets x {args.days} sessions (+{warm} warm-up), equal weights; "
          f"stress days {int((vix[warm:] >= 30).sum())}, elevated {int(((vix[warm:] >= 20) & (vix[warm:] < 30)).sum())}")
    print(f"start: {load()}")
    window = prices.loc[start:]
    section_bt(window, args)
    section_reference(window, args)
    if not args.skip_grid:
        section_grids(Market(prices, target, start, vix, adv), args)
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
