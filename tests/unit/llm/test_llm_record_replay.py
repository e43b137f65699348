"""Point in time (a planted future headline never reaches the model), recording every call, replaying it byte for byte."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import write_market
from llm_helpers import ScriptedServer, answer, completion, make_profile, openai_block

from rebal.allocation.target import base_target, compute_target
from rebal.data.lakehouse import Lakehouse
from rebal.data.llm_calls import calls_before, find_call
from rebal.data.news import validate_news, write_news
from rebal.llm.assist import UNAVAILABLE, assisted_target, outcome_text
from rebal.llm.batch import backfill, plan, record_at

AS_OF = date(2024, 5, 31)
FUTURE = "FUTURE: A doubles its profit forecast"


@pytest.fixture
def lake(tmp_path):
    """A SYNTHETIC market (seeded random walks) of A, B, C and IDX over 110 weekdays, with dated news."""
    days = pd.bdate_range("2024-01-02", periods=110)
    rng = np.random.default_rng(7)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(days), 4)), axis=0)), index=days,
                         columns=["A", "B", "C", "IDX"])
    path = write_market(tmp_path / "lh.duckdb", close, benchmark="IDX", sectors={"A": "Tech", "B": "Energy",
                                                                                    "C": "Health"})
    news = pd.DataFrame({"date": ["2024-05-31", "2024-05-24", "2024-06-03", "2024-03-01"],
                         "ticker": ["A", "B", "A", "C"],
                         "headline": ["A wins a strong new contract", "B faces a costly lawsuit", FUTURE,
                                      "C had a great quarter (too old for the window)"]})
    with Lakehouse(path, read_only=False) as lh:
        write_news(lh, validate_news(news, "news.csv", lh.known_tickers()), "news.csv")
    return path


@pytest.fixture
def profile(tmp_path):
    return make_profile(tmp_path, "  provider: offline\n  lookback_days: 60\n  trend_days: 5\n"
                                  "  news: {window_days: 30, half_life_days: 7}")


def test_no_news_from_after_the_as_of_date_reaches_the_request(lake, profile):
    with Lakehouse(lake) as lh:  # the whole file, no as-of limit on the connection: the inputs cut it themselves
        base = base_target(profile, lh, AS_OF).weights
        batch, left = plan([profile], lh, AS_OF)
    (item,) = batch.items
    inp = item.prep.inputs
    assert not left and list(inp.news["headline"]) == ["A wins a strong new contract", "B faces a costly lawsuit"]
    assert inp.news_through == AS_OF and base.sum() == pytest.approx(1.0)
    sent = "".join(m["content"] for m in item.prep.request.messages)
    assert "FUTURE" not in sent and "too old" not in sent and "A wins a strong new contract" in sent
    assert inp.prices_through <= AS_OF
    # the day after, the planted headline is news
    with Lakehouse(lake) as lh:
        batch, _ = plan([profile], lh, date(2024, 6, 3))
    assert FUTURE in list(batch.items[0].prep.inputs.news["headline"])


def test_a_call_is_recorded_and_replays_byte_identically(lake, profile):
    with Lakehouse(lake) as lh:
        batch, _ = plan([profile], lh, AS_OF)
        (live,) = batch.run()
    assert record_at(batch, lake) == ""
    recorded = batch.items[0].call
    with Lakehouse(lake) as lh:
        row = find_call(lh, profile.name, AS_OF, live.prompt_hash)
        replay = assisted_target(profile, lh.at(AS_OF), AS_OF, live.base)
        target = compute_target(profile, lh.at(AS_OF), AS_OF)
    assert row["call_id"] == recorded.call_id and row["origin"] == "call" and row["provider"] == "offline"
    assert row["news_through"] == AS_OF and row["status"] == live.status and row["seconds"] >= 0
    assert replay.call.origin == "replayed" and replay.source.startswith(f"recorded call {recorded.call_id}")
    assert replay.call.raw == recorded.raw == row["raw_response"]  # the raw response, byte for byte
    assert outcome_text(replay) == outcome_text(live)              # the views, texts and weights, byte for byte
    assert target.weights.equals(replay.weights) and target.assist.call.call_id == recorded.call_id
    # a second plan finds the record; --call-again records anew and the newest is replayed
    with Lakehouse(lake) as lh:
        again, _ = plan([profile], lh, AS_OF)
        assert again.items[0].call.origin == "replayed"
        fresh, _ = plan([profile], lh, AS_OF, call_again=True)
        fresh.run()
    record_at(fresh, lake)
    with Lakehouse(lake) as lh:
        n = lh.con.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
        newest = assisted_target(profile, lh.at(AS_OF), AS_OF, live.base)
    assert n == 2 and newest.call.call_id == fresh.items[0].call.call_id


def test_a_remote_call_replays_without_the_server(lake, tmp_path):
    views = answer([{"long": ["A"], "short": [], "value": 0.08, "confidence": 0.4, "rationale": "contract"}])
    with ScriptedServer([(200, completion(views), {}, 0)]) as srv:
        prof = make_profile(tmp_path, openai_block(srv.url) + "\n  lookback_days: 60\n  trend_days: 5", name="remote")
        with Lakehouse(lake) as lh:
            batch, _ = plan([prof], lh, AS_OF)
            (live,) = batch.run()
        record_at(batch, lake)
    # the server is gone: the report's target replays the recorded answer
    with Lakehouse(lake) as lh:
        replay = compute_target(prof, lh.at(AS_OF), AS_OF).assist
    assert replay.call.origin == "replayed" and outcome_text(replay) == outcome_text(live)
    assert replay.model_generated and [g.stated.label for g in replay.views] == ["A"]


def test_a_remote_profile_without_a_recorded_call_never_calls_from_a_report(lake, tmp_path):
    prof = make_profile(tmp_path, openai_block("http://127.0.0.1:9/v1") + "\n  lookback_days: 60\n  trend_days: 5",
                        name="remote")
    with Lakehouse(lake) as lh:
        out = compute_target(prof, lh.at(AS_OF), AS_OF).assist
    assert out.status == UNAVAILABLE and "no recorded call of openai" in out.reason
    assert "rebal views --profile remote" in out.reason and out.weights.equals(out.base)


def test_missing_history_leaves_the_base_target_labelled(lake, tmp_path):
    prof = make_profile(tmp_path, "  provider: offline\n  lookback_days: 500", name="long")
    with Lakehouse(lake) as lh:
        out = compute_target(prof, lh.at(AS_OF), AS_OF).assist
    assert out.status == UNAVAILABLE and "`llm.lookback_days`: 500 daily returns needed" in out.reason


def test_backfill_records_offline_calls_point_in_time_and_refuses_a_model(lake, profile, tmp_path):
    dates = [date(2024, 5, 17), date(2024, 5, 24)]
    with Lakehouse(lake, read_only=False) as lh:
        assert backfill(profile, lh, dates) == {"recorded": 2, "skipped": 0}
        assert backfill(profile, lh, dates) == {"recorded": 0, "skipped": 2}  # already recorded
        past = calls_before(lh, profile.name, AS_OF)
        remote = make_profile(tmp_path, openai_block("http://127.0.0.1:9/v1"), name="remote")
        with pytest.raises(Exception, match="only the offline rule can be backfilled"):
            backfill(remote, lh, dates)
    assert list(past["as_of"]) == dates and set(past["status"]) <= {"VIEWS APPLIED", "NO VIEWS"}
