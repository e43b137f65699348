"""The ``risk`` command: ex-ante risk, historical episodes, shocks, VaR and its backtest for one profile."""
from __future__ import annotations

import argparse
import json

from rebal.cli.common import parse_date, paths_of

__all__ = ["register"]


def _p(x, fmt: str = ".2%") -> str:
    import math

    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def _risk_text(rs) -> str:
    """Render the figures of ``rebal risk`` as text (the same numbers as the ``risk_stress`` report)."""
    from rebal.analytics.var import VAR_LABELS
    from rebal.stress import tables

    h = tables.headline(rs)
    first, last, n = rs.window
    lines = [f"📉 {rs.profile.name}: risk and stress as of {rs.as_of} (proposal {rs.proposal_id}, "
             f"simulation verdict {rs.verdict})",
             f"   risk estimate: {rs.covariance_label} of {n} daily returns {first}..{last}; betas by OLS on them",
             f"   {'portfolio':<10} {'volatility':>10} {'beta':>6} {'TE':>7} {'bets':>6}  largest contributor"]
    for name, r in tables.exante_table(rs).iterrows():
        lines.append(f"   {name:<10} {_p(r['volatility']):>10} {r['beta']:>6.2f} {_p(r['tracking error']):>7} "
                     f"{_p(r['effective bets'], '.1f'):>6}  {r['largest contributor']} ({_p(r['its share'], '.0%')})")
    lines.append("   risk contributions (annualised volatility; share of it), now -> proposed:")
    for a, r in tables.contributions_table(rs).iterrows():
        lines.append(f"     {a:<8} weight {_p(r['weight now'], '.1%'):>6} -> {_p(r['weight proposed'], '.1%'):>6}   "
                     f"contribution {_p(r['contribution now']):>6} ({_p(r['share now'], '.0%'):>4}) -> "
                     f"{_p(r['contribution proposed']):>6} ({_p(r['share proposed'], '.0%'):>4})  {r['sector']}")
    lines.append("   by sector:")
    for s, r in tables.sector_table(rs).iterrows():
        lines.append(f"     {s:<24} {_p(r['contribution now']):>6} ({_p(r['share now'], '.0%'):>4}) -> "
                     f"{_p(r['contribution proposed']):>6} ({_p(r['share proposed'], '.0%'):>4})")
    lines.append(f"   historical episodes (peak-to-trough loss, episode return, worst day), {rs.profile.benchmark} "
                 "itself, then the book now | proposed:")
    for name, r in tables.episodes_table(rs).iterrows():
        if not r["covered"]:
            lines.append(f"     {name:<26} {r['note']}")
            continue
        bench = f"{rs.profile.benchmark} {_p(r['benchmark loss'], '.1%'):>6}"
        loss = f"loss {_p(r['loss now'], '.1%'):>6} | {_p(r['loss proposed'], '.1%'):>6}"
        ret = f"return {_p(r['return now'], '+.1%'):>6} | {_p(r['return proposed'], '+.1%'):>6}"
        day = (f"worst day {_p(r['worst day now'], '.1%'):>6} ({r['worst day date']}) | "
               f"{_p(r['worst day proposed'], '.1%')}")
        flags = ("   PROPOSAL LOSES MORE" if r["worse"] else "") + (f"   proxy: {r['proxied now']}"
                                                                     if r["proxied now"] else "")
        lines.append(f"     {name:<26} {r['window']}  {bench}   {loss}   {ret}   {day}{flags}")
        lines.append(f"       {r['definition']}")
    if h["worst_episode_current"] is not None:
        lines.append(f"   worst episode: now {_p(h['worst_episode_loss_current'], '.1%')} "
                     f"({h['worst_episode_current']}) / proposed {_p(h['worst_episode_loss_proposed'], '.1%')} "
                     f"({h['worst_episode_proposed']}): "
                     f"the proposal {tables.CHANGE_WORDS[h['stress_change']]} the worst stress loss")
    lines.append("   hypothetical shocks (portfolio return), now -> proposed:")
    for s, r in tables.shocks_table(rs).iterrows():
        lines.append(f"     {s:<52} {_p(r['now'], '+.1%'):>7} -> {_p(r['proposed'], '+.1%'):>7}")
    lines.append(f"   VaR / ES of the current holdings ({rs.spec.var_window_days} daily returns; losses, % of value):")
    for r in rs.var.itertuples():
        lines.append(f"     {VAR_LABELS[r.method]:<27} {r.level:>4.0%} {r.horizon_days:>3} day(s)  "
                     f"VaR {_p(r.var):>6}  ES {_p(r.es):>6}")
    bt = tables.backtest_table(rs)
    if bt.empty:
        lines.append("   VaR backtest: not enough holdings history")
    else:
        lines.append(f"   backtest of the 1-day VaR {rs.spec.backtest_level:.0%} on the holdings history:")
        for m, r in bt.iterrows():
            lines.append(f"     {m:<27} {r['exceedances']:>3} exceedances in {r['days']} days ({r['expected']:.1f} "
                         f"expected); Kupiec p {r['Kupiec p']:.3f}, Christoffersen p {r['Christoffersen p']:.3f}, "
                         f"conditional p {r['conditional p']:.3f}: {r['verdict (5 %)']}")
    lines += [f"   note: {n}" for n in rs.notes]
    return "\n".join(lines)


def _cmd_risk(args: argparse.Namespace) -> int:
    from rebal.config import load_profile
    from rebal.data.freshness import check_as_of
    from rebal.data.lakehouse import Lakehouse
    from rebal.stress.build import risk_stress
    from rebal.stress.tables import risk_json

    paths = paths_of(args)
    with Lakehouse(paths.lakehouse) as lh:
        prof = load_profile(args.profile, paths.params_dir, known_tickers=lh.known_tickers())
        as_of = check_as_of(lh, args.as_of, max_stale_sessions=prof.data.max_stale_sessions)
        rs = risk_stress(prof, lh, as_of)
    if args.json:
        print(json.dumps(risk_json(rs), indent=2, default=str))
    else:
        print(_risk_text(rs))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the ``rebal`` parser."""
    rp = sub.add_parser("risk", help="risk and stress of the holdings and the proposal: contributions, episodes, "
                        "shocks, VaR and its backtest",
                        description="For one profile: ex-ante volatility, beta and tracking error of the current "
                        "holdings, the target and the proposal on the profile's covariance estimate, with Euler risk "
                        "contributions by asset and sector; historical episodes replayed on the current and the "
                        "proposed weights (a labelled beta proxy where an asset has no prices); hypothetical shocks; "
                        "VaR and ES of the current holdings and a backtest of the 1-day VaR on the holdings history. "
                        "The same numbers as the risk_stress report. Read-only; exit 2 on bad input.")
    rp.add_argument("--profile", required=True, metavar="NAME", help="the profile")
    rp.add_argument("--as-of", type=parse_date, metavar="DATE", help="as of DATE (default: latest data)")
    rp.add_argument("--json", action="store_true", help="print every figure as JSON")
    rp.set_defaults(func=_cmd_risk)
