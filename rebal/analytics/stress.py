"""Historical stress: replay past episodes on today's weights, with a labelled beta proxy where prices are missing.

An **episode** is a window of real history (e.g. 2020-02-19 .. 2020-03-23). Replaying it on a
set of weights means holding those weights, bought at the close of the episode's first session,
through the episode without trading (cash earns nothing), and reading the path of the value:

- **peak-to-trough loss**: the largest fall of the value from a running peak within the window,
  :func:`rebal.analytics.measures.max_drawdown` (a negative fraction);
- **episode return**: value at the last session / value at the first − 1;
- **worst day**: the lowest one-session return of the value, and its date.

An asset that did not trade over the whole episode (no close on some session of the benchmark
in the window, e.g. an ETF launched later) is replaced by a **beta proxy**, never by a silent
zero: its growth is 1 + β_i (B_t / B_0 − 1), with B the benchmark's closes and β_i the asset's
beta to the benchmark estimated by the caller on data before the as-of date (no look-ahead).
Each result lists the proxied assets, their betas and their share of the weights.

An episode is **covered** when the benchmark has closes from its start (the last session on or
before the start date) to its end, and the end is on or before the as-of date.

An episode's ``kind`` says how its window was chosen: ``peak_to_trough`` (the default) runs from the
index's closing peak to its closing trough, so the index's own loss over the window is its
first-to-last return; ``event`` starts at an event (e.g. the last close before a bankruptcy) and
need not start at a peak.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from rebal.analytics.measures import max_drawdown
from rebal.analytics.returns import simple_returns

__all__ = ["EPISODE_KINDS", "Episode", "EpisodePath", "EpisodeResult", "episode_sessions", "episode_growth", "replay",
           "replay_episode"]


#: how an episode's window was chosen (see the module docstring)
EpisodeKind = Literal["peak_to_trough", "event"]
EPISODE_KINDS = ("peak_to_trough", "event")


@dataclass(frozen=True)
class Episode:
    """A named window of history to replay (dates inclusive; ``note`` says why it matters)."""

    name: str
    start: date
    end: date
    note: str = ""
    kind: EpisodeKind = "peak_to_trough"

    @property
    def definition(self) -> str:
        """The window in words: how it was chosen and its dates (the note, when there is one, after)."""
        if self.kind == "peak_to_trough":
            text = f"index peak {self.start} to trough {self.end}"
        else:
            text = f"event window {self.start} to {self.end}"
        return f"{text}: {self.note}" if self.note else text


@dataclass(frozen=True)
class EpisodePath:
    """Growth of each asset over a covered episode (sessions x assets, 1.0 on the first session)."""

    growth: pd.DataFrame
    #: proxied asset -> (its beta, why it was proxied)
    proxied: dict[str, tuple[float, str]]


@dataclass(frozen=True)
class EpisodeResult:
    """One episode replayed on one set of weights (returns are fractions; losses negative)."""

    episode: Episode
    covered: bool
    reason: str = ""
    first: date | None = None
    last: date | None = None
    sessions: int = 0
    peak_to_trough: float = float("nan")
    episode_return: float = float("nan")
    worst_day: float = float("nan")
    worst_day_date: date | None = None
    #: proxied asset held -> its beta
    proxied: dict[str, float] | None = None
    proxied_weight: float = 0.0
    path: pd.Series | None = None


def episode_sessions(benchmark: pd.Series, episode: Episode, as_of: date) -> tuple[pd.DatetimeIndex | None, str]:
    """Sessions of ``episode`` in the benchmark's closes, or ``(None, reason)`` when it is not covered.

    The window runs from the last benchmark session on or before ``episode.start`` to the last on
    or before ``episode.end``.
    """
    b = benchmark.dropna()
    if episode.end > as_of:
        return None, f"ends {episode.end}, after the as-of date {as_of}"
    if b.empty or b.index[0] > pd.Timestamp(episode.start):
        first = b.index[0].date() if len(b) else None
        return None, f"the benchmark's data start {first}, after the episode's start {episode.start}"
    start = b.index[b.index <= pd.Timestamp(episode.start)][-1]
    end = b.index[b.index <= pd.Timestamp(episode.end)][-1]
    days = b.index[(b.index >= start) & (b.index <= end)]
    if len(days) < 2:
        return None, "fewer than two sessions"
    return days, ""


def episode_growth(closes: pd.DataFrame, benchmark: str, assets: list[str], betas: pd.Series,
                   days: pd.DatetimeIndex) -> EpisodePath:
    """Growth of each of ``assets`` over ``days`` from actual closes, or the beta proxy.

    Parameters
    ----------
    closes
        Closes (dates x tickers) including ``benchmark``; may lack some assets entirely.
    benchmark
        The benchmark's column.
    assets
        Risky assets to value (cash excluded).
    betas
        Beta of each asset to the benchmark (used only for proxied assets; must be finite there).
    days
        The episode's sessions (:func:`episode_sessions`).
    """
    b = closes[benchmark].reindex(days)
    bench_growth = (b / b.iloc[0]).to_numpy(float)
    out, proxied = {}, {}
    for a in assets:
        px = closes[a].reindex(days) if a in closes.columns else pd.Series(np.nan, index=days)
        if px.notna().all():
            out[a] = (px / px.iloc[0]).to_numpy(float)
            continue
        beta = float(betas.get(a, np.nan))
        if not np.isfinite(beta):
            raise ValueError(f"`betas`: {a!r} needs a beta proxy over {days[0].date()} .. {days[-1].date()} "
                             "but has no finite beta")
        have = closes[a].dropna() if a in closes.columns else pd.Series(dtype=float)
        if have.empty:
            why = "no prices"
        elif have.index[0] > days[0]:
            why = f"no prices before {have.index[0].date()}"
        else:
            why = "missing closes in the window"
        out[a] = 1.0 + beta * (bench_growth - 1.0)
        proxied[a] = (beta, why)
    return EpisodePath(pd.DataFrame(out, index=days, columns=assets), proxied)


def replay(growth: pd.DataFrame, weights: pd.Series, *, cash: str = "CASH") -> pd.Series:
    """Value path (1.0 on the first session) of ``weights`` held without trading: cash + Σ_i w_i g_i,t.

    ``weights`` are fractions of the starting value; ``cash`` (and any label not in ``growth``
    that is cash) keeps its value. Every risky weight must have a growth column.
    """
    risky = weights.drop(cash, errors="ignore")
    risky = risky[risky != 0]
    missing = [a for a in risky.index if a not in growth.columns]
    if missing:
        raise ValueError(f"`growth`: no path for {missing[0]!r}")
    w_cash = float(weights.get(cash, 0.0))
    value = w_cash + growth[list(risky.index)].to_numpy(float) @ risky.to_numpy(float)
    return pd.Series(value, index=growth.index, name="value")


def replay_episode(episode: Episode, closes: pd.DataFrame, weights: pd.Series, betas: pd.Series, *,
                   benchmark: str, as_of: date, cash: str = "CASH") -> EpisodeResult:
    """Replay ``episode`` on ``weights`` (see the module docstring).

    Parameters
    ----------
    episode
        The window.
    closes
        Closes (dates x tickers) of every risky asset of ``weights`` that has prices, and of the
        benchmark, on or before ``as_of``.
    weights
        Fractions of value by ticker (``cash`` included or not); they should sum to one.
    betas
        Betas to the benchmark estimated before ``as_of`` (for proxies).
    benchmark
        The benchmark's column in ``closes``.
    as_of
        Episodes ending after it are not covered.
    cash
        Label of cash.
    """
    days, reason = episode_sessions(closes[benchmark], episode, as_of)
    if days is None:
        return EpisodeResult(episode, False, reason)
    risky = [a for a in weights.index if a != cash and weights[a] != 0]
    ep = episode_growth(closes, benchmark, risky, betas, days)
    path = replay(ep.growth, weights, cash=cash)
    daily = simple_returns(path, fill="none").iloc[1:]
    worst = daily.idxmin() if len(daily) else None
    held_proxies = {a: beta for a, (beta, _) in ep.proxied.items()}
    return EpisodeResult(
        episode, True, "; ".join(f"{a}: {why}" for a, (_, why) in ep.proxied.items()),
        first=days[0].date(), last=days[-1].date(), sessions=len(days),
        peak_to_trough=float(max_drawdown(path)), episode_return=float(path.iloc[-1] / path.iloc[0] - 1.0),
        worst_day=float(daily.min()) if len(daily) else float("nan"),
        worst_day_date=worst.date() if worst is not None else None,
        proxied=held_proxies, proxied_weight=float(weights.reindex(list(held_proxies)).sum()), path=path)
