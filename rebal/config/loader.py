"""The generic half of the configuration: parsed YAML into typed, frozen dataclasses.

Files are parsed by :func:`rebal.config.yamlfile.read_yaml` (safely: size, duplicate keys, aliases,
dates kept as text). :func:`build_dataclass` turns a mapping into a (nested) frozen dataclass, checking every key and
type against the dataclass's annotations: unknown keys, wrong types, non-finite numbers and numbers
outside their range are :class:`~rebal.errors.ConfigError` naming the file and the dotted field.
A numeric field states its range and unit in its annotation, ``Annotated[float, In("(0, 1]",
FRACTION)]``; a fraction written as a percentage (``20`` for 20 %) gets the hint "write 0.2 for
20 %". :func:`field_ranges` lists every range of a dataclass tree (``rebal profiles --ranges``).
:func:`check_ranges` applies a list of (field, ok, rule) cross-field checks the same way. Values
echoed in messages are cut to :data:`ECHO_CHARS` characters (:func:`shorten`). Domain specs (the
dataclasses) live beside their domain; :mod:`rebal.config.profile` composes them into one ``Profile``.
"""
from __future__ import annotations

import dataclasses
import math
import operator
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal, Mapping

from rebal.errors import ConfigError
from rebal.paths import PROFILE_NAME_RE, validate_profile_name
from rebal.safetext import check_text

__all__ = ["build_dataclass", "check_ranges", "validate_profile_name", "profile_path", "list_profiles",
           "shorten", "clip", "did_you_mean", "In", "FieldRange", "field_ranges", "ECHO_CHARS",
           "FRACTION", "BPS", "SESSIONS", "DAYS", "USD", "YEARS", "UNITLESS", "MULTIPLIER", "VIX_POINTS", "STDS",
           "COUNT"]

#: Values echoed in error messages are cut to this many characters.
ECHO_CHARS = 120

# Units of the numeric fields (the text a range message shows after the interval).
FRACTION = "fraction"                      #: 0.05 = 5 %
BPS = "bps"                                #: basis points, 1 bp = 0.01 %
SESSIONS = "sessions"                      #: NYSE sessions (trading days)
DAYS = "days"
USD = "USD"
YEARS = "years"
UNITLESS = "unitless"
MULTIPLIER = "multiplier"
VIX_POINTS = "VIX points"
STDS = "standard deviations"
COUNT = "count"


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters (ending in ``...`` when cut)."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """``"; did you mean `max_sharpe`?"`` for the closest of ``valid`` to ``name`` (``""`` when none is close)."""
    import difflib

    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def shorten(value: Any, limit: int = ECHO_CHARS) -> str:
    """``repr(value)`` of at most ``limit`` characters, built without expanding a huge nested value."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxdict, r.maxtuple, r.maxset = 3, 8, 8, 8, 8
    r.maxstring, r.maxother, r.maxlong = limit, limit, limit
    try:
        return clip(r.repr(value), limit)
    except Exception:  # a value whose repr fails is still reported
        return f"<{type(value).__name__}>"


# -- ranges ---------------------------------------------------------------------------------------

_INTERVAL = re.compile(r"\A\s*([\[(])\s*(-?[\d.e+]+|-inf)\s*,\s*(-?[\d.e+]+|inf)\s*([\])])\s*\Z", re.ASCII)


@dataclass(frozen=True)
class In:
    """The range and unit of a numeric field, written as an interval: ``In("(0, 1]", FRACTION)``.

    ``[`` / ``]`` include the bound, ``(`` / ``)`` exclude it, ``inf`` leaves a side open.
    ``nonzero`` also refuses 0. A value outside the range is a :class:`ConfigError` naming the field,
    the interval, the unit and the value; for a ``FRACTION`` whose value divided by 100 lies in the
    range, the message adds "write 0.2 for 20 %".
    """

    interval: str
    unit: str = UNITLESS
    nonzero: bool = False

    def bounds(self) -> tuple[float, float, bool, bool]:
        """(low, high, low included, high included) of the interval."""
        m = _INTERVAL.match(self.interval)
        if not m:
            raise ValueError(f"bad interval {self.interval!r}")  # a programming error
        return float(m.group(2)), float(m.group(3)), m.group(1) == "[", m.group(4) == "]"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the range."""
        lo, hi, lo_in, hi_in = self.bounds()
        above = x >= lo if lo_in else x > lo
        below = x <= hi if hi_in else x < hi
        return above and below and not (self.nonzero and x == 0)

    def describe(self) -> str:
        """``in (0, 1] (fraction)``."""
        return f"in {self.interval.replace(' ', '').replace(',', ', ')}" + (", not 0" if self.nonzero else "") + \
            f" ({self.unit})"

    def check(self, x: float, where: str, src: str) -> None:
        """Raise :class:`ConfigError` naming ``src`` and ``where`` when ``x`` is outside the range."""
        if self.contains(x):
            return
        hint = ""
        if self.unit.startswith("fraction") and abs(x) > 1 and self.contains(x / 100):
            hint = f"; a fraction: write {x / 100:g} for {x:g} %"
        raise ConfigError(f"{src}: `{where}`: must be {self.describe()}, found {_number(x)}{hint}")


def _number(x: float) -> str:
    """``20`` for 20.0, ``0.15`` for 0.15: a number as the user wrote it (at most :data:`ECHO_CHARS`)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return clip(repr(x))


