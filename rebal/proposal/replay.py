"""The impact simulation of a proposal on the lakehouse: its window, the book as held, and the walk-forward.

The pure parts (paths, metrics, the walk-forward loop, the figure) are :mod:`rebal.proposal.simulation`;
this stage reads what they need: the baseline (:mod:`rebal.proposal.held_book`), and at each refit date
the target fitted on data up to that date, through the same mode and circuit breakers as today's
proposal (:func:`rebal.proposal.allocate.propose_allocation`).
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from rebal.allocation.target import compute_target
from rebal.errors import ConfigError, DataError
from rebal.proposal.allocate import Allocation, propose_allocation
from rebal.proposal.held_book import held_book
from rebal.proposal.noise import compare_sharpe
from rebal.proposal.simulation import Simulation, path_metrics, path_returns, walk_forward

if TYPE_CHECKING:
    from rebal.data.lakehouse import Lakehouse
    from rebal.monitor.state import StateStore
    from rebal.proposal.inputs import ProposalInputs

__all__ = ["simulate"]


def simulate(inp: ProposalInputs, lh: Lakehouse, alloc: Allocation, costs: dict, mode: str,
             states: StateStore | None) -> Simulation:
    """Simulate the proposal ``alloc`` over the profile's ``simulation_days`` (see the module docstring).

    ``costs`` is the proposal's cost summary (its ``total_bps`` is charged to the in-sample path, its
    ``rate_bps_of_traded`` to every walk-forward refit).
    """
    profile, as_of, returns = inp.profile, inp.as_of, inp.returns
    spec = profile.proposal
    rf = profile.target.risk_free_rate
    win = returns.iloc[-spec.simulation_days:]
    cost = costs["total_bps"] / 1e4
    sessions = lh.at(as_of).sessions()
    start = sessions[sessions < win.index[0]][-1]  # the session before the window: the first refit
    book = held_book(lh.at(as_of), profile.name, win, start, inp.current, states)
    notes = list(book.notes)
    base = book.returns
    ins = path_returns(alloc.proposed, win, cost=cost)
    refits = [start, *win.index[spec.refit_every - 1:-1:spec.refit_every]]
    rate = costs["rate_bps_of_traded"] / 1e4  # today's cost per dollar traded (the simulation needs trades)

    def propose_at(d: date) -> pd.Series:
        t = compute_target(profile, lh, d).weights
        r = returns[returns.index <= pd.Timestamp(d)]
        return propose_allocation(profile, t, r, mode=mode, held=[]).proposed

    oos, log, mo, cmp_oos = None, [], None, None
    try:
        wf, log = walk_forward(book.start_weights, win, refits, propose_at, rate)
        if len(wf) == len(win):
            mo = path_metrics(wf, rf)
            cmp_oos = compare_sharpe(wf, base, risk_free_rate=rf)
            oos = wf
    except (DataError, ConfigError, ValueError) as exc:
        notes.append(f"out-of-sample estimate unavailable: {exc}")
    paths = pd.DataFrame({"baseline": (1 + base).cumprod(), "in_sample": (1 + ins).cumprod()})
    if oos is not None:
        paths["out_of_sample"] = (1 + oos).cumprod()
    return Simulation(win.index[0].date(), win.index[-1].date(), len(win), cost, path_metrics(base, rf),
                      path_metrics(ins, rf), mo, paths, log, notes, book.label, book.hindsight,
                      compare_sharpe(ins, base, risk_free_rate=rf), cmp_oos, spec.refit_every, inp.value)
