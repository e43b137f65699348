"""Templates refuse parameters papermill injected that they do not declare, with "did you mean"."""
from __future__ import annotations

import pytest

from rebal.errors import ConfigError, ParameterError
from rebal.report.parameters import assigned_names, check_injected_parameters, unknown_parameters

PARAMS_CELL = ('# Parameters (literals only; papermill injects new values below this cell)\n'
               'profile = "min_variance"\nas_of = ""\nhome = ""')
# papermill's PythonTranslator writes the injected cell as "# Parameters" then one assignment per line
INJECTED = '# Parameters\nprofil = "max_sharpe"\nhome = "/x"\n'


def test_assigned_names_reads_the_top_level_assignments_in_order():
    assert assigned_names(PARAMS_CELL) == ["profile", "as_of", "home"]
    assert assigned_names("x: int = 1\ny += 2\nz.a = 3\n") == ["x", "y"]
    assert assigned_names("this is not python") == []


def test_a_misspelt_name_is_found_against_the_cell_run_before_the_injected_one():
    history = ["", PARAMS_CELL, INJECTED, "run = rn.start(profile=profile)"]
    assert unknown_parameters(history) == (["profil"], ["profile", "as_of", "home"])


@pytest.mark.parametrize("history", [
    ["", PARAMS_CELL, "run = 1"],                      # run in Lab: nothing injected
    ["", INJECTED, "run = 1"],                         # no parameters cell before the injected one
    ["", PARAMS_CELL, '# Parameters\nprofile = "x"\n'],  # a known name
])
def test_nothing_is_unknown_without_an_injected_cell_or_a_declaring_cell(history):
    assert unknown_parameters(history)[0] == []


def test_the_error_says_did_you_mean_and_renders_as_one_line():
    with pytest.raises(ParameterError, match=r"notebook parameter `profil` is not a parameter of this template "
                                             r"\(its parameters: profile, as_of, home\); did you mean `profile`\?"
                       ) as err:
        check_injected_parameters(["", PARAMS_CELL, INJECTED])
    assert isinstance(err.value, ConfigError)
    assert err.value._render_traceback_() == [f"ParameterError: {err.value}"]  # outside a kernel: the message only


def test_a_name_close_to_nothing_lists_the_parameters_without_a_guess():
    with pytest.raises(ParameterError, match=r"`colour` is not a parameter.*\(its parameters: profile, as_of, home\)$"):
        check_injected_parameters(["", PARAMS_CELL, '# Parameters\ncolour = "red"\n'])


def test_outside_ipython_nothing_is_checked():
    check_injected_parameters()  # no kernel in pytest: returns quietly
