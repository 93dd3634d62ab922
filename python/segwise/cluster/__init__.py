"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN."""

from __future__ import annotations

__all__: list[str] = []
