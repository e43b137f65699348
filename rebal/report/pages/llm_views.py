"""The LLM-assisted views report: base vs LLM-assisted target, the views, their inputs, guardrails and track record."""
from __future__ import annotations

import html
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.report.figures import legend_below, percent_axis, place_labels
from rebal.report.registry import DATAFRAME, Cover, ReportSpec
from rebal.report.style import OVER, UNDER, pyplot
from rebal.report.widgets import badge, card, html_block, note

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rebal.config import Profile

__all__ = ["REPORT", "views_card", "model_text", "news_note", "llm_parameters", "targets_plot", "sentiment_plot",
           "track_plot", "TARGET_FORMATS", "VIEW_FORMATS", "SENTIMENT_FORMATS", "TRACK_FORMATS"]

_STATUS_COLORS = {"VIEWS APPLIED": "#2e7d32", "NO VIEWS": "#1565c0", "FALLBACK": "#ef6c00", "UNAVAILABLE": "#c62828"}
TARGET_FORMATS = {"held": "{:.2%}", "base target": "{:.2%}", "LLM-assisted": "{:.2%}", "change": "{:+.2%}"}
VIEW_FORMATS = {"stated return": "{:+.2%}", "used return": "{:+.2%}", "equilibrium": "{:+.2%}", "tilt": "{:+.2%}",
                "stated confidence": "{:.2f}", "used confidence": "{:.2f}"}
SENTIMENT_FORMATS = {"sentiment": "{:+.2f}", "decay weight": "{:.2f}", "trend": "{:+.1%}", "base weight": "{:.1%}"}
TRACK_FORMATS = {"value": "{:+.1%}", "equilibrium": "{:+.1%}", "tilt": "{:+.2%}", "expected": "{:+.2%}",
                 "realised": "{:+.1%}", "active": "{:+.1%}"}


def views_card(o: Any, track: Any, profile: Profile) -> Any:
    """Headline: status, who answered, where the answer came from, what it rests on, the distance moved."""
    from rebal.allocation.registry import describe

    status = badge(o.status, _STATUS_COLORS.get(o.status))
    rows = [("Profile", f"{html.escape(profile.name)}: base strategy {html.escape(describe(profile.target))}"),
            ("Views", f"{status} {html.escape(o.label)}"),
            ("Answered by", html.escape(o.answered_by) + (" — <b>model-generated</b>" if o.model_generated else "")),
            ("Source", html.escape(o.source) + (f"; request {html.escape(o.prompt_hash[:16])}…" if o.prompt_hash
                                                else ""))]
    if o.call is not None and o.call.attempts:
        rows.append(("Timing", f"{o.call.seconds:.2f} s, {o.call.attempts} attempt(s)"))
    if o.inputs is not None:
        i = o.inputs
        start = i.as_of - timedelta(days=i.spec.news.window_days)
        rows.append(("Inputs", f"{len(i.news)} news item(s) dated {start} .. {i.as_of}"
                               f" (newest {i.news_through or '—'}), prices through {i.prices_through}; "
                               "nothing dated after the as-of date"))
    if o.tilt is not None:
        rows.append(("Change", f"{o.tilt.distance:.2%} of value moved from the base target (one way; cap "
                               f"{o.inputs.spec.caps.max_distance:.0%})"))
    rows.append(("Track record", html.escape(f"{track.text()} over {track.horizon} sessions after each call; "
                                             f"{track.pending} view(s) of recent calls still pending")))
    return card(rows)


def model_text(o: Any) -> Any:
    """Show the risk assessment and the explanation, labelled with who wrote them (escaped: they are data)."""
    if not o.risk_assessment and not o.explanation:
        return note("No risk assessment or explanation: " + html.escape(o.label), "warning")
    who = (f"Model-generated text ({html.escape(o.answered_by)}): not the package's own analysis; read it as the "
           "model's opinion" if o.model_generated else
           "Text written by the offline rule from the numbers above (no language model)")
    body = "".join(f"<p style='margin:4px 0'><b>{k}.</b> {html.escape(v)}</p>"
                   for k, v in (("Risk assessment", o.risk_assessment), ("Explanation", o.explanation)) if v)
    return html_block(f'<div class="rebal-note" style="background:#f3e5f5;border-left:4px solid #6a1b9a;'
                      f'padding:6px 12px;margin:6px 0"><p style="margin:2px 0"><i>{who}</i></p>{body}</div>')


def news_note(o: Any) -> Any:
    """Say what the news are: untrusted text, and in the sample synthetic and illustrative."""
    src = set() if o.inputs is None else {str(s) for s in o.inputs.news["source"].dropna()}
    synthetic = any("synthetic" in s or "illustrative" in s for s in src)
    text = ("Headlines are untrusted data: they reach the model as quoted strings and are shown here escaped; an "
            "instruction inside one cannot move weights beyond the caps.")
    if synthetic:
        text = ("<b>Illustrative sample news:</b> synthetic headlines written for this sample (see their source), not "
                "real news and not forecasts. " + text)
    return note(text, "synthetic" if synthetic else "info")


def llm_parameters(profile: Profile) -> pd.DataFrame:
    """Tabulate the profile's ``llm`` parameters next to their defaults (``changed`` marks the difference).

    The endpoint's settings are shown for ``openai``, the local model's for ``llama_cpp``, neither for ``offline``.
    """
    from dataclasses import asdict

    from rebal.llm.spec import LLMSpec

    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            out |= flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v}
        return out

    skip = {"openai": "local.", "llama_cpp": "endpoint.", "offline": ("endpoint.", "local.")}[profile.llm.provider]
    mine = {k: v for k, v in flat(asdict(profile.llm)).items() if not k.startswith(skip)}
    dflt = flat(asdict(LLMSpec()))
    t = pd.DataFrame({"this profile": {k: str(v) for k, v in mine.items()},
                      "default": {k: str(dflt[k]) for k in mine}}).rename_axis("llm.")
    return t.assign(changed=t["this profile"] != t["default"])


