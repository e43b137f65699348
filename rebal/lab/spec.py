"""The ``lab`` section of a profile: the rule lab's window, rules, costs and tax rates, and checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from rebal.config.loader import check_ranges
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["DEFAULT_LAB_RULES", "TaxSpec", "LabSpec", "check_lab"]


#: Rules of a profile's rule-lab run when it names none (the study's fast set besides the grid).
DEFAULT_LAB_RULES: tuple[str, ...] = (
    "calendar:monthly", "calendar:quarterly", "calendar:annual", "threshold:0.03", "threshold:0.05",
    "threshold:0.10", "hybrid:monthly,0.10", "bands:5/25", "highvol:0.05,0.03", "costbenefit", "dynamic:0.05",
    "dynamic:0.05,pause", "delay:0.05,15", "partial:half,0.05", "partial:edge,0.05", "partial:cost,0.05",
    "tax:fifo,0.05", "tax:hifo,0.05")


@dataclass(frozen=True)
class TaxSpec:
    """Tax rates of the rule lab (parameters, not advice) and the loss that triggers harvesting."""

    short_term: float = 0.37
    long_term: float = 0.20
    loss_trigger: float = 0.10


@dataclass(frozen=True)
class LabSpec:
    """Rule lab (``rebal backtest``, the ``rule_backtest`` report).

    The window is the last ``years`` of data (or ``start``..``end``); the target is fitted once at
    the start (``refit: none``) or refitted on a calendar. ``rules`` run at ``cost_bps`` (flat
    spread + commission, plus square-root impact on dollar ADV); the grid crosses ``thresholds``
    and the calendar and hybrid rules with ``cost_levels``. Costs are multiplied by
    ``cost_multipliers`` in the normal / elevated / stress regimes.
    """

    years: int = 10
    start: date | None = None
    end: date | None = None
    refit: Literal["none", "monthly", "quarterly", "annual"] = "none"
    rules: tuple[str, ...] = DEFAULT_LAB_RULES
    cost_bps: float = 20.0
    thresholds: tuple[float, ...] = (0.03, 0.05, 0.07, 0.10)
    cost_levels: tuple[float, ...] = (10.0, 20.0, 50.0)
    cost_multipliers: tuple[float, ...] = (1.0, 1.5, 2.5)
    delays: tuple[int, ...] = (10, 15, 20)
    acceptable_te_increase: float = 0.005
    tax: TaxSpec = field(default_factory=TaxSpec)


def check_lab(profile: Profile, src: str) -> None:
    """Check the ``lab`` section of ``profile`` (read from ``src``); raise :class:`ConfigError` naming the field."""
    from rebal.lab.rules import parse_rule

    lab = profile.lab
    for i, spec in enumerate(lab.rules):
        try:
            parse_rule(spec)
        except ConfigError as e:
            raise ConfigError(f"{src}: `lab.rules[{i}]`: {e}") from None
    rules = [
        ("years", lab.years >= 1, ">= 1"),
        ("cost_bps", lab.cost_bps >= 0, ">= 0"),
        ("thresholds", bool(lab.thresholds) and all(0 < x < 1 for x in lab.thresholds), "fractions in (0, 1)"),
        ("cost_levels", bool(lab.cost_levels) and all(x >= 0 for x in lab.cost_levels), "bps >= 0"),
        ("cost_multipliers", len(lab.cost_multipliers) == 3 and all(x > 0 for x in lab.cost_multipliers),
         "three positive numbers (normal, elevated, stress)"),
        ("delays", bool(lab.delays) and all(1 <= x <= 63 for x in lab.delays), "sessions in [1, 63]"),
        ("acceptable_te_increase", lab.acceptable_te_increase >= 0, ">= 0"),
        ("tax.short_term", 0 <= lab.tax.short_term < 1, "in [0, 1)"),
        ("tax.long_term", 0 <= lab.tax.long_term < 1, "in [0, 1)"),
        ("tax.loss_trigger", 0 < lab.tax.loss_trigger < 1, "in (0, 1)"),
    ]
    check_ranges(src, "lab", lab, rules)
    if lab.start and lab.end and lab.start >= lab.end:
        raise ConfigError(f"{src}: `lab.start`: must be before `lab.end` ({lab.start} >= {lab.end})")
