"""The committee review packet: one PDF with a cover, contents and every report as a section.

All reports are merged into one HTML document and rendered by WeasyPrint in one pass, so the
packet has one page numbering, a contents page with page numbers, clickable links and PDF
bookmarks. Heading ids are prefixed per report so they do not clash; headings are demoted by one
level under each section's title.
"""
from __future__ import annotations

import html as _html
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from rebal.report.registry import report, reports
from rebal.report.render import REPORT_CSS, strip_external

__all__ = ["PacketEntry", "packet_html", "data_note"]

PACKET_CSS = """
section.packet-section { break-before: page; page-break-before: always; }
.cover h1 { font-size: 26pt; margin: 40mm 0 4mm; border: none; }
.cover .sub { font-size: 13pt; color: #455a64; margin-bottom: 12mm; }
.cover table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
.cover th, .cover td { border-bottom: 1px solid #cfd8dc; padding: 4px 6px; text-align: left; vertical-align: top; }
.cover td.num { text-align: right; }
.cover .failed { color: #c62828; }
nav.packet-toc { break-before: page; page-break-before: always; }
nav.packet-toc ol { font-size: 11pt; line-height: 1.8; }
nav.packet-toc a { color: #1f2933; text-decoration: none; }
nav.packet-toc a::after { content: leader('.') target-counter(attr(href), page); }
.packet-title { string-set: doctitle content(); font-size: 0; height: 0; margin: 0; }
"""




@dataclass
class PacketEntry:
    """One report in the packet (or one that failed)."""

    profile: str
    notebook: str
    html: str = ""
    scraps: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def title(self) -> str:
        """Section title: the profile and the report's title."""
        return f"{self.profile} — {report(self.notebook).title}"

    @property
    def anchor(self) -> str:
        """HTML id of the section in the packet."""
        return f"sec-{self.profile}-{self.notebook}"


def data_note(facts: dict) -> str:
    """Describe the data the packet rests on, from the lakehouse's own description (HTML, escaped)."""
    if not facts:
        return ""
    e = _html.escape
    what = []
    if facts.get("n_equities"):
        what.append(f"{facts['n_equities']} stocks")
    if facts.get("n_etfs"):
        what.append(f"{facts['n_etfs']} ETFs")
    bench = ", ".join(facts.get("benchmarks", [])) or "none"
    text = (f"Data: {e(' and '.join(what) or 'no equities')}, benchmark {e(bench)}, prices "
            f"{e(str(facts.get('first_price_date', '')))} to {e(str(facts.get('latest_price_date', '')))}")
    if facts.get("builder") == "rebal data build-sample":
        text += (", real adjusted closes shipped in the skfolio and arch packages (the sample lakehouse)")
    else:
        text += f", from {e(', '.join(facts.get('sources', [])) or 'imported files')}"
    text += "."
    notes = facts.get("notes", {})
    for key in ("survivorship_note", "benchmark_note"):
        if notes.get(key):
            text += f" {e(notes[key][0].upper() + notes[key][1:])}."
    if facts.get("synthetic_ohlv"):
        text += (" Volume and high/low of some series are synthetic (calibrated, flagged ohlv_synthetic): impact "
                 "costs, liquidity scores and the rule lab's impact rest on them.")
    return text


def _cover(entries: list[PacketEntry], facts: dict) -> tuple[str, str, str]:
    """(header cells, body rows, legend) of the cover table: one column per report cover cell."""
    present = {e.notebook for e in entries}
    specs = [s for s in reports() if s.name in present and s.cover]
    columns = [(s, c) for s in specs for c in s.cover]
    head = "<th>Profile</th>" + "".join(f"<th>{_html.escape(c.column)}</th>" for _, c in columns)
    by_profile: dict[str, dict[str, PacketEntry]] = {}
    for e in entries:
        by_profile.setdefault(e.profile, {})[e.notebook] = e
    rows = []
    for profile, nbs in by_profile.items():
        ok_entries = [e for e in nbs.values() if not e.error]
        cells = [f'<a href="#{ok_entries[0].anchor}">{_html.escape(profile)}</a>' if ok_entries
                 else _html.escape(profile)]
        for spec, col in columns:
            e = nbs.get(spec.name)
            cells.append(col.cell(e.scraps) if e is not None and not e.error else "—")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        for e in nbs.values():
            if e.error:
                rows.append(f'<tr><td></td><td colspan="{len(columns)}" class="failed">FAILED '
                            f'{_html.escape(e.notebook)}: {_html.escape(e.error)}</td></tr>')
    legends = [s.legend for s in specs if s.legend]
    legend = " ".join(legends[:1] + [data_note(facts)] + legends[1:])
    return head, "".join(rows), legend


def packet_html(entries: list[PacketEntry], *, as_of: str, data_latest: str, lakehouse_meta: dict | None = None) -> str:
    """Assemble the packet as one HTML document (render it with :func:`rebal.report.render.html_to_pdf`)."""
    from bs4 import BeautifulSoup

    ok = [e for e in entries if not e.error]
    head, rows, legend = _cover(entries, lakehouse_meta or {})
    generated = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    n_profiles = len({e.profile for e in entries})
    rerun = (f"<p>This is a rerun as of {as_of}: every computation used only data dated on or before it "
             f"(the lakehouse holds data to {data_latest}).</p>" if as_of != data_latest else "")
    cover = f"""
<div class="cover">
  <div class="packet-title">rebal · committee packet · as of {as_of}</div>
  <h1 id="cover">Weekly rebalancing review</h1>
  <div class="sub">As of {as_of} · {len(ok)} report(s) for {n_profiles} profile(s) · generated {generated}</div>
  {rerun}
  <h2 id="key-results">Key results</h2>
  <table><thead><tr>{head}</tr></thead>
  <tbody>{rows}</tbody></table>
  <p style="font-size:9pt;color:#546e7a;margin-top:8mm">{legend}</p>
</div>"""
    toc_items = "".join(f'<li><a href="#{e.anchor}">{_html.escape(e.title)}</a></li>' for e in ok)
    toc = f'<nav class="packet-toc"><h1 id="contents">Contents</h1><ol>{toc_items}</ol></nav>'

    sections = []
    for e in ok:
        soup = BeautifulSoup(e.html, "html.parser")
        strip_external(soup)
        body = soup.find("main") or soup.body
        for el in body.select("nav.rebal-toc, .rebal-header"):
            el.decompose()
        prefix = f"{e.profile}--{e.notebook}--"
        for el in body.find_all(id=True):
            el["id"] = prefix + el["id"]
        for a in body.find_all("a", href=True):
            if a["href"].startswith("#"):
                a["href"] = "#" + prefix + a["href"][1:]
        for level in range(5, 0, -1):  # demote h5..h1 by one level, deepest first
            for h in body.find_all(f"h{level}"):
                h.name = f"h{level + 1}"
        inner = "".join(str(c) for c in body.contents)
        sections.append(f'<section class="packet-section"><h1 id="{e.anchor}">{_html.escape(e.title)}</h1>'
                        f'{inner}</section>')

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rebal committee packet — {as_of}</title>
<style>{REPORT_CSS}</style><style>{PACKET_CSS}</style></head>
<body><main class="rebal-report">{cover}{toc}{''.join(sections)}</main></body></html>"""
