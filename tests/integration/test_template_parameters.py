"""papermill with a misspelt or mistyped parameter: the template's error output is one line; `rebal notebook`
checks before running."""
from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error

pytestmark = [pytest.mark.notebook]


def _run_papermill(project, out, **params):
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as err:
        pm.execute_notebook(str(project / "notebooks" / "drift_audit.ipynb"), str(out), parameters=params,
                            kernel_name="python3", cwd=str(project), progress_bar=False)
    return err.value


def test_papermill_with_a_misspelt_parameter_fails_with_did_you_mean_in_one_line(tiny_home, tmp_path):
    err = _run_papermill(tiny_home, tmp_path / "out.ipynb", profil="tiny", home=str(tiny_home))
    assert err.ename == "ParameterError"
    # the cell's output: the message first, then the line of the cell that raised it (no traceback)
    assert err.traceback[0] == f"ParameterError: {err.evalue}" and len(err.traceback) == 2
    assert err.traceback[1].startswith("Cell In[") and "rn.start(" in err.traceback[1]
    assert "`profil` is not a parameter" in err.evalue and "did you mean `profile`?" in err.evalue
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert len(errors) == 1 and len(errors[0]["traceback"]) == 2


def test_papermill_with_a_number_for_as_of_says_what_to_write_in_one_line(tiny_home, tmp_path):
    err = _run_papermill(tiny_home, tmp_path / "out.ipynb", profile="tiny", as_of=20240105, home=str(tiny_home))
    assert err.traceback[0] == f"ParameterError: {err.evalue}" and "rn.start(" in err.traceback[1]
    assert "write -p as_of 2024-01-05" in err.evalue


def test_rebal_notebook_refuses_an_unknown_name_before_running(tiny_home, tmp_path, cli):
    res = cli(tiny_home, "notebook", "drift_audit", str(tmp_path / "o.ipynb"), "-p", "profil", "tiny")
    assert_one_line_error(res, "-p profil: not a parameter of drift_audit.ipynb", "did you mean `profile`?")
    assert not (tmp_path / "o.ipynb").exists()


def test_rebal_notebook_runs_a_template_and_reports_a_bad_value_in_one_line(tiny_home, tmp_path, cli):
    res = cli(tiny_home, "notebook", "drift_audit", str(tmp_path / "o.ipynb"), "-p", "profile", "tiny")
    assert res.returncode == 0, res.stderr
    assert "executed drift_audit.ipynb" in res.stdout and (tmp_path / "o.ipynb").is_file()
    bad = cli(tiny_home, "notebook", "drift_audit", str(tmp_path / "b.ipynb"), "-p", "profile", "tiny",
              "-p", "as_of", "2024-13-45")
    assert_one_line_error(bad, "line 6 (`run = rn.start(profile=profile, as_of=as_of, home=home)`) raised "
                          "ParameterError", "`as_of`: expected a YYYY-MM-DD date that exists")
