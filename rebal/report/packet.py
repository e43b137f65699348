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

from rebal.config import NOTEBOOK_TITLES
from rebal.report.plots import REC_COLORS as _REC_COLORS
from rebal.report.plots import STATUS_COLORS
from rebal.report.render import REPORT_CSS, strip_external

__all__ = ["PacketEntry", "packet_html", "summary_line"]

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
        return f"{self.profile} — {NOTEBOOK_TITLES.get(self.notebook, self.notebook)}"

    @property
    def anchor(self) -> str:
        return f"sec-{self.profile}-{self.notebook}"


def summary_line(notebook: str, s: dict[str, Any]) -> str:
    """One line of key results of a report, from its scraps (used by the CLI and the cover)."""
    try:
        if notebook == "drift_audit":
            return f"{s['status']} drift {s['portfolio_drift']:.2%}; {s.get('recommendation', '')}".rstrip("; ")
        if notebook == "beta_correlation":
            flag = " AGGRESSIVE" if s.get("aggressive") else ""
            return f"beta {s['beta']:.2f} corr {s['correlation']:.2f} R² {s['r_squared']:.2f}{flag}"
        if notebook == "factor_map":
            return f"{s['n_clusters']} clusters, MDS stress {s['stress']:.3f}"
        if notebook == "rebalance_proposal":
            imp = s.get("improvement_out_of_sample")
            imp = f", OOS {imp:+.1%}" if imp is not None else ""
            return (f"{s['recommendation']} ({s['mode'].replace('_', '-')}; {s['n_trades']} trades, "
                    f"{s['cost_bps']:.1f} bps{imp})")
        if notebook == "rule_backtest":
            held = [str(i) for i in range(1, 5) if s.get(f"lab_check_{i}") == "supported"]
            tested = sum(s.get(f"lab_check_{i}") != "not tested" for i in range(1, 5))
            return (f"{s['lab_configurations']} rule configurations; hypotheses supported: "
                    f"{', '.join(held) if held else 'none'} of {tested} tested")
        if notebook == "risk4_picks":
            return (f"{s['risk4_status']} {s['n_positions']} positions, turnover {s['turnover']:.1%}, "
                    f"est. vol {s['estimated_vol']:.1%}")
    except (KeyError, TypeError, ValueError):
        pass
    return ""




def _proposal_cell(s: dict[str, Any]) -> str:
    rec = str(s.get("recommendation", ""))
    imp = s.get("improvement_out_of_sample")
    return (f'<span style="color:{_REC_COLORS.get(rec, "#455a64")};font-weight:700">{_html.escape(rec)}</span><br>'
            f'{_html.escape(str(s.get("mode", "")).replace("_", "-"))}; {s.get("n_trades", 0)} trades, '
            f'{s.get("cost_bps", float("nan")):.1f} bps' + (f"; OOS {imp:+.1%}" if imp is not None else ""))


def _lab_cell(s: dict[str, Any]) -> str:
    """H1-H4 as ✓ (supported), ✗ (not) or – (not tested)."""
    mark = {"supported": "✓", "not supported": "✗"}
    return " ".join(f"{i}{mark.get(s.get(f'lab_check_{i}'), '–')}" for i in range(1, 5))


