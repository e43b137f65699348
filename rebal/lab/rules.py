"""Rebalancing rules as small parameterised objects, and their human-readable specs.

A rule says when to trade and how much; the engine evaluates every configuration of a grid at
once. Each rule compiles to one :class:`Config` (a flat record of switches), so rules combine
by :meth:`Config.replace` in code. Specs a person can type (``rebal backtest --rule``):

===============================  ==========================================================
``calendar:monthly``             trade back to target on the last NYSE session of every month
                                 (``quarterly``, ``annual`` likewise)
``threshold:0.05``               when portfolio drift ½Σ|w - w*| >= 5 %
``hybrid:monthly,0.10``          monthly review + early override whenever drift >= 10 %
``bands:5/25``                   per-asset bands: when any |w_i - w*_i| >= min(5 points,
                                 25 % of w*_i) (fractions work too: ``bands:0.05/0.25``)
``highvol:0.05,0.03``            drift >= 5 %, or a 3-point drift on any asset whose 60-day
                                 volatility is >= ``planner.high_vol_sigma`` (30 %)
``costbenefit``                  when the cost of trading back is below the benefit (the
                                 certainty-equivalent gain of removing the tracking variance
                                 over the horizon, see :mod:`rebal.lab.engine`)
``dynamic:0.05``                 threshold widened by regime: x1.2 when VIX 20-30, x1.5 above 30
``dynamic:0.05,pause``           widened x1.2 when VIX 20-30; no trading when VIX >= 30 unless
                                 drift >= ``planner.stress_override`` (15 %)
``delay:0.05,15``                as ``threshold:0.05`` but when VIX >= 30 and drift <= 10 % the
                                 trade waits up to 15 sessions (the stress ends, drift passes
                                 10 % or the wait runs out)
``partial:half,0.05``            drift >= 5 %, then trade half the gap (``full``: all of it;
                                 ``edge``: back to the band edge, drift = 5 % exactly; ``cost``:
                                 only assets whose benefit > 2x their cost)
``tax:hifo,0.05``                tax-aware: drift >= 5 % or a lot's unrealised loss >= 10 %;
                                 harvest losses, relieve lots HIFO (or ``fifo``), defer
                                 short-term gains (see :mod:`rebal.lab.tax`)
===============================  ==========================================================
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from rebal.config.loader import shorten as _echo
from rebal.errors import ConfigError
from rebal.safetext import ascii_float, ascii_int

__all__ = ["Config", "Rule", "Calendar", "Threshold", "Hybrid", "Bands", "HighVol", "CostBenefit", "Dynamic",
           "Delay", "Partial", "TaxAware", "parse_rule", "RULE_KINDS", "FREQUENCIES", "SIZINGS", "RELIEFS"]

FREQUENCIES = ("monthly", "quarterly", "annual")
SIZINGS = ("full", "half", "edge", "cost")
RELIEFS = ("fifo", "hifo")
INF = float("inf")
RULE_KINDS = {
    "calendar": "calendar:monthly|quarterly|annual",
    "threshold": "threshold:DRIFT (e.g. threshold:0.05)",
    "hybrid": "hybrid:FREQ,DRIFT (e.g. hybrid:monthly,0.10)",
    "bands": "bands:ABS/REL (e.g. bands:5/25)",
    "highvol": "highvol:DRIFT,BAND (e.g. highvol:0.05,0.03)",
    "costbenefit": "costbenefit",
    "dynamic": "dynamic:DRIFT[,pause] (e.g. dynamic:0.05)",
    "delay": "delay:DRIFT,SESSIONS (e.g. delay:0.05,15)",
    "partial": "partial:full|half|edge|cost,DRIFT (e.g. partial:edge,0.05)",
    "tax": "tax:fifo|hifo,DRIFT (e.g. tax:hifo,0.05)",
}


@dataclass(frozen=True)
class Config:
    """Everything the engine needs to know about one rule (inf / None / False = switched off)."""

    spec: str
    frequency: str | None = None      # calendar review days
    drift: float = INF                # portfolio drift threshold
    band_abs: float = INF             # per-asset band, absolute points
    band_rel: float = INF             # per-asset band, fraction of the target weight
    high_vol_band: float = INF        # per-asset band on high-volatility assets
    cost_benefit: bool = False
    dynamic: bool = False             # widen the drift threshold by regime
    pause: bool = False               # no trades in stress unless drift >= the stress override
    delay: int = 0                    # sessions a stress-regime trade may wait
    sizing: str = "full"
    tax: str | None = None            # lot relief of the tax-aware rule

    def replace(self, **changes) -> "Config":
        """Return a copy with ``changes`` applied (how rules combine in code)."""
        return replace(self, **changes)


class Rule:
    """Base: a rule compiles to a :class:`Config`; ``spec`` is its readable form."""

    def config(self) -> Config:  # pragma: no cover - interface
        """Compile the rule to the engine's :class:`Config`."""
        raise NotImplementedError

    @property
    def spec(self) -> str:
        """The readable spec, e.g. ``threshold:0.05`` (what ``parse_rule`` reads back)."""
        return self.config().spec


