"""In-process memo of pure, read-only computations, keyed by everything they depend on.

The weekly job runs a profile's reports one after another in one reused kernel
(:mod:`rebal.report.warm_kernel`), and an analyst reruns a notebook many times: the same prices
are read and the same target is fitted again and again. :func:`memoize` keeps a small LRU of
results per function, under a key made of every argument:

- plain values (``None``, ``bool``, numbers, strings, dates, paths, tuples and frozensets of them)
  are keys as they are;
- an object with a ``__cache_key__()`` method is keyed by what it returns: the lakehouse by its
  file's identity and modification stamp (and its WAL file's) and its as-of limit, a profile by
  its whole content, the state store by the stamps of its files. ``None`` from ``__cache_key__``
  (a writable lakehouse, say) means "do not cache this call";
- anything else makes the call uncached.

So a changed profile, a lakehouse written since, a newly accepted state or another as-of date is a
different key, never a stale hit. Results are deep-copied in and out: a caller that modifies what
it got cannot change what the next caller gets. ``REBAL_CACHE=off`` in the environment turns the
memo off (the benchmark's "before", and a way to rule it out when debugging).

The memo is bounded in bytes too, not only in entries: a result larger than :data:`MAX_ENTRY_BYTES`
(a fitted target over a large universe holds its covariance: 200 MB at 5,000 names) is not kept,
and each memo drops its oldest entries beyond :data:`MAX_MEMO_BYTES` (sizes from :func:`nbytes`).
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import os
import sys
from collections import OrderedDict
from datetime import date, datetime
from pathlib import PurePath
from typing import Any, Callable, Hashable, TypeVar

__all__ = ["memoize", "cache_key", "clear", "enabled", "stats", "nbytes", "Uncacheable", "MAX_ENTRY_BYTES",
           "MAX_MEMO_BYTES"]

#: a result larger than this (bytes, :func:`nbytes`) is returned but not kept
MAX_ENTRY_BYTES = 64 * 2**20
#: the bytes a memo keeps at most: its oldest entries go first
MAX_MEMO_BYTES = 512 * 2**20

F = TypeVar("F", bound=Callable[..., Any])
_PLAIN = (type(None), bool, int, float, str, bytes, date, datetime, PurePath)
_MEMOS: list["_Memo"] = []


class Uncacheable(Exception):
    """An argument has no cache key: the call runs uncached."""


def enabled() -> bool:
    """Whether memoizing is on (``REBAL_CACHE`` is not ``off``)."""
    return os.environ.get("REBAL_CACHE", "on").strip().lower() not in ("off", "0", "no", "false")


def cache_key(value: Any) -> Hashable:
    """Return the key of one argument (see the module docstring); raise :class:`Uncacheable` if it has none."""
    if isinstance(value, _PLAIN):
        return (type(value).__name__, value)
    keyer = getattr(value, "__cache_key__", None)
    if keyer is not None and not isinstance(value, type):
        key = keyer()
        if key is None:
            raise Uncacheable(type(value).__name__)
        return (type(value).__qualname__, key)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(cache_key(v) for v in value))
    if isinstance(value, frozenset):
        return ("frozenset", frozenset(cache_key(v) for v in value))
    raise Uncacheable(type(value).__name__)


def nbytes(value: Any, _depth: int = 0, _seen: set[int] | None = None) -> int:
    """Estimate the memory ``value`` holds, in bytes.

    Arrays and frames count their buffers, containers and objects what they hold (to a depth of 8); strings
    inside frames are not counted. An estimate for the memo's bounds, not an accounting.
    """
    seen = _seen if _seen is not None else set()
    if id(value) in seen or _depth > 8:
        return 0
    seen.add(id(value))
    if hasattr(value, "nbytes") and not callable(value.nbytes):  # numpy arrays, pandas indexes and series
        n = int(value.nbytes)
        index = getattr(value, "index", None)
        return n + (nbytes(index, _depth + 1, seen) if index is not None and index is not value else 0)
    if hasattr(value, "memory_usage") and hasattr(value, "columns"):  # a DataFrame
        return int(value.memory_usage(index=True, deep=False).sum()) + nbytes(value.columns, _depth + 1, seen)
    if isinstance(value, dict):
        return sum(nbytes(k, _depth + 1, seen) + nbytes(v, _depth + 1, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(nbytes(v, _depth + 1, seen) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name, None), _depth + 1, seen) for f in dataclasses.fields(value))
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return sys.getsizeof(value) + nbytes(vars(value), _depth + 1, seen)
    return sys.getsizeof(value)


class _Memo:
    def __init__(self, fn: Callable[..., Any], maxsize: int):
        self.fn, self.maxsize = fn, maxsize
        self.store: OrderedDict[Hashable, Any] = OrderedDict()
        self.sizes: dict[Hashable, int] = {}
        self.hits = self.misses = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not enabled():
            return self.fn(*args, **kwargs)
        try:
            key = (tuple(cache_key(a) for a in args), tuple(sorted((k, cache_key(v)) for k, v in kwargs.items())))
        except Uncacheable:
            return self.fn(*args, **kwargs)
        if key in self.store:
            self.store.move_to_end(key)
            self.hits += 1
            return copy.deepcopy(self.store[key])
        self.misses += 1
        value = self.fn(*args, **kwargs)
        size = nbytes(value)
        if size > MAX_ENTRY_BYTES:
            return value  # too large to keep a second copy of
        self.store[key], self.sizes[key] = copy.deepcopy(value), size
        while len(self.store) > self.maxsize or (len(self.store) > 1 and sum(self.sizes.values()) > MAX_MEMO_BYTES):
            old, _ = self.store.popitem(last=False)
            self.sizes.pop(old, None)
        return value


def memoize(maxsize: int = 128) -> Callable[[F], F]:
    """Decorate a pure, read-only function (or method) with the keyed, copying memo of this module."""
    def wrap(fn: F) -> F:
        memo = _Memo(fn, maxsize)
        _MEMOS.append(memo)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return memo(*args, **kwargs)

        wrapper.memo = memo  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]
    return wrap


def clear() -> None:
    """Empty every memo of this process."""
    for m in _MEMOS:
        m.store.clear()
        m.sizes.clear()
        m.hits = m.misses = 0


def stats() -> dict[str, dict[str, int]]:
    """Hits, misses, entries and bytes kept of every memo (by function), for benchmarks and tests."""
    return {f"{m.fn.__module__}.{m.fn.__qualname__}": {"hits": m.hits, "misses": m.misses, "entries": len(m.store),
                                                       "bytes": sum(m.sizes.values())}
            for m in _MEMOS}
