"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN for numeric
tables; KPrototypes (numeric and categorical columns) and KModes (categorical columns)."""

from __future__ import annotations

from ._dbscan import DBSCAN
from ._kmeans import KMeans
from ._kprototypes import KModes, KPrototypes
from ._minibatch import MiniBatchKMeans

__all__: list[str] = ["DBSCAN", "KMeans", "KModes", "KPrototypes", "MiniBatchKMeans"]
