"""The weekly job: `run`, and `packet` (rebuild a week's packet from its files)."""
from __future__ import annotations

import argparse
import os
import sys

from rebal.cli.common import parse_date, paths_of, positive_int

__all__ = ["register"]


def _cmd_run(args: argparse.Namespace) -> int:
    from rebal.report.runner import run_weekly

    outcome = run_weekly(
        profiles=args.profile or None,
        as_of=args.as_of,
        workers=args.workers,
        notebooks=args.notebook or None,
        paths=paths_of(args),
        progress=not args.quiet,
        scheduler=args.scheduler,
        pdf=not args.html_only,
        packet=not (args.html_only or args.no_packet),
    )
    return 0 if outcome.ok else 1


def _cmd_packet(args: argparse.Namespace) -> int:
    from rebal.data.lakehouse import Lakehouse
    from rebal.errors import DataError
    from rebal.report import week, week_index

    paths = paths_of(args)
    out_dir = paths.reports_dir / str(args.as_of)
    if not (out_dir / week.MANIFEST).is_file():
        raise DataError(f"{out_dir / week.MANIFEST}: no weekly run for {args.as_of}; "
                        f"run `rebal run --as-of {args.as_of}`")
    facts = {}
    if paths.lakehouse.is_file():
        with Lakehouse(paths.lakehouse) as lh:
            facts = lh.at(args.as_of).describe()
    with week.week_lock(out_dir):
        state = week.read_manifest(out_dir)
        built = week.build_packet(out_dir, lakehouse_meta=facts)
        week_index.write_index(out_dir, state)  # the index links the packet just built
    if state.get("stale"):  # a run recorded as in progress has not finished (or was killed)
        runs = ", ".join(f"{e.get('id')} (pid {e.get('pid')}, started {e.get('started_at')})"
                         for e in state.get("in_progress", []))
        print(f"rebal: warning: {out_dir / week.MANIFEST}: status {state['status']}: run {runs} did not finish; "
              "the packet shows the reports recorded so far", file=sys.stderr)
    if built is None:
        raise DataError(f"{out_dir}: no report of {args.as_of} rendered, so there is no packet to build")
    took = sum((built.seconds or {}).values())
    print(f"rebuilt {built.pdf} ({built.pages} pages: a {built.decision_pages}-page decision document, then "
          f"{built.reports} reports' own PDFs) and {built.html.name} from the week's files in {took:.1f} s; "
          "nothing was run")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    rp = sub.add_parser("run", help="run the weekly job: notebooks per profile, HTML + PDF + committee packet",
                        description="Run the template notebooks for each profile with papermill, render "
                        "each to HTML and PDF under reports/<as_of>/<profile>/, and build "
                        "reports/<as_of>/committee_packet.pdf. All profiles are validated first; a "
                        "failing notebook fails only its own report (exit code 1). A run with no report to make "
                        "(e.g. --notebook risk4_picks for a profile without a risk4 block) says why, writes "
                        "nothing and exits 2; a run in which no report rendered leaves the packet as it was.")
    rp.add_argument("--profile", action="extend", nargs="+", metavar="NAME",
                    help="profile(s) to run (repeatable; default: all in params/profiles)")
    rp.add_argument("--as-of", type=parse_date, metavar="DATE",
                    help="rerun the week as of DATE (YYYY-MM-DD), using only data on or before it "
                    "(default: the latest date in the lakehouse)")
    rp.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1, metavar="N",
                    help="parallel processes (default: number of cores, %(default)s here; ignored with --scheduler)")
    rp.add_argument("--notebook", action="extend", nargs="+", metavar="NAME",
                    help="run only this template notebook (repeatable; default: each profile's list)")
    rp.add_argument("--scheduler", metavar="ADDRESS",
                    help="send the report jobs to the Dask distributed scheduler at ADDRESS (e.g. "
                    "tcp://host:8786) instead of local processes; same reports, layout, run.json and packet. "
                    "Workers need the rebal package and read access to the project home and the lakehouse at "
                    "the same paths (a shared file system); they write nothing there, the run publishes their "
                    "files. An unreachable scheduler stops the run before anything is written (exit code 2)")
    out = rp.add_mutually_exclusive_group()
    out.add_argument("--html-only", action="store_true",
                     help="notebooks and HTML only, for iterating on a report: no PDF (a report's PDF of an earlier "
                     "run is removed, as it no longer shows the same numbers) and the packet is not rebuilt")
    out.add_argument("--no-packet", action="store_true",
                     help="notebooks, HTML and PDF, but leave the week's committee packet as it was")
    rp.add_argument("--quiet", action="store_true", help="no progress output")
    rp.set_defaults(func=_cmd_run)

    pk = sub.add_parser("packet", help="rebuild a week's committee packet from its executed notebooks",
                        description="Rebuild reports/<DATE>/committee_packet.pdf and .html from the executed "
                        "notebooks and rendered reports of that week (every profile reported for the date), "
                        "without running any notebook.")
    pk.add_argument("--as-of", type=parse_date, required=True, metavar="DATE", help="the week (YYYY-MM-DD)")
    pk.set_defaults(func=_cmd_packet)
