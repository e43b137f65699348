"""Evidence for a profile's decision page: rows current → proposed, small tables, and the lines to sign.

A report's page module turns its scraps into evidence (:attr:`rebal.report.registry.ReportSpec.evidence`,
``.sign``); the packet lays every report's evidence out on the profile's decision page, ordered by
``order``, each item linked to the section of the report it comes from (``anchor``: the heading's
id in the report). The items hold formatted text, so the packet knows no report, no scrap and no
number format: a new row (a dollar benefit, a tax figure, a stability measure) is one more item,
with no layout work. Items are plain data; :func:`rows_from_json` and :func:`signs_from_json` read
lists of dicts recorded as scraps (the decision report's ``evidence`` and ``to_sign``), for a report
that records its evidence that way.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, fields, replace
from typing import Any, Iterable, Mapping

__all__ = ["EvidenceRow", "EvidenceTable", "SignItem", "rows_from_json", "signs_from_json", "merge_rows", "pct",
           "money"]


@dataclass(frozen=True)
class EvidenceRow:
    """One figure of the decision, current → proposed, with what it is measured against.

    Parameters
    ----------
    label
        What the figure is, with its unit or base ("Volatility, annualised").
    current, proposed
        The figure for the book as held and as proposed (text; empty when it has no such side).
    against
        What it is compared with: a limit, the benchmark, a threshold, a standard error.
    flag
        A warning the reader must see with the number (a rejected model, a proxy); shown in red.
    anchor
        Id of the heading of the report's section the figure comes from ("" for none).
    order
        Position on the page (lower first) across every report's rows.
    partway
        The figure for the part-way trade, when the proposal offers one ("" otherwise).
    says
        What the row says about the new target: ``for``, ``against``, ``neutral`` or ``not significant``,
        with a reason after a colon ("against: deeper (2020 Covid crash)"); "" when it is not judged.
    key
        The measure's name when several reports give it ("volatility", "var99"): the packet shows one row,
        with the decision report's figures and verdict, every report's caveats, and the link to the
        other report's section (where the figure is explained).
    """

    label: str
    current: str = ""
    proposed: str = ""
    against: str = ""
    flag: str = ""
    anchor: str = ""
    order: int = 50
    partway: str = ""
    says: str = ""
    key: str = ""


@dataclass(frozen=True)
class EvidenceTable:
    """A small table on the decision page (the stress episodes, the trades in brief), linked to its section.

    ``flagged`` marks rows shown in red (same length as ``rows`` when given); ``more`` says what was left
    out ("and 7 more trades").
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    flagged: tuple[bool, ...] = ()
    note: str = ""
    more: str = ""
    anchor: str = ""
    order: int = 50


@dataclass(frozen=True)
class SignItem:
    """One line to sign: what is approved, its id (the same on every page and file) and what it does."""

    what: str
    id: str
    detail: str = ""
    #: a required item (a hard limit broken now, data to fix) comes first, apart from the optional ones
    required: bool = False

    def html(self) -> str:
        """Write what is approved (HTML): a required item says so, in bold, unless its words already do."""
        said = "required" in self.what.lower()
        head = f"<b>{html.escape(self.what)}</b>" if self.required and said else html.escape(self.what)
        return ("<b>required</b>: " if self.required and not said else "") + head


def rows_from_json(items: Iterable[Mapping[str, Any]]) -> list[EvidenceRow]:
    """Read evidence rows recorded as plain dicts (unknown keys are ignored, missing ones take their defaults)."""
    names = {f.name for f in fields(EvidenceRow)}
    return [EvidenceRow(**{k: (int(v) if k == "order" else str(v)) for k, v in dict(d).items()
                           if k in names and v is not None})
            for d in items if isinstance(d, Mapping) and d.get("label")]


def signs_from_json(items: Iterable[Mapping[str, Any]]) -> list[SignItem]:
    """Read lines to sign recorded as plain dicts (``what``, ``id``, optional ``detail`` and ``required``)."""
    return [SignItem(str(d["what"]), str(d["id"]), str(d.get("detail", "")), bool(d.get("required", False)))
            for d in items if isinstance(d, Mapping) and d.get("what") and d.get("id")]


def merge_rows(rows: list[tuple[str, EvidenceRow]], decision: str) -> list[tuple[str, EvidenceRow]]:
    """Make one row of the rows sharing a ``key`` (rows without one pass as they are), as (report, row).

    The decision report's row (``decision``: its notebook) gives the figures, the part-way figure and
    what the row says; the other reports' rows give their "measured against" text (in place of the
    decision report's) and add their caveats, and the link goes to the first of them (the report where
    the figure is explained). The merged row takes the lowest ``order`` of its key.
    """
    groups: dict[str, list[tuple[str, EvidenceRow]]] = {}
    for nb, r in rows:
        if r.key:
            groups.setdefault(r.key, []).append((nb, r))
    out, done = [], set()
    for nb, r in rows:
        if not r.key:
            out.append((nb, r))
            continue
        if r.key in done:
            continue
        done.add(r.key)
        group = groups[r.key]
        main_nb, main = next((x for x in group if x[0] == decision), group[0])
        others = [(n, x) for n, x in group if x is not main]
        src = next(((n, x.anchor) for n, x in others if x.anchor), (main_nb, main.anchor))
        against = "; ".join(dict.fromkeys(x.against for _, x in others if x.against)) or main.against
        flag = "; ".join(dict.fromkeys(x.flag for x in [main] + [x for _, x in others] if x.flag))
        out.append((src[0], replace(main, label=main.label or others[0][1].label, against=against, flag=flag,
                                    anchor=src[1], order=min(x.order for _, x in group))))
    return out


def pct(x: Any, fmt: str = ".1%") -> str:
    """Format a fraction as a percentage with a space before the sign (``—`` when missing)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "—"
    if v != v or v in (float("inf"), float("-inf")):
        return "—"
    return format(v, fmt).replace("%", " %").replace("-", "−")


def money(x: Any) -> str:
    """Format dollars as $1.2M / $340k / $950 (``—`` when missing)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "—"
    a = abs(v)
    text = f"${a / 1e9:.2f}B" if a >= 1e9 else f"${a / 1e6:.1f}M" if a >= 1e6 else f"${a / 1e3:.0f}k" if a >= 1e3 \
        else f"${a:,.0f}"
    return ("−" if v < 0 else "") + text
