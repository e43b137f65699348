"""Calling the providers for many profiles and recording every call in the lakehouse.

Three stages, so that the calls run while nothing holds the lakehouse for writing:

1. :func:`plan` (on a read-only view): each profile's base target, inputs and request, and its recorded
   call for the same request (which is replayed unless ``call_again``);
2. :meth:`Batch.run`: the calls still to make, in threads, at most ``llm.endpoint.concurrency`` at once
   per endpoint (the lowest of the profiles sharing it); a failing call does not stop the others;
3. :meth:`Batch.record` (on a writable lakehouse): every new call as one row of ``llm_calls``, in one
   transaction (:mod:`rebal.data.llm_calls`).

:func:`backfill` records the offline rule's calls for past dates (the track record of a profile that
uses it). Only the offline rule may be backfilled: a language model asked about a past date knows what
happened after it, so its "past" views would carry look-ahead.
"""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

from rebal.data.lakehouse import Lakehouse
from rebal.data.llm_calls import find_call, insert_calls
from rebal.errors import ConfigError, DataError
from rebal.llm.assist import (
    UNAVAILABLE,
    CallResult,
    Prepared,
    ViewsOutcome,
    execute,
    from_record,
    interpret,
    outcome_json,
    prepare,
)
from rebal.llm.prompt import canonical_json
from rebal.llm.providers import OfflineProvider, make_provider

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["Planned", "Batch", "plan", "backfill"]


@dataclass
class Planned:
    """One profile's call: prepared, and either replayed (``call`` from the record) or to make (``call`` None)."""

    prep: Prepared
    call: CallResult | None = None
    origin: str = "call"
    outcome: ViewsOutcome | None = None


@dataclass
class Batch:
    """The calls of one date for several profiles (see the module docstring)."""

    as_of: date
    items: list[Planned] = field(default_factory=list)

    def run(self, *, max_threads: int = 16) -> list[ViewsOutcome]:
        """Make the calls still to make (in threads), then interpret every call; return the outcomes in order.

        Raises
        ------
        ConfigError
            A provider that cannot be built (a missing key variable, model file or extra), before any call.
        """
        todo = [p for p in self.items if p.call is None]
        gates: dict[str, threading.Semaphore] = {}
        for p in todo:
            e = p.prep.profile.llm.endpoint
            if p.prep.profile.llm.provider == "openai":
                limit = min(e.concurrency, *(q.prep.profile.llm.endpoint.concurrency for q in todo
                                             if q.prep.profile.llm.endpoint.base_url == e.base_url))
                gates.setdefault(e.base_url, threading.Semaphore(limit))
        providers = [_provider(p.prep.profile, gates) for p in todo]
        if todo:
            with ThreadPoolExecutor(max_workers=max(1, min(max_threads, len(todo)))) as pool:
                calls = list(pool.map(lambda pv: execute(pv[0].prep, pv[1], origin=pv[0].origin),
                                      zip(todo, providers, strict=True)))
            for p, c in zip(todo, calls, strict=True):
                p.call = c
        for p in self.items:
            p.outcome = interpret(p.prep, p.call)
        return [p.outcome for p in self.items]

    def record(self, lh: Lakehouse) -> list[str]:
        """Write every new call (not the replayed ones) to ``llm_calls`` in one transaction; return their ids."""
        now = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        rows: list[dict[str, Any]] = []
        for p in self.items:
            c = p.call
            if c is None or c.origin == "replayed" or p.outcome is None:
                continue
            c = replace(c, call_id=uuid.uuid4().hex[:16], recorded_at=now)
            p.call = c
            p.outcome = replace(p.outcome, call=c)
            rows.append(_row(p.prep, c, p.outcome))
        insert_calls(lh, rows)
        return [r["call_id"] for r in rows]


def _provider(profile: Profile, gates: dict[str, threading.Semaphore]):
    """Build the profile's provider; a :class:`ConfigError` names the profile's file."""
    try:
        return make_provider(profile, gate=gates.get(profile.llm.endpoint.base_url))
    except ConfigError as exc:
        raise ConfigError(f"{profile.source}: {exc}") from None


def _row(prep: Prepared, c: CallResult, outcome: ViewsOutcome) -> dict[str, Any]:
    inp = prep.inputs
    return {"call_id": c.call_id, "profile": prep.profile.name, "as_of": prep.as_of, "recorded_at": c.recorded_at,
            "origin": c.origin, "provider": c.provider, "model": c.model, "endpoint": c.endpoint,
            "prompt_hash": prep.request.prompt_hash, "news_through": inp.news_through,
            "prices_through": inp.prices_through, "request": canonical_json(prep.request.document()),
            "status": outcome.status, "error": c.error or None, "raw_response": c.raw,
            "fallback_response": c.fallback_raw, "parsed": canonical_json(outcome_json(outcome)),
            "seconds": float(c.seconds), "attempts": int(c.attempts)}


