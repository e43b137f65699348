"""A profile's decision page, from data: the decision, the evidence current → proposed, what would be signed.

Every item on the page comes from the registry's hooks over the profile's scraps (the evidence of
each report, :mod:`rebal.report.evidence`; the lines to sign), ordered by ``order``: a new row or a
second line to sign is one more item, and the page lays it out like the others. Each figure links
to the section of the report it comes from (``p. 38`` in the PDF, the report in the HTML packet).

Profiles with nothing to decide (the decision report's ``decides`` hook) get no page and no "What
would be signed" box: one table row each on a shared page, however many there are.
"""
from __future__ import annotations

import html
from typing import Any

from rebal.report.evidence import EvidenceRow, EvidenceTable, SignItem, merge_rows, rows_from_json, signs_from_json
from rebal.report.packet.entries import PacketEntry, decision_entry, ordered, profiles
from rebal.report.packet.refs import Refs
from rebal.report.pages.decision_view import SAYS_COLORS
from rebal.report.pages.weekly_review import decision_badge

__all__ = ["SAMPLE_MARK", "evidence_of", "sign_items", "decides", "decision_page", "quiet_page", "flags_of"]

SAMPLE_MARK = "SAMPLE DATA — NOT FOR INVESTMENT DECISIONS"


def evidence_of(entries: list[PacketEntry], profile: str) -> list[tuple[str, Any]]:
    """Every evidence item of the profile's rendered reports as (report, item), in page order.

    Rows of several reports with the same ``key`` are one row (:func:`rebal.report.evidence.merge_rows`).
    """
    out: list[tuple[str, Any]] = []
    for e in ordered([x for x in entries if x.profile == profile and x.ok and x.spec is not None]):
        items = list(e.spec.evidence(e.scraps)) if e.spec.evidence is not None else []
        if e.spec.role == "decision":  # a decision report may also record its evidence as a scrap
            items += rows_from_json(e.scraps.get("evidence") or [])
        out += [(e.notebook, it) for it in items]
    d = decision_entry(entries, profile)
    rows = merge_rows([(nb, it) for nb, it in out if isinstance(it, EvidenceRow)], d.notebook if d else "")
    return sorted(rows + [(nb, it) for nb, it in out if not isinstance(it, EvidenceRow)], key=lambda x: x[1].order)


def sign_items(entries: list[PacketEntry], profile: str) -> list[tuple[str, SignItem]]:
    """Return the lines to sign of a profile as (report, item), required ones first.

    From the reports' ``sign`` hooks, and from a decision report's ``to_sign`` scrap (a list of dicts with
    the keys of :class:`~rebal.report.evidence.SignItem`) when it records one.
    """
    out = []
    for e in ordered([x for x in entries if x.profile == profile and x.ok and x.spec is not None]):
        items = list(e.spec.sign(e.scraps)) if e.spec.sign is not None else []
        if e.spec.role == "decision":
            items += signs_from_json(e.scraps.get("to_sign") or [])
        out += [(e.notebook, it) for it in items]
    return sorted(out, key=lambda x: not x[1].required)


def flags_of(entries: list[PacketEntry], profile: str) -> list[tuple[str, str]]:
    """Return the caveats of a profile's reports for the cover, as (report, text)."""
    return [(e.notebook, f) for e in ordered([x for x in entries if x.profile == profile and x.ok])
            if e.spec is not None and e.spec.flags is not None for f in e.spec.flags(e.scraps)]


def decides(entries: list[PacketEntry], profile: str) -> bool:
    """Tell whether the profile has something to decide this week (its own page).

    It has when it has a line to sign, or its decision report says so; a profile whose decision report
    failed or is missing has no page (the cover says why).
    """
    d = decision_entry(entries, profile)
    if d is None or not d.ok:
        return False
    if sign_items(entries, profile):
        return True
    return d.spec.decides(d.scraps) if d.spec is not None and d.spec.decides is not None else True


def _says(text: str) -> str:
    """Say what a row says about the new target, its verdict coloured ("" for a neutral row without a reason)."""
    verdict, _, why = text.partition(": ")
    if not verdict or (verdict == "neutral" and not why):
        return ""
    head = (f"<b style='color:{SAYS_COLORS.get(verdict, '#546e7a')}'>{html.escape(verdict)}</b>"
            if verdict != "neutral" else "")
    return f"<div class='says'>{head}{': ' if head and why else ''}{html.escape(why)}</div>"


def _row(profile: str, report: str, r: EvidenceRow, refs: Refs, partway: bool) -> str:
    e = html.escape
    flag = f"<div class='flag'>{e(r.flag)}</div>" if r.flag else ""
    src = refs.link(profile, report, r.anchor) if r.anchor else ""
    pw = f"<td>{e(r.partway) or '—'}</td>" if partway else ""
    return (f"<tr><th>{e(r.label)}</th><td>{e(r.current) or '—'}</td><td>{e(r.proposed) or '—'}</td>{pw}"
            f"<td class='against'>{_says(r.says)}{e(r.against)}{flag}</td><td class='src'>{src}</td></tr>")


