"""k-means from partial statistics computed anywhere (Spark, Dask, SQL): one partition's
per-cluster sums and the M-step from their merge (the Rust kernels of segwise.dask)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._validation import check_array, check_sample_weight

__all__ = ["kmeans_partial_stats", "kmeans_update"]

_FLOATS = (np.float64, np.float32)


def kmeans_partial_stats(
    X: Any, centers: Any, *, sample_weight: Any = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """One partition's Lloyd statistics against ``centers``.

    Sum these over the partitions (any order, any grouping) and pass the totals to
    :func:`kmeans_update` for the next centres: one Lloyd iteration over data that never
    leaves its machines.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        One partition (may have no rows). NaN/infinity raise ``NonFiniteError``.
    centers : array-like of shape (n_clusters, n_features)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    sums : ndarray of shape (n_clusters, n_features)
        Weighted coordinate sums of the rows closest to each centre.
    weights : ndarray of shape (n_clusters,)
        Summed weights (counts when unweighted) of those rows.
    cost : float
        Weighted squared distance of the rows to their closest centre.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.cluster import kmeans_partial_stats, kmeans_update
    >>> X = np.array([[0.0], [1.0], [9.0], [11.0]])
    >>> centers = np.array([[0.0], [8.0]])
    >>> parts = [kmeans_partial_stats(X[:2], centers), kmeans_partial_stats(X[2:], centers)]
    >>> sums = sum(p[0] for p in parts)
    >>> weights = sum(p[1] for p in parts)
    >>> new, shift = kmeans_update(sums, weights, centers)
    >>> new.ravel().tolist(), shift
    ([0.5, 10.0], 4.25)
    """
    c = check_array(centers, name="centers", dtypes=(np.float64,)).values
    if len(X) == 0:
        return np.zeros_like(c), np.zeros(c.shape[0]), 0.0
    x = check_array(X, dtypes=(np.float64,), name="X").values
    w = check_sample_weight(sample_weight, x.shape[0])
    sums, weights, cost = _core.kmeans_lloyd_partial(x, c, sample_weight=w)
    return sums, weights, float(cost)


def kmeans_update(
    sums: Any, weights: Any, centers: Any, *, far: Any = None
) -> tuple[np.ndarray, float]:
    """The next centres from the summed :func:`kmeans_partial_stats` of every partition.

    Parameters
    ----------
    sums : array-like of shape (n_clusters, n_features)
    weights : array-like of shape (n_clusters,)
    centers : array-like of shape (n_clusters, n_features)
        The centres the statistics were computed against.
    far : tuple, optional
        Needed only when a cluster is empty (its weight is 0): the rows to move into it,
        as segwise's in-memory KMeans does (the farthest from their centre). A tuple of
        arrays ``(squared distance, global row index, weight, label, rows)`` over every
        partition; ``segwise.dask.KMeans`` builds it for you.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    shift : float
        Summed squared centre movement: stop when it is ``<= tol * mean feature
        variance`` (scikit-learn's rule).

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.cluster import kmeans_update
    >>> kmeans_update(np.array([[2.0], [30.0]]), np.array([2.0, 3.0]),
    ...               np.array([[0.0], [8.0]]))[0].ravel().tolist()
    [1.0, 10.0]
    """
    c = check_array(centers, name="centers", dtypes=(np.float64,)).values
    s = np.ascontiguousarray(sums, dtype=np.float64)
    w = np.ascontiguousarray(weights, dtype=np.float64)
    new, shift = _core.kmeans_lloyd_finish(s, w, c, far=far)
    return new, float(shift)
