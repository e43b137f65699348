"""Profiles: one loader, typed and frozen, every bad input named by file and field."""
from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, TINY_PROFILE

from rebal.config import Profile, list_profiles, load_profile, load_profiles, validate_profile_name
from rebal.errors import ConfigError

SAMPLES = ["bl_tilts", "hrp_balanced", "llm_tilts", "max_sharpe", "min_variance", "risk4_us", "strategy_sleeves"]


def write(tmp_path: Path, text: str, name: str = "p") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_shipped_sample_profiles_load_and_validate():
    assert list_profiles(REPO / "params" / "profiles") == SAMPLES
    from rebal.data.sample import FACTOR_ETFS, STOCKS

    known = set(STOCKS) | set(FACTOR_ETFS) | {"SPX", "VIX"}
    profiles = {p.name: p for p in load_profiles(None, REPO / "params" / "profiles", known_tickers=known)}
    assert profiles["min_variance"].target.method == "min_variance"
    assert profiles["hrp_balanced"].target.method == "hrp"
    assert profiles["max_sharpe"].target.method == "max_sharpe"
    assert profiles["bl_tilts"].target.method == "black_litterman"
    assert profiles["llm_tilts"].target.method == "hrp" and profiles["llm_tilts"].llm.provider == "offline"
    assert all(p.llm is None for n, p in profiles.items() if n != "llm_tilts")
    sleeves = profiles["strategy_sleeves"]
    assert sleeves.target.cash == pytest.approx(0.40)
    assert sum(sleeves.target.weights.values()) == pytest.approx(0.60)
    assert set(sleeves.tickers) == set(FACTOR_ETFS)
    assert all(p.sample_holdings is not None for p in profiles.values())


def test_profile_is_frozen_and_typed(tmp_path):
    p = load_profile(write(tmp_path, TINY_PROFILE, "tiny"))
    assert isinstance(p, Profile) and p.name == "tiny"
    assert p.universe == ("AAA", "BBB", "CCC") and p.drift.rebalance == 0.10
    assert len(p.sha256) == 64 and p.source.endswith("tiny.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "other"  # type: ignore[misc]


def test_dates_are_parsed_explicitly(tmp_path):
    text = TINY_PROFILE + "sample_holdings: {start: 2020-01-02, every: month}\n"
    assert load_profile(write(tmp_path, text)).sample_holdings.start == date(2020, 1, 2)
    bad = TINY_PROFILE + "sample_holdings: {start: 'next week'}\n"
    with pytest.raises(ConfigError, match=r"p\.yaml: `sample_holdings.start`: expected a date"):
        load_profile(write(tmp_path, bad))


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("target: {method: fixed, weights: {A: 1.0}\n", r"p\.yaml: malformed YAML at line \d+"),
        ("- just\n- a list\n", r"p\.yaml: expected a mapping"),
        (TINY_PROFILE + "colour: blue\n", r"p\.yaml: unknown key `colour`"),
        (TINY_PROFILE.replace("cash: 0.10", "cash: 0.10\n  leverage: 2"), r"unknown key `target.leverage`"),
        (TINY_PROFILE + "drift: {rebalance: ten}\n", r"`drift.rebalance`: expected a number, found 'ten'"),
        (TINY_PROFILE + "long_only: 1\n", r"`long_only`: expected true or false"),
        (TINY_PROFILE.replace("method: fixed", "method: magic"), r"`target.method`: expected one of 'fixed'"),
        (TINY_PROFILE.replace("CCC: 0.20", "CCC: 0.25"), r"`target.weights`: weights plus cash sum to 1.050000"),
        (TINY_PROFILE.replace("AAA: 0.40", "AAA: -0.10").replace("CCC: 0.20", "CCC: 0.70"),
         r"`target.weights.AAA`: negative weight -0.1 in a long-only profile"),
        (TINY_PROFILE + "drift: {rebalance: 0.3, urgent: 0.2}\n", r"`drift`: need 0 < rebalance < urgent"),
        (TINY_PROFILE.replace("weights: {AAA: 0.40, BBB: 0.30, CCC: 0.20}", "weights: {AAA: 0.40, BBB: 0.30, ZZZ: 0.20}"),
         r"`target.weights.ZZZ`: not in `universe`"),
        ("description: x\ntarget: {method: hrp}\n", r"`universe`: required when `target.method` is 'hrp'"),
        ("universe: [A, B]\n", r"missing required key `target`"),
        (TINY_PROFILE + "name: other\n", r"`name`: 'other' does not match the file name 'p'"),
        (TINY_PROFILE + "sha256: abc\n", r"unknown key `sha256`"),
    ],
)
def test_bad_profiles_name_file_and_field(tmp_path, text, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_profile(write(tmp_path, text))


def test_unknown_ticker_is_an_error_when_tickers_are_known(tmp_path):
    path = write(tmp_path, TINY_PROFILE)
    with pytest.raises(ConfigError, match=r"`universe`: unknown ticker 'CCC'"):
        load_profile(path, known_tickers={"AAA", "BBB", "IDX"})
    with pytest.raises(ConfigError, match=r"`benchmark`: unknown ticker 'IDX'"):
        load_profile(path, known_tickers={"AAA", "BBB", "CCC"})


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "", "a/b", "..", ".hidden", "x y", "a" * 65])
def test_unsafe_profile_names_are_rejected(name, tmp_path):
    with pytest.raises(ConfigError, match="invalid profile name"):
        validate_profile_name(name)
    with pytest.raises(ConfigError, match="invalid profile name"):
        load_profile(name, tmp_path)  # a string is a name, never a path


