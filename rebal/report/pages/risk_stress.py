"""The risk and stress report: where the risk of the book sits, and what past crises would do to it, now vs proposed."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from rebal.report.figures import LABEL_SIZE, date_axis, legend_below, number_axis, percent_axis
from rebal.report.pages.risk_stress_evidence import evidence, flags
from rebal.report.registry import DATAFRAME, Cover, ReportSpec
from rebal.report.style import pyplot
from rebal.report.widgets import card, note

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rebal.config import Profile

__all__ = ["REPORT", "risk_card", "caveats", "method_note", "episode_note", "episodes_view", "var_note",
           "backtest_view", "stress_parameters",
           "scraps", "contributions_plot", "sector_plot", "episodes_plot", "worst_episode_plot", "shocks_plot",
           "backtest_plot"]

#: colours of the current and the proposed portfolio in every figure
NOW, PROPOSED = "#90a4ae", "#263238"


def _pct(x: float | None, fmt: str = ".1%") -> str:
    return "—" if x is None or not np.isfinite(x) else format(x, fmt)


def risk_card(rs: Any) -> Any:
    """Headline: volatility, worst episode, VaR and the backtest, current vs proposed."""
    from rebal.stress.tables import CHANGE_WORDS, headline

    h = headline(rs)
    top = h["largest_contributor"]
    bt = rs.backtest
    rows = [
        ("Profile", f"{html.escape(rs.profile.name)} as of {rs.as_of}; proposal <code>{html.escape(rs.proposal_id)}"
                    f"</code> (simulation verdict {html.escape(rs.verdict)})"),
        ("Volatility", f"{_pct(h['vol_current'])} now → {_pct(h['vol_proposed'])} proposed (annualised; target "
                       f"{_pct(h['vol_target'])}); beta {h['beta_current']:.2f} → {h['beta_proposed']:.2f}"),
        ("Largest risk", f"{html.escape(top)}: {_pct(h['largest_contributor_share'], '.0%')} of the volatility now"
         if top else "—"),
        ("Worst episode", f"{_worst_text(h, 'current', rs.profile.benchmark)} now / "
                          f"{_worst_text(h, 'proposed', rs.profile.benchmark)} proposed: the proposal "
                          f"<b>{CHANGE_WORDS[h['stress_change']]}</b> the worst stress loss"),
        ("VaR 99 %, 1 day", f"{_pct(h['var99_1d'], '.2%')} of value (historical, {rs.spec.var_window_days} sessions); "
                            f"ES {_pct(h['es99_1d'], '.2%')}" + _var_flag(h)),
    ]
    if h["episodes_worse"]:
        rows.append(("Proposal loses more", "<span style='color:#c62828;font-weight:700'>" + "; ".join(
            html.escape(f"{w['episode']}: {_pct(w['loss now'])} → {_pct(w['loss proposed'])}"
                        + (" (proxy)" if w["proxied"] else "")) for w in h["episodes_worse"]) + "</span>"))
    if bt is not None:
        rows.append(("VaR backtest", f"{bt.exceedances} exceedances in {bt.days} sessions ({bt.expected:.1f} "
                                     f"expected); Kupiec p = {bt.kupiec.p_value:.3f}, Christoffersen p = "
                                     f"{bt.christoffersen.p_value:.3f}"))
    return card(rows)


def _worst_text(h: dict[str, Any], side: str, benchmark: str) -> str:
    """``-32.0 % (2007-2009 financial crisis; SPX -56.8 %; proxied: 62 % of value)`` for one side (HTML)."""
    name = h[f"worst_episode_{side}"]
    if name is None:
        return "—"
    bits = [html.escape(name)]
    if h.get(f"worst_episode_benchmark_loss_{side}") is not None:
        bits.append(f"{html.escape(benchmark)} {_pct(h[f'worst_episode_benchmark_loss_{side}'])}")
    if h.get(f"worst_episode_proxied_{side}"):
        bits.append(f"<b>proxied</b>: {_pct(h[f'worst_episode_proxied_{side}'], '.0%')} of value through beta")
    return f"{_pct(h[f'worst_episode_loss_{side}'])} ({'; '.join(bits)})"


def _var_flag(h: dict[str, Any]) -> str:
    """Show the Kupiec rejection of the VaR model as a red flag after the figure (HTML; empty when it passes)."""
    if not h.get("var_rejected"):
        return ""
    return f"<br><span style='color:#c62828;font-weight:700'>{html.escape(h['var_flag'])}</span>"


def caveats(rs: Any) -> Any:
    """Show the run's caveats, or that there are none.

    The notes of the run (a VaR model its backtest rejects, skipped shocks, a blocked proposal, a short
    history) and a worst episode that rests partly on a beta proxy.
    """
    lines = [html.escape(n) for n in rs.notes]
    for side in ("current", "proposed"):
        w = rs.worst_episode(side)
        if w is not None and w.proxied:
            lines.append(f"The {side} book's worst episode ({html.escape(w.episode.name)}, {_pct(w.peak_to_trough)}) "
                         f"is <b>proxied</b>: {_pct(w.proxied_weight, '.0%')} of its value replayed through beta "
                         "(assets without prices then).")
    if not lines:
        return note("No caveats: every figure rests on the profile's own data as of the date.")
    return note("<br>".join(lines), "warning")


def method_note(rs: Any) -> Any:
    """State the estimates behind the figures, in one paragraph."""
    first, last, n = rs.window
    return note(f"<b>Risk estimate</b>: {html.escape(rs.covariance_label)} of {n} daily returns, {first} to {last} "
                f"(the profile's <code>stress.covariance</code>). Betas: OLS on the same returns, so before the as-of "
                f"date. Volatilities are annualised (× √252); cash is riskless.", lead=True)


def episode_note(rs: Any) -> Any:
    """Which episodes the data do not cover and which rest on a beta proxy."""
    from rebal.stress.tables import episodes_table

    t = episodes_table(rs)
    bits = [f"<b>{html.escape(name)}</b>: {html.escape(r['note'])}" for name, r in t.iterrows() if not r["covered"]]
    bits += [f"<b>{html.escape(name)}</b>: beta proxy for {html.escape(r['proxied now'])}"
             for name, r in t.iterrows() if r["covered"] and r["proxied now"]]
    if not bits:
        return note("Every episode is covered by actual closes of every asset held.", lead=True)
    return note("<br>".join(bits), "warning", lead=True)


def episodes_view(rs: Any) -> Any:
    """Return the episodes as the committee reads them: window, benchmark's loss, the book's loss now and proposed.

    The window and how it was chosen, the benchmark's own loss, the book's loss now and proposed
    (``proxied``: the share of value replayed through beta) and the worst day.

    ``worse`` (a highlight column) marks the episodes in which the proposal loses more than the current book.
    """
    from rebal.stress.tables import episodes_table

    t = episodes_table(rs)
    bench = rs.profile.benchmark
    share = t[["proxied share now", "proxied share proposed"]].max(axis=1)
    out = t.assign(**{"window chosen": t["kind"].map({"peak_to_trough": "index peak to trough",
                                                      "event": "event"}),
                      f"{bench} loss": t["benchmark loss"],
                      "proxied": [f"{x:.0%} of value" if x > 0 else "" for x in share]})
    cols = ["window chosen", "window", f"{bench} loss", "loss now", "loss proposed", "proxied", "worst day now",
            "worst day date", "worse"]
    return out[cols]


def var_note(rs: Any) -> Any:
    """Say whether the backtest rejects the VaR model, which way it errs and which model the report would use."""
    v = rs.var_verdict
    if v is None:
        return note("No VaR backtest: too little holdings history.")
    return note(html.escape(v.text), "warning" if v.rejected else "info")


def backtest_view(rs: Any) -> Any:
    """Return the backtest as the committee reads it: exceedances against the expected count, p-values, verdict."""
    from rebal.stress.tables import backtest_table

    t = backtest_table(rs)
    if t.empty:
        return t
    return t[["days", "exceedances", "expected", "Kupiec p", "Christoffersen p", "conditional p", "verdict (5 %)"]]


def _param(v: Any) -> str:
    """Write a parameter value as a reader reads it: lists as ``a, b``, an empty one as ``none``."""
    if isinstance(v, (tuple, list)):
        return ", ".join(_param(x) for x in v) or "none"
    return str(v)


def stress_parameters(profile: Profile) -> Any:
    """Return the profile's ``stress`` parameters next to the defaults."""
    from dataclasses import fields

    import pandas as pd

    from rebal.stress.spec import ShockSpec, StressSpec, episodes_path

    spec, dflt = profile.stress, StressSpec()
    rows = [(f.name, getattr(spec, f.name), getattr(dflt, f.name)) for f in fields(StressSpec)
            if f.name not in ("shocks", "episodes")]
    rows.append(("episodes", str(episodes_path(profile).name if not spec.episodes else spec.episodes),
                 "stress/episodes.yaml"))
    rows += [(f"shocks.{f.name}", getattr(spec.shocks, f.name), getattr(ShockSpec(), f.name))
             for f in fields(ShockSpec)]
    t = pd.DataFrame(rows, columns=["parameter", "this profile", "default"]).set_index("parameter").map(_param)
    t.loc["episodes", "this profile"] = spec.episodes or "stress/episodes.yaml"
    return t.assign(changed=t["this profile"] != t["default"])


