"""The risk and stress report's part in the committee packet: its evidence rows, its stress table, its caveats.

Read from the report's scraps (:func:`rebal.report.pages.risk_stress.scraps`) by the registry hooks
``evidence`` and ``flags`` of its :class:`~rebal.report.registry.ReportSpec`: volatility, beta, tracking
error, the VaR with its backtest's verdict, the worst episode with the benchmark's own loss (proxied
marked), the table of episodes, and the cover's caveats.
"""
from __future__ import annotations

from typing import Any

from rebal.report.evidence import pct as epct

__all__ = ["EXPOSURE", "EPISODES", "BACKTEST", "evidence", "flags"]

#: ids of the report's sections its evidence links to (nbconvert's ids of the template's headings)
EXPOSURE, EPISODES, BACKTEST = "Where-the-risk-sits", "Historical-episodes", "Backtest-of-the-one-day-VaR"


def _worst_cell(s: Any, side: str) -> str:
    name = s.get(f"worst_episode_{side}")
    if name is None:
        return "—"
    proxied = s.get(f"worst_episode_proxied_{side}") or 0.0
    return (f"{epct(s.get(f'worst_episode_loss_{side}'))} {name}"
            + (f" (proxied: {epct(proxied, '.0%')} of value)" if proxied else ""))


def _proxied_flag(s: Any) -> str:
    """``proxied: 62 % of value replayed through beta`` when a side's worst episode rests on a proxy ("" else)."""
    share = max(float(s.get(f"worst_episode_proxied_{x}") or 0.0) for x in ("current", "proposed"))
    return f"proxied: {epct(share, '.0%')} of value replayed through beta" if share else ""


def _var_flag_short(s: Any) -> str:
    """``rejected by its Kupiec test: too many exceptions (15 vs 7.5 expected, p = 0.016)`` ("" when it passes)."""
    if not s.get("var_rejected"):
        return ""
    return (f"rejected by its Kupiec test: {s.get('var_direction')} exceptions ({s.get('backtest_exceedances')} vs "
            f"{float(s.get('backtest_expected') or 0):.1f} expected, p = {float(s.get('kupiec_p') or 0):.3f})")


def evidence(s: Any) -> list[Any]:
    """Rows of the decision page: volatility, beta, tracking error, VaR and worst episode; the episodes table."""
    from rebal.report.evidence import EvidenceRow, EvidenceTable

    bench = str(s.get("benchmark") or "the benchmark")
    worse = ("proposal loses more in " + ", ".join(w["episode"] for w in s["episodes_worse"])
             if s.get("episodes_worse") else "")
    rows: list[Any] = [
        EvidenceRow("Volatility", epct(s.get("vol_current")), epct(s.get("vol_proposed")),
                    f"annualised, ex ante; the target's {epct(s.get('vol_target'))}", anchor=EXPOSURE, order=20,
                    key="volatility"),
        EvidenceRow(f"Beta to {bench}", f"{s['beta_current']:.2f}", f"{s['beta_proposed']:.2f}", anchor=EXPOSURE,
                    order=21, key="beta"),
        EvidenceRow("Tracking error to target", epct(s.get("te_current")), epct(s.get("te_proposed")),
                    "annualised", anchor=EXPOSURE, order=24),
        EvidenceRow("VaR 99 %, 1 day", epct(s.get("var99_1d"), ".2%"), "",
                    f"historical; ES {epct(s.get('es99_1d'), '.2%')}", flag=_var_flag_short(s), anchor=BACKTEST,
                    order=25, key="var99"),
        EvidenceRow("Worst stress episode", _worst_cell(s, "current"), _worst_cell(s, "proposed"),
                    f"peak to trough; now in {s.get('worst_episode_current')}, {bench} "
                    f"{epct(s.get('worst_episode_benchmark_loss_current'))} in it",
                    flag="; ".join(x for x in (_proxied_flag(s), worse) if x), anchor=EPISODES, order=26,
                    key="worst_episode"),
    ]
    t = s.get("episodes")
    if t is not None and hasattr(t, "iterrows") and len(t):
        t = t[t["covered"].astype(bool)]
        body, flagged = [], []
        for _, r in t.iterrows():
            proxy = max(float(r["proxied share now"] or 0.0), float(r["proxied share proposed"] or 0.0))
            window = str(r["window"]).replace(" .. ", "→") + ("" if r["kind"] == "peak_to_trough" else " event")
            body.append((str(r["episode"]), window, epct(r["benchmark loss"]), epct(r["loss now"]),
                         epct(r["loss proposed"]),
                         "; ".join(x for x in (f"proxied ({epct(proxy, '.0%')})" if proxy else "",
                                               "worse" if r["worse"] else "") if x)))
            flagged.append(bool(r["worse"]))
        rows.append(EvidenceTable("Stress episodes: the book held through each",
                                  ("episode", "window", bench, "now", "proposed", ""), tuple(body), tuple(flagged),
                                  note="Loss: the largest fall from a running peak in the window; windows run from "
                                       "the index's peak to its trough unless marked event. Worse: the proposal loses "
                                       "more than the book now. Proxied: that share of value replayed through beta.",
                                  anchor=EPISODES, order=68))
    return rows


def flags(s: Any) -> list[str]:
    """Caveats for the packet cover: a rejected VaR model, a proxied worst episode, episodes the proposal worsens."""
    out = [f"VaR 99 % {_var_flag_short(s)}"] if s.get("var_rejected") else []
    sides = [x for x in ("current", "proposed") if s.get(f"worst_episode_proxied_{x}")]
    if sides:
        share = max(float(s.get(f"worst_episode_proxied_{x}") or 0.0) for x in sides)
        names = sorted({str(s.get(f"worst_episode_{x}")) for x in sides})
        out.append(f"worst episode proxied: {', '.join(names)} ({epct(share, '.0%')} of value through beta)")
    bench = str(s.get("benchmark") or "benchmark")
    for w in s.get("episodes_worse") or []:
        out.append(f"proposal loses more in {w['episode']} ({epct(w['loss now'])} → {epct(w['loss proposed'])}; "
                   f"{bench} {epct(w.get('benchmark loss'))}" + (", proxied)" if w.get("proxied") else ")"))
    return out
