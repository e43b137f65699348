"""Issue 25, class 7: inputs large enough to take gigabytes are refused above a stated limit, naming the limit and the
knob that raises it (the cost curve itself is the speed issue's)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_PROFILE, assert_one_line_error, file_digest

from rebal.config import load_profile
from rebal.errors import ConfigError
from rebal.limits import DEFAULT_MAX_UNIVERSE, MAX_IMPORT_BYTES, input_bytes


def _prices(path, n_tickers: int) -> None:
    """Valid closes of ``n_tickers`` new tickers on the tiny lakehouse's four sessions (about 23 bytes a row)."""
    dates = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    tickers = [f"T{i:05d}" for i in range(n_tickers)]
    df = pd.DataFrame({"date": np.repeat(dates, n_tickers), "ticker": np.tile(tickers, 4), "close": 10.0})
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path)


def test_the_stated_limits():
    assert MAX_IMPORT_BYTES == 50_000_000 and DEFAULT_MAX_UNIVERSE == 1000


@pytest.mark.parametrize(("name", "needles"), [
    ("big.csv", ("big.csv", "MB to read, more than the 1 MB limit of an import", "--max-size MB")),
    ("big.parquet", ("big.parquet", "MB to read, more than the 1 MB limit", "split it into smaller files")),
])
def test_a_file_above_the_limit_is_refused_before_it_is_read(tiny_home, cli, name, needles):
    f = tiny_home / name
    _prices(f, 20_000)  # 80,000 rows: about 1.9 MB of CSV; the Parquet file is far smaller than what it holds
    assert input_bytes(f) > 1_000_000
    lake = tiny_home / "data" / "lakehouse" / "rebal.duckdb"
    before = file_digest(lake)
    res = cli(tiny_home, "data", "import", "prices", str(f), "--max-size", "1")
    assert_one_line_error(res, *needles)
    assert file_digest(lake) == before
    res = cli(tiny_home, "data", "import", "prices", str(f), "--max-size", "0")  # 0: no limit
    assert res.returncode == 0, res.stderr


def test_the_parquet_limit_counts_what_the_file_holds_not_its_compressed_size(tmp_path):
    f = tmp_path / "p.parquet"
    _prices(f, 20_000)
    assert f.stat().st_size < 1_000_000 < input_bytes(f)


def test_the_import_help_states_the_limits(cli):
    res = cli(None, "data", "import", "--help")
    text = " ".join(res.stdout.split())
    assert "default 50" in text and "--max-size MB" in text and "default 4: +300 % / -75 % a day" in text


def test_a_universe_above_the_limit_is_refused_at_load_with_its_knob(tiny_home):
    names = [f"T{i:04d}" for i in range(1001)]
    body = (f"universe: [{', '.join(names)}]\nbenchmark: IDX\ntarget: {{method: min_variance}}\n"
            "notebooks: [drift_audit]\n")
    path = tiny_home / "params" / "profiles" / "wide.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=r"wide\.yaml: `universe`: 1,001 names, more than `data.max_universe` "
                                          r"\(1,000\).*raise `data.max_universe`"):
        load_profile("wide", path.parent)
    path.write_text(body + "data: {max_universe: 2000}\n")
    assert len(load_profile("wide", path.parent).universe) == 1001


def test_a_universe_above_the_limit_stops_the_weekly_run_before_anything_is_written(tiny_home, cli):
    names = ["AAA", "BBB", "CCC"]
    (tiny_home / "params" / "profiles" / "tiny.yaml").write_text(TINY_PROFILE + "data: {max_universe: 2}\n")
    res = cli(tiny_home, "run", "--workers", "1")
    assert_one_line_error(res, "tiny.yaml", f"`universe`: {len(names)} names, more than `data.max_universe` (2)")
    assert not (tiny_home / "reports").exists()


def test_a_whole_lakehouse_factor_map_above_the_limit_is_refused(tiny_home, cli):
    import duckdb

    con = duckdb.connect(str(tiny_home / "data" / "lakehouse" / "rebal.duckdb"))
    con.executemany("INSERT INTO tickers VALUES (?, ?, 'Tech', 'equity', FALSE, 'test')",
                    [(f"E{i:04d}", f"E{i}") for i in range(DEFAULT_MAX_UNIVERSE)])
    con.close()
    res = cli(tiny_home, "factor-map")
    assert_one_line_error(res, "1,003 equities, more than the 1,000 a factor map of the whole lakehouse reads",
                          "--profile")
    assert not (tiny_home / "summaries").exists()
