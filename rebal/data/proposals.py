"""SQL of the ``proposals`` table: rebalance proposals by content id, their approval and execution status.

Status moves PROPOSED (or BLOCKED) -> APPROVED -> EXECUTED; the rules live in
:mod:`rebal.proposal.execution`, this module only reads and writes rows.
"""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from rebal.data.lakehouse import Lakehouse

__all__ = ["insert_proposal", "get_proposal", "latest_approved_id", "mark_approved", "mark_executed",
           "list_proposals"]


def insert_proposal(lh: Lakehouse, *, proposal_id: str, profile: str, as_of: date, created_at: str, status: str,
                    recommendation: str, path: str, doc: str) -> None:
    """Insert a proposal unless its id exists (keeping an existing approval), in one transaction.

    For an existing id only a non-empty ``path`` is updated.
    """
    with lh.transaction() as con:
        if con.execute("SELECT 1 FROM proposals WHERE id = ?", [proposal_id]).fetchone() is None:
            con.execute("INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?)",
                        [proposal_id, profile, as_of, created_at, status, recommendation, path, doc])
        elif path:
            con.execute("UPDATE proposals SET path = ? WHERE id = ?", [path, proposal_id])


def get_proposal(lh: Lakehouse, proposal_id: str) -> dict | None:
    """Return the row of ``proposal_id`` as a dict without the JSON document (NULL as None), or None."""
    if "proposals" not in lh.table_names():  # a lakehouse built before proposals existed
        return None
    df = lh.con.execute("SELECT * EXCLUDE (doc) FROM proposals WHERE id = ?", [proposal_id]).df()
    return None if df.empty else {k: (None if pd.isna(v) else v) for k, v in df.iloc[0].to_dict().items()}


def latest_approved_id(lh: Lakehouse, profile: str) -> str | None:
    """Id of the profile's most recently created APPROVED proposal, or None."""
    row = lh.con.execute("SELECT id FROM proposals WHERE profile = ? AND status = 'APPROVED' "
                         "ORDER BY created_at DESC LIMIT 1", [profile]).fetchone()
    return None if row is None else row[0]


def mark_approved(lh: Lakehouse, proposal_id: str, *, by: str, at: str, note: str) -> None:
    """Set status APPROVED with who, when and the note (one transaction)."""
    with lh.transaction() as con:
        con.execute("UPDATE proposals SET status = 'APPROVED', approved_by = ?, approved_at = ?, approval_note = ? "
                    "WHERE id = ?", [by, at, note, proposal_id])


def mark_executed(con: duckdb.DuckDBPyConnection, proposal_id: str, executed_at: str) -> None:
    """Set status EXECUTED, inside the caller's transaction (the one that writes the fills)."""
    con.execute("UPDATE proposals SET status = 'EXECUTED', executed_at = ? WHERE id = ?", [executed_at, proposal_id])


def list_proposals(lh: Lakehouse, profile: str | None = None) -> pd.DataFrame:
    """List the proposals of one ``profile`` (or all), newest first.

    Columns: id, profile, as_of, status, recommendation (the proposal's simulation verdict:
    IMPROVES / WITHIN NOISE / WORSENS / NOT SIMULATED; older rows may hold the former
    REBALANCE / OPTIONAL / HOLD / BLOCKED), approval and execution times; an empty frame when the
    table does not exist.
    """
    if "proposals" not in lh.table_names():
        return pd.DataFrame()
    where = "WHERE profile = ?" if profile else ""
    return lh.con.execute(f"SELECT id, profile, as_of, status, recommendation, approved_by, approved_at, executed_at "
                          f"FROM proposals {where} ORDER BY created_at DESC", [profile] if profile else []).df()
