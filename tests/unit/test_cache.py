"""The in-process memo (rebal.cache): keyed by everything a result depends on, copies in and out."""
from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest
from conftest import make_tiny_home

from rebal import cache
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.monitor.state import StateStore


def test_memo_hits_copies_and_passes_uncacheable_calls_through(monkeypatch):
    calls = []

    @cache.memoize(4)
    def frame(n: int, label: str = "x") -> pd.DataFrame:
        calls.append((n, label))
        return pd.DataFrame({"v": range(n)})

    a = frame(3)
    a.loc[0, "v"] = 99  # the caller changes what it got
    b = frame(3)
    assert calls == [(3, "x")] and b["v"].tolist() == [0, 1, 2]  # a hit, and an untouched copy
    frame(3, label="y")
    assert calls[-1] == (3, "y")  # another keyword value is another key
    assert frame.memo.hits == 1 and frame.memo.misses == 2

    @cache.memoize()
    def length(x: object) -> int:
        calls.append("len")
        return len(x)

    length({1: 2})
    length({1: 2})  # a dict has no key: both calls run
    assert calls.count("len") == 2

    monkeypatch.setenv("REBAL_CACHE", "off")
    frame(3)
    assert calls[-1] == (3, "x")  # off: the function runs again


def test_lru_bound():
    @cache.memoize(2)
    def f(n: int) -> int:
        return n

    for n in (1, 2, 3):
        f(n)
    assert f.memo.store.__len__() == 2
    f(1)
    assert f.memo.misses == 4  # 1 was evicted first


def test_a_lakehouse_written_since_is_read_again(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
    path = home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(path) as lh:
        before = lh.prices(["AAA"])
        assert lh.prices(["AAA"]).equals(before)
    assert Lakehouse.prices.memo.hits == 1
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        con.execute("INSERT INTO prices (date, ticker, close, source) VALUES (DATE '2024-01-08', 'AAA', 123.0, 'test')")
        assert lh.__cache_key__() is None  # a writable lakehouse is never memoized
    with Lakehouse(path) as lh:
        after = lh.prices(["AAA"])
    assert len(after) == len(before) + 1 and after["AAA"].iloc[-1] == 123.0


def test_as_of_views_are_different_keys(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
    with Lakehouse(home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        full = lh.prices(["AAA"])
        cut = lh.at(full.index[1].date()).prices(["AAA"])
    assert len(cut) == 2 and len(full) > 2


def test_profile_key_is_its_content_and_its_side_files(tmp_path):
    home = make_tiny_home(tmp_path / "proj")
    prof = load_profile("tiny", home / "params" / "profiles")
    key = cache.cache_key(prof)
    assert cache.cache_key(load_profile("tiny", home / "params" / "profiles")) == key  # loaded again: same key
    other = dataclasses.replace(prof, drift=dataclasses.replace(prof.drift, rebalance=prof.drift.rebalance / 2))
    assert cache.cache_key(other) != key  # same file and sha256, other content
    (home / "params" / "views").mkdir()
    (home / "params" / "views" / "v.yaml").write_text("[]\n")  # a file beside the profile (views, episodes)
    assert cache.cache_key(prof) != key
    with pytest.raises(cache.Uncacheable):
        cache.cache_key(dataclasses.replace(prof, source=""))  # not loaded from a file: not memoized


def test_state_store_key_changes_with_an_accepted_state(tmp_path):
    store = StateStore(tmp_path / "states")
    (tmp_path / "states").mkdir()
    key = cache.cache_key(store)
    store.accept("tiny", pd.Series({"AAA": 0.5, "BBB": 0.5}), as_of=date(2024, 1, 2), source="test")
    assert cache.cache_key(store) != key


def test_a_write_within_the_same_file_time_still_changes_the_stamp(tmp_path, monkeypatch):
    """File times are coarse: the stamp also reads DuckDB's headers, which move at every checkpoint."""
    import os

    from rebal.data import lakehouse as lakehouse_mod

    home = make_tiny_home(tmp_path / "proj")
    path = home / "data" / "lakehouse" / "rebal.duckdb"
    before = lakehouse_mod._file_stamp(path)
    st = path.stat()
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        con.execute("UPDATE prices SET close = close + 1 WHERE ticker = 'AAA'")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as if the write fell in the same clock tick
    after = lakehouse_mod._file_stamp(path)
    assert path.stat().st_mtime_ns == st.st_mtime_ns and after != before
    assert after[3] != before[3]  # the headers differ


def test_the_memo_keeps_no_result_too_large_and_drops_the_oldest_beyond_its_bytes(monkeypatch):
    import numpy as np

    calls = []

    @cache.memoize(10)
    def block(n: int, k: int = 0) -> np.ndarray:
        calls.append(n)
        return np.zeros(n)  # n x 8 bytes

    monkeypatch.setattr(cache, "MAX_ENTRY_BYTES", 8_000)
    monkeypatch.setattr(cache, "MAX_MEMO_BYTES", 20_000)
    block(2_000)  # 16,000 bytes: more than an entry may hold
    block(2_000)
    assert calls == [2_000, 2_000] and not block.memo.store  # computed twice, never kept
    for k in range(3):
        block(900, k)  # 7,200 bytes each: the third would make 21,600 > 20,000
    assert len(block.memo.store) == 2 and sum(block.memo.sizes.values()) == 14_400
    block(900, 0)
    assert calls.count(900) == 4  # the oldest went first
    block(900, 2)
    assert calls.count(900) == 4  # the newest stayed


def test_nbytes_counts_buffers_inside_objects():
    import numpy as np

    @dataclasses.dataclass
    class Fitted:
        weights: pd.Series
        covariance: pd.DataFrame
        notes: list

    cov = pd.DataFrame(np.zeros((100, 100)))  # 80,000 bytes of values
    f = Fitted(pd.Series(np.zeros(100)), cov, ["a"])
    assert 80_000 + 800 <= cache.nbytes(f) <= 80_000 + 800 + 5_000  # values, plus indexes and the list
    assert cache.nbytes({"a": f, "b": f}) == cache.nbytes({"a": f}) + cache.nbytes("b")  # counted once