# -- figures ----------------------------------------------------------------------------------------


def _paired_bars(ax, labels, now, proposed, *, scale: float = 100.0) -> None:
    y = np.arange(len(labels))
    ax.barh(y - 0.2, np.asarray(now) * scale, height=0.4, color=NOW, label="current")
    ax.barh(y + 0.2, np.asarray(proposed) * scale, height=0.4, color=PROPOSED, label="proposed")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#616161", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    legend_below(ax.figure, ax, ncol=2)


def contributions_plot(rs: Any, top: int = 15) -> Figure:
    """Euler risk contributions by asset, current vs proposed (percentage points of annualised volatility)."""
    from rebal.stress.tables import contributions_table

    plt = pyplot()
    full = contributions_table(rs)
    t = full.iloc[:top]  # largest current contribution first, then the proposal's new names
    shown = f" (largest {top} of {len(full)})" if len(full) > top else ""
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.34 * len(t) + 1.5)), layout="constrained")
    _paired_bars(ax, list(t.index), t["contribution now"].fillna(0), t["contribution proposed"].fillna(0))
    number_axis(ax.xaxis)
    ax.set_xlabel("contribution to annualised volatility (percentage points)")
    ax.set_title(f"Risk contributions by asset{shown}: volatility {rs.exante['current'].volatility:.1%} now, "
                 f"{rs.exante['proposed'].volatility:.1%} proposed", loc="left")
    return fig