# -- figures ----------------------------------------------------------------------------------------


def targets_plot(o: Any) -> Figure:
    """Plot base vs LLM-assisted weight per asset (largest change first), the view assets marked."""
    plt = pyplot()
    b = o.base.drop("CASH", errors="ignore")
    w = o.weights.reindex(b.index).fillna(0.0)
    order = (w - b).abs().sort_values().index
    y = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(10, max(3.2, 0.3 * len(order) + 1.4)), layout="constrained")
    ax.barh(y - 0.19, b[order] * 100, height=0.38, color="#90a4ae", label="base target")
    ax.barh(y + 0.19, w[order] * 100, height=0.38, color="#6a1b9a", label="LLM-assisted target")
    viewed = {a for g in o.views for a in g.stated.picks}
    ax.set_yticks(y, [f"{t} ◆" if t in viewed else t for t in order])
    percent_axis(ax.xaxis)
    ax.set_xlabel("weight (% of portfolio value)")
    ax.set_title(f"Base vs LLM-assisted target (◆: named in a view; {o.tilt.distance:.1%} of value moved)"
                 if o.tilt is not None else "Base target (no views applied)", loc="left")
    ax.grid(axis="x", alpha=0.3)
    legend_below(fig)
    return fig


def sentiment_plot(o: Any) -> Figure:
    """Decayed news sentiment against the price trend, per asset with news (size: base weight)."""
    plt = pyplot()
    inp = o.inputs
    s = inp.sentiment[inp.sentiment["n_items"] > 0]
    x, yv = s["sentiment"].to_numpy(), inp.trend.reindex(s.index).to_numpy() * 100
    viewed = {a for g in o.views for a in g.stated.picks}
    colors = [OVER if t in viewed and v > 0 else UNDER if t in viewed else "#b0bec5" for t, v in zip(s.index, x,
                                                                                                      strict=True)]
    size = 30 + 1500 * inp.base.reindex(s.index).to_numpy()
    fig, ax = plt.subplots(figsize=(10, 4.6), layout="constrained")
    ax.scatter(x, yv, s=size, c=colors, alpha=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.axhline(0, color="black", lw=0.8)
    for thr in (inp.spec.offline.min_sentiment, -inp.spec.offline.min_sentiment):
        ax.axvline(thr, color="#90a4ae", ls=":", lw=1)
    ax.scatter([], [], c=OVER, label="positive view")
    ax.scatter([], [], c=UNDER, label="negative view")
    ax.scatter([], [], c="#b0bec5", label="no view")
    percent_axis(ax.yaxis, signed=True)
    ax.set_xlabel("decayed news sentiment (VADER compound, -1 .. +1)")
    ax.set_ylabel(f"price trend, {inp.spec.trend_days} sessions (%)")
    ax.set_title("Sentiment vs trend (size: base weight; dotted: the offline rule's threshold)", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=3)
    place_labels(ax, list(x), list(yv), list(s.index), radii=[float(np.sqrt(a / np.pi)) for a in size])
    return fig


def track_plot(track: Any) -> Figure | None:
    """Predicted tilt vs realised active return of each scored past view (annualised), hits in green."""
    t = track.views
    if t.empty:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.2), layout="constrained")
    hit = t["hit"].to_numpy(bool)
    ax.scatter(t["tilt"][hit] * 100, t["active"][hit] * 100, color="#2e7d32", s=28, label="hit")
    ax.scatter(t["tilt"][~hit] * 100, t["active"][~hit] * 100, color="#c62828", s=28, marker="x", label="miss")
    ax.axvline(0, color="black", lw=0.8)
    ax.axhline(0, color="black", lw=0.8)
    percent_axis(ax.xaxis, signed=True)
    percent_axis(ax.yaxis, signed=True)
    ax.set_xlabel("tilt: view return minus equilibrium return (% a year)")
    ax.set_ylabel(f"active return vs the base target,\nnext {track.horizon} sessions (%)")
    ax.set_title(f"Track record: {track.text()}", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=2)
    return fig


def _summary(s: Any) -> str:
    return f"{s['status']}: {s['n_views']} view(s), {s['distance']:.1%} moved ({s['answered_by']})"


def _cell(s: Any) -> str:
    return html.escape(s["label"] if s["status"] == "UNAVAILABLE" else _summary(s))


def _applies(profile: Profile, has_holdings: bool) -> str | None:
    return None if profile.llm is not None else "no `llm` section"


REPORT = ReportSpec(
    name="llm_views", title="LLM-assisted views", order=55, default=False,
    scraps={"profile": str, "as_of": str, "status": str, "label": str, "reason": str, "answered_by": str,
            "model_generated": bool, "n_views": int, "distance": float, "call_id": str, "prompt_hash": str,
            "views": DATAFRAME, "track_n": int, "track_hits": int, "track_hit_rate": float},
    summary=_summary, applies=_applies,
    cover=(Cover("LLM views", _cell),),
    legend="LLM views: the views a language model (or the offline rule) gave on the base target, after the "
           "guardrails; the target the proposal trades to is the LLM-assisted one.",
)
