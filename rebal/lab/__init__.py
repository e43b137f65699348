"""The rebalancing-rule lab: rules, a vectorised backtest engine, tax lots, metrics and the study.

Names are imported lazily so that ``rebal --help`` can read the rule specs without loading numpy.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "backtest": "engine", "BacktestResult": "engine", "LabSettings": "engine", "review_days": "engine",
    "Rule": "rules", "Config": "rules", "Calendar": "rules", "Threshold": "rules",
    "Hybrid": "rules", "Bands": "rules", "HighVol": "rules", "CostBenefit": "rules", "Dynamic": "rules",
    "Delay": "rules", "Partial": "rules", "TaxAware": "rules", "parse_rule": "rules", "RULE_KINDS": "rules",
    "run_sweep": "sweep", "Market": "sweep", "summarize": "metrics", "run_lab": "run",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"rebal.lab.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'rebal.lab' has no attribute {name!r}")
