"""Clustering customers into segments: KMeans, MiniBatchKMeans, DBSCAN and KMedoids."""

from __future__ import annotations

from ._dbscan import DBSCAN
from ._kmeans import KMeans
from ._kmedoids import KMedoids
from ._minibatch import MiniBatchKMeans

__all__: list[str] = ["DBSCAN", "KMeans", "KMedoids", "MiniBatchKMeans"]
