"""The recommendation on a changed target: adopt it, adopt part of the way, or keep the current book.

:func:`recommend` weighs the evidence of :mod:`rebal.decision.evidence` and applies
:data:`GRADE_TABLE` top to bottom; the first row that holds gives the grade, with its reasons:

- **KEEP CURRENT** when there is nothing to trade; when the profile's own objective does not find
  the new target better beyond its noise; when a measure argues against it (beta above a defensive
  limit and higher than now, a deeper worst stress episode, a higher VaR, a significantly worse
  simulation); or when no trade towards it is worth its cost (the planner's benefit does not exceed
  the total cost). The reasons name the measure;
- **ADOPT PART-WAY** when the target is unstable (:mod:`rebal.proposal.stability`), or when the best
  trade stops short of it (it removes less than ``recommendation.adopt_share`` of the tracking-error
  variance, or its net benefit beats the full adoption's): the part-way trade of
  :mod:`rebal.proposal.options`, and how far it goes;
- **ADOPT TARGET** otherwise: the proposal's trades.

The comparison of benefit with cost uses :attr:`Recommendation.total_cost`: the trading cost plus
every component registered in :data:`COST_COMPONENTS` (a callable ``(proposal, trade_list) -> (name,
dollars)``; the tax of realised gains is meant to register there), so another cost enters the
recommendation without touching this module.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping

from rebal.decision.evidence import Evidence, benefit_usd, build_evidence, risk_measures
from rebal.decision.objective import Objective, objective

if TYPE_CHECKING:
    from rebal.proposal.build import Proposal
    from rebal.proposal.trades import TradeList

__all__ = ["GRADES", "Judgement", "GradeRow", "GRADE_TABLE", "Recommendation", "recommend", "COST_COMPONENTS",
           "RISK_KEYS", "option_costs", "TAX"]

GRADES = ("ADOPT TARGET", "ADOPT PART-WAY", "KEEP CURRENT")
#: evidence rows whose "against" keeps the current book
RISK_KEYS = ("beta", "beta_rolling", "var99", "worst_episode", "simulation")


def _estimated_tax(p: Proposal, trades: TradeList) -> tuple[str, float]:
    """Return the estimated tax of a trade list at the profile's rates (0 for a tax-exempt account)."""
    from rebal.proposal.tax import trades_tax

    return TAX, trades_tax(p, trades) if p is not None else 0.0


#: the name of the tax component of an option's costs
TAX = "estimated tax"
#: Costs beyond trading, ``(proposal, trade list) -> (name, dollars)``; each enters total_cost of every option.
#: The tax of the realised gains is one (after-tax cost = trading cost + estimated tax; a negative tax, losses
#: that offset gains realised earlier in the year, lowers it).
COST_COMPONENTS: list[Callable[["Proposal", "TradeList"], tuple[str, float]]] = [_estimated_tax]


def option_costs(p: Proposal, trades: TradeList, trading: float) -> dict[str, float]:
    """Costs of one trade list by component (dollars): ``trading`` and every :data:`COST_COMPONENTS` entry."""
    out = {"trading": float(trading)}
    for component in COST_COMPONENTS:
        name, dollars = component(p, trades)
        out[name] = out.get(name, 0.0) + float(dollars)
    return out


@dataclass(frozen=True)
class Judgement:
    """What the grading reads (dollars for money, fractions otherwise)."""

    has_trade: bool
    objective: Objective
    against: tuple[str, ...]
    unstable: tuple[str, ...]
    net_adopt: float
    net_partway: float
    partway_removed: float
    partway_toward: float
    adopt_share: float
    noise_z: float


@dataclass(frozen=True)
class GradeRow:
    """One row of the grading table: when ``condition`` holds, the grade is ``grade`` because ``reason``."""

    number: int
    when: str
    grade: str
    condition: Callable[[Judgement], bool]
    reason: Callable[[Judgement], str]


def _usd(x: float) -> str:
    return ("−" if x < 0 else "") + f"${abs(x):,.0f}"


def _short(j: Judgement) -> bool:
    return j.partway_removed < j.adopt_share or j.net_partway > j.net_adopt


