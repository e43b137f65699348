"""A reused report kernel keeps papermill's semantics: a fresh namespace, history and execution count per
notebook, matplotlib settings as a new kernel has them, a failing cell named and its kernel ended."""
from __future__ import annotations

import json

import nbformat
import pytest

from rebal.report import warm_kernel
from rebal.report.execute import NotebookFailure, execute_notebook
from rebal.report.runner import ReportResult, phase_totals
from rebal.report.workers import SHARED_CHAIN, chains

pytestmark = [pytest.mark.integration, pytest.mark.notebook]

#: what a notebook sees: its user names, the input history length, and a matplotlib setting
PROBE = ("import json, matplotlib\n"
         "names = sorted(k for k in globals() if not k.startswith('_') and k not in ('In', 'Out', 'exit', 'quit',"
         " 'get_ipython', 'open'))\n"
         "print(json.dumps({'names': names, 'history': len(In), 'lw': matplotlib.rcParams['lines.linewidth']}))")


def _notebook(path, *cells):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"},
                                            "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.write_text(nbformat.writes(nb))
    return path


def _probe(path):
    cell = json.loads(path.read_text())["cells"][-1]
    return cell["execution_count"], json.loads("".join(cell["outputs"][0]["text"]))


@pytest.fixture
def own_kernel():
    """This thread's report kernel, used by this test only and ended afterwards."""
    warm_kernel._LOCAL.kernel = None
    yield
    k = getattr(warm_kernel._LOCAL, "kernel", None)
    if k is not None:
        k.discard()
    warm_kernel._LOCAL.kernel = None


def test_the_next_notebook_gets_a_fresh_namespace_on_the_same_kernel(tmp_path, own_kernel):
    first = _notebook(tmp_path / "first.ipynb",
                      "secret = 42\nimport matplotlib\nmatplotlib.rcParams['lines.linewidth'] = 9.0", PROBE)
    second = _notebook(tmp_path / "second.ipynb", PROBE)
    t1: dict = {}
    execute_notebook(first, tmp_path / "first.out.ipynb", {"x": 2}, timings=t1)
    kernel = warm_kernel._LOCAL.kernel
    pid = kernel.km.provisioner.pid
    n1, seen1 = _probe(tmp_path / "first.out.ipynb")
    assert "secret" in seen1["names"] and seen1["lw"] == 9.0
    t2: dict = {}
    execute_notebook(second, tmp_path / "second.out.ipynb", {"x": 3}, timings=t2)
    assert kernel.km.provisioner.pid == pid and kernel.reports == 2  # the same kernel process ran both
    n2, seen2 = _probe(tmp_path / "second.out.ipynb")
    assert "secret" not in seen2["names"]  # nothing of the first notebook
    assert seen2["names"] == ["json", "matplotlib", "x"]
    assert seen2["lw"] != 9.0  # settings as a new kernel has them
    assert n2 == 3 and seen2["history"] == 4  # numbering from 1 again: parameters, injected, probe (+ In[0])
    assert n1 == 4  # the first notebook: parameters, injected parameters, one cell, probe
    for t in (t1, t2):
        assert set(t) >= {"kernel_start", "cells", "save"} and all(v >= 0 for v in t.values())


def test_a_failing_notebook_is_named_and_ends_its_kernel(tmp_path, own_kernel):
    bad = _notebook(tmp_path / "bad.ipynb", "y = 1\nraise ValueError('boom')")
    good = _notebook(tmp_path / "good.ipynb", PROBE)
    execute_notebook(good, tmp_path / "g1.ipynb", {})
    pid = warm_kernel._LOCAL.kernel.km.provisioner.pid
    with pytest.raises(NotebookFailure) as err:
        execute_notebook(bad, tmp_path / "bad.out.ipynb", {})
    assert "ValueError" in str(err.value) and "boom" in str(err.value) and "line 2" in str(err.value)
    assert warm_kernel._LOCAL.kernel.km is None  # ended: nothing of the failure can reach the next report
    execute_notebook(good, tmp_path / "g2.ipynb", {})
    assert warm_kernel._LOCAL.kernel.km.provisioner.pid != pid  # a new kernel
    assert "y" not in _probe(tmp_path / "g2.ipynb")[1]["names"]


def test_papermill_mode_starts_a_kernel_per_notebook(tmp_path, own_kernel, monkeypatch):
    monkeypatch.setenv("REBAL_REPORT_KERNELS", "papermill")
    nb = _notebook(tmp_path / "a.ipynb", "secret = 1", PROBE)
    t: dict = {}
    execute_notebook(nb, tmp_path / "a.out.ipynb", {}, timings=t)
    assert getattr(warm_kernel._LOCAL, "kernel", None) is None and t["shutdown"] > 0


def test_phase_totals_sum_over_reports():
    rs = [ReportResult("p", "a", True, 1.0, phases={"cells": 1.25, "pdf": 0.5}),
          ReportResult("p", "b", True, 1.0, phases={"cells": 0.75, "html": 0.25})]
    assert phase_totals(rs) == {"cells": 2.0, "pdf": 0.5, "html": 0.25}


def test_chains_keep_a_profiles_shared_reports_together_longest_first():
    args = [(p, nb, "d", "h", "s", "f") for p in ("a", "b")
            for nb in ("drift_audit", "factor_map", "rebalance_proposal", "weekly_review", "rule_backtest")]
    out = chains(args)
    assert [[j[:2] for j in c] for c in out[:2]] == [
        [(p, "drift_audit"), (p, "rebalance_proposal"), (p, "weekly_review")] for p in ("a", "b")]
    assert sorted(j for c in out for j in c) == sorted(args)  # every job once
    assert all(len(c) == 1 for c in out[2:]) and all(j[1] not in SHARED_CHAIN for c in out[2:] for j in c)