def _range_of(tp: Any) -> tuple[Any, In | None]:
    """Split ``Annotated[T, In(...)]`` into (T, In); other types give (tp, None)."""
    if typing.get_origin(tp) is Annotated:
        inner, *meta = typing.get_args(tp)
        return inner, next((m for m in meta if isinstance(m, In)), None)
    return tp, None


class FieldRange(typing.NamedTuple):
    """A numeric field of a dataclass tree: dotted ``name`` (``[]`` a list item, ``.*`` a mapping value)."""

    name: str
    type: type
    range: In | None
    default: Any


def field_ranges(cls: type, prefix: str = "") -> list[FieldRange]:
    """Every numeric field of the dataclass tree ``cls``, with its range (None when it declares none)."""
    out: list[FieldRange] = []
    hints = typing.get_type_hints(cls, include_extras=True)
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        out += _ranges_of_type(hints[f.name], f"{prefix}{f.name}", default)
    return out


def _ranges_of_type(tp: Any, name: str, default: Any) -> list[FieldRange]:
    base, rng = _range_of(tp)
    origin = typing.get_origin(base)
    if origin in (typing.Union, types.UnionType):
        arg = next(a for a in typing.get_args(base) if a is not type(None))
        return _ranges_of_type(Annotated[arg, rng] if rng else arg, name, default)
    if base in (int, float):
        return [FieldRange(name, base, rng, default)]
    if origin is tuple:
        return _ranges_of_type(typing.get_args(base)[0], f"{name}[]", default)
    if origin is dict:
        return _ranges_of_type(typing.get_args(base)[1], f"{name}.*", default)
    if dataclasses.is_dataclass(base):
        return field_ranges(base, f"{name}.")
    return []


# -- building dataclasses -------------------------------------------------------------------------

def profile_path(name: str, params_dir: Path) -> Path:
    """Path of profile ``name`` in ``params_dir``; the name is validated first."""
    return Path(params_dir) / f"{validate_profile_name(name)}.yaml"


def list_profiles(params_dir: Path) -> list[str]:
    """Names of the profiles in ``params_dir`` (sorted)."""
    d = Path(params_dir)
    if not d.is_dir():
        raise ConfigError(f"{d}: profile directory not found; lay out a project home with `rebal init DIR` "
                          "(or run from inside one, or set REBAL_HOME)")
    return sorted(p.stem for p in d.glob("*.yaml") if PROFILE_NAME_RE.fullmatch(p.stem))


def _type_name(tp: Any) -> str:
    tp, rng = _range_of(tp)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "a list"
    if origin is dict:
        return "a mapping of ticker to number"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    name = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            date: "a date (YYYY-MM-DD)"}.get(tp, str(tp))
    return f"{name} {rng.describe()}" if rng is not None else name


def _convert(value: Any, tp: Any, where: str, src: str) -> Any:
    def bad() -> ConfigError:
        return ConfigError(f"{src}: `{where}`: expected {_type_name(tp)}, found {shorten(value)} "
                           f"({type(value).__name__})")

    base, rng = _range_of(tp)
    if rng is not None:
        out = _convert(value, base, where, src)
        if out is not None:
            rng.check(out, where, src)
        return out
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, args[0], where, src)
    if origin is Literal:
        if not isinstance(value, typing.Hashable) or value not in typing.get_args(tp):
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
        try:  # text from a profile is shown in reports and on terminals: nothing invisible or direction-changing
            return check_text(value, f"`{where}`", allow_newlines=True)
        except ValueError as exc:
            raise ConfigError(f"{src}: {exc}") from None
    if tp is date:
        if isinstance(value, (date, str)):
            try:
                day = value if isinstance(value, date) else date.fromisoformat(value) if value.isascii() else None
            except ValueError:
                day = None
            if day is None:
                raise ConfigError(f"{src}: `{where}`: expected a date (YYYY-MM-DD, ASCII digits) that exists, found "
                                  f"{shorten(value)}") from None
            if day > date.today():  # every date of a profile refers to data, which cannot come from the future
                raise ConfigError(f"{src}: `{where}`: {day} is after today ({date.today()}): a profile's dates refer "
                                  "to the data, which cannot come from the future")
            return day
        raise bad()
    raise TypeError(f"unsupported profile field type {tp!r}")  # a programming error


def build_dataclass(cls: type, data: Mapping[str, Any], where: str, src: str) -> Any:
    """Build the dataclass ``cls`` from a YAML mapping, converting and checking every field.

    ``where`` is the dotted path of ``data`` in the profile (``""`` at the top) and ``src`` the file;
    an unknown key, a missing required key, a value of the wrong type or out of its range raises
    :class:`ConfigError` naming them.
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted((str(k) for k in set(data) - set(fields)), key=str)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"{src}: unknown key `{prefix}{clip(unknown[0])}`; valid keys here: {', '.join(sorted(fields))}"
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
            raise ConfigError(f"{src}: `{section}.{key}`: must be {need}, found "
                              f"{shorten(operator.attrgetter(key)(spec))}")
