"""The ``stress`` section of a profile: risk estimate, episodes file, shocks, VaR and its backtest, with checks.

Example (every key optional; the defaults are shown)::

    stress:
      covariance: ledoit_wolf        # sample | ledoit_wolf | ewma
      ewma_lambda: 0.94              # decay of the ewma estimate (RiskMetrics)
      window_days: 252               # sessions of returns up to the as-of date: covariance and betas
      episodes: stress/episodes.yaml # historical episodes, relative to params/ (the shared file)
      var_window_days: 504           # returns behind each VaR estimate
      var_levels: [0.95, 0.99]
      var_horizons: [1, 10]          # days; 10-day figures scale the 1-day ones by sqrt(10)
      backtest_days: 756             # at most this many days of the profile's own history
      backtest_level: 0.99
      backtest_method: historical    # historical | normal | cornish_fisher
      shocks:
        benchmark_moves: [-0.10, -0.20, -0.30]
        sector_move: -0.25
        sectors: []                  # empty: every sector held, one at a time
        sds: 2.0                     # correlation-to-one and factor shocks: down 2 standard deviations
        horizon_days: 21             # ... over 21 sessions
        factors: [MTUM, QUAL, SIZE, USMV, VLUE]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from rebal.analytics.covariance import CovarianceMethod
from rebal.analytics.var import VarMethod
from rebal.config.loader import DAYS, FRACTION, SESSIONS, STDS, UNITLESS, In, check_ranges, shorten
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["DEFAULT_EPISODES_FILE", "ShockSpec", "StressSpec", "check_stress", "episodes_path"]

#: unit of a shock: a fractional move (-0.10 = down 10 %)
MOVE = "fractional move"
#: The shared episodes file, relative to the params/ directory.
DEFAULT_EPISODES_FILE = "stress/episodes.yaml"


@dataclass(frozen=True)
class ShockSpec:
    """Hypothetical shocks (see :mod:`rebal.analytics.shocks`); moves are fractions (-0.10 = down 10 %)."""

    benchmark_moves: tuple[Annotated[float, In("[-1, 1]", MOVE, nonzero=True)], ...] = (-0.10, -0.20, -0.30)
    sector_move: Annotated[float, In("[-1, 1]", MOVE, nonzero=True)] = -0.25
    #: sectors to shock one at a time; empty = every sector held by the current or proposed portfolio
    sectors: tuple[str, ...] = ()
    #: standard deviations of the correlation-to-one and factor shocks (a fall of ``sds`` sd)
    sds: Annotated[float, In("(0, 10]", STDS)] = 2.0
    horizon_days: Annotated[int, In("[1, 252]", SESSIONS)] = 21
    #: factor ETFs shocked one at a time (those without prices in the risk window are skipped, with a note)
    factors: tuple[str, ...] = ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")


@dataclass(frozen=True)
class StressSpec:
    """The risk and stress report (``risk_stress``) and ``rebal risk`` (see the module docstring)."""

    covariance: CovarianceMethod = "ledoit_wolf"
    ewma_lambda: Annotated[float, In("(0, 1)", UNITLESS)] = 0.94
    window_days: Annotated[int, In("[20, 5000]", SESSIONS)] = 252
    #: episodes file relative to params/ (or absolute); empty = :data:`DEFAULT_EPISODES_FILE`
    episodes: str = ""
    var_window_days: Annotated[int, In("[50, 5000]", SESSIONS)] = 504
    var_levels: tuple[Annotated[float, In("[0.5, 1)", FRACTION)], ...] = (0.95, 0.99)
    var_horizons: tuple[Annotated[int, In("[1, 252]", DAYS)], ...] = (1, 10)
    backtest_days: Annotated[int, In("[20, 10000]", DAYS)] = 756
    backtest_level: Annotated[float, In("[0.5, 1)", FRACTION)] = 0.99
    backtest_method: VarMethod = "historical"
    shocks: ShockSpec = field(default_factory=ShockSpec)


def episodes_path(profile: Profile) -> Path:
    """Return the episodes file of ``profile``: ``stress.episodes`` (default the shared file) against params/."""
    p = Path(profile.stress.episodes or DEFAULT_EPISODES_FILE).expanduser()
    if p.is_absolute():
        return p
    return Path(profile.source).resolve().parent.parent / p


def check_stress(profile: Profile, src: str) -> None:
    """Check the ``stress`` section of ``profile`` (raises :class:`ConfigError` naming the file and field).

    An episodes file named in the profile must exist; the shared default is checked when present
    (a project without it gets the error when the report runs).
    """
    st, sh = profile.stress, profile.stress.shocks
    check_ranges(src, "stress", st, [  # each value's range is in its annotation (checked at load)
        ("var_levels", bool(st.var_levels), "a non-empty list of levels in [0.5, 1)"),
        ("var_horizons", bool(st.var_horizons), "a non-empty list of days in [1, 252]"),
    ])
    for key, values in (("shocks.sectors", sh.sectors), ("shocks.factors", sh.factors)):
        if len(set(values)) != len(values):
            dup = sorted({v for v in values if values.count(v) > 1})[0]
            raise ConfigError(f"{src}: `stress.{key}`: {shorten(dup)} listed twice")
    path = episodes_path(profile)
    if not path.is_file():
        if profile.stress.episodes:
            raise ConfigError(f"{src}: `stress.episodes`: file {path} not found")
        return
    from rebal.stress.episodes import load_episodes

    try:
        load_episodes(path)
    except ConfigError as exc:
        raise ConfigError(f"{src}: `stress.episodes`: {exc}") from None
