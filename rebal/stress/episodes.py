"""The historical stress episodes: a YAML file of named windows, loaded and checked in one place.

The shared file is ``params/stress/episodes.yaml``; a profile may name another one in
``stress.episodes``. Format::

    episodes:
      - name: COVID crash
        start: 2020-02-19        # the index's closing peak, YYYY-MM-DD
        end: 2020-03-23          # its closing trough
        note: the pandemic       # optional: what happened
        kind: peak_to_trough     # optional: peak_to_trough (default) | event (a window that starts at an event)

Names are unique and ``start`` is before ``end``. Every problem is a :class:`ConfigError` naming
the file and the field (``episodes[2].end``).
"""
from __future__ import annotations

from pathlib import Path

from rebal.analytics.stress import Episode
from rebal.config.loader import build_dataclass, shorten
from rebal.config.yamlfile import read_yaml
from rebal.errors import ConfigError

__all__ = ["load_episodes", "profile_episodes"]


def load_episodes(path: str | Path) -> tuple[Episode, ...]:
    """Read and check the episodes file at ``path`` (see the module docstring)."""
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise ConfigError(f"{src}: episodes file not found")
    raw = read_yaml(path, what="episodes file")  # dates kept as text: a bad one is reported with its field
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: expected a mapping with the key `episodes`, found {type(raw).__name__}")
    unknown = sorted(set(raw) - {"episodes"})
    if unknown:
        raise ConfigError(f"{src}: unknown key `{unknown[0]}`; valid keys here: episodes")
    items = raw.get("episodes")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{src}: `episodes`: expected a non-empty list of episodes, found {shorten(items)}")
    out: list[Episode] = []
    for i, item in enumerate(items):
        where = f"episodes[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{src}: `{where}`: expected a mapping (name, start, end, note), found {shorten(item)}")
        ep = build_dataclass(Episode, item, where, src)
        if not ep.name.strip():
            raise ConfigError(f"{src}: `{where}.name`: must not be empty")
        if ep.start >= ep.end:
            raise ConfigError(f"{src}: `{where}.end`: must be after `start` ({ep.start}), found {ep.end}")
        if any(e.name == ep.name for e in out):
            raise ConfigError(f"{src}: `{where}.name`: {ep.name!r} listed twice")
        out.append(ep)
    return tuple(out)


def profile_episodes(profile) -> tuple[Episode, ...]:
    """Return the episodes of ``profile`` (its ``stress.episodes`` file, else the shared one).

    Raises
    ------
    ConfigError
        Naming the profile's field and the episodes file when it is missing or invalid.
    """
    from rebal.stress.spec import episodes_path

    path = episodes_path(profile)
    try:
        return load_episodes(path)
    except ConfigError as exc:
        raise ConfigError(f"{profile.source}: `stress.episodes`: {exc}") from None
