"""Persisting a Risk4 run: its record in the lakehouse and its files (picks, trades, checks, alerts).

:func:`record_run` writes ``risk4_runs`` / ``risk4_picks`` (:mod:`rebal.data.selection_runs`);
:func:`write_artifacts` writes the run's directory whole (:func:`rebal.fileio.staged_directory`).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from rebal.calendar import schedule_document
from rebal.data.lakehouse import Lakehouse
from rebal.data.selection_runs import save_run
from rebal.fileio import staged_directory, write_csv
from rebal.selection.result import Risk4Result, round_or_none

__all__ = ["PICKS_COLUMNS", "record_run", "write_artifacts"]

#: Columns of ``picks.csv``.
PICKS_COLUMNS = ["ticker", "weight", "target_shares", "sector", "alpha_z", "vol_blend", "adv_20", "rank"]


def record_run(lh: Lakehouse, res: Risk4Result) -> None:
    """Record a run in ``risk4_runs``/``risk4_picks`` (replacing the same profile and date), one transaction."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    alerts = json.dumps([a.__dict__ for a in res.alerts])
    name = res.profile.name
    picks = []
    if not res.blocked and len(res.picks):
        picks = [(r.ticker, None if pd.isna(r.rank) else int(r.rank), float(r.weight), float(r.target_shares),
                  float(r.price), r.sector, round_or_none(r.alpha_z), round_or_none(r.vol_blend),
                  round_or_none(r.adv_20, 2))
                 for r in res.picks.itertuples()]
    save_run(lh, name, res.date, status=res.status, generated_at=now,
             prior_source=res.prior.source if res.prior else None, value=round_or_none(res.value, 2),
             cash=round_or_none(res.cash_after, 2), exposure=round_or_none(res.exposure),
             turnover=round_or_none(res.turnover), estimated_vol=round_or_none(res.estimated_vol),
             estimated_beta=round_or_none(res.estimated_beta), alerts_json=alerts, picks=picks)


def write_artifacts(res: Risk4Result, out_dir: Path) -> list[Path]:
    """Write the run's files to ``out_dir`` atomically (staged, then swapped in whole).

    Always: ``alerts.json``, ``checks.csv``, ``schedule.json``. Unless blocked: ``picks.csv``,
    ``trades.csv``, ``portfolio_summary.json``. A blocked run replaces an earlier run's files for
    the same directory, so no stale trades remain beside its alerts.
    """
    out_dir = Path(out_dir)
    spec = res.profile.risk4
    with staged_directory(out_dir) as stage:
        def dump(name: str, obj) -> None:
            (stage / name).write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")

        dump("alerts.json", {"profile": res.profile.name, "date": str(res.date), "status": res.status,
                             "alerts": [a.__dict__ for a in res.alerts]})
        write_csv(stage / "checks.csv", res.checks, index=False)
        dump("schedule.json", schedule_document(res.date, n=10, anchor=spec.anchor, every=spec.every))
        if not res.blocked:
            picks = res.picks[PICKS_COLUMNS].copy()
            picks["rank"] = picks["rank"].astype("Int64")
            picks["target_shares"] = picks["target_shares"].astype(int)
            picks = picks.round({"weight": 6, "alpha_z": 4, "vol_blend": 4, "adv_20": 0})
            write_csv(stage / "picks.csv", picks, index=False)
            tr = res.trades.copy()
            tr["shares"] = tr["shares"].astype(int)
            write_csv(stage / "trades.csv", tr, index=False)
            dump("portfolio_summary.json", res.summary())
    return sorted(out_dir.iterdir())
