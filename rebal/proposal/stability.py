"""How stable a profile's target is, measured point in time: a forecast, or the noise of an optimiser.

Three measures, each from data dated on or before the as-of date (:class:`Stability`):

- **weekly turnover of the target**: the target fitted as of each of the last
  ``proposal.recommendation.stability_weeks`` weeks (every 5 NYSE sessions back from the as-of date),
  and the turnover ½ Σ|t_k − t_{k−1}| from each week to the next;
- **weights on a bound**: the names at the method's ``target.max_weight`` (or at a positive
  ``min_weight``), and the share of the book they hold: a corner solution moves whole blocks of the
  book when an estimate crosses another;
- **sampling uncertainty**: the target refitted on ``bootstrap_samples`` stationary-bootstrap
  resamples (Politis and Romano 1994; ``arch``'s :class:`~arch.bootstrap.StationaryBootstrap`, mean
  block ``bootstrap_block_days`` sessions, seeded) of the returns it was fitted on: each weight's
  standard deviation, the mean turnover ½ Σ|w_b − w| between a resampled target and the target, and
  the mean squared tracking error E[(w_b − w)ᵀ Σ (w_b − w)] (annualised, Ledoit-Wolf Σ of the same
  returns), the noise part of a move towards the target.

The target is **unstable** when the mean weekly turnover is above ``max_weekly_turnover`` or the
bootstrap turnover above ``max_bootstrap_turnover``. Targets not fitted on returns (``fixed``,
``risk4``) have no bootstrap; a ``fixed`` target never moves.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.allocation.registry import METHODS
from rebal.allocation.target import compute_target, refit
from rebal.analytics.measures import PERIODS_PER_YEAR
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import ledoit_wolf
from rebal.cache import memoize
from rebal.data.lakehouse import CASH
from rebal.errors import ConfigError, DataError

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.data.lakehouse import Lakehouse

__all__ = ["Stability", "target_stability", "weekly_dates", "BOUND_TOLERANCE"]

#: a weight within this of a bound sits on it (fraction of value)
BOUND_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Stability:
    """The target's stability as of a date (see the module docstring); fractions of value throughout.

    ``weekly`` holds (week end, turnover from the week before); ``weight_sd`` the bootstrap
    standard deviation of each weight (empty without a bootstrap); ``noise_te2`` the mean squared
    tracking error of a resampled target to the target (annual, fraction²; NaN without a bootstrap).
    """

    as_of: date
    weekly: tuple[tuple[str, float], ...]
    on_bounds: tuple[str, ...]
    on_bounds_weight: float
    bound: float | None
    samples: int
    bootstrap_turnover: float
    weight_sd: pd.Series
    noise_te2: float
    max_weekly_turnover: float
    max_bootstrap_turnover: float

    @property
    def mean_weekly_turnover(self) -> float:
        """Mean of the weekly turnovers (NaN when fewer than two weeks could be fitted)."""
        return float(np.mean([t for _, t in self.weekly])) if self.weekly else float("nan")

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the target is unstable, one line per measure above its threshold (empty when stable)."""
        out = []
        m = self.mean_weekly_turnover
        if math.isfinite(m) and m > self.max_weekly_turnover:
            out.append(f"it turned over {m:.1%} of the book a week over the last {len(self.weekly)} weeks "
                       f"(above {self.max_weekly_turnover:.0%})")
        b = self.bootstrap_turnover
        if math.isfinite(b) and b > self.max_bootstrap_turnover:
            out.append(f"refitted on resampled returns it moves {b:.0%} of the book (above "
                       f"{self.max_bootstrap_turnover:.0%}): much of it is sampling noise")
        return tuple(out)

    @property
    def short_reasons(self) -> tuple[str, ...]:
        """The measures above their thresholds in a few words each (``5.4% a week > 5%``)."""
        out = []
        m, b = self.mean_weekly_turnover, self.bootstrap_turnover
        if math.isfinite(m) and m > self.max_weekly_turnover:
            out.append(f"{m:.1%} a week > {self.max_weekly_turnover:.0%}")
        if math.isfinite(b) and b > self.max_bootstrap_turnover:
            out.append(f"bootstrap {b:.0%} > {self.max_bootstrap_turnover:.0%}")
        return tuple(out)

    @property
    def unstable(self) -> bool:
        """Whether any measure is above its threshold."""
        return bool(self.reasons)

    def words(self) -> str:
        """One line for the decision page: the label and the three measures."""
        parts = [f"weekly turnover {self.mean_weekly_turnover:.1%} (mean of {len(self.weekly)} weeks)"
                 if self.weekly else "no weekly history"]
        if self.on_bounds:
            parts.append(f"{len(self.on_bounds)} weight(s) on the {self.bound:.0%} bound ({self.on_bounds_weight:.0%} "
                         "of the book)" if self.bound is not None else f"{len(self.on_bounds)} weight(s) on a bound")
        if self.samples:
            top = self.weight_sd.sort_values(ascending=False).index[:2]
            sds = ", ".join(f"{a} ±{self.weight_sd[a]:.1%}" for a in top)
            parts.append(f"bootstrap turnover {self.bootstrap_turnover:.0%} ({self.samples} resamples; largest "
                         f"spreads {sds})")
        return ("UNSTABLE: " if self.unstable else "stable: ") + "; ".join(parts)

    def short(self) -> str:
        """Return a few words for a table cell: the label and the measures above their thresholds."""
        parts = [f"{self.mean_weekly_turnover:.1%} a week" if self.weekly else "no history"]
        if self.samples:
            parts.append(f"bootstrap {self.bootstrap_turnover:.0%}")
        if self.on_bounds:
            parts.append(f"{len(self.on_bounds)} on a bound")
        return ("UNSTABLE: " if self.unstable else "stable: ") + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """Plain types (NaN as None)."""
        def num(x: float) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None
        return {"as_of": str(self.as_of), "unstable": self.unstable, "reasons": list(self.reasons),
                "weekly": [{"date": d, "turnover": num(t)} for d, t in self.weekly],
                "mean_weekly_turnover": num(self.mean_weekly_turnover), "on_bounds": list(self.on_bounds),
                "on_bounds_weight": num(self.on_bounds_weight), "bound": num(self.bound) if self.bound else None,
                "bootstrap_samples": self.samples, "bootstrap_turnover": num(self.bootstrap_turnover),
                "weight_sd": {k: num(v) for k, v in self.weight_sd.items()}, "noise_te2": num(self.noise_te2),
                "thresholds": {"max_weekly_turnover": self.max_weekly_turnover,
                               "max_bootstrap_turnover": self.max_bootstrap_turnover},
                "words": self.words()}


