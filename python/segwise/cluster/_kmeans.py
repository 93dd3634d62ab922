"""K-means clustering with a Rust core and scikit-learn's semantics."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, cast

import numpy as np

from .. import _core
from .._base import BaseEstimator, ClusterMixin, TransformerMixin
from .._distance import default_max_bytes
from .._validation import (
    ITERATIONS,
    N_INIT,
    Checked,
    CheckedSparse,
    Constraints,
    Fitted,
    Interval,
    StrOptions,
    check_array,
    check_fitted,
    check_magnitude,
    check_random_state,
    check_sample_weight,
    check_sparse,
    fitted_centres_unscanned,
    format_bytes,
    is_sparse,
    max_abs,
    raise_overflow,
)
from ..exceptions import (
    AllocationError,
    NonFiniteError,
    NotEnoughSamplesError,
    ShapeMismatchError,
    _convergence_warning,
)

__all__ = ["KMeans"]

_FLOATS = (np.float64, np.float32)

# The parameters KMeans and MiniBatchKMeans share (scikit-learn's _BaseKMeans).
_BASE_KMEANS_PARAMS: Constraints = {
    "n_clusters": [Interval(Integral, 1, None, closed="left")],
    "init": [StrOptions(["k-means++", "random"]), callable, "array-like"],
    "n_init": [StrOptions(["auto"]), N_INIT],
    "max_iter": [ITERATIONS],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "random_state": ["random_state"],
}


def _init_kind(init: Any) -> str:
    """Classify a validated ``init`` as 'k-means++', 'random', 'callable' or 'array'."""
    if isinstance(init, str):
        return init
    return "callable" if callable(init) else "array"


def _runs(n_init: Any, kind: str, auto_random: int) -> int:
    """Restarts: ``n_init``, or for "auto" 1 (k-means++, array) / ``auto_random``."""
    if n_init != "auto":
        return int(n_init)
    return auto_random if kind in ("random", "callable") else 1


def _centers_array(centers: Any, n_clusters: int, n_features: int, dtype: Any) -> np.ndarray:
    """Validate initial centres: a finite float array of shape (n_clusters, n_features)."""
    checked = check_array(centers, name="init", dtypes=(dtype,))
    arr = checked.values
    if arr.shape[0] != n_clusters:
        raise ShapeMismatchError(
            f"The shape of the initial centers {arr.shape} does not match the number of "
            f"clusters {n_clusters}."
        )
    if arr.shape[1] != n_features:
        raise ShapeMismatchError(
            f"The shape of the initial centers {arr.shape} does not match the number of "
            f"features of the data {n_features}."
        )
    return arr


class _KMeansPredictMixin:
    """predict/transform/score shared by :class:`KMeans` and ``MiniBatchKMeans``."""

    cluster_centers_: np.ndarray
    n_features_in_: int
    _fitted_state = {"cluster_centers_": Fitted((None, "n_features_in_"))}

    def _test_values(self, X: Any) -> tuple[np.ndarray, Checked]:
        """Validated ``X`` in the centres' dtype (one copy at most)."""
        check_fitted(self, "cluster_centers_")
        checked = check_array(X, dtypes=_FLOATS, estimator=type(self).__name__)
        self._check_features(checked, reset=False)  # type: ignore[attr-defined]
        values = checked.values
        dtype = self.cluster_centers_.dtype
        if values.dtype != dtype:
            values = values.astype(dtype)
        _check_float32_magnitude(values)
        return values, checked

    def _sparse_ok(self) -> bool:
        return True

    def _sparse_test_values(self, X: Any) -> CheckedSparse:
        """Validated sparse ``X`` as CSR with values in the centres' dtype (the sparse
        kernels work in float64 whatever the dtype, so float32 cannot overflow there)."""
        check_fitted(self, "cluster_centers_")
        dtype = self.cluster_centers_.dtype.type
        checked = check_sparse(X, dtypes=(dtype,), estimator=type(self).__name__)
        self._check_features(checked, reset=False)  # type: ignore[attr-defined]
        return checked

    def _small_input_centres(self, X: Any) -> np.ndarray | None:
        """The fitted centres when ``X`` is a small C-contiguous numpy array of their dtype
        and width, else None: the fast path of :meth:`predict` and :meth:`transform` for
        a row or a few, which skips the input funnel and the scans of the fitted state
        (about as long as the prediction itself). The Rust kernels scan ``X`` and the
        centres for NaN and infinity; on a :class:`NonFiniteError` the caller takes the
        full path, whose checks name the column or attribute."""
        centers = fitted_centres_unscanned(self, "cluster_centers_")
        if (
            centers is not None
            and type(X) is np.ndarray
            and X.dtype == centers.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and X.shape[1] == centers.shape[1]
            and X.flags.c_contiguous
            and X.shape[0] * X.shape[1] <= 4096
        ):
            _check_float32_magnitude(X)
            return centers
        return None

    def predict(self, X: Any) -> np.ndarray:
        """Index of the closest cluster centre for each sample.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            New data, with the columns seen in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32
            Index of the closest centre (the first one on ties).

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> X = np.array([[1.0, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> bool(km.predict([[0.0, 0.0]])[0] == km.labels_[0])
        True
        """
        centers = self._small_input_centres(X)
        if centers is not None:
            try:
                return _core.kmeans_predict(X, centers)
            except NonFiniteError:
                pass  # NaN or infinity in X or the centres: named by the checks below
        check_fitted(self, "cluster_centers_")
        centers = self.cluster_centers_
        if is_sparse(X):
            sparse = self._sparse_test_values(X)
            labels, _ = _core.kmeans_labels_inertia_sparse(
                *sparse.arrays, centers, shape=sparse.shape
            )
            return labels
        values, _ = self._test_values(X)
        return _core.kmeans_predict(values, self.cluster_centers_)

    def transform(self, X: Any) -> Any:
        """Distances from each sample to each cluster centre.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            New data.

        Returns
        -------
        distances : ndarray or DataFrame of shape (n_samples, n_clusters)
            Euclidean distances, in the centres' dtype; a DataFrame (same index, columns
            from :meth:`get_feature_names_out`) when ``X`` is a DataFrame. Dense also for
            sparse ``X``, as scikit-learn.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
        >>> KMeans(n_clusters=2, random_state=0).fit(X).transform(X).shape
        (4, 2)
        """
        if is_sparse(X):
            sparse = self._sparse_test_values(X)
            out = _core.kmeans_transform_sparse(
                *sparse.arrays, self.cluster_centers_, shape=sparse.shape
            )
            # a dense array (or the set_output container, without an index)
            return self._wrap_output(out, Checked(out, None, None))  # type: ignore[attr-defined]
        centers = self._small_input_centres(X)
        if centers is not None:
            try:
                out = _core.kmeans_transform(X, centers)
            except NonFiniteError:
                pass  # named by the checks below
            else:
                return self._wrap_output(out, Checked(X, None, None))  # type: ignore[attr-defined]
        values, checked = self._test_values(X)
        out = _core.kmeans_transform(values, self.cluster_centers_)
        return self._wrap_output(out, checked)  # type: ignore[attr-defined]

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of ``X`` against the fitted centres.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            New data.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        score : float
            ``-sum(w_i * ||x_i - closest centre||^2)``.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> X = np.array([[0.0], [2.0], [10.0], [12.0]])
        >>> float(KMeans(n_clusters=2, random_state=0).fit(X).score(X))
        -4.0
        """
        if is_sparse(X):
            sparse = self._sparse_test_values(X)
            weights = check_sample_weight(sample_weight, sparse.shape[0])
            _, inertia = _core.kmeans_labels_inertia_sparse(
                *sparse.arrays, self.cluster_centers_, shape=sparse.shape, sample_weight=weights
            )
            return -float(inertia)
        values, checked = self._test_values(X)
        weights = check_sample_weight(sample_weight, values.shape[0], rows=checked.index)
        _, inertia = _core.kmeans_labels_inertia(
            values, self.cluster_centers_, sample_weight=weights
        )
        return -float(inertia)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names of :meth:`transform`: ``["kmeans0", "kmeans1", ...]``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Checked against the fitted feature names; not used otherwise.

        Returns
        -------
        names : ndarray of str objects
            The class name in lower case followed by the cluster index.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> X = np.array([[0.0], [1.0], [5.0]])
        >>> KMeans(n_clusters=2, random_state=0).fit(X).get_feature_names_out().tolist()
        ['kmeans0', 'kmeans1']
        """
        check_fitted(self, "cluster_centers_")
        self._feature_names(input_features)  # type: ignore[attr-defined]
        prefix = type(self).__name__.lower()
        n_out = self.cluster_centers_.shape[0]
        return np.asarray([f"{prefix}{i}" for i in range(n_out)], dtype=object)


