"""The proposal commands: `propose` (dry run or execution), `approve` and `proposals`."""
from __future__ import annotations

import argparse
import json
import sys

from rebal.cli.common import parse_date, paths_of, plain_text, writable_lake
from rebal.errors import RebalError

__all__ = ["register"]


#: exit code of `propose --execute` when the trades were executed but a follow-up (the state update) failed
EXECUTED_WITH_FOLLOWUP_FAILURE = 3

_ICONS = {"IMPROVES": "📈", "WITHIN NOISE": "〰️", "WORSENS": "📉", "NOT SIMULATED": "⏸️"}


def _proposal_text(p, path) -> str:
    from rebal.proposal.tax_text import tax_lines

    b, s, c = p.allocation.breaker, p.simulation, p.costs
    lines = [f"📋 {p.profile.name}: proposal {p.id} (as of {p.as_of}; holdings of {p.holdings_date})"]
    lines += [f"   ⛔ configuration conflict: the target breaks its own hard limit: {t}" for t in p.target_conflicts]
    lines += [f"   🚨 hard limit breached now: {h}" for h in p.hard_breaches]
    if p.remedial is not None:
        r = p.remedial
        lines.append(f"   🩹 required remedy {r.id}: {len(r.trades.trades)} trade(s) worth ${r.traded_value:,.0f}, "
                     f"estimated cost ${r.cost_usd:,.0f} (signed apart)")
        lines += [f"     {x.action:<4} {x.ticker:<6} {x.shares:>9,} sh = {'$' + format(x.value, ',.0f'):>13}  "
                  f"{x.weight_before:.2%} -> {x.weight_after:.2%}" for x in r.trades.trades.itertuples()]
    lines += [f"   value ${p.value:,.0f}; drift {p.drift:.2%} ({p.drift_status}); "
              f"mode {p.allocation.mode.replace('_', '-')}"
              + (f" (requested {p.mode_requested})" if p.mode_requested != p.allocation.mode else "")
              + f"; circuit breakers {b.status} after {b.iterations} round(s), {len(b.adjustments)} adjustment(s)",
              f"   {'asset':<8} {'current':>8} {'target':>8} {'proposed':>9} {'change':>8}  reason"]
    for a, r in p.changes(held_only=True).iterrows():
        lines.append(f"   {a:<8} {r['current']:>8.2%} {r['target']:>8.2%} {r['proposed']:>9.2%} "
                     f"{r['change']:>+8.2%}  {r['reason']}")
    fails = b.checks[b.checks["status"] == "FAIL"]
    lines.append(f"   limits: {len(b.checks)} checks, {len(b.checks) - len(fails)} PASS, {len(fails)} FAIL"
                 + (f" — {b.reason}" if b.reason else ""))
    for note in b.adjustments[:6]:
        lines.append(f"     adjusted: {note}")
    if s is not None:
        fig = p.figure
        lines.append(f"   simulation: {fig.words()}" if fig is not None else
                     f"   simulation, {s.n_days} sessions {s.start}..{s.end}: no out-of-sample estimate (in-sample "
                     f"Sharpe {s.in_sample['sharpe']:.2f}, look-ahead, not judged)")
    lines.append(f"   costs: {c['total_bps']:.1f} bps of value (slippage {c['slippage_bps']:.1f} + commission "
                 f"{c['commission_bps']:.1f}), ${c['total_usd']:,.0f} on ${c['traded_value']:,.0f} traded")
    lines += [f"   {x}" for x in tax_lines(p.tax)]
    t = p.trades.trades
    lines.append(f"   trades: {len(t)} ({(t['action'] == 'BUY').sum()} buy, {(t['action'] == 'SELL').sum()} sell); "
                 f"cash after ${p.trades.cash_after:,.0f}")
    for r in t.itertuples():
        lines.append(f"     {r.action:<4} {r.ticker:<6} {r.shares:>9,} sh @ {'$' + format(r.price, ',.2f'):>10} = "
                     f"{'$' + format(r.value, ',.0f'):>13}  "
                     f"{r.reason:<16} est. ${r.est_cost:,.0f}")
    if p.blocked:
        lines.append(f"   ⛔ blocked: {b.reason}")
    lines.append(f"   {_ICONS[p.verdict]} simulation verdict {p.verdict}: {p.verdict_reason}")
    if p.partway is not None and len(p.partway.trades.trades):
        w = p.partway
        lines.append(f"   part-way trade: {len(w.trades.trades)} trade(s) worth ${w.traded_value:,.0f}, estimated cost "
                     f"${w.cost_usd:,.0f}, {w.te_removed:.0%} of the tracking-error variance to the proposal removed"
                     + (f", aimed {w.toward:.0%} of the way (unstable target)" if w.toward < 1 else ""))
    if p.stability is not None:
        lines.append(f"   target stability: {p.stability.words()}")
    lines += [f"   ⚠️  {w}" for w in p.warnings] + [f"   🚨 {a}" for a in p.alerts]
    lines += [f"   note: {n}" for n in p.notes]
    if path:
        lines.append(f"   written: {path}")
    return "\n".join(lines)