def sector_plot(rs: Any) -> Figure:
    """Risk contributions summed by sector, current vs proposed (percentage points of annualised volatility)."""
    from rebal.stress.tables import sector_table

    plt = pyplot()
    t = sector_table(rs)
    fig, ax = plt.subplots(figsize=(10, max(2.6, 0.42 * len(t) + 1.4)), layout="constrained")
    _paired_bars(ax, list(t.index), t["contribution now"].fillna(0), t["contribution proposed"].fillna(0))
    number_axis(ax.xaxis)
    ax.set_xlabel("contribution to annualised volatility (percentage points)")
    ax.set_title("Risk contributions by sector", loc="left")
    return fig


def episodes_plot(rs: Any) -> Figure:
    """Peak-to-trough loss of each covered episode, current vs proposed (% of value); proxies marked."""
    from rebal.stress.tables import episodes_table

    plt = pyplot()
    t = episodes_table(rs)
    t = t[t["covered"]]
    labels = [f"{name}{' (proxy)' if r['proxied now'] or r['proxied proposed'] else ''}" for name, r in t.iterrows()]
    fig, ax = plt.subplots(figsize=(10, max(2.8, 0.45 * len(t) + 1.4)), layout="constrained")
    ax.scatter(t["benchmark loss"] * 100, np.arange(len(t)), marker="|", s=260, color="#c62828", zorder=5,
               label=f"{rs.profile.benchmark} itself")
    _paired_bars(ax, labels, t["loss now"], t["loss proposed"])
    for i, (now, prop) in enumerate(zip(t["loss now"], t["loss proposed"], strict=True)):
        for v, dy, color in ((now, -0.2, "#455a64"), (prop, 0.2, "#263238")):
            ax.annotate(f"{v:.1%}".replace("-", "−"), (v * 100, i + dy), xytext=(-3, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=LABEL_SIZE, color=color)
    lo = float(min(t["loss now"].min(), t["loss proposed"].min(), t["benchmark loss"].min())) * 100 if len(t) else -1.0
    ax.set_xlim(lo * 1.22, 0)
    percent_axis(ax.xaxis, signed=True)
    ax.set_xlabel("peak-to-trough loss over the episode (% of value)")
    ax.set_title("Historical episodes replayed on today's weights (held through the episode), the benchmark's own "
                 "loss marked", loc="left")
    return fig


def worst_episode_plot(rs: Any) -> Figure | None:
    """Value path of the current and the proposed weights through the current portfolio's worst episode."""
    plt = pyplot()
    worst = rs.worst_episode("current")
    if worst is None:
        return None
    res = next(r for ep, r in rs.episodes if ep.name == worst.episode.name)
    fig, ax = plt.subplots(figsize=(10, 3.6), layout="constrained")
    for key, color in (("current", NOW), ("proposed", PROPOSED)):
        path = res[key].path
        ax.plot(path.index, (path - 1) * 100, color=color, lw=1.8,
                label=f"{key}: trough {res[key].peak_to_trough:.1%}".replace("-", "−"))
    ax.axhline(0, color="#616161", lw=0.8)
    percent_axis(ax.yaxis, signed=True)
    ax.set_ylabel("value change since the start (% of value)")
    date_axis(ax)
    ax.set_title(f"Worst episode for the current holdings: {worst.episode.name}, {worst.first} .. {worst.last}",
                 loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=2)
    return fig


def shocks_plot(rs: Any) -> Figure:
    """Return of the current and the proposed portfolio under each hypothetical shock (% of value)."""
    from rebal.stress.tables import shocks_table

    plt = pyplot()
    t = shocks_table(rs)
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.36 * len(t) + 1.5)), layout="constrained")
    _paired_bars(ax, list(t.index), t["now"], t["proposed"])
    percent_axis(ax.xaxis, signed=True)
    ax.set_xlabel("portfolio return under the shock (% of value)")
    ax.set_title("Hypothetical shocks, current vs proposed", loc="left")
    return fig


