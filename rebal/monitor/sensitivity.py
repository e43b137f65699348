"""Market-sensitivity audit: beta, volatility and correlation of the held book, the target and the proposal.

Up to three portfolios ("books"), each labelled:

- ``held``: today's weights of the Last Implemented State (the latest holdings snapshot or accepted
  state, :func:`rebal.monitor.audit.last_implemented`) carried to the as-of date with prices: the
  book as it is;
- ``target``: the profile's target as of the date;
- ``proposed``: weights passed in (the rebalance proposal).

Each book's daily returns are those of its weights held constant over the last
``sensitivity.window_days`` sessions (cash earns zero): the market exposure of that book as it
stands today. Beta, its standard error, R² and the correlation come from OLS (statsmodels); a
rolling beta shows how stable the exposure has been. For a defensive profile every book whose
beta exceeds ``beta_limit`` is flagged ``AGGRESSIVE`` (its low variance may be little more than
low market exposure), and when a book's rolling beta ends above the limit the first date of that
run is given.

A fitted target (``min_variance``, ``max_sharpe``, ``hrp``...) is measured on returns it was
fitted on: its beta and volatility are in-sample where the fit window overlaps the regression
window, and the audit states the overlap. A ``risk4`` target is selected on features of the 252
daily returns up to its rebalance day, so the same holds; a proposal built from the target
inherits the target's overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.allocation.target import TargetWeights, compute_target
from rebal.analytics.drift import weights_from_holdings
from rebal.analytics.measures import annualise_vol
from rebal.analytics.returns import simple_returns
from rebal.analytics.risk import BetaResult, beta_ols, rolling_beta
from rebal.calendar import nyse_sessions
from rebal.config import Profile
from rebal.data.features import MIN_HISTORY
from rebal.data.lakehouse import CASH, Lakehouse
from rebal.errors import DataError
from rebal.monitor.audit import last_implemented

if TYPE_CHECKING:
    from rebal.monitor.state import StateStore

__all__ = ["BOOKS", "Book", "SensitivityAudit", "sensitivity_audit", "run_above_since", "interpretation",
           "sensitivity_summary"]

#: The books in the order reports show them.
BOOKS = ("held", "target", "proposed")


@dataclass(frozen=True)
class Book:
    """Beta and volatility of one book's weights held over the regression window.

    Attributes
    ----------
    label
        ``held``, ``target`` or ``proposed``.
    source
        Where the weights come from (one line).
    weights
        Fractions of portfolio value by ticker, ``CASH`` included.
    returns
        Daily simple returns (fractions) of the weights held constant over the window.
    beta
        OLS of ``returns`` on the benchmark's (alpha daily, beta unitless).
    vol
        Annualised volatility of ``returns`` (fraction a year).
    rolling
        Rolling beta over ``sensitivity.rolling_days`` sessions (unitless).
    aggressive
        Defensive profile and beta above ``sensitivity.beta_limit``.
    above_limit_since
        Defensive profile whose rolling beta ends above the limit: the first date of that run
        (None otherwise).
    in_sample_sessions, in_sample_basis
        How many of the regression's returns lie in the window the weights were fitted or selected
        on, and that window in words (0 and "" when not in-sample).
    """

    label: str
    source: str
    weights: pd.Series
    returns: pd.Series
    beta: BetaResult
    vol: float
    rolling: pd.Series
    aggressive: bool
    above_limit_since: date | None
    in_sample_sessions: int
    in_sample_basis: str

    @property
    def in_sample(self) -> bool:
        """Whether the beta is measured (partly) on returns the weights were fitted or selected on."""
        return self.in_sample_sessions > 0


@dataclass(frozen=True)
class SensitivityAudit:
    """Beta/correlation audit of one profile's books.

    Attributes
    ----------
    books
        The books measured, in :data:`BOOKS` order (``held`` is absent when nothing is held,
        ``proposed`` when no proposal was given).
    benchmark_returns, benchmark_vol
        Daily simple returns of the benchmark over the window, and their annualised volatility
        (fraction a year).
    flags
        Warnings: each AGGRESSIVE book, with since when its rolling beta is above the limit.
    notes
        Statements the reader needs: in-sample betas and their overlap, a rolling beta above the
        limit, a missing held book.
    """

    profile: Profile
    as_of: date
    books: tuple[Book, ...]
    benchmark_returns: pd.Series
    benchmark_vol: float
    flags: tuple[str, ...]
    notes: tuple[str, ...]

    def book(self, label: str) -> Book | None:
        """Return the book labelled ``label`` (None when it was not measured)."""
        return next((b for b in self.books if b.label == label), None)

    @property
    def held(self) -> Book | None:
        """The held book (None when there is no Last Implemented State)."""
        return self.book("held")

    @property
    def target(self) -> Book:
        """The target book (always measured)."""
        return self.book("target")  # type: ignore[return-value]

    @property
    def proposed(self) -> Book | None:
        """The proposed book (None when no proposal was given)."""
        return self.book("proposed")

    @property
    def main(self) -> Book:
        """The book as it is: the held book, or the target when nothing is held."""
        return self.held or self.target


def run_above_since(series: pd.Series, limit: float) -> date | None:
    """Return the first date of the run above ``limit`` that ``series`` ends in (None if it ends at or below).

    Parameters
    ----------
    series
        Values indexed by date, oldest first (e.g. a rolling beta).
    limit
        The level; "above" is strict.

    Returns
    -------
    The date of the first value of the final uninterrupted run of values > ``limit``; when the
    whole series is above, its first date (the run may have begun earlier).
    """
    s = series.dropna()
    above = (s > limit).to_numpy()
    if len(s) == 0 or not above[-1]:
        return None
    below = np.flatnonzero(~above)
    start = int(below[-1]) + 1 if len(below) else 0
    return pd.Timestamp(s.index[start]).date()


def _held_weights(profile: Profile, lh: Lakehouse, as_of: date,
                  states: StateStore | None) -> tuple[pd.Series | None, str]:
    """Today's weights of the Last Implemented State carried to ``as_of`` with prices, and their source."""
    view = lh.at(as_of)
    has_state = states is not None and states.current(profile.name, as_of) is not None
    if not view.holdings_dates(profile.name) and not has_state:
        return None, ""
    lis = last_implemented(profile, view, as_of, states)
    units = lis.units[lis.units != 0]
    px = view.prices(list(units.index), start=lis.as_of).ffill().iloc[-1]
    w = weights_from_holdings(units, px, lis.cash)
    return w[w.abs() > 1e-12], f"{lis.detail}, valued at the closes of {as_of}"


