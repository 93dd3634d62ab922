"""Clustering customers into segments: KMeans, MiniBatchKMeans and DBSCAN."""

from __future__ import annotations

from ._dbscan import DBSCAN

__all__: list[str] = ["DBSCAN"]