def _check_float32_magnitude(values: np.ndarray) -> None:
    """float32 distances overflow above about 9e18 (the inertia, summed in float64, would
    not show it): refuse such input instead of clustering it wrongly."""
    if values.dtype == np.float32:
        check_magnitude(values, "k-means' squared distances")


#: Dense ``n_clusters x n_features`` float64 buffers the sparse k-means keeps at once
#: (centres, new centres, their transposed copy, the per-cluster sums).
_SPARSE_CENTRE_BUFFERS = 4


def _check_sparse_centres(n_clusters: int, n_features: int, who: str) -> None:
    """The centres of a sparse fit are dense: refuse, before any work, a width whose
    ``n_clusters x n_features`` buffers exceed half the machine's memory."""
    nbytes = _SPARSE_CENTRE_BUFFERS * 8 * int(n_clusters) * int(n_features)
    cap = default_max_bytes()
    if nbytes > cap:
        raise AllocationError(
            f"{who} on sparse X keeps dense centres: n_clusters={n_clusters:,} x "
            f"n_features={n_features:,} would allocate {format_bytes(nbytes)} "
            f"({_SPARSE_CENTRE_BUFFERS} float64 buffers), above the cap of "
            f"{format_bytes(cap)} (half the machine's memory); drop rare columns or use "
            "fewer clusters"
        )


