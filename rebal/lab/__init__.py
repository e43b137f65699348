"""The rebalancing-rule lab: rules, a vectorised backtest engine and its metrics."""
from __future__ import annotations

from rebal.lab.engine import BacktestResult, backtest, review_days
from rebal.lab.rules import RULE_KINDS, Calendar, Hybrid, Rule, Threshold, parse_rule

__all__ = ["backtest", "BacktestResult", "review_days", "Rule", "Calendar", "Threshold", "Hybrid", "parse_rule",
           "RULE_KINDS"]
