"""The hostile price files of issue 25, imported in chunks of one row (issue 26's streamed import).

``rebal data import prices`` reads a long file in chunks (rebal.data.import_stream); here a chunk is one row,
so every check that spans rows (duplicates, letter case, one-day moves within the file and against the
stored closes) crosses a chunk boundary. Each file must be refused with the same one-line message as a
whole file (the needles of the corpus), and the lakehouse left unchanged.
"""
from __future__ import annotations

import pytest
from conftest import assert_one_line_error, file_digest
from hostile_round2 import CALENDAR, MAGNITUDES
from test_hostile_round2_data import DIGIT_FILES, _write

from rebal.data import import_stream

CASES = [c for c in (*CALENDAR, *MAGNITUDES, *DIGIT_FILES) if c[1] == "prices"]
MORE = [  # checks between rows, each pair of rows in two chunks
    ("duplicate", "prices", "p.csv", "date,ticker,close\n2024-01-08,AAA,44\n2024-01-08,BBB,18\n2024-01-08,AAA,45\n",
     ("p.csv", "row 4 (date=2024-01-08, ticker=AAA): duplicate (date, ticker)")),
    ("case-variant", "prices", "p.csv", "date,ticker,close\n2024-01-08,NEW,4\n2024-01-09,New,4\n",
     ("row 3", "`ticker` 'New' differs only in letter case from 'NEW'")),
]


@pytest.mark.parametrize(("kind", "name", "content", "needles"), [c[1:] for c in CASES + MORE],
                         ids=[c[0] for c in CASES + MORE])
def test_a_hostile_price_file_in_one_row_chunks_is_refused_as_a_whole_one(tiny_home, cli, monkeypatch, kind, name,
                                                                          content, needles):
    monkeypatch.setattr(import_stream, "CHUNK_ROWS", 1)
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, "data", "import", kind, str(_write(tiny_home, name, content)))
    assert_one_line_error(res, *needles)
    assert file_digest(lake) == before
    assert not list(lake.parent.glob(".import-*"))  # the scratch staging file is gone
