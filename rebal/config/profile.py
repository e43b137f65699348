"""Typed, frozen profiles loaded from ``params/profiles/<name>.yaml`` by one function.

A profile describes one portfolio: its universe, how its target weights are made, the drift
thresholds of its status, and (for the shipped samples) how its sample holdings were implemented.
:func:`load_profile` is the only way to build one. It rejects, naming the file and the field:
malformed YAML, unknown keys, wrong types, weights that do not sum to 1 within
:data:`~rebal.allocation.spec.WEIGHT_SUM_TOLERANCE`, negative weights in a long-only profile,
unknown tickers (when the known tickers are given) and unsafe profile names.

Each section's dataclass and checks live beside its domain (``rebal.<domain>.spec``); this
module composes them.

Example
-------
.. code-block:: yaml

    description: Equal-risk split of the sample stocks
    universe: [AAPL, JNJ, XOM]
    target:
      method: fixed
      weights: {AAPL: 0.3, JNJ: 0.4, XOM: 0.2}
      cash: 0.1
    drift: {rebalance: 0.10, urgent: 0.20, single_asset_urgent: 0.075}
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from rebal.allocation.spec import TargetSpec, check_target
from rebal.config.loader import (
    build_dataclass,
    did_you_mean,
    list_profiles,
    profile_path,
    shorten,
    validate_profile_name,
)
from rebal.config.yamlfile import read_yaml
from rebal.errors import ConfigError
from rebal.lab.spec import LabSpec, check_lab
from rebal.llm.spec import LLMSpec, check_llm
from rebal.monitor.spec import (
    DataChecks,
    DriftThresholds,
    FactorMapSpec,
    PlannerSpec,
    SampleHoldings,
    SensitivitySpec,
    check_monitor,
)
from rebal.proposal.spec import ProposalSpec, TaxSpec, check_proposal, check_tax
from rebal.selection.spec import Risk4Spec, check_risk4
from rebal.stress.spec import StressSpec, check_stress

__all__ = ["Profile", "load_profile", "load_profiles"]



def _default_reports() -> tuple[str, ...]:
    """Return the reports a profile gets when it lists none (declared by each report's page module)."""
    from rebal.report.registry import default_names

    return default_names()


@dataclass(frozen=True)
class Profile:
    """One portfolio's parameters (see the module docstring). Build it with :func:`load_profile`."""

    name: str
    target: TargetSpec
    description: str = ""
    universe: tuple[str, ...] = ()
    benchmark: str = "SPX"
    long_only: bool = True
    drift: DriftThresholds = field(default_factory=DriftThresholds)
    data: DataChecks = field(default_factory=DataChecks)
    sensitivity: SensitivitySpec = field(default_factory=SensitivitySpec)
    planner: PlannerSpec = field(default_factory=PlannerSpec)
    factor_map: FactorMapSpec = field(default_factory=FactorMapSpec)
    risk4: Risk4Spec | None = None
    proposal: ProposalSpec = field(default_factory=ProposalSpec)
    lab: LabSpec = field(default_factory=LabSpec)
    stress: StressSpec = field(default_factory=StressSpec)
    #: LLM-assisted views on the target (None: the target as its method makes it)
    llm: LLMSpec | None = None
    tax: TaxSpec = field(default_factory=TaxSpec)
    #: the reports of the weekly run, in order (names of :mod:`rebal.report.registry`)
    notebooks: tuple[str, ...] = field(default_factory=_default_reports)
    sample_holdings: SampleHoldings | None = None
    #: where the profile came from and the SHA-256 of its bytes (provenance)
    source: str = ""
    sha256: str = ""

    @property
    def tickers(self) -> tuple[str, ...]:
        """The universe (for ``fixed`` targets without a universe: the weighted tickers)."""
        return self.universe or tuple(self.target.weights)

    def __cache_key__(self) -> tuple | None:
        """Key for :mod:`rebal.cache`: the whole content, and the stamps of the parameter files it may refer to.

        A profile refers to files beside it (views, stress episodes): every file under its ``params``
        directory is stamped. None (not cached) for a profile that was not loaded from a file.
        """
        src = Path(self.source).resolve() if self.source else None
        if src is None or src.parent.name != "profiles":
            return None
        text = repr(self)
        if "..." in text or " object at 0x" in text:  # a value whose repr does not show all of it
            return None
        stamp = _tree_stamp(src.parent.parent)
        return None if stamp is None else (text, stamp)


def _tree_stamp(root: Path, limit: int = 2000) -> tuple | None:
    """(relative path, size, modification ns) of every file under ``root``, sorted; None above ``limit`` files."""
    out: list[tuple[str, int, int]] = []
    for dirpath, _, files in os.walk(root):
        if len(out) + len(files) > limit:
            return None
        for f in files:
            p = Path(dirpath) / f
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((str(p.relative_to(root)), st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


def _check(profile: Profile, src: str, known_tickers: set[str] | None) -> None:
    """Profile-wide checks, then each section's own (first failure raises)."""
    if known_tickers is not None:
        for key, names in (("universe", profile.universe), ("target.weights", tuple(profile.target.weights))):
            for tk in names:
                if tk not in known_tickers:
                    raise ConfigError(
                        f"{src}: `{key}`: unknown ticker {shorten(tk)} (not in the lakehouse tickers table)"
                    )
        if profile.benchmark not in known_tickers:
            raise ConfigError(f"{src}: `benchmark`: unknown ticker {shorten(profile.benchmark)}")
    dup = sorted({x for x in profile.universe if profile.universe.count(x) > 1})
    if dup:
        raise ConfigError(f"{src}: `universe`: duplicate ticker {shorten(dup[0])}")
    from rebal.report.registry import check_notebooks  # the reports are declared by the report package

    check_notebooks(profile, src)
    check_target(profile, src, known_tickers)
    check_monitor(profile, src)
    check_risk4(profile, src)
    check_proposal(profile, src)
    check_lab(profile, src)
    check_stress(profile, src)
    check_llm(profile, src)
    check_tax(profile, src, known_tickers)


def load_profile(
    name_or_path: str | Path,
    params_dir: Path | None = None,
    *,
    known_tickers: set[str] | None = None,
) -> Profile:
    """Load and validate one profile.

    Parameters
    ----------
    name_or_path
        A profile name (a ``str``, looked up as ``<params_dir>/<name>.yaml``) or a
        :class:`~pathlib.Path` to a YAML file. Strings are never treated as paths.
    params_dir
        Directory of profiles; defaults to :func:`rebal.paths.get_paths` ``.params_dir``.
    known_tickers
        When given, every ticker the profile names must be in it.

    Raises
    ------
    ConfigError
        With the file and field, for any problem listed in the module docstring.
    """
    if isinstance(name_or_path, Path):
        path = name_or_path
        name = validate_profile_name(path.stem)
    else:
        # A string is always a name, never a path: `--profile ../x` or `/etc/passwd` is rejected.
        if params_dir is None:
            from rebal.paths import get_paths

            params_dir = get_paths().params_dir
        name = validate_profile_name(name_or_path)
        path = profile_path(name, params_dir)
    if not path.is_file():
        known = list_profiles(path.parent) if path.parent.is_dir() else []
        hint = did_you_mean(name, known) or (f"; profiles there: {', '.join(known[:12])}" if known else "")
        raise ConfigError(f"{path}: profile {name!r} not found{hint}")
    src = str(path)
    raw = read_yaml(path, what="profile")
    raw_bytes = path.read_bytes()
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: expected a mapping of keys at the top level, found {type(raw).__name__}")
    raw = dict(raw)
    declared = raw.pop("name", name)
    if declared != name:
        raise ConfigError(f"{src}: `name`: {shorten(declared)} does not match the file name {name!r}")
    if "source" in raw or "sha256" in raw:
        key = "source" if "source" in raw else "sha256"
        raise ConfigError(f"{src}: unknown key `{key}` (set by the loader)")
    raw.update(name=name, source=src, sha256=hashlib.sha256(raw_bytes).hexdigest())
    profile = build_dataclass(Profile, raw, "", src)
    _check(profile, src, known_tickers)
    return profile


def load_profiles(
    names: list[str] | None, params_dir: Path, *, known_tickers: set[str] | None = None
) -> list[Profile]:
    """Load several profiles (all of ``params_dir`` when ``names`` is empty), failing on the first error."""
    names = names or list_profiles(params_dir)
    if not names:
        raise ConfigError(f"{params_dir}: no profiles (*.yaml) found")
    return [load_profile(n, params_dir, known_tickers=known_tickers) for n in names]
