"""Notebook failures in a real kernel: the line that failed is named, and a wrongly typed papermill parameter is
a one-line error from the package's start-up rather than a TypeError deep inside."""
from __future__ import annotations

import json

import nbformat
import pytest

from rebal.report.execute import NotebookFailure, execute_notebook

pytestmark = [pytest.mark.integration, pytest.mark.notebook]


def test_a_failing_cell_names_the_line_that_raised(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"},
                                            "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import json\n# a comment\ny = x + 1\njson.loads('{bad')\nz = 3")]
    (tmp_path / "t.ipynb").write_text(nbformat.writes(nb))
    with pytest.raises(NotebookFailure) as err:
        execute_notebook(tmp_path / "t.ipynb", tmp_path / "out.ipynb", {"x": 2})
    assert err.value.line == 4 and err.value.source == "json.loads('{bad')"
    assert str(err.value).startswith("t: cell 2, line 4 (`json.loads('{bad')`) raised JSONDecodeError")


def test_an_integer_as_of_from_papermill_is_a_one_line_parameter_error(tiny_home, tmp_path):
    with pytest.raises(NotebookFailure) as err:
        execute_notebook(tiny_home / "notebooks" / "drift_audit.ipynb", tmp_path / "out.ipynb",
                         {"profile": "tiny", "as_of": 20240105, "home": str(tiny_home)}, cwd=tiny_home / "notebooks")
    msg = str(err.value)
    assert "raised ParameterError: notebook parameter `as_of`: expected a YYYY-MM-DD string" in msg
    assert "found 20240105 (int); write -p as_of 2024-01-05" in msg and "TypeError" not in msg
    assert "rn.start(" in msg  # the line of the start-up call, not the cell's first line
    json.loads((tmp_path / "out.ipynb").read_text())  # the partial notebook is kept for diagnosis
