"""target.method: skfolio: a profile names a skfolio estimator; its weights are skfolio's own fit."""
from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest

from rebal.allocation.registry import make_allocator
from rebal.allocation.spec import SKFOLIO_ESTIMATORS, SkfolioParams
from rebal.config import load_profile
from rebal.errors import ConfigError

UNIVERSE = ["AAPL", "AMD", "BAC", "JNJ", "JPM", "KO", "MSFT", "PG", "XOM", "WMT"]


@pytest.fixture(scope="module")
def returns():
    from skfolio.datasets import load_sp500_dataset

    return load_sp500_dataset()[UNIVERSE].pct_change().dropna().iloc[-504:]


def _profile(tmp_path, skfolio_yaml: str, *, name: str = "sk", extra: str = ""):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"universe: [{', '.join(UNIVERSE)}]\ntarget:\n  method: skfolio\n  cash: 0.05\n"
                    f"  skfolio: {skfolio_yaml}\n{extra}")
    return path


def _skfolio_reference(name: str, returns: pd.DataFrame, **kwargs) -> np.ndarray:
    import skfolio.optimization as opt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(opt, name)(**kwargs).fit(returns).weights_


def _fit(profile, returns):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_allocator(profile.target).fit(returns)


def _cases():
    from skfolio import RiskMeasure
    from skfolio.optimization import ObjectiveFunction

    budget = {t: (2.0 if t in ("JNJ", "KO", "PG") else 1.0) for t in UNIVERSE}
    return [
        ("{estimator: EqualWeighted}", "EqualWeighted", {}),
        ("{estimator: InverseVolatility}", "InverseVolatility", {}),
        ("{estimator: HierarchicalRiskParity, params: {risk_measure: cvar}}", "HierarchicalRiskParity",
         {"risk_measure": RiskMeasure.CVAR}),
        ("{estimator: MeanRisk, params: {objective_function: maximize_ratio, max_weights: 0.2, "
         "risk_free_rate: 0.0001}}", "MeanRisk",
         {"objective_function": ObjectiveFunction.MAXIMIZE_RATIO, "max_weights": 0.2, "risk_free_rate": 0.0001}),
        ("{estimator: MeanRisk, params: {risk_measure: cvar, cvar_beta: 0.9, l2_coef: 0.01}}", "MeanRisk",
         {"risk_measure": RiskMeasure.CVAR, "cvar_beta": 0.9, "l2_coef": 0.01}),
        ("{estimator: RiskBudgeting, params: {risk_budget: {"
         + ", ".join(f"{t}: {v}" for t, v in budget.items()) + "}}}", "RiskBudgeting", {"risk_budget": budget}),
    ]


@pytest.mark.parametrize("case", range(6))
def test_profile_weights_equal_skfolios_own_fit(tmp_path, returns, case):
    yaml_text, name, kwargs = _cases()[case]
    prof = load_profile(_profile(tmp_path, yaml_text))
    assert prof.target.method == "skfolio" and prof.target.skfolio.estimator == name
    w = _fit(prof, returns).weights_
    ref = _skfolio_reference(name, returns, **kwargs)
    assert list(w.index) == UNIVERSE and w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w.to_numpy(), ref, atol=1e-8)  # only weights < 1e-8 are zeroed
    if name == "RiskBudgeting":
        # second check, by the definition: risk contributions w_i (Σw)_i proportional to the budgets
        S = np.cov(returns.to_numpy(), rowvar=False)
        rc = w.to_numpy() * (S @ w.to_numpy())
        np.testing.assert_allclose(rc / rc.sum(), np.array(list(kwargs["risk_budget"].values())) / 13.0, atol=1e-4)


def test_compute_target_of_a_skfolio_profile_from_the_lakehouse(tmp_path, returns):
    # end to end: profile file -> lakehouse prices -> daily returns -> skfolio -> target with cash
    from rebal.allocation.target import compute_target
    from rebal.data.lakehouse import CASH, Lakehouse

    prices = 100.0 * (1.0 + returns).cumprod()
    lh_path = tmp_path / "lh.duckdb"
    with Lakehouse(lh_path, read_only=False) as lh, lh.transaction() as con:
        for t in UNIVERSE:
            con.execute("INSERT INTO tickers VALUES (?, ?, 'Tech', 'equity', FALSE, 'test')", [t, t])
        long = prices.stack().reset_index()
        long.columns = ["date", "ticker", "close"]
        long["date"] = long["date"].dt.date
        con.register("px", long)
        con.execute("INSERT INTO prices (date, ticker, close, source) SELECT date, ticker, close, 'test' FROM px")
    prof = load_profile(_profile(tmp_path, "{estimator: MeanRisk, params: {max_weights: 0.25}}",
                                 extra="  lookback_days: 250\n"))
    as_of = prices.index[-1].date()
    with Lakehouse(lh_path) as lh:
        tw = compute_target(prof, lh, as_of)
    rets = prices.pct_change().iloc[-250:]
    ref = _skfolio_reference("MeanRisk", rets, max_weights=0.25)
    assert tw.method == "skfolio" and tw.n_observations == 250 and tw.fitted_on == as_of
    # skfolio's weights with the package's floor: a weight under 0.01 % is zero, what it held is cash
    floored = 0.95 * np.where(np.abs(ref) < 1e-4, 0.0, ref)
    np.testing.assert_allclose(tw.weights.drop(CASH).to_numpy(), floored, atol=1e-8)
    assert tw.weights[CASH] == pytest.approx(1.0 - floored.sum(), abs=1e-7) and isinstance(tw.fitted_on, date)


