"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN for numeric
tables; KPrototypes (numeric and categorical columns), KModes (categorical columns) and
KMedoids (any columns, with Gower or Euclidean distances); plus the Lloyd step from
partial statistics computed anywhere (:func:`kmeans_partial_stats`, :func:`kmeans_update`)."""

from __future__ import annotations

from ._dbscan import DBSCAN
from ._kmeans import KMeans
from ._kmedoids import KMedoids
from ._kprototypes import KModes, KPrototypes
from ._minibatch import MiniBatchKMeans
from ._partial import kmeans_partial_stats, kmeans_update

__all__: list[str] = [
    "DBSCAN",
    "KMeans",
    "KMedoids",
    "KModes",
    "KPrototypes",
    "MiniBatchKMeans",
    "kmeans_partial_stats",
    "kmeans_update",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)
