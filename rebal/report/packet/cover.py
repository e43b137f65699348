"""The packet's cover (title, what data it rests on, the week's decisions) and its print styles."""
from __future__ import annotations

import html as _html
from datetime import datetime, timezone

__all__ = ["PACKET_CSS", "data_note", "cover_html"]

PACKET_CSS = """
section.decision-page, .part { break-before: page; page-break-before: always; }
section.flow > h1 { margin-top: 6mm; }
.cover h1 { font-size: 17pt; margin: 1mm 0 1mm; border: none; }
.cover .sub { font-size: 9pt; color: #455a64; margin-bottom: 1mm; }
.cover .data { font-size: 7.2pt; color: #546e7a; margin: 0 0 1mm; line-height: 1.35; }
.cover h2 { margin-top: 2mm; }
h1 { font-size: 15pt; margin: 2mm 0 2mm; }
h2 { font-size: 11pt; margin: 4mm 0 1.5mm; }
h3 { font-size: 9.5pt; margin: 3mm 0 1mm; }
h2, h3 { bookmark-level: none; break-after: avoid; page-break-after: avoid; }
p, li { font-size: 8.6pt; }
table.summary { border-collapse: collapse; width: 100%; font-size: 7.9pt; margin: 1.5mm 0 2.5mm;
  table-layout: fixed; }
table.summary th, table.summary td { border-bottom: 1px solid #cfd8dc; padding: 2px 4px; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
table.summary thead th { background: #f5f7f8; }
table.summary td.num { text-align: right; white-space: nowrap; }
table.summary tr { break-inside: avoid; page-break-inside: avoid; }
table.decisions col.c-profile { width: 14%; } table.decisions col.c-decision { width: 35%; }
table.decisions col.c-trades { width: 13%; } table.decisions col.c-alerts { width: 15%; }
table.decisions col.c-stress { width: 10%; } table.decisions col.c-sign { width: 13%; }
table.decisions td, table.decisions th { font-size: 7.3pt; line-height: 1.25; }
table.summary code { font-size: 6.5pt; word-break: break-all; }
table.summary .why { color: #37474f; }
table.evidence tbody th { font-weight: 600; color: #263238; }
table.evidence td.against { color: #455a64; }
table.evidence td.src, span.src { white-space: nowrap; font-size: 7.2pt; }
.flag, table.summary tr.flagged td { color: #c62828; font-weight: 600; }
td.flag-cell { color: #c62828; font-size: 7.2pt; }
td.more { color: #607d8b; font-style: italic; }
.verdict { font-size: 9pt; margin: 1mm 0 1.5mm; line-height: 1.5; }
ol.reasons { margin: 0 0 1mm; padding-left: 5mm; }
ol.reasons li { font-size: 6.9pt; color: #37474f; margin: 0.3mm 0; line-height: 1.3; }
.ev-table { break-inside: avoid; page-break-inside: avoid; }
div.ev-pair { width: 100%; break-inside: avoid; page-break-inside: avoid; }
div.ev-col { display: inline-block; vertical-align: top; margin-right: 1%; }
table.summary.evidence-table { table-layout: auto; }
table.evidence-table td, table.evidence-table th { font-size: 6.7pt; padding: 1px 2.5px; white-space: nowrap;
  overflow-wrap: normal; }
table.evidence td, table.evidence th { font-size: 7.3pt; line-height: 1.25; }
table.evidence .says { margin: 0; }
.verdict .then { margin-top: 0.8mm; }
.sign-box { border: 1.5px solid #263238; border-radius: 4px; padding: 1mm 3mm 0; margin-top: 3mm;
  break-inside: avoid; page-break-inside: avoid; }
.sign-box h2 { margin-top: 1.5mm; border: none; }
table.signoff td.sign-line { border-bottom: 1px solid #90a4ae; color: #78909c; }
table.keep { break-inside: avoid; page-break-inside: avoid; }
.tiny { font-size: 6.8pt; color: #607d8b; }
.muted { color: #90a4ae; }
.failed { color: #c62828; }
.sample-mark { border: 2px solid #c62828; color: #c62828; font-weight: 700; text-align: center;
  letter-spacing: .06em; padding: 0.6mm; margin: 0 0 1.5mm; font-size: 7.8pt; }
.caveats li { font-size: 7pt; margin: 0.3mm 0; line-height: 1.3; }
.cover h3 { margin: 1.5mm 0 0.5mm; }
.caveats li b { color: #263238; }
ul.record li { font-size: 8pt; }
p.book, p.legend { font-size: 8pt; }
a.pref { color: #1565c0; text-decoration: none; }
a.pref span.pn { display: inline-block; width: 3.3em; white-space: nowrap; }
nav.packet-toc ol { font-size: 9.5pt; line-height: 1.55; }
nav.packet-toc a { color: #1f2933; text-decoration: none; }
table.appendix-index td { font-size: 7.6pt; }
.packet-title { string-set: doctitle content(); font-size: 0; height: 0; margin: 0; }
@media print {
  nav.packet-toc a::after { content: leader('.') target-counter(attr(href), page); }
  a.iref::after { content: ", p. " target-counter(attr(href), page); }
}
"""


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


def _failures(failures) -> str:
    if not failures:
        return ""
    e = _html.escape
    items = "".join(f"<li>{e(p)} — {e(nb or 'the whole profile')}: {e((err or 'did not render').splitlines()[0][:200])}"
                    "</li>" for p, nb, err in failures)
    return (f"<div class='failed'><b>FAILED: {len(failures)} report(s) of this week did not render</b> and are "
            f"missing from this packet (see the index of the reports):<ul>{items}</ul></div>")


def cover_html(*, as_of: str, data_latest: str, facts: dict, n_profiles: int, n_reports: int, summary: str,
               book: str, vocabulary: str, failures: list[tuple[str, str, str]] = (), caveats: str = "") -> str:
    """Write the cover page: title, the data it rests on, the week's decisions, the caveats and the book line (HTML).

    ``failures`` lists the reports that did not render as (profile, report, error): they are named on
    the cover, before the decisions, so that nobody reads a packet without knowing what is missing.
    ``caveats`` (HTML) lists what the numbers need said beside them (rejected models, proxies, episodes
    the proposal makes worse). On the built-in sample lakehouse (``facts["sample"]``) the cover carries
    the SAMPLE DATA mark.
    """
    generated = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    rerun = (f"<p class='data'>A rerun as of {_html.escape(as_of)}: every computation used only data dated on or "
             f"before it (the lakehouse holds data to {_html.escape(data_latest)}).</p>"
             if as_of != data_latest else "")
    return f"""
<div class="cover">
  <div class="packet-title">rebal · committee packet · as of {_html.escape(as_of)}</div>
  {"<div class='sample-mark'>SAMPLE DATA — NOT FOR INVESTMENT DECISIONS: the built-in sample lakehouse</div>"
   if facts.get("sample") else ""}
  <h1 id="cover">Weekly rebalancing review — {_html.escape(as_of)}</h1>
  <div class="sub">{n_profiles} profile(s), {n_reports} report(s) · generated {generated}</div>
  <p class="data">{data_note(facts)}</p>
  {rerun}
  {_failures(failures)}
  <h2 id="decisions">This week's decisions</h2>
  {summary}
  {caveats}
  {book}
  {vocabulary}
</div>"""
