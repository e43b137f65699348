"""Factor map of a profile's universe with execution alpha and cluster leads."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from rebal.analytics.clusters import FactorMap, factor_map
from rebal.analytics.returns import simple_returns
from rebal.config import Profile
from rebal.data.lakehouse import Lakehouse
from rebal.errors import DataError
from rebal.selection import cluster_leads, execution_alpha

__all__ = ["FactorAudit", "factor_audit", "profile_factor_audit"]


@dataclass(frozen=True)
class FactorAudit:
    """Clusters, their map, execution alpha per asset and each cluster's lead."""

    as_of: date
    tickers: tuple[str, ...]
    map: FactorMap
    alpha: pd.DataFrame
    leads: pd.Series
    synthetic_liquidity: bool
    window: tuple[str, str]
    #: why the Liquidity component is absent ("" when present): close-only data has no volume or high/low
    liquidity_missing: str = ""


def factor_audit(tickers: list[str], lh: Lakehouse, as_of: date, *, n_clusters: int, linkage: str = "average",
                 window_days: int = 504, seed: int = 0) -> FactorAudit:
    """Cluster ``tickers`` on ``window_days`` returns to ``as_of``; rank execution alpha within clusters."""
    view = lh.at(as_of)
    if len(tickers) < 2:
        raise DataError(f"factor map: a map clusters at least 2 assets; the universe has {len(tickers)} "
                        f"({', '.join(map(repr, tickers)) or 'none'})")
    need = max(window_days, 252) + 1
    close = view.prices(tickers).iloc[-need:]
    if len(close) < need or close.isna().any().any():
        bad = close.columns[close.isna().any()].tolist()
        raise DataError(f"factor map needs {need} sessions of closes up to {as_of} for every ticker"
                        + (f"; {bad[0]!r} has gaps" if bad else f", found {len(close)}"))
    rets = simple_returns(close, fill="none").iloc[1:].iloc[-window_days:]
    flat = rets.columns[(rets == 0).all()].tolist()
    if flat:  # no variance: its correlation with anything is undefined
        raise DataError(f"{lh.path}: factor map: {flat[0]!r} has the same close on every one of the {len(rets) + 1} "
                        f"sessions to {as_of}: its correlation with the other assets is undefined; correct its prices "
                        "or leave it out of the universe")
    fm = factor_map(rets, n_clusters, sectors=view.tickers()["sector"], method=linkage, seed=seed)
    fields = {f: view.prices(tickers, field=f).reindex(close.index) for f in ("high", "low", "volume")}
    gaps = [f for f in fields if fields[f].isna().any().any()]
    missing = ""
    if gaps:  # close-only data: the Liquidity component is left out, and said so
        bad = sorted({t for f in gaps for t in fields[f].columns[fields[f].isna().any()]})
        missing = (f"no {'/'.join(gaps)} for {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''} in the window: "
                   "liquidity not available without volume, high and low")
        fields = {"high": None, "low": None, "volume": None}
    alpha = execution_alpha(close, fields["high"], fields["low"], fields["volume"], fm.labels,
                            fm.centroid_returns.reindex(close.index).fillna(0.0))
    synthetic = view.has_synthetic_ohlv(tickers) and not missing
    return FactorAudit(as_of, tuple(tickers), fm, alpha, cluster_leads(alpha["alpha"], fm.labels), synthetic,
                       (str(rets.index[0].date()), str(rets.index[-1].date())), missing)


def profile_factor_audit(profile: Profile, lh: Lakehouse, as_of: date, *, n_clusters: int | None = None) -> FactorAudit:
    """:func:`factor_audit` of the profile's universe with its ``factor_map`` parameters."""
    spec = profile.factor_map
    k = n_clusters or spec.clusters_for(len(profile.tickers))
    return factor_audit(list(profile.tickers), lh, as_of, n_clusters=k,
                        linkage=spec.linkage, window_days=spec.window_days, seed=spec.seed)
