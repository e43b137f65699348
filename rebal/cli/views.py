"""The ``views`` command: the LLM-assisted views of a profile, their sources, confidences and guardrail outcomes."""
from __future__ import annotations

import argparse
import json
import sys

from rebal.cli.common import parse_date, paths_of

__all__ = ["register"]


def _pct(x: float) -> str:
    return f"{x:+.2%}"


def _views_text(o, track) -> str:
    """Render one profile's outcome as text (the same content as ``--json``)."""
    from rebal.llm.assist import UNAVAILABLE

    c = o.call
    lines = [f"🔭 {o.profile} as of {o.as_of}: {o.label}",
             f"   source: {o.source}" + (f" in {c.seconds:.2f} s, {c.attempts} attempt(s)" if c and c.attempts else "")]
    if o.inputs is not None:
        inp = o.inputs
        lines.append(f"   inputs: {len(inp.news)} news item(s) through {inp.news_through or '—'}, prices through "
                     f"{inp.prices_through}; prompt {o.prompt_hash[:12]}")
    if o.status == UNAVAILABLE:
        lines.append("   the base target stands")
        return "\n".join(lines)
    lines.append(f"   {'view':<22} {'stated':>8} {'used':>8} {'equil.':>8} {'conf.':>11}  guardrails / track record")
    for g in o.views:
        v = g.stated
        conf = f"{v.confidence:.2f}" + (f"->{g.confidence:.2f}" if g.confidence != v.confidence else "")
        lines.append(f"   {v.label[:22]:<22} {_pct(v.value):>8} {_pct(g.value):>8} {_pct(g.equilibrium):>8} "
                     f"{conf:>11}  {'; '.join(g.outcomes) or 'within the caps'}; {track.text(v.label)}")
        if v.rationale:
            lines.append(f"   {'':<23}why: {v.rationale}")
    t = o.tilt
    lines.append(f"   target: {t.distance:.2%} of value from the base target" +
                 ("".join(f"; {n}" for n in t.outcomes)))
    lines.append(f"   track record: {track.text()} over {track.horizon} sessions ({track.pending} view(s) pending)")
    who = "model-generated" if o.model_generated else "written by the offline rule"
    lines.append(f"   risk assessment ({who}): {o.risk_assessment or '—'}")
    lines.append(f"   explanation ({who}): {o.explanation or '—'}")
    return "\n".join(lines)


def _json(o, track) -> dict:
    from rebal.llm.assist import outcome_json

    doc = outcome_json(o)
    for v in doc["views"]:
        v["track_record"] = track.summary(v["label"])
    doc["track_record"] = {"horizon_sessions": track.horizon, "pending": track.pending, **track.summary()}
    return doc


def _cmd_views(args: argparse.Namespace) -> int:
    from rebal.config import load_profiles
    from rebal.data.freshness import check_as_of
    from rebal.data.lakehouse import Lakehouse
    from rebal.errors import ConfigError
    from rebal.llm.batch import backfill, plan, record_at
    from rebal.llm.track import track_record

    paths = paths_of(args)
    with Lakehouse(paths.lakehouse) as lh:
        profiles = load_profiles(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
        plain = [p.name for p in profiles if p.llm is None]
        if plain:
            raise ConfigError(f"{profiles[0].source if len(profiles) == 1 else paths.params_dir}: profile {plain[0]!r} "
                              "has no `llm` section (nothing to ask a model about)")
        as_of = check_as_of(lh, args.as_of, max_stale_sessions=max(p.data.max_stale_sessions for p in profiles))
        if args.backfill is not None:
            sessions = lh.at(as_of).sessions(args.backfill)
            dates = [d.date() for d in sessions[::-1][5::5]][::-1]
        else:
            batch, left = plan(profiles, lh, as_of, call_again=args.call_again)
            batch.run()  # a provider that cannot be built (missing key, model file, extra) raises before any call
    if args.backfill is not None:
        with Lakehouse(paths.lakehouse, read_only=False) as w:
            done = {p.name: backfill(p, w, dates) for p in profiles}
        print(json.dumps(done, indent=2) if args.json else "\n".join(
            f"{n}: {d['recorded']} offline call(s) recorded, {d['skipped']} skipped (already recorded or no data), "
            f"{len(dates)} weekly dates from {dates[0] if dates else '—'}" for n, d in done.items()))
        return 0
    for prof, why in left:
        print(f"rebal views: {prof.name}: LLM views unavailable: {why}", file=sys.stderr)
    why = record_at(batch, paths.lakehouse)
    if why:
        print(f"rebal views: the calls were not recorded: {why}", file=sys.stderr)
    with Lakehouse(paths.lakehouse) as lh:
        tracks = {p.prep.profile.name: track_record(p.prep.profile, lh, as_of) for p in batch.items}
    outcomes = [p.outcome for p in batch.items]
    if args.json:
        print(json.dumps([_json(o, tracks[o.profile]) for o in outcomes], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(_views_text(o, tracks[o.profile]) for o in outcomes))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    vp = sub.add_parser("views", help="LLM-assisted views of a profile: views, confidences, guardrails, track record",
                        description="For profiles with an `llm` section: gather the point-in-time inputs (news, "
                        "sentiment, trends, the base target), ask the provider for Black-Litterman views (or replay "
                        "the call recorded for the same request), apply the guardrails and print the views with their "
                        "sources, confidences, guardrail outcomes and track record. Every new call is recorded in the "
                        "lakehouse (llm_calls). Exit 2 on bad input or a provider that cannot be used.")
    vp.add_argument("--profile", required=True, action="extend", nargs="+", metavar="NAME", help="the profile(s)")
    vp.add_argument("--as-of", type=parse_date, metavar="DATE", help="as of DATE (default: latest data)")
    vp.add_argument("--json", action="store_true", help="print the views, guardrail outcomes and texts as JSON")
    vp.add_argument("--call-again", action="store_true",
                    help="call the provider even when a call for the same request is recorded (recorded anew)")
    vp.add_argument("--backfill", type=parse_date, metavar="START",
                    help="record the offline rule's calls weekly from START to before the as-of date (track record; "
                    "offline provider only)")
    vp.set_defaults(func=_cmd_views)
