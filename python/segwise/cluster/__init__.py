"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN."""

from __future__ import annotations

from ._dbscan import DBSCAN
from ._kmeans import KMeans
from ._minibatch import MiniBatchKMeans

__all__: list[str] = ["DBSCAN", "KMeans", "MiniBatchKMeans"]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)