def _fit_window(target: TargetWeights) -> tuple[pd.Timestamp, pd.Timestamp, str] | None:
    """First and last return date the target's weights were fitted or selected on, and the basis in words."""
    if target.n_observations > 0 and target.window_start is not None:
        return (pd.Timestamp(target.window_start), pd.Timestamp(target.fitted_on),
                f"the {target.method} target was fitted on the {target.n_observations} daily returns "
                f"{target.window_start} .. {target.fitted_on}")
    if target.method == "risk4":
        s = nyse_sessions()
        s = s[s <= pd.Timestamp(target.fitted_on)]
        n = MIN_HISTORY - 1
        start = s[-n] if len(s) >= n else s[0]
        return (start, pd.Timestamp(target.fitted_on),
                f"the risk4 target was selected on features (12-1 momentum, 252-day volatility) of the {n} daily "
                f"returns {start.date()} .. {target.fitted_on}")
    return None


def _book(label: str, source: str, weights: pd.Series, rets: pd.DataFrame, bench: pd.Series, profile: Profile,
          fit: tuple[pd.Timestamp, pd.Timestamp, str] | None) -> Book:
    spec = profile.sensitivity
    invested = weights.drop(CASH, errors="ignore")
    port = (rets[list(invested.index)] * invested).sum(axis=1).rename(f"{profile.name} ({label})")
    res = beta_ols(port, bench)
    roll = rolling_beta(port, bench, spec.rolling_days)
    since = run_above_since(roll, spec.beta_limit) if spec.defensive else None
    k = int(((port.index >= fit[0]) & (port.index <= fit[1])).sum()) if fit is not None else 0
    return Book(label=label, source=source, weights=weights, returns=port, beta=res,
                vol=float(annualise_vol(port.std(ddof=1))), rolling=roll,
                aggressive=bool(spec.defensive and res.beta > spec.beta_limit), above_limit_since=since,
                in_sample_sessions=k, in_sample_basis=fit[2] if k else "")