def _warn_if_fewer_clusters(
    labels: np.ndarray, n_clusters: int, values: np.ndarray | None = None, stacklevel: int = 3
) -> None:
    """ConvergenceWarning when fewer than ``n_clusters`` labels occur (``values``: the
    numeric data, to say when tiny magnitudes are the cause)."""
    # Exact shortcut: when a prefix already holds every label, so does the whole array
    # (saves a full-size bincount, about 1.5 ms per million labels).
    head = labels[: 1 << 16]
    if int(np.count_nonzero(np.bincount(head, minlength=n_clusters))) == n_clusters:
        return
    distinct = int(np.count_nonzero(np.bincount(labels, minlength=n_clusters)))
    if distinct < n_clusters:
        largest = max_abs(values) if values is not None and values.size else 0.0
        why = (
            f"All |values| in X are at most {largest:.3g}: their squared distances (below "
            "1e-300) lose precision or underflow to 0, so distinct points can look "
            "identical. Rescale X (e.g. with MaxAbsScaler)."
            if 0 < largest < 1e-150
            else "Possibly due to duplicate points in X."
        )
        warnings.warn(
            f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
            f"({n_clusters}). {why}",
            _convergence_warning(),
            stacklevel=stacklevel,
        )


class KMeans(  # type: ignore[misc]  # the mixins' _estimator_type narrows the base's
    _KMeansPredictMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """K-means clustering (Lloyd or Hamerly's exact accelerated algorithm) in Rust.

    scikit-learn's ``KMeans`` semantics: greedy k-means++ seeding, ``n_init`` restarts
    keeping the lowest inertia, convergence when labels stop changing or when the summed
    squared centre shift falls below ``tol`` times the mean feature variance, empty
    clusters moved to the farthest points. Unlike scikit-learn, ``labels_`` and
    ``inertia_`` are always those of the final ``cluster_centers_`` (so
    ``labels_ == predict(X)`` holds even when ``max_iter`` stops the run).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), \
default="k-means++"
        Greedy k-means++ (``2 + int(ln k)`` candidates per step, sampled in proportion to
        ``sample_weight * squared distance``); ``"random"``: ``n_clusters`` distinct rows
        drawn in proportion to ``sample_weight``; an array of initial centres (one run);
        or ``callable(X, n_clusters, random_state)`` returning centres (called once per
        restart with a ``numpy.random.RandomState``; it receives ``X`` uncentred).
    n_init : "auto" or int, default="auto"
        Restarts. ``"auto"``: 1 for ``"k-means++"`` or an array, 10 for ``"random"`` or a
        callable. With an array and ``n_init != 1`` a ``RuntimeWarning`` is issued and one
        run is made. Restarts run in parallel; the lowest inertia wins (the earliest on
        ties). At most 10,000.
    max_iter : int, default=300 (at most 10,000,000)
        Maximum iterations per run.
    tol : float, default=1e-4
        Relative tolerance on the summed squared centre shift (scaled by the mean
        per-feature variance of ``X``).
    verbose : int, default=0
        Accepted for scikit-learn compatibility; nothing is printed.
    random_state : int, numpy RandomState/Generator or None, default=None
        Seed of the restarts' random streams (one independent stream per restart, so
        results do not depend on the number of threads).
    copy_x : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified either way.
    algorithm : {"auto", "lloyd", "hamerly", "elkan"}, default="auto"
        ``"lloyd"`` computes every distance every iteration; ``"hamerly"`` keeps distance
        bounds to skip samples that cannot change cluster and gives the same result from
        the same start (up to floating-point ties); ``"elkan"`` is accepted as an alias of
        ``"hamerly"``. ``"auto"`` picks ``"hamerly"`` unless ``n_clusters == 1``: measured
        3-7x faster than ``"lloyd"`` on runs of more than a few iterations and about 25%
        faster on short ones. On scipy sparse ``X`` every choice runs Lloyd's algorithm
        (there is no sparse Hamerly kernel; the result from the same start is the same).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres, in the dtype of ``X`` (float32 stays float32).
    labels_ : ndarray of shape (n_samples,), dtype int32
        Closest final centre of each training sample.
    inertia_ : float
        Weighted sum of squared distances of the samples to their centre.
    n_iter_ : int
        Iterations of the best run.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit`` (DataFrame input only).

    Notes
    -----
    scipy sparse input (CSR; CSC, COO and sparse arrays are converted to CSR once) is
    clustered without densifying it: distances use ``||x||^2 - 2 x.c + ||c||^2`` over the
    stored values only, as scikit-learn's sparse k-means, in float64 also for float32
    data. k-means++ on a sparse matrix picks the same initial rows as on its dense copy
    for the same ``random_state``.

    Sums of points and the inertia are accumulated in float64 also for float32 input.
    The work runs on rayon's thread pool (``RAYON_NUM_THREADS``); results are
    bit-identical for any number of threads. Forking a process after the pool has
    started can deadlock: use the "spawn" start method with multiprocessing.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.cluster import KMeans
    >>> X = np.array([[1.0, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> bool(km.labels_[0] != km.labels_[3])
    True
    >>> float(km.inertia_)
    16.0
    """

    _preserves_dtype = ("float64", "float32")
    _parameter_constraints: Constraints = {
        **_BASE_KMEANS_PARAMS,
        "copy_x": ["boolean"],
        "algorithm": [StrOptions(["auto", "lloyd", "elkan", "hamerly"])],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | Callable[..., Any] | Any = "k-means++",
        n_init: str | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: Any = None,
        copy_x: bool = True,
        algorithm: str = "auto",
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm

    def _validated_params(self) -> tuple[int, str, int, int, float, str]:
        """(n_clusters, init kind, restarts, max_iter, tol, algorithm), validated."""
        p = self._validate_params()
        kind = _init_kind(p["init"])
        runs = _runs(p["n_init"], kind, auto_random=10)
        return p["n_clusters"], kind, runs, p["max_iter"], p["tol"], p["algorithm"]

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            Training data; float32 is kept as float32, everything else becomes float64.
            A sparse matrix is never densified (see Notes of :class:`KMeans`).
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (not all zero). Used by the seeding ("k-means++",
            "random"), the centre updates and the inertia.

        Returns
        -------
        self : KMeans
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
        >>> KMeans(n_clusters=2, random_state=0).fit(X).n_iter_ >= 1
        True
        """
        n_clusters, kind, runs, max_iter, tol, algorithm = self._validated_params()
        if is_sparse(X):
            return self._fit_sparse(X, sample_weight, n_clusters, kind, runs, max_iter, tol)
        # The Rust fit rejects NaN/infinity in the same pass that computes the tolerance,
        # so the funnel's scan is skipped here and only run to word the error message.
        checked = check_array(
            X, dtypes=_FLOATS, estimator=type(self).__name__, check_finite=kind == "callable"
        )
        self._check_features(checked, reset=True)
        values = checked.values
        _check_float32_magnitude(values)
        n_samples, n_features = values.shape
        if n_samples < n_clusters:
            raise NotEnoughSamplesError(
                f"n_samples={n_samples} should be >= n_clusters={n_clusters}."
            )
        weights = check_sample_weight(sample_weight, n_samples, rows=checked.index)
        seed = check_random_state(self.random_state)

        init_centers, runs = self._start_centers(
            lambda: values, kind, runs, n_clusters, n_features, values.dtype, seed
        )

        try:
            centers, labels, inertia, n_iter = _core.kmeans_fit(
                values,
                sample_weight=weights,
                n_clusters=n_clusters,
                init=kind if kind in ("k-means++", "random") else "k-means++",
                init_centers=init_centers,
                n_init=runs,
                max_iter=max_iter,
                tol=tol,
                algorithm=algorithm,
                seed=seed,
            )
        except NonFiniteError:
            check_array(X, dtypes=_FLOATS, estimator=type(self).__name__)  # names columns
            raise
        return self._store_fit(centers, labels, inertia, n_iter, values)

    def _fit_sparse(
        self,
        X: Any,
        sample_weight: Any,
        n_clusters: int,
        kind: str,
        runs: int,
        max_iter: int,
        tol: float,
    ) -> KMeans:
        """:meth:`fit` on a scipy sparse matrix: one CSR conversion at most, no densifying."""
        checked = check_sparse(X, dtypes=_FLOATS, estimator=type(self).__name__)
        self._check_features(checked, reset=True)
        n_samples, n_features = checked.shape
        if n_samples < n_clusters:
            raise NotEnoughSamplesError(
                f"n_samples={n_samples} should be >= n_clusters={n_clusters}."
            )
        _check_sparse_centres(n_clusters, n_features, type(self).__name__)
        weights = check_sample_weight(sample_weight, n_samples)
        seed = check_random_state(self.random_state)
        init_centers, runs = self._start_centers(
            lambda: checked.rebuild(checked.data),
            kind,
            runs,
            n_clusters,
            n_features,
            checked.dtype,
            seed,
        )
        centers, labels, inertia, n_iter = _core.kmeans_fit_sparse(
            *checked.arrays,
            shape=checked.shape,
            sample_weight=weights,
            n_clusters=n_clusters,
            init=kind if kind in ("k-means++", "random") else "k-means++",
            init_centers=init_centers,
            n_init=runs,
            max_iter=max_iter,
            tol=tol,
            seed=seed,
        )
        return self._store_fit(centers, labels, inertia, n_iter, checked.data)

    def _store_fit(
        self, centers: np.ndarray, labels: np.ndarray, inertia: float, n_iter: int, values: Any
    ) -> KMeans:
        """Check the fit (an overflowed inertia, fewer distinct labels than clusters; for
        both, ``values`` are the data or the sparse matrix's stored values) and store it."""
        n_clusters = centers.shape[0]
        if not np.isfinite(inertia):
            raise_overflow(values, "the k-means inertia")
        _warn_if_fewer_clusters(labels, n_clusters, values, stacklevel=4)
        self.cluster_centers_ = centers
        self._n_features_out = n_clusters
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        return self

    def _start_centers(
        self,
        data: Callable[[], Any],
        kind: str,
        runs: int,
        n_clusters: int,
        n_features: int,
        dtype: Any,
        seed: int,
    ) -> tuple[np.ndarray | None, int]:
        """Initial centres ``(runs, n_clusters, n_features)`` from an array or a callable
        ``init`` (``data()`` gives what the callable receives), and the restart count."""
        if kind == "array":
            if runs != 1:
                warnings.warn(
                    "Explicit initial center position passed: performing only one init in "
                    f"{type(self).__name__} instead of n_init={runs}.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return _centers_array(self.init, n_clusters, n_features, dtype)[None], 1
        if kind == "callable":
            rng = np.random.RandomState(seed % (2**32))
            X = data()
            centers = [
                _centers_array(
                    cast(Callable[..., Any], self.init)(X, n_clusters, random_state=rng),
                    n_clusters,
                    n_features,
                    dtype,
                )
                for _ in range(runs)
            ]
            return np.stack(centers), runs
        return None, runs

    def fit_predict(  # type: ignore[override]  # scikit-learn's signature
        self, X: Any, y: Any = None, sample_weight: Any = None
    ) -> np.ndarray:
        """Fit and return ``labels_``.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            Training data.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> X = np.array([[0.0], [0.5], [9.0], [9.5]])
        >>> labels = KMeans(n_clusters=2, random_state=0).fit_predict(X)
        >>> bool(labels[0] == labels[1] and labels[2] == labels[3])
        True
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(  # type: ignore[override]  # scikit-learn's signature
        self, X: Any, y: Any = None, sample_weight: Any = None
    ) -> Any:
        """Fit, then return the distances of ``X`` to the centres (see :meth:`transform`).

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            Training data.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        distances : ndarray or DataFrame of shape (n_samples, n_clusters)

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMeans
        >>> X = np.array([[0.0], [0.5], [9.0], [9.5]])
        >>> KMeans(n_clusters=2, random_state=0).fit_transform(X).shape
        (4, 2)
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)
