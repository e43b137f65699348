"""A table whose index repeats a label (two lots of one name) renders, each row once, labels kept."""
import pandas as pd

from rebal.report.widgets import table


def test_a_repeated_index_label_renders_every_row():
    df = pd.DataFrame({"shares": [10.0, 20.0], "loss / share": [1.5, 2.5]},
                      index=pd.Index(["XOM", "XOM"], name="ticker"))
    out = table(df, {"shares": "{:,.0f}", "loss / share": "{:,.2f}"}, caption="windows")
    html = getattr(out, "data", str(out))
    assert html.count(">XOM<") == 2
    assert "1.50" in html and "2.50" in html and ">20<" in html
