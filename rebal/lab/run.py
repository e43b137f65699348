"""One rule-lab run for a profile: inputs, sweep, metrics, verdicts, and its files.

Files (``reports/backtests/<profile>/``, replaced as a whole directory, never half-written):
``summary.csv`` / ``summary.parquet`` (one row per configuration), ``by_regime.csv`` (the
regime breakdown), ``values.parquet`` (daily value paths and the target), ``drift.parquet``
(daily portfolio drift), ``taxes.csv`` (taxes by year and configuration), ``study.json``
(window, inputs' provenance, hypotheses and literature verdicts).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from rebal.config import Profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import ConfigError
from rebal.fileio import staged_directory, write_csv
from rebal.lab.data import LabInputs, load_inputs
from rebal.lab.metrics import by_regime, summarize
from rebal.lab.rules import parse_rule
from rebal.lab.study import Verdict, configs, hypotheses, literature
from rebal.lab.sweep import Sweep, run_sweep

__all__ = ["LabRun", "run_lab", "write_lab", "lab_json"]


@dataclass
class LabRun:
    """A rule-lab run of one profile: inputs, engine results, metric tables and verdicts."""

    profile: Profile
    inputs: LabInputs
    sweep: Sweep
    summary: pd.DataFrame
    regimes: pd.DataFrame
    verdicts: list[Verdict]
    literature: list[Verdict]
    which: str

    @property
    def taxes_by_year(self) -> pd.DataFrame:
        """Realised results and taxes by configuration and year (fractions of the initial value)."""
        frames = []
        for k, rep in sorted(self.sweep.taxes.items()):
            if len(rep.by_year):
                frames.append(rep.by_year.assign(config=self.summary.index[k]).reset_index())
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_lab(profile: Profile, lh: Lakehouse, *, rules: list[str] | None = None, which: str = "fast",
            start: date | None = None, end: date | None = None, refit: str | None = None, workers: int | None = 1,
            scheduler=None, progress: bool = False, taxes: bool = True) -> LabRun:
    """Run the lab for ``profile``.

    ``rules`` alone (at ``lab.cost_bps``) when given, else the configuration set ``which`` (grid /
    fast / full, :func:`rebal.lab.study.configs`).
    """
    if rules:
        parsed = []
        for r in rules:
            try:
                parsed.append(parse_rule(r))
            except ConfigError as e:
                raise ConfigError(f"--rule: {e}") from None
        cfgs = [(r.config(), profile.lab.cost_bps) for r in parsed]
    else:
        cfgs = [(parse_rule(s).config(), c) for s, c in configs(profile.lab, which)]
    inputs = load_inputs(profile, lh, start=start, end=end, refit=refit)
    sw = run_sweep(inputs.market, cfgs, workers=workers, scheduler=scheduler, progress=progress, taxes=taxes)
    summary = summarize(sw.result, {k: r.total for k, r in sw.taxes.items()})
    reg = by_regime(sw.result)
    static = len(inputs.target) == 1
    verdicts = hypotheses(inputs.market, sw.result, summary, profile.lab) if static else []
    lit = literature(summary, profile.lab)
    return LabRun(profile, inputs, sw, summary, reg, verdicts, lit, "rules" if rules else which)


def _verdict_json(v: Verdict) -> dict:
    return {"number": v.number, "statement": v.statement,
            "verdict": {True: "supported", False: "not supported", None: "not tested"}[v.supported],
            "evidence": v.evidence, "events": int(len(v.table))}


def lab_json(run: LabRun) -> dict:
    """Return the run as plain types: window, regime sources, the summary table and the verdicts."""
    inp = run.inputs
    return {
        "profile": run.profile.name, "configurations": run.which, "start": str(inp.start), "end": str(inp.end),
        "sessions": int(len(inp.vix_source)), "refits": int(len(inp.target)),
        "regime_source": {k: int(v) for k, v in inp.vix_source.value_counts().items()},
        "synthetic_volume": bool(inp.synthetic_volume), "notes": inp.notes,
        "summary": json.loads(run.summary.reset_index().to_json(orient="records", double_precision=15)),
        "hypotheses": [_verdict_json(v) for v in run.verdicts],
        "literature": [_verdict_json(v) for v in run.literature],
    }


def write_lab(run: LabRun, out_dir: Path) -> Path:
    """Write the run's files into ``out_dir`` (replaced whole: built in a sibling temp dir first)."""
    with staged_directory(out_dir) as tmp:
        write_csv(tmp / "summary.csv", run.summary)
        run.summary.to_parquet(tmp / "summary.parquet")
        write_csv(tmp / "by_regime.csv", run.regimes, index=False)
        run.sweep.result.frame().to_parquet(tmp / "values.parquet")
        pd.DataFrame(run.sweep.result.drift, index=run.sweep.result.index,
                     columns=run.sweep.result.labels).to_parquet(tmp / "drift.parquet")
        write_csv(tmp / "taxes.csv", run.taxes_by_year, index=False)
        (tmp / "study.json").write_text(json.dumps(lab_json(run), indent=2, default=str))
    return Path(out_dir)
