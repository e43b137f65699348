"""Simple returns from prices with an explicit fill policy, on hand-worked numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.analytics.returns import simple_returns

NAN = np.nan
PX = pd.DataFrame({"A": [10.0, 11.0, NAN, 12.1], "B": [20.0, 19.0, 19.0, 20.9], "C": [NAN, 5.0, 5.5, 5.5]},
                  index=pd.bdate_range("2024-01-01", periods=4))


def _cols(df: pd.DataFrame) -> dict:
    return {c: [None if np.isnan(x) else round(x, 12) for x in df[c]] for c in df}


def test_no_fill_leaves_the_gap_and_the_day_after_missing():
    r = simple_returns(PX, fill="none")
    assert _cols(r) == {"A": [None, 0.1, None, None],           # 11 / 10 - 1; the gap and the day after: unknown
                        "B": [None, -0.05, 0.0, 0.1],           # 19 / 20 - 1, 19 / 19 - 1, 20.9 / 19 - 1
                        "C": [None, None, 0.1, 0.0]}            # no price before the first: no return
    assert r.index.equals(PX.index) and list(r.columns) == ["A", "B", "C"]


def test_forward_fill_gives_the_gap_day_zero_and_the_next_day_the_whole_move():
    r = simple_returns(PX, fill="ffill")
    assert _cols(r)["A"] == [None, 0.1, 0.0, 0.1]               # 11 carried: 11 / 11 - 1, then 12.1 / 11 - 1
    assert _cols(r)["C"] == [None, None, 0.1, 0.0]              # leading gaps are not filled


def test_no_fill_is_what_pandas_3_pct_change_computes():
    pd.testing.assert_frame_equal(simple_returns(PX, fill="none"), PX / PX.shift(1) - 1)


def test_a_series_stays_a_series():
    s = simple_returns(PX["B"], fill="none")
    assert isinstance(s, pd.Series) and s.iloc[1:].tolist() == pytest.approx([-0.05, 0.0, 0.1])


def test_an_unknown_fill_policy_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown fill policy 'pad'; valid: none, ffill"):
        simple_returns(PX, fill="pad")  # type: ignore[arg-type]