def sensitivity_audit(profile: Profile, lh: Lakehouse, as_of: date | None = None, states: StateStore | None = None,
                      *, proposed: pd.Series | None = None, proposed_source: str = "the rebalance proposal"
                      ) -> SensitivityAudit:
    """Regress the held, target and proposed books' returns on the benchmark's, up to ``as_of``.

    Parameters
    ----------
    profile, lh
        The profile and the lakehouse; only data dated on or before ``as_of`` is read.
    as_of
        The as-of date (default: the latest data).
    states
        Accepted states, for the Last Implemented State (the held book); the lakehouse holdings
        alone when None. Without either there is no held book (said in ``notes``).
    proposed
        Proposed weights (fractions of value by ticker, ``CASH`` included), e.g.
        :attr:`rebal.proposal.build.Proposal.proposed`; ``proposed_source`` says where they come from.

    Returns
    -------
    The :class:`SensitivityAudit`. Every book uses the last ``sensitivity.window_days`` daily
    simple returns; raises :class:`~rebal.errors.DataError` when the window is incomplete for a
    ticker of any book.
    """
    as_of = as_of or lh.latest_date()
    view = lh.at(as_of)
    spec = profile.sensitivity
    target = compute_target(profile, view, as_of)
    held, held_source = _held_weights(profile, lh, as_of, states)
    weights = {"held": held, "target": target.weights, "proposed": proposed}
    tickers = list(dict.fromkeys(t for w in weights.values() if w is not None for t in w.index if t != CASH))
    px = view.prices([*tickers, profile.benchmark], last=spec.window_days + 1)
    rets = simple_returns(px, fill="none").iloc[1:]
    if len(rets) < spec.window_days or rets.isna().any().any():
        bad = rets.columns[rets.isna().any()].tolist()
        raise DataError(f"{profile.source}: `sensitivity.window_days`: {spec.window_days} complete daily returns "
                        f"needed up to {as_of}" + (f"; missing for {bad[0]!r}" if bad else f", found {len(rets)}"))
    bench = rets[profile.benchmark].rename(profile.benchmark)
    fit = _fit_window(target)
    sources = {"held": held_source, "target": f"{target.method} target as of {as_of}",
               "proposed": proposed_source}
    books = tuple(_book(label, sources[label], weights[label], rets, bench, profile,
                        fit if label != "held" else None)
                  for label in BOOKS if weights[label] is not None)
    flags, notes = [], []
    if held is None:
        notes.append("no holdings and no accepted state: the held book is unknown, the target stands in")
    for b in books:
        run = (f"; its rolling {spec.rolling_days}-session beta has been above the limit since "
               f"{b.above_limit_since}" if b.above_limit_since else "")
        if b.aggressive:
            flags.append(f"⚠️ AGGRESSIVE ({b.label}): defensive profile with beta {b.beta.beta:.2f} > limit "
                         f"{spec.beta_limit:.2f}{run}")
        elif b.above_limit_since:
            notes.append(f"{b.label}: beta {b.beta.beta:.2f} is within the limit {spec.beta_limit:.2f} over the "
                         f"window, but its rolling {spec.rolling_days}-session beta ({b.rolling.iloc[-1]:.2f}) has "
                         f"been above it since {b.above_limit_since}")
        if b.in_sample:
            n = b.beta.n_obs
            notes.append(f"{b.label} beta is in-sample: {b.in_sample_basis}"
                         + (" (the proposal is built from that target)" if b.label == "proposed" else "")
                         + f"; they include {b.in_sample_sessions} of the {n} regression sessions "
                         f"({b.in_sample_sessions / n:.1%}): it describes the fit, not an out-of-sample exposure")
    return SensitivityAudit(profile=profile, as_of=as_of, books=books, benchmark_returns=bench,
                            benchmark_vol=float(annualise_vol(bench.std(ddof=1))), flags=tuple(flags),
                            notes=tuple(notes))