def backtest_plot(rs: Any) -> Figure | None:
    """Daily returns of the profile's holdings against the 1-day VaR forecast made the day before."""
    plt = pyplot()
    bt = rs.backtest
    if bt is None:
        return None
    f = bt.forecasts
    fig, ax = plt.subplots(figsize=(10, 4.0), layout="constrained")
    ax.plot(f.index, f["return"] * 100, color="#78909c", lw=0.7, label="daily return of the holdings")
    ax.plot(f.index, -f["var"] * 100, color="#1565c0", lw=1.4, label=f"−VaR {bt.level:.0%}, forecast the day before")
    hits = f[f["exceedance"]]
    ax.scatter(hits.index, hits["return"] * 100, color="#c62828", s=18, zorder=5,
               label=f"exceedances: {bt.exceedances} ({bt.expected:.1f} expected)")
    ax.axhline(0, color="#616161", lw=0.6)
    percent_axis(ax.yaxis, signed=True)
    ax.set_ylabel("daily return (% of value)")
    date_axis(ax)
    ax.set_title(f"1-day VaR backtest ({rs.spec.backtest_method.replace('_', '-')}), {f.index[0].date()} .. "
                 f"{f.index[-1].date()}", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig)
    return fig


def scraps(rs: Any) -> dict[str, Any]:
    """Return the packet's key results (:func:`rebal.stress.tables.headline`) and the episodes table."""
    from rebal.stress.tables import episodes_table, headline

    t = episodes_table(rs).reset_index()
    return {**headline(rs), "benchmark": rs.profile.benchmark,
            "episodes": t[["episode", "kind", "definition", "covered", "window", "benchmark loss", "benchmark return",
                           "loss now", "loss proposed", "worst day now", "proxied now", "proxied share now",
                           "proxied share proposed", "worse"]]}


