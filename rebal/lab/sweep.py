"""Sweeps: many (rule, cost) configurations over one market, with the same results wherever they run.

They run in-process, on local processes or on a Dask distributed cluster.

The configurations are cut into chunks (the same cut whatever runs them); each chunk is one
vectorised engine call (a tax-aware rule is its own chunk, run by the lot-level engine). Chunk
results are joined in order, so a local run and a Dask run give identical arrays.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from rebal.lab.blocks import needs_vol, trailing_vol
from rebal.lab.engine import BacktestResult, LabSettings, backtest
from rebal.lab.rules import Config, Rule
from rebal.lab.tax import TaxRates, TaxReport, replay_taxes, tax_backtest

__all__ = ["Market", "Sweep", "run_sweep", "chunk_configs", "concat_results"]


@dataclass
class Market:
    """What every configuration shares.

    Prices (with warm-up rows before ``start``), the target (static or refits), the regime series
    (VIX or a proxy, aligned with prices), dollar ADV. ``vol`` is the trailing volatility of
    ``prices`` (:func:`rebal.lab.blocks.trailing_vol`); :func:`run_sweep` fills it once for all its
    chunks when a configuration needs it.
    """

    prices: pd.DataFrame
    target: pd.Series | pd.DataFrame
    start: pd.Timestamp | None = None
    vix: np.ndarray | None = None
    adv: np.ndarray | None = None
    settings: LabSettings = field(default_factory=LabSettings)
    rates: TaxRates = field(default_factory=TaxRates)
    vol: np.ndarray | None = None


@dataclass
class Sweep:
    """A joined run: the engine result (all configurations), their tax reports (by column)."""

    result: BacktestResult
    taxes: dict[int, TaxReport]


def chunk_configs(configs: list[tuple[Config, float]], n_chunks: int) -> list[list[tuple[Config, float]]]:
    """Tax-aware rules one per chunk; the others cut into ``n_chunks`` nearly equal chunks, in order."""
    plain = [c for c in configs if not c[0].tax]
    taxed = [[c] for c in configs if c[0].tax]
    n = max(1, min(n_chunks, len(plain)))
    size = math.ceil(len(plain) / n) if plain else 0
    return [plain[i:i + size] for i in range(0, len(plain), size)] + taxed if plain else taxed


def run_chunk(market: Market, chunk: list[tuple[Config, float]], taxes: bool = True) -> Sweep:
    """Run one chunk (a worker's task)."""
    if len(chunk) == 1 and chunk[0][0].tax:
        res, rep = tax_backtest(market.prices, market.target, chunk[0][0], chunk[0][1], start=market.start,
                                vix=market.vix, settings=market.settings, rates=market.rates)
        return Sweep(res, {0: rep})
    res = backtest(market.prices, market.target, [c for c, _ in chunk], [b for _, b in chunk], start=market.start,
                   vix=market.vix, adv=market.adv, settings=market.settings, vol=market.vol, trades=taxes)
    reps = {k: replay_taxes(res, market.prices, k, market.rates) for k in range(len(chunk))} if taxes else {}
    return Sweep(res, reps)


def concat_results(parts: list[Sweep]) -> Sweep:
    """Join chunk results column-wise, in order."""
    rs = [p.result for p in parts]
    offsets = np.cumsum([0] + [len(r.specs) for r in rs])
    taxes = {int(offsets[i] + k): rep for i, p in enumerate(parts) for k, rep in p.taxes.items()}
    first = rs[0]
    res = BacktestResult(
        sum((r.specs for r in rs), []), np.concatenate([r.cost_bps for r in rs]), first.index, first.assets,
        np.hstack([r.values for r in rs]), first.target_values, np.hstack([r.costs for r in rs]),
        np.hstack([r.turnover for r in rs]), np.hstack([r.rebalanced for r in rs]), np.hstack([r.drift for r in rs]),
        np.vstack([r.final_weights for r in rs]), first.regime, np.concatenate([r.skipped for r in rs]),
        np.concatenate([r.trade_t for r in rs]),
        np.concatenate([r.trade_k + o for r, o in zip(rs, offsets[:-1], strict=True)]),
        np.vstack([r.trades.reshape(-1, len(first.assets)) for r in rs]), first.initial_weights)
    return Sweep(res, taxes)


def _progress(total: int, enabled: bool, desc: str):
    if not enabled:
        return None
    import sys

    from tqdm.auto import tqdm

    # the CLI filters escapes out of sys.stderr (rebal.cli.terminal): the bar draws on the terminal underneath
    return tqdm(total=total, desc=desc, unit="chunk", leave=False, file=getattr(sys.stderr, "unfiltered", sys.stderr))


def run_sweep(market: Market, configs: list[tuple[Rule | Config, float]], *, workers: int | None = None,
              scheduler: str | None = None, chunks: int | None = None, taxes: bool = True,
              progress: bool = False) -> Sweep:
    """Run every (rule, cost) configuration.

    ``scheduler`` (a Dask scheduler address, or a ``distributed.Client``) sends chunks to a Dask
    cluster; otherwise ``workers`` local processes (1 = in this process). ``chunks`` defaults to
    twice the workers. The trades of each configuration (``result.trades``) are kept for the tax
    replay: with ``taxes=False`` they are not recorded (the result's trade list is empty).
    """
    cfgs = [(c if isinstance(c, Config) else c.config(), float(b)) for c, b in configs]
    if not cfgs:
        raise ValueError("no configurations to run")
    workers = workers or os.cpu_count() or 1
    parts_in = chunk_configs(cfgs, chunks or 2 * workers)
    plain = [c for c, _ in cfgs if not c.tax]
    if market.vol is None and sum(not p[0][0].tax for p in parts_in) > 1 and needs_vol(plain, market.adv):
        # estimated once here rather than once a chunk
        market = replace(market, vol=trailing_vol(market.prices.to_numpy(float), market.settings))
    bar = _progress(len(parts_in), progress, "backtest")
    out: list[Sweep | None] = [None] * len(parts_in)
    if scheduler is not None:
        from distributed import Client, as_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            m = client.scatter(market, broadcast=True)
            futures = [client.submit(run_chunk, m, part, taxes, pure=False) for part in parts_in]
            pos = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                out[pos[fut.key]] = fut.result()
                if bar is not None:
                    bar.update()
        finally:
            if client is not scheduler:
                client.close()
    elif workers == 1 or len(parts_in) == 1:
        for i, part in enumerate(parts_in):
            out[i] = run_chunk(market, part, taxes)
            if bar is not None:
                bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_chunk, market, part, taxes): i for i, part in enumerate(parts_in)}
            from concurrent.futures import as_completed as done

            for fut in done(futures):
                out[futures[fut]] = fut.result()
                if bar is not None:
                    bar.update()
    if bar is not None:
        bar.close()
    joined = concat_results([p for p in out if p is not None])
    order = [i for i, c in enumerate(cfgs) if not c[0].tax] + [i for i, c in enumerate(cfgs) if c[0].tax]
    back = list(np.argsort(order))
    # (take also when the order is unchanged: it lays the arrays out by configuration, which later
    # reductions over days depend on to the last bit)
    return Sweep(joined.result.take(back), {int(order[k]): rep for k, rep in joined.taxes.items()})
