"""The ``compare`` command: two weeks side by side for each profile, in the terminal or as JSON."""
from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def _pct(x: float | None, fmt: str = ".2%") -> str:
    return "—" if x is None else format(x, fmt)


def _text(a, b) -> str:
    from rebal.decision.compare import RISK_FIGURES

    lines = [f"{a.profile}: {a.as_of} -> {b.as_of}",
             f"  {'decision':<32} {a.decision:>18} -> {b.decision}",
             f"  {'drift status (portfolio drift)':<32} {f'{a.drift_status} ({a.drift:.2%})':>18} -> "
             f"{b.drift_status} ({b.drift:.2%})"]
    for key, label in RISK_FIGURES.items():
        fmt = ".2f" if key.startswith("beta") else ".2%"
        lines.append(f"  {label:<32} {_pct(a.risk[key], fmt):>18} -> {_pct(b.risk[key], fmt)}")
    for f in (a, b):
        if f.risk_note:
            lines.append(f"  risk as of {f.as_of}: {f.risk_note}")
    both = a.weights.join(b.weights, how="outer", lsuffix="_a", rsuffix="_b").fillna(0.0)
    lines.append(f"  {'weights':<10} {'held ' + str(a.as_of):>17} {'held ' + str(b.as_of):>17} "
                 f"{'target ' + str(a.as_of):>19} {'target ' + str(b.as_of):>19}")
    for t, r in both.iterrows():
        if max(abs(r["held_a"]), abs(r["held_b"]), abs(r["target_a"]), abs(r["target_b"])) < 5e-5:
            continue
        lines.append(f"  {str(t):<10} {r['held_a']:>17.2%} {r['held_b']:>17.2%} {r['target_a']:>19.2%} "
                     f"{r['target_b']:>19.2%}")
    return "\n".join(lines)


def _cmd_compare(args: argparse.Namespace) -> int:
    from rebal.cli.common import profiles_and_lake
    from rebal.data.freshness import check_as_of
    from rebal.decision.compare import compare_weeks, comparison_json

    paths, lh, profiles, states = profiles_and_lake(args)  # checks --as-of against the data
    try:
        vs = check_as_of(lh, args.vs, max_stale_sessions=max(p.data.max_stale_sessions for p in profiles))
        pairs = [compare_weeks(p, lh, args.as_of, vs, states) for p in profiles]
    finally:
        lh.close()
    if args.json:
        print(json.dumps([comparison_json(a, b) for a, b in pairs], indent=2, default=str))
    else:
        print("\n\n".join(_text(a, b) for a, b in pairs))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    from rebal.cli.common import parse_date

    cp = sub.add_parser("compare", help="two weeks side by side: decisions, drift, weights, risk",
                        description="For each profile (or --profile), its week as of DATE beside its week as of "
                        "--vs DATE, computed point in time from the lakehouse as the weekly reports do: the "
                        "decision and its reason, the drift status and portfolio drift, the risk figures "
                        "(volatility of the holdings and the target, beta, tracking error, 1-day 99 % VaR, worst "
                        "stress episode) and the held and target weights. Read-only.")
    cp.add_argument("--as-of", type=parse_date, required=True, metavar="DATE", help="the first week (YYYY-MM-DD)")
    cp.add_argument("--vs", type=parse_date, required=True, metavar="DATE", help="the week to compare it with")
    cp.add_argument("--profile", action="extend", nargs="+", metavar="NAME", help="profile(s) (default: all)")
    cp.add_argument("--json", action="store_true", help="machine-readable output")
    cp.set_defaults(func=_cmd_compare)
