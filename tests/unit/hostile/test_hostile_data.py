"""Hostile data files against `rebal data import`: one line naming the file, the row and the field, exit 2, and
the lakehouse unchanged; a confirmed case variant is accepted."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import assert_one_line_error, file_digest
from hostile_corpus import DATA_FILES

from rebal.data.lakehouse import Lakehouse


def _write(home, name, content):
    path = home / name
    if isinstance(content, dict):
        pd.DataFrame(content).to_parquet(path)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(("kind", "name", "content", "needles"), [c[1:] for c in DATA_FILES],
                         ids=[c[0] for c in DATA_FILES])
def test_hostile_data_file_is_refused_in_one_line_and_changes_nothing(tiny_home, cli, kind, name, content, needles):
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, "data", "import", kind, str(_write(tiny_home, name, content)))
    assert_one_line_error(res, *needles)
    assert len(res.stderr) < 800
    assert file_digest(lake) == before


def test_a_confirmed_case_variant_is_imported(tiny_home, cli):
    f = _write(tiny_home, "p.csv", "date,ticker,close\n2024-01-08,aaa,45\n")
    res = cli(tiny_home, "data", "import", "prices", str(f), "--allow-case-variants")
    assert res.returncode == 0, res.stderr
    with Lakehouse(tiny_home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        assert {"aaa", "AAA"} <= lh.known_tickers()


def test_parquet_date_columns_and_today_are_accepted(tiny_home, cli):
    from datetime import date

    f = _write(tiny_home, "p.parquet", {"date": pd.to_datetime(["2024-01-08", str(date.today())]).tz_localize("UTC"),
                                        "ticker": ["AAA", "AAA"], "close": [45.0, 46.0]})
    res = cli(tiny_home, "data", "import", "prices", str(f))
    assert res.returncode == 0, res.stderr
    with Lakehouse(tiny_home / "data" / "lakehouse" / "rebal.duckdb") as lh:
        assert lh.latest_date() == date.today()
        assert str(lh.prices(["AAA"]).index[-2].date()) == "2024-01-08"  # not 1970-01-01
