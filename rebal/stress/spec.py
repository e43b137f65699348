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
from typing import TYPE_CHECKING

from rebal.analytics.covariance import CovarianceMethod
from rebal.analytics.var import VarMethod
from rebal.config.loader import check_ranges
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["DEFAULT_EPISODES_FILE", "ShockSpec", "StressSpec", "check_stress", "episodes_path"]

#: The shared episodes file, relative to the params/ directory.
DEFAULT_EPISODES_FILE = "stress/episodes.yaml"


@dataclass(frozen=True)
class ShockSpec:
    """Hypothetical shocks (see :mod:`rebal.analytics.shocks`); moves are fractions (-0.10 = down 10 %)."""

    benchmark_moves: tuple[float, ...] = (-0.10, -0.20, -0.30)
    sector_move: float = -0.25
    #: sectors to shock one at a time; empty = every sector held by the current or proposed portfolio
    sectors: tuple[str, ...] = ()
    #: standard deviations of the correlation-to-one and factor shocks (a fall of ``sds`` sd)
    sds: float = 2.0
    horizon_days: int = 21
    #: factor ETFs shocked one at a time (those without prices in the risk window are skipped, with a note)
    factors: tuple[str, ...] = ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")


@dataclass(frozen=True)
class StressSpec:
    """The risk and stress report (``risk_stress``) and ``rebal risk`` (see the module docstring)."""

    covariance: CovarianceMethod = "ledoit_wolf"
    ewma_lambda: float = 0.94
    window_days: int = 252
    #: episodes file relative to params/ (or absolute); empty = :data:`DEFAULT_EPISODES_FILE`
    episodes: str = ""
    var_window_days: int = 504
    var_levels: tuple[float, ...] = (0.95, 0.99)
    var_horizons: tuple[int, ...] = (1, 10)
    backtest_days: int = 756
    backtest_level: float = 0.99
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
    check_ranges(src, "stress", st, [
        ("ewma_lambda", 0.0 < st.ewma_lambda < 1.0, "in (0, 1)"),
        ("window_days", 20 <= st.window_days <= 5000, "in [20, 5000] sessions"),
        ("var_window_days", 50 <= st.var_window_days <= 5000, "in [50, 5000] sessions"),
        ("var_levels", bool(st.var_levels) and all(0.5 <= x < 1.0 for x in st.var_levels), "levels in [0.5, 1)"),
        ("var_horizons", bool(st.var_horizons) and all(1 <= x <= 252 for x in st.var_horizons), "days in [1, 252]"),
        ("backtest_days", 20 <= st.backtest_days <= 10000, "in [20, 10000] days"),
        ("backtest_level", 0.5 <= st.backtest_level < 1.0, "in [0.5, 1)"),
        ("shocks.benchmark_moves", all(-1.0 <= x <= 1.0 and x != 0 for x in sh.benchmark_moves),
         "non-zero moves in [-1, 1]"),
        ("shocks.sector_move", -1.0 <= sh.sector_move <= 1.0 and sh.sector_move != 0, "a non-zero move in [-1, 1]"),
        ("shocks.sds", 0.0 < sh.sds <= 10.0, "in (0, 10]"),
        ("shocks.horizon_days", 1 <= sh.horizon_days <= 252, "in [1, 252] sessions"),
    ])
    for key, values in (("shocks.sectors", sh.sectors), ("shocks.factors", sh.factors)):
        if len(set(values)) != len(values):
            dup = sorted({v for v in values if values.count(v) > 1})[0]
            raise ConfigError(f"{src}: `stress.{key}`: {dup!r} listed twice")
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
