"""The factor-map report: clusters of the universe mapped by MDS, execution alpha and cluster leads."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.report.figures import number_axis, place_labels
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import pyplot
from rebal.report.widgets import card, note

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rebal.config import Profile

__all__ = ["REPORT", "map_fit", "factor_card", "cluster_table", "alpha_table", "ALPHA_FORMATS", "liquidity_note",
           "factor_scraps", "scraps", "factor_map_plot", "dendrogram_plot"]


#: how many points a plane holds exactly: any 3 distances that obey the triangle inequality are a triangle
_EXACT = 3


def map_fit(n_points: int, stress: float, *, short: bool = False) -> str:
    """Say how well the 2-D map of ``n_points`` cluster centroids fits their distances (Kruskal stress-1).

    Up to three points always fit a plane exactly, so their stress is zero by construction and says
    nothing about the data: the map is called exact, not good. ``short``: the wording of a figure title.
    """
    if n_points <= _EXACT:
        if short:
            return f"exact: {n_points} points always fit on a plane"
        return (f"exact: {n_points} cluster centroids always fit on a plane (stress {abs(stress):.3f} by "
                "construction, not a sign of structure)")
    quality = "good" if stress < 0.1 else "fair" if stress <= 0.2 else "poor: read the map as a sketch"
    return f"Kruskal stress-1 {stress:.3f} ({quality})"


def _sector(value: Any) -> str:
    """Return a cluster's dominant sector, or "" when its assets carry no sector (ETFs: ``n/a`` in the data)."""
    text = str(value or "")
    return "" if text.lower() in ("", "n/a", "nan", "none") else text


def factor_card(fa: Any, profile: Profile) -> Any:
    """Headline of the factor map."""
    fm = fa.map
    iso = ", ".join(f"C{c} ({fm.members.loc[c, 'members']})" for c in fm.isolated) or "none"
    return card([
        ("Universe", f"{len(fa.tickers)} assets of profile {html.escape(profile.name)}"),
        ("Clusters", f"{int(fm.labels.max())} "
                     f"({html.escape(profile.factor_map.linkage)} linkage on correlation distance)"),
        ("Window", f"daily returns {fa.window[0]} .. {fa.window[1]}"),
        ("Map fit", html.escape(map_fit(len(fm.coords), fm.stress))),
        ("Isolated diversifiers", html.escape(iso)),
        ("Cluster leads", html.escape(", ".join(f"C{c}: {t}" for c, t in fa.leads.items()))),
    ])


def cluster_table(fa: Any) -> pd.DataFrame:
    """Cluster membership with lead, dominant sector, nearest-neighbour distance and isolation."""
    fm = fa.map
    t = fm.members.copy()
    t["lead"] = fa.leads.reindex(t.index)
    t["nearest distance"] = fm.nearest.reindex(t.index)
    t["isolated"] = ["yes" if c in fm.isolated else "" for c in t.index]
    t["dominant_sector"] = [_sector(v) or "—" for v in t["dominant_sector"]]
    t.index = [f"C{c}" for c in t.index]
    t.index.name = "cluster"
    return t.rename(columns={"dominant_sector": "dominant sector", "size": "assets"})


def alpha_table(fa: Any) -> pd.DataFrame:
    """Tabulate execution alpha per asset, grouped by cluster, leads marked."""
    a = fa.alpha.copy()
    a.insert(0, "cluster", [f"C{c}" for c in fa.map.labels.reindex(a.index)])
    a["lead"] = [t in set(fa.leads) for t in a.index]
    a["dollar_adv_20"] = a["dollar_adv_20"] / 1e6
    a = a.rename(columns={"momentum_12_1": "12-1 momentum", "vol_60d": "vol 60d", "dollar_adv_20": "ADV 20d ($M)",
                          "atr_over_price": "ATR / price"}).drop(columns=["centroid_corr"])
    a = a.sort_values(["cluster", "alpha"], ascending=[True, False])
    a.index.name = "asset"
    return a


def _z(x: float) -> str:
    """Write a z-score with its sign; rounding noise reads 0.00, not -0.00."""
    return "0.00" if abs(x) < 0.005 else f"{x:+.2f}"


#: formats of :func:`alpha_table` (z-scores signed, momentum signed, ADV in millions of dollars)
ALPHA_FORMATS = {"alpha": _z, "mom": _z, "stab": _z, "conv": _z, "liquidity": _z, "12-1 momentum": "{:+.1%}",
                 "vol 60d": "{:.1%}", "ADV 20d ($M)": "{:,.1f}", "ATR / price": "{:.2%}"}


def liquidity_note(fa: Any) -> Any:
    """Say whether the liquidity inputs are synthetic, or absent (close-only data)."""
    if getattr(fa, "liquidity_missing", ""):
        return note("<b>Liquidity not available without volume.</b> The data hold closes only for this universe ("
                    f"{html.escape(fa.liquidity_missing)}), so execution alpha leaves out its Liquidity component: "
                    "alpha = (0.3 Mom + 0.2 Stab + 0.2 Conv) / 0.7, and the dollar ADV, ATR and Liquidity columns are "
                    "empty. Clusters, the map, momentum, stability and conviction use the closes as usual.", "warning")
    if fa.synthetic_liquidity:
        return note("<b>Synthetic inputs.</b> Dollar volume and high/low (hence the Liquidity score and ATR) come "
                    "from the calibrated synthetic layer of the sample lakehouse (<code>ohlv_synthetic</code>), not "
                    "from the market. Momentum, stability and conviction use real closes.", "synthetic")
    return note("All inputs are observed market data.")