def sensitivity_summary(a: SensitivityAudit) -> dict[str, Any]:
    """Plain-type summary of an audit (scraps, JSON): the main book's figures and each book's beta and vol.

    ``beta``, ``beta_se``, ``correlation``, ``r_squared``, ``n_obs``, ``portfolio_vol`` and
    ``rolling_beta_last`` are those of :attr:`SensitivityAudit.main` (``beta_basis`` says which
    book); ``beta_<book>``, ``vol_<book>`` (fraction a year) and ``aggressive_<book>`` are given for
    every book of :data:`BOOKS` (NaN / None when it was not measured).
    """
    m = a.main
    out: dict[str, Any] = {
        "profile": a.profile.name, "as_of": str(a.as_of), "benchmark": a.profile.benchmark, "beta_basis": m.label,
        "beta": m.beta.beta, "beta_se": m.beta.beta_se, "correlation": m.beta.correlation,
        "r_squared": m.beta.r_squared, "n_obs": m.beta.n_obs, "portfolio_vol": m.vol, "benchmark_vol": a.benchmark_vol,
        "rolling_beta_last": float(m.rolling.iloc[-1]) if len(m.rolling) else float("nan"),
        "defensive": a.profile.sensitivity.defensive, "beta_limit": a.profile.sensitivity.beta_limit,
        "aggressive": any(b.aggressive for b in a.books), "flags": list(a.flags), "notes": list(a.notes),
    }
    for label in BOOKS:
        b = a.book(label)
        out[f"beta_{label}"] = b.beta.beta if b else float("nan")
        out[f"vol_{label}"] = b.vol if b else float("nan")
        out[f"aggressive_{label}"] = b.aggressive if b else None
        out[f"above_limit_since_{label}"] = str(b.above_limit_since) if b and b.above_limit_since else ""
    t = a.target
    out["beta_target_in_sample"] = t.in_sample
    out["target_in_sample_sessions"] = t.in_sample_sessions
    return out


def interpretation(a: SensitivityAudit, label: str | None = None) -> str:
    """Plain-language reading of one book (default: the main book): how much of its risk is market exposure.

    Portfolio variance splits into market beta² σ_b² (share R²) and residual (1 - R²). A book
    with low volatility and low beta but high R² is mostly a scaled-down market bet.
    """
    bk = a.book(label) if label else a.main
    if bk is None:
        raise ValueError(f"no {label!r} book in this audit; measured: {', '.join(b.label for b in a.books)}")
    b, r2 = bk.beta.beta, bk.beta.r_squared
    market_vol = abs(b) * a.benchmark_vol
    resid_vol = bk.vol * np.sqrt(max(1 - r2, 0.0))
    ratio = bk.vol / a.benchmark_vol if a.benchmark_vol else float("nan")
    text = (f"The {bk.label} book: over {bk.beta.n_obs} sessions to {bk.beta.end}, its volatility was {bk.vol:.1%} "
            f"against {a.benchmark_vol:.1%} for {a.profile.benchmark} ({ratio:.2f}x). Beta {b:.2f} "
            f"(± {1.96 * bk.beta.beta_se:.2f} at 95 %) and R² {r2:.2f}: market exposure accounts for "
            f"{market_vol:.1%} of volatility and {r2:.0%} of variance; the rest ({resid_vol:.1%}) is specific. ")
    if ratio < 0.9 and r2 >= 0.7:
        text += ("Its lower variance is mostly lower market exposure: a scaled-down market bet rather than "
                 "diversification.")
    elif ratio < 0.9:
        text += ("Its lower variance is not just lower beta: a large specific component diversifies away from "
                 "the market.")
    else:
        text += "Its variance is not lower than the market's."
    return text
