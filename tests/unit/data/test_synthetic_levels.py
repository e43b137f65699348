"""The synthetic dollar volume is levelled at each name's approximate real dollar volume."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rebal.data.synthetic import synthetic_ohlv


def _closes(n_days: int = 1600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2016-01-04", periods=n_days)
    r = rng.normal(0.0003, 0.015, (n_days, 4))
    return pd.DataFrame(100 * np.exp(np.cumsum(r, axis=0)), index=idx, columns=["BIG", "MID", "SMALL", "FREE"])


def test_given_levels_set_the_dollar_volume_of_their_year_and_the_ranking():
    close = _closes()
    levels = {"BIG": 1e10, "MID": 5e8, "SMALL": 2e6}
    out = synthetic_ohlv(close, seed=1, dollar_adv=levels, dollar_adv_year=2021)
    dv = (out["volume"] * close).loc["2021"]
    # log dollar volume = level + trend x years + zero-mean deviations: the 2021 median of each
    # name is its given level up to the deviations' noise (std 0.4 a day, ~250 days)
    med = dv.median()
    for t, lvl in levels.items():
        assert abs(np.log(med[t] / lvl)) < 0.25, (t, med[t], lvl)
    assert med["BIG"] > med["MID"] > med["SMALL"]


def test_without_levels_the_cross_section_keeps_its_calibrated_spread():
    close = _closes()
    out = synthetic_ohlv(close, seed=1)
    dv = (out["volume"] * close).loc["2014":].median()
    assert np.isfinite(np.log(dv)).all() and np.log(dv).std() > 0.2