def plan(profiles: Sequence[Profile], lh: Lakehouse, as_of: date, *, call_again: bool = False,
         origin: str = "call") -> tuple[Batch, list[tuple[Profile, str]]]:
    """Prepare the calls of ``profiles`` (those with an ``llm`` section) as of ``as_of``.

    Returns
    -------
    (Batch, left_out)
        The batch, and the profiles whose inputs are missing, with the one-line reason (their reports say
        "LLM views unavailable").
    """
    from rebal.allocation.target import base_target

    batch, left = Batch(as_of), []
    for prof in profiles:
        if prof.llm is None:
            continue
        try:
            base = base_target(prof, lh, as_of).weights
            prep = prepare(prof, lh, as_of, base)
        except DataError as exc:
            left.append((prof, " ".join(str(exc).split())))
            continue
        row = None if call_again else find_call(lh, prof.name, as_of, prep.request.prompt_hash)
        batch.items.append(Planned(prep, from_record(row) if row else None,
                                   "call-again" if call_again else origin))
    return batch, left


def backfill(profile: Profile, lh: Lakehouse, dates: Sequence[date]) -> dict[str, int]:
    """Record the offline rule's calls of ``profile`` for ``dates`` (skipping those already recorded).

    ``lh`` must be writable; each date is read point in time (``lh.at(date)``).

    Raises
    ------
    ConfigError
        The profile's provider is not ``offline`` (see the module docstring).
    """
    if profile.llm is None or profile.llm.provider != "offline":
        raise ConfigError(f"{profile.source}: `llm.provider`: only the offline rule can be backfilled (a language "
                          "model asked about a past date knows what happened after it)")
    recorded = skipped = 0
    for d in dates:
        batch, left = plan([profile], lh.at(d), d, origin="backfill")
        if left or not batch.items or batch.items[0].call is not None:
            skipped += 1
            continue
        item = batch.items[0]
        item.call = execute(item.prep, OfflineProvider(), origin="backfill")
        item.outcome = interpret(item.prep, item.call)
        recorded += len(batch.record(lh))
    return {"recorded": recorded, "skipped": skipped}


def unavailable_count(outcomes: Sequence[ViewsOutcome]) -> int:
    """How many outcomes are ``UNAVAILABLE``."""
    return sum(o.status == UNAVAILABLE for o in outcomes)


def weekly_calls(profiles: list[Profile], lh: Lakehouse, as_of: date, invalid: list[dict[str, str]]) -> Batch:
    """Plan and make the weekly run's calls for ``profiles`` (read-only ``lh``); :func:`record_at` records them.

    A profile whose provider cannot be built (a missing key variable, model file or extra) is removed from
    ``profiles`` and added to ``invalid`` (``{"profile", "error"}``), as the run leaves out any profile it
    cannot run. Profiles whose inputs are missing keep running: their reports say "LLM views unavailable".
    """
    batch, _ = plan(profiles, lh, as_of)
    keep = []
    for item in batch.items:
        prof = item.prep.profile
        if item.call is None:
            try:
                _provider(prof, {})
            except ConfigError as exc:
                profiles.remove(prof)
                invalid.append({"profile": prof.name, "error": " ".join(str(exc).split())})
                continue
        keep.append(item)
    batch.items = keep
    batch.run()
    return batch


def record_at(batch: Batch, path) -> str:
    """Record ``batch``'s new calls in the lakehouse file ``path``; return "" or why they could not be recorded.

    A lakehouse held open by another process cannot take a writer: the calls are then not recorded (the
    reports replay nothing, so a remote provider's views are unavailable this run), and the reason is returned.
    """
    from rebal.errors import RebalError

    if not any(p.call is not None and p.call.origin != "replayed" for p in batch.items):
        return ""
    try:
        with Lakehouse(path, read_only=False) as lh:
            batch.record(lh)
    except RebalError as exc:
        return " ".join(str(exc).split())
    return ""


def backfill_sample(lh: Lakehouse, profiles: Sequence[Profile]) -> dict[str, object]:
    """Backfill the offline calls of the sample profiles with an offline ``llm`` section (``rebal data build-sample``).

    Weekly (every 5th session counted back from the last) from the first news date up to, not including,
    the last session: the weekly run records the last one itself.
    """
    from rebal.data.news import news_span

    span = news_span(lh)
    out: dict[str, object] = {}
    if span is None:
        return {"llm_backfill": out}
    sessions = lh.sessions(span[0])
    dates = [d.date() for d in sessions[::-1][5::5]][::-1]
    for prof in profiles:
        if prof.llm is not None and prof.llm.provider == "offline":
            out[prof.name] = backfill(prof, lh, dates)
    return {"llm_backfill": out}