def _cell(text: str) -> str:
    """Write a table cell's text: its first line as is, the next ones small."""
    first, *rest = str(text).split("\n")
    return html.escape(first) + "".join(f"<br><span class='tiny'>{html.escape(x)}</span>" for x in rest)


def _table(profile: str, report: str, t: EvidenceTable, refs: Refs) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in t.columns)
    flagged = t.flagged or (False,) * len(t.rows)
    body = "".join(("<tr class='flagged'>" if f else "<tr>") + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>"
                   for row, f in zip(t.rows, flagged, strict=True))
    more = f"<tr><td colspan='{len(t.columns)}' class='more'>{e(t.more)}</td></tr>" if t.more else ""
    src = f" <span class='src'>{refs.link(profile, report, t.anchor)}</span>" if t.anchor else ""
    note = f"<p class='tiny'>{e(t.note)}</p>" if t.note else ""
    return (f"<div class='ev-table'><h3>{e(t.title)}{src}</h3><table class='summary evidence-table keep'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}{more}</tbody></table>{note}</div>")


def _chars(t: EvidenceTable) -> int:
    """Measure a table in characters: the longest cell of each column, summed (first lines only)."""
    cols = len(t.columns)
    return sum(max([len(str(t.columns[j]))] + [len(str(r[j]).split("\n")[0]) for r in t.rows if j < len(r)]) + 2
               for j in range(cols))


def _tables(profile: str, items: list[tuple[str, EvidenceTable]], refs: Refs) -> str:
    """Lay the evidence tables out two side by side (each as wide as its share of the columns), in page order."""
    out = []
    for k in range(0, len(items), 2):
        pair = items[k:k + 2]
        if len(pair) == 1:  # alone: as wide as its text (a short table does not stretch across the page)
            share = min(max(_chars(pair[0][1]) / 90, 0.3), 1.0)
            out.append(f"<div class='ev-col' style='width:{100 * share:.0f}%'>"
                       f"{_table(profile, pair[0][0], pair[0][1], refs)}</div>")
            continue
        wide = [_chars(t) for _, t in pair]
        share = min(max(wide[0] / sum(wide), 0.25), 0.75)  # each as wide as its text, at least a quarter
        cells = "".join(f"<div class='ev-col' style='width:{100 * w - 1:.0f}%'>{_table(profile, nb, t, refs)}</div>"
                        for (nb, t), w in zip(pair, (share, 1 - share), strict=True))
        out.append(f"<div class='ev-pair'>{cells}</div>")
    return "".join(out)


def _sign_box(profile: str, items: list[tuple[str, SignItem]], refs: Refs) -> str:
    e = html.escape
    lines = "".join(
        f"<tr><td>{it.html()}<br><code>{e(it.id)}</code></td>"
        f"<td>{e(it.detail)}</td><td class='sign-line'>approved by:<br><br>date:</td></tr>" for _, it in items)
    return (f"<div class='sign-box'><h2>What would be signed</h2><table class='summary signoff keep'><colgroup>"
            "<col style='width:44%'><col style='width:34%'><col style='width:22%'></colgroup><tbody>"
            f"{lines}</tbody></table><p class='tiny'>The signature approves exactly this id: the same in the "
            "sign-off, the reports and the proposal file.</p></div>")


def _rule_ref(rule: Any) -> str:
    return (f" <span class='tiny'>(row {html.escape(str(rule))} of the <a class='iref' href='#decision-rules'>"
            "decision table</a>)</span>") if rule is not None else ""


def _verdict(s: Any) -> str:
    """Write the decision: a required part first (a hard limit broken now), then the decision on the rest."""
    from rebal.decision.table import ACTIONS

    e = html.escape
    action = str(s.get("decision_action", ""))
    head = (f"{'<b>Required</b>: ' if s.get('decision_required') else ''}{decision_badge(action)} "
            f"<b>{e(ACTIONS.get(action, ''))}</b><br>{e(str(s.get('decision_reason', '')))}"
            f"{_rule_ref(s.get('decision_rule'))}")
    then = str(s.get("discretionary_action") or "") if s.get("decision_required") else ""
    if then:
        head += (f"<div class='then'><b>Then, on the rest</b>: {decision_badge(then)} <b>{e(ACTIONS.get(then, ''))}"
                 f"</b><br>{e(str(s.get('discretionary_reason', '')))}"
                 f"{_rule_ref(s.get('discretionary_rule'))}</div>")
    rec = s.get("recommendation") or {}
    if rec.get("headline") and (then or action) in ("ADOPT TARGET", "ADOPT PART-WAY", "KEEP CURRENT"):
        head += f"<div class='then'><b>Recommended</b>: {e(str(rec['headline']))}</div>"
    return f"<div class='verdict'>{head}</div>"


