"""The analyst's exploration notebook runs top to bottom on the sample data; it is not a report template."""
from __future__ import annotations

import json

import pytest
from conftest import REPO

from rebal.report import registry

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

EXPLORE = REPO / "notebooks" / "explore" / "explore.ipynb"


def test_the_explore_notebook_is_kept_apart_from_the_templates():
    assert EXPLORE.is_file()
    assert "explore" not in registry.names()  # the weekly run runs registered reports only
    assert EXPLORE not in set((REPO / "notebooks").glob("*.ipynb"))  # nor is it a thin template under test


def test_the_explore_notebook_runs_top_to_bottom_with_its_what_if(sample_home, tmp_path):
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(EXPLORE), str(out), parameters={"home": str(sample_home), "as_of": "2022-06-30"},
                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # the weights and the proposals plotted
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "min variance" in html and "HRP" in html
    # the what-if: the target puts 15 % in JNJ (the profile's max_weight), above a 10 % single-asset limit
    assert "RESOLVE CONFLICT" in html and "single-asset JNJ: target 15% &gt; 10%" in html
