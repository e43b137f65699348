"""SQL of the ``llm_calls`` table: every recorded call of the LLM-assisted views, replayed on reruns.

One row per call (:data:`COLUMNS`): the profile and as-of date, when and how it was recorded
(``origin``: ``call``, ``call-again`` or ``backfill``), the provider, model and endpoint (a base URL,
never a key), the SHA-256 of the request sent (``prompt_hash``), the dates of the newest news item
and price the request rests on, the request itself, the status (``ok``, ``fallback``,
``unavailable``), the error, the raw response (and the offline fallback's), the views after the
guardrails as JSON, the seconds the call took and the attempts it needed. What a call means is
:mod:`rebal.llm`'s; this module only reads and writes rows.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

import pandas as pd

from rebal.data.lakehouse import Lakehouse

__all__ = ["COLUMNS", "insert_calls", "find_call", "get_call", "calls_before"]

#: the columns of ``llm_calls``, in table order
COLUMNS = ("call_id", "profile", "as_of", "recorded_at", "origin", "provider", "model", "endpoint", "prompt_hash",
           "news_through", "prices_through", "request", "status", "error", "raw_response", "fallback_response",
           "parsed", "seconds", "attempts")


def insert_calls(lh: Lakehouse, rows: list[Mapping[str, Any]]) -> None:
    """Insert recorded calls (mappings with every key of :data:`COLUMNS`) in one transaction."""
    if not rows:
        return
    with lh.transaction() as con:
        con.executemany(f"INSERT INTO llm_calls VALUES ({', '.join('?' * len(COLUMNS))})",
                        [[r[c] for c in COLUMNS] for r in rows])


def _value(v: Any) -> Any:
    if not isinstance(v, str) and pd.isna(v):
        return None
    return v.date() if isinstance(v, pd.Timestamp) else v


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts: NULL as None, dates as ``datetime.date``."""
    return [{k: _value(v) for k, v in r.items()} for r in df.to_dict("records")]


def find_call(lh: Lakehouse, profile: str, as_of: date, prompt_hash: str) -> dict[str, Any] | None:
    """Return the latest recorded call of ``profile`` for ``as_of`` with this request hash, or None.

    None too when the lakehouse has no ``llm_calls`` table (built before it existed).
    """
    if "llm_calls" not in lh.table_names():
        return None
    df = lh.con.execute("SELECT * FROM llm_calls WHERE profile = ? AND as_of = ? AND prompt_hash = ? "
                        "ORDER BY recorded_at DESC, call_id DESC LIMIT 1", [profile, as_of, prompt_hash]).df()
    return None if df.empty else _rows(df)[0]


def get_call(lh: Lakehouse, call_id: str) -> dict[str, Any] | None:
    """Return the recorded call ``call_id``, or None."""
    if "llm_calls" not in lh.table_names():
        return None
    df = lh.con.execute("SELECT * FROM llm_calls WHERE call_id = ?", [call_id]).df()
    return None if df.empty else _rows(df)[0]


def calls_before(lh: Lakehouse, profile: str, before: date) -> pd.DataFrame:
    """Return the profile's calls recorded for dates before ``before``: the latest record per as-of date.

    Columns ``call_id``, ``as_of`` (``datetime.date``), ``recorded_at``, ``origin``, ``provider``, ``model``,
    ``status``, ``parsed``; oldest first. Empty when there is none (or no table).
    """
    cols = ["call_id", "as_of", "recorded_at", "origin", "provider", "model", "status", "parsed"]
    if "llm_calls" not in lh.table_names():
        return pd.DataFrame(columns=cols)
    df = lh.con.execute(
        f"SELECT {', '.join(cols)} FROM (SELECT *, row_number() OVER (PARTITION BY as_of ORDER BY recorded_at DESC, "
        "call_id DESC) AS k FROM llm_calls WHERE profile = ? AND as_of < ?) WHERE k = 1 ORDER BY as_of",
        [profile, before]).df()
    if len(df):
        df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    return df
