"""The monitoring commands: `drift-monitor`, `accept-state`, `audit` and `factor-map`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from rebal.cli.common import parse_date, paths_of, plain_text, positive_int, profile_args, profiles_and_lake
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
        flag = "  <- beyond the urgent band" if r["beyond_band"] else ""
        lines.append(f"   {asset:<8} {r['actual']:>8.2%} {r['target']:>8.2%} {r['drift']:>+8.2%}{flag}")
    lines.append("   why: " + "; ".join(a.result.reasons))
    return "\n".join(lines)


def _cmd_drift_monitor(args: argparse.Namespace) -> int:
    from rebal.decision.review import weekly_review
    from rebal.monitor.baseline import drift_monitor, monitor_json

    paths, lh, profiles, states = profiles_and_lake(args)
    with lh:
        results = [drift_monitor(p, lh, states, args.as_of) for p in profiles]
        # the week's decision: the same object as the reports' and `rebal propose`'s
        decisions = {r.profile.name: weekly_review(r.profile, lh, r.as_of, states).decision
                     for r in results if not r.first_run}
    if args.json:
        docs = [monitor_json(r) | ({"decision": decisions[r.profile.name].to_json()}
                                   if r.profile.name in decisions else {}) for r in results]
        print(json.dumps(docs, indent=2))
        return 0
    for r in results:
        if r.first_run:
            print(f"🆕 {r.profile.name}: no Last Implemented State yet — recorded a baseline "
                  f"({r.baseline.note}) in {states.path(r.profile.name)}; no drift report on the first run.")
        else:
            d = decisions[r.profile.name]
            print(_dashboard(r))
            print(f"   decision: {d.headline} — {d.reason}" + (f"; then: {d.then.reason}" if d.then else ""))
            if d.proposal_id:
                print(f"   proposal {d.proposal_id}" + (f"; required remedy {d.remedial_id}" if d.remedial_id else ""))
        print()
    return 0


def _cmd_accept_state(args: argparse.Namespace) -> int:
    from rebal.monitor.baseline import accept_holdings, accept_target

    paths, lh, profiles, states = profiles_and_lake(args)
    with lh:
        for p in profiles:
            accept = accept_holdings if args.from_holdings else accept_target
            e = accept(p, lh, states, args.as_of, accepted_by=args.by, note=args.note or "")
            what = (f"the holdings of {e.as_of}" if args.from_holdings
                    else f"the {p.target.method} target as of {e.as_of}")
            n = len(states.history(p.name))
            print(f"✅ {p.name}: accepted {what} ({len(e.weights)} positions) by {e.accepted_by} at {e.accepted_at}; "
                  f"{n} state(s) in {states.path(p.name)}")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from rebal.analytics.drift import Status
    from rebal.monitor.audit import drift_audit
    from rebal.monitor.sensitivity import sensitivity_audit, sensitivity_summary

    paths, lh, profiles, states = profiles_and_lake(args)
    rows = []
    with lh:
        for p in profiles:
            s = sensitivity_audit(p, lh, args.as_of, states)
            d = drift_audit(p, lh, args.as_of, states)
            row = sensitivity_summary(s)
            for key in [k for k in row if k.endswith("_proposed")]:  # no proposal is built here
                del row[key]
            rows.append({**row, "drift_status": d.result.status.value, "portfolio_drift": d.result.portfolio_drift})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'profile':<18} {'β held':>7} {'±95%':>5} {'β target':>9} {'vol held':>9} {'vol target':>10} {'corr':>5} "
          f"{'R²':>5}  {'drift':>7}  status / flags")
    for r in rows:
        held = r["beta_basis"] == "held"
        notes = [*r["flags"], *(["target β in-sample"] if r["beta_target_in_sample"] else []),
                 *([] if held else ["nothing held: target shown"]),
                 *(f"rolling β of the {b} book above the limit since {r[f'above_limit_since_{b}']}"
                   for b in ("held", "target") if r[f"above_limit_since_{b}"] and not r[f"aggressive_{b}"])]
        if r["defensive"] and not r["aggressive"]:
            notes.append("defensive, window β within the limit")
        st = Status(r["drift_status"])
        bh, vh = (f"{r['beta_held']:>7.2f}", f"{r['vol_held']:>9.1%}") if held else (f"{'—':>7}", f"{'—':>9}")
        print(f"{r['profile']:<18} {bh} {1.96 * r['beta_se']:>5.2f} {r['beta_target']:>9.2f} {vh} "
              f"{r['vol_target']:>10.1%} {r['correlation']:>5.2f} {r['r_squared']:>5.2f}  "
              f"{r['portfolio_drift']:>7.2%}  {st.emoji} {st.value}" + (f"  {'; '.join(notes)}" if notes else ""))
    print(f"(OLS of daily returns of each profile's held book (today's holdings) and target, each held at constant "
          f"weights, on its benchmark over {rows[0]['n_obs'] if rows else 0} sessions to "
          f"{rows[0]['as_of'] if rows else ''}; ±95% and corr, R² are the held book's)")
    return 0


def _cmd_factor_map(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from rebal.config import load_profile
    from rebal.data.freshness import check_as_of
    from rebal.data.lakehouse import Lakehouse
    from rebal.errors import ConfigError, DataError
    from rebal.limits import DEFAULT_MAX_UNIVERSE
    from rebal.monitor.factor_map import factor_audit
    from rebal.monitor.spec import FactorMapSpec
    from rebal.report.pages.factor_map import factor_map_plot

    paths = paths_of(args)
    out = args.out or (paths.home / "summaries" / "factor_map.png")
    if args.profile is not None and not args.profile.strip():
        raise ConfigError("--profile: empty profile name; give a profile name, or leave --profile out for every "
                          "equity in the lakehouse")
    with Lakehouse(paths.lakehouse) as lh:
        as_of = check_as_of(lh, args.as_of)
        if args.profile:
            prof = load_profile(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
            tickers, spec, what = list(prof.tickers), prof.factor_map, f"profile {prof.name}"
        else:
            t = lh.tickers()
            tickers = list(t.index[t["asset_class"] == "equity"])
            spec, what = FactorMapSpec(), f"{len(tickers)} equities in the lakehouse"
        if len(tickers) < 2:  # about the data, not a flag: the user may not have passed --clusters
            raise DataError(f"{prof.source if args.profile else paths.lakehouse}: a factor map clusters at least 2 "
                            f"assets; {what} has {len(tickers)}" + (f" ({tickers[0]!r})" if tickers else ""))
        if args.profile is None and len(tickers) > DEFAULT_MAX_UNIVERSE:
            raise DataError(f"{paths.lakehouse}: {len(tickers):,} equities, more than the {DEFAULT_MAX_UNIVERSE:,} a "
                            "factor map of the whole lakehouse reads (its distances grow with the square of the "
                            "names); "
                            "map a profile's universe with --profile (its `data.max_universe` sets the limit)")
        k = args.clusters or spec.clusters_for(len(tickers))
        if not 2 <= k <= len(tickers):
            raise ConfigError(f"--clusters: must be between 2 and the {len(tickers)} assets of {what}, found {k}")
        fa = factor_audit(tickers, lh, as_of, n_clusters=k, linkage=spec.linkage, window_days=spec.window_days,
                          seed=spec.seed)
    fig = factor_map_plot(fa.map, fa.leads, title=f"Factor map of {what} as of {as_of} (metric MDS)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda p: fig.savefig(p, dpi=150, bbox_inches="tight"))
    print(f"wrote {out}: {k} clusters of {what}, Kruskal stress-1 {fa.map.stress:.3f}, isolated "
          f"{', '.join(f'C{c}' for c in fa.map.isolated) or 'none'}; leads "
          + ", ".join(f"C{c} {t}" for c, t in fa.leads.items())
          + (" (liquidity inputs synthetic)" if fa.synthetic_liquidity else "")
          + ("; Liquidity left out of execution alpha: not available without volume, high and low"
             if fa.liquidity_missing else ""))
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
    ac.add_argument("--by", type=plain_text, metavar="WHO", help="who accepts (default: user@host)")
    ac.add_argument("--note", type=plain_text, metavar="TEXT", help="free text kept with the state")
    ac.add_argument("--from-holdings", action="store_true",
                    help="record the latest holdings snapshot (on or before the date) instead of the target, e.g. "
                    "after an execution whose state update failed")
    ac.set_defaults(func=_cmd_accept_state)

    au = sub.add_parser("audit", help="market sensitivity (beta, volatility) of what is held and of the target",
                        description="Beta, volatility, correlation and R² of each profile's held book (today's "
                        "holdings) and of its target, on its benchmark by OLS; the AGGRESSIVE flag on each book of a "
                        "defensive profile above its beta limit, whether the target's beta is in-sample, and the "
                        "drift status. Exits non-zero only on a data error, never on a flag.")
    profile_args(au)
    au.add_argument("--json", action="store_true", help="machine-readable output")
    au.set_defaults(func=_cmd_audit)

    fm = sub.add_parser("factor-map", help="write the factor map PNG (clusters + MDS)",
                        description="Cluster a universe on correlation distance, map the cluster centroids in 2-D "
                        "with metric MDS and write a PNG (default summaries/factor_map.png). Universe: every "
                        "equity in the lakehouse, or a profile's universe and factor_map parameters.")
    fm.add_argument("--profile", metavar="NAME", help="use this profile's universe and parameters")
    fm.add_argument("--clusters", type=positive_int, metavar="K",
                    help="number of clusters (default: the profile's, else 6 capped at the number of assets - 1)")
    fm.add_argument("--as-of", type=parse_date, metavar="DATE", help="as of DATE (default: latest data)")
    fm.add_argument("--out", type=Path, metavar="PATH", help="output PNG (default summaries/factor_map.png)")
    fm.set_defaults(func=_cmd_factor_map)
