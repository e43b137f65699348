"""Hypothetical shocks: instantaneous moves applied to today's weights (pure functions).

Each shock gives the portfolio's return (a fraction; negative = loss) on weights w (fractions of
value; cash does not move):

- **benchmark move** m through each asset's beta: Σ_i w_i β_i m (the asset's expected move given
  the benchmark's, no specific risk);
- **sector move** m on one sector: Σ_{i in sector} w_i m (the other assets do not move);
- **correlation to one**: every asset falls k of its own standard deviations over the horizon at
  once, as if all correlations were 1: −k Σ_i |w_i| σ_i (σ_i the asset's volatility over the
  horizon). The gap to the diversified −k σ_p is the diversification the portfolio relies on;
- **factor move**: factor ETF f falls k of its standard deviations over the horizon (s_f = −k σ_f)
  and each asset moves by its expected return given the factor's, β_{i,f} s_f, with β_{i,f} the
  OLS beta of the asset to the factor: Σ_i w_i β_{i,f} s_f (a holding of f itself has β = 1).

Volatilities over a horizon of h days are the daily ones times sqrt(h).
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd

__all__ = ["benchmark_shock", "sector_shock", "correlation_one_shock", "factor_shock", "shock_table"]


def _risky(weights: pd.Series, cash: str) -> pd.Series:
    return weights.drop(cash, errors="ignore")


def benchmark_shock(weights: pd.Series, betas: pd.Series, move: float, *, cash: str = "CASH") -> float:
    """Return Σ_i w_i β_i · ``move`` of a benchmark move through the assets' betas (a missing beta is refused)."""
    w = _risky(weights, cash)
    b = betas.reindex(w.index)
    if b.isna().any():
        raise ValueError(f"`betas`: no beta for {b.index[b.isna()][0]!r}")
    return float((w * b).sum() * move)


def sector_shock(weights: pd.Series, sectors: Mapping[str, str], sector: str, move: float, *,
                 cash: str = "CASH") -> float:
    """Return Σ_{i in sector} w_i · ``move`` of a move of one sector (``sectors``: ticker -> sector)."""
    w = _risky(weights, cash)
    return float(sum(x for a, x in w.items() if sectors.get(a) == sector) * move)


def correlation_one_shock(weights: pd.Series, vols: pd.Series, sds: float, *, cash: str = "CASH") -> float:
    """Return −k Σ_i |w_i| σ_i: every asset down ``sds`` (k) of its own volatility ``vols`` (σ_i, over the horizon)."""
    w = _risky(weights, cash)
    v = vols.reindex(w.index)
    if v.isna().any():
        raise ValueError(f"`vols`: no volatility for {v.index[v.isna()][0]!r}")
    return float(-sds * (w.abs() * v).sum())


def factor_shock(weights: pd.Series, factor_betas: pd.Series, factor_move: float, *, cash: str = "CASH") -> float:
    """Return Σ_i w_i β_{i,f} s_f of a factor move s_f = ``factor_move`` through the assets' betas to the factor."""
    w = _risky(weights, cash)
    b = factor_betas.reindex(w.index)
    if b.isna().any():
        raise ValueError(f"`factor_betas`: no beta for {b.index[b.isna()][0]!r}")
    return float((w * b).sum() * factor_move)


def shock_table(portfolios: Mapping[str, pd.Series], *, betas: pd.Series, sectors: Mapping[str, str],
                vols_daily: pd.Series, benchmark_moves: Sequence[float], sector_move: float,
                shock_sectors: Sequence[str], sds: float, horizon_days: int,
                factor_betas: pd.DataFrame | None = None, factor_vols_daily: pd.Series | None = None,
                benchmark: str = "benchmark", cash: str = "CASH") -> pd.DataFrame:
    """Every hypothetical shock on every portfolio.

    Parameters
    ----------
    portfolios
        Name (``current``, ``proposed``...) -> weights.
    betas
        Each asset's beta to the benchmark.
    sectors
        Ticker -> sector.
    vols_daily
        Each asset's daily volatility (for the correlation-to-one shock; the caller uses the sample standard
        deviation of daily returns, the same definition as ``factor_vols_daily``).
    benchmark_moves
        Benchmark moves (fractions, e.g. -0.10).
    sector_move
        The move of one sector (fraction), applied to each of ``shock_sectors`` in turn.
    shock_sectors
        Sectors to shock.
    sds
        Standard deviations k of the correlation-to-one and factor shocks (a fall of k sd).
    horizon_days
        Horizon of those two shocks (volatilities scaled by sqrt(horizon_days)).
    factor_betas
        Assets x factors OLS betas; None or empty: no factor shocks.
    factor_vols_daily
        Each factor's daily volatility.
    benchmark
        The benchmark's name, for the labels.
    cash
        Label of cash.

    Returns
    -------
    One row per shock: ``kind`` (benchmark, sector, correlation, factor), ``shock`` (a label), ``move``
    (the move applied to the driver: the benchmark's, the sector's, the factor's; NaN for
    correlation to one) and one column per portfolio with its return.
    """
    root = math.sqrt(horizon_days)
    rows = []
    for m in benchmark_moves:
        rows.append(("benchmark", f"{benchmark} {m:+.0%} through betas", m,
                     {k: benchmark_shock(w, betas, m, cash=cash) for k, w in portfolios.items()}))
    for s in shock_sectors:
        rows.append(("sector", f"{s} {sector_move:+.0%}", sector_move,
                     {k: sector_shock(w, sectors, s, sector_move, cash=cash) for k, w in portfolios.items()}))
    rows.append(("correlation", f"all assets −{sds:g} sd over {horizon_days} sessions, correlation 1", float("nan"),
                 {k: correlation_one_shock(w, vols_daily * root, sds, cash=cash) for k, w in portfolios.items()}))
    if factor_betas is not None and factor_vols_daily is not None:
        for f in factor_betas.columns:
            move = -sds * float(factor_vols_daily[f]) * root
            rows.append(("factor", f"{f} −{sds:g} sd over {horizon_days} sessions ({move:+.1%})", move,
                         {k: factor_shock(w, factor_betas[f], move, cash=cash) for k, w in portfolios.items()}))
    out = pd.DataFrame([{"kind": k, "shock": label, "move": m, **vals} for k, label, m, vals in rows])
    return out