def decision_page(entries: list[PacketEntry], profile: str, refs: Refs, *, sample: bool) -> str:
    """Write the profile's decision page (HTML)."""
    e = html.escape
    d = decision_entry(entries, profile)
    s = d.scraps if d is not None else {}
    said = {str(s.get("decision_reason", "")), str(s.get("discretionary_reason", ""))}  # already in the verdict
    reasons = "".join(f"<li>{e(str(x))}</li>" for x in s.get("decision_reasons") or [] if str(x) not in said)
    items = evidence_of(entries, profile)
    ev = [(nb, it) for nb, it in items if isinstance(it, EvidenceRow)]
    pw = any(it.partway for _, it in ev)
    rows = "".join(_row(profile, nb, it, refs, pw) for nb, it in ev)
    tables = _tables(profile, [(nb, it) for nb, it in items if isinstance(it, EvidenceTable)], refs)
    signs = sign_items(entries, profile)
    mark = f"<div class='sample-mark'>{SAMPLE_MARK}</div>" if sample else ""
    full = refs.link(profile, d.notebook, text="the full report") if d is not None else ""
    cols = ("<col style='width:17%'><col style='width:15%'><col style='width:15%'><col style='width:15%'>"
            "<col style='width:32%'><col style='width:6%'>" if pw else
            "<col style='width:17%'><col style='width:22%'><col style='width:22%'><col style='width:33%'>"
            "<col style='width:6%'>")
    return (f"<section class='decision-page'>{mark}<h1 id='decide-{e(profile)}'>{e(profile)} — decision</h1>"
            f"{_verdict(s)}<p class='tiny'>What each input said ({full}):</p><ol class='reasons'>{reasons}</ol>"
            f"<h2>Evidence: the book now → the proposal</h2><table class='summary evidence'><colgroup>{cols}"
            "</colgroup><thead><tr><th>Figure</th><th>Now</th><th>Proposed</th>"
            + ("<th>Part-way</th>" if pw else "")
            + f"<th>What it says, measured against, caveats</th><th>See</th></tr></thead><tbody>{rows}</tbody>"
            f"</table>{tables}{_sign_box(profile, signs, refs) if signs else ''}</section>")


def quiet_page(entries: list[PacketEntry], quiet: list[str], refs: Refs, *, sample: bool) -> str:
    """One shared page for the profiles with nothing to decide: a row each, with its caveats (HTML)."""
    from rebal.report.packet.entries import profile_scrap

    e = html.escape
    rows = []
    for p in quiet:
        d = decision_entry(entries, p)
        s = d.scraps if d is not None else {}
        loss = profile_scrap(entries, p, "worst_episode_loss_current")
        worst = (f"{loss:.1%} ({e(str(profile_scrap(entries, p, 'worst_episode_current')))})"
                 if isinstance(loss, float) else "—")
        if profile_scrap(entries, p, "worst_episode_proxied_current"):
            worst += " <b class='flag'>proxied</b>"
        caveats = "<br>".join(e(f) for _, f in flags_of(entries, p)) or "none"
        link = refs.link(p, d.notebook, text="review") if d is not None else ""
        drift = float(s.get("drift") or 0.0)
        rows.append(f"<tr id='decide-{e(p)}'><td><b>{e(p)}</b><br>{decision_badge(str(s.get('decision_action', '')))}"
                    f"</td><td>{e(str(s.get('decision_reason', '')))}</td><td class='num'>{drift:.1%}</td>"
                    f"<td>{worst}</td><td class='flag-cell'>{caveats}</td><td>{link}</td></tr>")
    return ("<section class='part'><h1 id='quiet'>Nothing to decide this week</h1>"
            "<p>These profiles need no decision: no line to sign, no box. Their figures and caveats are here; their "
            "reports are in the appendix.</p><table class='summary quiet'><colgroup><col style='width:14%'>"
            "<col style='width:30%'><col style='width:7%'><col style='width:17%'><col style='width:24%'>"
            "<col style='width:8%'></colgroup><thead><tr><th>Profile</th><th>Why nothing</th><th>Drift</th>"
            "<th>Worst episode now</th><th>Caveats</th><th>Report</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def quiet_profiles(entries: list[PacketEntry]) -> tuple[list[str], list[str]]:
    """Split the profiles with a rendered decision into (those to decide, those with nothing to decide)."""
    active, quiet = [], []
    for p in profiles(entries):
        d = decision_entry(entries, p)
        if d is None or not d.ok:
            continue
        (active if decides(entries, p) else quiet).append(p)
    return active, quiet
