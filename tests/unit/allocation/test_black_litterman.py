"""Black-Litterman against the published example of He & Litterman (1999), tables 1-6."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rebal.allocation.black_litterman import View, black_litterman, equilibrium_returns, load_views
from rebal.errors import ConfigError

C = ["AU", "CA", "FR", "DE", "JP", "UK", "US"]
# He & Litterman (1999), "The Intuition Behind Black-Litterman Model Portfolios", Goldman Sachs:
# table 1 (correlations), table 2 (volatilities, equilibrium weights)
CORR = np.array([
    [1.000, 0.488, 0.478, 0.515, 0.439, 0.512, 0.491],
    [0.488, 1.000, 0.664, 0.655, 0.310, 0.608, 0.779],
    [0.478, 0.664, 1.000, 0.861, 0.355, 0.783, 0.668],
    [0.515, 0.655, 0.861, 1.000, 0.354, 0.777, 0.653],
    [0.439, 0.310, 0.355, 0.354, 1.000, 0.405, 0.306],
    [0.512, 0.608, 0.783, 0.777, 0.405, 1.000, 0.652],
    [0.491, 0.779, 0.668, 0.653, 0.306, 0.652, 1.000]])
VOL = np.array([0.160, 0.203, 0.248, 0.271, 0.210, 0.200, 0.187])
WEQ = pd.Series([0.016, 0.022, 0.052, 0.055, 0.116, 0.124, 0.615], index=C)
COV = pd.DataFrame(np.outer(VOL, VOL) * CORR, index=C, columns=C)
# view 1: Germany outperforms the rest of Europe (France, UK at their market weights) by 5 %
FR_UK = WEQ["FR"] + WEQ["UK"]
V1 = View(("DE", "FR", "UK"), (1.0, -WEQ["FR"] / FR_UK, -WEQ["UK"] / FR_UK), 0.05)
V2 = View(("CA", "US"), (1.0, -1.0), 0.03)  # view 2: Canada outperforms the US by 3 %
V3 = View(("CA", "US"), (1.0, -1.0), 0.04)  # view 2 made more bullish (table 6)


def pct(s: pd.Series) -> list[float]:
    return list((s * 100).round(1))


def test_equilibrium_returns_table_2():
    assert pct(equilibrium_returns(COV, WEQ, 2.5)) == [3.9, 6.9, 8.4, 9.0, 4.3, 6.8, 7.6]


@pytest.mark.parametrize("views, mu, w", [
    ([V1], [4.3, 7.6, 9.3, 11.0, 4.5, 7.0, 8.1], [1.5, 2.1, -4.0, 35.4, 11.0, -9.5, 58.6]),      # table 4
    ([V1, V2], [4.4, 8.7, 9.5, 11.2, 4.6, 7.0, 7.5], [1.5, 41.9, -3.4, 33.6, 11.0, -8.2, 18.8]),  # table 5
    ([V1, V3], [4.4, 9.1, 9.5, 11.3, 4.6, 7.0, 7.3], [1.5, 53.3, -3.3, 33.1, 11.0, -7.8, 7.3]),   # table 6
])
def test_posterior_and_weights_match_the_paper(views, mu, w):
    res = black_litterman(COV, WEQ, views, delta=2.5, tau=0.05)
    assert pct(res.posterior_returns) == mu
    assert pct(res.weights) == w


def test_without_views_the_market_portfolio_comes_back():
    res = black_litterman(COV, WEQ, [], delta=2.5, tau=0.05)
    np.testing.assert_allclose(res.weights.to_numpy(), WEQ.to_numpy() / 1.05, rtol=1e-12)  # w* = w_m / (1 + τ)


def test_idzorek_confidence_spans_prior_to_certainty():
    v = View(("DE", "FR", "UK"), V1.weights, 0.05, confidence=1.0)
    certain = black_litterman(COV, WEQ, [v], omega="idzorek")
    p = np.array([0, 0, V1.weights[1], 1.0, 0, V1.weights[2], 0])
    assert p @ certain.posterior_returns.to_numpy() == pytest.approx(0.05, abs=1e-12)  # Ω = 0: the view holds exactly
    doubtful = black_litterman(COV, WEQ, [View(v.assets, v.weights, 0.05, confidence=1e-6)], omega="idzorek")
    np.testing.assert_allclose(doubtful.posterior_returns, equilibrium_returns(COV, WEQ), atol=1e-6)
    # confidence 1/(1+1) = 0.5 gives α = 1: the He-Litterman Ω
    half = black_litterman(COV, WEQ, [View(v.assets, v.weights, 0.05, confidence=0.5)], omega="idzorek")
    np.testing.assert_allclose(half.posterior_returns, black_litterman(COV, WEQ, [V1]).posterior_returns, rtol=1e-12)


def test_views_from_yaml_and_csv(tmp_path):
    y = tmp_path / "views.yaml"
    y.write_text("views:\n  - {asset: AU, value: 0.06, confidence: 0.7, label: aussie}\n"
                 "  - {long: CA, short: US, value: 0.03}\n")
    vs = load_views(y)
    assert vs[0].assets == ("AU",) and vs[0].confidence == 0.7 and vs[1].weights == (1.0, -1.0)
    c = tmp_path / "views.csv"
    c.write_text("label,asset,weight,value,confidence\nde,DE,1,0.05,0.5\nde,FR,-0.3,0.05,0.5\nde,UK,-0.7,0.05,0.5\n")
    (v,) = load_views(c)
    assert v.assets == ("DE", "FR", "UK") and v.weights == (1.0, -0.3, -0.7)
    y.write_text("views:\n  - {asset: AU, value: high}\n")
    with pytest.raises(ConfigError, match=r"views\[0\]: `value`"):
        load_views(y)
    with pytest.raises(ConfigError, match="unknown asset 'ZZ'"):
        black_litterman(COV, WEQ, [View(("ZZ",), (1.0,), 0.1)])
