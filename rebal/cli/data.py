"""The `rebal data` commands: build the sample lakehouse, import files, show what is there."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rebal.cli.common import Parser, move_factor, paths_of, size_mb, whole_number
from rebal.limits import DEFAULT_MAX_MOVE, MAX_IMPORT_BYTES

__all__ = ["register"]


def _cmd_build_sample(args: argparse.Namespace) -> int:
    from rebal.config import load_profiles
    from rebal.data.sample import SAMPLE_SEED, build_sample_lakehouse
    from rebal.monitor.sample_holdings import seed_sample_holdings

    paths = paths_of(args)
    if paths.lakehouse.exists() and not args.force:
        print(f"lakehouse already exists: {paths.lakehouse} (use --force to rebuild it; "
              "this discards imported data)", file=sys.stderr)
        return 0
    # Validate every profile before building anything: a bad profile must not cost a build.
    profiles = load_profiles(None, paths.params_dir)
    seed = args.seed if args.seed is not None else SAMPLE_SEED
    print(f"building the sample lakehouse at {paths.lakehouse} (seed {seed}) ...", file=sys.stderr)

    def post(lh):
        known = lh.known_tickers()
        checked = [p for p in load_profiles([p.name for p in profiles], paths.params_dir, known_tickers=known)]
        from rebal.llm.batch import backfill_sample

        return seed_sample_holdings(lh, checked) | backfill_sample(lh, checked)

    summary = build_sample_lakehouse(paths.lakehouse, seed=seed, post_build=post)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        rows = summary["rows"]
        print(f"built {summary['path']}: {rows['prices']:,} price rows {summary['first_date']} .. "
              f"{summary['last_date']}, {rows['tickers']} tickers, {rows['holdings']} holdings rows")
        c = summary["calibration"]
        print(f"synthetic OHLV layer (flagged ohlv_synthetic): gap share {c['gap_variance_share']:.2f}, "
              f"Parkinson/close-to-close {c['parkinson_over_cc']:.2f}, "
              f"median log(H/L)/|r| {c['median_range_over_abs_return']:.2f}")
        for name, s in summary.get("sample_holdings", {}).items():
            print(f"  {name}: {s['implementations']} implementations, last {s['last_implemented']}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from rebal.config import list_profiles
    from rebal.data.importers import import_file
    from rebal.data.plausible import parse_confirmed_moves
    from rebal.errors import ConfigError

    paths = paths_of(args)
    try:
        confirmed = parse_confirmed_moves(args.confirm_move)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    profiles = set(list_profiles(paths.params_dir)) if args.kind == "holdings" else None
    summary = import_file(paths.lakehouse, args.kind, args.file, allow_case_variants=args.allow_case_variants,
                          max_move=args.max_move, confirmed_moves=confirmed, profiles=profiles,
                          max_bytes=int(args.max_size * 1e6))
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        extra = ", ".join(f"{k} {v}" for k, v in summary.items() if k not in ("kind", "rows", "layout"))
        for note in summary.get("layout", []):  # how the file was read (rebal.data.layouts)
            print(f"read {args.file}: {note}")
        print(f"imported {summary['rows']} {args.kind} rows from {args.file}" + (f" ({extra})" if extra else ""))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from rebal.data.lakehouse import Lakehouse
    from rebal.data.schema import SCHEMA_DOC

    paths = paths_of(args)
    with Lakehouse(paths.lakehouse) as lh:
        info = lh.snapshot() | {"meta": lh.meta()}
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(f"lakehouse {info['path']} (built {info['built_at']}), latest price date {info['latest_price_date']}")
    for t, n in info["row_counts"].items():
        print(f"  {t:<17} {n:>9,} rows  {SCHEMA_DOC[t]}")
    print("(counts from the file's metadata; `rebal data check` reads every table whole to find a damaged block)")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from rebal.cli.data_check import check_lakehouse

    return check_lakehouse(paths_of(args), as_json=args.json, drop_off_calendar=args.drop_off_calendar)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    dp = sub.add_parser("data", help="build the sample lakehouse, import prices, holdings, tickers or alpha, show "
                        "what is there",
                        description="Manage the DuckDB lakehouse (data/lakehouse/rebal.duckdb): build the sample, "
                        "import your own prices, holdings, tickers or alpha (your own signal for Risk4's "
                        "risk4.alpha_source: imported) from CSV or Parquet, list and check its tables.")
    dsub = dp.add_subparsers(dest="data_command", required=True, metavar="ACTION", parser_class=Parser)
    b = dsub.add_parser("build-sample", help="build the sample lakehouse from real data shipped in packages",
                        description="Build the sample lakehouse offline from skfolio's and arch's bundled "
                        "data (20 S&P 500 stocks, the S&P 500 index, 5 factor ETFs, VIX) plus a calibrated, "
                        "flagged synthetic open/high/low/volume layer, and implement each profile's sample "
                        "holdings. Written atomically.")
    b.add_argument("--force", action="store_true", help="rebuild even if the lakehouse exists (discards imported data)")
    b.add_argument("--seed", type=whole_number, help="seed of the synthetic layer (default: the fixed sample seed)")
    b.add_argument("--json", action="store_true", help="print the build summary as JSON")
    b.set_defaults(func=_cmd_build_sample)
    imp = dsub.add_parser("import",
                          help="import prices, holdings, tickers, alpha, news or tax lots from CSV or Parquet",
                          description="Validate a CSV/Parquet file and write it in one transaction. "
                          "prices: date, ticker, close [, open, high, low, volume], or wide (a date column "
                          "then one column of closes per ticker); adj_close is read as close when there is no "
                          "close column; column names match whatever their case (Date, Ticker, Close). "
                          "holdings: profile, as_of, ticker, shares (ticker CASH = cash in USD) [, cost_basis "
                          "(total USD), acquired: the row is one tax lot]. "
                          "tickers: ticker [, name, sector, asset_class, is_benchmark]. "
                          "alpha: date, ticker, alpha (your own signal, for risk4.alpha_source: imported). "
                          "news: date, ticker, headline [, body, source] (for profiles with an llm block). "
                          "lots: profile, as_of, ticker, acquired, shares, cost_basis (total USD): the open tax "
                          "lots on as_of, overriding the bases inferred from closes. "
                          "Dates are YYYY-MM-DD (numbers are not dates) and not after today; prices and alpha "
                          "are dated on NYSE sessions. Values no market produces and one-day moves beyond "
                          "--max-move are refused. A file with any bad row is rejected whole; the lakehouse is "
                          "then unchanged.")
    imp.add_argument("kind", choices=["prices", "holdings", "tickers", "alpha", "news", "lots"],
                     help="what the file holds")
    imp.add_argument("file", type=Path, help="a .csv or .parquet file")
    imp.add_argument("--json", action="store_true", help="print the import summary as JSON")
    imp.add_argument("--allow-case-variants", action="store_true",
                     help="accept tickers that differ only in letter case from known ones (refused by default as "
                     "likely typos)")
    imp.add_argument("--max-move", type=move_factor, default=DEFAULT_MAX_MOVE, metavar="FACTOR",
                     help="refuse a close more than FACTOR times (or less than 1/FACTOR of) the previous close of the "
                     "same ticker (default %(default)g: +300 %% / -75 %% a day; usually an unadjusted split)")
    imp.add_argument("--confirm-move", action="append", metavar="TICKER:DATE",
                     help="accept the one-day move of TICKER's close on DATE (a split or a real move you checked; "
                     "repeatable)")
    imp.add_argument("--max-size", type=size_mb, default=MAX_IMPORT_BYTES / 1e6, metavar="MB",
                     help="refuse a file above MB megabytes before reading it (default %(default)g; a file takes about "
                     "20 times its size in memory; 0: no limit)")
    imp.set_defaults(func=_cmd_import)
    inf = dsub.add_parser("info", help="tables, row counts and the latest date",
                          description="Show the lakehouse tables with their row counts and documentation.")
    inf.add_argument("--json", action="store_true", help="machine-readable output")
    inf.set_defaults(func=_cmd_info)
    chk = dsub.add_parser("check", help="read every table whole: find a damaged lakehouse before a report does",
                          description="Read every row of every table of the lakehouse (info only reads its "
                          "metadata) and list the row counts; a damaged block is named with its table, exit 2. Then "
                          "look for data the importer refuses today: prices or alpha dated off the NYSE calendar, "
                          "values no market produces, one-day moves beyond 4x, empty books, indexes held (exit 2).")
    chk.add_argument("--json", action="store_true", help="machine-readable output")
    chk.add_argument("--drop-off-calendar", action="store_true",
                     help="delete the price and alpha rows dated on days that are not NYSE sessions (in one "
                     "transaction), then check again")
    chk.set_defaults(func=_cmd_check)
