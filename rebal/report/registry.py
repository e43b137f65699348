"""The report registry: every report is one page module under :mod:`rebal.report.pages`.

A page module declares ``REPORT = ReportSpec(...)``: its template notebook, title, which profiles it
applies to, the scraps it records with their types, its one-line summary, its cells on the
packet cover, and its part in the committee packet (its role, the evidence it adds to a profile's
decision page, its caveats for the cover, the lines to sign, the notes on its specification).
Profile validation (``notebooks:``), the weekly runner, the CLI and the packet read this registry;
nothing else names a report. Adding a report = a template notebook, one page module
and its tests.

Scraps are the contract between a notebook and the packet: :func:`check_scraps` refuses a missing
or mistyped one with an error naming the report and the key, in the notebook when it glues them
(:func:`rebal.report.widgets.glue`) and again in the runner when it reads them.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Hashable, Literal, Mapping, Sequence

from rebal.errors import ConfigError, ReportError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["ReportSpec", "Cover", "DATAFRAME", "reports", "report", "names", "default_names", "check_scraps",
           "check_notebooks"]

#: scrap type for a pandas DataFrame (scrapbook stores it through pyarrow)
DATAFRAME = "DataFrame"
_JSON_FLOATS = ("nan", "NaN", "inf", "Infinity", "-inf", "-Infinity")
_TYPE_NAMES = {float: "a number", int: "an integer", str: "a string", bool: "true/false", list: "a list",
               dict: "a mapping", DATAFRAME: "a DataFrame", type(None): "empty"}


@dataclass(frozen=True)
class Cover:
    """One cell of a report on the packet cover: its column heading and how to fill it from the scraps."""

    column: str
    cell: Callable[[Mapping[str, Any]], str]  # returns HTML (escape every value that comes from data)


@dataclass(frozen=True)
class ReportSpec:
    """Declaration of one report (see the module docstring).

    Parameters
    ----------
    name
        Template notebook stem (``notebooks/<name>.ipynb``) and the name profiles list.
    title
        Title in reports, the packet and the CLI.
    order
        Position in the default report order and on the cover (lower first).
    scraps
        Scrap name -> accepted type(s): ``float``, ``int``, ``str``, ``bool``, ``list``, ``dict``,
        :data:`DATAFRAME`, or a tuple of them (``type(None)`` for an optional value).
    summary
        One line of key results from the scraps (CLI progress, run log).
    applies
        ``(profile, has_holdings) -> None`` when the report applies, else the reason it does not.
    cover
        The report's cells on the packet cover, in order.
    default
        Whether a profile without a ``notebooks:`` list gets this report.
    legend
        A sentence for the packet cover explaining the report's cover cells (HTML).
    optional
        Scraps that may be absent (e.g. a blocked run records fewer), with their types when present.
    role
        The report's part in the committee packet: ``"decision"`` (its scraps hold the profile's decision;
        the packet builds the profile's decision page around them) or ``"evidence"`` (a report of the
        appendix). Every report's PDF is in the appendix.
    shared
        For a report that can show the same content for several profiles (the factor map of one universe):
        a key of that content from the scraps; reports with equal keys appear once in the appendix. None:
        every profile's report is its own.
    evidence
        The report's items on the profile's decision page, from its scraps
        (:class:`~rebal.report.evidence.EvidenceRow`, :class:`~rebal.report.evidence.EvidenceTable`).
    flags
        Caveats for the packet's cover from the scraps, one plain-text line each: a model its backtest
        rejects, a figure that rests on a proxy, an episode in which the proposal loses more.
    sign
        The lines to sign from the scraps (:class:`~rebal.report.evidence.SignItem`); empty when there is
        nothing to sign.
    decides
        For the decision report: whether its scraps ask the committee for a decision this week (a profile
        without one shares a page with the other quiet profiles). None: every profile decides.
    method_notes
        Where the report's method departs from the specification it implements (addressed to that
        specification's authors): the packet's method appendix shows them once, the report does not.
    """

    name: str
    title: str
    order: int
    scraps: Mapping[str, Any]
    summary: Callable[[Mapping[str, Any]], str]
    applies: Callable[["Profile", bool], str | None] = lambda profile, has_holdings: None
    cover: tuple[Cover, ...] = ()
    default: bool = True
    legend: str = ""
    optional: Mapping[str, Any] = field(default_factory=dict)
    role: Literal["decision", "evidence"] = "evidence"
    shared: Callable[[Mapping[str, Any]], Hashable | None] | None = None
    evidence: Callable[[Mapping[str, Any]], Sequence[Any]] | None = None
    flags: Callable[[Mapping[str, Any]], Sequence[str]] | None = None
    sign: Callable[[Mapping[str, Any]], Sequence[Any]] | None = None
    decides: Callable[[Mapping[str, Any]], bool] | None = None
    method_notes: tuple[str, ...] = ()

    def summary_line(self, scraps: Mapping[str, Any]) -> str:
        """:attr:`summary` of ``scraps``, or ``""`` when they cannot make one (a failed report)."""
        try:
            return self.summary(scraps)
        except (KeyError, TypeError, ValueError):
            return ""


_REGISTRY: dict[str, ReportSpec] | None = None


def _load() -> dict[str, ReportSpec]:
    global _REGISTRY
    if _REGISTRY is None:
        from rebal.report import pages

        found = []
        for mod in pkgutil.iter_modules(pages.__path__):
            spec = getattr(importlib.import_module(f"rebal.report.pages.{mod.name}"), "REPORT", None)
            if isinstance(spec, ReportSpec):
                found.append(spec)
        _REGISTRY = {s.name: s for s in sorted(found, key=lambda s: (s.order, s.name))}
    return _REGISTRY


def reports() -> tuple[ReportSpec, ...]:
    """Every registered report, in report order."""
    return tuple(_load().values())


def names() -> tuple[str, ...]:
    """Names of every registered report, in report order."""
    return tuple(_load())


def default_names() -> tuple[str, ...]:
    """Return the reports a profile gets when it lists none."""
    return tuple(s.name for s in reports() if s.default)


def report(name: str) -> ReportSpec:
    """Return the report called ``name``; raise :class:`ConfigError` listing the valid names otherwise."""
    spec = _load().get(name)
    if spec is None:
        raise ConfigError(f"unknown report {name!r}; valid: {', '.join(names())}")
    return spec


def _type_ok(value: Any, want: Any) -> bool:
    kinds = want if isinstance(want, tuple) else (want,)
    for k in kinds:
        if k == DATAFRAME:
            if hasattr(value, "to_dict") and hasattr(value, "columns"):
                return True
        elif k is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return True
            if value in _JSON_FLOATS:  # scrapbook stores JSON, which has no NaN or infinity: they come back as text
                return True
        elif k is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return True
        elif k is type(None):
            if value is None:
                return True
        elif isinstance(value, k):
            return True
    return False


def _type_name(want: Any) -> str:
    kinds = want if isinstance(want, tuple) else (want,)
    return " or ".join(_TYPE_NAMES.get(k, str(k)) for k in kinds)


def check_scraps(spec: ReportSpec, scraps: Mapping[str, Any]) -> None:
    """Raise :class:`ReportError` naming the report and key when a declared scrap is missing or mistyped."""
    for key, want in spec.scraps.items():
        if key not in scraps:
            raise ReportError(f"report {spec.name}: scrap `{key}` is missing")
        if not _type_ok(scraps[key], want):
            value = scraps[key]
            raise ReportError(f"report {spec.name}: scrap `{key}` must be {_type_name(want)}, found "
                              f"{type(value).__name__} {str(value)[:60]!r}")
    for key, want in spec.optional.items():
        if key in scraps and not _type_ok(scraps[key], want):
            raise ReportError(f"report {spec.name}: scrap `{key}` must be {_type_name(want)}, found "
                              f"{type(scraps[key]).__name__} {str(scraps[key])[:60]!r}")


def check_notebooks(profile: Profile, src: str) -> None:
    """Check that the ``notebooks:`` list of a profile names registered reports, each once."""
    valid = names()
    for i, nb in enumerate(profile.notebooks):
        if nb not in valid:
            raise ConfigError(f"{src}: `notebooks[{i}]`: expected one of {', '.join(repr(v) for v in valid)}, "
                              f"found {nb!r} ({type(nb).__name__})")
    if len(set(profile.notebooks)) != len(profile.notebooks):
        raise ConfigError(f"{src}: `notebooks`: listed twice")
