"""rn.glue records what scrapbook.glue records (checked against scrapbook itself), without importing it."""
from __future__ import annotations

import base64
import io
import sys

import pandas as pd
import pytest

from rebal.report.widgets import scrap_payload


def _scrapbook_record(name, value):
    from scrapbook.api import _prepare_ipy_data_format
    from scrapbook.encoders import registry
    from scrapbook.scraps import Scrap, scrap_to_payload

    encoder = registry.determine_encoder_name(value)
    return _prepare_ipy_data_format(name, scrap_to_payload(registry.encode(Scrap(name, value, encoder))), encoder)


@pytest.mark.parametrize("value", ["MAINTAIN", "", 0.0512, 3, True, [1.5, "a"], {"k": [1, 2]}, float("nan")])
def test_plain_values_are_recorded_exactly_as_scrapbook_records_them(value):
    ours, theirs = scrap_payload("x", value), _scrapbook_record("x", value)
    assert ours[1] == theirs[1]
    assert list(ours[0]) == list(theirs[0])  # the same media type (text for strings, json for the rest)
    a, b = ours[0].popitem()[1], theirs[0].popitem()[1]
    assert {k: v for k, v in a.items() if k != "data"} == {k: v for k, v in b.items() if k != "data"}
    assert a["data"] == b["data"] or (a["data"] != a["data"] and b["data"] != b["data"])  # nan == nan here


def test_a_dataframe_is_parquet_that_scrapbook_reads_back():
    from scrapbook.encoders import registry
    from scrapbook.scraps import Scrap

    df = pd.DataFrame({"weight": [0.25, 0.75], "ticker": ["AAA", "BBB"]}, index=pd.Index(["a", "b"], name="k"))
    data, meta = scrap_payload("frame", df)
    payload = data["application/scrapbook.scrap.pandas+json"]
    assert payload["encoder"] == "pandas" and meta == _scrapbook_record("frame", df)[1]
    back = registry.decode(Scrap("frame", payload["data"], "pandas"))
    pd.testing.assert_frame_equal(back.data, df)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(base64.b64decode(payload["data"]))), df)


def test_unencodable_values_are_refused_with_the_scrap_name():
    with pytest.raises(TypeError, match="'odd'"):
        scrap_payload("odd", object())


def test_glue_does_not_import_scrapbook():
    import subprocess

    code = ("import sys; from rebal.report import widgets; from rebal.report.registry import report\n"
            "print('scrapbook' in sys.modules, 'papermill' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
