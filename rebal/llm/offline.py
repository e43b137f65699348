r"""The offline provider: views from sentiment and trend by a stated rule, no language model.

The rule (``offline-rule-1``), for the inputs of :mod:`rebal.llm.inputs` as of T:

1. A candidate is an asset with news in the window whose decayed sentiment s (:mod:`rebal.llm.sentiment`)
   has |s| >= ``llm.offline.min_sentiment``. Candidates are ranked by |s| (largest first, ties by
   ticker) and the first ``llm.caps.max_views`` kept.
2. Each gives an absolute view: the asset returns its equilibrium return under the base target plus
   ``llm.offline.view_scale`` times its sentiment,

   .. math:: Q = \pi + \text{view\_scale} \cdot s

   (rounded to 6 decimals; held within ±``llm.caps.max_abs_return``).
3. Its confidence is c = 0.2 + 0.5 |s| when the trend (total return over ``llm.trend_days`` sessions)
   has the sign of s, and half that when it has not (or is zero): c is in [0.1, 0.7], rounded to 4
   decimals.

The risk assessment and the explanation are sentences filled from the same numbers. The answer is
the JSON text a model would return, so it passes the same parsing, caps and tilt as any answer, and
it is deterministic: the same inputs give the same bytes. It is what the sample week uses (so the
weekly job stays offline) and the fallback a profile names (``llm.fallback: offline``) when a remote
call fails.
"""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rebal.llm.inputs import ViewInputs

__all__ = ["RULE_VERSION", "offline_views", "offline_answer"]

#: the rule's name: part of every offline request hash
RULE_VERSION = "offline-rule-1"


def offline_views(inp: ViewInputs) -> list[dict]:
    """Return the rule's views (module docstring) as answer items: long, short, value, confidence, rationale."""
    spec = inp.spec
    s = inp.sentiment
    cands = [t for t in inp.assets
             if s.loc[t, "n_items"] > 0 and abs(s.loc[t, "sentiment"]) >= spec.offline.min_sentiment]
    cands.sort(key=lambda t: (-abs(float(s.loc[t, "sentiment"])), t))
    out = []
    for t in cands[:spec.caps.max_views]:
        sent, trend = float(s.loc[t, "sentiment"]), float(inp.trend[t])
        agree = trend != 0 and math.copysign(1.0, trend) == math.copysign(1.0, sent)
        lim = spec.caps.max_abs_return
        value = round(min(max(float(inp.pi[t]) + spec.offline.view_scale * sent, -lim), lim), 6)
        conf = round((0.2 + 0.5 * abs(sent)) * (1.0 if agree else 0.5), 4)
        n = int(s.loc[t, "n_items"])
        why = (f"decayed sentiment {sent:+.2f} from {n} headline{'s' if n != 1 else ''}; "
               f"{spec.trend_days}-session trend {trend:+.1%} {'agrees' if agree else 'disagrees'}")
        out.append({"long": [t], "short": [], "value": value, "confidence": conf, "rationale": why})
    return out


def _risk_text(inp: ViewInputs) -> str:
    s = inp.sentiment.dropna(subset=["sentiment"])
    corr = inp.corr.to_numpy()
    parts = []
    if len(s):
        lo, hi = s["sentiment"].idxmin(), s["sentiment"].idxmax()
        parts.append(f"News sentiment is lowest for {lo} ({s.loc[lo, 'sentiment']:+.2f}) and highest for {hi} "
                     f"({s.loc[hi, 'sentiment']:+.2f}) over the last {inp.spec.news.window_days} days.")
    else:
        parts.append(f"No news in the last {inp.spec.news.window_days} days.")
    if len(corr) > 1:
        off = corr[~np.eye(len(corr), dtype=bool)]
        parts.append(f"The average pairwise correlation of daily returns is {off.mean():.2f}, the highest "
                     f"{off.max():.2f}.")
    weak = [t for t in inp.assets if inp.trend[t] < -0.10]
    if weak:
        parts.append(f"{len(weak)} asset(s) fell more than 10 % over {inp.spec.trend_days} sessions: "
                     f"{', '.join(weak[:6])}.")
    return " ".join(parts)


def _explanation(inp: ViewInputs, views: list[dict]) -> str:
    o = inp.spec.offline
    head = (f"The offline rule (no language model) states an absolute view for each asset whose decayed news sentiment "
            f"is at least {o.min_sentiment:g} in size: its equilibrium return under the base target plus "
            f"{o.view_scale:.1%} times the sentiment, with confidence 0.2 + 0.5 x |sentiment|, halved where the "
            f"{inp.spec.trend_days}-session trend disagrees.")
    if not views:
        return head + " No asset qualifies this week, so the base target stands."
    up = [v["long"][0] for v in views if v["value"] > inp.pi[v["long"][0]]]
    down = [v["long"][0] for v in views if v["value"] < inp.pi[v["long"][0]]]
    tail = []
    if up:
        tail.append(f"Positive sentiment raises the weight of {', '.join(up)}.")
    if down:
        tail.append(f"Negative sentiment lowers the weight of {', '.join(down)}.")
    return " ".join([head, *tail])


def offline_answer(inp: ViewInputs) -> str:
    """Return the rule's answer as JSON text (what a model would return): views, risk assessment, explanation."""
    views = offline_views(inp)
    doc = {"views": views, "risk_assessment": _risk_text(inp), "explanation": _explanation(inp, views)}
    return json.dumps(doc, ensure_ascii=False, indent=1)
