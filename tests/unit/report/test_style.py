"""The report theme is seaborn's white grid, set without importing seaborn (checked against seaborn itself)."""
from __future__ import annotations

import json
import subprocess
import sys

CHECK = """
import json, matplotlib
matplotlib.use("Agg")
import matplotlib as mpl
from rebal.report.style import setup_theme
setup_theme()
seaborn_imported = "seaborn" in __import__("sys").modules
ours, our_codes = dict(mpl.rcParams), dict(mpl.colors.get_named_colors_mapping())
import seaborn as sns
sns.set_theme(style="whitegrid", context="notebook")
mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "font.size": 10, "axes.titlesize": 11,
                     "axes.titleweight": "bold"})
theirs, their_codes = dict(mpl.rcParams), dict(mpl.colors.get_named_colors_mapping())
print(json.dumps({"seaborn_imported": seaborn_imported,
                  "rc": sorted(k for k in theirs if theirs[k] != ours[k]),
                  "codes": sorted(k for k in their_codes if their_codes[k] != our_codes.get(k))}))
"""


def test_theme_equals_seaborns_whitegrid_without_importing_it():
    out = json.loads(subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                                    check=True).stdout)
    assert out["seaborn_imported"] is False
    assert out["rc"] == ["image.cmap"]  # only the default colormap, which no report figure uses
    assert out["codes"] == []
