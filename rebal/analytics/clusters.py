"""Correlation clusters, cluster centroids and the MDS factor map.

1. Correlation distance d_ij = sqrt((1 - ρ_ij) / 2) between assets (0 for identical series,
   1 for perfectly opposite ones; a metric, López de Prado 2016).
2. Hierarchical clustering of that distance (scipy linkage, method a parameter) cut into k clusters.
3. Each cluster's centroid return series: the equal-weighted mean of its members' daily returns.
4. The centroids' correlation-distance matrix, projected to 2-D with metric MDS (scikit-learn,
   precomputed dissimilarities). Nearby points are "factor neighbours"; isolated points diversify.

The MDS fit is summarised by Kruskal's stress-1, sqrt(Σ (d̂_ij - d_ij)² / Σ d_ij²) over pairs
(0 = perfect; below 0.1 good, above 0.2 poor), computed here from the embedding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

__all__ = ["correlation_distance", "cluster_assets", "cluster_centroids", "mds_map", "kruskal_stress",
           "FactorMap", "factor_map"]


def correlation_distance(corr: pd.DataFrame) -> pd.DataFrame:
    """Turn correlations into the distance sqrt((1 - ρ) / 2), clipped at 0 for rounding noise.

    Parameters
    ----------
    corr
        Correlation matrix (unitless, in [-1, 1]).

    Returns
    -------
    Distances in [0, 1], same labels as ``corr``.
    """
    return np.sqrt(((1.0 - corr) / 2.0).clip(lower=0.0))


def cluster_assets(returns: pd.DataFrame, n_clusters: int, *, method: str = "average") -> tuple[pd.Series, np.ndarray]:
    """Cluster assets hierarchically on the correlation distance of their returns.

    Parameters
    ----------
    returns
        Daily simple returns (fractions), dates x assets.
    n_clusters
        Number of clusters k (the tree is cut with scipy's ``maxclust``).
    method
        scipy linkage method (``average``, ``complete``, ``single``, ``ward``, ...).

    Returns
    -------
    Labels 1..k by asset (1 the largest cluster), named ``cluster``, and the scipy linkage matrix.
    """
    dist = correlation_distance(returns.corr())
    condensed = squareform(dist.to_numpy(), checks=False)
    link = linkage(condensed, method=method)
    raw = pd.Series(fcluster(link, t=n_clusters, criterion="maxclust"), index=returns.columns)
    order = raw.value_counts().sort_values(ascending=False, kind="stable").index
    relabel = {old: i + 1 for i, old in enumerate(order)}
    return raw.map(relabel).rename("cluster"), link


def cluster_centroids(returns: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Average the daily returns of each cluster's members with equal weights.

    Parameters
    ----------
    returns
        Daily simple returns (fractions), dates x assets.
    labels
        Cluster id by asset (see :func:`cluster_assets`).

    Returns
    -------
    Daily centroid returns (fractions), dates x cluster ids.
    """
    return returns.T.groupby(labels).mean().T


def kruskal_stress(coords: np.ndarray, dist: np.ndarray) -> float:
    """Compute Kruskal's stress-1 of an embedding against the target distances (upper triangle).

    Parameters
    ----------
    coords
        Embedding, n points x dimensions.
    dist
        Target distances, n x n.

    Returns
    -------
    sqrt(Σ (d̂_ij - d_ij)² / Σ d_ij²), unitless (0 = perfect; 0 when all targets are 0).
    """
    iu = np.triu_indices(len(dist), 1)
    emb = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1))
    d = dist[iu]
    return float(np.sqrt(((emb[iu] - d) ** 2).sum() / (d**2).sum())) if (d**2).sum() > 0 else 0.0


def mds_map(dist: pd.DataFrame, *, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """Project a distance matrix to 2-D with metric MDS and report the fit's Kruskal stress-1.

    Parameters
    ----------
    dist
        Symmetric distance matrix (e.g. :func:`correlation_distance`).
    seed
        Random state of scikit-learn's MDS.

    Returns
    -------
    Coordinates (columns ``x``, ``y``, in the units of ``dist``) and the unitless stress-1.
    """
    from sklearn.manifold import MDS

    n = len(dist)
    if n < 3:
        coords = np.zeros((n, 2))
        if n == 2:
            coords[1, 0] = float(dist.iloc[0, 1])
        return pd.DataFrame(coords, index=dist.index, columns=["x", "y"]), 0.0
    import inspect

    if "metric_mds" in inspect.signature(MDS).parameters:  # scikit-learn >= 1.8 API
        mds = MDS(n_components=2, metric_mds=True, metric="precomputed", init="classical_mds", n_init=1,
                  random_state=seed, normalized_stress=False)
    else:  # pragma: no cover - older scikit-learn
        mds = MDS(n_components=2, metric=True, dissimilarity="precomputed", random_state=seed, n_init=8,
                  normalized_stress=False)
    coords = mds.fit_transform(dist.to_numpy())
    return pd.DataFrame(coords, index=dist.index, columns=["x", "y"]), kruskal_stress(coords, dist.to_numpy())


@dataclass(frozen=True)
class FactorMap:
    """Clusters of a universe and their 2-D map."""

    labels: pd.Series                 # asset -> cluster id
    linkage: np.ndarray
    centroid_returns: pd.DataFrame
    centroid_distance: pd.DataFrame
    coords: pd.DataFrame              # cluster id -> x, y
    stress: float
    members: pd.DataFrame             # cluster id -> size, members, dominant sector
    nearest: pd.Series                # cluster id -> distance to the nearest other cluster
    isolated: tuple[int, ...]         # clusters whose nearest neighbour is farthest (top quartile)


def factor_map(returns: pd.DataFrame, n_clusters: int, *, sectors: pd.Series | None = None,
               method: str = "average", seed: int = 0) -> FactorMap:
    """Cluster ``returns`` into ``n_clusters`` and map the centroids in 2-D.

    Parameters
    ----------
    returns
        Daily simple returns (fractions), dates x assets.
    n_clusters
        Number of clusters.
    sectors
        Sector by asset, for each cluster's dominant sector (empty strings when None).
    method
        scipy linkage method.
    seed
        Random state of the MDS.

    Returns
    -------
    The :class:`FactorMap`; distances are correlation distances in [0, 1].
    """
    labels, link = cluster_assets(returns, n_clusters, method=method)
    cent = cluster_centroids(returns, labels)
    cdist = correlation_distance(cent.corr())
    coords, stress = mds_map(cdist, seed=seed)
    rows = []
    for c, grp in labels.groupby(labels):
        names = list(grp.index)
        dom = ""
        if sectors is not None:
            counts = sectors.reindex(names).fillna("n/a").value_counts()
            dom = str(counts.index[0])
        rows.append((c, len(names), ", ".join(names), dom))
    members = pd.DataFrame(rows, columns=["cluster", "size", "members", "dominant_sector"]).set_index("cluster")
    d = cdist.to_numpy().copy()
    np.fill_diagonal(d, np.inf)
    nearest = pd.Series(d.min(axis=1), index=cdist.index, name="nearest_distance")
    cut = nearest.quantile(0.75)
    isolated = tuple(int(c) for c in nearest.index[nearest >= cut]) if len(nearest) > 2 else ()
    return FactorMap(labels, link, cent, cdist, coords, stress, members, nearest, isolated)
