"""One profile's LLM-assisted target on one date: prepare the request, answer it (or replay it), interpret it.

- :func:`prepare`: the point-in-time inputs and the request (:mod:`rebal.llm.inputs`, :mod:`rebal.llm.prompt`).
- :func:`execute`: ask the provider; a failed call (connection, timeout, HTTP error, refusal) falls back to
  the offline rule when the profile names it (``llm.fallback: offline``).
- :func:`interpret`: read the answer text out of the raw response, parse it strictly, cap the views, tilt
  the base target. The same function reads a live call and a recorded one, so a replay gives the same
  views and weights as the call did.
- :func:`assisted_target`: what :func:`rebal.allocation.target.compute_target` uses. It never calls a remote
  model: it replays the recorded call of this request (:mod:`rebal.data.llm_calls`), else runs the offline rule
  (deterministic, no network), else says the views are unavailable until the call is made
  (``rebal views --profile NAME`` or the weekly run, :mod:`rebal.llm.batch`).

Statuses: ``VIEWS APPLIED``; ``NO VIEWS`` (a valid answer without views: the base target stands);
``FALLBACK`` (the remote call failed, the offline rule's views are applied); ``UNAVAILABLE`` (no usable
answer: the base target stands, labelled "LLM views unavailable: ...").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError, LLMError, ViewsRefused
from rebal.llm.guardrails import GuardedView, Tilt, assisted_weights, bounds_of, cap_views
from rebal.llm.inputs import ViewInputs, build_inputs
from rebal.llm.parse import parse_answer
from rebal.llm.prompt import ViewRequest, build_request
from rebal.llm.providers import OfflineProvider, Provider, answer_text

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["Prepared", "CallResult", "ViewsOutcome", "APPLIED", "NO_VIEWS", "FALLBACK", "UNAVAILABLE", "prepare",
           "execute", "from_record", "interpret", "assisted_target", "outcome_json"]

APPLIED, NO_VIEWS, FALLBACK, UNAVAILABLE = "VIEWS APPLIED", "NO VIEWS", "FALLBACK", "UNAVAILABLE"


@dataclass(frozen=True)
class Prepared:
    """A profile's request on one date, with its inputs and its base target (``CASH`` included)."""

    profile: Profile
    as_of: date
    base_target: pd.Series
    inputs: ViewInputs
    request: ViewRequest


@dataclass(frozen=True)
class CallResult:
    """What a call returned, live or recorded.

    ``raw`` is the provider's response (None when the call failed before one), ``fallback_raw`` the offline
    rule's answer when the call failed and the profile falls back to it, ``error`` the failure ("" none).
    ``origin``: ``call``, ``call-again``, ``backfill`` (recorded now), ``computed`` (offline, not recorded) or
    ``replayed`` (read from the lakehouse: ``call_id`` and ``recorded_at`` say which).
    """

    provider: str
    model: str
    endpoint: str
    raw: str | None
    fallback_raw: str | None
    error: str
    seconds: float
    attempts: int
    origin: str
    call_id: str | None = None
    recorded_at: str | None = None


@dataclass(frozen=True)
class ViewsOutcome:
    """The LLM-assisted target of a profile on a date and everything behind it (see the module docstring).

    ``weights`` are the target (fractions of value, ``CASH`` included): the tilted weights, or the base
    target when no view applies. ``answered_by`` says who wrote the views and texts, ``model_generated``
    whether a language model did (the offline rule is not one).
    """

    profile: str
    as_of: date
    status: str
    reason: str
    answered_by: str
    model_generated: bool
    prompt_hash: str
    call: CallResult | None
    views: tuple[GuardedView, ...]
    risk_assessment: str
    explanation: str
    tilt: Tilt | None
    inputs: ViewInputs | None
    base: pd.Series
    weights: pd.Series

    @property
    def label(self) -> str:
        """One line: ``3 views applied (offline rule)`` or ``LLM views unavailable: ...``."""
        if self.status == UNAVAILABLE:
            return f"LLM views unavailable: {self.reason}"
        n = len(self.views)
        head = f"{n} view{'s' if n != 1 else ''} applied" if n else "no views: the base target stands"
        tail = f" (fallback after: {self.reason})" if self.status == FALLBACK else ""
        return f"{head} ({self.answered_by}){tail}"

    @property
    def source(self) -> str:
        """Where the answer came from, in words."""
        c = self.call
        if c is None:
            return "no call"
        if c.origin == "replayed":
            when = (c.recorded_at or "")[:19].replace("T", " ")
            return f"recorded call {c.call_id} of {when} UTC, replayed"
        if c.origin == "computed":
            return "computed now by the offline rule (not recorded)"
        return f"called now ({c.origin}), recorded as {c.call_id}" if c.call_id else f"called now ({c.origin})"


