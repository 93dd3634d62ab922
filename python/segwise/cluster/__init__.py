"""Clustering customers into segments: :class:`KMeans`, :class:`MiniBatchKMeans`, :class:`DBSCAN`."""

from __future__ import annotations

from ._kmeans import KMeans

__all__: list[str] = ["KMeans"]
