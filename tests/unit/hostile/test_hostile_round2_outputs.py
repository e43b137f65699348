"""Issue 25, class 4: files and text that leave the package. Every CSV the package writes neutralises cells a
spreadsheet would run (OWASP CSV injection); free text a command would print raw (--by, --note, stray arguments,
text from data) is refused on input or shown escaped; invisible and direction-changing characters likewise."""
from __future__ import annotations

import ast
import csv
import io
import json
import re

import duckdb
import pandas as pd
import pytest
from conftest import REPO, assert_one_line_error
from hostile_round2 import CLI_TEXT, FORMULA_SECTORS

from rebal.fileio import write_csv
from rebal.safetext import FORMULA_PREFIXES, ascii_float, neutralise_cell, unsafe_char, visible

PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?")


def _live_cells(path) -> list[str]:
    """Cells of a CSV file a spreadsheet would evaluate: starting like a formula and not a plain number."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row if c.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(c)]


def test_write_csv_neutralises_text_cells_and_keeps_numbers(tmp_path):
    df = pd.DataFrame({"sector": ["=cmd|' /C calc'!A0", "+1+1", "-x", "@SUM(A1)", "\tTab", "\rCR", "Tech", "-0.05"],
                       "weight": [-0.5, 0.25, -1e-3, 0.0, 1.0, 2.0, -3.0, 4.0]},
                      index=pd.Index(["=i", "b", "c", "d", "e", "f", "g", "h"], name="@idx"))
    df.columns = ["=sector", "weight"]
    out = tmp_path / "x.csv"
    write_csv(out, df)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    # worked by hand: a leading apostrophe on every text cell a spreadsheet would evaluate, nothing else changes
    assert list(back.columns) == ["'@idx", "'=sector", "weight"]
    assert back["'@idx"].tolist() == ["'=i", "b", "c", "d", "e", "f", "g", "h"]
    assert back["'=sector"].tolist() == ["'=cmd|' /C calc'!A0", "'+1+1", "'-x", "'@SUM(A1)", "'\tTab", "'\rCR", "Tech",
                                         "-0.05"]
    assert back["weight"].tolist() == ["-0.5", "0.25", "-0.001", "0.0", "1.0", "2.0", "-3.0", "4.0"]
    assert _live_cells(out) == []


@pytest.mark.parametrize("cell", FORMULA_SECTORS)
def test_every_formula_prefix_is_neutralised(cell):
    assert neutralise_cell(cell) == "'" + cell
    assert neutralise_cell(cell.lstrip("=+-@\t\r") or "x") == (cell.lstrip("=+-@\t\r") or "x")


def test_no_module_writes_a_csv_around_write_csv():
    """Every CSV writer of the package goes through rebal.fileio.write_csv (found by reading the code)."""
    found = []
    for path in sorted((REPO / "rebal").rglob("*.py")):
        if path.name in ("fileio.py", "safetext.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("to_csv", "to_excel", "writer", "DictWriter") \
                    and not (node.attr == "writer" and getattr(node.value, "id", "") != "csv"):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
    nb = [p.name for p in (REPO / "notebooks").glob("*.ipynb") if ".to_csv(" in p.read_text()]
    assert not found and not nb, found + nb


@pytest.mark.integration
def test_risk4_files_show_hostile_sectors_as_text(sample_home, cli, tmp_path):
    """A sector written verbatim into picks.csv became a live formula (issue 25, item 4)."""
    lake = sample_home / "data" / "lakehouse" / "rebal.duckdb"
    con = duckdb.connect(str(lake))
    sectors = sorted(r[0] for r in con.execute("SELECT DISTINCT sector FROM tickers WHERE sector IS NOT NULL").fetchall())
    for i, s in enumerate(sectors):  # written behind the importer's back: the writer is what is tested here
        con.execute("UPDATE tickers SET sector = ? WHERE sector = ?", [FORMULA_SECTORS[i % len(FORMULA_SECTORS)] + s, s])
    con.close()
    out = tmp_path / "r4"
    res = cli(sample_home, "risk4", "generate", "--profile", "risk4_us", "--date", "2022-12-27", "--no-record",
              "--output-dir", str(out))
    assert res.returncode == 0, res.stderr
    files = sorted(out.glob("*.csv"))
    assert {f.name for f in files} == {"checks.csv", "picks.csv", "trades.csv"}
    for f in files:
        assert _live_cells(f) == [], (f.name, _live_cells(f)[:3])
    picks = pd.read_csv(out / "picks.csv", dtype=str)
    assert picks["sector"].str.startswith("'").any()  # the data is there, as text
    assert pd.to_numeric(picks["weight"]).gt(0).all()  # numbers stay numbers


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in CLI_TEXT], ids=[c[0] for c in CLI_TEXT])
def test_free_text_that_would_forge_output_is_refused(tiny_home, cli, args, needles):
    res = cli(tiny_home, *args)
    assert_one_line_error(res, *needles)
    assert unsafe_char(res.stderr, allow_newlines=True) is None  # nothing raw reaches the terminal
    assert not (tiny_home / "data" / "lakehouse" / "states").exists() and not (tiny_home / "reports").exists()


def test_text_from_data_is_printed_escaped(tiny_home, cli):
    """A proposal's approver written behind the importer's back: `rebal proposals` shows it, escaped."""
    assert cli(tiny_home, "propose", "--profile", "tiny").returncode == 0
    con = duckdb.connect(str(tiny_home / "data" / "lakehouse" / "rebal.duckdb"))
    con.execute("UPDATE proposals SET approved_by = ?", ["mallory\x1b[2J\x1b[H\r🚨 URGENT\u202eevil"])
    con.close()
    res = cli(tiny_home, "proposals")
    assert res.returncode == 0, res.stderr
    assert unsafe_char(res.stdout, allow_newlines=True) is None
    assert "mallory\\x1b[2J\\x1b[H\\r🚨 URGENT<U+202E>evil" in res.stdout


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("note", "ok\x1b[2J", "`note` holds U+001B (escape)"),
    ("accepted_by", "me\n🚨 URGENT", "`accepted_by` holds U+000A (newline)"),
    ("note", "abc\u202edef", "`note` holds U+202E"),
    ("weights", {"AAA": "０.5", "CASH": 0.5}, "`weights` must be numbers"),
])
def test_a_hand_edited_state_file_with_hostile_text_is_refused(tiny_home, cli, field, value, needle):
    assert cli(tiny_home, "accept-state").returncode == 0
    path = tiny_home / "data" / "lakehouse" / "states" / "tiny.json"
    doc = json.loads(path.read_text())
    doc["history"][0][field] = value
    path.write_text(json.dumps(doc))
    before = path.read_bytes()
    res = cli(tiny_home, "drift-monitor")
    assert_one_line_error(res, "tiny.json", "history entry 0", needle)
    assert path.read_bytes() == before


def test_the_accept_api_refuses_hostile_text(tiny_home):
    from rebal.errors import StateError
    from rebal.monitor.state import StateStore

    store = StateStore(tiny_home / "states")
    with pytest.raises(StateError, match=r"`note` holds U\+001B"):
        store.accept("tiny", pd.Series({"AAA": 1.0}), as_of=pd.Timestamp("2024-01-05").date(), source="target",
                     note="\x1b[2J")
    assert not (tiny_home / "states" / "tiny.json").exists()


@pytest.mark.parametrize(("text", "shown"), [
    ("a\x1b[2Jb", "a\\x1b[2Jb"), ("x\ny", "x\\ny"), ("r\rs", "r\\rs"), ("t\tu", "t\\tu"), ("\x07", "\\x07"),
    ("\x85", "\\x85"), ("exe\u202egpj.doc", "exe<U+202E>gpj.doc"), ("a\u200bb", "a<U+200B>b"), ("\ufeffx", "<U+FEFF>x"),
    ("plain é ü 🚨", "plain é ü 🚨"),
])
def test_visible_escapes_what_a_reader_cannot_see(text, shown):
    assert visible(text) == shown


def test_the_output_filter_keeps_newlines_and_tabs_of_a_block():
    assert visible("line 1\n\tline 2\x1b[0m", keep_newlines=True) == "line 1\n\tline 2\\x1b[0m"


@pytest.mark.parametrize(("text", "value"), [("0.05", 0.05), ("-1e-3", -0.001), (" 2 ", 2.0), ("1_000", 1000.0)])
def test_ascii_numbers_parse(text, value):
    assert ascii_float(text, "x") == value


@pytest.mark.parametrize("text", ["０.05", "٠.٥", "१", "0.0５", "x"])
def test_non_ascii_digits_are_not_numbers(text):
    with pytest.raises(ValueError, match="is not a number"):
        ascii_float(text, "x")


def test_a_views_csv_with_fullwidth_digits_is_refused(tmp_path):
    from rebal.allocation.black_litterman import load_views
    from rebal.errors import ConfigError

    f = tmp_path / "views.csv"
    f.write_text("label,asset,weight,value\nv1,AAA,1,０.05\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"views\.csv: view 'v1': `value`: '０\.05' is not a number .*U\+FF10"):
        load_views(f)
    f.write_text("label,asset,weight,value\nv1,AAA,1,0.05\n", encoding="utf-8")
    assert load_views(f)[0].value == 0.05


def test_csv_module_output_is_what_the_spreadsheet_reads(tmp_path):
    """The neutralised cell round-trips through the csv module unchanged (quotes, commas, newlines in text)."""
    out = tmp_path / "y.csv"
    write_csv(out, pd.DataFrame({"t": ['=a,"b"\nc']}), index=False)
    assert list(csv.reader(io.StringIO(out.read_text())))[1] == ['\'=a,"b"\nc']
