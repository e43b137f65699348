"""The risk_stress template on the real sample: its scraps are the package's numbers and match numpy/skfolio."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import scrapbook as sb
from conftest import REPO

from rebal.report.execute import execute_notebook

pytestmark = [pytest.mark.integration, pytest.mark.notebook]


@pytest.fixture(scope="module")
def sleeves(sample_lakehouse, tmp_path_factory):
    """The template run for strategy_sleeves as of 2022-12-28 (its scraps)."""
    import os

    out = tmp_path_factory.mktemp("risk") / "risk_stress.ipynb"
    old = os.environ.get("REBAL_LAKEHOUSE")
    os.environ["REBAL_LAKEHOUSE"] = str(sample_lakehouse)
    try:
        execute_notebook(REPO / "notebooks" / "risk_stress.ipynb", out,
                         {"profile": "strategy_sleeves", "home": str(REPO)}, cwd=REPO / "notebooks")
    finally:
        if old is None:
            os.environ.pop("REBAL_LAKEHOUSE")
        else:
            os.environ["REBAL_LAKEHOUSE"] = old
    return {k: v.data for k, v in sb.read_notebook(str(out)).scraps.items()}


def _current_weights(lh, profile: str, day: date) -> pd.Series:
    _, shares, cash = lh.holdings(profile, as_of=day)
    px = lh.at(day).prices(list(shares.index)).iloc[-1]
    values = shares * px
    return values / (values.sum() + cash)


def test_scraps_are_the_packages_numbers(sleeves, sample_lakehouse):
    from rebal.config import load_profile
    from rebal.data.lakehouse import Lakehouse
    from rebal.stress.build import risk_stress
    from rebal.stress.tables import headline

    with Lakehouse(sample_lakehouse) as lh:
        prof = load_profile("strategy_sleeves", REPO / "params" / "profiles", known_tickers=lh.known_tickers())
        h = headline(risk_stress(prof, lh, date(2022, 12, 28)))
    for key in ("vol_current", "vol_proposed", "worst_episode_loss_current", "worst_episode_loss_proposed",
                "var99_1d", "kupiec_p", "christoffersen_p"):
        assert sleeves[key] == pytest.approx(h[key], rel=1e-12), key
    assert sleeves["backtest_exceedances"] == h["backtest_exceedances"]
    # the proposal cuts the correlated ETFs to the cluster limit: the worst stress loss falls
    assert sleeves["stress_change"] == "lowers"
    # 1998, 2000-02, 2007-09, 2008 post-Lehman, 2011: before the ETFs' 2014 start
    assert sleeves["episodes_proxied"] == 5
    eps = sleeves["episodes"].set_index("episode")
    assert not eps.loc["1987 crash", "covered"]


def test_var_and_the_covid_loss_match_an_independent_computation(sleeves, sample_lakehouse):
    from skfolio.measures import value_at_risk

    from rebal.data.lakehouse import Lakehouse

    with Lakehouse(sample_lakehouse) as lh:
        w = _current_weights(lh, "strategy_sleeves", date(2022, 12, 28))
        px = lh.at(date(2022, 12, 28)).prices(list(w.index))
    rets = (px / px.shift(1) - 1).iloc[-504:]
    assert sleeves["var99_1d"] == pytest.approx(value_at_risk(rets.to_numpy() @ w.to_numpy(), beta=0.99), rel=1e-12)
    ep = px.loc["2020-02-19":"2020-03-23"]
    v = (1 - w.sum()) + (ep / ep.iloc[0]).to_numpy() @ w.to_numpy()
    loss = float((v / np.maximum.accumulate(v) - 1).min())
    covid = sleeves["episodes"].set_index("episode").loc["2020 COVID crash"]
    assert covid["loss now"] == pytest.approx(loss, abs=1e-12)
    assert covid["proxied now"] == ""
