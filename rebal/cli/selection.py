"""The Risk4 commands: `schedule`, `features build` and `risk4 check|validate|generate`."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from rebal.cli.common import Parser, parse_date, paths_of, positive_int, profiles_and_lake

__all__ = ["register"]


def _cmd_schedule(args: argparse.Namespace) -> int:
    from rebal.calendar import schedule_document
    from rebal.errors import ConfigError

    start = args.from_date or date.today()
    try:
        doc = schedule_document(start, n=args.next, anchor=args.anchor, every=args.every)
    except ValueError as exc:
        raise ConfigError(f"schedule: {exc}") from None
    if args.out:
        from rebal.fileio import atomic_write_json

        atomic_write_json(args.out, doc, indent=2)
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    key = next(k for k in doc if k.startswith("next_"))
    today = "is" if doc["is_rebalance_day"] else "is not"
    print(f"{start} {today} a rebalance day (every {args.every} NYSE sessions from {doc['anchor_date']}).")
    print(f"next {args.next} rebalance dates: " + ", ".join(doc[key]))
    return 0


def _cmd_features(args: argparse.Namespace) -> int:
    from rebal.data.features import build_features
    from rebal.data.lakehouse import Lakehouse

    paths = paths_of(args)
    if not paths.lakehouse.is_file():
        Lakehouse(paths.lakehouse)  # raises the standard "lakehouse not found" error
    with Lakehouse(paths.lakehouse, read_only=False) as lh:
        summary = build_features(lh, start=args.start, end=args.end)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"features: {summary['rows']:,} rows for {summary['tickers']} tickers, "
              f"{summary['first_date']} .. {summary['last_date']}")
    return 0


def _risk4_profiles(args: argparse.Namespace):
    """Resolve the Risk4 profiles asked for (default: every profile with a risk4 block) and the run date."""
    from rebal.errors import ConfigError

    paths, lh, profiles, _ = profiles_and_lake(args)
    if args.profile:
        for p in profiles:
            if p.risk4 is None:
                raise ConfigError(f"{p.source}: `target.method`: profile {p.name!r} is not a Risk4 profile "
                                  "(needs `target.method: risk4` and a `risk4` block)")
    else:
        profiles = [p for p in profiles if p.risk4 is not None]
        if not profiles:
            raise ConfigError(f"{paths.params_dir}: no Risk4 profile (target.method: risk4)")
    from rebal.data.freshness import check_as_of

    # staleness is the process's own CRITICAL alert (written with the checks); a date past the calendar is not
    return paths, lh, profiles, check_as_of(lh, args.date, max_stale_sessions=None, what="--date")


def _print_checks(res) -> None:
    print(f"{res.profile.name} {res.date}: " + ("a rebalance day" if res.is_rebalance_day else "not a rebalance day")
          + f" (every {res.profile.risk4.every} NYSE sessions from {res.profile.risk4.anchor}); "
            f"next {res.next_rebalance}")
    for r in res.checks.itertuples():
        print(f"  {r.status:<4} {r.severity:<8} {r.check:<32} {str(r.value):<14} {r.limit}"
              + (f"  ({r.detail})" if r.detail else ""))
    for a in res.alerts:
        print(f"  {a.severity}: {a.message}")


def _cmd_risk4(args: argparse.Namespace) -> int:
    from rebal.errors import ConfigError
    from rebal.selection.artifacts import record_run, write_artifacts
    from rebal.selection.risk4 import read_prior_file, run_risk4

    paths, lh, profiles, day = _risk4_profiles(args)
    action = args.risk4_command
    if action == "generate" and len(profiles) > 1 and (args.output_dir or args.prior_holdings):
        raise ConfigError("--output-dir and --prior-holdings apply to one profile: add --profile NAME")
    prior = (read_prior_file(args.prior_holdings, lh.known_tickers())
             if action == "generate" and args.prior_holdings else None)
    results = []
    for prof in profiles:
        res = run_risk4(prof, lh.at(day), day, prior=prior, checks_only=action != "generate")
        results.append(res)
    lh.close()
    code = 0
    out = []
    for res in results:
        doc = {"profile": res.profile.name, "date": str(res.date), "status": res.status,
               "is_rebalance_day": res.is_rebalance_day, "next_rebalance": str(res.next_rebalance),
               "checks": res.checks.to_dict(orient="records"), "alerts": [a.__dict__ for a in res.alerts]}
        if action == "generate":
            from rebal.data.lakehouse import Lakehouse

            target = args.output_dir or paths.reports_dir / "risk4" / res.profile.name / str(res.date)
            # open the lakehouse for writing before writing files, so a locked lakehouse fails first
            writer = None if args.no_record else Lakehouse(paths.lakehouse, read_only=False)
            try:
                files = write_artifacts(res, target)
                if writer is not None:
                    record_run(writer, res)
            finally:
                if writer is not None:
                    writer.close()
            doc["files"] = [str(f) for f in files]
            doc["recorded"] = not args.no_record
            if not res.blocked:
                doc["summary"] = res.summary()
        out.append(doc)
        if res.blocked:
            code = 2
            sys.stderr.write(f"rebal: error: {res.profile.source}: Risk4 run of {res.date} BLOCKED: {res.block_reason}"
                             + (f" (alerts in {doc['files'][0]})" if action == "generate" else "") + "\n")
        elif action == "check" and not res.is_rebalance_day and code == 0:
            code = 1
    if args.json:
        print(json.dumps(out if len(out) > 1 else out[0], indent=2, default=str))
        return code
    for res, doc in zip(results, out, strict=True):
        if action != "generate":
            _print_checks(res)
            continue
        if res.blocked:
            print(f"{res.profile.name} {res.date}: BLOCKED; wrote {', '.join(Path(f).name for f in doc['files'])} "
                  f"to {Path(doc['files'][0]).parent}")
            continue
        s = res.summary()
        buys = res.trades[res.trades["action"] == "BUY"]
        sells = res.trades[res.trades["action"] == "SELL"]
        print(f"{res.profile.name} {res.date}: {res.status}, {s['portfolio']['n_positions']} positions "
              f"({len(res.universe)} names in the universe), exposure {res.exposure:.1%}, cash {1 - res.exposure:.1%}")
        print(f"  estimated vol {res.estimated_vol:.1%} (target {res.profile.risk4.target_vol:.0%}), beta "
              f"{res.estimated_beta:.2f}, turnover vs prior {res.turnover:.1%} ({res.prior.source})")
        print(f"  trades: {len(buys)} buys ${buys['estimated_value'].sum():,.0f}, {len(sells)} sells "
              f"${sells['estimated_value'].sum():,.0f}; regime {res.regime.get('current')}")
        for a in res.alerts:
            print(f"  {a.severity}: {a.message}")
        print(f"  wrote {', '.join(Path(f).name for f in doc['files'])} to {Path(doc['files'][0]).parent}"
              + ("" if args.no_record else "; recorded in the lakehouse"))
    return code


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    sc = sub.add_parser("schedule", help="NYSE rebalance schedule: every K sessions from an anchor",
                        description="Rebalance days are NYSE sessions (exchange_calendars XNYS) a multiple of K "
                        "sessions after the anchor; holidays and special closures are never rebalance days.")
    sc.add_argument("--from", dest="from_date", type=parse_date, metavar="DATE", help="start date (default: today)")
    sc.add_argument("--next", type=positive_int, default=10, metavar="N", help="how many dates (default 10)")
    sc.add_argument("--anchor", type=parse_date, default=date(2015, 1, 2), metavar="DATE",
                    help="anchor session (default 2015-01-02)")
    sc.add_argument("--every", type=positive_int, default=5, metavar="K",
                    help="sessions between rebalances (default 5)")
    sc.add_argument("--json", action="store_true", help="print schedule.json content")
    sc.add_argument("--out", type=Path, metavar="FILE", help="also write it to FILE (e.g. schedule.json)")
    sc.set_defaults(func=_cmd_schedule)

    fe = sub.add_parser("features", help="build the Risk4 feature table from the lakehouse prices",
                        description="Compute the documented feature pipeline (12-1 momentum, 1-month reversal, "
                        "low volatility -> alpha composite; vol_20/60/252, vol_blend, adv_20) for every equity with a "
                        "sector, in DuckDB, and replace the rows of the chosen dates in one transaction.")
    fsub = fe.add_subparsers(dest="features_command", required=True, metavar="ACTION", parser_class=Parser)
    fb = fsub.add_parser("build", help="(re)compute the features table", description=fe.description)
    fb.add_argument("--start", type=parse_date, metavar="DATE", help="first date to (re)compute (default: all)")
    fb.add_argument("--end", type=parse_date, metavar="DATE", help="last date (default: latest price)")
    fb.add_argument("--json", action="store_true", help="print the summary as JSON")
    fb.set_defaults(func=_cmd_features)

    r4 = sub.add_parser("risk4", help="weekly Risk4 stock selection: check, validate, generate picks and trades",
                        description="The Risk4 process of each risk4 profile (default: all of them) on a date "
                        "(default: the latest price date). Exit codes: 0 fine; 1 (check only) not a rebalance day; "
                        "2 blocked by a CRITICAL alert or bad input.")
    r4sub = r4.add_subparsers(dest="risk4_command", required=True, metavar="ACTION", parser_class=Parser)
    for name, helptext in (("check", "is DATE a rebalance day, and do the pre-rebalance checks pass"),
                           ("validate", "pre-rebalance checks only (data freshness, signal quality, universe health)"),
                           ("generate", "picks, weights and trades; writes picks.csv, trades.csv, "
                            "portfolio_summary.json, schedule.json, alerts.json, checks.csv")):
        q = r4sub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        q.add_argument("--profile", action="extend", nargs="+", metavar="NAME", help="Risk4 profile(s) (default: all)")
        q.add_argument("--date", type=parse_date, metavar="DATE", help="run date (default: latest price date)")
        q.add_argument("--json", action="store_true", help="machine-readable output")
        if name == "generate":
            q.add_argument("--prior-holdings", type=Path, metavar="PATH",
                           help="CSV of prior holdings (ticker, shares or target_shares as in picks.csv; CASH row = "
                           "cash). Default: the newest holdings snapshot or recorded run before DATE")
            q.add_argument("--output-dir", type=Path, metavar="DIR",
                           help="where to write the files (default reports/risk4/<profile>/<date>)")
            q.add_argument("--no-record", action="store_true",
                           help="do not record the run in the lakehouse (a dry run for the next run's prior)")
        q.set_defaults(func=_cmd_risk4)
