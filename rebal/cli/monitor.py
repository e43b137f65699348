"""The monitoring commands: `drift-monitor`, `accept-state`, `audit` and `factor-map`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from rebal.cli.common import parse_date, paths_of, positive_int, profile_args, profiles_and_lake
from rebal.fileio import atomic_write

__all__ = ["register"]


def _dashboard(res) -> str:
    a, th = res.audit, res.profile.drift
    s = a.result.status
    lines = [f"{s.emoji} {res.profile.name}: {s.value} — turnover {a.result.portfolio_drift:.2%} "
             f"(rebalance > {th.rebalance:.0%}, urgent > {th.urgent:.0%} "
             f"or any asset beyond ±{th.single_asset_urgent:.1%})",
             f"   as of {a.as_of}; Last Implemented State: {a.lis.detail}",
             f"   {'asset':<8} {'actual':>8} {'target':>8} {'drift':>8}"]
    for asset, r in a.table.iterrows():
        flag = "  <- beyond limit" if r["breach"] else ""
        lines.append(f"   {asset:<8} {r['actual']:>8.2%} {r['target']:>8.2%} {r['drift']:>+8.2%}{flag}")
    lines.append("   why: " + "; ".join(a.result.reasons))
    return "\n".join(lines)


def _cmd_drift_monitor(args: argparse.Namespace) -> int:
    from rebal.monitor.baseline import drift_monitor, monitor_json

    paths, lh, profiles, states = profiles_and_lake(args)
    with lh:
        results = [drift_monitor(p, lh, states, args.as_of) for p in profiles]
    if args.json:
        print(json.dumps([monitor_json(r) for r in results], indent=2))
        return 0
    for r in results:
        if r.first_run:
            print(f"🆕 {r.profile.name}: no Last Implemented State yet — recorded a baseline "
                  f"({r.baseline.note}) in {states.path(r.profile.name)}; no drift report on the first run.")
        else:
            print(_dashboard(r))
        print()
    return 0


def _cmd_accept_state(args: argparse.Namespace) -> int:
    from rebal.monitor.baseline import accept_target

    paths, lh, profiles, states = profiles_and_lake(args)
    with lh:
        for p in profiles:
            e = accept_target(p, lh, states, args.as_of, accepted_by=args.by, note=args.note or "")
            n = len(states.history(p.name))
            print(f"✅ {p.name}: accepted the {p.target.method} target as of {e.as_of} "
                  f"({len(e.weights)} positions) by {e.accepted_by} at {e.accepted_at}; "
                  f"{n} state(s) in {states.path(p.name)}")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from rebal.monitor.audit import drift_audit
    from rebal.monitor.sensitivity import sensitivity_audit

    paths, lh, profiles, states = profiles_and_lake(args)
    rows = []
    with lh:
        for p in profiles:
            s = sensitivity_audit(p, lh, args.as_of)
            d = drift_audit(p, lh, args.as_of, states)
            rows.append({"profile": p.name, "as_of": str(s.as_of), "benchmark": p.benchmark, "beta": s.beta.beta,
                         "beta_se": s.beta.beta_se, "correlation": s.beta.correlation, "r_squared": s.beta.r_squared,
                         "n_obs": s.beta.n_obs, "defensive": p.sensitivity.defensive,
                         "beta_limit": p.sensitivity.beta_limit, "flags": list(s.flags),
                         "drift_status": d.result.status.value, "portfolio_drift": d.result.portfolio_drift})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'profile':<18} {'beta':>6} {'±95%':>6} {'corr':>6} {'R²':>6}  {'drift':>7}  status / flags")
    for r in rows:
        flags = "; ".join(r["flags"]) or ("defensive, within limit" if r["defensive"] else "")
        from rebal.analytics.drift import Status

        st = Status(r["drift_status"])
        print(f"{r['profile']:<18} {r['beta']:>6.2f} {1.96 * r['beta_se']:>6.2f} {r['correlation']:>6.2f} "
              f"{r['r_squared']:>6.2f}  {r['portfolio_drift']:>7.2%}  {st.emoji} {st.value}"
              + (f"  {flags}" if flags else ""))
    print(f"(OLS of daily returns of each profile's target weights on its benchmark over "
          f"{rows[0]['n_obs'] if rows else 0} sessions to {rows[0]['as_of'] if rows else ''})")
    return 0


def _cmd_factor_map(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.errors import ConfigError
    from rebal.monitor.factor_map import factor_audit
    from rebal.monitor.spec import FactorMapSpec
    from rebal.report.pages.factor_map import factor_map_plot

    paths = paths_of(args)
    out = args.out or (paths.home / "summaries" / "factor_map.png")
    with Lakehouse(paths.lakehouse) as lh:
        as_of = args.as_of or lh.latest_date()
        if args.profile:
            prof = load_profile(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
            tickers, spec, what = list(prof.tickers), prof.factor_map, f"profile {prof.name}"
        else:
            t = lh.tickers()
            tickers = list(t.index[t["asset_class"] == "equity"])
            spec, what = FactorMapSpec(), f"{len(tickers)} equities in the lakehouse"
        k = args.clusters or spec.n_clusters
        if not 2 <= k <= len(tickers):
            raise ConfigError(f"--clusters: must be between 2 and {len(tickers)}, found {k}")
        fa = factor_audit(tickers, lh, as_of, n_clusters=k, linkage=spec.linkage, window_days=spec.window_days,
                          seed=spec.seed)
    fig = factor_map_plot(fa.map, fa.leads, title=f"Factor map of {what} as of {as_of} (metric MDS)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda p: fig.savefig(p, dpi=150, bbox_inches="tight"))
    print(f"wrote {out}: {k} clusters of {what}, Kruskal stress-1 {fa.map.stress:.3f}, isolated "
          f"{', '.join(f'C{c}' for c in fa.map.isolated) or 'none'}; leads "
          + ", ".join(f"C{c} {t}" for c, t in fa.leads.items())
          + (" (liquidity inputs synthetic)" if fa.synthetic_liquidity else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    dm = sub.add_parser("drift-monitor", help="terminal dashboard of drift vs the Last Implemented State",
                        description="Compare each profile's Last Implemented State (carried forward with prices) "
                        "with its current target: a table per profile and the status (MAINTAIN / REBALANCE / "
                        "URGENT). The first run for a profile records a baseline and prints no drift report.")
    profile_args(dm)
    dm.add_argument("--json", action="store_true", help="machine-readable output")
    dm.set_defaults(func=_cmd_drift_monitor)

    ac = sub.add_parser("accept-state", help="record the current target as implemented (new baseline)",
                        description="Record each profile's current target as its Last Implemented State. The "
                        "state file is written atomically; every accepted state is kept in its history with "
                        "the time and who accepted it.")
    profile_args(ac, what="implemented as of")
    ac.add_argument("--by", metavar="WHO", help="who accepts (default: user@host)")
    ac.add_argument("--note", metavar="TEXT", help="free text kept with the state")
    ac.set_defaults(func=_cmd_accept_state)

    au = sub.add_parser("audit", help="market sensitivity (beta, correlation) and drift status of every profile",
                        description="Beta, correlation and R² of each profile's daily returns (its target weights) "
                        "on its benchmark by OLS, the AGGRESSIVE flag for defensive profiles above their beta limit, "
                        "and the drift status. Exits non-zero only on a data error, never on a flag.")
    profile_args(au)
    au.add_argument("--json", action="store_true", help="machine-readable output")
    au.set_defaults(func=_cmd_audit)

    fm = sub.add_parser("factor-map", help="write the factor map PNG (clusters + MDS)",
                        description="Cluster a universe on correlation distance, map the cluster centroids in 2-D "
                        "with metric MDS and write a PNG (default summaries/factor_map.png). Universe: every "
                        "equity in the lakehouse, or a profile's universe and factor_map parameters.")
    fm.add_argument("--profile", metavar="NAME", help="use this profile's universe and parameters")
    fm.add_argument("--clusters", type=positive_int, metavar="K",
                    help="number of clusters (default 6 or the profile's)")
    fm.add_argument("--as-of", type=parse_date, metavar="DATE", help="as of DATE (default: latest data)")
    fm.add_argument("--out", type=Path, metavar="PATH", help="output PNG (default summaries/factor_map.png)")
    fm.set_defaults(func=_cmd_factor_map)
