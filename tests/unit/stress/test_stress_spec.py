"""The ``stress:`` profile section and the episodes file (rebal.stress.spec, rebal.stress.episodes): every error
names the file and the field."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import REPO

from rebal.config import load_profile
from rebal.errors import ConfigError
from rebal.stress.episodes import load_episodes
from rebal.stress.spec import ShockSpec, StressSpec, episodes_path

BASE = "universe: [AAA, BBB]\ntarget: {method: fixed, weights: {AAA: 0.5, BBB: 0.5}}\nnotebooks: [risk_stress]\n"


def _params(tmp_path, stress: str = "", episodes: str | None = None):
    (tmp_path / "profiles").mkdir(exist_ok=True)
    if episodes is not None:
        (tmp_path / "stress").mkdir(exist_ok=True)
        (tmp_path / "stress" / "episodes.yaml").write_text(episodes)
    path = tmp_path / "profiles" / "p.yaml"
    path.write_text(BASE + stress)
    return path


def test_defaults_and_the_shared_file_resolve_against_params(tmp_path):
    p = load_profile(_params(tmp_path, episodes="episodes:\n  - {name: x, start: 2020-02-19, end: 2020-03-23}\n"))
    assert p.stress == StressSpec() and p.stress.covariance == "ledoit_wolf"
    assert p.stress.shocks == ShockSpec(benchmark_moves=(-0.10, -0.20, -0.30), sector_move=-0.25, sds=2.0)
    assert episodes_path(p) == (tmp_path / "stress" / "episodes.yaml").resolve()


def test_profile_values_are_read(tmp_path):
    p = load_profile(_params(tmp_path, "stress: {covariance: ewma, ewma_lambda: 0.97, var_levels: [0.99], "
                                       "shocks: {benchmark_moves: [-0.15], sectors: [Energy], factors: []}}\n"))
    assert p.stress.covariance == "ewma" and p.stress.ewma_lambda == 0.97 and p.stress.var_levels == (0.99,)
    assert p.stress.shocks.benchmark_moves == (-0.15,) and p.stress.shocks.factors == ()


@pytest.mark.parametrize("stress, pattern", [
    ("stress: {covarance: sample}\n", r"p\.yaml: unknown key `stress\.covarance`; valid keys here: backtest_days"),
    ("stress: {shocks: {sector: Energy}}\n", r"unknown key `stress\.shocks\.sector`"),
    ("stress: {covariance: garch}\n", r"`stress\.covariance`: expected one of 'sample', 'ledoit_wolf', 'ewma'"),
    ("stress: {backtest_method: monte_carlo}\n", r"`stress\.backtest_method`: expected one of 'historical'"),
    ("stress: {ewma_lambda: 1.2}\n", r"`stress\.ewma_lambda`: must be in \(0, 1\) \(unitless\), found 1\.2"),
    ("stress: {window_days: 5}\n", r"`stress\.window_days`: must be in \[20, 5000\] \(sessions\), found 5"),
    ("stress: {var_levels: [0.99, 1.5]}\n", r"`stress\.var_levels\[1\]`: must be in \[0\.5, 1\) \(fraction\), found 1\.5"),
    ("stress: {var_horizons: [0]}\n", r"`stress\.var_horizons\[0\]`: must be in \[1, 252\] \(days\)"),
    ("stress: {backtest_level: 0.3}\n", r"`stress\.backtest_level`: must be in \[0\.5, 1\)"),
    ("stress: {shocks: {benchmark_moves: [-0.1, 0]}}\n", r"`stress\.shocks\.benchmark_moves\[1\]`: must be in \[-1, 1\], not 0"),
    ("stress: {shocks: {sector_move: -2}}\n", r"`stress\.shocks\.sector_move`: must be in \[-1, 1\], not 0 \(fractional move\), found -2"),
    ("stress: {shocks: {sds: 0}}\n", r"`stress\.shocks\.sds`: must be in \(0, 10\]"),
    ("stress: {shocks: {horizon_days: 300}}\n", r"`stress\.shocks\.horizon_days`: must be in \[1, 252\] \(sessions\)"),
    ("stress: {shocks: {factors: [MTUM, MTUM]}}\n", r"`stress\.shocks\.factors`: 'MTUM' listed twice"),
    ("stress: {window_days: many}\n", r"`stress\.window_days`: expected an integer, found 'many'"),
    ("stress: {episodes: stress/mine.yaml}\n", r"`stress\.episodes`: file .*stress/mine\.yaml not found"),
])
def test_bad_stress_values_name_the_file_and_the_field(tmp_path, stress, pattern):
    with pytest.raises(ConfigError, match=pattern) as err:
        load_profile(_params(tmp_path, stress))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("text, pattern", [
    ("episodes:\n  - {name: a, start: 2020-03-23, end: 2020-02-19}\n",
     r"`episodes\[0\]\.end`: must be after `start` \(2020-03-23\), found 2020-02-19"),
    ("episodes:\n  - {name: a, start: 2020-01-02, end: 2020-02-03}\n  - {name: a, start: 2021-01-04, end: 2021-02-01}\n",
     r"`episodes\[1\]\.name`: 'a' listed twice"),
    ("episodes:\n  - {name: a, start: 2020-01-02, end: 2020-02-03, peak: 2020-01-10}\n",
     r"unknown key `episodes\[0\]\.peak`; valid keys here: end, kind, name, note, start"),
    ("episodes:\n  - {name: a, start: 2020-01-02, end: 2020-02-03, kind: trough}\n",
     r"`episodes\[0\]\.kind`: expected one of .peak_to_trough., .event."),
    ("episodes:\n  - {name: a, start: 2020-13-01, end: 2020-02-03}\n", r"`episodes\[0\]\.start`: expected a date"),
    ("episodes:\n  - {name: a, end: 2020-02-03}\n", r"missing required key `episodes\[0\]\.start`"),
    ("episodes: []\n", r"`episodes`: expected a non-empty list"),
    ("crises: []\n", r"unknown key `crises`; valid keys here: episodes"),
    ("episodes: [\n", r"malformed YAML"),
])
def test_bad_episodes_files_name_the_file_the_field_and_the_profile(tmp_path, text, pattern):
    with pytest.raises(ConfigError, match=r"p\.yaml: `stress\.episodes`: .*episodes\.yaml: " + pattern):
        load_profile(_params(tmp_path, episodes=text))


def test_the_shared_episodes_file_holds_the_standard_windows_and_post_lehman_as_an_event():
    eps = {e.name: e for e in load_episodes(REPO / "params" / "stress" / "episodes.yaml")}
    gfc = eps["2007-2009 financial crisis"]
    assert (gfc.start, gfc.end, gfc.kind) == (date(2007, 10, 9), date(2009, 3, 9), "peak_to_trough")
    lehman = eps["2008 post-Lehman"]
    assert (lehman.start, lehman.end, lehman.kind) == (date(2008, 9, 12), date(2009, 3, 9), "event")
    assert lehman.definition.startswith("event window 2008-09-12 to 2009-03-09: ")
    assert gfc.definition.startswith("index peak 2007-10-09 to trough 2009-03-09")
    assert (eps["2020 COVID crash"].start, eps["2020 COVID crash"].end) == (date(2020, 2, 19), date(2020, 3, 23))
    assert eps["1998 LTCM / Russia"].end == date(1998, 8, 31)  # the closing trough, not the October low
    for name in ("1987 crash", "2000-2002 bear market", "2022 rate shock"):
        assert name in eps


def test_every_shipped_profile_loads_with_the_report():
    from rebal.config import load_profiles

    profiles = load_profiles(None, REPO / "params" / "profiles")
    assert all("risk_stress" in p.notebooks for p in profiles)