def _cmd_propose(args: argparse.Namespace) -> int:
    from rebal.config import load_profile
    from rebal.data.freshness import check_as_of
    from rebal.decision.review import weekly_review
    from rebal.monitor.state import StateStore
    from rebal.proposal.build import build_proposal
    from rebal.proposal.execution import execute_proposal, record_proposal
    from rebal.proposal.serialize import explain, proposal_json, write_proposal

    paths = paths_of(args)
    with writable_lake(paths) as lh:
        prof = load_profile(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
        as_of = check_as_of(lh, args.as_of, max_stale_sessions=prof.data.max_stale_sessions)
        p = build_proposal(prof, lh, as_of, mode=args.mode, tax_aware=args.tax_aware)
        # the week's decision: the same object as the reports' and `rebal drift-monitor`'s
        review = weekly_review(prof, lh, p.as_of, StateStore(paths.states_dir), proposal=p)
        decision = review.decision
        # the file first: a proposal whose file cannot be written is not recorded
        out = write_proposal(p, paths.reports_dir)
        row = record_proposal(lh, p, str(out))
        rep, err = None, None
        if args.execute:
            try:
                rep = execute_proposal(p, lh, StateStore(paths.states_dir), executed_by=args.by,
                                       option=_approved_option(lh, p, decision))
            except RebalError as exc:
                err = exc
    if args.json:
        doc = proposal_json(p)
        doc["status"] = "EXECUTED" if rep else row["status"]
        doc["decision"] = decision.to_json()
        doc["recommendation"] = review.recommendation.to_json() if review.recommendation is not None else None
        if rep is not None:
            doc["execution"] = {**rep.summary(), "fills": rep.fills.to_dict("records"),
                                "checks": rep.checks.to_dict("records"),
                                "followup_error": rep.followup_error, "repair": rep.repair}
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(_proposal_text(p, out))
        print(f"   decision this week: {decision.headline} — {decision.reason}")
        if decision.then is not None:
            print(f"   then, on the rest: {decision.then.action} — {decision.then.reason}")
        if review.recommendation is not None and decision.discretionary.action in ("ADOPT TARGET", "ADOPT PART-WAY",
                                                                                   "KEEP CURRENT"):
            print(f"   recommendation: {review.recommendation.headline()}")
        if args.explain:
            print("\n" + explain(p))
        if rep is not None:
            print(f"\n✅ executed {len(rep.fills)} trade(s) on the paper broker: status {rep.status}; cost "
                  f"{rep.actual_cost_bps:.1f} bps actual vs {rep.est_cost_bps:.1f} bps estimated; drift to target "
                  f"{rep.drift_before:.2%} -> {rep.drift_after:.2%} "
                  f"(residual vs proposed {rep.residual_vs_proposed:.2%}); "
                  f"cash ${rep.cash_after:,.0f}")
            fails = rep.checks[rep.checks["status"] == "FAIL"]
            print(f"   post-trade limits: {len(rep.checks) - len(fails)} PASS, {len(fails)} FAIL"
                  + "".join(f"\n     FAIL {r.check} {r.item}: {r.proposed:.2%} vs {r.limit:.2%}"
                            for r in fails.itertuples()))
            if rep.followup_error:
                print(f"   ⚠️  executed, but {rep.followup_error}: repair with `{rep.repair}`")
            else:
                print(f"   Last Implemented State updated ({rep.state.accepted_at}); "
                      f"history: `rebal proposals --profile {prof.name} --history`")
        elif not args.execute and p.target_conflicts:
            print("   next: resolve the configuration conflict in the profile (its target breaks its own hard limits) "
                  "before approving any trade")
        elif not args.execute and not p.blocked:
            if p.remedial is not None:
                print(f"   required: `rebal approve {p.remedial.id}` (the remedy alone), or the proposal below, whose "
                      "trades include it")
            print(f"   next: review, then `rebal approve {p.id}` and `rebal propose --profile {prof.name} --execute`")
    if err is not None:
        raise err
    if rep is not None and rep.followup_error:
        sys.stderr.write(f"rebal: executed, but {' '.join(rep.followup_error.split())}: repair with `{rep.repair}`\n")
        return EXECUTED_WITH_FOLLOWUP_FAILURE
    if p.blocked:
        sys.stderr.write(f"rebal: proposal {p.id} is BLOCKED: {p.allocation.breaker.reason}\n")
        return 2
    return 0


def _approved_option(lh, p, decision):
    """Return the trade list an approval covers: the proposal's recommended option, else the remedy approved alone."""
    from rebal.proposal.execution import get_proposal

    row = get_proposal(lh, p.id)
    if row is not None and row["status"] in ("APPROVED", "EXECUTED"):
        return p.partway if decision.discretionary.action == "ADOPT PART-WAY" else None
    r = p.remedial
    rrow = get_proposal(lh, r.id) if r is not None else None
    return r if rrow is not None and rrow["status"] in ("APPROVED", "EXECUTED") else None


def _cmd_approve(args: argparse.Namespace) -> int:
    from rebal.proposal.execution import approve

    with writable_lake(paths_of(args)) as lh:
        row = approve(lh, args.id, by=args.by, note=args.note or "")
    what = ("the required remedial part" if row["recommendation"] == "REMEDIAL"
            else f"simulation verdict {row['recommendation']}")
    print(f"✅ {row['id']} approved by {row['approved_by']} at {row['approved_at']} ({what}); execute it with "
          f"`rebal propose --profile {row['profile']} --as-of {row['as_of']:%Y-%m-%d} --execute`")
    return 0


def _cmd_proposals(args: argparse.Namespace) -> int:
    from rebal.data.lakehouse import Lakehouse
    from rebal.data.proposals import list_proposals
    from rebal.proposal.execution import rebalance_history

    paths = paths_of(args)
    with Lakehouse(paths.lakehouse) as lh:
        if args.history:
            if not args.profile:
                raise RebalError("--history needs --profile NAME")
            df = rebalance_history(lh, args.profile)
        else:
            df = list_proposals(lh, args.profile)
    if args.json:
        print(df.to_json(orient="records", date_format="iso", indent=2))
    elif df.empty:
        print("no executions recorded" if args.history else "no proposals recorded; run `rebal propose --profile NAME`")
    else:
        print(df.to_string(index=False))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    from rebal.proposal.spec import MODE_NAMES

    pp = sub.add_parser("propose", help="rebalance proposal: modes, circuit breakers, simulation, trade list",
                        description="Build a rebalance proposal for one profile (dry run by default): current vs "
                        "proposed allocation with reasons, every limit check, the impact simulation (in-sample and "
                        "walk-forward out-of-sample, against the book as held), costs, the simulation verdict "
                        "(IMPROVES / WITHIN NOISE / WORSENS / NOT SIMULATED), hard-limit breaches, target conflicts "
                        "and a whole-share trade list; the required remedial part (own id) when a hard limit is broken "
                        "now, the part-way trade, the target's stability, and the week's decision with its "
                        "recommendation (adopt / adopt part-way / keep current) and evidence. "
                        "Writes reports/<as_of>/<profile>/proposal.json and records the proposal id in the "
                        "lakehouse. With --execute, an approved proposal (`rebal approve ID`) is executed on the "
                        "paper broker as one batch: the recommended trade list when the proposal id was approved, the "
                        "remedial part alone when only its id was. Exit 2 when the proposal is BLOCKED or on bad "
                        "input (nothing "
                        "executed); exit 3 when the trades were executed but a follow-up failed (the message names it "
                        "and the repair command).")
    pp.add_argument("--profile", required=True, metavar="NAME", help="the profile")
    pp.add_argument("--as-of", type=parse_date, metavar="DATE", help="as of DATE (default: latest data)")
    pp.add_argument("--mode", choices=MODE_NAMES, help="rebalance mode (default: the profile's proposal.mode)")
    pp.add_argument("--tax-aware", action=argparse.BooleanOptionalAction, default=None,
                    help="the tax-aware mode: min-tax lots, loss harvests with substitutes, short-term gains spared "
                    "within the drift tolerance (default: the profile's tax.aware.enabled)")
    pp.add_argument("--json", action="store_true", help="print the proposal as JSON")
    pp.add_argument("--explain", action="store_true", help="also print a plain-English explanation")
    pp.add_argument("--execute", action="store_true", help="execute the proposal if it was approved")
    pp.add_argument("--by", type=plain_text, metavar="NAME", help="who executes (default: user@host)")
    pp.set_defaults(func=_cmd_propose)

    ap = sub.add_parser("approve", help="approve a proposal by id (records who and when)",
                        description="Approve a PROPOSED proposal so that `rebal propose --execute` may run it. "
                        "BLOCKED, already approved and executed proposals are refused.")
    ap.add_argument("id", metavar="PROPOSAL_ID")
    ap.add_argument("--by", type=plain_text, metavar="NAME", help="approver (default: user@host)")
    ap.add_argument("--note", type=plain_text, metavar="TEXT", help="a note kept with the approval")
    ap.set_defaults(func=_cmd_approve)

    lp = sub.add_parser("proposals", help="list recorded proposals, or a profile's rebalance history",
                        description="List proposals with their status and approval, newest first; with "
                        "--history, the execution summaries of one profile (the last 50 are kept).")
    lp.add_argument("--profile", metavar="NAME", help="only this profile")
    lp.add_argument("--history", action="store_true", help="the profile's rebalance history")
    lp.add_argument("--json", action="store_true", help="machine-readable output")
    lp.set_defaults(func=_cmd_proposals)