def _cover_rows(entries: list[PacketEntry]) -> str:
    by_profile: dict[str, dict[str, PacketEntry]] = {}
    for e in entries:
        by_profile.setdefault(e.profile, {})[e.notebook] = e
    rows = []
    for profile, nbs in by_profile.items():
        d, b, f = nbs.get("drift_audit"), nbs.get("beta_correlation"), nbs.get("factor_map")  # risk4_picks below
        ok_entries = [e for e in nbs.values() if not e.error]
        cells = [f'<a href="#{ok_entries[0].anchor}">{_html.escape(profile)}</a>' if ok_entries
                 else _html.escape(profile)]
        if d and not d.error:
            st = d.scraps.get("status", "")
            cells.append(f'<span style="color:{STATUS_COLORS.get(st, "#455a64")};font-weight:700">{_html.escape(st)}</span>'
                         f'<br>{d.scraps.get("portfolio_drift", float("nan")):.2%} drift; largest '
                         f'{_html.escape(str(d.scraps.get("max_drift_asset", "")))} {d.scraps.get("max_abs_drift", float("nan")):.2%}')
            cells.append(_html.escape(str(d.scraps.get("recommendation", "")).split(":")[0]))
        else:
            cells += ['<span class="failed">—</span>', ""]
        pr = nbs.get("rebalance_proposal")
        cells.append(_proposal_cell(pr.scraps) if pr and not pr.error else "—")
        if b and not b.error:
            flag = '<br><span class="failed">AGGRESSIVE</span>' if b.scraps.get("aggressive") else ""
            cells.append(f'β {b.scraps.get("beta", float("nan")):.2f}, ρ {b.scraps.get("correlation", float("nan")):.2f}{flag}')
        else:
            cells.append("—")
        cells.append(_html.escape(summary_line("factor_map", f.scraps)) if f and not f.error else "—")
        r4 = nbs.get("risk4_picks")
        cells.append(_html.escape(summary_line("risk4_picks", r4.scraps)) if r4 and not r4.error else "—")
        lab = nbs.get("rule_backtest")
        cells.append(_lab_cell(lab.scraps) if lab and not lab.error else "—")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        for e in nbs.values():
            if e.error:
                rows.append(f'<tr><td></td><td colspan="7" class="failed">FAILED {_html.escape(e.notebook)}: '
                            f'{_html.escape(e.error)}</td></tr>')
    return "".join(rows)


def packet_html(entries: list[PacketEntry], *, as_of: str, data_latest: str) -> str:
    """The packet as one HTML document (render it with :func:`rebal.report.render.html_to_pdf`)."""
    from bs4 import BeautifulSoup

    ok = [e for e in entries if not e.error]
    generated = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    rerun = (f"<p>This is a rerun as of {as_of}: every computation used only data dated on or before it "
             f"(the lakehouse holds data to {data_latest}).</p>" if as_of != data_latest else "")
    cover = f"""
<div class="cover">
  <div class="packet-title">rebal · committee packet · as of {as_of}</div>
  <h1 id="cover">Weekly rebalancing review</h1>
  <div class="sub">As of {as_of} · {len(ok)} report(s) for {len({e.profile for e in entries})} profile(s) · generated {generated}</div>
  {rerun}
  <h2 id="key-results">Key results</h2>
  <table><thead><tr><th>Profile</th><th>Drift status</th><th>Planner</th><th>Proposal</th><th>Market sensitivity</th>
  <th>Factor map</th><th>Stock selection</th><th>Rule lab (H1-H4)</th></tr></thead>
  <tbody>{_cover_rows(entries)}</tbody></table>
  <p style="font-size:9pt;color:#546e7a;margin-top:8mm">Status: MAINTAIN (portfolio drift at or below the rebalance
  threshold, every asset within its limit), REBALANCE (above the rebalance threshold), URGENT (above the urgent
  threshold, or one asset beyond the single-asset limit). Data: real adjusted closes of 20 S&amp;P 500 stocks and
  5 factor ETFs and the S&amp;P 500 price index, shipped in the skfolio package; the 20 stocks were chosen after
  the fact (survivorship bias). Volume and high/low of stocks and ETFs are synthetic (calibrated, flagged): the
  planner's impact costs, the rule lab's impact and the factor map's liquidity scores rest on them. Rule lab: the
  planner's hypotheses 1-4 tested on ten years of the profile's data, ✓ supported, ✗ not supported, – not tested;
  the VIX before 2014 and after 2018 is a realised-volatility proxy.</p>
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
        sections.append(f'<section class="packet-section"><h1 id="{e.anchor}">{_html.escape(e.title)}</h1>{inner}</section>')

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rebal committee packet — {as_of}</title>
<style>{REPORT_CSS}</style><style>{PACKET_CSS}</style></head>
<body><main class="rebal-report">{cover}{toc}{''.join(sections)}</main></body></html>"""
