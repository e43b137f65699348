"""The generic half of the configuration: YAML files into typed, frozen dataclasses.

:func:`build_dataclass` turns a mapping into a (nested) frozen dataclass, checking every key and
type against the dataclass's annotations: unknown keys, wrong types and non-finite numbers are
:class:`~rebal.errors.ConfigError` naming the file and the dotted field. :func:`check_ranges`
applies a list of (field, ok, rule) range checks the same way. Domain specs (the dataclasses)
live beside their domain; :mod:`rebal.config.profile` composes them into one ``Profile``.
"""
from __future__ import annotations

import dataclasses
import math
import operator
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

from rebal.errors import ConfigError
from rebal.paths import PROFILE_NAME_RE, validate_profile_name

__all__ = ["build_dataclass", "check_ranges", "validate_profile_name", "profile_path", "list_profiles"]


def profile_path(name: str, params_dir: Path) -> Path:
    """Path of profile ``name`` in ``params_dir``; the name is validated first."""
    return Path(params_dir) / f"{validate_profile_name(name)}.yaml"


def list_profiles(params_dir: Path) -> list[str]:
    """Names of the profiles in ``params_dir`` (sorted)."""
    d = Path(params_dir)
    if not d.is_dir():
        raise ConfigError(f"{d}: profile directory not found")
    return sorted(p.stem for p in d.glob("*.yaml") if PROFILE_NAME_RE.match(p.stem))


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "a list"
    if origin is dict:
        return "a mapping of ticker to number"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            date: "a date (YYYY-MM-DD)"}.get(tp, str(tp))


def _convert(value: Any, tp: Any, where: str, src: str) -> Any:
    def bad() -> ConfigError:
        return ConfigError(
            f"{src}: `{where}`: expected {_type_name(tp)}, found {value!r} ({type(value).__name__})"
        )

    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, args[0], where, src)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise bad()
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise bad()
        (inner, *_rest) = typing.get_args(tp)
        return tuple(_convert(v, inner, f"{where}[{i}]", src) for i, v in enumerate(value))
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise bad()
        kt, vt = typing.get_args(tp)
        return {_convert(k, kt, f"{where}.{k}", src): _convert(v, vt, f"{where}.{k}", src)
                for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise bad()
        return build_dataclass(tp, value, where, src)
    if tp is bool:
        if not isinstance(value, bool):
            raise bad()
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad()
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        if not math.isfinite(value):
            raise ConfigError(f"{src}: `{where}`: must be a finite number, found {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise bad()
        return value
    if tp is date:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise bad() from None
        raise bad()
    raise TypeError(f"unsupported profile field type {tp!r}")  # a programming error


def build_dataclass(cls: type, data: Mapping[str, Any], where: str, src: str) -> Any:
    """Build the dataclass ``cls`` from a YAML mapping, converting and checking every field.

    ``where`` is the dotted path of ``data`` in the profile (``""`` at the top) and ``src`` the file;
    an unknown key, a missing required key or a value of the wrong type raises :class:`ConfigError`
    naming them.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"{src}: unknown key `{prefix}{unknown[0]}`; valid keys here: {', '.join(sorted(fields))}"
        )
    kwargs = {}
    for name, f in fields.items():
        path = f"{where}.{name}" if where else name
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], path, src)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{src}: missing required key `{path}`")
    return cls(**kwargs)


def check_ranges(src: str, section: str, spec: Any, rules: Iterable[tuple[str, bool, str]]) -> None:
    """Raise a :class:`ConfigError` for the first ``(field, ok, rule)`` whose ``ok`` is false.

    The message names the file, the dotted field (``section.field``), the rule and the value found.
    """
    for key, ok, need in rules:
        if not ok:
            raise ConfigError(f"{src}: `{section}.{key}`: must be {need}, found {operator.attrgetter(key)(spec)}")
