"""Quicker font subsetting: the same text and fonts in the PDF, read back with pypdf."""
from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import sys
from pathlib import Path
from pypdf import PdfReader
from rebal.report import render
html = ("<html><body><h1>Drift audit — bl_tilts</h1><p>MAINTAIN: drift 5.14% ≤ 6.00%; "
        "<b>bold</b> <code>mono 0123</code></p></body></html>")
out = Path(sys.argv[1])
if sys.argv[2] == "off":
    render.quicker_font_subsetting = lambda: None
render.html_to_pdf(html, out)
reader = PdfReader(str(out))
fonts = sorted({str(f["/BaseFont"]).split("+")[-1] for p in reader.pages
                for f in p["/Resources"]["/Font"].values()})
print(repr(reader.pages[0].extract_text()))
print(fonts)
from weasyprint.pdf import fonts as wf
print(getattr(wf.Font._fonttools_subset, "_rebal", False))
"""


def _render(tmp_path, mode):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / f"{mode}.pdf"), mode], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    return out


def test_the_pdf_reads_the_same_with_and_without_the_quicker_subsetting(tmp_path):
    on, off = _render(tmp_path, "on"), _render(tmp_path, "off")
    assert on[2] == "True" and off[2] == "False"  # the quicker path was taken, and only in the first
    assert on[:2] == off[:2]  # the same text (every glyph mapped back to its character) and the same fonts
    assert "5.14%" in on[0] and "Bold" in on[1]


def test_a_font_without_layout_tables_or_a_collection_is_left_to_weasyprint():
    from rebal.report.render import _without_layout

    assert _without_layout(b"ttcf" + b"\0" * 60) is None
