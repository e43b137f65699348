"""A new profile from a sample: ``rebal profiles new NAME --from SAMPLE [--universe ...]``.

The sample is read from the project's ``params/profiles/`` (the user's own profiles too), else from
the samples shipped with rebal (:func:`rebal.home.shipped_root`). The new file keeps the sample's
sections, with: its own name and description; the given universe (a ``fixed`` target's weights
become an equal split of the sample's deployed share over it); no ``sample_holdings`` (the sample's
way of seeding the sample lakehouse: a new profile's holdings are imported); and the target bounds
and ``proposal.limits`` made coherent for the universe's size
(:func:`rebal.proposal.coherence.coherent_limits`). It is validated as ``rebal profiles`` would
(and against the lakehouse's tickers when there is one) before it is left in place.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from rebal.config.loader import did_you_mean, list_profiles, profile_path, validate_profile_name
from rebal.config.yamlfile import read_yaml
from rebal.errors import ConfigError, RebalError

__all__ = ["NewProfile", "sample_source", "new_profile"]


@dataclass(frozen=True)
class NewProfile:
    """What :func:`new_profile` wrote."""

    path: Path
    source: Path
    assets: int
    changes: list[str]


def sample_source(sample: str, params_dir: Path) -> Path:
    """Return the YAML file of ``sample``: the project's own, else the one shipped with rebal."""
    from rebal.home import shipped_root

    validate_profile_name(sample)
    shipped = shipped_root() / "params" / "profiles"
    for d in (params_dir, shipped):
        if (d / f"{sample}.yaml").is_file():
            return d / f"{sample}.yaml"
    known = sorted(set(list_profiles(params_dir) if params_dir.is_dir() else []) | set(list_profiles(shipped)))
    raise ConfigError(f"--from: no profile or sample {sample!r}{did_you_mean(sample, known)} "
                      f"(found: {', '.join(known)})")


def _adapt(raw: dict[str, Any], name: str, sample: str, universe: list[str] | None) -> tuple[dict, list[str]]:
    """Adapt the sample's mapping to ``name`` and ``universe``; return it with one line per change."""
    from rebal.proposal.coherence import coherent_limits

    raw = {k: v for k, v in raw.items() if k not in ("name", "sample_holdings")}
    changes = ["no sample_holdings: import this profile's holdings (`rebal data import holdings FILE`)"]
    target = dict(raw.get("target") or {})
    if universe:
        if len(set(universe)) < len(universe):
            dup = next(t for t in universe if universe.count(t) > 1)
            raise ConfigError(f"--universe: {dup!r} given twice")
        raw["universe"] = list(universe)
        changes.append(f"universe: {len(universe)} assets")
        if isinstance(target.get("weights"), dict):  # a fixed target: the same deployed share, split equally
            deployed = float(sum(target["weights"].values()))
            target["weights"] = {t: round(deployed / len(universe), 10) for t in universe}
            changes.append(f"target.weights: {deployed:.0%} split equally, {deployed / len(universe):.2%} each")
    n = len(raw.get("universe") or target.get("weights") or [])
    raw["description"] = f"{name}: made from {sample} for {n} assets"
    fm = dict(raw.get("factor_map") or {})
    if n and isinstance(fm.get("n_clusters"), int) and fm["n_clusters"] > n:
        changes.append(f"factor_map.n_clusters: {fm['n_clusters']} -> left out (at most the {n} assets; the "
                       "default is then min(6, assets - 1))")
        fm.pop("n_clusters")
        raw["factor_map"] = fm
    proposal = dict(raw.get("proposal") or {})
    if n and isinstance(proposal.get("limits"), dict):
        target, proposal["limits"], notes = coherent_limits(target, proposal["limits"], n)
        raw["proposal"] = proposal
        changes += notes
    raw["target"] = target
    return raw, changes


def new_profile(name: str, sample: str, params_dir: Path, *, universe: list[str] | None = None,
                known_tickers: set[str] | None = None) -> NewProfile:
    """Write ``<params_dir>/<name>.yaml`` from ``sample`` (see the module docstring) and return what was written.

    Raises
    ------
    ConfigError
        The name is unsafe or taken, the sample unknown, or the result invalid (then nothing is left behind).
    """
    from rebal.config.profile import load_profile
    from rebal.fileio import atomic_write_text

    validate_profile_name(name)
    path = profile_path(name, params_dir)
    if path.exists():
        raise ConfigError(f"{path}: profile {name!r} already exists; choose another name or edit it")
    src = sample_source(sample, params_dir)
    raw = read_yaml(src, what="profile")
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: expected a mapping of keys at the top level")
    data, changes = _adapt(raw, name, sample, universe)
    head = [f"# Made by `rebal profiles new {name} --from {sample}` on {date.today()} from {src.name}.",
            *(f"#   {c}" for c in changes)]
    text = "\n".join(head) + "\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
    params_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    try:  # views and episodes are read relative to params/: validate the file where it lives
        prof = load_profile(path, known_tickers=known_tickers)
    except RebalError as exc:
        path.unlink(missing_ok=True)
        raise ConfigError(f"{exc} (from {src}; nothing written)") from None
    return NewProfile(path, src, len(prof.tickers), changes)
