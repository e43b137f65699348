"""The LLM-assisted views as tables: targets side by side, views, sentiment, headlines, guardrails, track record.

Plain DataFrames (fractions, not formatted): the ``llm_views`` report shows them, the CLI prints from the
same outcome. Text from the news and from the model stays text here; the report escapes it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH
from rebal.llm.assist import UNAVAILABLE, ViewsOutcome

if TYPE_CHECKING:
    from rebal.llm.track import TrackRecord

__all__ = ["targets_table", "views_table", "views_notes", "sentiment_table", "headlines_table", "guardrails_table",
           "track_table", "scraps"]


def targets_table(o: ViewsOutcome) -> pd.DataFrame:
    """Per ticker: sector, held weight, base target, LLM-assisted target and the change (fractions of value)."""
    idx = [t for t in o.base.index if t != CASH] + ([CASH] if CASH in o.base.index else [])
    inp = o.inputs
    held = inp.held if inp is not None and len(inp.held) else pd.Series(dtype=float)
    t = pd.DataFrame({"sector": [inp.sectors.get(k, "") if inp is not None else "" for k in idx],
                      "held": held.reindex(idx).to_numpy() if len(held) else np.nan,
                      "base target": o.base.reindex(idx).to_numpy(),
                      "LLM-assisted": o.weights.reindex(idx).fillna(0.0).to_numpy()},
                     index=pd.Index(idx, name="ticker"))
    t["change"] = t["LLM-assisted"] - t["base target"]
    return t


def _hits(track: TrackRecord | None, label: str) -> str:
    if track is None:
        return ""
    s = track.summary(label)
    return f"{s['hits']} of {s['n']} ({s['hit_rate']:.0%})" if s["n"] else "none scored"


def views_table(o: ViewsOutcome, track: TrackRecord | None = None) -> pd.DataFrame:
    """One row per view: what was stated, what was used after the caps, and how past views of its assets did."""
    rows = {}
    for g in o.views:
        v = g.stated
        rows[v.label] = {"kind": v.kind, "stated return": v.value, "used return": g.value,
                         "equilibrium": g.equilibrium, "tilt": g.excess, "stated confidence": v.confidence,
                         "used confidence": g.confidence, "past views hit": _hits(track, v.label)}
    cols = ["kind", "stated return", "used return", "equilibrium", "tilt", "stated confidence", "used confidence",
            "past views hit"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=cols).rename_axis("view")


def views_notes(o: ViewsOutcome) -> pd.DataFrame:
    """One row per view: the reason given for it and what the caps did (text from the answer, unescaped)."""
    rows = {g.stated.label: {"rationale (as answered)": g.stated.rationale,
                             "guardrails": "; ".join(g.outcomes) or "within the caps"} for g in o.views}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["rationale (as answered)", "guardrails"]
                                  ).rename_axis("view")


def sentiment_table(o: ViewsOutcome) -> pd.DataFrame:
    """Per ticker with news: decayed sentiment, headlines, decay weight, newest date, trend and whether they agree."""
    inp = o.inputs
    if inp is None:
        return pd.DataFrame()
    s = inp.sentiment[inp.sentiment["n_items"] > 0]
    t = pd.DataFrame({"sentiment": s["sentiment"], "headlines": s["n_items"], "decay weight": s["weight"],
                      "newest": [str(d) for d in s["latest"]], "trend": inp.trend.reindex(s.index),
                      "base weight": inp.base.reindex(s.index)})
    agrees = np.sign(t["sentiment"]) == np.sign(t["trend"])
    t["trend agrees"] = np.where(agrees, "yes", "no")
    return t.sort_values("sentiment", key=np.abs, ascending=False)


def headlines_table(o: ViewsOutcome) -> pd.DataFrame:
    """List the news items in the window, newest first, with each headline's lexicon score (text unescaped)."""
    inp = o.inputs
    if inp is None or inp.news.empty:
        return pd.DataFrame(columns=["date", "ticker", "headline", "score", "source"])
    n = inp.news
    return pd.DataFrame({"date": [str(d) for d in n["date"]], "ticker": n["ticker"].to_numpy(),
                         "headline": n["headline"].to_numpy(), "score": n["score"].to_numpy(),
                         "source": n["source"].fillna("").to_numpy()})


def guardrails_table(o: ViewsOutcome) -> pd.DataFrame:
    """Say what each guardrail did, in order: the schema, each view's caps, the constraints, the distance cap."""
    caps = o.inputs.spec.caps if o.inputs is not None else None
    rows = []
    if o.status == UNAVAILABLE:
        rows.append(("answer", "REFUSED" if "refused" in o.reason else "NO ANSWER", o.reason))
    else:
        rows.append(("schema", "passed", f"{len(o.views)} view(s), at most {caps.max_views}; known tickers; "
                     f"|return| at most {caps.max_abs_return:.0%}; confidence in (0, 1]"))
        if o.status == "FALLBACK":
            rows.append(("fallback", "offline rule", o.reason))
        for g in o.views:
            rows.append((f"caps: {g.stated.label}", "capped" if g.outcomes else "within",
                         "; ".join(g.outcomes) or f"|return - equilibrium| <= {caps.max_view_excess:.1%}, "
                         f"confidence <= {caps.max_confidence:.2f}"))
        for n in (o.tilt.outcomes if o.tilt is not None else ()):
            rows.append(("constraints" if n.startswith("brought") else "distance", "applied", n))
        if o.tilt is not None and not any(n.startswith("distance") for n in o.tilt.outcomes):
            rows.append(("distance", "within", f"{o.tilt.distance:.2%} of value <= {caps.max_distance:.0%}"))
    rows.append(("circuit breakers", "next", "the hard limits of `proposal.limits` apply to this target as to any "
                 "(see the rebalance proposal report)"))
    return pd.DataFrame(rows, columns=["guardrail", "outcome", "detail"]).set_index("guardrail")


def track_table(track: TrackRecord) -> pd.DataFrame:
    """List the scored past views, newest first (value, equilibrium, tilt a year; the rest over the horizon)."""
    t = track.views.copy()
    if t.empty:
        return t
    t["as_of"] = t["as_of"].astype(str)
    t["hit"] = t["hit"].map({True: "yes", False: "no"})
    t = t.drop(columns=["kind", "provider"]).rename(columns={"as_of": "call of"})
    return t.sort_values(["call of", "view"], ascending=[False, True]).set_index(["call of", "view"])


def scraps(o: ViewsOutcome, track: TrackRecord) -> dict:
    """Key results as plain types for the packet and the run log."""
    c = o.call
    s = track.summary()
    return {"profile": o.profile, "as_of": str(o.as_of), "status": o.status, "label": o.label, "reason": o.reason,
            "answered_by": o.answered_by, "model_generated": bool(o.model_generated), "n_views": len(o.views),
            "distance": float(o.tilt.distance) if o.tilt is not None else 0.0,
            "call_id": (c.call_id or "") if c else "", "prompt_hash": o.prompt_hash,
            "views": views_table(o, track).reset_index().astype({"view": str}),
            "track_n": int(s["n"]), "track_hits": int(s["hits"]),
            "track_hit_rate": float(s["hit_rate"]) if s["hit_rate"] is not None else float("nan")}
