"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN."""

from __future__ import annotations

from ._dbscan import DBSCAN

__all__: list[str] = ["DBSCAN"]
"""Clustering customers into segments: :class:`KMeans`, :class:`MiniBatchKMeans`, DBSCAN."""

from __future__ import annotations

from ._kmeans import KMeans
from ._minibatch import MiniBatchKMeans

__all__: list[str] = ["KMeans", "MiniBatchKMeans"]
