"""SIGTERM while DuckDB runs a query: DuckDB drops the handler's exception and raises RuntimeError('Query
interrupted'); the lakehouse connection makes it the interrupt it was, and the CLI still exits 143."""
from __future__ import annotations

import os
import signal
import threading

import pytest

from rebal.cli.terminal import sigterm_as_interrupt, sigterm_received
from rebal.data.lakehouse import Lakehouse

SLOW = "SELECT sum(a * b) FROM range(4000000000) t(a), range(3) u(b)"  # minutes, if nothing stops it


def test_sigterm_inside_a_query_is_an_interrupt_and_is_known_as_sigterm(tmp_path):
    with Lakehouse(tmp_path / "lh.duckdb", read_only=False) as lh, sigterm_as_interrupt():
        assert not sigterm_received()
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            lh.con.execute(SLOW).fetchall()
        timer.join()
        assert sigterm_received()
    with sigterm_as_interrupt():
        assert not sigterm_received()  # a new block starts clean


def test_the_cli_exits_143_when_sigterm_interrupted_a_query(monkeypatch, capsys):
    import rebal.cli as cli

    def interrupted(args):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises Terminated; DuckDB would have dropped it
        raise AssertionError("not reached")

    def dropped(args):
        try:
            interrupted(args)
        except KeyboardInterrupt:
            raise KeyboardInterrupt from None  # what the lakehouse raises for DuckDB's 'Query interrupted'

    parser = cli.build_parser()
    args = parser.parse_args(["data", "info"])
    args.func = dropped
    with sigterm_as_interrupt():
        assert cli._run(args) == 143
    assert capsys.readouterr().err.startswith("rebal: terminated (SIGTERM)")
    args.func = lambda a: (_ for _ in ()).throw(KeyboardInterrupt())  # Ctrl-C
    with sigterm_as_interrupt():
        assert cli._run(args) == 130
