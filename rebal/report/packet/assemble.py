"""The packet as one HTML document: the decision part first, the reports behind it as the appendix.

Decision part: the cover with the week's decisions and the book line; the contents; what changed
since the last committee and how the decisions are made; one page of essentials per profile (its
weekly review); the sign-off block. Appendix A: every other report, by profile, with its own
contents (shared content once). Appendix B: the provenance of every report in one table.
WeasyPrint renders it in one pass, so the packet has one page numbering and clickable contents.
"""
from __future__ import annotations

import html as _html

from rebal.report.packet.changes import changes_section, decision_table
from rebal.report.packet.cover import PACKET_CSS, cover_html
from rebal.report.packet.entries import PacketEntry, profiles
from rebal.report.packet.sections import dedupe_shared, provenance_table, section
from rebal.report.packet.signoff import signoff_section
from rebal.report.packet.summary import book_line, executive_summary, vocabulary
from rebal.report.registry import names
from rebal.report.render import REPORT_CSS

__all__ = ["packet_html"]


def _toc(items: list[tuple[str, str, list[tuple[str, str]]]]) -> str:
    e = _html.escape
    lis = []
    for anchor, title, sub in items:
        inner = ("<ol>" + "".join(f'<li><a href="#{e(a)}">{e(t)}</a></li>' for a, t in sub) + "</ol>") if sub else ""
        lis.append(f'<li><a href="#{e(anchor)}">{e(title)}</a>{inner}</li>')
    return "<ol>" + "".join(lis) + "</ol>"


def packet_html(entries: list[PacketEntry], *, as_of: str, data_latest: str, lakehouse_meta: dict | None = None) -> str:
    """Assemble the packet (render it with :func:`rebal.report.render.html_to_pdf`)."""
    order = {n: i for i, n in enumerate(names())}
    entries = sorted(entries, key=lambda e: (profiles(entries).index(e.profile), order.get(e.notebook, 99)))
    ok = [e for e in entries if e.ok]
    failed = [e for e in entries if not e.ok]
    cover = cover_html(as_of=as_of, data_latest=data_latest, facts=lakehouse_meta or {},
                       n_profiles=len(profiles(entries)), n_reports=len(ok), summary=executive_summary(entries),
                       book=book_line(entries),
                       vocabulary="",
                       failures=[(e.profile, e.notebook, e.error) for e in failed])

    essentials = [section(e, anchor=f"essentials-{e.profile}", title=f"{e.profile} — this week", demote=1)
                  for e in ok if e.notebook == "weekly_review"]
    appendix = dedupe_shared([section(e, demote=1) for e in ok if e.notebook != "weekly_review"])

    parts = [
        '<section class="part"><h1 id="changes">What changed since the last committee</h1>'
        f"{changes_section(entries)}"
        '<h2 id="decision-table" class="new-page">How the decisions are made</h2>'
        f"{vocabulary()}<p>The first row whose condition holds gives the profile's decision; its reasons then list "
        f"what each input said in its own words.</p>{decision_table()}</section>",
    ]
    parts += [f'<section class="essentials"><h1 id="{s.anchor}">{_html.escape(s.title)}</h1>{s.html}</section>'
              for s in essentials]
    parts.append(f'<section class="part"><h1 id="signoff">Sign-off</h1>{signoff_section(entries)}</section>')
    by_prof: dict[str, list] = {}
    for s in appendix:
        by_prof.setdefault(s.entry.profile, []).append(s)
    app_toc = [(f"app-{p}", p, [(s.anchor, s.title.split(" — ", 1)[-1] if " — " in s.title else s.title)
                                for s in ss]) for p, ss in by_prof.items()]
    fails = "".join(f"<li class='failed'>{_html.escape(e.profile)} — {_html.escape(e.notebook)}: "
                    f"{_html.escape(e.error or 'did not render')}</li>" for e in failed)
    # the cover links a profile without a page of essentials to its reports here: an anchor for every such
    # profile, also when its only report was shared with another profile and appears under that one
    shared_only = [p for p in profiles(entries) if p not in by_prof
                   and any(e.profile == p and e.notebook != "weekly_review" for e in ok)]
    anchors = "".join(f'<span id="app-{_html.escape(p)}"></span>' for p in shared_only)
    parts.append(f'<section class="part">{anchors}<h1 id="appendix">Appendix A — the reports</h1>'
                 "<p>Every report of the week, by profile. A report shared by several profiles (the factor map of the "
                 "same universe) appears once, under the first of them.</p>"
                 f'<nav class="packet-toc">{_toc(app_toc)}</nav>'
                 + (f"<p>Reports that failed:</p><ul>{fails}</ul>" if fails else "") + "</section>")
    for p, ss in by_prof.items():
        for k, s in enumerate(ss):
            marker = f'<span id="app-{_html.escape(p)}"></span>' if k == 0 else ""
            parts.append(f'<section class="packet-section">{marker}<h1 id="{s.anchor}">{_html.escape(s.title)}</h1>'
                         f"{s.html}</section>")
    parts.append('<section class="part"><h1 id="provenance">Appendix B — provenance</h1>'
                 "<p>Where every number of the packet comes from: the profile file and its SHA-256, the lakehouse and "
                 f"the code of each report.</p>{provenance_table(essentials + appendix)}</section>")

    toc_items = [("decisions", "This week's decisions", []), ("changes", "What changed since the last committee", []),
                 ("decision-table", "How the decisions are made", []),
                 ("essentials", "One page per profile", [(s.anchor, s.title) for s in essentials]),
                 ("signoff", "Sign-off", []), ("appendix", "Appendix A — the reports", []),
                 ("provenance", "Appendix B — provenance", [])]
    first = essentials[0].anchor if essentials else "signoff"
    toc_items[3] = (first, toc_items[3][1], toc_items[3][2])
    # the pointer to the decision rules opens the contents (on the cover it pushed two lines onto a page of their own)
    legend = ("<p class='legend'>What each decision on the cover asks, and how the drift status, the planner's verdict "
              "and the simulation verdict lead to it: <a href='#decision-table'>How the decisions are made</a>.</p>")
    toc = f'<nav class="packet-toc part"><h1 id="contents">Contents</h1>{legend}{_toc(toc_items)}</nav>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rebal committee packet — {_html.escape(as_of)}</title>
<style>{REPORT_CSS}</style><style>{PACKET_CSS}</style></head>
<body><main class="rebal-report">{cover}{toc}{''.join(parts)}</main></body></html>"""