def test_missing_profile_names_its_path(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: profile 'nope' not found"):
        load_profile("nope", tmp_path)


BL = """\
universe: [AAA, BBB, CCC]
target:
  method: black_litterman
  views: views/v.yaml
notebooks: [drift_audit]
"""


@pytest.mark.parametrize("views, pattern", [
    ("views:\n  - {asset: ZZZ, value: 0.05}\n", r"view .* names 'ZZZ', which is not in `universe`"),
    ("views:\n  - {asset: AAA}\n", r"`target.views`: .*`value`"),
    ("nope: 1\n", r"`target.views`: .*top-level `views:` list"),
])
def test_black_litterman_views_are_checked_at_load(tmp_path, views, pattern):
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "v.yaml").write_text(views)
    (tmp_path / "profiles").mkdir()
    path = write(tmp_path / "profiles", BL)  # params/profiles/p.yaml -> params/views/v.yaml
    with pytest.raises(ConfigError, match=pattern):
        load_profile(path)


def test_black_litterman_profile_resolves_views_against_params(tmp_path):
    from rebal.allocation.spec import views_path

    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "v.yaml").write_text("views:\n  - {long: AAA, short: BBB, value: 0.02, confidence: 0.5}\n")
    (tmp_path / "profiles").mkdir()
    p = load_profile(write(tmp_path / "profiles", BL))
    assert views_path(p) == (tmp_path / "views" / "v.yaml").resolve()
    with pytest.raises(ConfigError, match=r"`target.views`: required"):
        load_profile(write(tmp_path / "profiles", BL.replace("  views: views/v.yaml\n", ""), "q"))


@pytest.mark.parametrize("text, pattern", [
    ("universe: [AAA, BBB]\ntarget: {method: hrp, max_weight: 0.6}\n", r"not supported by hrp"),
    ("universe: [AAA, BBB]\ntarget: {method: min_variance, views: v.yaml}\n", r"`target.views`: only allowed"),
    ("universe: [AAA, BBB]\ntarget: {method: hrp, sector_max: {Energy: 0.3}}\n", r"only for min_variance"),
    ("universe: [AAA, BBB]\ntarget: {method: min_variance}\nproposal: {limits: {max_cluster: 1.5}}\n",
     r"`proposal.limits.max_cluster`: must be in \(0, 1\]"),
    ("universe: [AAA, BBB]\ntarget: {method: min_variance}\nproposal: {mode: yolo}\n", r"`proposal.mode`: expected one of"),
    ("universe: [AAA, BBB]\ntarget: {method: min_variance}\nproposal: {max_trades: 0}\n", r"`proposal.max_trades`"),
])
def test_allocation_and_proposal_keys_are_validated(tmp_path, text, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_profile(write(tmp_path, text + "notebooks: [drift_audit]\n"))
