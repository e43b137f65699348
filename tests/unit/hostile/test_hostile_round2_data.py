"""Issue 25, classes 1-4 at the door: data files that parse but no market produces, holdings no consumer can value,
text that hides itself. Each is refused by `rebal data import` in one line naming the file, the row, the field and
the reason (exit 2), and the lakehouse is unchanged."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import assert_one_line_error, file_digest
from hostile_round2 import CALENDAR, HOLDINGS, MAGNITUDES, TEXT

from rebal.data.lakehouse import Lakehouse

DIGIT_FILES = [
    ("prices-fullwidth-date", "prices", "p.csv", "date,ticker,close\n２０２４-01-08,AAA,44\n",
     ("p.csv", "row 2", "`date` is not a date (YYYY-MM-DD, ASCII digits 0-9)")),
    ("prices-fullwidth-close", "prices", "p.csv", "date,ticker,close\n2024-01-08,AAA,４４\n",
     ("row 2", "`close` must be a finite number, found '４４'")),
    ("alpha-arabic-indic", "alpha", "a.csv", "date,ticker,alpha\n2024-01-05,AAA,٠.٥\n",
     ("a.csv", "`alpha` must be a finite number")),
    ("holdings-fullwidth-shares", "holdings", "h.csv", "profile,as_of,ticker,shares\ntiny,2024-01-05,AAA,１０\n",
     ("h.csv", "`shares` must be a finite number")),
]
CASES = [*CALENDAR, *MAGNITUDES, *HOLDINGS, *TEXT, *DIGIT_FILES]


def _write(home, name, content):
    path = home / name
    if isinstance(content, dict):
        pd.DataFrame(content).to_parquet(path)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(("kind", "name", "content", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_file_no_market_produces_is_refused_in_one_line_and_changes_nothing(tiny_home, cli, kind, name, content,
                                                                            needles):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, "data", "import", kind, str(_write(tiny_home, name, content)))
    assert_one_line_error(res, *needles)
    assert len(res.stderr) < 900 and "\x1b" not in res.stderr and "\u202e" not in res.stderr
    assert file_digest(lake) == before
    assert not list(lake.parent.glob("*.wal"))


def test_real_closes_on_sessions_and_real_moves_are_imported(tiny_home, cli):
    """The control: sessions only, moves within 4x (+300 % / -75 %), a book with cash only."""
    f = _write(tiny_home, "p.csv", "date,ticker,close\n2024-01-08,AAA,175\n2024-01-09,AAA,44\n2024-01-08,BBB,4.6\n")
    res = cli(tiny_home, "data", "import", "prices", str(f))
    assert res.returncode == 0, res.stderr
    h = _write(tiny_home, "h.csv", "profile,as_of,ticker,shares\ntiny,2024-01-09,CASH,1000\n")
    assert cli(tiny_home, "data", "import", "holdings", str(h)).returncode == 0
    with Lakehouse(tiny_home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        assert lh.prices(["AAA"])["AAA"].tolist() == [40.0, 42.0, 43.0, 44.0, 175.0, 44.0]


def test_a_confirmed_move_is_imported_recorded_and_accepted_by_readers(tiny_home, cli):
    f = _write(tiny_home, "p.csv", "date,ticker,close\n2024-01-08,AAA,440\n2024-01-09,AAA,441\n")
    assert cli(tiny_home, "data", "import", "prices", str(f)).returncode == 2
    res = cli(tiny_home, "data", "import", "prices", str(f), "--confirm-move", "AAA:2024-01-08")
    assert res.returncode == 0, res.stderr
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(lake) as lh:
        assert lh.meta()["confirmed_move:AAA:2024-01-08"] == "x10 confirmed by import:p.csv"
        assert lh.prices(["AAA"]).loc["2024-01-08", "AAA"] == 440.0  # the reader accepts the confirmed move
    assert cli(tiny_home, "data", "check").returncode == 0


def test_a_raised_limit_lets_a_move_in_and_records_it(tiny_home, cli):
    f = _write(tiny_home, "p.csv", "date,ticker,close\n2024-01-08,BBB,90\n")  # x5 from 18
    assert cli(tiny_home, "data", "import", "prices", str(f), "--max-move", "6").returncode == 0
    with Lakehouse(tiny_home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        assert "confirmed_move:BBB:2024-01-08" in lh.meta()
        assert lh.prices(["BBB"]).iloc[-1, 0] == 90.0
