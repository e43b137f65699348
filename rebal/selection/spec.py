"""The ``risk4`` section of a profile: the weekly Risk4 selection's parameters and checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from rebal.config.loader import COUNT, FRACTION, MULTIPLIER, SESSIONS, STDS, USD, In
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["Risk4Checks", "Risk4Spec", "check_risk4"]


@dataclass(frozen=True)
class Risk4Checks:
    """Pre-rebalance checks of the Risk4 process (see :mod:`rebal.selection.risk4`).

    CRITICAL (the run is blocked, no trades): features more than ``max_stale_sessions`` NYSE
    sessions old, fewer than ``min_names`` names passing the filters, more than
    ``max_null_alpha`` of the latest rows without alpha, cross-sectional alpha std below
    ``min_alpha_std``, top-minus-bottom decile alpha spread below ``min_spread_std`` stds.
    WARNING: fewer than ``min_universe`` names or ``min_sectors`` sectors after the filters, a
    sector over ``max_sector_share`` of the universe, turnover above ``turnover_warning``, a
    position above ``position_warning``. The defaults are the production values of the spec;
    a small universe states its scaled thresholds in its profile.
    """

    max_stale_sessions: Annotated[int, In("[0, 252]", SESSIONS)] = 1
    min_names: Annotated[int, In("[1, 100000]", COUNT)] = 50
    min_universe: Annotated[int, In("[1, 100000]", COUNT)] = 500
    min_sectors: Annotated[int, In("[1, 1000]", COUNT)] = 11
    max_sector_share: Annotated[float, In("(0, 1]", FRACTION)] = 0.40
    max_null_alpha: Annotated[float, In("[0, 1]", FRACTION)] = 0.05
    #: cross-sectional standard deviation of the raw alpha (the alpha's own unit)
    min_alpha_std: Annotated[float, In("[0, 1e6]", "alpha units")] = 0.1
    min_spread_std: Annotated[float, In("[0, 100]", STDS)] = 1.0
    turnover_warning: Annotated[float, In("(0, 2]", FRACTION)] = 0.50
    position_warning: Annotated[float, In("(0, 1]", FRACTION)] = 0.05


@dataclass(frozen=True)
class Risk4Spec:
    """Risk4 weekly stock selection (``target.method: risk4``).

    Rebalance every ``every`` NYSE sessions from ``anchor``. From the features of the latest
    date: names with ``adv_20 >= min_adv`` dollars, alpha z-scored and clipped at ``zclip``, the
    ``top_n`` by alpha z, base weight alpha_z / vol_blend, capped at ``max_position`` per name and
    ``sector_multiple`` x the universe's sector weight per sector; blended with the prior
    portfolio (``turnover_lambda``) and the change shrunk to ``max_turnover``; exposure scaled to
    ``target_vol`` (shrunk covariance of ``cov_lookback`` days), gross at most ``max_gross``, the
    rest in cash. ``alpha_source``: ``pipeline`` (the documented feature pipeline) or
    ``imported`` (the user's alpha from ``rebal data import alpha``). When the caps cannot hold
    with the top N (their sectors' caps and N x max_position leave under 100 % investable),
    ``on_infeasible_caps: block`` stops the run (CRITICAL) and ``extend`` adds the next-ranked
    names with positive alpha from sectors with room until the caps can hold (a WARNING says
    how many). ``initial_value`` is the cash a portfolio starts from when it has no prior holdings.
    """

    every: Annotated[int, In("[1, 252]", SESSIONS)] = 5
    anchor: date = date(2015, 1, 2)
    top_n: Annotated[int, In("[1, 100000]", COUNT)] = 75
    min_adv: Annotated[float, In("[0, 1e13]", USD)] = 2_000_000.0
    zclip: Annotated[float, In("(0, 10]", STDS)] = 3.0
    max_position: Annotated[float, In("(0, 1]", FRACTION)] = 0.03
    sector_multiple: Annotated[float, In("(0, 100]", MULTIPLIER)] = 2.0
    turnover_lambda: Annotated[float, In("[0, 1]", FRACTION)] = 0.5
    max_turnover: Annotated[float, In("(0, 1]", FRACTION)] = 0.30
    #: annualised volatility, a fraction (0.20 = 20 % a year)
    target_vol: Annotated[float, In("(0, 2]", FRACTION)] = 0.20
    max_gross: Annotated[float, In("(0, 1]", "fraction, no leverage")] = 1.0
    cov_lookback: Annotated[int, In("[20, 5000]", SESSIONS)] = 252
    alpha_source: Literal["pipeline", "imported"] = "pipeline"
    on_infeasible_caps: Literal["block", "extend"] = "block"
    initial_value: Annotated[float, In("(0, 1e13]", USD)] = 10_000_000.0
    checks: Risk4Checks = field(default_factory=Risk4Checks)


def check_risk4(profile: Profile, src: str) -> None:
    """Check the ``risk4`` section of ``profile`` (read from ``src``) against its target method.

    Raises :class:`ConfigError` naming the field, the value and the rule.
    """
    r, method = profile.risk4, profile.target.method
    if method == "risk4" and r is None:
        raise ConfigError(f"{src}: `risk4`: required when `target.method` is 'risk4'")
    if r is None:
        for what, used in (("notebooks", "risk4_picks" in profile.notebooks),
                           ("sample_holdings.every", bool(profile.sample_holdings)
                            and profile.sample_holdings.every == "rebalance_day")):
            if used:
                raise ConfigError(f"{src}: `{what}`: needs a `risk4` block (and `target.method: risk4`)")
        return
    if method != "risk4":
        raise ConfigError(f"{src}: `risk4`: only allowed with `target.method: risk4` (method is {method!r})")
    if not profile.universe:
        other = [nb for nb in profile.notebooks if nb != "risk4_picks"]
        if other:
            raise ConfigError(f"{src}: `notebooks`: {other[0]} needs an explicit `universe`; without one (every "
                              "equity in the lakehouse) list only risk4_picks")
    if profile.target.cash:
        raise ConfigError(f"{src}: `target.cash`: not used by risk4 (cash is what vol targeting leaves); remove it")
    from rebal.calendar import is_session

    if not is_session(r.anchor):
        raise ConfigError(f"{src}: `risk4.anchor`: {r.anchor} is not an NYSE session")
    if r.top_n * r.max_position < 1.0 - 1e-12:
        raise ConfigError(f"{src}: `risk4.max_position`: {r.top_n} names x {r.max_position} < 1, "
                          "no fully invested portfolio can respect the cap; raise top_n or max_position")
