"""Hostile command lines against every command group: one line on stderr, exit 2, no traceback, nothing written."""
from __future__ import annotations

import pytest
from conftest import assert_one_line_error, file_digest
from hostile_corpus import CLI_ARGS


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in CLI_ARGS], ids=[c[0] for c in CLI_ARGS])
def test_hostile_command_line_is_one_line_and_writes_nothing(tiny_home, cli, args, needles):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, *args)
    assert_one_line_error(res, *needles)
    assert len(res.stderr) < 2200
    assert file_digest(lake) == before
    assert not (tiny_home / "reports").exists() and not (tiny_home / "data" / "lakehouse" / "states").exists()
