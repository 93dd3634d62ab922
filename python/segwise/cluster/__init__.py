"""Clustering customers into segments: :class:`KMeans`, :class:`MiniBatchKMeans`, :class:`DBSCAN`."""

from __future__ import annotations

__all__: list[str] = []
