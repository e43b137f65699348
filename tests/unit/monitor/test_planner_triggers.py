"""The planner's cost-benefit trigger and hybrid early override, worked by hand on the tiny portfolio.

The tiny market (tests/conftest.py): AAA, BBB, CCC close at 40/20/40, 42/19/41, 43/18.5/44 and
44/18/46 on 2024-01-02 .. 01-05. Held: 100 AAA, 150 BBB, 50 CCC and $1,000 cash, worth $10,400 on
2024-01-05: weights 4400/10400, 2700/10400, 2300/10400 and cash 1000/10400. No ADV in the lakehouse,
so every trade costs the 20 bps large-cap default.

Cost-benefit: C = Σ|d_i| x 20 bps (one-off, fraction of value); B = ½ λ H TE² with λ = 2, H = 1 year
and TE = sqrt(252 dᵀ Σ d) on the three daily returns (Σ sample covariance, ddof 1), so B = TE².
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from rebal.analytics.risk import cost_benefit_ratio, tracking_benefit
from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.monitor.audit import drift_audit
from rebal.monitor.planner import decision_panel

CLOSES = np.array([[40.0, 20.0, 40.0], [42.0, 19.0, 41.0], [43.0, 18.5, 44.0], [44.0, 18.0, 46.0]])
HELD = np.array([4400.0, 2700.0, 2300.0]) / 10400.0


def _hand(target: list[float]) -> dict[str, float]:
    """C, TE, B and C / B for the held weights against ``target`` (AAA, BBB, CCC), by hand."""
    r = CLOSES[1:] / CLOSES[:-1] - 1.0
    dev = r - r.mean(axis=0)
    cov = dev.T @ dev / (len(r) - 1)
    d = HELD - np.array(target)
    te = float(np.sqrt(252.0 * d @ cov @ d))
    benefit = 0.5 * 2.0 * 1.0 * te**2
    cost = float(np.abs(d).sum()) * 20e-4
    return {"cost": cost, "te": te, "benefit": benefit, "ratio": cost / benefit}


def _panel(home, target: dict[str, float], cash: float, planner: str = "", vix: float | None = None):
    path = home / "params" / "profiles" / "tiny.yaml"
    weights = ", ".join(f"{k}: {v}" for k, v in target.items())
    path.write_text(path.read_text().replace("weights: {AAA: 0.40, BBB: 0.30, CCC: 0.20}", f"weights: {{{weights}}}")
                    .replace("cash: 0.10", f"cash: {cash}") + (f"planner: {{{planner}}}\n" if planner else ""))
    lake = home / "data" / "lakehouse" / "rebal.duckdb"
    if vix is not None:
        with Lakehouse(lake, read_only=False) as lh, lh.transaction() as con:
            con.execute("INSERT INTO tickers VALUES ('VIX', 'CBOE VIX', NULL, 'index', FALSE, 'test')")
            con.execute("INSERT INTO prices (date, ticker, close, source) VALUES (?, 'VIX', ?, 'test')",
                        [date(2024, 1, 5), vix])
    prof = load_profile("tiny", home / "params" / "profiles")
    with Lakehouse(lake) as lh:
        return decision_panel(drift_audit(prof, lh), lh)


def test_the_benefit_is_the_certainty_equivalent_of_the_tracking_variance():
    # TE 2 % a year, λ 2, one year: ½ x 2 x 1 x 0.0004 = 0.0004 (4 bps); λ 3 over half a year: 3 bps
    assert tracking_benefit(0.02**2, risk_aversion=2.0, horizon_years=1.0) == pytest.approx(4e-4)
    assert tracking_benefit(0.02**2, risk_aversion=3.0, horizon_years=0.5) == pytest.approx(3e-4)
    np.testing.assert_allclose(tracking_benefit(np.array([0.01, 0.05]) ** 2, risk_aversion=2.0, horizon_years=1.0),
                               [1e-4, 25e-4])
    # a 10 bps rebalance is not worth a 2 % tracking error over a year, it is worth a 5 % one
    assert cost_benefit_ratio(10e-4, 4e-4) == pytest.approx(2.5)
    assert cost_benefit_ratio(10e-4, 25e-4) == pytest.approx(0.4)
    assert cost_benefit_ratio(10e-4, 0.0) == float("inf")


def test_a_near_zero_drift_does_not_trigger_the_cost_benefit_rule(tiny_home):
    # target within a few hundredths of a point of the holdings: drift ½ Σ|d| = 0.0385 %
    target = [0.423, 0.26, 0.221]
    hand = _hand(target)
    # d = (+0.000077, -0.000385, +0.000154): C = 0.000615 x 20 bps = 1.23e-6; TE = 0.0062 %, B = 3.8e-9
    assert hand["cost"] == pytest.approx(1.2308e-6, rel=1e-4)
    assert hand["te"] == pytest.approx(6.150e-5, rel=1e-3)
    assert hand["ratio"] == pytest.approx(325.4, rel=1e-3)
    panel = _panel(tiny_home, dict(zip(("AAA", "BBB", "CCC"), target, strict=True)), 0.096)
    m = panel.metrics
    assert m["portfolio_drift"] == pytest.approx(0.000384615, rel=1e-5)
    assert m["rebalancing_cost"] == pytest.approx(hand["cost"], rel=1e-9)
    assert m["te_252d"] == pytest.approx(hand["te"], rel=1e-9)
    assert m["benefit"] == pytest.approx(hand["benefit"], rel=1e-9)
    assert m["cost_benefit"] == pytest.approx(hand["ratio"], rel=1e-9)
    rows = panel.triggers.set_index("rule")
    assert not rows.loc["cost-benefit", "fires"]
    # the old ratio, a one-off cost over an annualised TE, was 0.02 and fired at this drift
    assert hand["cost"] / hand["te"] < 0.03
    assert "B = ½ λ H TE² = ½ x 2 x 1 y x (0.01% a year)² = 0.00 bps of value: C / B = 325.40" in \
        rows.loc["cost-benefit", "why"]
    assert panel.verdict == "QUIET"


def test_a_large_drift_triggers_the_cost_benefit_rule(tiny_home):
    # drift 24.4 %: d = (+0.2231, -0.2404, +0.0212); C = 0.4846 x 20 bps = 9.69 bps, TE 9.90 %, B = 97.9 bps
    target = [0.2, 0.5, 0.2]
    hand = _hand(target)
    assert hand["cost"] == pytest.approx(9.6923e-4, rel=1e-4)
    assert hand["benefit"] == pytest.approx(9.7911e-3, rel=1e-4)
    assert hand["ratio"] == pytest.approx(0.09899, rel=1e-3)
    panel = _panel(tiny_home, dict(zip(("AAA", "BBB", "CCC"), target, strict=True)), 0.1)
    m = panel.metrics
    assert m["portfolio_drift"] == pytest.approx(0.244230769, rel=1e-8)
    assert m["benefit"] == pytest.approx(hand["benefit"], rel=1e-9)
    assert m["cost_benefit"] == pytest.approx(hand["ratio"], rel=1e-9)
    assert bool(panel.triggers.set_index("rule").loc["cost-benefit", "fires"])
    assert panel.verdict == "TRADE"
    assert panel.verdict_reason.startswith("threshold (24.42% >= 5.00%) and hybrid early override (24.42% >= 10.00%) "
                                           "fire and the cost is below the benefit (cost 9.69 bps vs benefit 97.91 bps")


def test_the_horizon_and_risk_aversion_scale_the_benefit(tiny_home):
    target = [0.2, 0.5, 0.2]
    hand = _hand(target)
    panel = _panel(tiny_home, dict(zip(("AAA", "BBB", "CCC"), target, strict=True)), 0.1,
                   planner="risk_aversion: 4, horizon_years: 0.25")
    # ½ x 4 x 0.25 = 0.5: half the default benefit, twice the ratio
    assert panel.metrics["benefit"] == pytest.approx(0.5 * hand["benefit"], rel=1e-9)
    assert panel.metrics["cost_benefit"] == pytest.approx(2 * hand["ratio"], rel=1e-9)


# Held 42.31 / 25.96 / 22.12 / cash 9.62 % against a target 31 / 37 / 22 / cash 10 %:
# drift ½ (11.308 + 11.038 + 0.115 + 0.385) points = 11.42 %, between the 10 % override and 12 %.
OVERRIDE_TARGET = {"AAA": 0.31, "BBB": 0.37, "CCC": 0.22}


@pytest.mark.parametrize(("vix", "regime", "override", "fires", "verdict"), [
    (15.0, "normal", 0.10, True, "TRADE"),      # 11.42 % >= 10 % x 1.0
    (25.0, "elevated", 0.12, False, "QUIET"),   # 11.42 % < 10 % x 1.2 = 12 %
])
def test_the_hybrid_override_widens_with_the_regime(tiny_home, vix, regime, override, fires, verdict):
    # the fixed threshold at 15 % (x 1.2 = 18 % elevated) stays out of the way
    panel = _panel(tiny_home, OVERRIDE_TARGET, 0.1, planner="threshold: 0.15", vix=vix)
    assert panel.regime == regime
    assert panel.metrics["portfolio_drift"] == pytest.approx(1188 / 10400, rel=1e-9)
    assert panel.metrics["effective_override"] == pytest.approx(override)
    hybrid = panel.triggers.set_index("rule").loc["hybrid early override"]
    assert bool(hybrid["fires"]) is fires  # no month end between 2024-01-02 and 01-05: only the override counts
    assert f"early override at 10% x {override / 0.10:.1f} for the {regime} regime = {override:.2%}: drift 11.42%" \
        in hybrid["why"]
    assert panel.verdict == verdict
    if fires:  # C / B = 0.175 by hand: trading is worth it
        assert _hand(list(OVERRIDE_TARGET.values()))["ratio"] == pytest.approx(0.17498, rel=1e-4)
        assert panel.verdict_reason.startswith("hybrid early override (11.42% >= 10.00%) fires and the cost is below")


@pytest.mark.parametrize(("planner", "message"), [
    ("horizon_years: 0", r"tiny\.yaml: `planner\.horizon_years`: must be in \(0, 10\] \(years\), found 0"),
    ("horizon_years: 25", r"`planner\.horizon_years`: .* found 25"),
    ("risk_aversion: -1", r"tiny\.yaml: `planner\.risk_aversion`: must be in \(0, 100\] \(unitless\), found -1"),
])
def test_the_cost_benefit_parameters_are_checked_with_their_units(tiny_home, planner, message):
    from rebal.errors import ConfigError

    path = tiny_home / "params" / "profiles" / "tiny.yaml"
    path.write_text(path.read_text() + f"planner: {{{planner}}}\n")
    with pytest.raises(ConfigError, match=message):
        load_profile("tiny", tiny_home / "params" / "profiles")


@pytest.mark.parametrize(("target", "cash", "planner", "verdict"), [
    ({"AAA": 0.40, "BBB": 0.30, "CCC": 0.20}, 0.10, "", "QUIET"),                   # 4.42 % < 5 %
    ({"AAA": 0.40, "BBB": 0.30, "CCC": 0.20}, 0.10, "threshold: 0.04", "REVIEW"),   # fires, cost > benefit
    (OVERRIDE_TARGET, 0.1, "threshold: 0.15", "TRADE"),                              # the early override fires
])
def test_the_verdict_reads_the_rules_table(tiny_home, monkeypatch, target, cash, planner, verdict):
    # a month-end review fell since the implementation: the calendar row holds, yet it is no drift rule
    import rebal.monitor.planner as planner_module

    monkeypatch.setattr(planner_module, "review_dates", lambda start, end, freq: [date(2024, 1, 3)])
    panel = _panel(tiny_home, target, cash, planner=planner)
    t = panel.triggers.set_index("rule")
    assert set(t["kind"]) == {"drift rule", "schedule", "test", "condition", "information"}
    assert bool(t.loc["calendar review (monthly)", "fires"]) and t.loc["calendar review (monthly)", "kind"] == "schedule"
    drift_rules = t[(t["kind"] == "drift rule") & t["fires"]].index.tolist()
    assert panel.verdict == verdict
    assert (panel.verdict == "QUIET") == (not drift_rules)  # the table and the verdict agree
    for rule in drift_rules:
        assert panel.verdict_reason.startswith(rule) or f" and {rule}" in panel.verdict_reason
    if verdict == "QUIET":
        assert panel.verdict_reason.startswith("the monthly review is due (2024-01-03) but no drift rule fires")