def weekly_dates(lh: Lakehouse, as_of: date, weeks: int, every: int = 5) -> list[date]:
    """Return the as-of date and the ``weeks`` week ends before it (every ``every`` NYSE sessions), oldest first."""
    s = lh.at(as_of).sessions()
    picks = [s[-1 - k * every] for k in range(weeks + 1) if len(s) > k * every]
    return [d.date() for d in reversed(picks)]


def _invested(w: pd.Series) -> pd.Series:
    return w.drop(CASH, errors="ignore")


def _weekly(profile: Profile, lh: Lakehouse, as_of: date, weeks: int) -> tuple[tuple[str, float], ...]:
    targets = []
    for d in weekly_dates(lh, as_of, weeks):
        try:
            targets.append((d, compute_target(profile, lh, d).weights))
        except (DataError, ConfigError):  # too little data that week: no point
            continue
    out = []
    for (_, a), (d, b) in zip(targets, targets[1:], strict=False):
        idx = a.index.union(b.index)
        out.append((str(d), 0.5 * float((b.reindex(idx, fill_value=0.0) - a.reindex(idx, fill_value=0.0)).abs().sum())))
    return tuple(out)


def _bounds(profile: Profile, raw: pd.Series) -> tuple[tuple[str, ...], float, float | None]:
    t = profile.target
    if not METHODS[t.method].sector_caps:  # methods without weight bounds
        return (), 0.0, None
    hi = raw.index[raw >= t.max_weight - BOUND_TOLERANCE] if t.max_weight < 1 else raw.index[:0]
    lo = raw.index[(raw <= t.min_weight + BOUND_TOLERANCE)] if t.min_weight > 0 else raw.index[:0]
    names = tuple(dict.fromkeys([*hi, *lo]))
    return names, float(raw[list(names)].sum() * (1.0 - t.cash)), t.max_weight if len(hi) else t.min_weight


def _bootstrap(profile: Profile, lh: Lakehouse, as_of: date, raw: pd.Series) -> tuple[int, float, pd.Series, float]:
    spec, rs = profile.target, profile.proposal.recommendation
    method = METHODS[spec.method]
    if rs.bootstrap_samples == 0 or not method.fits_returns or method.build is None:
        return 0, float("nan"), pd.Series(dtype=float), float("nan")
    from arch.bootstrap import StationaryBootstrap

    view = lh.at(as_of)
    px = view.prices(list(profile.tickers)).iloc[-(spec.lookback_days + 1):]
    rets = simple_returns(px, fill="none").iloc[1:]
    cov_d, _ = ledoit_wolf(rets.to_numpy(float))
    cov = pd.DataFrame(cov_d * PERIODS_PER_YEAR, index=rets.columns, columns=rets.columns)
    base = raw.reindex(rets.columns).fillna(0.0)
    bs = StationaryBootstrap(rs.bootstrap_block_days, rets.to_numpy(float), seed=rs.seed)
    ws = []
    for (data,), _ in bs.bootstrap(rs.bootstrap_samples):
        try:
            ws.append(refit(profile, view, pd.DataFrame(data, index=rets.index, columns=rets.columns))
                      .reindex(rets.columns).fillna(0.0))
        except (DataError, ConfigError, ValueError):  # a resample the method cannot fit (e.g. a flat series)
            continue
    if not ws:
        return 0, float("nan"), pd.Series(dtype=float), float("nan")
    W = pd.DataFrame(ws)
    dev = (W - base) * (1.0 - spec.cash)
    turnover = float(0.5 * dev.abs().sum(axis=1).mean())
    te2 = float(np.mean([d @ cov.to_numpy() @ d for d in dev.to_numpy()]))
    return len(ws), turnover, (W.std(ddof=1) * (1.0 - spec.cash)).rename("sd"), te2


@memoize(16)
def target_stability(profile: Profile, lh: Lakehouse, as_of: date) -> Stability:
    """Measure the stability of ``profile``'s target as of ``as_of`` (see the module docstring). Read-only."""
    rs = profile.proposal.recommendation
    tw = compute_target(profile, lh, as_of)
    model = tw.model
    raw = getattr(model, "weights_", None)
    raw = raw if raw is not None else _invested(tw.weights) / max(1e-12, 1.0 - float(tw.weights.get(CASH, 0.0)))
    names, share, bound = _bounds(profile, raw)
    n, turnover, sd, te2 = _bootstrap(profile, lh, as_of, raw)
    return Stability(as_of, _weekly(profile, lh, as_of, rs.stability_weeks), names, share, bound, n, turnover, sd, te2,
                     rs.max_weekly_turnover, rs.max_bootstrap_turnover)
