"""The ``proposal`` and ``tax`` sections of a profile: mode, circuit-breaker limits, simulation, trade list, tax."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from rebal.config.loader import BPS, COUNT, FRACTION, SESSIONS, USD, In, check_ranges
from rebal.config.yamlfile import read_yaml
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["ModeName", "MODE_NAMES", "Limits", "RecommendationSpec", "ProposalSpec", "check_proposal",
           "check_target_limits", "TaxSpec", "TaxAwareSpec", "CarriedLosses", "check_tax"]

ModeName = Literal["proportional", "correlation_aware", "performance_weighted", "risk_adjusted"]
#: Rebalance modes of ``rebal propose`` (see :mod:`rebal.proposal.modes`).
MODE_NAMES: tuple[str, ...] = typing.get_args(ModeName)
#: unit of correlation thresholds
CORRELATION = "correlation"


@dataclass(frozen=True)
class Limits:
    """Circuit breakers: hard limits as fractions of portfolio value, and the correlation thresholds.

    Pairs correlated above ``high_corr`` are linked into clusters; ``medium_corr`` is only reported.
    ``max_trades`` counts trades and ``slippage_tolerance_bps`` is in bps. Defaults are the
    rebalance-modes spec's, except ``max_total``: the spec's 60 % deployed belongs to its sleeves
    example (a book that keeps 40 % cash); as a default it would cut every fully invested profile to
    60 % by a limit the profile never stated, so the default here is 1.0 (no cap on what is
    deployed). A profile that keeps cash states its own.
    """

    max_total: Annotated[float, In("(0, 1]", FRACTION)] = 1.0
    max_cluster: Annotated[float, In("(0, 1]", FRACTION)] = 0.30
    max_single: Annotated[float, In("(0, 1]", FRACTION)] = 0.40
    min_allocation: Annotated[float, In("[0, 1)", FRACTION)] = 0.01
    high_corr: Annotated[float, In("(0, 1)", CORRELATION)] = 0.70
    medium_corr: Annotated[float, In("(0, 1)", CORRELATION)] = 0.40


@dataclass(frozen=True)
class RecommendationSpec:
    """How the recommendation on a changed target is graded: adopt, adopt part-way or keep the current book.

    Target stability (:mod:`rebal.proposal.stability`): the target is **unstable** when its mean
    weekly turnover over the last ``stability_weeks`` weeks (each week's target fitted as of that
    week) is above ``max_weekly_turnover``, or when targets refitted on ``bootstrap_samples``
    stationary-bootstrap resamples of its returns (mean block ``bootstrap_block_days`` sessions,
    ``seed``) differ from it by more than ``max_bootstrap_turnover`` on average (½ Σ|w_b − w|).
    Defaults: 5 % a week (a quarter of the book in five weeks) and 25 %. An unstable target gets no
    plain "adopt": at most part of the way, by the share of its tracking error that is signal rather
    than sampling noise, or ``partway_fraction`` when no bootstrap can say (fixed and Risk4 targets).

    Evidence (:mod:`rebal.decision.recommend`): a plain "adopt" also needs the optimal trade to
    remove at least ``adopt_share`` of the tracking-error variance to the new target; a worst
    stress episode deeper by more than ``stress_tolerance`` (fraction of value) or a 1-day 99 %
    VaR higher by more than ``var_tolerance`` (relative) argues against the new target.
    """

    max_weekly_turnover: Annotated[float, In("(0, 1]", FRACTION)] = 0.05
    max_bootstrap_turnover: Annotated[float, In("(0, 1]", FRACTION)] = 0.25
    stability_weeks: Annotated[int, In("[2, 104]", COUNT)] = 12
    bootstrap_samples: Annotated[int, In("[0, 10000]", COUNT)] = 50
    bootstrap_block_days: Annotated[int, In("[1, 252]", SESSIONS)] = 21
    seed: Annotated[int, In("[0, 4294967295]", COUNT)] = 20221228
    partway_fraction: Annotated[float, In("(0, 1]", FRACTION)] = 0.5
    adopt_share: Annotated[float, In("(0, 1]", FRACTION)] = 0.9
    stress_tolerance: Annotated[float, In("[0, 1]", FRACTION)] = 0.005
    var_tolerance: Annotated[float, In("[0, 10]", FRACTION)] = 0.10


@dataclass(frozen=True)
class ProposalSpec:
    """``rebal propose``: mode, circuit breakers, impact simulation, simulation verdict and trade list.

    The mode (overridable with ``--mode``) starts from the profile's target and is followed by
    the circuit breakers (``limits``). Correlations use ``correlation_days`` sessions; the
    performance-weighted mode moves ``performance_shift`` from the lowest to the highest
    ``performance_days`` Sharpe ratio. The impact simulation replays ``simulation_days`` sessions
    in-sample and walk-forward (refit every ``refit_every`` sessions, out of sample) against the
    book as held. The simulation verdict is IMPROVES when the out-of-sample Sharpe difference
    exceeds ``noise_z`` standard errors (Jobson-Korkie-Memmel), WORSENS symmetrically, WITHIN NOISE
    otherwise; ALERTS for a correlation above ``correlation_alert`` or drift above ``drift_alert``. Trades below
    ``min_trade_value``
    dollars are skipped (exits never are), at most ``max_trades`` trades; paper fills whose
    modelled slippage exceeds ``slippage_tolerance_bps`` are rejected (and with them the whole batch).
    ``recommendation`` grades a changed target (:class:`RecommendationSpec`).
    """

    mode: ModeName = "correlation_aware"
    limits: Limits = field(default_factory=Limits)
    correlation_days: Annotated[int, In("[5, 5000]", SESSIONS)] = 30
    performance_days: Annotated[int, In("[5, 5000]", SESSIONS)] = 30
    performance_shift: Annotated[float, In("[0, 1)", FRACTION)] = 0.05
    simulation_days: Annotated[int, In("[20, 5000]", SESSIONS)] = 126
    refit_every: Annotated[int, In("[1, 5000]", SESSIONS)] = 21
    noise_z: Annotated[float, In("(0, 5]", "standard errors of the Sharpe difference")] = 1.96
    correlation_alert: Annotated[float, In("(0, 1]", CORRELATION)] = 0.95
    drift_alert: Annotated[float, In("(0, 1]", FRACTION)] = 0.15
    min_trade_value: Annotated[float, In("[0, 1e12]", USD)] = 1_000.0
    max_trades: Annotated[int, In("[1, 100000]", COUNT)] = 10
    slippage_tolerance_bps: Annotated[float, In("(0, 10000]", BPS)] = 50.0
    recommendation: RecommendationSpec = field(default_factory=RecommendationSpec)


def check_proposal(profile: Profile, src: str) -> None:
    """Check the ``proposal`` section of ``profile`` (read from ``src``), then the target against its limits.

    Raises :class:`ConfigError` naming the field, the value and the rule; when the file has a
    ``proposal`` section and the target cannot meet its own hard limits (decidable from the file),
    naming both fields and the numbers. A profile without the section is not refused for limits
    nobody chose (the spec's defaults: ``max_total`` 60 %, made for sleeves with cash); ``rebal
    propose`` on it still flags the conflict (``Proposal.target_conflicts``).
    """
    pr, lim = profile.proposal, profile.proposal.limits
    rules = [  # each field's own range is in its annotation (checked at load); these relate two fields
        ("limits.medium_corr", lim.medium_corr < lim.high_corr, "in (0, high_corr)"),
        ("refit_every", pr.refit_every <= pr.simulation_days, "in [1, simulation_days]"),
    ]
    check_ranges(src, "proposal", pr, rules)
    if _declares_proposal(src):
        check_target_limits(profile, src)


def _declares_proposal(src: str) -> bool:
    """Whether the profile file ``src`` has a ``proposal`` section (its limits were chosen, not defaulted)."""
    try:
        raw = read_yaml(Path(src))
    except ConfigError:
        return False
    return isinstance(raw, dict) and "proposal" in raw


def check_target_limits(profile: Profile, src: str) -> None:
    """Refuse a target that breaks the profile's own hard limits whatever the data (a configuration conflict).

    Decidable from the file: the deployed share 1 - ``target.cash`` against ``limits.max_total``
    (every method whose invested weights sum to 1 - cash, i.e. all but ``risk4``), a fixed
    ``target.weights`` entry against ``limits.max_single``, and a fitted method's
    ``target.min_weight`` (every asset at least that share of the invested 1 - cash) against
    ``limits.max_single``, and :func:`rebal.proposal.coherence.limit_conflicts` (a minimum allocation above
    a maximum; ``max_single`` x the universe below the deployed share). Cluster limits depend on
    correlations: the proposal flags those (``Proposal.target_conflicts``).
    """
    t, lim = profile.target, profile.proposal.limits
    tol = 1e-9
    deployed = 1.0 - t.cash
    if t.method != "risk4" and deployed > lim.max_total + tol:
        raise ConfigError(f"{src}: `target.cash` {t.cash:g} leaves {deployed:.1%} deployed, above "
                          f"`proposal.limits.max_total` {lim.max_total:g}: the target breaks its own hard limit")
    if t.method == "fixed":
        for k, w in t.weights.items():
            if w > lim.max_single + tol:
                raise ConfigError(f"{src}: `target.weights.{k}` {w:g} is above `proposal.limits.max_single` "
                                  f"{lim.max_single:g}: the target breaks its own hard limit")
    elif t.min_weight * deployed > lim.max_single + tol:
        floor = t.min_weight * deployed
        raise ConfigError(f"{src}: `target.min_weight` {t.min_weight:g} puts every asset at {floor:.1%} or more, above "
                          f"`proposal.limits.max_single` {lim.max_single:g}: the target breaks its own hard limit")
    from rebal.proposal.coherence import limit_conflicts  # the other conflicts the file decides

    for conflict in limit_conflicts(profile):
        raise ConfigError(f"{src}: {conflict}")


AccountType = Literal["taxable", "tax_exempt"]
LotMethod = Literal["fifo", "hifo", "min_tax"]


@dataclass(frozen=True)
class CarriedLosses:
    """Capital losses carried into the current tax year from earlier years, by class (USD, >= 0)."""

    short_term: Annotated[float, In("[0, 1e15]", USD)] = 0.0
    long_term: Annotated[float, In("[0, 1e15]", USD)] = 0.0


@dataclass(frozen=True)
class TaxAwareSpec:
    """The tax-aware mode of ``rebal propose`` (``--tax-aware`` turns it on for one run).

    Lots are relieved in min-tax order; a sale that would realise a short-term gain stops short
    of its proposed weight by at most ``max_shortfall`` (a fraction of portfolio value), funded
    first by selling more of names whose next lots are at a loss, then by smaller buys, while the
    drift left against the target stays within ``max_drift_left`` (None: half the profile's
    ``drift.rebalance``) and every hard limit holds. A held name whose lots are down at least
    ``harvest_trigger`` (a fraction of their basis), by at least ``harvest_min_loss`` dollars, is
    sold and replaced by its ``tax.substitutes`` entry, unless the wash-sale rule would disallow
    the loss.
    """

    enabled: bool = False
    max_shortfall: Annotated[float, In("[0, 1)", FRACTION)] = 0.02
    max_drift_left: Annotated[float, In("[0, 1]", FRACTION)] | None = None
    harvest_trigger: Annotated[float, In("(0, 1)", FRACTION)] = 0.10
    harvest_min_loss: Annotated[float, In("[0, 1e15]", USD)] = 5_000.0


@dataclass(frozen=True)
class TaxSpec:
    """The ``tax`` section: the account's tax treatment, for the tax consequences of every proposal.

    ``account``: ``taxable`` (default) or ``tax_exempt`` (an IRA, a pension, an endowment: no tax is
    shown). Rates are fractions of a net gain, the profile's own (defaults: 37 % short-term, the top
    US federal rate on ordinary income, 20 % long-term, the top federal rate on long-term gains;
    no state tax, no 3.8 % net investment income tax): estimates, not advice. ``lot_method``:
    ``fifo`` (the default, the IRS's when shares are not identified), ``hifo`` or ``min_tax``.
    ``carried_losses``: losses carried into this year, when recorded (else the carry of the lot
    history the lakehouse holds). ``substitutes``: ticker -> the ticker a loss harvest buys
    instead (it must not be substantially identical); ``identical``: groups of substantially
    identical tickers (a name -> the tickers) for the wash-sale rule, a ticker alone being its
    own group. ``aware``: the tax-aware mode.
    """

    account: AccountType = "taxable"
    short_term_rate: Annotated[float, In("[0, 1)", FRACTION)] = 0.37
    long_term_rate: Annotated[float, In("[0, 1)", FRACTION)] = 0.20
    lot_method: LotMethod = "fifo"
    carried_losses: CarriedLosses | None = None
    substitutes: dict[str, str] = field(default_factory=dict)
    identical: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aware: TaxAwareSpec = field(default_factory=TaxAwareSpec)
    #: how the rates were chosen (shown beside every tax figure), e.g. "illustrative: top US federal rates"
    note: str = ""

    @property
    def exempt(self) -> bool:
        """Whether the account pays no tax on its trades."""
        return self.account == "tax_exempt"

    @property
    def short_term(self) -> float:
        """Short-term rate (the ``Rates`` protocol of :mod:`rebal.analytics.lots`)."""
        return self.short_term_rate

    @property
    def long_term(self) -> float:
        """Long-term rate."""
        return self.long_term_rate

    @property
    def groups(self) -> dict[str, str]:
        """Ticker -> its wash-sale group (the ``identical`` group's name; tickers not listed are their own)."""
        return {t: f"group:{name}" for name, members in self.identical.items() for t in members}


def check_tax(profile: Profile, src: str, known_tickers: set[str] | None = None) -> None:
    """Check the ``tax`` section: tickers known, substitutes not identical, one group per ticker."""
    tax = profile.tax
    where = {}
    for name, members in tax.identical.items():
        if len(members) < 2:
            raise ConfigError(f"{src}: `tax.identical.{name}`: a group needs at least two tickers, found "
                              f"{list(members)}")
        for t in members:
            if t in where:
                raise ConfigError(f"{src}: `tax.identical.{name}`: {t} is already in group {where[t]!r}")
            where[t] = name
    named = [(f"tax.identical.{g}", t) for g, m in tax.identical.items() for t in m]
    named += [(f"tax.substitutes.{k}", t) for k, v in tax.substitutes.items() for t in (k, v)]
    if known_tickers is not None:
        for key, t in named:
            if t not in known_tickers:
                raise ConfigError(f"{src}: `{key}`: unknown ticker {t!r} (not in the lakehouse tickers table)")
    for k, v in tax.substitutes.items():
        if v not in profile.tickers:
            raise ConfigError(f"{src}: `tax.substitutes.{k}`: {v} is not in the profile's universe (a harvest holds "
                              "it: the proposal prices, costs and simulates the universe)")
        if v == k or (k in where and where.get(v) == where[k]):
            raise ConfigError(f"{src}: `tax.substitutes.{k}`: {v} is substantially identical to {k} "
                              "(the same ticker or its `tax.identical` group): buying it would make the loss "
                              "sale a wash sale")
    if tax.exempt and tax.aware.enabled:
        raise ConfigError(f"{src}: `tax.aware.enabled`: a tax_exempt account pays no tax on its trades: "
                          "the tax-aware mode has nothing to do")
