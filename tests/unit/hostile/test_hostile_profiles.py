"""Hostile profiles against every entry point that reads one: the loader, `rebal profiles`, `rebal run`.

Each is refused with one line naming the file and the field (exit 2 at the command line), nothing is
written, and no message echoes an unbounded value.
"""
from __future__ import annotations

import json
import resource

import pytest
from conftest import TINY_PROFILE, assert_one_line_error
from hostile_corpus import PROFILES, range_cases

from rebal.config import Profile, load_profile
from rebal.config.loader import ECHO_CHARS, field_ranges
from rebal.config.yamlfile import MAX_YAML_BYTES
from rebal.errors import ConfigError

#: a refusal names the file (a temporary path of up to ~150 characters), the field and the rule, never more
MAX_MESSAGE = 600


def _write(home, content) -> None:
    path = home / "params" / "profiles" / "bad.yaml"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)


@pytest.mark.parametrize(("content", "needles"), [c[1:] for c in PROFILES], ids=[c[0] for c in PROFILES])
def test_hostile_profile_is_refused_by_the_loader_in_one_bounded_line(tiny_home, content, needles):
    _write(tiny_home, content)
    with pytest.raises(ConfigError) as err:
        load_profile("bad", tiny_home / "params" / "profiles")
    msg = str(err.value)
    assert "\n" not in msg and len(msg) < MAX_MESSAGE, msg[:1000]
    for n in needles:
        assert n in msg, msg


@pytest.mark.parametrize(("content", "needles"), [c[1:] for c in PROFILES], ids=[c[0] for c in PROFILES])
def test_hostile_profile_is_listed_invalid_by_rebal_profiles(tiny_home, cli, content, needles):
    _write(tiny_home, content)
    res = cli(tiny_home, "profiles", "--json")
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["tiny"]["valid"] and not rows["bad"]["valid"]
    assert all(n in rows["bad"]["error"] for n in needles), rows["bad"]["error"]


@pytest.mark.parametrize("case", ["duplicate-top-level", "impossible-date", "alias-bomb", "percent-target-vol"])
def test_hostile_profile_named_by_rebal_run_is_one_line_and_writes_nothing(tiny_home, cli, case):
    content, needles = next(c[1:] for c in PROFILES if c[0] == case)
    _write(tiny_home, content)
    assert_one_line_error(cli(tiny_home, "run", "--profile", "bad"), *needles)
    assert not (tiny_home / "reports").exists()


def test_an_alias_bomb_costs_neither_memory_nor_time(tiny_home):
    content = next(c[1] for c in PROFILES if c[0] == "alias-bomb")
    _write(tiny_home, content)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ConfigError, match="alias bomb"):
        load_profile("bad", tiny_home / "params" / "profiles")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: under 50 MB more


def test_a_profile_larger_than_the_limit_is_refused_before_parsing(tiny_home):
    _write(tiny_home, TINY_PROFILE + "# " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: [\d,]+ bytes, larger than the 1,000,000 bytes a profile may have"):
        load_profile("bad", tiny_home / "params" / "profiles")


def test_an_echoed_value_is_cut(tiny_home):
    _write(tiny_home, TINY_PROFILE.replace("benchmark: IDX", f"benchmark: '{'Z' * 10_000}'"))
    with pytest.raises(ConfigError) as err:
        load_profile("bad", tiny_home / "params" / "profiles", known_tickers={"AAA", "BBB", "CCC", "IDX"})
    assert "ZZZ..." in str(err.value) and str(err.value).count("Z") <= ECHO_CHARS


def test_every_numeric_field_of_the_profile_declares_its_range_and_unit():
    missing = [f.name for f in field_ranges(Profile) if f.range is None]
    assert not missing, f"numeric profile fields without a declared range: {missing}"
    assert len(field_ranges(Profile)) > 100  # every section's fields, not a few


@pytest.mark.parametrize(("content", "needles"), [c[1:] for c in range_cases()], ids=[c[0] for c in range_cases()])
def test_a_value_outside_its_declared_range_is_refused_naming_the_field(tiny_home, content, needles):
    _write(tiny_home, content)
    with pytest.raises(ConfigError) as err:
        load_profile("bad", tiny_home / "params" / "profiles")
    for n in needles:
        assert n in str(err.value), str(err.value)


def test_declared_defaults_lie_in_their_ranges():
    for f in field_ranges(Profile):
        values = f.default if isinstance(f.default, (tuple, list)) else \
            list(f.default.values()) if isinstance(f.default, dict) else [f.default]
        for v in values:
            if v is not None:
                assert f.range.contains(v), (f.name, v, f.range.describe())


def test_the_shipped_samples_still_load_under_the_ranges():
    from conftest import REPO

    for path in sorted((REPO / "params" / "profiles").glob("*.yaml")):
        load_profile(path)
