"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN for numeric
tables; KPrototypes (numeric and categorical columns), KModes (categorical columns) and
KMedoids (any columns, with Gower or Euclidean distances)."""

from __future__ import annotations

from ._dbscan import DBSCAN
from ._kmeans import KMeans
from ._kmedoids import KMedoids
from ._kprototypes import KModes, KPrototypes
from ._minibatch import MiniBatchKMeans

__all__: list[str] = [
    "DBSCAN",
    "KMeans",
    "KMedoids",
    "KModes",
    "KPrototypes",
    "MiniBatchKMeans",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)
