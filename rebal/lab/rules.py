"""Rebalancing rules as small parameterised objects, and their human-readable specs.

A rule says when to trade; the engine evaluates every configuration of a grid at once. Specs a person can type (``rebal backtest --rule``):

==========================  ===============================================================
``calendar:monthly``        rebalance on the last NYSE session of every month (``quarterly``,
                            ``annual`` likewise)
``threshold:0.05``          rebalance when portfolio drift ½Σ|w - w*| >= 5 %
``hybrid:monthly,0.10``     monthly review (always rebalance then) + early override whenever
                            drift >= 10 %
==========================  ===============================================================
"""
from __future__ import annotations

from dataclasses import dataclass

from rebal.errors import ConfigError

__all__ = ["Rule", "Calendar", "Threshold", "Hybrid", "parse_rule", "RULE_KINDS", "FREQUENCIES"]

FREQUENCIES = ("monthly", "quarterly", "annual")
RULE_KINDS = {
    "calendar": "calendar:monthly | calendar:quarterly | calendar:annual",
    "threshold": "threshold:DRIFT (e.g. threshold:0.05)",
    "hybrid": "hybrid:FREQ,DRIFT (e.g. hybrid:monthly,0.10)",
}


class Rule:
    """Base. A rule's trigger is ``(frequency or None, drift threshold or inf)``: it fires on the
    review days of ``frequency`` and on any day drift reaches the threshold, so the engine can
    evaluate every configuration of a grid at once."""

    spec: str

    def trigger(self) -> tuple[str | None, float]:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Calendar(Rule):
    frequency: str = "monthly"

    @property
    def spec(self) -> str:
        return f"calendar:{self.frequency}"

    def trigger(self) -> tuple[str | None, float]:
        return self.frequency, float("inf")


@dataclass(frozen=True)
class Threshold(Rule):
    drift: float = 0.05

    @property
    def spec(self) -> str:
        return f"threshold:{self.drift:g}"

    def trigger(self) -> tuple[str | None, float]:
        return None, self.drift


@dataclass(frozen=True)
class Hybrid(Rule):
    frequency: str = "monthly"
    drift: float = 0.10

    @property
    def spec(self) -> str:
        return f"hybrid:{self.frequency},{self.drift:g}"

    def trigger(self) -> tuple[str | None, float]:
        return self.frequency, self.drift


def _fraction(text: str, spec: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise ConfigError(f"rule {spec!r}: {text!r} is not a number") from None
    if not 0 < x < 1:
        raise ConfigError(f"rule {spec!r}: drift threshold must be a fraction in (0, 1), e.g. 0.05, found {text}")
    return x


def _freq(text: str, spec: str) -> str:
    if text not in FREQUENCIES:
        raise ConfigError(f"rule {spec!r}: unknown frequency {text!r}; valid: {', '.join(FREQUENCIES)}")
    return text


def parse_rule(spec: str) -> Rule:
    """Parse a rule spec (see the module docstring); a bad spec lists the valid forms."""
    kind, _, arg = str(spec).strip().partition(":")
    valid = "; ".join(RULE_KINDS.values())
    if kind not in RULE_KINDS or not arg:
        raise ConfigError(f"unknown rule {spec!r}; valid rules: {valid}")
    parts = [p.strip() for p in arg.split(",")]
    if kind == "calendar" and len(parts) == 1:
        return Calendar(_freq(parts[0], spec))
    if kind == "threshold" and len(parts) == 1:
        return Threshold(_fraction(parts[0], spec))
    if kind == "hybrid" and len(parts) == 2:
        return Hybrid(_freq(parts[0], spec), _fraction(parts[1], spec))
    raise ConfigError(f"rule {spec!r}: wrong number of parameters; valid rules: {valid}")