@dataclass(frozen=True)
class Calendar(Rule):
    """Trade back to target on the last NYSE session of each period (``monthly``, ``quarterly``, ``annual``)."""

    frequency: str = "monthly"

    def config(self) -> Config:
        """Compile to a :class:`Config` with review days at ``frequency``."""
        return Config(f"calendar:{self.frequency}", frequency=self.frequency)


@dataclass(frozen=True)
class Threshold(Rule):
    """Trade back to target when portfolio drift ½Σ|w - w*| reaches ``drift`` (a fraction, 0.05 = 5 %)."""

    drift: float = 0.05

    def config(self) -> Config:
        """Compile to a :class:`Config` with the drift threshold set."""
        return Config(f"threshold:{self.drift:g}", drift=self.drift)


@dataclass(frozen=True)
class Hybrid(Rule):
    """Review on the calendar (``frequency``) and trade early whenever drift reaches ``drift`` (fraction)."""

    frequency: str = "monthly"
    drift: float = 0.10

    def config(self) -> Config:
        """Compile to a :class:`Config` with both review days and the drift threshold."""
        return Config(f"hybrid:{self.frequency},{self.drift:g}", frequency=self.frequency, drift=self.drift)


@dataclass(frozen=True)
class Bands(Rule):
    """Trade when any asset's |w_i - w*_i| reaches min(``absolute``, ``relative`` · w*_i).

    ``absolute`` is in weight points as a fraction (0.05 = 5 points), ``relative`` a fraction of the
    target weight (0.25 = 25 %).
    """

    absolute: float = 0.05
    relative: float = 0.25

    def config(self) -> Config:
        """Compile to a :class:`Config` with the per-asset bands set."""
        return Config(f"bands:{self.absolute * 100:g}/{self.relative * 100:g}", band_abs=self.absolute,
                      band_rel=self.relative)


@dataclass(frozen=True)
class HighVol(Rule):
    """Trade at portfolio drift ``drift``, or at a ``band`` drift of any high-volatility asset (fractions).

    High volatility: 60-day annualised volatility >= ``planner.high_vol_sigma``.
    """

    drift: float = 0.05
    band: float = 0.03

    def config(self) -> Config:
        """Compile to a :class:`Config` with the drift threshold and the high-volatility band."""
        return Config(f"highvol:{self.drift:g},{self.band:g}", drift=self.drift, high_vol_band=self.band)


@dataclass(frozen=True)
class CostBenefit(Rule):
    """Trade when the cost of trading back is below the benefit of removing the tracking variance."""

    def config(self) -> Config:
        """Compile to a :class:`Config` with the cost-benefit test switched on."""
        return Config("costbenefit", cost_benefit=True)


@dataclass(frozen=True)
class Dynamic(Rule):
    """Threshold rule whose ``drift`` (fraction) widens by the VIX regime; ``pause`` stops trading in stress.

    In stress a paused rule still trades once drift reaches ``planner.stress_override``.
    """

    drift: float = 0.05
    pause: bool = False

    def config(self) -> Config:
        """Compile to a :class:`Config` with the regime-widened threshold (and the pause)."""
        spec = f"dynamic:{self.drift:g}" + (",pause" if self.pause else "")
        return Config(spec, drift=self.drift, dynamic=True, pause=self.pause)


@dataclass(frozen=True)
class Delay(Rule):
    """Threshold rule (``drift``, a fraction) whose stress-regime trades may wait up to ``sessions`` NYSE sessions."""

    drift: float = 0.05
    sessions: int = 15

    def config(self) -> Config:
        """Compile to a :class:`Config` with the drift threshold and the allowed delay."""
        return Config(f"delay:{self.drift:g},{self.sessions}", drift=self.drift, delay=self.sessions)


@dataclass(frozen=True)
class Partial(Rule):
    """Threshold rule (``drift``, a fraction) that trades only part of the gap (``sizing``, see :data:`SIZINGS`)."""

    sizing: str = "half"
    drift: float = 0.05

    def config(self) -> Config:
        """Compile to a :class:`Config` with the drift threshold and the trade sizing."""
        return Config(f"partial:{self.sizing},{self.drift:g}", drift=self.drift, sizing=self.sizing)


