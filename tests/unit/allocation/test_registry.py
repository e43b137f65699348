"""The method registry: every target.method builds its estimator, and the spec is derived from it."""
from __future__ import annotations

import subprocess
import sys
import typing

import numpy as np
import pandas as pd
import pytest

from rebal.allocation.base import BaseAllocator
from rebal.allocation.registry import METHODS, TARGET_METHODS, describe, make_allocator
from rebal.allocation.spec import BlackLittermanSpec, SkfolioSpec, TargetMethod, TargetSpec
from rebal.config import load_profile
from rebal.errors import ConfigError

EXPECTED_CLASS = {"fixed": "FixedWeights", "equal_weight": "EqualWeight", "inverse_vol": "InverseVolatility",
                  "min_variance": "MeanVariance", "max_sharpe": "MeanVariance", "hrp": "HRP",
                  "black_litterman": "BlackLittermanAllocator", "skfolio": "SkfolioAllocator"}


def _spec(method: str) -> TargetSpec:
    extra = {"fixed": {"weights": {"A": 0.6, "B": 0.4}}, "skfolio": {"skfolio": SkfolioSpec("EqualWeighted")},
             "black_litterman": {"views": "v.yaml"}}.get(method, {})
    return TargetSpec(method=method, **extra)


def test_the_yaml_type_and_the_valid_names_come_from_the_registry():
    assert TARGET_METHODS == tuple(METHODS)
    assert typing.get_args(TargetMethod) == TARGET_METHODS
    assert {m.name for m in METHODS.values()} == set(EXPECTED_CLASS) | {"risk4"}


@pytest.mark.parametrize("method", sorted(EXPECTED_CLASS))
def test_every_method_builds_an_unfitted_scikit_learn_estimator(method):
    est = make_allocator(_spec(method), views=object())
    assert isinstance(est, BaseAllocator) and type(est).__name__ == EXPECTED_CLASS[method]
    assert not hasattr(est, "weights_")


def test_builders_pass_the_spec_through():
    mv = make_allocator(TargetSpec(method="max_sharpe", max_weight=0.3, risk_free_rate=0.02, half_life=60,
                                   max_sector_weight=0.5, sector_max={"Tech": 0.2}),
                        sectors={"A": "Tech", "B": "Energy", "C": "Tech"})
    assert mv.get_params()["objective"] == "max_sharpe" and mv.max_weight == 0.3 and mv.half_life == 60
    # every sector capped at 50 %, Tech lowered to 20 % (the lower applies)
    assert mv.group_max == {"Energy": 0.5, "Tech": 0.2}
    bl = make_allocator(TargetSpec(method="black_litterman", views="v.yaml",
                                   black_litterman=BlackLittermanSpec(delta=3.0, omega="he_litterman")), views="V")
    assert (bl.views, bl.delta, bl.omega, bl.market_weights) == ("V", 3.0, "he_litterman", None)
    assert make_allocator(TargetSpec(method="hrp", linkage="single")).linkage == "single"


def test_risk4_has_no_estimator():
    with pytest.raises(ConfigError, match="'risk4' has no estimator"):
        make_allocator(TargetSpec(method="risk4"))


def test_descriptions_for_reports():
    assert describe(TargetSpec(method="hrp", linkage="average")).startswith(
        "Hierarchical Risk Parity (López de Prado 2016): correlation distance, average linkage")
    assert describe(_spec("skfolio")) == "skfolio's EqualWeighted estimator on the daily returns"


def test_unknown_method_lists_the_valid_ones(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "p.yaml").write_text("universe: [A, B]\ntarget: {method: magic}\n")
    with pytest.raises(ConfigError) as err:
        load_profile("p", tmp_path / "profiles")
    valid = ", ".join(repr(m) for m in TARGET_METHODS)
    assert f"p.yaml: `target.method`: expected one of {valid}, found 'magic'" in str(err.value)
    assert "'skfolio'" in str(err.value)


@pytest.mark.parametrize("text, pattern", [
    ("target: {method: hrp, max_weight: 0.6}", r"not supported by hrp \(recursive bisection has no bounds\)"),
    ("target: {method: inverse_vol, sector_max: {Energy: 0.3}}",
     r"`target.sector_max`/`target.max_sector_weight`: only for min_variance, max_sharpe, black_litterman "
     r"\(method is 'inverse_vol'\)"),
    ("target: {method: hrp, black_litterman: {tau: 0.1}}",
     r"`target.black_litterman`: only allowed with method 'black_litterman' \(method is 'hrp'\)"),
    ("target: {method: min_variance, skfolio: {estimator: MeanRisk}}",
     r"`target.skfolio`: only allowed with method 'skfolio' \(method is 'min_variance'\)"),
])
def test_what_a_method_accepts_comes_from_its_entry(tmp_path, text, pattern):
    (tmp_path / "p.yaml").write_text(f"universe: [A, B]\n{text}\n")
    with pytest.raises(ConfigError, match=pattern):
        load_profile(tmp_path / "p.yaml")


def test_reading_the_spec_does_not_import_scikit_learn():
    code = ("import sys, rebal.allocation.spec, rebal.allocation.registry; "
            "print(sorted(m for m in ('sklearn', 'numpy', 'pandas', 'skfolio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fixed_weights_fit_without_returns():
    w = make_allocator(_spec("fixed")).fit(None).weights_
    assert w.to_dict() == {"A": 0.6, "B": 0.4}
    X = pd.DataFrame({"A": [0.01, -0.02, 0.0], "B": [0.0, 0.01, 0.03]})
    r = X @ np.array([0.6, 0.4])
    assert make_allocator(_spec("fixed")).fit(None).score(X) == pytest.approx(r.mean() / r.std() * np.sqrt(252))
