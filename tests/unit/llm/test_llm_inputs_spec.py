"""The news import (validated like every import), the ``llm`` section's checks, the providers' clear errors,
and the track record worked by hand."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from conftest import csv, file_digest, write_market, write_tiny_lakehouse
from llm_helpers import make_profile, openai_block

from rebal.data.importers import import_file
from rebal.data.lakehouse import Lakehouse
from rebal.data.llm_calls import COLUMNS, insert_calls
from rebal.data.news import news_items
from rebal.errors import ConfigError, DataError
from rebal.llm.providers import LlamaCppProvider, make_provider
from rebal.llm.track import track_record


@pytest.fixture
def lake(tmp_path):
    path = tmp_path / "lh.duckdb"
    write_tiny_lakehouse(path)
    return path


def test_news_import_is_read_point_in_time(lake, tmp_path):
    f = csv(tmp_path, "n.csv", """
        date,ticker,headline,body,source
        2024-01-03,AAA,AAA wins a contract,"Line one.
        Line two.",wire
        2024-01-05,BBB,BBB warns,,
    """)
    assert import_file(lake, "news", f)["rows"] == 2
    with Lakehouse(lake) as lh:
        all_ = news_items(lh, ["AAA", "BBB"], start=date(2024, 1, 1), end=date(2024, 1, 5))
        early = news_items(lh.at(date(2024, 1, 4)), ["AAA", "BBB"], start=date(2024, 1, 1), end=date(2024, 1, 5))
    assert list(all_["ticker"]) == ["BBB", "AAA"] and all_["body"].iloc[1] == "Line one.\nLine two."
    assert list(early["headline"]) == ["AAA wins a contract"]  # the view's as-of limit cuts the later item
    import_file(lake, "news", f)  # the same rows again replace themselves
    with Lakehouse(lake) as lh:
        assert lh.row_counts()["news"] == 2


@pytest.mark.parametrize("text, needle", [
    ("date,ticker,headline\n2024-01-03,ZZZ,Who?\n", "`ticker` 'ZZZ' is unknown"),
    ("date,ticker,headline\n2024-01-03,AAA,\n", "`headline` is empty"),
    ("date,ticker,headline\n2024-01-03,AAA," + "x" * 501 + "\n", "longer than 500 characters"),
    ("date,ticker,headline\n2024-13-03,AAA,Bad date\n", "`date` is not a date"),
    ("date,ticker,headline\n2999-01-03,AAA,From the future\n", "after today"),
    ("date,ticker,headline\n2024-01-03,AAA,Same\n2024-01-03,AAA,Same\n", "duplicate (date, ticker, headline)"),
    ("date,ticker,title\n2024-01-03,AAA,x\n", "missing column `headline`"),
    ("date,ticker,headline,url\n2024-01-03,AAA,x,http://x\n", "unknown column `url`"),
    ("date,ticker,headline\n2024-01-03,AAA,Bell\x07 rings\n", "control character"),
])
def test_a_bad_news_file_is_rejected_whole_and_changes_nothing(lake, tmp_path, text, needle):
    before = file_digest(lake)
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(DataError, match="bad.csv") as err:
        import_file(lake, "news", p)
    assert needle in str(err.value)
    assert file_digest(lake) == before


@pytest.mark.parametrize("block, needle", [
    ("  provider: openai", "`llm.endpoint.base_url`: required with provider 'openai'"),
    ("  provider: openai\n  endpoint: {base_url: 'ftp://x/v1', model: m}", "must be an http:// or https:// URL"),
    ("  provider: openai\n  endpoint: {base_url: 'https://u:p@x/v1', model: m}", "holds credentials"),
    ("  provider: openai\n  endpoint: {base_url: 'https://x/v1'}", "`llm.endpoint.model`: required"),
    ("  provider: openai\n  endpoint: {base_url: 'https://x/v1', model: m, api_key_env: sk-123}",
     "the NAME of an environment variable"),
    ("  provider: openai\n  endpoint: {base_url: 'https://x/v1', model: m, api_key: sk-123}", "unknown key"),
    ("  provider: llama_cpp", "`llm.local.model_path`: required"),
    ("  provider: gpt", "llm.provider"),
    ("  caps: {max_view_excess: 0.6, max_abs_return: 0.5}", "exceeds `llm.caps.max_abs_return`"),
    ("  caps: {max_distance: 10}", "write 0.1 for 10 %"),
])
def test_llm_section_errors_name_the_field(tmp_path, block, needle):
    with pytest.raises(ConfigError, match="hand.yaml") as err:
        make_profile(tmp_path, block)
    assert needle in str(err.value)


def test_llama_cpp_without_its_file_or_extra_is_one_clear_error(tmp_path):
    prof = make_profile(tmp_path, "  provider: llama_cpp\n  local: {model_path: models/none.gguf}")
    with pytest.raises(ConfigError, match=r"`llm.local.model_path`: model file .*none.gguf not found"):
        make_provider(prof)
    (tmp_path / "params" / "models").mkdir()
    (tmp_path / "params" / "models" / "none.gguf").write_bytes(b"GGUF")
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"needs the llama-cpp-python extra: pip install 'rebal\[llm-local\]'"):
            LlamaCppProvider(prof.llm.local, tmp_path / "params")
    else:  # pragma: no cover - the extra is installed: the file is found
        assert LlamaCppProvider(prof.llm.local, tmp_path / "params").path.is_file()


def test_an_openai_profile_builds_its_client_without_calling(tmp_path):
    prof = make_profile(tmp_path, openai_block("http://127.0.0.1:9/v1"))
    assert make_provider(prof).endpoint == "http://127.0.0.1:9/v1"


def test_track_record_worked_by_hand(tmp_path):
    days = pd.bdate_range("2024-01-01", periods=6)
    # A rises 10 % and B falls 5 % over the 2 sessions after the call of 2024-01-02; C is flat
    close = pd.DataFrame({"A": [100, 100, 105, 110, 110, 110], "B": [50, 50, 49, 47.5, 47.5, 47.5],
                          "C": [20.0] * 6}, index=days)
    path = write_market(tmp_path / "m.duckdb", close)
    parsed = {"base": {"A": 0.5, "B": 0.3, "C": 0.2},
              "views": [{"label": "A", "kind": "absolute", "picks": {"A": 1.0}, "value": 0.08, "equilibrium": 0.05},
                        {"label": "B", "kind": "absolute", "picks": {"B": 1.0}, "value": 0.04, "equilibrium": 0.06},
                        {"label": "A vs C", "kind": "relative", "picks": {"A": 1.0, "C": -1.0}, "value": -0.01,
                         "equilibrium": 0.0}]}
    row = {c: None for c in COLUMNS} | {"call_id": "c1", "profile": "hand", "as_of": date(2024, 1, 2),
                                        "recorded_at": "t", "origin": "backfill", "provider": "offline",
                                        "prompt_hash": "h", "request": "{}", "status": "VIEWS APPLIED",
                                        "parsed": json.dumps(parsed)}
    with Lakehouse(path, read_only=False) as lh:
        insert_calls(lh, [row])
    prof = make_profile(tmp_path, "  provider: offline\n  track_horizon_days: 2")
    with Lakehouse(path) as lh:
        early = track_record(prof, lh, date(2024, 1, 3))   # 1 session after the call: pending
        tr = track_record(prof, lh, date(2024, 1, 8))
    assert early.views.empty and early.pending == 3
    v = tr.views.set_index("view")
    r_base = 0.5 * 0.10 + 0.3 * (-0.05) + 0.2 * 0.0  # = 0.035
    assert v.loc["A", "realised"] == pytest.approx(0.10) and v.loc["A", "active"] == pytest.approx(0.10 - r_base)
    assert v.loc["B", "active"] == pytest.approx(-0.05 - r_base) and v.loc["A", "expected"] == pytest.approx(0.08 * 2 / 252)
    # A: tilt +3 %, active +6.5 %: hit; B: tilt -2 %, active -8.5 %: hit; A vs C: tilt -1 %, active +10 %: miss
    assert v["hit"].to_dict() == {"A": True, "B": True, "A vs C": False}
    assert v.loc["A vs C", "active"] == pytest.approx(0.10)  # a relative view: sum of picks 0, no base term
    assert tr.summary()["n"] == 3 and tr.summary()["hits"] == 2
    assert tr.text() == "2 of 3 past views hit (67%)" and tr.text("B") == "1 of 1 past view hit (100%)"