def test_whitelisted_parameters_are_skfolio_parameters():
    import typing

    import skfolio.optimization as opt
    from skfolio import RiskMeasure
    from skfolio.optimization import ObjectiveFunction

    for name, params in SKFOLIO_ESTIMATORS.items():
        assert set(params) <= set(getattr(opt, name)().get_params(deep=False)), name
    assert set(SkfolioParams.__dataclass_fields__) == set().union(*SKFOLIO_ESTIMATORS.values())
    hints = typing.get_type_hints(SkfolioParams)

    def names(field: str) -> set[str]:  # Literal[...] | None -> the Literal's values
        literal = typing.get_args(hints[field])[0]
        return set(typing.get_args(literal))

    assert names("risk_measure") <= {m.value for m in RiskMeasure}
    assert names("objective_function") == {m.value for m in ObjectiveFunction}


@pytest.mark.parametrize("yaml_text, extra, message", [
    ("{estimator: Foo}", "",
     "sk.yaml: `target.skfolio.estimator`: unknown 'Foo'; valid: EqualWeighted, InverseVolatility, "
     "HierarchicalRiskParity, MeanRisk, RiskBudgeting"),
    ("{}", "", "sk.yaml: `target.skfolio.estimator`: required with method 'skfolio'"),
    ("{estimator: MeanRisk, params: {leverage: 2}}", "", "sk.yaml: unknown key `target.skfolio.params.leverage`"),
    ("{estimator: HierarchicalRiskParity, params: {objective_function: maximize_ratio}}", "",
     "sk.yaml: `target.skfolio.params.objective_function`: not a parameter of HierarchicalRiskParity; "
     "valid: risk_measure, min_weights, max_weights"),
    ("{estimator: EqualWeighted, params: {max_weights: 0.5}}", "",
     "sk.yaml: `target.skfolio.params.max_weights`: not a parameter of EqualWeighted; valid: none"),
    ("{estimator: MeanRisk, params: {risk_measure: volatility}}", "",
     "sk.yaml: `target.skfolio.params.risk_measure`: expected one of 'variance'"),
    ("{estimator: MeanRisk, params: {max_weights: high}}", "",
     "sk.yaml: `target.skfolio.params.max_weights`: expected a number, found 'high'"),
    ("{estimator: MeanRisk, params: {max_weights: 0.05}}", "",
     "sk.yaml: `target.skfolio.params.max_weights`: 0.05 x 10 assets < 1, no feasible portfolio"),
    ("{estimator: MeanRisk, params: {min_weights: 0.3, max_weights: 0.2}}", "",
     "sk.yaml: `target.skfolio.params.max_weights`: must be in [min_weights, 1], found 0.2"),
    ("{estimator: MeanRisk, params: {cvar_beta: 1.5}}", "",
     "sk.yaml: `target.skfolio.params.cvar_beta`: must be in (0, 1) (confidence level), found 1.5"),
    ("{estimator: RiskBudgeting, params: {risk_budget: {ZZZ: 1.0}}}", "",
     "sk.yaml: `target.skfolio.params.risk_budget.ZZZ`: not in `universe`"),
    ("{estimator: RiskBudgeting, params: {risk_budget: {AAPL: 1.0}}}", "",
     "sk.yaml: `target.skfolio.params.risk_budget`: no budget for 'AMD'"),
    ("{estimator: MeanRisk}", "  max_weight: 0.5\n",
     "sk.yaml: `target.min_weight`/`target.max_weight`: not supported by skfolio"),
    ("{estimator: MeanRisk}", "  risk_free_rate: 0.02\n",
     "sk.yaml: `target.risk_free_rate`: not used by method 'skfolio'"),
])
def test_bad_skfolio_sections_are_one_line_config_errors(tmp_path, yaml_text, extra, message):
    with pytest.raises(ConfigError) as err:
        load_profile(_profile(tmp_path, yaml_text, extra=extra))
    text = str(err.value)
    assert "\n" not in text and str(tmp_path) in text
    assert message in text


def test_cli_rejects_an_unknown_skfolio_estimator_in_one_line(tiny_home, capsys):
    from rebal.cli import main

    (tiny_home / "params" / "profiles" / "sk_bad.yaml").write_text(
        "universe: [AAA, BBB, CCC]\nbenchmark: IDX\ntarget:\n  method: skfolio\n  skfolio: {estimator: Foo}\n")
    assert main(["--home", str(tiny_home), "propose", "--profile", "sk_bad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("rebal: error: ") and "sk_bad.yaml: `target.skfolio.estimator`: unknown 'Foo'; valid: " in err


def test_a_failing_skfolio_fit_is_a_data_error(returns):
    from skfolio.optimization import MeanRisk

    from rebal.allocation.skfolio_adapter import SkfolioAllocator
    from rebal.errors import DataError

    with pytest.raises(DataError, match="MeanRisk failed to fit"):
        SkfolioAllocator(MeanRisk(min_weights=0.5)).fit(returns)  # 10 x 0.5 > 1: infeasible
