"""The track record of a profile's past views, from its recorded calls, scored point in time.

A recorded call of date c (:func:`rebal.data.llm_calls.calls_before`, the latest record per date, dated
before the as-of date T) is scored over the ``llm.track_horizon_days`` = h sessions after c, when
they have all passed by T (otherwise it is *pending*: nothing after T is read). For each of its views,
with pick vector p (+1/n long, -1/m short, or 1 on one asset), asset returns r_k = P_k(c + h) / P_k(c) - 1
and the base target's invested weights w at c (normalised to sum to 1):

- **value**: the view's return Q (annual excess return, after the caps); its **tilt** is Q - pᵀπ (annual),
  the departure from the base target's equilibrium return that moved the weights; **expected**: Q h / 252,
  the view's return over the h sessions;
- **realised**: the view portfolio's return pᵀr over the h sessions (not annualised: a month's return
  scaled to a year says more about the noise than about the view);
- **active**: pᵀr - (Σp)(wᵀr) over the h sessions: the view portfolio against the base target (for a
  relative view Σp = 0, so it is pᵀr itself);
- **hit**: the active return has the sign of the tilt (the view moved weight the right way). Views with no
  tilt are not scored.

The hit rate is the share of scored views that hit. Over few views it says little: the report gives the
count beside it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.data.lakehouse import CASH, Lakehouse
from rebal.data.llm_calls import calls_before
from rebal.llm.assist import APPLIED, FALLBACK

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["TrackRecord", "track_record", "COLUMNS"]

#: the columns of :attr:`TrackRecord.views`
COLUMNS = ["as_of", "view", "kind", "value", "equilibrium", "tilt", "expected", "realised", "active", "hit", "provider"]


@dataclass(frozen=True)
class TrackRecord:
    """Scored past views (see the module docstring).

    Attributes
    ----------
    horizon
        Sessions each view is scored over.
    views
        One row per scored view (:data:`COLUMNS`; ``value``, ``equilibrium``, ``tilt`` annual, ``expected``,
        ``realised``, ``active`` over the horizon, fractions; ``hit`` bool).
    pending
        Views of calls whose horizon has not passed by the as-of date.
    calls
        Past calls read (scored or pending).
    """

    horizon: int
    views: pd.DataFrame
    pending: int
    calls: int

    def summary(self, view: str | None = None) -> dict[str, Any]:
        """Summarise the scored views (all, or those labelled ``view``).

        ``n``, ``hits``, ``hit_rate`` (None when n = 0), mean ``tilt`` (a year) and mean ``active`` (over the horizon).
        """
        v = self.views if view is None else self.views[self.views["view"] == view]
        n = len(v)
        return {"n": n, "hits": int(v["hit"].sum()) if n else 0,
                "hit_rate": float(v["hit"].mean()) if n else None,
                "tilt": float(v["tilt"].mean()) if n else None, "active": float(v["active"].mean()) if n else None}

    def text(self, view: str | None = None) -> str:
        """Say ``3 of 5 past views hit (60 %)`` or ``no past view scored``."""
        s = self.summary(view)
        if not s["n"]:
            return "no past view scored"
        return f"{s['hits']} of {s['n']} past view{'s' if s['n'] != 1 else ''} hit ({s['hit_rate']:.0%})"


def _score(doc: dict, px: pd.DataFrame, c: date, horizon: int, provider: str) -> tuple[list[dict], int]:
    """Scored rows of one call's views, or ([], number of views) when its horizon has not passed."""
    views = doc.get("views") or []
    pos = int(px.index.searchsorted(pd.Timestamp(c), side="right")) - 1
    if pos < 0 or pos + horizon >= len(px):
        return [], len(views)
    r = px.iloc[pos + horizon] / px.iloc[pos] - 1.0
    base = pd.Series({k: v for k, v in (doc.get("base") or {}).items() if k != CASH}, dtype=float)
    base = base / base.sum() if base.sum() > 0 else base
    r_base = float((base * r.reindex(base.index)).sum())
    rows = []
    for v in views:
        picks = v["picks"]
        r_view = float(sum(w * r[a] for a, w in picks.items()))
        active = r_view - sum(picks.values()) * r_base
        tilt = float(v["value"] - v["equilibrium"])
        if tilt == 0 or not np.isfinite(active):
            continue
        rows.append({"as_of": c, "view": v["label"], "kind": v["kind"], "value": float(v["value"]),
                     "equilibrium": float(v["equilibrium"]), "tilt": tilt,
                     "expected": float(v["value"]) * horizon / 252,
                     "realised": r_view, "active": active, "hit": bool(np.sign(active) == np.sign(tilt)),
                     "provider": provider})
    return rows, 0


def track_record(profile: Profile, lh: Lakehouse, as_of: date) -> TrackRecord:
    """Score the recorded calls of ``profile`` dated before ``as_of`` (see the module docstring)."""
    h = profile.llm.track_horizon_days
    calls = calls_before(lh, profile.name, as_of)
    docs = []
    tickers: set[str] = set()
    for row in calls.itertuples():
        if row.status not in (APPLIED, FALLBACK) or not row.parsed:
            continue
        doc = json.loads(row.parsed)
        docs.append((row.as_of, doc, row.provider))
        for v in doc.get("views") or []:
            tickers |= set(v["picks"])
        tickers |= {k for k in (doc.get("base") or {}) if k != CASH}
    rows: list[dict] = []
    pending = 0
    if docs:
        view = lh.at(as_of)
        px = view.prices(sorted(tickers), start=min(d for d, _, _ in docs)).ffill()
        for c, doc, provider in docs:
            scored, waiting = _score(doc, px, c, h, provider)
            rows += scored
            pending += waiting
    return TrackRecord(h, pd.DataFrame(rows, columns=COLUMNS), pending, len(calls))