GRADE_TABLE: tuple[GradeRow, ...] = (
    GradeRow(1, "nothing to trade towards the target", "KEEP CURRENT", lambda j: not j.has_trade,
             lambda j: "there is no trade towards the target (blocked, or every trade below the minimum)"),
    GradeRow(2, "the profile's objective does not find the new target better beyond its noise", "KEEP CURRENT",
             lambda j: not j.objective.better,
             lambda j: f"not better on its objective beyond the noise: {j.objective.words(j.noise_z)}"),
    GradeRow(3, "a measure argues against the new target (or against the part-way book row 5 would trade)",
             "KEEP CURRENT", lambda j: bool(j.against),
             lambda j: "evidence against the new target: " + "; ".join(j.against)),
    GradeRow(4, "no trade towards the target is worth its cost", "KEEP CURRENT",
             lambda j: max(j.net_adopt, j.net_partway) <= 0,
             lambda j: f"no trade is worth its cost (planner's benefit less total cost: adopt {_usd(j.net_adopt)}, "
                       f"part-way {_usd(j.net_partway)})"),
    GradeRow(5, "the target is unstable, or the best trade stops short of it", "ADOPT PART-WAY",
             lambda j: bool(j.unstable) or _short(j),
             lambda j: (f"unstable target ({', '.join(j.unstable)}): {j.partway_toward:.0%} of the way"
                        if j.unstable else
                        f"costs stop it short: part-way nets {_usd(j.net_partway)} vs {_usd(j.net_adopt)} adopting "
                        f"({j.partway_removed:.0%} of the tracking-error variance removed)")),
    GradeRow(6, "otherwise", "ADOPT TARGET", lambda j: True,
             lambda j: f"better on the profile's objective beyond its noise ({j.objective.words(j.noise_z)}), stable, "
                       f"nothing against it, and its benefit exceeds its cost by {_usd(j.net_adopt)}"),
)


@dataclass(frozen=True)
class Recommendation:
    """The graded recommendation and its evidence (see the module docstring); money in dollars.

    ``option`` is the trade list it recommends (``adopt``: the proposal's trades, ``part-way``, or None
    to keep the current book); ``costs`` and ``benefit`` are those of that option (of the full adoption
    when keeping); ``toward`` and ``te_removed`` say how far a part-way trade goes.
    """

    grade: str
    rule: int
    reasons: tuple[str, ...]
    option: str | None
    objective: Objective
    evidence: Evidence
    costs: Mapping[str, float]
    benefit: float
    n_trades: int
    traded_value: float
    toward: float
    te_removed: float
    proposal_id: str

    @property
    def total_cost(self) -> float:
        """Sum of :attr:`costs` (trading and any registered component), dollars."""
        return float(sum(self.costs.values()))

    @property
    def net(self) -> float:
        """Benefit less total cost, dollars."""
        return self.benefit - self.total_cost

    def headline(self) -> str:
        """Return the grade and, for a trade, what it trades and how far (one line)."""
        if self.option is None:
            return f"{self.grade}: no discretionary trade"
        how = (f", {self.te_removed:.0%} of the tracking-error variance to the target removed"
               + (f", aimed {self.toward:.0%} of the way" if self.toward < 1 else "")) if self.option == "part-way" \
            else ""
        taxed = any(k != "trading" for k in self.costs)
        cost = (f"cost ${self.total_cost:,.0f}{' after tax' if taxed else ''}" if self.total_cost >= 0 else
                f"a net saving of ${-self.total_cost:,.0f} after tax (the losses it realises save more tax than "
                "the trades cost)")
        return (f"{self.grade}: {self.n_trades} trade(s) worth ${self.traded_value:,.0f}, {cost}, against a "
                f"benefit of ${self.benefit:,.0f}{how}")

    def to_json(self) -> dict[str, Any]:
        """Plain types (the evidence rows included) for JSON outputs, scraps and the packet."""
        def num(x: float) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None
        o = self.objective
        return {"grade": self.grade, "rule": self.rule, "reasons": list(self.reasons), "option": self.option,
                "headline": self.headline(), "proposal_id": self.proposal_id,
                "objective": {"kind": o.kind, "name": o.name, "now": num(o.now), "adopt": num(o.adopt),
                              "partway": num(o.partway) if o.partway is not None else None, "z": num(o.z),
                              "se": num(o.se), "better": o.better, "basis": o.basis},
                "costs": {k: num(v) for k, v in self.costs.items()}, "total_cost": num(self.total_cost),
                "benefit": num(self.benefit), "net": num(self.net), "n_trades": self.n_trades,
                "traded_value": num(self.traded_value), "toward": num(self.toward), "te_removed": num(self.te_removed),
                "evidence": self.evidence.to_json()}


