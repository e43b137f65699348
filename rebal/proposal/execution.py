"""Approval and execution of proposals; post-trade verification; the rebalance history.

- :func:`record_proposal` stores a proposal (id, status, simulation verdict, JSON) in the
  ``proposals`` table (the verdict goes to its ``recommendation`` column), and its required remedial
  part under its own id (``recommendation`` REMEDIAL), so either can be approved apart;
  re-recording the same id keeps its approval.
- :func:`approve` records who approved a proposal and when (``rebal approve ID``).
- :func:`execute_proposal` requires an APPROVED proposal whose id matches the one rebuilt from
  today's data (or, for ``option``, the approved id of that trade list: the remedial part's own id, or
  the proposal's id for its part-way trade), sends its trades as one batch to a broker (the
  :class:`~rebal.proposal.broker.PaperBroker`
  by default) and, inside the same transaction, verifies the result: allocations recomputed
  from the new positions, every limit checked again, actual vs estimated costs, drift before and
  after; appends the execution summary to ``rebalance_history`` (the last
  :data:`HISTORY_KEEP` per profile are kept) and marks the proposal EXECUTED. Then the Last
  Implemented State is updated (atomic file write, with history). A rejected order rolls the
  whole batch back; the failure is recorded in the history and the positions are unchanged.

What can fail is checked before the broker commits: the state file's history parses and its
directory takes a new file (:meth:`~rebal.monitor.state.StateStore.check_writable`), the profile's
state lock is held from before the commit to after the state write, and the new state is built and
serialised inside the batch's transaction (a failure there rolls the batch back). The one step
left after the commit is the file write itself: when it fails (disk full, a directory that turned
read-only), the execution stands and :attr:`ExecutionReport.followup_error` says what failed and
:attr:`ExecutionReport.repair` the command that records the executed holdings as the state
(``rebal accept-state --profile NAME --as-of DATE --from-holdings``); nothing is reported as failed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from rebal.analytics.drift import portfolio_drift, weights_from_holdings
from rebal.data import proposals, trading
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import ApprovalError, ExecutionError, StateError
from rebal.monitor.state import StateEntry, StateStore, default_actor
from rebal.proposal.broker import Account, Broker, Fill, Order, PaperBroker
from rebal.proposal.build import Proposal
from rebal.proposal.modes import check_limits
from rebal.proposal.options import TradeOption
from rebal.proposal.serialize import proposal_json
from rebal.provenance import utc_stamp

__all__ = ["HISTORY_KEEP", "POST_TRADE_TOLERANCE", "record_proposal", "get_proposal", "approve", "execute_proposal",
           "ExecutionReport", "rebalance_history"]

HISTORY_KEEP = 50
#: Post-trade limit checks pass within this many points of a limit (0.01 %): whole shares are sized
#: on the value net of *estimated* costs, so the realised weight of a position at its limit can
#: exceed it by the gap between actual and estimated costs (about 1e-6 on the sample).
POST_TRADE_TOLERANCE = 1e-4


_now = utc_stamp


def record_proposal(lh: Lakehouse, p: Proposal, path: str = "") -> dict:
    """Insert the proposal unless its id exists; return its row (status, approval)."""
    doc = json.dumps(proposal_json(p), default=str)
    proposals.insert_proposal(lh, proposal_id=p.id, profile=p.profile.name, as_of=p.as_of, created_at=p.created_at,
                              status="BLOCKED" if p.blocked else "PROPOSED", recommendation=p.verdict,
                              path=path, doc=doc)
    if p.remedial is not None:
        proposals.insert_proposal(lh, proposal_id=p.remedial.id, profile=p.profile.name, as_of=p.as_of,
                                  created_at=p.created_at, status="PROPOSED", recommendation="REMEDIAL", path=path,
                                  doc=json.dumps({"proposal_id": p.id, **p.remedial.to_json()}, default=str))
    return get_proposal(lh, p.id)


def get_proposal(lh: Lakehouse, proposal_id: str) -> dict | None:
    """Return the proposals row of ``proposal_id`` as a dict (without the JSON document), or None."""
    return proposals.get_proposal(lh, proposal_id)


def approve(lh: Lakehouse, proposal_id: str, *, by: str | None = None, note: str = "") -> dict:
    """Mark a PROPOSED proposal APPROVED by ``by`` (default user@host) now."""
    row = get_proposal(lh, proposal_id)
    if row is None:
        raise ApprovalError(f"proposal {proposal_id!r} not found; `rebal propose --profile NAME` prints the id")
    if row["status"] == "BLOCKED":
        raise ApprovalError(f"proposal {proposal_id} is BLOCKED (its limits cannot all hold): it cannot be approved")
    if row["status"] == "APPROVED":
        raise ApprovalError(f"proposal {proposal_id} was already approved by {row['approved_by']} "
                            f"at {row['approved_at']}")
    if row["status"] == "EXECUTED":
        raise ApprovalError(f"proposal {proposal_id} was already executed at {row['executed_at']}")
    proposals.mark_approved(lh, proposal_id, by=by or default_actor(), at=_now(), note=note)
    return get_proposal(lh, proposal_id)


@dataclass
class ExecutionReport:
    """What an execution did and how it checks out."""

    proposal_id: str
    status: str  # EXECUTED or EXECUTED_LIMIT_BREACH
    fills: pd.DataFrame
    weights_after: pd.Series
    checks: pd.DataFrame
    est_cost_bps: float
    actual_cost_bps: float
    drift_before: float
    drift_after: float
    residual_vs_proposed: float
    cash_after: float
    state: StateEntry | None = None
    #: what failed after the commit (the execution stands), e.g. the state file write; "" when nothing did
    followup_error: str = ""
    #: the command that repairs it
    repair: str = ""

    def summary(self) -> dict:
        """Return the report as plain types: costs in bps, drifts as fractions, cash in dollars."""
        return {"proposal_id": self.proposal_id, "status": self.status, "trades": len(self.fills),
                "est_cost_bps": round(self.est_cost_bps, 3), "actual_cost_bps": round(self.actual_cost_bps, 3),
                "drift_before": round(self.drift_before, 6), "drift_after": round(self.drift_after, 6),
                "residual_vs_proposed": round(self.residual_vs_proposed, 6),
                "limits_ok": bool((self.checks["status"] == "PASS").all()), "cash_after": round(self.cash_after, 2)}


def _history_row(con, p: Proposal, status: str, executed_at: str, summary: dict, *, n_trades: int,
                 est: float | None, actual: float | None, before: float, after: float | None, ok: bool | None,
                 pid: str | None = None) -> None:
    trading.append_history(con, profile=p.profile.name, executed_at=executed_at, proposal_id=pid or p.id, as_of=p.as_of,
                           status=status, mode=p.allocation.mode, n_trades=n_trades, est_cost_bps=est,
                           actual_cost_bps=actual, drift_before=before, drift_after=after, limits_ok=ok,
                           summary_json=json.dumps(summary, default=str), keep=HISTORY_KEEP)


def execute_proposal(p: Proposal, lh: Lakehouse, states: StateStore, *, broker: Broker | None = None,
                     executed_by: str | None = None, option: TradeOption | None = None) -> ExecutionReport:
    """Execute an approved proposal (see the module docstring). ``lh`` must be open for writing.

    ``option``: one of the proposal's other trade lists (its part-way trade, approved under the proposal's
    id, or its remedial part, approved under its own id) instead of the full adoption.
    """
    pid = option.id if option is not None and option.id else p.id
    row = get_proposal(lh, pid)
    if row is None or row["status"] in ("PROPOSED", "BLOCKED"):
        approved = proposals.latest_approved_id(lh, p.profile.name)
        hint = (f"; proposal {approved} is approved but was built on other data or parameters, so it no longer "
                "matches" if approved and approved != pid else "")
        if row is not None and row["status"] == "BLOCKED":
            raise ApprovalError(f"proposal {pid} is BLOCKED: nothing to execute")
        raise ApprovalError(f"proposal {pid} is not approved: review it, then run `rebal approve {pid}`{hint}")
    if row["status"] == "EXECUTED":
        raise ApprovalError(f"proposal {pid} was already executed at {row['executed_at']}")
    trades = option.trades if option is not None else p.trades
    proposed = option.weights if option is not None else p.proposed
    est_bps = 1e4 * option.cost_usd / p.value if option is not None else p.costs["total_bps"]
    broker = broker or PaperBroker(lh, p.profile.name, p.as_of, commission_bps=p.profile.planner.commission_bps,
                                   impact_coefficient=p.profile.planner.impact_coefficient,
                                   slippage_tolerance_bps=p.profile.proposal.slippage_tolerance_bps)
    acc = broker.account()  # the holdings the proposal was built on (its id pins them)
    t = trades.trades
    orders = [Order(r.ticker, r.action, float(r.shares), float(r.price), float(r.est_cost)) for r in t.itertuples()]
    executed_at = _now()
    result: dict = {}
    name = p.profile.name
    states.check_writable(name)  # before anything changes: a state that cannot be written refuses the execution

    def finalize(con, fills: list[Fill], after: Account) -> None:
        tickers = list(after.positions.index)
        closes = broker.prices(tickers) if tickers else pd.Series(dtype=float)
        w_after = weights_from_holdings(after.positions, closes, after.cash)
        sleeves = p.allocation.after_mode.index.union(w_after.drop(CASH, errors="ignore").index)
        checks = check_limits(w_after.drop(CASH, errors="ignore").reindex(sleeves).fillna(0.0), p.allocation.clusters,
                              p.profile.proposal.limits, tolerance=POST_TRADE_TOLERANCE)
        actual = sum(f.cost for f in fills)
        value = p.value
        rep = ExecutionReport(
            pid, "EXECUTED" if (checks["status"] == "PASS").all() else "EXECUTED_LIMIT_BREACH",
            pd.DataFrame([{**vars(f), "value": f.value, "cost": f.cost} for f in fills]), w_after, checks,
            est_bps, 1e4 * actual / value, p.drift, portfolio_drift(w_after, p.target),
            portfolio_drift(w_after, proposed), after.cash)
        summary = {**rep.summary(), "mode": p.allocation.mode, "executed_by": executed_by or default_actor(),
                   "positions_before": {k: float(v) for k, v in acc.positions.items()}, "cash_before": acc.cash,
                   "failed_checks": checks[checks["status"] == "FAIL"].to_dict("records")}
        _history_row(con, p, rep.status, executed_at, summary, n_trades=len(fills), est=rep.est_cost_bps,
                     actual=rep.actual_cost_bps, before=rep.drift_before, after=rep.drift_after,
                     ok=bool((checks["status"] == "PASS").all()), pid=pid)
        proposals.mark_executed(con, pid, executed_at)
        # the new state, built and serialised inside the transaction: if it cannot be, nothing is committed
        note = f"proposal {pid} executed ({len(orders)} trades)"
        result["state"] = states.prepare(name, w_after, as_of=p.as_of, source="paper execution",
                                         accepted_by=executed_by, note=note)
        result["report"] = rep

    with states.lock(name):  # no other writer between the commit and the state write
        try:
            broker.execute(orders, batch_id=pid, finalize=finalize)
        except ExecutionError as exc:
            with lh.transaction() as con:
                _history_row(con, p, "FAILED", executed_at,
                             {"error": str(exc), "executed_by": executed_by or default_actor()},
                             n_trades=0, est=est_bps, actual=None, before=p.drift, after=None, ok=None, pid=pid)
            raise ExecutionError(f"proposal {pid}: execution failed, nothing was applied (positions unchanged): "
                                 f"{exc}") from None
        rep: ExecutionReport = result["report"]
        entry, text = result["state"]
        try:
            states.write_prepared(name, text)
            rep.state = entry
        except StateError as exc:  # committed: the execution stands; say what to run
            rep.followup_error = f"updating the Last Implemented State failed: {exc}"
            rep.repair = f"rebal accept-state --profile {name} --as-of {p.as_of} --from-holdings"
    return rep


def rebalance_history(lh: Lakehouse, profile: str) -> pd.DataFrame:
    """Return the profile's execution summaries, newest first (:func:`rebal.data.trading.rebalance_history`)."""
    return trading.rebalance_history(lh, profile)