@dataclass(frozen=True)
class TaxAware(Rule):
    """Tax-aware threshold rule (``drift``, a fraction) relieving lots by ``relief`` (see :mod:`rebal.lab.tax`)."""

    relief: str = "hifo"
    drift: float = 0.05

    def config(self) -> Config:
        """Compile to a :class:`Config` with the drift threshold and the lot relief."""
        return Config(f"tax:{self.relief},{self.drift:g}", drift=self.drift, tax=self.relief)


def _why(exc: ValueError) -> str:
    """Return the parenthesis of :func:`rebal.safetext.ascii_float`'s message (a non-ASCII digit), else ``""``."""
    text = str(exc)
    return " " + text[text.index("(it holds"):] if "(it holds" in text else ""


def _fraction(text: str, spec: str, what: str = "drift threshold") -> float:
    try:
        x = ascii_float(text, "")  # float() alone reads fullwidth digits: "０.05" would be 0.05
    except ValueError as exc:
        raise ConfigError(f"rule {_echo(spec)}: {_echo(text)} is not a number{_why(exc)}") from None
    if not 0 < x < 1:
        raise ConfigError(f"rule {_echo(spec)}: {what} must be a fraction in (0, 1), e.g. 0.05, found {text}")
    return x


def _choice(text: str, spec: str, valid: tuple[str, ...], what: str) -> str:
    if text not in valid:
        raise ConfigError(f"rule {_echo(spec)}: unknown {what} {_echo(text)}; valid: {', '.join(valid)}")
    return text


def _bands(text: str, spec: str) -> Bands:
    parts = text.split("/")
    if len(parts) != 2:
        raise ConfigError(f"rule {_echo(spec)}: bands are ABS/REL, e.g. bands:5/25; "
                          f"valid rules: {'; '.join(RULE_KINDS.values())}")
    vals = []
    for p in parts:
        try:
            x = ascii_float(p, "")
        except ValueError as exc:
            raise ConfigError(f"rule {_echo(spec)}: {_echo(p)} is not a number{_why(exc)}") from None
        x = x / 100 if x >= 1 else x
        if not 0 < x < 1:
            raise ConfigError(f"rule {_echo(spec)}: band {p} must be in (0, 100) points or percent")
        vals.append(x)
    return Bands(*vals)


def parse_rule(spec: str) -> Rule:
    """Parse a rule spec (see the module docstring); a bad spec lists the valid forms."""
    text = str(spec).strip()
    kind, _, arg = text.partition(":")
    valid = "; ".join(RULE_KINDS.values())
    if kind not in RULE_KINDS or (not arg and kind != "costbenefit"):
        raise ConfigError(f"unknown rule {_echo(spec)}; valid rules: {valid}")
    parts = [p.strip() for p in arg.split(",")] if arg else []
    n = len(parts)
    if kind == "calendar" and n == 1:
        return Calendar(_choice(parts[0], text, FREQUENCIES, "frequency"))
    if kind == "threshold" and n == 1:
        return Threshold(_fraction(parts[0], text))
    if kind == "hybrid" and n == 2:
        return Hybrid(_choice(parts[0], text, FREQUENCIES, "frequency"), _fraction(parts[1], text))
    if kind == "bands" and n == 1:
        return _bands(parts[0], text)
    if kind == "highvol" and n == 2:
        return HighVol(_fraction(parts[0], text), _fraction(parts[1], text, "band"))
    if kind == "costbenefit" and n == 0:
        return CostBenefit()
    if kind == "dynamic" and n in (1, 2):
        if n == 2 and parts[1] != "pause":
            raise ConfigError(f"rule {_echo(text)}: the only option of dynamic is 'pause', found {_echo(parts[1])}")
        return Dynamic(_fraction(parts[0], text), pause=n == 2)
    if kind == "delay" and n == 2:
        try:
            days = ascii_int(parts[1], "")
        except ValueError as exc:
            raise ConfigError(f"rule {_echo(text)}: sessions {_echo(parts[1])} is not a whole number"
                              f"{_why(exc)}") from None
        if not 1 <= days <= 63:
            raise ConfigError(f"rule {_echo(text)}: the delay must be 1-63 sessions, found {days}")
        return Delay(_fraction(parts[0], text), days)
    if kind == "partial" and n == 2:
        return Partial(_choice(parts[0], text, SIZINGS, "sizing"), _fraction(parts[1], text))
    if kind == "tax" and n == 2:
        return TaxAware(_choice(parts[0], text, RELIEFS, "lot relief"), _fraction(parts[1], text))
    raise ConfigError(f"rule {_echo(text)}: wrong number of parameters; valid rules: {valid}")