def _summary(s: Any) -> str:
    c, p = s.get("worst_episode_loss_current"), s.get("worst_episode_loss_proposed")
    text = (f"stress: worst episode current {c:.1%} / proposed {p:.1%}" if c is not None and p is not None
            else "stress: no episode covered")
    return text + f"; VaR99 1d {s['var99_1d']:.2%}; largest risk {s['largest_contributor'] or '—'}"


def _cell(s: Any) -> str:
    c, p = s.get("worst_episode_loss_current"), s.get("worst_episode_loss_proposed")
    change = str(s.get("stress_change", ""))
    color = {"lowers": "#2e7d32", "raises": "#c62828"}.get(change, "#455a64")
    worst = (f'{_pct(c)} → {_pct(p)} <span style="color:{color};font-weight:700">({html.escape(change)})</span>'
             if c is not None and p is not None else "no episode covered")
    top = html.escape(str(s.get("largest_contributor") or "—"))
    if s.get("worst_episode_proxied_current") or s.get("worst_episode_proxied_proposed"):
        worst += " <b>proxied</b>"
    var = f"VaR99 {_pct(s.get('var99_1d'), '.2%')}"
    if s.get("var_rejected"):
        var += (' <span style="color:#c62828;font-weight:700">'
                f'(Kupiec: {html.escape(str(s.get("var_direction")))})</span>')
    return f"{worst}<br>{var}<br>top risk {top} {_pct(s.get('largest_contributor_share'), '.0%')}"


def _applies(profile: Profile, has_holdings: bool) -> str | None:
    if has_holdings:
        return None
    return ("no holdings on or before the as-of date: the risk of the book and of its proposal needs them "
            "(import them with `rebal data import holdings`)")


_OPT_FLOAT = (float, type(None))
REPORT = ReportSpec(
    name="risk_stress", title="Risk and stress", order=25,
    scraps={"profile": str, "as_of": str, "proposal_id": str, "covariance": str, "window_days": int,
            "vol_current": float, "vol_target": float, "vol_proposed": float, "beta_current": float,
            "beta_proposed": float, "te_current": _OPT_FLOAT, "te_proposed": _OPT_FLOAT,
            "effective_bets_current": _OPT_FLOAT, "effective_bets_proposed": _OPT_FLOAT,
            "largest_contributor": str, "largest_contributor_share": _OPT_FLOAT, "largest_contributor_proposed": str,
            "worst_episode_current": (str, type(None)), "worst_episode_loss_current": _OPT_FLOAT,
            "worst_episode_proposed": (str, type(None)), "worst_episode_loss_proposed": _OPT_FLOAT,
            "stress_change": str, "episodes_covered": int, "episodes_proxied": int,
            "worst_shock": (str, type(None)), "worst_shock_current": _OPT_FLOAT, "worst_shock_proposed": _OPT_FLOAT,
            "var99_1d": float, "es99_1d": float, "var_method": str, "backtest_method": str, "backtest_days": int,
            "backtest_exceedances": int, "backtest_expected": float, "kupiec_p": _OPT_FLOAT,
            "christoffersen_p": _OPT_FLOAT, "notes": list, "episodes": DATAFRAME, "benchmark": str,
            "worst_episode_benchmark_loss_current": _OPT_FLOAT, "worst_episode_benchmark_loss_proposed": _OPT_FLOAT,
            "worst_episode_proxied_current": float, "worst_episode_proxied_proposed": float, "episodes_worse": list,
            "var_rejected": bool, "var_direction": str, "var_alternative": str, "var_caveat": str, "var_flag": str},
    summary=_summary, applies=_applies,
    cover=(Cover("Risk and stress", _cell),), evidence=evidence, flags=flags,
    legend="<b>Risk and stress</b>: worst peak-to-trough loss over the historical episodes of the current → proposed "
           "weights (the proposal lowers / raises the worst stress loss); 1-day 99 % historical VaR of the current "
           "holdings; top risk: the asset with the largest share of their volatility.",
)
