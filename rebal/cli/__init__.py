"""The ``rebal`` command.

Every user error (bad profile, bad data file, stale data) ends with one line on stderr naming
the file and field, and exit code 2; nothing is written. A weekly run in which some report
failed exits 1 after rendering the others.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from rebal import __version__
from rebal.errors import RebalError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, found {n}")
    return n


def _paths(args: argparse.Namespace):
    from rebal.paths import get_paths

    return get_paths(args.home)


# -- commands ---------------------------------------------------------------------------------

def _cmd_profiles(args: argparse.Namespace) -> int:
    from rebal.config import list_profiles, load_profile
    from rebal.data.lakehouse import Lakehouse

    paths = _paths(args)
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
                print(f"  {r['name']:<{w}}  {r['method']:<15} {r['assets']:>3} assets  cash {r['cash']:>4.0%}  {r['description']}")
            else:
                print(f"  {r['name']:<{w}}  INVALID: {r['error']}")
    return 0 if all(r["valid"] for r in rows) else 2


def _cmd_build_sample(args: argparse.Namespace) -> int:
    from rebal.config import load_profiles
    from rebal.data.sample import SAMPLE_SEED, build_sample_lakehouse
    from rebal.monitor.sample_holdings import seed_sample_holdings

    paths = _paths(args)
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
        return seed_sample_holdings(lh, checked)

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
    from rebal.data.importers import import_file

    paths = _paths(args)
    summary = import_file(paths.lakehouse, args.kind, args.file)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        extra = ", ".join(f"{k} {v}" for k, v in summary.items() if k not in ("kind", "rows"))
        print(f"imported {summary['rows']} {args.kind} rows from {args.file}" + (f" ({extra})" if extra else ""))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from rebal.data.lakehouse import SCHEMA_DOC, Lakehouse

    paths = _paths(args)
    with Lakehouse(paths.lakehouse) as lh:
        info = lh.snapshot() | {"meta": lh.meta()}
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(f"lakehouse {info['path']} (built {info['built_at']}), latest price date {info['latest_price_date']}")
    for t, n in info["row_counts"].items():
        print(f"  {t:<17} {n:>9,} rows  {SCHEMA_DOC[t]}")
    return 0


def _profiles_and_lake(args: argparse.Namespace):
    from rebal.config import load_profiles
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.state import StateStore

    paths = _paths(args)
    lh = Lakehouse(paths.lakehouse)
    profiles = load_profiles(args.profile or None, paths.params_dir, known_tickers=lh.known_tickers())
    return paths, lh, profiles, StateStore(paths.states_dir)


def _dashboard(res) -> str:
    a, th = res.audit, res.profile.drift
    s = a.result.status
    lines = [f"{s.emoji} {res.profile.name}: {s.value} — turnover {a.result.portfolio_drift:.2%} "
             f"(rebalance > {th.rebalance:.0%}, urgent > {th.urgent:.0%} or any asset beyond ±{th.single_asset_urgent:.1%})",
             f"   as of {a.as_of}; Last Implemented State: {a.lis.detail}",
             f"   {'asset':<8} {'actual':>8} {'target':>8} {'drift':>8}"]
    for asset, r in a.table.iterrows():
        flag = "  <- beyond limit" if r["breach"] else ""
        lines.append(f"   {asset:<8} {r['actual']:>8.2%} {r['target']:>8.2%} {r['drift']:>+8.2%}{flag}")
    lines.append("   why: " + "; ".join(a.result.reasons))
    return "\n".join(lines)


def _cmd_drift_monitor(args: argparse.Namespace) -> int:
    from rebal.monitor.baseline import drift_monitor, monitor_json

    paths, lh, profiles, states = _profiles_and_lake(args)
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

    paths, lh, profiles, states = _profiles_and_lake(args)
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

    paths, lh, profiles, states = _profiles_and_lake(args)
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
              f"{r['r_squared']:>6.2f}  {r['portfolio_drift']:>7.2%}  {st.emoji} {st.value}" + (f"  {flags}" if flags else ""))
    print(f"(OLS of daily returns of each profile's target weights on its benchmark over "
          f"{rows[0]['n_obs'] if rows else 0} sessions to {rows[0]['as_of'] if rows else ''})")
    return 0


def _cmd_factor_map(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from rebal.report import plots
    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.errors import ConfigError
    from rebal.monitor.spec import FactorMapSpec
    from rebal.monitor.factor_map import factor_audit

    paths = _paths(args)
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
    fig = plots.factor_map_plot(fa.map, fa.leads, title=f"Factor map of {what} as of {as_of} (metric MDS)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.png")
    fig.savefig(tmp, dpi=150, bbox_inches="tight")
    os.replace(tmp, out)
    print(f"wrote {out}: {k} clusters of {what}, Kruskal stress-1 {fa.map.stress:.3f}, isolated "
          f"{', '.join(f'C{c}' for c in fa.map.isolated) or 'none'}; leads "
          + ", ".join(f"C{c} {t}" for c, t in fa.leads.items())
          + (" (liquidity inputs synthetic)" if fa.synthetic_liquidity else ""))
    return 0


def _cmd_schedule(args: argparse.Namespace) -> int:
    from rebal.calendar import schedule_document
    from rebal.errors import ConfigError

    start = args.from_date or date.today()
    try:
        doc = schedule_document(start, n=args.next, anchor=args.anchor, every=args.every)
    except ValueError as exc:
        raise ConfigError(f"schedule: {exc}") from None
    if args.out:
        tmp = args.out.with_name(args.out.name + ".tmp")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, args.out)
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    key = next(k for k in doc if k.startswith("next_"))
    today = "is" if doc["is_rebalance_day"] else "is not"
    print(f"{start} {today} a rebalance day (every {args.every} NYSE sessions from {doc['anchor_date']}).")
    print(f"next {args.next} rebalance dates: " + ", ".join(doc[key]))
    return 0


def _cmd_features(args: argparse.Namespace) -> int:
    from rebal.data.lakehouse import Lakehouse
    from rebal.data.features import build_features

    paths = _paths(args)
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
    """The Risk4 profiles asked for (default: every profile with a risk4 block) and the run date."""
    from rebal.errors import ConfigError

    paths, lh, profiles, _ = _profiles_and_lake(args)
    if args.profile:
        for p in profiles:
            if p.risk4 is None:
                raise ConfigError(f"{p.source}: `target.method`: profile {p.name!r} is not a Risk4 profile "
                                  "(needs `target.method: risk4` and a `risk4` block)")
    else:
        profiles = [p for p in profiles if p.risk4 is not None]
        if not profiles:
            raise ConfigError(f"{paths.params_dir}: no Risk4 profile (target.method: risk4)")
    return paths, lh, profiles, args.date or lh.latest_date()


def _print_checks(res) -> None:
    print(f"{res.profile.name} {res.date}: " + ("a rebalance day" if res.is_rebalance_day else "not a rebalance day")
          + f" (every {res.profile.risk4.every} NYSE sessions from {res.profile.risk4.anchor}); next {res.next_rebalance}")
    for r in res.checks.itertuples():
        print(f"  {r.status:<4} {r.severity:<8} {r.check:<32} {str(r.value):<14} {r.limit}"
              + (f"  ({r.detail})" if r.detail else ""))
    for a in res.alerts:
        print(f"  {a.severity}: {a.message}")


def _cmd_risk4(args: argparse.Namespace) -> int:
    from rebal.errors import ConfigError
    from rebal.selection.risk4 import read_prior_file, record_run, run_risk4, write_artifacts

    paths, lh, profiles, day = _risk4_profiles(args)
    action = args.risk4_command
    if action == "generate" and len(profiles) > 1 and (args.output_dir or args.prior_holdings):
        raise ConfigError("--output-dir and --prior-holdings apply to one profile: add --profile NAME")
    prior = read_prior_file(args.prior_holdings, lh.known_tickers()) if action == "generate" and args.prior_holdings else None
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
    for res, doc in zip(results, out):
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


def _writable_lake(paths):
    from rebal.data.lakehouse import Lakehouse

    if not paths.lakehouse.is_file():
        Lakehouse(paths.lakehouse)  # raises the standard "lakehouse not found" error
    return Lakehouse(paths.lakehouse, read_only=False)


def _proposal_text(p, path) -> str:
    b, s, c = p.allocation.breaker, p.simulation, p.costs
    icon = {"REBALANCE": "🔁", "OPTIONAL": "🤔", "HOLD": "✋", "BLOCKED": "⛔"}[p.recommendation]
    lines = [f"📋 {p.profile.name}: proposal {p.id} (as of {p.as_of}; holdings of {p.holdings_date})",
             f"   value ${p.value:,.0f}; drift {p.drift:.2%} ({p.drift_status}); mode {p.allocation.mode.replace('_', '-')}"
             + (f" (requested {p.mode_requested})" if p.mode_requested != p.allocation.mode else "")
             + f"; circuit breakers {b.status} after {b.iterations} round(s), {len(b.adjustments)} adjustment(s)",
             f"   {'asset':<8} {'current':>8} {'target':>8} {'proposed':>9} {'change':>8}  reason"]
    for a, r in p.changes(held_only=True).iterrows():
        lines.append(f"   {a:<8} {r['current']:>8.2%} {r['target']:>8.2%} {r['proposed']:>9.2%} {r['change']:>+8.2%}  {r['reason']}")
    fails = b.checks[b.checks["status"] == "FAIL"]
    lines.append(f"   limits: {len(b.checks)} checks, {len(b.checks) - len(fails)} PASS, {len(fails)} FAIL"
                 + (f" — {b.reason}" if b.reason else ""))
    for note in b.adjustments[:6]:
        lines.append(f"     adjusted: {note}")
    if s is not None:
        oos = (f" | out-of-sample {s.out_of_sample['sharpe']:.2f} ({s.improvement_out_of_sample:+.1%})"
               if s.out_of_sample is not None else " | out-of-sample n/a")
        lines.append(f"   simulation, {s.n_days} sessions {s.start}..{s.end}, Sharpe net of costs: baseline "
                     f"{s.baseline['sharpe']:.2f} | in-sample {s.in_sample['sharpe']:.2f} ({s.improvement_in_sample:+.1%}, "
                     f"look-ahead){oos}")
    lines.append(f"   costs: {c['total_bps']:.1f} bps of value (slippage {c['slippage_bps']:.1f} + commission "
                 f"{c['commission_bps']:.1f}), ${c['total_usd']:,.0f} on ${c['traded_value']:,.0f} traded")
    t = p.trades.trades
    lines.append(f"   trades: {len(t)} ({(t['action'] == 'BUY').sum()} buy, {(t['action'] == 'SELL').sum()} sell); "
                 f"cash after ${p.trades.cash_after:,.0f}")
    for r in t.itertuples():
        lines.append(f"     {r.action:<4} {r.ticker:<6} {r.shares:>9,} sh @ {'$' + format(r.price, ',.2f'):>10} = "
                     f"{'$' + format(r.value, ',.0f'):>13}  "
                     f"{r.reason:<16} est. ${r.est_cost:,.0f}")
    lines.append(f"   {icon} {p.recommendation} (confidence {p.confidence})")
    lines += [f"   ⚠️  {w}" for w in p.warnings] + [f"   🚨 {a}" for a in p.alerts]
    lines += [f"   note: {n}" for n in p.notes]
    if path:
        lines.append(f"   written: {path}")
    return "\n".join(lines)


def _cmd_propose(args: argparse.Namespace) -> int:
    from rebal.config import load_profile
    from rebal.proposal.execution import execute_proposal, record_proposal
    from rebal.proposal.build import build_proposal, explain, proposal_json, write_proposal
    from rebal.monitor.state import StateStore

    paths = _paths(args)
    with _writable_lake(paths) as lh:
        prof = load_profile(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
        p = build_proposal(prof, lh, args.as_of, mode=args.mode)
        out = paths.reports_dir / str(p.as_of) / p.profile.name / "proposal.json"
        row = record_proposal(lh, p, str(out))
        write_proposal(p, paths.reports_dir)
        rep, err = None, None
        if args.execute:
            try:
                rep = execute_proposal(p, lh, StateStore(paths.states_dir), executed_by=args.by)
            except RebalError as exc:
                err = exc
    if args.json:
        doc = proposal_json(p)
        doc["status"] = "EXECUTED" if rep else row["status"]
        if rep is not None:
            doc["execution"] = {**rep.summary(), "fills": rep.fills.to_dict("records"),
                                "checks": rep.checks.to_dict("records")}
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(_proposal_text(p, out))
        if args.explain:
            print("\n" + explain(p))
        if rep is not None:
            print(f"\n✅ executed {len(rep.fills)} trade(s) on the paper broker: status {rep.status}; cost "
                  f"{rep.actual_cost_bps:.1f} bps actual vs {rep.est_cost_bps:.1f} bps estimated; drift to target "
                  f"{rep.drift_before:.2%} -> {rep.drift_after:.2%} (residual vs proposed {rep.residual_vs_proposed:.2%}); "
                  f"cash ${rep.cash_after:,.0f}")
            fails = rep.checks[rep.checks["status"] == "FAIL"]
            print(f"   post-trade limits: {len(rep.checks) - len(fails)} PASS, {len(fails)} FAIL"
                  + "".join(f"\n     FAIL {r.check} {r.item}: {r.proposed:.2%} vs {r.limit:.2%}" for r in fails.itertuples()))
            print(f"   Last Implemented State updated ({rep.state.accepted_at}); history: `rebal proposals --profile {prof.name} --history`")
        elif not args.execute and not p.blocked:
            print(f"   next: review, then `rebal approve {p.id}` and `rebal propose --profile {prof.name} --execute`")
    if err is not None:
        raise err
    if p.blocked:
        sys.stderr.write(f"rebal: proposal {p.id} is BLOCKED: {p.allocation.breaker.reason}\n")
        return 2
    return 0


def _cmd_approve(args: argparse.Namespace) -> int:
    from rebal.proposal.execution import approve

    with _writable_lake(_paths(args)) as lh:
        row = approve(lh, args.id, by=args.by, note=args.note or "")
    print(f"✅ {row['id']} approved by {row['approved_by']} at {row['approved_at']} (recommendation "
          f"{row['recommendation']}); execute it with `rebal propose --profile {row['profile']} "
          f"--as-of {row['as_of']:%Y-%m-%d} --execute`")
    return 0


def _cmd_proposals(args: argparse.Namespace) -> int:
    from rebal.data.lakehouse import Lakehouse
    from rebal.proposal.execution import rebalance_history

    paths = _paths(args)
    with Lakehouse(paths.lakehouse) as lh:
        if args.history:
            if not args.profile:
                raise RebalError("--history needs --profile NAME")
            df = rebalance_history(lh, args.profile)
        elif "proposals" in lh.table_names():
            where = "WHERE profile = ?" if args.profile else ""
            df = lh.con.execute(f"SELECT id, profile, as_of, status, recommendation, approved_by, approved_at, executed_at "
                                f"FROM proposals {where} ORDER BY created_at DESC", [args.profile] if args.profile else []).df()
        else:
            import pandas as pd

            df = pd.DataFrame()
    if args.json:
        print(df.to_json(orient="records", date_format="iso", indent=2))
    elif df.empty:
        print("no executions recorded" if args.history else "no proposals recorded; run `rebal propose --profile NAME`")
    else:
        print(df.to_string(index=False))
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.lab.run import lab_json, run_lab, write_lab

    paths = _paths(args)
    with Lakehouse(paths.lakehouse) as lh:
        prof = load_profile(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
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
          f"{len(run.summary)} configurations, target {'fitted once at the start' if len(inp.target) == 1 else f'refitted {len(inp.target)} times'}")
    print(f"   regime from the VIX on {src.get('VIX', 0)} sessions, realised-volatility proxy on {src.get('proxy', 0)}"
          + ("; volumes (ADV, impact) are synthetic" if inp.synthetic_volume else ""))
    for n in inp.notes:
        print(f"   note: {n}")
    cols = ["tracking_error", "cost_per_year", "turnover_per_year", "rebalances", "sharpe", "max_drawdown", "taxes"]
    table = run.summary[cols].copy()
    print(f"   {'configuration':<32} {'TE':>7} {'cost/yr':>8} {'turn/yr':>8} {'rebal':>6} {'Sharpe':>7} {'maxDD':>7} {'taxes':>7}")
    for label, r in table.iterrows():
        print(f"   {label:<32} {r.tracking_error:>7.2%} {r.cost_per_year:>8.3%} {r.turnover_per_year:>8.1%} "
              f"{int(r.rebalances):>6} {r.sharpe:>7.2f} {r.max_drawdown:>7.1%} {r.taxes:>7.1%}")
    print(f"   target (daily rebalanced, cost-free): Sharpe {run.summary['target_sharpe'].iloc[0]:.2f}; taxes in % of the "
          "initial value (FIFO lots for rules that are not tax-aware)")
    for v in run.verdicts + run.literature:
        tag = {True: "SUPPORTED", False: "NOT SUPPORTED", None: "NOT TESTED"}[v.supported]
        print(f"   [{tag}] {v.number}. {v.statement}\n        {v.evidence}")
    print(f"results in {out}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from rebal.report.runner import run_weekly

    outcome = run_weekly(
        profiles=args.profile or None,
        as_of=args.as_of,
        workers=args.workers,
        notebooks=args.notebook or None,
        paths=_paths(args),
        progress=not args.quiet,
    )
    return 0 if outcome.ok else 1


def _profile_args(parser: argparse.ArgumentParser, what: str = "as of") -> None:
    parser.add_argument("--profile", action="extend", nargs="+", metavar="NAME", help="profile(s) (default: all)")
    parser.add_argument("--as-of", type=_date, metavar="DATE", help=f"{what} DATE (default: latest data)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    from rebal.lab.rules import RULE_KINDS

    p = _Parser(prog="rebal", description="Portfolio rebalancing research: data, drift audit, weekly reports.")
    p.add_argument("--version", action="version", version=f"rebal {__version__}")
    p.add_argument("--home", metavar="DIR", help="project root (default: $REBAL_HOME, else the nearest "
                   "directory above the current one holding params/profiles)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    sp = sub.add_parser("profiles", help="list the profiles and whether they are valid",
                        description="List the profiles in params/profiles with their method and size; "
                        "exit 2 if any is invalid.")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_profiles)

    dp = sub.add_parser("data", help="build the sample lakehouse, import data, show what is there",
                        description="Manage the DuckDB lakehouse (data/lakehouse/rebal.duckdb).")
    dsub = dp.add_subparsers(dest="data_command", required=True, metavar="ACTION", parser_class=_Parser)
    b = dsub.add_parser("build-sample", help="build the sample lakehouse from real data shipped in packages",
                        description="Build the sample lakehouse offline from skfolio's and arch's bundled "
                        "data (20 S&P 500 stocks, the S&P 500 index, 5 factor ETFs, VIX) plus a calibrated, "
                        "flagged synthetic open/high/low/volume layer, and implement each profile's sample "
                        "holdings. Written atomically.")
    b.add_argument("--force", action="store_true", help="rebuild even if the lakehouse exists (discards imported data)")
    b.add_argument("--seed", type=int, help="seed of the synthetic layer (default: the fixed sample seed)")
    b.add_argument("--json", action="store_true", help="print the build summary as JSON")
    b.set_defaults(func=_cmd_build_sample)
    imp = dsub.add_parser("import", help="import prices, holdings or tickers from CSV or Parquet",
                          description="Validate a CSV/Parquet file and write it in one transaction. "
                          "prices: date, ticker, close [, open, high, low, volume]. "
                          "holdings: profile, as_of, ticker, shares (ticker CASH = cash in USD). "
                          "tickers: ticker [, name, sector, asset_class, is_benchmark]. "
                          "alpha: date, ticker, alpha (your own signal, for risk4.alpha_source: imported). "
                          "A file with any bad row is rejected whole; the lakehouse is then unchanged.")
    imp.add_argument("kind", choices=["prices", "holdings", "tickers", "alpha"], help="what the file holds")
    imp.add_argument("file", type=Path, help="a .csv or .parquet file")
    imp.add_argument("--json", action="store_true", help="print the import summary as JSON")
    imp.set_defaults(func=_cmd_import)
    inf = dsub.add_parser("info", help="tables, row counts and the latest date",
                          description="Show the lakehouse tables with their row counts and documentation.")
    inf.add_argument("--json", action="store_true", help="machine-readable output")
    inf.set_defaults(func=_cmd_info)

    dm = sub.add_parser("drift-monitor", help="terminal dashboard of drift vs the Last Implemented State",
                        description="Compare each profile's Last Implemented State (carried forward with prices) "
                        "with its current target: a table per profile and the status (MAINTAIN / REBALANCE / "
                        "URGENT). The first run for a profile records a baseline and prints no drift report.")
    _profile_args(dm)
    dm.add_argument("--json", action="store_true", help="machine-readable output")
    dm.set_defaults(func=_cmd_drift_monitor)

    ac = sub.add_parser("accept-state", help="record the current target as implemented (new baseline)",
                        description="Record each profile's current target as its Last Implemented State. The "
                        "state file is written atomically; every accepted state is kept in its history with "
                        "the time and who accepted it.")
    _profile_args(ac, what="implemented as of")
    ac.add_argument("--by", metavar="WHO", help="who accepts (default: user@host)")
    ac.add_argument("--note", metavar="TEXT", help="free text kept with the state")
    ac.set_defaults(func=_cmd_accept_state)

    au = sub.add_parser("audit", help="market sensitivity (beta, correlation) and drift status of every profile",
                        description="Beta, correlation and R² of each profile's daily returns (its target weights) "
                        "on its benchmark by OLS, the AGGRESSIVE flag for defensive profiles above their beta limit, "
                        "and the drift status. Exits non-zero only on a data error, never on a flag.")
    _profile_args(au)
    au.add_argument("--json", action="store_true", help="machine-readable output")
    au.set_defaults(func=_cmd_audit)

    fm = sub.add_parser("factor-map", help="write the factor map PNG (clusters + MDS)",
                        description="Cluster a universe on correlation distance, map the cluster centroids in 2-D "
                        "with metric MDS and write a PNG (default summaries/factor_map.png). Universe: every "
                        "equity in the lakehouse, or a profile's universe and factor_map parameters.")
    fm.add_argument("--profile", metavar="NAME", help="use this profile's universe and parameters")
    fm.add_argument("--clusters", type=_positive_int, metavar="K", help="number of clusters (default 6 or the profile's)")
    fm.add_argument("--as-of", type=_date, metavar="DATE", help="as of DATE (default: latest data)")
    fm.add_argument("--out", type=Path, metavar="PATH", help="output PNG (default summaries/factor_map.png)")
    fm.set_defaults(func=_cmd_factor_map)

    sc = sub.add_parser("schedule", help="NYSE rebalance schedule: every K sessions from an anchor",
                        description="Rebalance days are NYSE sessions (exchange_calendars XNYS) a multiple of K "
                        "sessions after the anchor; holidays and special closures are never rebalance days.")
    sc.add_argument("--from", dest="from_date", type=_date, metavar="DATE", help="start date (default: today)")
    sc.add_argument("--next", type=_positive_int, default=10, metavar="N", help="how many dates (default 10)")
    sc.add_argument("--anchor", type=_date, default=date(2015, 1, 2), metavar="DATE",
                    help="anchor session (default 2015-01-02)")
    sc.add_argument("--every", type=_positive_int, default=5, metavar="K", help="sessions between rebalances (default 5)")
    sc.add_argument("--json", action="store_true", help="print schedule.json content")
    sc.add_argument("--out", type=Path, metavar="FILE", help="also write it to FILE (e.g. schedule.json)")
    sc.set_defaults(func=_cmd_schedule)

    fe = sub.add_parser("features", help="build the Risk4 feature table from the lakehouse prices",
                        description="Compute the documented feature pipeline (12-1 momentum, 1-month reversal, "
                        "low volatility -> alpha composite; vol_20/60/252, vol_blend, adv_20) for every equity with a "
                        "sector, in DuckDB, and replace the rows of the chosen dates in one transaction.")
    fsub = fe.add_subparsers(dest="features_command", required=True, metavar="ACTION", parser_class=_Parser)
    fb = fsub.add_parser("build", help="(re)compute the features table", description=fe.description)
    fb.add_argument("--start", type=_date, metavar="DATE", help="first date to (re)compute (default: all)")
    fb.add_argument("--end", type=_date, metavar="DATE", help="last date (default: latest price)")
    fb.add_argument("--json", action="store_true", help="print the summary as JSON")
    fb.set_defaults(func=_cmd_features)

    r4 = sub.add_parser("risk4", help="weekly Risk4 stock selection: check, validate, generate picks and trades",
                        description="The Risk4 process of each risk4 profile (default: all of them) on a date "
                        "(default: the latest price date). Exit codes: 0 fine; 1 (check only) not a rebalance day; "
                        "2 blocked by a CRITICAL alert or bad input.")
    r4sub = r4.add_subparsers(dest="risk4_command", required=True, metavar="ACTION", parser_class=_Parser)
    for name, helptext in (("check", "is DATE a rebalance day, and do the pre-rebalance checks pass"),
                           ("validate", "pre-rebalance checks only (data freshness, signal quality, universe health)"),
                           ("generate", "picks, weights and trades; writes picks.csv, trades.csv, "
                            "portfolio_summary.json, schedule.json, alerts.json, checks.csv")):
        q = r4sub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        q.add_argument("--profile", action="extend", nargs="+", metavar="NAME", help="Risk4 profile(s) (default: all)")
        q.add_argument("--date", type=_date, metavar="DATE", help="run date (default: latest price date)")
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

    from rebal.proposal.spec import MODE_NAMES

    pp = sub.add_parser("propose", help="rebalance proposal: modes, circuit breakers, simulation, trade list",
                        description="Build a rebalance proposal for one profile (dry run by default): current vs "
                        "proposed allocation with reasons, every limit check, the impact simulation (in-sample and "
                        "walk-forward out-of-sample), costs, the recommendation and a whole-share trade list. "
                        "Writes reports/<as_of>/<profile>/proposal.json and records the proposal id in the "
                        "lakehouse. With --execute, an approved proposal (`rebal approve ID`) is executed on the "
                        "paper broker as one batch. Exit 2 when the proposal is BLOCKED or on bad input.")
    pp.add_argument("--profile", required=True, metavar="NAME", help="the profile")
    pp.add_argument("--as-of", type=_date, metavar="DATE", help="as of DATE (default: latest data)")
    pp.add_argument("--mode", choices=MODE_NAMES, help="rebalance mode (default: the profile's proposal.mode)")
    pp.add_argument("--json", action="store_true", help="print the proposal as JSON")
    pp.add_argument("--explain", action="store_true", help="also print a plain-English explanation")
    pp.add_argument("--execute", action="store_true", help="execute the proposal if it was approved")
    pp.add_argument("--by", metavar="NAME", help="who executes (default: user@host)")
    pp.set_defaults(func=_cmd_propose)

    ap = sub.add_parser("approve", help="approve a proposal by id (records who and when)",
                        description="Approve a PROPOSED proposal so that `rebal propose --execute` may run it. "
                        "BLOCKED, already approved and executed proposals are refused.")
    ap.add_argument("id", metavar="PROPOSAL_ID")
    ap.add_argument("--by", metavar="NAME", help="approver (default: user@host)")
    ap.add_argument("--note", metavar="TEXT", help="a note kept with the approval")
    ap.set_defaults(func=_cmd_approve)

    lp = sub.add_parser("proposals", help="list recorded proposals, or a profile's rebalance history",
                        description="List proposals with their status and approval, newest first; with "
                        "--history, the execution summaries of one profile (the last 50 are kept).")
    lp.add_argument("--profile", metavar="NAME", help="only this profile")
    lp.add_argument("--history", action="store_true", help="the profile's rebalance history")
    lp.add_argument("--json", action="store_true", help="machine-readable output")
    lp.set_defaults(func=_cmd_proposals)

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
    g.add_argument("--grid", action="store_true", help="the sensitivity grid only (thresholds x costs, calendars, hybrid)")
    g.add_argument("--full", action="store_true", help="the full grid (every rule at every cost level, variants)")
    bt.add_argument("--start", type=_date, metavar="DATE", help="first session (default: lab.years before the end)")
    bt.add_argument("--end", type=_date, metavar="DATE", help="last session (default: latest data)")
    bt.add_argument("--refit", choices=["none", "monthly", "quarterly", "annual"],
                    help="refit the target on this calendar (default: lab.refit)")
    bt.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                    help="local processes for the sweep (default: the CPU count; 1 = in this process)")
    bt.add_argument("--scheduler", metavar="ADDRESS", help="run the sweep on a Dask distributed scheduler "
                    "(e.g. tcp://127.0.0.1:8786); results are identical to a local run")
    bt.add_argument("--out", type=Path, metavar="DIR", help="output directory (default reports/backtests/PROFILE)")
    bt.add_argument("--json", action="store_true", help="machine-readable output")
    bt.set_defaults(func=_cmd_backtest)

    rp = sub.add_parser("run", help="run the weekly job: notebooks per profile, HTML + PDF + committee packet",
                        description="Run the template notebooks for each profile with papermill, render "
                        "each to HTML and PDF under reports/<as_of>/<profile>/, and build "
                        "reports/<as_of>/committee_packet.pdf. All profiles are validated first; a "
                        "failing notebook fails only its own report (exit code 1).")
    rp.add_argument("--profile", action="extend", nargs="+", metavar="NAME",
                    help="profile(s) to run (repeatable; default: all in params/profiles)")
    rp.add_argument("--as-of", type=_date, metavar="DATE",
                    help="rerun the week as of DATE (YYYY-MM-DD), using only data on or before it "
                    "(default: the latest date in the lakehouse)")
    rp.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                    help="parallel processes (default: number of cores, %(default)s here)")
    rp.add_argument("--notebook", action="extend", nargs="+", metavar="NAME",
                    help="run only this template notebook (repeatable; default: each profile's list)")
    rp.add_argument("--quiet", action="store_true", help="no progress output")
    rp.set_defaults(func=_cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rebal`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RebalError as exc:
        msg = " ".join(str(exc).split("\n"))
        sys.stderr.write(f"rebal: error: {msg}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("rebal: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
