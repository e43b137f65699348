"""The packet's cover (title, what data it rests on, the week's decisions) and its print styles."""
from __future__ import annotations

import html as _html
from datetime import datetime, timezone

__all__ = ["PACKET_CSS", "data_note", "cover_html"]

PACKET_CSS = """
section.packet-section, section.essentials, .part { break-before: page; page-break-before: always; }
h2.new-page { break-before: page; page-break-before: always; }
.cover h1 { font-size: 22pt; margin: 6mm 0 2mm; border: none; }
.cover .sub { font-size: 10.5pt; color: #455a64; margin-bottom: 3mm; }
.cover .data { font-size: 8.5pt; color: #546e7a; margin: 0 0 3mm; }
table.summary { border-collapse: collapse; width: 100%; font-size: 8.2pt; margin: 2mm 0 3mm; }
table.summary th, table.summary td { border-bottom: 1px solid #cfd8dc; padding: 3px 4px; text-align: left;
  vertical-align: top; }
table.summary td.num { text-align: right; white-space: nowrap; }
table.summary tr { break-inside: avoid; page-break-inside: avoid; }
table.decisions col.c-profile { width: 16%; } table.decisions col.c-decision { width: 31%; }
table.decisions col.c-trades { width: 13%; } table.decisions col.c-alerts { width: 17%; }
table.decisions col.c-stress { width: 10%; } table.decisions col.c-sign { width: 13%; }
table.summary td { overflow-wrap: anywhere; }
table.decisions code { font-size: 6.5pt; word-break: break-all; }
table.summary { table-layout: fixed; }
table.summary .why { color: #37474f; }
table.signoff td.sign-line { width: 38mm; border-bottom: 1px solid #90a4ae; color: #78909c; }
table.keep { break-inside: avoid; page-break-inside: avoid; }
.tiny { font-size: 6.5pt; color: #78909c; }
.muted { color: #90a4ae; }
.failed { color: #c62828; }
p.book, p.legend { font-size: 8.3pt; }
h2, h3, h4, h5 { break-after: avoid; page-break-after: avoid; }
nav.packet-toc ol { font-size: 10pt; line-height: 1.6; }
nav.packet-toc ol ol { font-size: 9pt; line-height: 1.4; }
nav.packet-toc a { color: #1f2933; text-decoration: none; }
nav.packet-toc a::after { content: leader('.') target-counter(attr(href), page); }
.packet-title { string-set: doctitle content(); font-size: 0; height: 0; margin: 0; }
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
            f"missing from this packet (details in Appendix A):<ul>{items}</ul></div>")


def cover_html(*, as_of: str, data_latest: str, facts: dict, n_profiles: int, n_reports: int, summary: str,
               book: str, vocabulary: str, failures: list[tuple[str, str, str]] = ()) -> str:
    """Write the cover page: title, the data it rests on, the week's decisions and the book line (HTML).

    ``failures`` lists the reports that did not render as (profile, report, error): they are named on
    the cover, before the decisions, so that nobody reads a packet without knowing what is missing.
    """
    generated = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    rerun = (f"<p class='data'>A rerun as of {_html.escape(as_of)}: every computation used only data dated on or "
             f"before it (the lakehouse holds data to {_html.escape(data_latest)}).</p>"
             if as_of != data_latest else "")
    return f"""
<div class="cover">
  <div class="packet-title">rebal · committee packet · as of {_html.escape(as_of)}</div>
  <h1 id="cover">Weekly rebalancing review — {_html.escape(as_of)}</h1>
  <div class="sub">{n_profiles} profile(s), {n_reports} report(s) · generated {generated}</div>
  <p class="data">{data_note(facts)}</p>
  {rerun}
  {_failures(failures)}
  <h2 id="decisions">This week's decisions</h2>
  {summary}
  {book}
  {vocabulary}
</div>"""
