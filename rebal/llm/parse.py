"""Strict parsing of a model's answer: data, never code or markup, accepted whole or refused with the reason.

The answer must be one JSON object (optionally inside a single Markdown code fence, which local models
add) with exactly the keys of :func:`rebal.llm.prompt.response_schema`. Refused, with
:class:`~rebal.errors.ViewsRefused` naming the first problem: malformed JSON, a key given twice, a
missing or unknown key, more than ``llm.caps.max_views`` views, a ticker outside the profile's
assets, a ticker twice in a view or on both sides, two views on the same assets, a value that is not
a finite number or whose size exceeds ``llm.caps.max_abs_return``, a confidence outside (0, 1],
text longer than its limit or holding control characters. Nothing of a refused answer is used: the
base target stands, labelled "LLM views unavailable: ...".

Values within the schema but beyond the caps (a view far from equilibrium, an overconfident view) are
not refused here: :mod:`rebal.llm.guardrails` caps them and says so.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from rebal.errors import ViewsRefused

if TYPE_CHECKING:
    from rebal.llm.spec import CapsSpec

__all__ = ["ProposedView", "ParsedAnswer", "parse_answer", "RATIONALE_CHARS", "TEXT_CHARS"]

#: the longest rationale of a view (characters)
RATIONALE_CHARS = 600
#: the longest risk assessment or explanation (characters)
TEXT_CHARS = 3000
_KEYS = ("views", "risk_assessment", "explanation")
_VIEW_KEYS = ("long", "short", "value", "confidence", "rationale")
_FENCE = re.compile(r"^```(?:json|JSON)?\s*\n(.*)\n\s*```$", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ProposedView:
    """One view as the model (or the offline rule) stated it.

    ``long`` (equal weights summing to +1) against ``short`` (equal weights summing to -1; empty for an
    absolute view) returns ``value`` a year (excess return, a fraction) with ``confidence`` in (0, 1].
    """

    long: tuple[str, ...]
    short: tuple[str, ...]
    value: float
    confidence: float
    rationale: str = ""

    @property
    def kind(self) -> str:
        """``absolute`` (no short side) or ``relative``."""
        return "relative" if self.short else "absolute"

    @property
    def picks(self) -> dict[str, float]:
        """The view portfolio: ticker -> weight (+1/n on the long side, -1/m on the short side)."""
        return {**{a: 1.0 / len(self.long) for a in self.long}, **{a: -1.0 / len(self.short) for a in self.short}}

    @property
    def label(self) -> str:
        """``XOM`` or ``JNJ+MRK vs AAPL``."""
        return "+".join(self.long) + (" vs " + "+".join(self.short) if self.short else "")


@dataclass(frozen=True)
class ParsedAnswer:
    """A parsed answer: its views, the model's risk assessment and its explanation (both model-generated text)."""

    views: tuple[ProposedView, ...]
    risk_assessment: str
    explanation: str


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ViewsRefused(f"key `{k}` given twice")
        out[k] = v
    return out


def _load(text: str) -> Any:
    body = text.strip()
    m = _FENCE.match(body)
    if m:
        body = m.group(1).strip()
    try:
        return json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except ViewsRefused:
        raise
    except (ValueError, RecursionError) as exc:
        snippet = body[:60].replace("\n", " ")
        raise ViewsRefused(f"malformed JSON ({str(exc).splitlines()[0][:80]}): {snippet!r}") from None


def _keys(obj: Any, want: Sequence[str], where: str) -> None:
    if not isinstance(obj, dict):
        raise ViewsRefused(f"{where}: expected a JSON object, found {type(obj).__name__}")
    unknown = sorted(set(obj) - set(want))
    if unknown:
        raise ViewsRefused(f"{where}: unknown key `{unknown[0][:40]}` (expected {', '.join(want)})")
    missing = [k for k in want if k not in obj]
    if missing:
        raise ViewsRefused(f"{where}: missing key `{missing[0]}`")


def _text(v: Any, where: str, limit: int) -> str:
    if not isinstance(v, str):
        raise ViewsRefused(f"{where}: expected text, found {type(v).__name__}")
    if len(v) > limit:
        raise ViewsRefused(f"{where}: longer than {limit} characters ({len(v)})")
    if _CONTROL.search(v):
        raise ViewsRefused(f"{where}: holds a control character")
    return v.strip()


def _number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ViewsRefused(f"{where}: expected a finite number, found {json.dumps(v)[:40]}")
    return float(v)


def _tickers(v: Any, where: str, assets: set[str], *, required: bool) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        raise ViewsRefused(f"{where}: expected a list of tickers")
    if required and not v:
        raise ViewsRefused(f"{where}: needs at least one ticker")
    for t in v:
        if t not in assets:
            raise ViewsRefused(f"{where}: unknown ticker {t[:20]!r} (not one of the profile's assets)")
    if len(set(v)) != len(v):
        raise ViewsRefused(f"{where}: a ticker listed twice")
    return tuple(v)


def _view(raw: Any, i: int, assets: set[str], caps: CapsSpec) -> ProposedView:
    where = f"views[{i}]"
    _keys(raw, _VIEW_KEYS, where)
    long = _tickers(raw["long"], f"{where}.long", assets, required=True)
    short = _tickers(raw["short"], f"{where}.short", assets, required=False)
    both = sorted(set(long) & set(short))
    if both:
        raise ViewsRefused(f"{where}: {both[0]!r} on both sides")
    value = _number(raw["value"], f"{where}.value")
    if abs(value) > caps.max_abs_return:
        raise ViewsRefused(f"{where}.value: {value:g} is out of range (|value| at most {caps.max_abs_return:g}, "
                           "an annual return as a fraction)")
    conf = _number(raw["confidence"], f"{where}.confidence")
    if not 0.0 < conf <= 1.0:
        raise ViewsRefused(f"{where}.confidence: {conf:g} is out of range (0, 1]")
    return ProposedView(long, short, value, conf, _text(raw["rationale"], f"{where}.rationale", RATIONALE_CHARS))


def parse_answer(text: str, assets: Sequence[str], caps: CapsSpec) -> ParsedAnswer:
    """Parse an answer strictly (see the module docstring).

    Parameters
    ----------
    text : str
        The answer as the provider returned it.
    assets : Sequence[str]
        The tickers views may name.
    caps : CapsSpec
        The profile's ``llm.caps`` (``max_views`` and ``max_abs_return`` are schema limits here).

    Raises
    ------
    ViewsRefused
        With the reason, for the first violation found.
    """
    if not isinstance(text, str) or not text.strip():
        raise ViewsRefused("empty answer")
    obj = _load(text)
    _keys(obj, _KEYS, "answer")
    raw_views = obj["views"]
    if not isinstance(raw_views, list):
        raise ViewsRefused(f"views: expected a list, found {type(raw_views).__name__}")
    if len(raw_views) > caps.max_views:
        raise ViewsRefused(f"views: {len(raw_views)} views, at most {caps.max_views} allowed (`llm.caps.max_views`)")
    known = set(assets)
    views = tuple(_view(v, i, known, caps) for i, v in enumerate(raw_views))
    seen: dict[tuple, int] = {}
    for i, v in enumerate(views):
        key = (frozenset(v.long), frozenset(v.short))
        if key in seen:
            raise ViewsRefused(f"views[{i}]: the same assets as views[{seen[key]}] ({v.label})")
        seen[key] = i
    return ParsedAnswer(views, _text(obj["risk_assessment"], "risk_assessment", TEXT_CHARS),
                        _text(obj["explanation"], "explanation", TEXT_CHARS))