def prepare(profile: Profile, lh: Lakehouse, as_of: date, base_target: pd.Series) -> Prepared:
    """Gather the inputs and request of ``profile`` as of ``as_of`` (:class:`DataError` for missing data)."""
    inputs = build_inputs(profile, lh, as_of, base_target)
    return Prepared(profile, as_of, base_target, inputs, build_request(inputs))


def _describe(provider: str, model: str, endpoint: str) -> str:
    if provider == "offline":
        return "offline rule, no language model"
    return f"model {model}" + (f" at {endpoint}" if endpoint else " (local llama.cpp)")


def execute(prep: Prepared, provider: Provider, *, origin: str = "call") -> CallResult:
    """Ask ``provider``; on an :class:`LLMError` (or a refusal) fall back to the offline rule if the profile says so."""
    raw, error, seconds, attempts = None, "", 0.0, 0
    try:
        ans = provider.answer(prep.request)
        raw, seconds, attempts = ans.raw, ans.seconds, ans.attempts
        answer_text(provider.name, raw)  # a refusal fails the call
    except LLMError as exc:
        error = " ".join(str(exc).split())
    fallback = None
    if error and provider.name != "offline" and prep.profile.llm.fallback == "offline":
        fallback = OfflineProvider().answer(prep.request).raw
    return CallResult(provider.name, provider.model, provider.endpoint, raw, fallback, error, seconds, attempts, origin)


def from_record(row: dict[str, Any]) -> CallResult:
    """Read a recorded call (a row of ``llm_calls``) as a :class:`CallResult` to replay."""
    return CallResult(row["provider"], row["model"] or "", row["endpoint"] or "", row["raw_response"],
                      row["fallback_response"], row["error"] or "", float(row["seconds"] or 0.0),
                      int(row["attempts"] or 0), "replayed", row["call_id"], row["recorded_at"])


def _unavailable(prep: Prepared | None, profile: Profile, as_of: date, base_target: pd.Series, reason: str,
                 call: CallResult | None = None) -> ViewsOutcome:
    who = _describe(call.provider, call.model, call.endpoint) if call else _describe(
        profile.llm.provider, "", "")
    return ViewsOutcome(profile.name, as_of, UNAVAILABLE, reason, who, False,
                        prep.request.prompt_hash if prep else "", call, (), "", "", None,
                        prep.inputs if prep else None, base_target, base_target)


def interpret(prep: Prepared, call: CallResult) -> ViewsOutcome:
    """Turn a call's raw response into the assisted target (the same steps live and on replay)."""
    text, error, status = None, call.error, APPLIED
    who, by_model = _describe(call.provider, call.model, call.endpoint), call.provider != "offline"
    if call.raw is not None and not error:
        try:
            text = answer_text(call.provider, call.raw)
        except LLMError as exc:
            error = " ".join(str(exc).split())
    if error and call.fallback_raw is not None:
        text, status, who, by_model = call.fallback_raw, FALLBACK, _describe("offline", "", ""), False
    if text is None:
        return _unavailable(prep, prep.profile, prep.as_of, prep.base_target, error or "no answer", call)
    inp = prep.inputs
    try:
        parsed = parse_answer(text, inp.assets, inp.spec.caps)
    except ViewsRefused as exc:
        return _unavailable(prep, prep.profile, prep.as_of, prep.base_target, f"the answer was refused: {exc}", call)
    guarded = cap_views(parsed.views, inp.pi, inp.spec.caps)
    lo, hi, caps = bounds_of(prep.profile, inp.sectors.to_dict())
    try:
        tilt = assisted_weights(inp, guarded, lo=lo, hi=hi, sector_caps=caps)
    except DataError as exc:
        return _unavailable(prep, prep.profile, prep.as_of, prep.base_target, str(exc), call)
    weights = tilt.weights
    if CASH in prep.base_target.index:
        weights = pd.concat([weights, prep.base_target[[CASH]]])
    if status == APPLIED and not guarded:
        status = NO_VIEWS
    return ViewsOutcome(prep.profile.name, prep.as_of, status, error if status == FALLBACK else "", who, by_model,
                        prep.request.prompt_hash, call, tuple(guarded), parsed.risk_assessment, parsed.explanation,
                        tilt, inp, prep.base_target, weights.rename("target"))


