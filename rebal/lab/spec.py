"""The ``lab`` section of a profile: the rule lab's window, rules, costs and tax rates, and checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from rebal.config.loader import BPS, FRACTION, MULTIPLIER, SESSIONS, YEARS, In, check_ranges
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

    short_term: Annotated[float, In("[0, 1)", FRACTION)] = 0.37
    long_term: Annotated[float, In("[0, 1)", FRACTION)] = 0.20
    loss_trigger: Annotated[float, In("(0, 1)", FRACTION)] = 0.10


@dataclass(frozen=True)
class LabSpec:
    """Rule lab (``rebal backtest``, the ``rule_backtest`` report).

    The window is the last ``years`` of data (or ``start``..``end``); the target is fitted once at
    the start (``refit: none``) or refitted on a calendar. ``rules`` run at ``cost_bps`` (flat
    spread + commission, plus square-root impact on dollar ADV); the grid crosses ``thresholds``
    and the calendar and hybrid rules with ``cost_levels``. Costs are multiplied by
    ``cost_multipliers`` in the normal / elevated / stress regimes.
    """

    years: Annotated[int, In("[1, 100]", YEARS)] = 10
    start: date | None = None
    end: date | None = None
    refit: Literal["none", "monthly", "quarterly", "annual"] = "none"
    rules: tuple[str, ...] = DEFAULT_LAB_RULES
    cost_bps: Annotated[float, In("[0, 1000]", BPS)] = 20.0
    thresholds: tuple[Annotated[float, In("(0, 1)", FRACTION)], ...] = (0.03, 0.05, 0.07, 0.10)
    cost_levels: tuple[Annotated[float, In("[0, 1000]", BPS)], ...] = (10.0, 20.0, 50.0)
    cost_multipliers: tuple[Annotated[float, In("(0, 100]", MULTIPLIER)], ...] = (1.0, 1.5, 2.5)
    delays: tuple[Annotated[int, In("[1, 63]", SESSIONS)], ...] = (10, 15, 20)
    #: tracking error (annualised, a fraction) a cheaper rule may add and still be preferred
    acceptable_te_increase: Annotated[float, In("[0, 1]", FRACTION)] = 0.005
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
    rules = [  # each value's range is in its annotation (checked at load); these are about the lists
        ("thresholds", bool(lab.thresholds), "a non-empty list of fractions in (0, 1)"),
        ("cost_levels", bool(lab.cost_levels), "a non-empty list of bps >= 0"),
        ("cost_multipliers", len(lab.cost_multipliers) == 3, "three positive numbers (normal, elevated, stress)"),
        ("delays", bool(lab.delays), "a non-empty list of sessions in [1, 63]"),
    ]
    check_ranges(src, "lab", lab, rules)
    if lab.start and lab.end and lab.start >= lab.end:
        raise ConfigError(f"{src}: `lab.start`: must be before `lab.end` ({lab.start} >= {lab.end})")
