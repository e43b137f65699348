"""Typed, frozen profiles loaded from ``params/profiles/<name>.yaml`` by one function.

A profile describes one portfolio: its universe, how its target weights are made, the drift
thresholds of its status, and (for the shipped samples) how its sample holdings were implemented.
:func:`load_profile` is the only way to build one. It rejects, naming the file and the field:
malformed YAML, unknown keys, wrong types, weights that do not sum to 1 within
:data:`WEIGHT_SUM_TOLERANCE`, negative weights in a long-only profile, unknown tickers (when the
known tickers are given) and unsafe profile names.

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

import dataclasses
import hashlib
import math
import operator
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml

from rebal.errors import ConfigError

__all__ = [
    "WEIGHT_SUM_TOLERANCE",
    "TARGET_METHODS",
    "NOTEBOOKS",
    "NOTEBOOK_TITLES",
    "DriftThresholds",
    "TargetSpec",
    "SampleHoldings",
    "DataChecks",
    "SensitivitySpec",
    "PlannerSpec",
    "LabSpec",
    "TaxSpec",
    "DEFAULT_LAB_RULES",
    "FactorMapSpec",
    "Risk4Checks",
    "Risk4Spec",
    "BlackLittermanSpec",
    "Limits",
    "MODE_NAMES",
    "ProposalSpec",
    "Profile",
    "validate_profile_name",
    "views_path",
    "profile_path",
    "list_profiles",
    "load_profile",
    "load_profiles",
]

#: Weights plus cash must sum to 1 within this absolute tolerance.
WEIGHT_SUM_TOLERANCE = 1e-6

TargetMethod = Literal["fixed", "equal_weight", "inverse_vol", "min_variance", "max_sharpe", "hrp", "black_litterman",
                       "risk4"]
TARGET_METHODS: tuple[str, ...] = typing.get_args(TargetMethod)

NotebookName = Literal["drift_audit", "rebalance_proposal", "beta_correlation", "factor_map", "rule_backtest",
                       "risk4_picks"]
#: Template notebooks a profile may ask for, in report order.
NOTEBOOKS: tuple[str, ...] = typing.get_args(NotebookName)
#: Titles of the template notebooks in reports and the packet.
NOTEBOOK_TITLES: dict[str, str] = {"drift_audit": "Drift audit", "rebalance_proposal": "Rebalance proposal",
                                   "beta_correlation": "Market sensitivity", "factor_map": "Factor map",
                                   "rule_backtest": "Rebalancing-rule lab", "risk4_picks": "Risk4 picks"}

ModeName = Literal["proportional", "correlation_aware", "performance_weighted", "risk_adjusted"]
#: Rebalance modes of ``rebal propose`` (see :mod:`rebal.modes`).
MODE_NAMES: tuple[str, ...] = typing.get_args(ModeName)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class DriftThresholds:
    """Drift status thresholds, as fractions of portfolio value.

    Status is URGENT when portfolio drift > ``urgent`` or any single asset drifts more than
    ``single_asset_urgent``; REBALANCE when portfolio drift > ``rebalance``; MAINTAIN otherwise.
    """

    rebalance: float = 0.10
    urgent: float = 0.20
    single_asset_urgent: float = 0.075


@dataclass(frozen=True)
class BlackLittermanSpec:
    """Black-Litterman parameters (``target.method: black_litterman``).

    ``delta`` risk aversion (also the utility's), ``tau`` prior uncertainty, ``omega``
    ``idzorek`` (view confidences) or ``he_litterman`` (diag(τPΣPᵀ)). ``market_weights``:
    ``equal`` (the lakehouse ships no market caps, so the prior is 1/N, labelled as such in
    reports) or a mapping ticker -> weight summing to 1.
    """

    delta: float = 2.5
    tau: float = 0.05
    omega: Literal["idzorek", "he_litterman"] = "idzorek"
    market_weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetSpec:
    """How the target weights are made.

    ``method`` is one of :data:`TARGET_METHODS`. ``fixed`` takes ``weights`` as given; the others
    are fitted on ``lookback_days`` of daily returns up to the as-of date. ``cash`` is the target
    fraction kept in cash; the invested weights sum to ``1 - cash``.

    Mean-variance methods (``min_variance``, ``max_sharpe``, ``black_litterman``) use
    exponentially weighted means (``half_life`` sessions), Ledoit-Wolf covariance, the bounds
    ``min_weight``/``max_weight`` and sector caps: ``max_sector_weight`` for every GICS sector
    and ``sector_max`` per sector (the lower applies). ``hrp`` uses ``linkage``. ``views`` is the
    analysts' views file for ``black_litterman`` (YAML or CSV; a relative path is resolved
    against the ``params/`` directory).
    """

    method: TargetMethod = "fixed"
    weights: dict[str, float] = field(default_factory=dict)
    cash: float = 0.0
    lookback_days: int = 252
    min_weight: float = 0.0
    max_weight: float = 1.0
    risk_free_rate: float = 0.0
    half_life: float = 126.0
    max_sector_weight: float = 1.0
    sector_max: dict[str, float] = field(default_factory=dict)
    linkage: Literal["single", "complete", "average", "ward"] = "ward"
    views: str = ""
    black_litterman: BlackLittermanSpec = field(default_factory=BlackLittermanSpec)


@dataclass(frozen=True)
class SampleHoldings:
    """How ``rebal data build-sample`` implements this profile's sample holdings.

    Starting with ``initial_value`` dollars on the first session on or after ``start``, the
    portfolio is traded to its then-target in whole shares on the last session of every
    ``every`` period (``rebalance_day``: on every day of the ``risk4`` schedule), self-financed;
    between implementations it drifts with real prices.
    """

    start: date
    every: Literal["month", "quarter", "half_year", "year", "rebalance_day"] = "quarter"
    initial_value: float = 10_000_000.0


@dataclass(frozen=True)
class DataChecks:
    """Data-fitness limits checked before a run."""

    #: a ticker whose latest close is more than this many sessions before the as-of date is stale
    max_stale_sessions: int = 1


@dataclass(frozen=True)
class SensitivitySpec:
    """Market-sensitivity audit: OLS of the profile's daily returns on the benchmark's.

    The profile's returns are those of its current target weights held over the last
    ``window_days`` sessions (its ex-ante exposure); ``rolling_days`` is the rolling-beta window.
    A ``defensive`` profile with beta above ``beta_limit`` is flagged AGGRESSIVE.
    """

    window_days: int = 252
    rolling_days: int = 63
    defensive: bool = False
    beta_limit: float = 0.5


@dataclass(frozen=True)
class PlannerSpec:
    """Rebalancing-planner parameters for today's decision panel (fractions unless in bps/VIX points).

    ``threshold_method`` picks the drift threshold: ``fixed`` (``threshold``), ``formula``
    (the planner spec's sqrt(2c / (sigma_p^2 T))) or ``no_trade_band`` (Whalley-Wilmott).
    """

    threshold: float = 0.05
    threshold_method: Literal["fixed", "formula", "no_trade_band"] = "fixed"
    calendar: Literal["monthly", "quarterly"] = "monthly"
    hybrid_override: float = 0.10
    commission_bps: float = 1.0
    impact_coefficient: float = 0.6
    high_vol_sigma: float = 0.30
    high_vol_band: float = 0.03
    elevated_vix: float = 20.0
    stress_vix: float = 30.0
    stress_override: float = 0.15
    min_adv: float = 1_000_000.0
    max_liquidity_days: float = 10.0
    participation: float = 0.10
    risk_aversion: float = 2.0
    horizon_years: float = 1.0
    notional_value: float = 10_000_000.0


#: Rules of a profile's rule-lab run when it names none (the study's fast set besides the grid).
DEFAULT_LAB_RULES: tuple[str, ...] = (
    "calendar:monthly", "calendar:quarterly", "calendar:annual", "threshold:0.03", "threshold:0.05",
    "threshold:0.10", "hybrid:monthly,0.10", "bands:5/25", "highvol:0.05,0.03", "costbenefit", "dynamic:0.05",
    "dynamic:0.05,pause", "delay:0.05,15", "partial:half,0.05", "partial:edge,0.05", "partial:cost,0.05",
    "tax:fifo,0.05", "tax:hifo,0.05")


@dataclass(frozen=True)
class TaxSpec:
    """Tax rates of the rule lab (parameters, not advice) and the loss that triggers harvesting."""

    short_term: float = 0.37
    long_term: float = 0.20
    loss_trigger: float = 0.10


@dataclass(frozen=True)
class LabSpec:
    """Rule lab (``rebal backtest``, the ``rule_backtest`` report).

    The window is the last ``years`` of data (or ``start``..``end``); the target is fitted once at
    the start (``refit: none``) or refitted on a calendar. ``rules`` run at ``cost_bps`` (flat
    spread + commission, plus square-root impact on dollar ADV); the grid crosses ``thresholds``
    and the calendar and hybrid rules with ``cost_levels``. Costs are multiplied by
    ``cost_multipliers`` in the normal / elevated / stress regimes.
    """

    years: int = 10
    start: date | None = None
    end: date | None = None
    refit: Literal["none", "monthly", "quarterly", "annual"] = "none"
    rules: tuple[str, ...] = DEFAULT_LAB_RULES
    cost_bps: float = 20.0
    thresholds: tuple[float, ...] = (0.03, 0.05, 0.07, 0.10)
    cost_levels: tuple[float, ...] = (10.0, 20.0, 50.0)
    cost_multipliers: tuple[float, ...] = (1.0, 1.5, 2.5)
    delays: tuple[int, ...] = (10, 15, 20)
    acceptable_te_increase: float = 0.005
    tax: TaxSpec = field(default_factory=TaxSpec)


@dataclass(frozen=True)
class FactorMapSpec:
    """Factor map: hierarchical clusters on correlation distance, centroids, metric MDS."""

    n_clusters: int = 6
    linkage: Literal["average", "complete", "single", "ward"] = "average"
    window_days: int = 504
    seed: int = 0


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

    max_stale_sessions: int = 1
    min_names: int = 50
    min_universe: int = 500
    min_sectors: int = 11
    max_sector_share: float = 0.40
    max_null_alpha: float = 0.05
    min_alpha_std: float = 0.1
    min_spread_std: float = 1.0
    turnover_warning: float = 0.50
    position_warning: float = 0.05


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

    every: int = 5
    anchor: date = date(2015, 1, 2)
    top_n: int = 75
    min_adv: float = 2_000_000.0
    zclip: float = 3.0
    max_position: float = 0.03
    sector_multiple: float = 2.0
    turnover_lambda: float = 0.5
    max_turnover: float = 0.30
    target_vol: float = 0.20
    max_gross: float = 1.0
    cov_lookback: int = 252
    alpha_source: Literal["pipeline", "imported"] = "pipeline"
    on_infeasible_caps: Literal["block", "extend"] = "block"
    initial_value: float = 10_000_000.0
    checks: Risk4Checks = field(default_factory=Risk4Checks)


@dataclass(frozen=True)
class Limits:
    """Circuit breakers: hard limits as fractions of portfolio value, and the correlation
    thresholds that define clusters (pairs above ``high_corr`` are linked; ``medium_corr`` is
    only reported). Defaults are the rebalance-modes spec's."""

    max_total: float = 0.60
    max_cluster: float = 0.30
    max_single: float = 0.40
    min_allocation: float = 0.01
    high_corr: float = 0.70
    medium_corr: float = 0.40


@dataclass(frozen=True)
class ProposalSpec:
    """``rebal propose``: mode, circuit breakers, impact simulation, recommendation and trade list.

    The mode (overridable with ``--mode``) starts from the profile's target and is followed by
    the circuit breakers (``limits``). Correlations use ``correlation_days`` sessions; the
    performance-weighted mode moves ``performance_shift`` from the lowest to the highest
    ``performance_days`` Sharpe ratio. The impact simulation replays ``simulation_days`` sessions
    in-sample and walk-forward (refit every ``refit_every`` sessions, out of sample). The
    recommendation is REBALANCE when the net improvement exceeds ``improvement_threshold``,
    OPTIONAL within ±that, HOLD below; a WARNING under ``marginal_threshold``; ALERTS for a
    correlation above ``correlation_alert`` or drift above ``drift_alert``. The improvement is
    the relative change of the Sharpe ratio, measured against at least ``sharpe_floor`` so a
    near-zero baseline does not inflate it. Trades below ``min_trade_value`` dollars are skipped
    (exits never are), at most ``max_trades`` trades; paper fills whose modelled slippage
    exceeds ``slippage_tolerance_bps`` are rejected (and with them the whole batch).
    """

    mode: ModeName = "correlation_aware"
    limits: Limits = field(default_factory=Limits)
    correlation_days: int = 30
    performance_days: int = 30
    performance_shift: float = 0.05
    simulation_days: int = 126
    refit_every: int = 21
    improvement_threshold: float = 0.05
    marginal_threshold: float = 0.03
    sharpe_floor: float = 0.5
    correlation_alert: float = 0.95
    drift_alert: float = 0.15
    min_trade_value: float = 1_000.0
    max_trades: int = 10
    slippage_tolerance_bps: float = 50.0


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
    notebooks: tuple[NotebookName, ...] = ("drift_audit", "rebalance_proposal", "beta_correlation", "factor_map",
                                           "rule_backtest")
    sample_holdings: SampleHoldings | None = None
    #: where the profile came from and the SHA-256 of its bytes (provenance)
    source: str = ""
    sha256: str = ""

    @property
    def tickers(self) -> tuple[str, ...]:
        """The universe (for ``fixed`` targets without a universe: the weighted tickers)."""
        return self.universe or tuple(self.target.weights)


# ---------------------------------------------------------------------------------------------
# names and files


def validate_profile_name(name: str) -> str:
    """Return ``name`` if it is a safe path component, else raise :class:`ConfigError`."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(
            f"invalid profile name {name!r}: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or digit (no '/', '..' or spaces)"
        )
    return name


def profile_path(name: str, params_dir: Path) -> Path:
    """Path of profile ``name`` in ``params_dir``; the name is validated first."""
    return Path(params_dir) / f"{validate_profile_name(name)}.yaml"


def list_profiles(params_dir: Path) -> list[str]:
    """Names of the profiles in ``params_dir`` (sorted)."""
    d = Path(params_dir)
    if not d.is_dir():
        raise ConfigError(f"{d}: profile directory not found")
    return sorted(p.stem for p in d.glob("*.yaml") if _NAME_RE.match(p.stem))


# ---------------------------------------------------------------------------------------------
# generic typed parsing of nested dataclasses


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
        return _build(tp, value, where, src)
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


def _build(cls: type, data: Mapping[str, Any], where: str, src: str) -> Any:
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


# ---------------------------------------------------------------------------------------------
# semantic checks


def _check(profile: Profile, src: str, known_tickers: set[str] | None) -> None:
    if known_tickers is not None:
        for key, names in (("universe", profile.universe), ("target.weights", tuple(profile.target.weights))):
            for tk in names:
                if tk not in known_tickers:
                    raise ConfigError(
                        f"{src}: `{key}`: unknown ticker {tk!r} (not in the lakehouse tickers table)"
                    )
        if profile.benchmark not in known_tickers:
            raise ConfigError(f"{src}: `benchmark`: unknown ticker {profile.benchmark!r}")
    t, d = profile.target, profile.drift
    if not 0.0 <= t.cash < 1.0:
        raise ConfigError(f"{src}: `target.cash`: must be in [0, 1), found {t.cash}")
    if t.method == "fixed":
        if not t.weights:
            raise ConfigError(f"{src}: `target.weights`: required when `target.method` is 'fixed'")
        total = sum(t.weights.values()) + t.cash
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ConfigError(
                f"{src}: `target.weights`: weights plus cash sum to {total:.6f}, but must sum to 1 "
                f"(tolerance {WEIGHT_SUM_TOLERANCE:g})"
            )
        if profile.universe:
            extra = sorted(set(t.weights) - set(profile.universe))
            if extra:
                raise ConfigError(f"{src}: `target.weights.{extra[0]}`: not in `universe`")
    else:
        if t.weights:
            raise ConfigError(
                f"{src}: `target.weights`: only allowed with method 'fixed' (method is {t.method!r})"
            )
        if not profile.universe and t.method != "risk4":
            raise ConfigError(f"{src}: `universe`: required when `target.method` is {t.method!r}")
    if profile.long_only:
        for k, w in t.weights.items():
            if w < 0:
                raise ConfigError(
                    f"{src}: `target.weights.{k}`: negative weight {w} in a long-only profile"
                )
    if not 0.0 <= t.min_weight <= t.max_weight <= 1.0:
        raise ConfigError(
            f"{src}: `target.min_weight`/`target.max_weight`: need 0 <= min <= max <= 1, "
            f"found {t.min_weight} and {t.max_weight}"
        )
    n = len(profile.tickers)
    if t.method not in ("fixed", "risk4") and t.max_weight * n < 1.0 - 1e-12:
        raise ConfigError(
            f"{src}: `target.max_weight`: {t.max_weight} x {n} assets < 1, no feasible portfolio"
        )
    if t.lookback_days < 20:
        raise ConfigError(f"{src}: `target.lookback_days`: must be >= 20, found {t.lookback_days}")
    if not 0.0 < d.rebalance < d.urgent <= 1.0:
        raise ConfigError(
            f"{src}: `drift`: need 0 < rebalance < urgent <= 1, found {d.rebalance} and {d.urgent}"
        )
    if not 0.0 < d.single_asset_urgent <= 1.0:
        raise ConfigError(
            f"{src}: `drift.single_asset_urgent`: must be in (0, 1], found {d.single_asset_urgent}"
        )
    if profile.data.max_stale_sessions < 0:
        raise ConfigError(f"{src}: `data.max_stale_sessions`: must be >= 0")
    sen, pl, fm = profile.sensitivity, profile.planner, profile.factor_map
    if sen.window_days < 20 or not 10 <= sen.rolling_days <= sen.window_days:
        raise ConfigError(f"{src}: `sensitivity`: need window_days >= 20 and 10 <= rolling_days <= window_days")
    if not 0 < pl.threshold < 1 or not 0 < pl.hybrid_override < 1 or not 0 < pl.participation <= 1:
        raise ConfigError(f"{src}: `planner`: threshold, hybrid_override and participation must be in (0, 1)")
    if pl.elevated_vix >= pl.stress_vix:
        raise ConfigError(f"{src}: `planner.elevated_vix`: must be below `planner.stress_vix`")
    if "factor_map" in profile.notebooks and n and not 2 <= fm.n_clusters <= max(2, n):
        raise ConfigError(f"{src}: `factor_map.n_clusters`: must be between 2 and the {n} assets, found {fm.n_clusters}")
    dup = sorted({x for x in profile.universe if profile.universe.count(x) > 1})
    if dup:
        raise ConfigError(f"{src}: `universe`: duplicate ticker {dup[0]!r}")
    if len(set(profile.notebooks)) != len(profile.notebooks):
        raise ConfigError(f"{src}: `notebooks`: listed twice")
    sh = profile.sample_holdings
    if sh is not None and sh.initial_value <= 0:
        raise ConfigError(f"{src}: `sample_holdings.initial_value`: must be > 0")
    _check_risk4(profile, src)
    _check_target_extras(profile, src, known_tickers)
    _check_proposal(profile, src)
    _check_lab(profile, src)


def _check_lab(profile: Profile, src: str) -> None:
    from rebal.lab.rules import parse_rule

    lab = profile.lab
    for i, spec in enumerate(lab.rules):
        try:
            parse_rule(spec)
        except ConfigError as e:
            raise ConfigError(f"{src}: `lab.rules[{i}]`: {e}") from None
    rules = [
        ("years", lab.years >= 1, ">= 1"),
        ("cost_bps", lab.cost_bps >= 0, ">= 0"),
        ("thresholds", bool(lab.thresholds) and all(0 < x < 1 for x in lab.thresholds), "fractions in (0, 1)"),
        ("cost_levels", bool(lab.cost_levels) and all(x >= 0 for x in lab.cost_levels), "bps >= 0"),
        ("cost_multipliers", len(lab.cost_multipliers) == 3 and all(x > 0 for x in lab.cost_multipliers),
         "three positive numbers (normal, elevated, stress)"),
        ("delays", bool(lab.delays) and all(1 <= x <= 63 for x in lab.delays), "sessions in [1, 63]"),
        ("acceptable_te_increase", lab.acceptable_te_increase >= 0, ">= 0"),
        ("tax.short_term", 0 <= lab.tax.short_term < 1, "in [0, 1)"),
        ("tax.long_term", 0 <= lab.tax.long_term < 1, "in [0, 1)"),
        ("tax.loss_trigger", 0 < lab.tax.loss_trigger < 1, "in (0, 1)"),
    ]
    for key, ok, need in rules:
        if not ok:
            raise ConfigError(f"{src}: `lab.{key}`: must be {need}, found {operator.attrgetter(key)(lab)}")
    if lab.start and lab.end and lab.start >= lab.end:
        raise ConfigError(f"{src}: `lab.start`: must be before `lab.end` ({lab.start} >= {lab.end})")


_MEAN_VARIANCE = ("min_variance", "max_sharpe", "black_litterman")


def _check_target_extras(profile: Profile, src: str, known_tickers: set[str] | None) -> None:
    t = profile.target
    if t.method == "hrp" and (t.min_weight != 0.0 or t.max_weight != 1.0):
        raise ConfigError(f"{src}: `target.min_weight`/`target.max_weight`: not supported by hrp "
                          "(recursive bisection has no bounds); remove them or use min_variance")
    has_caps = t.max_sector_weight < 1.0 or bool(t.sector_max)
    if has_caps and t.method not in _MEAN_VARIANCE:
        raise ConfigError(f"{src}: `target.sector_max`/`target.max_sector_weight`: only for "
                          f"{', '.join(_MEAN_VARIANCE)} (method is {t.method!r})")
    if not 0.0 < t.max_sector_weight <= 1.0:
        raise ConfigError(f"{src}: `target.max_sector_weight`: must be in (0, 1], found {t.max_sector_weight}")
    for sector, cap in t.sector_max.items():
        if not 0.0 < cap <= 1.0:
            raise ConfigError(f"{src}: `target.sector_max.{sector}`: must be in (0, 1], found {cap}")
    if t.half_life <= 0:
        raise ConfigError(f"{src}: `target.half_life`: must be > 0, found {t.half_life}")
    bl = t.black_litterman
    if t.method != "black_litterman":
        if t.views or bl != BlackLittermanSpec():
            key = "views" if t.views else "black_litterman"
            raise ConfigError(f"{src}: `target.{key}`: only allowed with method 'black_litterman' (method is {t.method!r})")
        return
    if not t.views:
        raise ConfigError(f"{src}: `target.views`: required with method 'black_litterman' (a YAML or CSV file "
                          "of analyst views, relative to the params/ directory)")
    if bl.delta <= 0 or bl.tau <= 0:
        raise ConfigError(f"{src}: `target.black_litterman`: delta and tau must be > 0")
    if bl.market_weights:
        extra = sorted(set(bl.market_weights) - set(profile.universe))
        if extra:
            raise ConfigError(f"{src}: `target.black_litterman.market_weights.{extra[0]}`: not in `universe`")
        if any(v < 0 for v in bl.market_weights.values()) or \
                abs(sum(bl.market_weights.values()) - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ConfigError(f"{src}: `target.black_litterman.market_weights`: must be >= 0 and sum to 1")
    from rebal.allocation.black_litterman import load_views

    path = views_path(profile)
    try:
        views = load_views(path)
    except ConfigError as exc:
        raise ConfigError(f"{src}: `target.views`: {exc}") from None
    if not views:
        raise ConfigError(f"{src}: `target.views`: {path} has no views")
    for v in views:
        for a in v.assets:
            if a not in profile.universe:
                raise ConfigError(f"{src}: `target.views`: view {v.label or '?'!r} in {path} names {a!r}, "
                                  "which is not in `universe`")


def views_path(profile: Profile) -> Path:
    """The views file of a black_litterman profile (relative paths: against the params/ directory)."""
    p = Path(profile.target.views).expanduser()
    if p.is_absolute():
        return p
    return Path(profile.source).resolve().parent.parent / p


def _check_proposal(profile: Profile, src: str) -> None:
    pr, lim = profile.proposal, profile.proposal.limits
    rules = [
        ("limits.max_total", 0 < lim.max_total <= 1, "in (0, 1]"),
        ("limits.max_cluster", 0 < lim.max_cluster <= 1, "in (0, 1]"),
        ("limits.max_single", 0 < lim.max_single <= 1, "in (0, 1]"),
        ("limits.min_allocation", 0 <= lim.min_allocation < 1, "in [0, 1)"),
        ("limits.high_corr", 0 < lim.high_corr < 1, "in (0, 1)"),
        ("limits.medium_corr", 0 < lim.medium_corr < lim.high_corr, "in (0, high_corr)"),
        ("correlation_days", pr.correlation_days >= 5, ">= 5"),
        ("performance_days", pr.performance_days >= 5, ">= 5"),
        ("performance_shift", 0 <= pr.performance_shift < 1, "in [0, 1)"),
        ("simulation_days", pr.simulation_days >= 20, ">= 20"),
        ("refit_every", 1 <= pr.refit_every <= pr.simulation_days, "in [1, simulation_days]"),
        ("improvement_threshold", pr.improvement_threshold > 0, "> 0"),
        ("marginal_threshold", pr.marginal_threshold >= 0, ">= 0"),
        ("sharpe_floor", pr.sharpe_floor > 0, "> 0"),
        ("correlation_alert", 0 < pr.correlation_alert <= 1, "in (0, 1]"),
        ("drift_alert", pr.drift_alert > 0, "> 0"),
        ("min_trade_value", pr.min_trade_value >= 0, ">= 0"),
        ("max_trades", pr.max_trades >= 1, ">= 1"),
        ("slippage_tolerance_bps", pr.slippage_tolerance_bps > 0, "> 0"),
    ]
    for key, ok, need in rules:
        if not ok:
            raise ConfigError(f"{src}: `proposal.{key}`: must be {need}, found {operator.attrgetter(key)(pr)}")


def _check_risk4(profile: Profile, src: str) -> None:
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
    rules = [
        ("every", r.every >= 1, ">= 1"), ("top_n", r.top_n >= 1, ">= 1"), ("min_adv", r.min_adv >= 0, ">= 0"),
        ("zclip", r.zclip > 0, "> 0"), ("max_position", 0 < r.max_position <= 1, "in (0, 1]"),
        ("sector_multiple", r.sector_multiple > 0, "> 0"), ("turnover_lambda", 0 <= r.turnover_lambda <= 1, "in [0, 1]"),
        ("max_turnover", 0 < r.max_turnover <= 1, "in (0, 1]"), ("target_vol", r.target_vol > 0, "> 0"),
        ("max_gross", 0 < r.max_gross <= 1, "in (0, 1] (no leverage)"), ("cov_lookback", r.cov_lookback >= 20, ">= 20"),
        ("initial_value", r.initial_value > 0, "> 0"),
    ]
    c = r.checks
    rules += [
        ("checks.max_stale_sessions", c.max_stale_sessions >= 0, ">= 0"), ("checks.min_names", c.min_names >= 1, ">= 1"),
        ("checks.min_sectors", c.min_sectors >= 1, ">= 1"), ("checks.max_sector_share", 0 < c.max_sector_share <= 1, "in (0, 1]"),
        ("checks.max_null_alpha", 0 <= c.max_null_alpha <= 1, "in [0, 1]"),
    ]
    for key, ok, need in rules:
        if not ok:
            value = operator.attrgetter(key)(r)
            raise ConfigError(f"{src}: `risk4.{key}`: must be {need}, found {value}")
    if r.top_n * r.max_position < 1.0 - 1e-12:
        raise ConfigError(f"{src}: `risk4.max_position`: {r.top_n} names x {r.max_position} < 1, "
                          "no fully invested portfolio can respect the cap; raise top_n or max_position")


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
        raise ConfigError(f"{path}: profile {name!r} not found")
    raw_bytes = path.read_bytes()
    src = str(path)
    try:
        raw = yaml.safe_load(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{src}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{src}: malformed YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: expected a mapping of keys at the top level, found {type(raw).__name__}")
    raw = dict(raw)
    declared = raw.pop("name", name)
    if declared != name:
        raise ConfigError(f"{src}: `name`: {declared!r} does not match the file name {name!r}")
    if "source" in raw or "sha256" in raw:
        key = "source" if "source" in raw else "sha256"
        raise ConfigError(f"{src}: unknown key `{key}` (set by the loader)")
    raw.update(name=name, source=src, sha256=hashlib.sha256(raw_bytes).hexdigest())
    profile = _build(Profile, raw, "", src)
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
