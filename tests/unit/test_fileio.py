"""Atomic writes: the destination holds the old content or the new, and no temporary file is left."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from rebal import fileio
from rebal.fileio import (
    atomic_write,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    replace_directory,
    staged_directory,
    staged_file,
)


def _names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_text_bytes_and_json_are_written_as_plain_writes_would(tmp_path):
    doc = {"b": 1.5, "a": ["é", None]}
    atomic_write_json(tmp_path / "a.json", doc, indent=2)
    (tmp_path / "ref.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "ref.json").read_bytes()
    atomic_write_json(tmp_path / "b.json", {"d": tmp_path}, default=str, final_newline=False)
    assert (tmp_path / "b.json").read_text() == json.dumps({"d": str(tmp_path)}, indent=2)
    atomic_write_text(tmp_path / "c.txt", "line\nzweite Zeile ü\n")
    assert (tmp_path / "c.txt").read_bytes() == "line\nzweite Zeile ü\n".encode()
    atomic_write_bytes(tmp_path / "d.bin", b"\x00\x01")
    assert (tmp_path / "d.bin").read_bytes() == b"\x00\x01"
    assert _names(tmp_path) == ["a.json", "b.json", "c.txt", "d.bin", "ref.json"]  # no temporary left


def test_parent_directories_are_created(tmp_path):
    out = atomic_write_text(tmp_path / "x" / "y" / "z.txt", "hi")
    assert out.read_text() == "hi"


def test_mode_is_applied_before_the_umask(tmp_path):
    atomic_write_text(tmp_path / "private.json", "{}", mode=0o600)
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_text("old")

    def boom(src, dst):
        raise OSError("disk full (test)")

    monkeypatch.setattr(fileio.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and _names(tmp_path) == ["state.json"]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")

    def writer(p: Path) -> None:
        p.write_bytes(b"half")
        raise RuntimeError("renderer crashed (test)")

    with pytest.raises(RuntimeError):
        atomic_write(target, writer)
    assert target.read_bytes() == b"old" and _names(tmp_path) == ["fig.png"]


def test_the_temporary_name_keeps_the_suffix_and_lives_beside_the_target(tmp_path):
    seen = []
    atomic_write(tmp_path / "plot.png", lambda p: (seen.append(p), p.write_bytes(b"png")))
    assert seen[0].parent == tmp_path and seen[0].suffix == ".png" and seen[0].name.startswith(".plot.png.")
    assert (tmp_path / "plot.png").read_bytes() == b"png"


def test_staged_file_removes_side_files_like_a_duckdb_wal(tmp_path):
    with staged_file(tmp_path / "lake.duckdb") as tmp:
        tmp.write_bytes(b"db")
        Path(str(tmp) + ".wal").write_bytes(b"wal")
    assert _names(tmp_path) == ["lake.duckdb"]
    with pytest.raises(ValueError):
        with staged_file(tmp_path / "lake.duckdb") as tmp:
            tmp.write_bytes(b"half")
            Path(str(tmp) + ".wal").write_bytes(b"wal")
            raise ValueError("interrupted build (test)")
    assert _names(tmp_path) == ["lake.duckdb"] and (tmp_path / "lake.duckdb").read_bytes() == b"db"


def test_staged_directory_replaces_the_whole_directory(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "trades.csv").write_text("stale")
    with staged_directory(out) as stage:
        assert stage.parent == tmp_path and stage.name.startswith(".run.")
        (stage / "alerts.json").write_text("{}")
    assert _names(out) == ["alerts.json"]  # the stale file went with the old directory
    assert _names(tmp_path) == ["run"]


def test_a_failed_staged_directory_leaves_the_old_one(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "picks.csv").write_text("old")
    with pytest.raises(KeyError):
        with staged_directory(out) as stage:
            (stage / "picks.csv").write_text("new")
            raise KeyError("half-way (test)")
    assert (out / "picks.csv").read_text() == "old" and _names(tmp_path) == ["run"]


def test_replace_directory_creates_the_target_when_absent(tmp_path):
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "a").write_text("1")
    replace_directory(stage, tmp_path / "new")
    assert _names(tmp_path) == ["new"] and (tmp_path / "new" / "a").read_text() == "1"
    assert os.access(tmp_path / "new", os.R_OK | os.X_OK)
