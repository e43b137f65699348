"""The `rebal profiles` command: list the profiles and whether they are valid."""
from __future__ import annotations

import argparse
import json

from rebal.cli.common import paths_of
from rebal.errors import RebalError

__all__ = ["register"]


def _cmd_profiles(args: argparse.Namespace) -> int:
    from rebal.config import list_profiles, load_profile
    from rebal.data.lakehouse import Lakehouse

    if args.ranges:
        return _print_ranges(args.json)
    paths = paths_of(args)
    known = None
    if paths.lakehouse.is_file():
        with Lakehouse(paths.lakehouse) as lh:
            known = lh.known_tickers()
    rows = []
    for name in list_profiles(paths.params_dir):
        try:
            p = load_profile(name, paths.params_dir, known_tickers=known)
            rows.append({"name": name, "method": p.target.method, "assets": len(p.tickers),
                         "cash": p.target.cash, "description": p.description, "valid": True, "error": None})
        except RebalError as exc:
            rows.append({"name": name, "method": None, "assets": None, "cash": None,
                         "description": "", "valid": False, "error": str(exc)})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"profiles in {paths.params_dir}:")
        w = max([len(r["name"]) for r in rows] + [4])
        for r in rows:
            if r["valid"]:
                print(f"  {r['name']:<{w}}  {r['method']:<15} {r['assets']:>3} assets  cash {r['cash']:>4.0%}  "
                      f"{r['description']}")
            else:
                print(f"  {r['name']:<{w}}  INVALID: {r['error']}")
    return 0 if all(r["valid"] for r in rows) else 2


def _cmd_new(args: argparse.Namespace) -> int:
    from rebal.config.new_profile import new_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.proposal.coherence import coherence_at

    paths = paths_of(args)
    lake = Lakehouse(paths.lakehouse) if paths.lakehouse.is_file() else None
    try:
        made = new_profile(args.name, args.sample, paths.params_dir, universe=args.universe,
                           known_tickers=lake.known_tickers() if lake else None)
        print(f"wrote {made.path} from {made.source} ({made.assets} assets), validated")
        for change in made.changes:
            print(f"  {change}")
        if lake is not None:  # the cluster limits and a fitted target's weights depend on the data
            from rebal.config import load_profile

            latest = lake.latest_date()
            try:
                found = coherence_at(load_profile(made.path), lake, latest)
            except RebalError as exc:
                found = [f"not checked: {exc}"]
            print(f"  as of {latest}: " + ("its target meets its own hard limits" if not found else
                                            "the target would break its own limits: " + "; ".join(found)))
    finally:
        if lake is not None:
            lake.close()
    print(f"next: import its holdings (`rebal data import holdings FILE`, profile {args.name}), then "
          f"`rebal run --profile {args.name}`")
    return 0


def _print_ranges(as_json: bool) -> int:
    from rebal.config import Profile
    from rebal.config.loader import field_ranges

    rows = [{"field": f.name, "range": f.range.describe() if f.range else "", "default": f.default}
            for f in field_ranges(Profile)]
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    w = max(len(r["field"]) for r in rows)
    print("numeric profile fields: range (unit) and default; fractions are written 0.20 for 20 %")
    for r in rows:
        print(f"  {r['field']:<{w}}  {r['range']:<48} default {r['default']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    sp = sub.add_parser("profiles", help="list the profiles and whether they are valid",
                        description="List the profiles in params/profiles with their method and size; "
                        "exit 2 if any is invalid.")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.add_argument("--ranges", action="store_true", help="list every numeric profile field with its range, "
                    "unit and default instead")
    sp.set_defaults(func=_cmd_profiles)
    psub = sp.add_subparsers(dest="profiles_command", metavar="ACTION")
    new = psub.add_parser("new", help="write a new profile from a sample, for your universe",
                          description="Write params/profiles/NAME.yaml from a profile or sample (the project's own, "
                          "else the samples shipped with rebal): your universe, the target bounds and "
                          "proposal limits made coherent for its size, no sample holdings. Validated before it is "
                          "kept; checked against the latest data when there is a lakehouse.")
    new.add_argument("name", metavar="NAME", help="the new profile's name (letters, digits, _ and -)")
    new.add_argument("--from", dest="sample", required=True, metavar="SAMPLE",
                     help="the profile to start from, e.g. min_variance")
    new.add_argument("--universe", nargs="+", metavar="TICKER", help="the new profile's tickers (default: the "
                     "sample's)")
    new.set_defaults(func=_cmd_new)
