"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN, plus the
Lloyd step from partial statistics computed anywhere (:func:`kmeans_partial_stats`,
:func:`kmeans_update`)."""

from __future__ import annotations

from ._dbscan import DBSCAN
from ._kmeans import KMeans
from ._minibatch import MiniBatchKMeans
from ._partial import kmeans_partial_stats, kmeans_update

__all__: list[str] = [
    "DBSCAN",
    "KMeans",
    "MiniBatchKMeans",
    "kmeans_partial_stats",
    "kmeans_update",
]
