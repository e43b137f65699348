"""A template's parameters are checked at start-up with one line; a failing cell is named by the line that failed."""
from __future__ import annotations

from datetime import date

import pytest

from rebal.errors import ConfigError, NotebookFailure
from rebal.report.execute import failing_line
from rebal.report.widgets import check_parameters


@pytest.mark.parametrize(("profile", "as_of", "home", "pattern"), [
    ("tiny", 20220630, "", r"notebook parameter `as_of`: expected a YYYY-MM-DD string .*found 20220630 \(int\); "
                           r"write -p as_of 2022-06-30"),
    ("tiny", 2022.5, "", r"`as_of`: .*found 2022\.5 \(float\)"),
    ("tiny", "2022-13-45", "", r"`as_of`: expected a YYYY-MM-DD date that exists, found '2022-13-45' \(str\)"),
    ("tiny", "30/06/2022", "", r"`as_of`: expected a YYYY-MM-DD date that exists"),
    (42, "", "", r"notebook parameter `profile`: expected a profile name .*found 42 \(int\)"),
    ("", "", "", r"`profile`: expected a profile name"),
    ("tiny", "", 7, r"notebook parameter `home`: expected a directory"),
    ("tiny", ["2022-06-30"] * 1000, "", r"`as_of`: .*\(list\)$"),
])
def test_wrongly_typed_parameters_are_one_line_config_errors(profile, as_of, home, pattern):
    with pytest.raises(ConfigError, match=pattern) as err:
        check_parameters(profile, as_of, home)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_good_parameters_give_the_date():
    assert check_parameters("tiny", "", "") is None
    assert check_parameters("tiny", "2024-01-05", "/x") == date(2024, 1, 5)
    assert check_parameters("tiny", date(2024, 1, 5), "") == date(2024, 1, 5)


TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mKeyError\x1b[0m                                  Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[7], line 3\x1b[0m\n\x1b[1;32m      1\x1b[0m audit \x1b[38;5;241m=\x1b[39m x\n"
    "\x1b[1;32m      2\x1b[0m \x1b[38;5;66;03m# a comment\x1b[39;00m\n"
    "\x1b[0;32m----> 3\x1b[0m rn\x1b[38;5;241m.\x1b[39mtable(audit[\x1b[38;5;124m'\x1b[39m\x1b[38;5;124mnope\x1b[39m"
    "\x1b[38;5;124m'\x1b[39m])\n\x1b[1;32m      4\x1b[0m done \x1b[38;5;241m=\x1b[39m \x1b[38;5;28;01mTrue\x1b[39;00m\n",
    "File \x1b[0;32m/work/rebal/report/widgets.py:130\x1b[0m, in \x1b[0;36mtable\x1b[0;34m(df)\x1b[0m\n"
    "\x1b[0;32m--> 130\x1b[0m     show_df \x1b[38;5;241m=\x1b[39m df\x1b[38;5;241m.\x1b[39mdrop(x)\n",
    "\x1b[0;31mKeyError\x1b[0m: 'nope'",
]


def test_the_failing_line_is_read_from_the_cell_frame_of_the_traceback():
    assert failing_line(TRACEBACK, "audit = x\n# a comment\nrn.table(audit['nope'])\ndone = True") == \
        (3, "rn.table(audit['nope'])")


def test_without_a_cell_frame_the_first_code_line_is_named():
    assert failing_line(["KeyError: 'x'"], "# setup\nimport x\ny = 1") == (None, "import x")
    assert failing_line(None, "") == (None, "")


def test_the_message_names_cell_and_line():
    exc = NotebookFailure("drift_audit", 7, "KeyError", "'nope'", "rn.table(audit['nope'])", 3)
    assert str(exc) == "drift_audit: cell 7, line 3 (`rn.table(audit['nope'])`) raised KeyError: 'nope'"