def factor_scraps(fa: Any) -> dict[str, Any]:
    """Key factor-map results as plain types."""
    fm = fa.map
    return {"as_of": str(fa.as_of), "n_clusters": int(fm.labels.max()), "stress": float(fm.stress),
            "isolated_clusters": [int(c) for c in fm.isolated],
            "leads": {str(c): str(t) for c, t in fa.leads.items()},
            "cluster_of": {str(t): int(c) for t, c in fm.labels.items()},
            "synthetic_liquidity": bool(fa.synthetic_liquidity)}



# -- figures ----------------------------------------------------------------------------------------


def factor_map_plot(fm, leads=None, *, title: str = "Factor map: cluster centroids (metric MDS)") -> Figure:
    """Clusters as points (size by members), labelled by lead asset and dominant sector.

    Both axes are in correlation distance and drawn to the same scale, so the distance between two
    points on the page is their distance on the map; the axes' directions mean nothing by themselves.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 6.2), layout="constrained")
    xy = fm.coords
    sizes = fm.members["size"].reindex(xy.index)
    colors = ["#c62828" if c in fm.isolated else "#1565c0" for c in xy.index]
    areas = 250 * sizes.to_numpy()
    ax.scatter(xy["x"], xy["y"], s=areas, c=colors, alpha=0.35, edgecolors="#263238")
    labels = []
    for c in xy.index:
        lead = f": lead {leads[c]}" if leads is not None and c in leads.index else ""
        sector = _sector(fm.members.loc[c, "dominant_sector"])
        labels.append(f"C{c} ({fm.members.loc[c, 'size']}){lead}" + (f"\n{sector}" if sector else ""))
    span = max(float(np.ptp(xy["x"].to_numpy())), float(np.ptp(xy["y"].to_numpy())), 0.1)
    pad = 0.2 * span
    ax.set_xlim(xy["x"].min() - pad, xy["x"].max() + pad)
    ax.set_ylim(xy["y"].min() - pad, xy["y"].max() + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("MDS dimension 1 (correlation distance)")
    ax.set_ylabel("MDS dimension 2 (correlation distance)")
    ax.set_title(f"{title}\n{map_fit(len(xy), fm.stress, short=True)}; red = isolated diversifiers", loc="left",
                 fontsize=10)
    ax.grid(alpha=0.3)
    place_labels(ax, list(xy["x"]), list(xy["y"]), labels, radii=list(np.sqrt(areas / np.pi) + 1.0))
    return fig


def dendrogram_plot(fm) -> Figure:
    """Dendrogram of the assets on correlation distance, coloured at the cut."""
    plt = pyplot()
    from scipy.cluster.hierarchy import dendrogram

    fig, ax = plt.subplots(figsize=(10, 4.0), layout="constrained")
    k = int(fm.labels.max())
    link = fm.linkage
    # the cut lies between the last merge kept and the first undone: drawn at a merge's own height, the
    # line would run along that merge's bar and hide which side of the cut it falls
    cut = float(link[-k, 2] + link[-(k - 1), 2]) / 2 if 1 < k <= len(link) else None
    dendrogram(link, labels=list(fm.labels.index), ax=ax, color_threshold=cut, leaf_font_size=10)
    if cut is not None:
        ax.axhline(cut, color="#c62828", ls="--", lw=1)
    number_axis(ax.yaxis)
    ax.set_ylabel("correlation distance √((1 − ρ)/2)")
    ax.set_title("Hierarchical clustering of the universe" + (f" (red dashed line: the cut into {k} clusters)"
                                                              if cut is not None else ""), loc="left")
    return fig


scraps = factor_scraps


def _summary(s: Any) -> str:
    if s["n_clusters"] <= _EXACT:
        return f"{s['n_clusters']} clusters, map exact (≤ {_EXACT} points always fit)"
    return f"{s['n_clusters']} clusters, MDS stress {s['stress']:.3f}"


def _same_map(s: Any) -> tuple | None:
    """Key of the map's content: the same clusters of the same assets (profiles on one universe share one map)."""
    key = tuple(sorted((str(k), int(v)) for k, v in (s.get("cluster_of") or {}).items()))
    return (str(s.get("as_of")), key) if key else None


def _applies(profile, has_holdings: bool) -> str | None:
    n = len(profile.tickers)
    return None if n >= 2 else f"a factor map clusters at least 2 assets; the universe has {n}"


REPORT = ReportSpec(
    name="factor_map", title="Factor map", order=40, applies=_applies, shared=_same_map,
    scraps={"as_of": str, "n_clusters": int, "stress": float, "isolated_clusters": list, "leads": dict,
            "cluster_of": dict, "synthetic_liquidity": bool},
    summary=_summary,
    cover=(Cover("Factor map", lambda s: html.escape(_summary(s))),),
)
