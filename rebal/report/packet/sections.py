"""A report's HTML made into a packet section, and the appendix built from the sections.

In a section: the report's own header, contents and standalone-only parts go; ids are prefixed
(they would clash between reports); headings are demoted under the section title; short tables are
kept on one page; the provenance block is lifted out into one appendix table. Reports that show
the same content (the factor map of the same universe) appear once.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from rebal.report.packet.entries import PacketEntry
from rebal.report.render import strip_external

__all__ = ["Section", "section", "dedupe_shared", "provenance_table", "KEEP_TOGETHER_ROWS"]

#: tables with at most this many body rows never split across pages
KEEP_TOGETHER_ROWS = 18


@dataclass
class Section:
    """One report ready for the packet."""

    entry: PacketEntry
    anchor: str
    title: str
    html: str
    provenance: dict[str, str] = field(default_factory=dict)
    also: list[str] = field(default_factory=list)  # other profiles showing the same content


def _provenance(body) -> dict[str, str]:
    """Lift the "Provenance" heading and what follows it (to the next heading) out; return its facts.

    nbconvert wraps every cell in a ``div.cell``: the heading's cell and the cells after it, up to the next
    cell with a heading, are removed.
    """
    facts: dict[str, str] = {}
    for h in body.find_all(re.compile(r"^h[1-4]$")):
        if h.get_text(" ", strip=True).rstrip("¶").strip().lower() != "provenance":
            continue
        cell = h.find_parent("div", class_="cell") or h
        node = cell.next_sibling
        cell.decompose()
        while node is not None:
            nxt = node.next_sibling
            if getattr(node, "name", None):
                if node.find(re.compile(r"^h[1-4]$")) is not None or re.fullmatch(r"h[1-4]", node.name or ""):
                    break
                for tr in node.find_all("tr"):
                    th, td = tr.find("th", class_="row_heading") or tr.find("th"), tr.find("td")
                    if th is not None and td is not None:
                        facts[th.get_text(" ", strip=True)] = td.get_text(" ", strip=True)
                node.decompose()
            else:
                node.extract()
            node = nxt
        break
    return facts


def section(entry: PacketEntry, *, anchor: str | None = None, title: str | None = None, demote: int = 1) -> Section:
    """Transform ``entry``'s report HTML into a packet section (see the module docstring)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(entry.html, "html.parser")
    strip_external(soup)
    body = soup.find("main") or soup.body
    for el in body.select("nav.rebal-toc, .rebal-header, .rebal-standalone"):
        el.decompose()
    first = body.find("h1")
    if first is not None:  # the section has its own title
        first.decompose()
    facts = _provenance(body)
    prefix = f"{entry.profile}--{entry.notebook}--"
    for el in body.find_all(id=True):
        el["id"] = prefix + el["id"]
    for a in body.find_all("a", href=True):
        if a["href"].startswith("#"):
            a["href"] = "#" + prefix + a["href"][1:]
    for level in range(5, 0, -1):  # demote, deepest first
        for h in body.find_all(f"h{level}"):
            h.name = f"h{min(level + demote, 6)}"
    for table in body.find_all("table"):
        tbody = table.find("tbody") or table
        if len(tbody.find_all("tr", recursive=False)) <= KEEP_TOGETHER_ROWS:
            table["class"] = [*table.get("class", []), "keep"]
    inner = "".join(str(c) for c in body.contents)
    return Section(entry, anchor or entry.anchor, title or entry.title, inner, facts)


def dedupe_shared(sections: list[Section]) -> list[Section]:
    """Keep one factor map per distinct map (same clusters of the same assets); name the profiles sharing it."""
    out: list[Section] = []
    seen: dict[tuple, Section] = {}
    for s in sections:
        if s.entry.notebook != "factor_map":
            out.append(s)
            continue
        key = tuple(sorted((str(k), int(v)) for k, v in (s.entry.scraps.get("cluster_of") or {}).items()))
        if key and key in seen:
            seen[key].also.append(s.entry.profile)
            continue
        seen[key] = s
        out.append(s)
    for s in seen.values():
        if s.also:
            names = ", ".join([s.entry.profile, *s.also])
            n = len(s.entry.scraps.get("cluster_of") or {})
            s.title = f"Factor map — {n} assets shared by {names}"
    return out


_COMMON = ("Lakehouse", "Lakehouse built", "Latest price date used", "rebal version", "Git commit", "Python",
           "Data used")
_PER_REPORT = ("Profile file", "Profile SHA-256", "Run started (UTC)", "Run time")


def provenance_table(sections: list[Section]) -> str:
    """Every report's provenance in one table: facts common to all once, then one row per report (HTML)."""
    e = html.escape
    facts = [s.provenance for s in sections if s.provenance]
    if not facts:
        return "<p>No provenance recorded.</p>"
    common = []
    for key in _COMMON:
        values = {f.get(key, "") for f in facts}
        if len(values) == 1 and next(iter(values)):
            common.append(f"<tr><th>{e(key)}</th><td>{e(next(iter(values)))}</td></tr>")
    rows = []
    for s in sections:
        f = s.provenance
        if not f:
            continue
        sha = f.get("Profile SHA-256", "")[:12]
        varying = "; ".join(f"{k} {f[k]}" for k in _COMMON if k in f and f"<th>{e(k)}</th>" not in "".join(common))
        rows.append(f"<tr><td>{e(s.title)}</td><td>{e(f.get('Profile file', '').split('/')[-1])} "
                    f"<code>{e(sha)}</code></td><td>{e(f.get('Run started (UTC)', ''))}</td>"
                    f"<td class='num'>{e(f.get('Run time', ''))}</td><td>{e(varying)}</td></tr>")
    return (f"<table class='summary keep'><tbody>{''.join(common)}</tbody></table>"
            "<table class='summary provenance'><thead><tr><th>Report</th><th>Profile file (SHA-256)</th>"
            "<th>Run started (UTC)</th><th>Run time</th><th>Other</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")
