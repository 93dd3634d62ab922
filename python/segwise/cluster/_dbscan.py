"""DBSCAN: density-based segments with noise, on linfa-clustering's implementation."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from .. import _core
from .._base import BaseEstimator, ClusterMixin
from .._validation import Constraints, Interval, check_array, check_magnitude


class DBSCAN(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Density-based clustering (DBSCAN) with scikit-learn's conventions, Euclidean.

    A sample is a *core* sample when at least ``min_samples`` samples, itself included,
    lie within distance ``eps`` (``<=``) of it. Core samples within ``eps`` of each other
    share a cluster; other samples within ``eps`` of a core sample (*border* samples) join
    its cluster; the rest is noise, labelled -1. The clustering runs in Rust with
    ``linfa_clustering::Dbscan`` (KD-tree range queries).

    Labels equal scikit-learn's ``DBSCAN(eps, min_samples)`` labels, numbering included:
    both libraries start clusters at the lowest-index unvisited core sample and grow each
    cluster completely before starting the next, so a border sample within reach of two
    clusters joins the one started first in both. Rounding can still differ for pairs at
    distance exactly ``eps`` (linfa compares squared distances with ``eps**2``).

    Parameters
    ----------
    eps : float, default=0.5
        Neighbourhood radius, > 0.
    min_samples : int, default=5
        Number of samples (the sample itself included) within ``eps`` for a core sample,
        >= 1.

    Attributes
    ----------
    labels_ : numpy.ndarray of shape (n_samples,), int32
        Cluster of each training sample, ``0 .. n_clusters - 1``, or -1 for noise.
    core_sample_indices_ : numpy.ndarray of shape (n_core_samples,), int64
        Indices of the core samples, ascending.
    components_ : numpy.ndarray of shape (n_core_samples, n_features)
        Copy of the core samples.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray of str
        Column names seen in ``fit`` (DataFrame input only).

    Notes
    -----
    ``sample_weight`` is not accepted (linfa's DBSCAN has no weights); repeat rows, or
    use ``sklearn.cluster.DBSCAN`` for weighted density. linfa's clustering pass is
    single-threaded; the core samples (which linfa does not report) are found by a second,
    parallel pass of range queries. Overall it runs at about scikit-learn's speed, not
    faster; time grows with the number of neighbours per sample, so a large ``eps`` makes
    it quadratic.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.cluster import DBSCAN
    >>> X = np.array([[1.0, 2.0], [2.0, 2.0], [2.0, 3.0], [8.0, 7.0], [8.0, 8.0], [25.0, 80.0]])
    >>> model = DBSCAN(eps=3, min_samples=2).fit(X)
    >>> model.labels_
    array([ 0,  0,  0,  1,  1, -1], dtype=int32)
    >>> model.core_sample_indices_
    array([0, 1, 2, 3, 4])
    """

    _parameter_constraints: Constraints = {
        "eps": [Interval(Real, 0, None, closed="neither")],
        "min_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, eps: float = 0.5, min_samples: int = 5) -> None:
        self.eps = eps
        self.min_samples = min_samples

    def fit(self, X: Any, y: Any = None) -> DBSCAN:
        """Cluster ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Feature matrix (float32 is computed in float64).
        y : ignored
            Present for API consistency.

        Returns
        -------
        DBSCAN
            The fitted estimator.

        Examples
        --------
        >>> from segwise.cluster import DBSCAN
        >>> DBSCAN(eps=1.5, min_samples=2).fit([[0.0], [1.0], [9.0]]).labels_
        array([ 0,  0, -1], dtype=int32)
        """
        params = self._validate_params()
        eps, min_samples = params["eps"], params["min_samples"]
        checked = check_array(X, dtypes=(np.float64,), estimator="DBSCAN")
        self._check_features(checked, reset=True)
        check_magnitude(checked.values, "DBSCAN's distances")
        labels, core = _core.dbscan_fit(checked.values, eps=eps, min_samples=min_samples)
        self.labels_ = labels
        self.core_sample_indices_ = core
        self.components_ = checked.values[core].copy()
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:  # type: ignore[override]
        """Cluster ``X`` and return ``labels_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Feature matrix.
        y : ignored
            Present for API consistency.

        Returns
        -------
        numpy.ndarray of shape (n_samples,), int32
            Cluster labels, -1 for noise.

        Examples
        --------
        >>> from segwise.cluster import DBSCAN
        >>> DBSCAN(eps=1.5, min_samples=1).fit_predict([[0.0], [1.0], [9.0]])
        array([0, 0, 1], dtype=int32)
        """
        return self.fit(X).labels_
