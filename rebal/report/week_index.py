"""A week's index page, ``reports/<as_of>/index.html``: every report of the week by profile, one file to open.

Written from the week's ``run.json`` each time it is written (:func:`rebal.report.week.write_manifest`),
so it follows reruns of some profiles and shows a run in progress or interrupted. Per profile: its
decision (the ``decision_action`` scrap of its first report that records one), its drift status, and
each report with its status (ok, or FAILED with the error), its summary line and links to its HTML,
PDF and executed notebook; the committee packet at the top. Self-contained (inline CSS, no script,
no fetch) and every value from the data escaped; links are relative, so the folder can be moved or
served as it is.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from rebal.fileio import atomic_write_text
from rebal.report import registry

__all__ = ["INDEX", "index_html", "write_index"]

INDEX = "index.html"

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#263238}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #cfd8dc}
.meta{color:#607d8b;font-size:13px} table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceff1;vertical-align:top}
.badge{color:#fff;padding:1px 8px;border-radius:4px;font-weight:700;font-size:12px}
.ok{color:#2e7d32;font-weight:600} .failed{color:#c62828;font-weight:600} a{color:#1565c0}
"""
_STATUS_COLORS = {"complete": "#2e7d32", "in progress": "#ef6c00", "interrupted": "#c62828"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _badge(text: str, color: str) -> str:
    return f'<span class="badge" style="background:{color}">{_e(text)}</span>'


def _links(out_dir: Path, profile: str, notebook: str) -> str:
    found = []
    for ext, label in (("html", "HTML"), ("pdf", "PDF"), ("ipynb", "notebook")):
        rel = Path(profile) / f"{notebook}.{ext}"
        if (out_dir / rel).is_file():
            found.append(f'<a href="{_e(rel.as_posix())}">{label}</a>')
    failed = Path(profile) / f"{notebook}.failed.ipynb"
    if (out_dir / failed).is_file():
        found.append(f'<a href="{_e(failed.as_posix())}">failed notebook</a>')
    return " · ".join(found) or "—"


def _report_row(out_dir: Path, r: dict[str, Any]) -> str:
    nb = r.get("notebook") or ""
    spec = registry.report(nb) if nb in registry.names() else None
    title = spec.title if spec is not None else (nb or "(could not run)")
    if r.get("ok"):
        status, detail = '<span class="ok">ok</span>', spec.summary_line(r.get("scraps") or {}) if spec else ""
    else:
        status, detail = '<span class="failed">FAILED</span>', r.get("error") or "failed"
    return (f"<tr><td>{_e(title)}</td><td>{status}</td><td>{_e(detail)}</td>"
            f"<td>{_links(out_dir, r.get('profile', ''), nb) if nb else '—'}</td></tr>")


def _profile_section(out_dir: Path, profile: str, reports: list[dict[str, Any]]) -> str:
    scraps = [r.get("scraps") or {} for r in reports if r.get("ok")]
    action = next((s["decision_action"] for s in scraps if isinstance(s.get("decision_action"), str)), None)
    reason = next((s.get("decision_reason") for s in scraps if isinstance(s.get("decision_action"), str)), "")
    drift = next((s["drift_status"] for s in scraps if isinstance(s.get("drift_status"), str)), None)
    head = [f'<h2 id="{_e(profile)}">{_e(profile)}</h2>']
    facts = []
    if action:
        from rebal.report.pages.weekly_review import ACTION_COLORS  # the decision's colours, as in the reports

        facts.append(f"decision {_badge(action, ACTION_COLORS.get(action, '#455a64'))} {_e(reason or '')}")
    if drift:
        facts.append(f"drift status <b>{_e(drift)}</b>")
    failed = sum(1 for r in reports if not r.get("ok"))
    facts.append(f"{len(reports) - failed} of {len(reports)} report(s) ok")
    head.append(f'<p class="meta">{" · ".join(facts)}</p>')
    rows = "".join(_report_row(out_dir, r) for r in reports)
    return "".join(head) + ("<table><tr><th>report</th><th>status</th><th>key results / error</th><th>files</th>"
                            f"</tr>{rows}</table>")


def index_html(out_dir: Path, manifest: dict[str, Any]) -> str:
    """Return the week's index page (HTML) from its ``manifest`` (``run.json``) and the files in ``out_dir``."""
    as_of = manifest.get("as_of", out_dir.name)
    status = manifest.get("status", "complete")
    by_profile: dict[str, list[dict[str, Any]]] = {}
    for r in manifest.get("reports", []):
        by_profile.setdefault(str(r.get("profile", "")), []).append(r)
    packet = [f'<a href="{name}">{label}</a>' for name, label in (("committee_packet.pdf", "committee packet (PDF)"),
                                                                  ("committee_packet.html", "HTML"))
              if (out_dir / name).is_file()]
    toc = " · ".join(f'<a href="#{_e(p)}">{_e(p)}</a>' for p in sorted(by_profile))
    body = [f"<h1>Weekly reports as of {_e(as_of)}</h1>",
            f'<p class="meta">run {_badge(status, _STATUS_COLORS.get(status, "#455a64"))} · data up to '
            f"{_e(manifest.get('data_latest', as_of))} · updated {_e(manifest.get('updated_at', ''))} · "
            f"{len(by_profile)} profile(s) · <a href=\"run.json\">run.json</a></p>",
            f"<p>{' · '.join(packet) if packet else 'no committee packet yet'}</p>",
            f'<p class="meta">profiles: {toc}</p>' if toc else "<p>no report recorded for this week</p>"]
    body += [_profile_section(out_dir, p, by_profile[p]) for p in sorted(by_profile)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>rebal · week of {_e(as_of)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_index(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``<out_dir>/index.html`` atomically from ``manifest``; return its path."""
    return atomic_write_text(out_dir / INDEX, index_html(out_dir, manifest))
