"""The test suite's sample-lakehouse cache (tests/conftest.py): the key follows the inputs, a build
happens once however many workers ask at the same time, old entries are pruned."""
from __future__ import annotations

import shutil
import threading
import time
from types import SimpleNamespace

import conftest
import pytest


@pytest.fixture
def fake_build(tmp_path, monkeypatch):
    """A cache in tmp_path and a fast stand-in for the real build that counts its calls."""
    calls = []

    def build(path):
        calls.append(path)
        time.sleep(0.3)  # long enough for a second worker to arrive while the first builds
        path.write_bytes(b"lakehouse")
        return {"rows": {"prices": 1}}

    monkeypatch.setenv("REBAL_TEST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(conftest, "build_sample", build)
    return calls


def test_concurrent_workers_build_once_and_share_a_read_only_file(fake_build, tmp_path):
    paths = []
    workers = [threading.Thread(target=lambda: paths.append(conftest.cached_sample_lakehouse())) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(fake_build) == 1 and len(set(paths)) == 1
    path = paths[0]
    assert path.parent.parent == tmp_path / "cache" and path.read_bytes() == b"lakehouse"
    assert not path.stat().st_mode & 0o222  # nobody writes the cached file
    assert (path.parent / "inputs.json").is_file()
    assert conftest.cached_sample_lakehouse() == path and len(fake_build) == 1  # a later session: no build


def test_the_key_follows_params_package_sources_and_versions(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(conftest.REPO / "params", repo / "params")
    pkg = repo / "rebal"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "sample.py").write_text("SEED = 1\n")
    monkeypatch.setattr(conftest, "REPO", repo)
    monkeypatch.setattr(conftest, "rebal", SimpleNamespace(__file__=str(pkg / "__init__.py")))
    key0, facts = conftest.sample_inputs()
    assert conftest.sample_inputs()[0] == key0 and facts["files"] == 2 + len(list((repo / "params").rglob("*.yaml")))
    profile = next((repo / "params" / "profiles").glob("*.yaml"))
    profile.write_text(profile.read_text() + "\n# a comment changes the bytes\n")
    key1 = conftest.sample_inputs()[0]
    (pkg / "sample.py").write_text("SEED = 2\n")
    key2 = conftest.sample_inputs()[0]
    monkeypatch.setattr(conftest, "SAMPLE_PACKAGES", (*conftest.SAMPLE_PACKAGES, "pytest"))
    key3 = conftest.sample_inputs()[0]
    assert len({key0, key1, key2, key3}) == 4


def test_old_entries_are_pruned(tmp_path):
    root = tmp_path / "cache"
    for i in range(5):
        (root / f"k{i}").mkdir(parents=True)
        (root / f"k{i}.lock").touch()
        time.sleep(0.01)  # distinct modification times: k0 oldest
    conftest._prune_sample_cache(root, keep=root / "k0")
    kept = sorted(p.name for p in root.iterdir() if p.is_dir())
    # the entry just built and the newest SAMPLE_CACHE_KEEP - 1 others
    assert kept == ["k0", "k3", "k4"] and conftest.SAMPLE_CACHE_KEEP == 3
    assert not (root / "k1.lock").exists()
