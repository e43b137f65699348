"""The HTML clean-up of reports is a sanitiser: event handlers, scripts and every URL but data: and #anchors go,
whatever markup reaches it; and each page helper escapes the data text it is given."""
from __future__ import annotations

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hostile_corpus import HOSTILE_NAMES

from rebal.report.render import strip_external

HOSTILE_MARKUP = [
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(2)><a xlink:href='javascript:alert(3)'>s</a></svg>",
    "<a rel=attachment href=file:///etc/hostname>x</a>",
    '<a href=" JaVaScRiPt:alert(4)">j</a>',
    "<a href=http://example.invalid/x>net</a>",
    "<iframe src=javascript:alert(5)></iframe>",
    "<object data=file:///etc/passwd></object><embed src=x.swf>",
    "<link rel=attachment href=file:///etc/passwd><link rel=stylesheet href=http://example.invalid/x.css>",
    "<style>@import url(http://example.invalid/x.css); .a{background:url('file:///etc/passwd')}</style>",
    '<p style="background:url(file:///etc/passwd)">p</p>',
    '<meta http-equiv="refresh" content="0;url=http://example.invalid">',
    "<form action=http://example.invalid><button formaction=javascript:alert(6)>b</button></form>",
    "<base href=http://example.invalid/>",
    '<body onload="alert(7)"><div onclick=alert(8) onmouseover=alert(9)>d</div></body>',
    '<img srcset="http://example.invalid/a.png 2x">',
    "<video poster=file:///etc/passwd></video>",
]


def _clean(markup: str) -> BeautifulSoup:
    soup = BeautifulSoup(f"<main>{markup}</main>", "html.parser")
    strip_external(soup)
    return soup


@pytest.mark.parametrize("markup", HOSTILE_MARKUP)
def test_nothing_in_a_cleaned_report_can_run_fetch_or_attach(markup):
    soup = _clean(markup)
    assert not soup.find_all(["script", "iframe", "object", "embed", "link", "form", "base", "meta"])
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            assert not attr.lower().startswith("on"), str(tag)
            if attr in ("href", "src", "xlink:href", "srcset", "action", "formaction", "poster", "data"):
                assert text.strip().startswith(("data:", "#")), str(tag)
            assert "file:" not in text and "javascript:" not in text.lower() and "http:" not in text, str(tag)
    assert "file:" not in "".join(s.get_text() for s in soup.find_all("style"))


def test_what_a_report_needs_survives_the_clean_up():
    keep = ('<h2 id="sec">S</h2><a class="anchor" href="#sec">¶</a><img src="data:image/png;base64,iVBORw0KGgo=">'
            '<table class="rebal-table"><tr><td style="color:#c62828;font-weight:600">x</td></tr></table>'
            '<style>.rebal-table td{padding:2px}</style>')
    soup = _clean(keep)
    assert soup.find("a")["href"] == "#sec" and soup.find("img")["src"].startswith("data:image/png")
    assert soup.find("td")["style"] == "color:#c62828;font-weight:600" and "padding:2px" in soup.find("style").string


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_page_helpers_escape_data_text(name):
    from rebal.report.widgets import badge, card, table

    frame = pd.DataFrame({"name": [name], "sector": [name], "weight": [0.5]}, index=pd.Index([name], name=name))
    out = [table(frame).data, badge(name), card([("Sector", __import__("html").escape(name))]).data]
    for html in out:
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find_all(["img", "svg", "a", "script", "iframe", "link", "style"]), html[:300]
        assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")]
    assert name in BeautifulSoup(out[0], "html.parser").get_text()