def assisted_target(profile: Profile, lh: Lakehouse, as_of: date, base_target: pd.Series) -> ViewsOutcome:
    """Compute the LLM-assisted target without calling a remote model (see the module docstring)."""
    from rebal.data.llm_calls import find_call

    try:
        prep = prepare(profile, lh, as_of, base_target)
    except DataError as exc:
        return _unavailable(None, profile, as_of, base_target, " ".join(str(exc).split()))
    row = find_call(lh, profile.name, as_of, prep.request.prompt_hash)
    if row is not None:
        return interpret(prep, from_record(row))
    if profile.llm.provider == "offline":
        return interpret(prep, execute(prep, OfflineProvider(), origin="computed"))
    return _unavailable(prep, profile, as_of, base_target,
                        f"no recorded call of {profile.llm.provider} for these inputs as of {as_of}; run "
                        f"`rebal views --profile {profile.name}` (or the weekly run) to call the model")


def _view_json(g: GuardedView) -> dict[str, Any]:
    v = g.stated
    bl = ({"asset": v.long[0]} if v.kind == "absolute" and len(v.long) == 1 else
          {"picks": v.picks} if v.kind == "absolute" else {"long": list(v.long), "short": list(v.short)})
    return {"label": v.label, "kind": v.kind, "long": list(v.long), "short": list(v.short), "picks": v.picks,
            "stated_value": v.value, "stated_confidence": v.confidence, "equilibrium": g.equilibrium,
            "value": g.value, "confidence": g.confidence, "excess": g.excess, "guardrails": list(g.outcomes),
            "rationale": v.rationale,
            "views_yaml": {**bl, "value": round(g.value, 6), "confidence": round(g.confidence, 4), "label": v.label}}


def outcome_json(o: ViewsOutcome) -> dict[str, Any]:
    """Return the outcome as plain JSON types (recorded as ``parsed``, printed by ``rebal views --json``)."""
    c = o.call
    t = o.tilt
    return {"profile": o.profile, "as_of": str(o.as_of), "status": o.status, "label": o.label, "reason": o.reason,
            "answered_by": o.answered_by, "model_generated": o.model_generated, "prompt_hash": o.prompt_hash,
            "call": None if c is None else {"provider": c.provider, "model": c.model, "endpoint": c.endpoint,
                                            "origin": c.origin, "call_id": c.call_id, "recorded_at": c.recorded_at,
                                            "error": c.error, "seconds": round(c.seconds, 3),
                                            "attempts": c.attempts},
            "inputs": None if o.inputs is None else {
                "news_through": str(o.inputs.news_through) if o.inputs.news_through else None,
                "prices_through": str(o.inputs.prices_through), "news_items": int(len(o.inputs.news))},
            "views": [_view_json(g) for g in o.views],
            "risk_assessment": o.risk_assessment, "explanation": o.explanation,
            "guardrails": [] if t is None else list(t.outcomes),
            "distance": 0.0 if t is None else t.distance,
            "base": {k: float(v) for k, v in o.base.items()},
            "weights": {k: float(v) for k, v in o.weights.items()}}


def outcome_text(o: ViewsOutcome) -> str:
    """:func:`outcome_json` as canonical JSON text (what a replay must reproduce byte for byte)."""
    from rebal.llm.prompt import canonical_json

    doc = outcome_json(o)
    doc.pop("call")  # how it was obtained (live or replayed) is not part of what it says
    return canonical_json(json.loads(json.dumps(doc)))
