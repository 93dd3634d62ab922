"""Clustering customers into segments: :class:`KMeans`, :class:`MiniBatchKMeans`, :class:`DBSCAN`."""

from __future__ import annotations

from ._dbscan import DBSCAN

__all__: list[str] = ["DBSCAN"]
