"""The decision document of the packet, as one HTML document: what the committee reads before it signs.

In order: the cover (the week's decisions, the caveats the numbers carry, the book line); the
contents with the index of the reports, what changed since the last committee and how the decisions
are made (the decision table, once), one after the other; a decision page for every profile with
something to decide, each on its own page; the profiles with nothing to decide, the sign-off with
the record of the week and the method notes, one after the other. Only the cover, the contents, each
decision page and the group after them start a page, so no section leaves a page half empty. The
reports themselves are the appendix: in the PDF packet their own PDFs follow
(:mod:`rebal.report.packet.pdf`), in the HTML packet they are linked
(:class:`~rebal.report.packet.refs.Refs`).
"""
from __future__ import annotations

import html as _html

from rebal.report.packet.changes import changes_section, decision_table
from rebal.report.packet.cover import PACKET_CSS, cover_html
from rebal.report.packet.decision import SAMPLE_MARK, decision_page, quiet_page, quiet_profiles
from rebal.report.packet.entries import PacketEntry, ordered, profiles
from rebal.report.packet.method import caveats_block, contents, method_appendix, reports_index
from rebal.report.packet.refs import Refs
from rebal.report.packet.signoff import signoff_section
from rebal.report.packet.summary import book_line, executive_summary, vocabulary
from rebal.report.render import REPORT_CSS

__all__ = ["decision_html", "page_css"]


def page_css() -> str:
    """Return the decision document's page boxes: running title and section; no page number (stamped after).

    The sample mark is a box at the top of every section and, stamped by the assembly, a line at the foot
    of every page.
    """
    return ("@page { size: A4; margin: 16mm 14mm 18mm 14mm; "
            "@top-left { content: string(doctitle); font-size: 7.5pt; color: #78909c; } "
            "@top-right { content: string(section); font-size: 7.5pt; color: #78909c; } "
            "@bottom-center { content: none; } }")


def _front(entries: list[PacketEntry], refs: Refs, *, as_of: str, data_latest: str, facts: dict) -> str:
    failed = [e for e in entries if not e.ok]
    return cover_html(as_of=as_of, data_latest=data_latest, facts=facts, n_profiles=len(profiles(entries)),
                      n_reports=sum(1 for e in entries if e.ok), summary=executive_summary(entries),
                      book=book_line(entries), vocabulary="", caveats=caveats_block(entries, refs),
                      failures=[(e.profile, e.notebook, e.error) for e in failed])


def decision_html(entries: list[PacketEntry], refs: Refs, *, as_of: str, data_latest: str,
                  facts: dict | None = None) -> str:
    """Write the decision document (see the module docstring); ``refs`` says whether it links pages or files."""
    facts = facts or {}
    sample = bool(facts.get("sample"))
    entries = ordered(entries)
    active, quiet = quiet_profiles(entries)
    toc = [("decisions", "This week's decisions"), ("changes", "What changed since the last committee"),
           ("decision-rules", "How the decisions are made")]
    toc += [(f"decide-{p}", f"{p} — decision") for p in active]
    toc += [("quiet", "Nothing to decide this week")] if quiet else []
    toc += [("signoff", "Sign-off and the record of the week"), ("method", "Method notes")]
    parts = [
        _front(entries, refs, as_of=as_of, data_latest=data_latest, facts=facts),
        "<section class='part'><h1 id='contents'>Contents</h1>" + contents(toc)
        + "<h2 id='reports'>The reports (the appendix)</h2><p class='tiny'>Each report follows in the appendix as "
          "its own document: its pages carry the packet's number at the foot, right, and its own at the centre; "
          "its contents list its own page numbers, and its links lead to the right page.</p>"
        + reports_index(entries, refs) + "</section>",
        f"<section class='flow'><h1 id='changes'>What changed since the last committee</h1>{changes_section(entries)}"
        "</section>",
        "<section class='flow'><h1 id='decision-rules'>How the decisions are made</h1>"
        f"{vocabulary()}<p>The first row whose condition holds gives the profile's decision; its reasons then list "
        f"what each input said in its own words.</p>{decision_table()}</section>",
    ]
    parts += [decision_page(entries, p, refs, sample=sample) for p in active]
    if quiet:
        parts.append(quiet_page(entries, quiet, refs, sample=sample))
    # the sign-off follows the quiet profiles on their page; the method notes follow the sign-off
    parts.append(f"<section class='{'flow' if quiet else 'part'}'><h1 id='signoff'>Sign-off</h1>"
                 f"{signoff_section(entries)}</section>")
    parts.append("<section class='flow'><h1 id='method'>Method notes</h1>"
                 f"{method_appendix(entries)}</section>")
    if sample:  # every section that opens a page opens with the mark (the cover and the profiles' pages have theirs)
        box = f"<section class='part'><div class='sample-mark'>{SAMPLE_MARK}</div>"
        parts = [p.replace("<section class='part'>", box, 1) if "sample-mark" not in p[:200] else p for p in parts]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rebal committee packet — {_html.escape(as_of)}</title>
<style>{REPORT_CSS}</style><style>{PACKET_CSS}</style><style>{page_css()}</style>
</head><body><main class="rebal-report">{''.join(parts)}</main></body></html>"""