def _simulation(p: Proposal) -> tuple[str, str]:
    fig = p.figure
    if fig is None:
        return p.verdict, "neutral"
    says = "not significant" if not fig.significant else ("for" if fig.difference > 0 else "against")
    return fig.short(), says


def _books(p: Proposal) -> dict[str, Any]:
    books = {"now": p.current, "adopt": p.proposed}
    if p.partway is not None and len(p.partway.trades.trades):
        books["partway"] = p.partway.weights
    return books


def _partway_against(m: dict[str, dict[str, Any]], rs) -> tuple[str, ...]:
    """Return the risk measures on which the part-way book is worse than now beyond the evidence's tolerances.

    The part-way book is a book of its own: when it would be the recommendation (row 5), it must not lose more
    than the current book in the worst stress episode, nor carry a higher VaR, by the same tolerances that
    judge the full adoption (:func:`rebal.decision.evidence.build_evidence`).
    """
    now, pw, out = m["now"], m["partway"], []
    if pw["worst"] < now["worst"] - rs.stress_tolerance:  # NaN compares False
        out.append(f"the part-way book's worst stress episode is deeper ({pw['worst_name']}: {now['worst']:.1%} now "
                   f"→ {pw['worst']:.1%})")
    if pw["var99"] > now["var99"] * (1 + rs.var_tolerance):
        out.append(f"the part-way book's VaR 1 day 99 % is higher by more than {rs.var_tolerance:.0%} "
                   f"({now['var99']:.2%} → {pw['var99']:.2%})")
    return tuple(out)


def recommend(p: Proposal, lh) -> Recommendation:
    """Grade the proposal ``p`` (see the module docstring); ``lh`` is the lakehouse (risk and stress inputs)."""
    noise_z = p.profile.proposal.noise_z
    obj = objective(p, lh, noise_z)
    books = _books(p)
    measures = risk_measures(p, lh, books)
    pw = p.partway if "partway" in books else None
    costs: dict[str, Any] = {"adopt": option_costs(p, p.trades, p.costs["total_usd"])}
    if pw is not None:
        costs["partway"] = option_costs(p, pw.trades, pw.cost_usd)
    total = {b: float(sum(c.values())) for b, c in costs.items()}
    benefits = {b: benefit_usd(p, w) for b, w in books.items() if b != "now"}
    st = p.stability
    taxable = p.tax is not None and not p.tax.exempt
    ev = build_evidence(p, measures, obj, {b: c["trading"] for b, c in costs.items()}, benefits,
                        st.short() if st is not None else "not measured", bool(st is not None and st.unstable),
                        _simulation(p), tax={b: c.get(TAX, 0.0) for b, c in costs.items()} if taxable else None)
    against = tuple(f"{r.measure} {r.note}".strip() for r in ev.rows if r.key in RISK_KEYS and r.says == "against")
    j = Judgement(has_trade=not p.blocked and not p.trades.trades.empty, objective=obj,
                  against=tuple(dict.fromkeys(against)), unstable=st.short_reasons if st is not None else (),
                  net_adopt=benefits["adopt"] - total["adopt"],
                  net_partway=benefits.get("partway", 0.0) - total.get("partway", 0.0),
                  partway_removed=pw.te_removed if pw is not None else 1.0,
                  partway_toward=pw.toward if pw is not None else 1.0,
                  adopt_share=p.profile.proposal.recommendation.adopt_share, noise_z=noise_z)
    if "partway" in measures and (j.unstable or _short(j)):  # row 5 would trade the part-way book: judge it too
        j = replace(j, against=j.against + _partway_against(measures, p.profile.proposal.recommendation))
    row = next(r for r in GRADE_TABLE if r.condition(j))
    option = {"ADOPT TARGET": "adopt", "ADOPT PART-WAY": "part-way"}.get(row.grade)
    if option == "part-way" and pw is None:  # no part-way trade on offer: nothing short of adopting
        row, option = GRADE_TABLE[0], None
    key = "partway" if option == "part-way" else "adopt"
    tl = pw.trades if option == "part-way" else p.trades
    return Recommendation(row.grade, row.number, (row.reason(j),), option, obj, ev, costs[key], benefits[key],
                          int(len(tl.trades)) if option else 0,
                          float(tl.trades["value"].sum()) if option and len(tl.trades) else 0.0,
                          pw.toward if option == "part-way" else 1.0, pw.te_removed if option == "part-way" else 1.0,
                          p.id)
