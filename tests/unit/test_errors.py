"""The exception vocabulary: one module, one base class for everything a user can cause."""
from __future__ import annotations

import dataclasses
import inspect

import pytest

import rebal.errors as errors
from rebal.errors import DataError, NotebookFailure, RebalError, ReportError


def test_every_exception_in_the_module_is_a_rebal_error_and_listed():
    classes = {n for n, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, BaseException) and c.__module__ == errors.__name__}
    assert classes == set(errors.__all__)
    assert all(issubclass(getattr(errors, n), RebalError) for n in classes)
    for name in classes:  # the module docstring lists the whole vocabulary
        assert name in errors.__doc__


@pytest.mark.parametrize("name", ["StateError", "ApprovalError", "ExecutionError", "NoPositiveAlpha"])
def test_data_errors(name):
    assert issubclass(getattr(errors, name), DataError)


def test_notebook_failure_is_a_report_error_naming_the_cell():
    exc = NotebookFailure("drift_audit", 7, "ConfigError", "bad key", "audit = drift_audit(...)")
    assert isinstance(exc, ReportError)
    assert str(exc) == "drift_audit: cell 7 (`audit = drift_audit(...)`) raised ConfigError: bad key"
    assert str(NotebookFailure("x", None, "DeadKernelError", "died")) == "x: execution raised DeadKernelError: died"
    with pytest.raises(dataclasses.FrozenInstanceError):
        exc.ename = "other"  # type: ignore[misc]
    with pytest.raises(RebalError, match=r"cell 7"):
        raise exc from None


def test_old_locations_still_name_the_report_failure():
    from rebal.report.execute import NotebookFailure as viaexecute

    assert viaexecute is NotebookFailure
