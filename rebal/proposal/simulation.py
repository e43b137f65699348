"""Impact simulation of a rebalance: baseline (the book as held) vs projected (the proposal).

Paths are replayed over the last ``n`` sessions of daily returns as buy-and-hold portfolios
(weights drift with prices; ``CASH`` earns nothing). Per path: annualised Sharpe ratio (excess
over the risk-free rate), maximum drawdown, win rate (share of up days), total return and
annualised volatility.

Baseline
--------
The book as actually held on each date of the window (:mod:`rebal.proposal.held_book`): the
holdings snapshot in effect at each previous close, so the baseline knows on each date only
what was decided by then, as the walk-forward does. Only when no history covers the window
start are today's holdings replayed, labelled as possibly carrying hindsight.

In-sample vs out-of-sample
--------------------------
The in-sample projection holds today's proposal over the same window its inputs were
estimated on: it sees the future of every day it replays (look-ahead), so it flatters fitted
targets; it is shown, labelled, and never judged. The out-of-sample estimate walks forward
instead: starting from the book as held at the window start, at the window start and every
``refit_every`` sessions the proposal is rebuilt from data up to that day only (target fitted,
mode and circuit breakers applied) and held until the next refit, paying the trading cost of
each refit. Both are net of costs.

What the figure says
--------------------
:meth:`Simulation.figure` states what is compared with what: the profile's strategy rebuilt every
``refit_every`` sessions from data up to each refit (walk-forward, out of sample), starting from the
book as held at the window start, against the book as actually held; over a named window; net of
costs. It gives the Sharpe ratio of each side, their difference with its standard error and z
(:mod:`rebal.proposal.noise`; "not significant" when |z| is at most ``noise_z``), the differences in
volatility and in maximum drawdown, and the difference in P&L in dollars on today's book value. It
measures "refit on schedule vs leave the book alone", not the trades proposed today. The spec's
"improvement" (a Sharpe change divided by max(|baseline|, 0.5), printed as a percentage) is gone:
it was neither a relative Sharpe change nor a return. The rebalance-modes spec subtracts a cost in
percent of portfolio value from a relative Sharpe change, which mixes units; here the cost is charged
to the projected path instead (a one-off loss on the first day).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from rebal.analytics.measures import annualise_vol, max_drawdown, sharpe_ratio
from rebal.data.lakehouse import CASH
from rebal.proposal.noise import SharpeComparison

__all__ = ["path_returns", "path_metrics", "walk_forward", "Simulation", "SimulationFigure", "METRIC_LABELS"]

METRIC_LABELS = {"sharpe": "Sharpe ratio (annualised)", "max_drawdown": "Max drawdown",
                 "win_rate": "Win rate (up days)", "total_return": "Return over the window",
                 "volatility": "Volatility (annualised)"}


def path_returns(weights: pd.Series, returns: pd.DataFrame, *, cost: float = 0.0) -> pd.Series:
    """Compute the daily returns of ``weights`` bought at the start of ``returns`` and held.

    Parameters
    ----------
    weights
        Weights by ticker, fractions of value; ``CASH`` (or whatever the weights leave) earns 0.
    returns
        Daily simple returns (fractions), dates x tickers; a missing return counts as 0.
    cost
        One-off trading cost paid at the start, a fraction of value (0.003 = 30 bps).

    Returns
    -------
    Daily simple returns (fractions) of the buy-and-hold path, indexed like ``returns``, named
    ``return``; the cost lands in the first day's return.
    """
    w = weights.drop(CASH, errors="ignore")
    w = w[w != 0]
    missing = sorted(set(w.index) - set(returns.columns))
    if missing:
        raise ValueError(f"no returns for {missing[0]!r}")
    growth = (1.0 + returns[w.index].fillna(0.0)).cumprod()
    cash = 1.0 - float(w.sum())
    value = (growth * w).sum(axis=1) + cash
    value = value * (1.0 - cost)
    prev = pd.concat([pd.Series([1.0], index=[returns.index[0] - pd.Timedelta(days=1)]), value.iloc[:-1]])
    return pd.Series(value.to_numpy() / prev.to_numpy() - 1.0, index=returns.index, name="return")


def path_metrics(daily: pd.Series, risk_free_rate: float = 0.0) -> dict[str, float]:
    """Compute the metrics of a path of daily returns (formulas in :mod:`rebal.analytics.measures`).

    Parameters
    ----------
    daily
        Daily simple returns (fractions); NaN are dropped.
    risk_free_rate
        Annual risk-free rate (fraction a year).

    Returns
    -------
    ``sharpe`` (annualised, excess over ``risk_free_rate``), ``max_drawdown`` (a **negative** fraction,
    from the start value 1 on), ``win_rate`` (share of up days), ``total_return`` (fraction over the
    window, compounded) and ``volatility`` (annualised, fraction a year).
    """
    r = daily.dropna()
    sd = float(r.std(ddof=1))
    value = (1.0 + r).cumprod()
    return {"sharpe": sharpe_ratio(r, risk_free_rate=risk_free_rate),
            "max_drawdown": float(max_drawdown(np.r_[1.0, value.to_numpy()])), "win_rate": float((r > 0).mean()),
            "total_return": float(value.iloc[-1] - 1.0), "volatility": float(annualise_vol(sd))}


def _drifted(weights: pd.Series, growth: pd.Series) -> pd.Series:
    """Weights (incl. CASH) after the assets grew by ``growth`` (gross factors)."""
    w = weights.drop(CASH, errors="ignore")
    vals = w * growth.reindex(w.index).fillna(1.0)
    cash = 1.0 - float(w.sum())
    total = float(vals.sum()) + cash
    out = vals / total
    out[CASH] = cash / total
    return out


def walk_forward(start_weights: pd.Series, returns: pd.DataFrame, refit_dates: list[pd.Timestamp],
                 propose_at: Callable[[date], pd.Series], cost_rate: float) -> tuple[pd.Series, list[dict]]:
    """Compute the out-of-sample daily returns of a portfolio rebuilt at each refit date.

    At each refit date (a session whose close the proposal may use) the drifted portfolio is
    traded to ``propose_at(date)``, paying ``cost_rate`` per dollar traded (Σ|Δw| of value), and
    held until the next refit. ``start_weights`` is the portfolio before the first refit;
    ``returns`` should start after the first refit date. Returns the daily returns and one record
    per refit (date, value traded as a fraction of the portfolio, cost, positions).
    """
    idx = returns.index
    current = start_weights.copy()
    out, log = [], []
    for k, d in enumerate(refit_dates):
        new = propose_at(d.date())
        a, b = new.drop(CASH, errors="ignore"), current.drop(CASH, errors="ignore")
        assets = a.index.union(b.index)
        traded = float((a.reindex(assets, fill_value=0.0) - b.reindex(assets, fill_value=0.0)).abs().sum())
        cost = traded * cost_rate
        seg = returns[idx > d]
        if k + 1 < len(refit_dates):
            seg = seg[seg.index <= refit_dates[k + 1]]
        if len(seg):
            out.append(path_returns(new, seg, cost=cost))
            held = new.drop(CASH, errors="ignore").index
            current = _drifted(new, (1.0 + seg.reindex(columns=held).fillna(0.0)).prod())
        else:
            current = new
        log.append({"date": d.date(), "traded": traded, "cost": cost,
                    "positions": int((new.drop(CASH, errors="ignore") > 0).sum())})
    return (pd.concat(out) if out else pd.Series(dtype=float)), log


@dataclass(frozen=True)
class SimulationFigure:
    """The judged comparison of a simulation, in words a committee reads (see the module docstring).

    Sharpe ratios and the difference are annualised; ``vol_difference`` and ``drawdown_difference``
    are projected minus baseline (fractions; a drawdown is negative, so a positive difference is a
    shallower one); ``pnl_difference_usd`` is (return projected − return baseline) over the window
    times ``value`` (today's book value, dollars).
    """

    start: str
    end: str
    sessions: int
    compared: str
    sharpe_projected: float
    sharpe_baseline: float
    difference: float
    se: float
    z: float
    noise_z: float
    vol_difference: float
    drawdown_difference: float
    pnl_difference_usd: float
    value: float

    @property
    def significant(self) -> bool:
        """Whether |z| exceeds ``noise_z``."""
        return bool(np.isfinite(self.z) and abs(self.z) > self.noise_z)

    @property
    def window(self) -> str:
        """The window in words."""
        return f"{self.start} to {self.end} ({self.sessions} sessions)"

    def words(self) -> str:
        """One sentence: what is compared, the Sharpe ratios, the difference with its noise, vol, drawdown, P&L."""
        sig = ("significant" if self.significant else "not significant") + f" (|z| {'>' if self.significant else '≤'} "\
              f"{self.noise_z:g})"
        return (f"{self.compared}, {self.window}, net of costs: Sharpe {self.sharpe_projected:.2f} vs "
                f"{self.sharpe_baseline:.2f}, difference {self.difference:+.2f} ± {self.se:.2f} (z = {self.z:+.2f}): "
                f"{sig}; volatility {100 * self.vol_difference:+.1f} pts, max drawdown "
                f"{100 * self.drawdown_difference:+.1f} pts; P&L {_usd(self.pnl_difference_usd)} on today's "
                f"{_usd(self.value, sign=False)}")

    def short(self) -> str:
        """Return a few words for a table cell: the Sharpe difference, its SE and z, significant or not."""
        return (f"Sharpe {self.difference:+.2f} ± {self.se:.2f} (z {self.z:+.2f}): "
                + ("significant" if self.significant else "not significant"))

    def to_json(self) -> dict:
        """Plain types (NaN as None), with ``significant``, ``window`` and ``words``."""
        out = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in vars(self).items()}
        return {**out, "significant": self.significant, "window": self.window, "words": self.words()}


def _usd(x: float, *, sign: bool = True) -> str:
    a = abs(x)
    text = f"${a / 1e6:.2f}M" if a >= 1e6 else f"${a / 1e3:.1f}k" if a >= 1e3 else f"${a:,.0f}"
    return (("−" if x < 0 else "+") if sign else "") + text


@dataclass
class Simulation:
    """Baseline vs projected metrics, in-sample and out-of-sample, and their paths.

    The metric dicts hold :func:`path_metrics` (annualised Sharpe and volatility, drawdown and returns
    as fractions); ``n_days`` counts sessions; ``value`` is today's book value (dollars) the P&L
    difference is scaled to, ``refit_every`` the sessions between walk-forward refits.
    ``baseline_source`` says which baseline was used (:mod:`rebal.proposal.held_book`); the
    comparisons carry the Sharpe difference and its standard error (:mod:`rebal.proposal.noise`).
    """

    start: date
    end: date
    n_days: int
    cost: float  # one-off cost of the proposed trades, fraction of value
    baseline: dict[str, float]
    in_sample: dict[str, float]
    out_of_sample: dict[str, float] | None
    paths: pd.DataFrame  # cumulative value of each path (1 at the start)
    refits: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    baseline_source: str = "today's holdings replayed"
    baseline_hindsight: bool = True
    comparison_in_sample: SharpeComparison | None = None
    comparison_out_of_sample: SharpeComparison | None = None
    refit_every: int = 21
    value: float = float("nan")

    def figure(self, noise_z: float = 1.96) -> SimulationFigure | None:
        """Return the judged (out-of-sample) comparison as a :class:`SimulationFigure`; None without one."""
        c, o = self.comparison_out_of_sample, self.out_of_sample
        if c is None or o is None:
            return None
        what = (f"the strategy rebuilt every {self.refit_every} sessions from the data up to each refit "
                f"(walk-forward, out of sample) against {self.baseline_source}")
        return SimulationFigure(str(self.start), str(self.end), self.n_days, what, c.projected, c.baseline,
                                c.difference, c.difference_se, c.z, noise_z,
                                o["volatility"] - self.baseline["volatility"],
                                o["max_drawdown"] - self.baseline["max_drawdown"],
                                (o["total_return"] - self.baseline["total_return"]) * self.value, self.value)

    def table(self) -> pd.DataFrame:
        """Tabulate the metrics by path: baseline, projected in-sample, projected out-of-sample."""
        base = "Baseline (today's holdings replayed)" if self.baseline_hindsight else "Baseline (holdings as held)"
        cols = {base: self.baseline, "Projected, in-sample (look-ahead)": self.in_sample}
        if self.out_of_sample is not None:
            cols["Projected, out-of-sample (walk-forward)"] = self.out_of_sample
        df = pd.DataFrame(cols)
        df.index = [METRIC_LABELS[k] for k in df.index]
        return df

    def noise_table(self) -> pd.DataFrame:
        """Tabulate each comparison with the baseline: Sharpe ratios, difference ± SE, z, correlation, sessions."""
        rows = {}
        for name, c in (("in-sample (look-ahead)", self.comparison_in_sample),
                        ("out-of-sample (walk-forward)", self.comparison_out_of_sample)):
            if c is not None:
                rows[name] = {"baseline Sharpe": c.baseline, "projected Sharpe": c.projected,
                              "difference": c.difference, "SE of the difference": c.difference_se, "z": c.z,
                              "correlation": c.correlation, "sessions": c.sessions}
        return pd.DataFrame(rows).T
