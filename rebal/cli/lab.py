"""The rule-lab command: `backtest`."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rebal.cli.common import parse_date, paths_of, positive_int

__all__ = ["register"]


def _cmd_backtest(args: argparse.Namespace) -> int:
    from rebal.config import load_profile
    from rebal.data.freshness import check_as_of
    from rebal.data.lakehouse import Lakehouse
    from rebal.lab.run import lab_json, run_lab, write_lab

    paths = paths_of(args)
    with Lakehouse(paths.lakehouse) as lh:
        prof = load_profile(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
        for flag, day in (("--start", args.start), ("--end", args.end)):
            if day is not None:
                check_as_of(lh, day, max_stale_sessions=prof.data.max_stale_sessions, what=flag)
        which = "full" if args.full else "grid" if args.grid else "fast"
        run = run_lab(prof, lh, rules=args.rule, which=which, start=args.start, end=args.end, refit=args.refit,
                      workers=args.workers, scheduler=args.scheduler, progress=not args.json and sys.stderr.isatty())
    out = write_lab(run, args.out or paths.reports_dir / "backtests" / prof.name)
    if args.json:
        print(json.dumps(lab_json(run) | {"out": str(out)}, indent=2, default=str))
        return 0
    inp = run.inputs
    src = inp.vix_source.value_counts()
    print(f"rule lab: {prof.name}, {inp.start} .. {inp.end} ({len(inp.vix_source)} sessions), "
          f"{len(run.summary)} configurations, target "
          f"{'fitted once at the start' if len(inp.target) == 1 else f'refitted {len(inp.target)} times'}")
    print(f"   regime from the VIX on {src.get('VIX', 0)} sessions, realised-volatility proxy on {src.get('proxy', 0)}"
          + ("; volumes (ADV, impact) are synthetic" if inp.synthetic_volume else ""))
    for n in inp.notes:
        print(f"   note: {n}")
    cols = ["tracking_error", "cost_per_year", "turnover_per_year", "rebalances", "sharpe", "max_drawdown", "taxes"]
    table = run.summary[cols].copy()
    print(f"   {'configuration':<32} {'TE':>7} {'cost/yr':>8} {'turn/yr':>8} {'rebal':>6} {'Sharpe':>7} "
          f"{'maxDD':>7} {'taxes':>7}")
    for label, r in table.iterrows():
        print(f"   {label:<32} {r.tracking_error:>7.2%} {r.cost_per_year:>8.3%} {r.turnover_per_year:>8.1%} "
              f"{int(r.rebalances):>6} {r.sharpe:>7.2f} {r.max_drawdown:>7.1%} {r.taxes:>7.1%}")
    print(f"   target (daily rebalanced, cost-free): Sharpe {run.summary['target_sharpe'].iloc[0]:.2f}; "
          "taxes in % of the initial value (FIFO lots for rules that are not tax-aware)")
    for v in run.verdicts + run.literature:
        tag = {True: "SUPPORTED", False: "NOT SUPPORTED", None: "NOT TESTED"}[v.supported]
        print(f"   [{tag}] {v.number}. {v.statement}\n        {v.evidence}")
    print(f"results in {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    from rebal.lab.rules import RULE_KINDS

    bt = sub.add_parser("backtest", help="rule lab: backtest rebalancing rules on a profile, sweeps, hypotheses",
                        description="Backtest rebalancing rules on a profile's universe and target over its lab window "
                        "(costs: flat level + square-root impact, x regime multipliers). Without --rule: the study's "
                        "configuration set (default: the sensitivity grid + the profile's lab.rules; --grid: the grid "
                        "only; --full: every rule at every cost level). Writes reports/backtests/PROFILE/ (CSV, "
                        "Parquet, study.json) and prints a summary and the four planner hypotheses' verdicts.",
                        epilog="rule specs: " + "; ".join(RULE_KINDS.values()))
    bt.add_argument("--profile", required=True, metavar="NAME", help="profile to backtest")
    bt.add_argument("--rule", action="append", metavar="SPEC", help="a rule spec (repeatable), e.g. threshold:0.05")
    g = bt.add_mutually_exclusive_group()
    g.add_argument("--grid", action="store_true",
                   help="the sensitivity grid only (thresholds x costs, calendars, hybrid)")
    g.add_argument("--full", action="store_true", help="the full grid (every rule at every cost level, variants)")
    bt.add_argument("--start", type=parse_date, metavar="DATE",
                    help="first session (default: lab.years before the end)")
    bt.add_argument("--end", type=parse_date, metavar="DATE", help="last session (default: latest data)")
    bt.add_argument("--refit", choices=["none", "monthly", "quarterly", "annual"],
                    help="refit the target on this calendar (default: lab.refit)")
    bt.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1, metavar="N",
                    help="local processes for the sweep (default: the CPU count; 1 = in this process)")
    bt.add_argument("--scheduler", metavar="ADDRESS", help="run the sweep on a Dask distributed scheduler "
                    "(e.g. tcp://127.0.0.1:8786); results are identical to a local run")
    bt.add_argument("--out", type=Path, metavar="DIR", help="output directory (default reports/backtests/PROFILE)")
    bt.add_argument("--json", action="store_true", help="machine-readable output")
    bt.set_defaults(func=_cmd_backtest)
