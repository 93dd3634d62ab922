"""Mini-batch k-means with a Rust core and scikit-learn's semantics."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, NamedTuple, cast

import numpy as np

from .. import _core
from .._base import BaseEstimator, ClusterMixin, TransformerMixin
from .._validation import (
    Checked,
    CheckedSparse,
    Constraints,
    Interval,
    check_array,
    check_random_state,
    check_sample_weight,
    check_sparse,
    is_sparse,
    raise_overflow,
)
from ..exceptions import NotEnoughSamplesError
from ._kmeans import (
    _BASE_KMEANS_PARAMS,
    _FLOATS,
    _centers_array,
    _check_float32_magnitude,
    _check_sparse_centres,
    _init_kind,
    _KMeansPredictMixin,
    _runs,
    _warn_if_fewer_clusters,
)

__all__ = ["MiniBatchKMeans"]


class MiniBatchKMeans(  # type: ignore[misc]  # the mixins' _estimator_type narrows the base's
    _KMeansPredictMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Mini-batch k-means (scikit-learn's ``MiniBatchKMeans`` semantics, Rust core).

    Each step draws ``batch_size`` rows (with replacement, in proportion to
    ``sample_weight``), assigns them to the closest centre and moves each centre towards
    the mean of its rows with a per-centre learning rate ``1 / accumulated weight``.
    Centres whose accumulated weight falls below ``reassignment_ratio`` times the largest
    are moved onto random batch rows. Stops after ``max_iter`` passes over the data, or
    when the exponentially weighted average of the batch inertia has not improved for
    ``max_no_improvement`` steps, or (``tol > 0``) when the centres move less than ``tol``
    times the mean feature variance. The random streams are segwise's own: results are
    comparable to scikit-learn's in quality but not equal draw for draw.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"}, callable or array-like, default="k-means++"
        As in :class:`KMeans`; run on ``init_size`` rows drawn at random.
    max_iter : int, default=100
        Maximum passes over the data (at most 10,000,000).
    batch_size : int, default=1024
        Rows per mini-batch (capped at the number of rows).
    verbose : int, default=0
        Accepted for scikit-learn compatibility; nothing is printed.
    compute_labels : bool, default=True
        Label every row (and compute the exact inertia) once the centres are found.
    random_state : int, numpy RandomState/Generator or None, default=None
        Seed of the random streams.
    tol : float, default=0.0
        Relative tolerance on the squared centre change of a step (0 disables it).
    max_no_improvement : int or None, default=10
        Steps without improvement of the smoothed inertia before stopping (None: never).
    init_size : int or None, default=None
        Rows used to initialise: ``3 * batch_size`` by default (at least
        ``3 * n_clusters``), capped at the number of rows.
    n_init : "auto" or int, default="auto"
        Initialisations compared on a validation sample of ``init_size`` rows (only the
        best is refined). ``"auto"``: 1 for "k-means++" or an array, 3 for "random" or a
        callable. At most 10,000.
    reassignment_ratio : float, default=0.01
        Fraction of the largest accumulated weight below which a centre is reassigned.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres, in the dtype of ``X``.
    labels_ : ndarray of shape (n_samples,), dtype int32
        Closest centre of each row (when ``compute_labels``).
    inertia_ : float
        Weighted inertia of the training rows (estimated from the smoothed batch inertia
        when ``compute_labels=False``).
    n_iter_ : int
        Passes over the data.
    n_steps_ : int
        Mini-batches processed.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit`` (DataFrame input only).

    Notes
    -----
    scipy sparse input (CSR; other formats converted to CSR once) is never densified: each
    mini-batch is copied out as a small CSR matrix and compared with the dense centres by
    ``||x||^2 - 2 x.c + ||c||^2`` over its stored values. The random streams are the dense
    path's, so a sparse matrix and its dense copy give the same batches and, up to
    rounding, the same centres.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.cluster import MiniBatchKMeans
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(20, 1, (500, 2))])
    >>> mbk = MiniBatchKMeans(n_clusters=2, batch_size=256, random_state=0).fit(X)
    >>> sorted(int(round(c)) for c in mbk.cluster_centers_[:, 0])
    [0, 20]
    >>> mbk.partial_fit(X[:100]).n_steps_ > 1
    True
    """

    _preserves_dtype = ("float64", "float32")
    _parameter_constraints: Constraints = {
        **_BASE_KMEANS_PARAMS,
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(Integral, 0, None, closed="left"), None],
        "init_size": [Interval(Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | Callable[..., Any] | Any = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        verbose: int = 0,
        compute_labels: bool = True,
        random_state: Any = None,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: str | int = "auto",
        reassignment_ratio: float = 0.01,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio

    def _validated_params(self) -> dict[str, Any]:
        """The validated parameters, plus the init ``kind`` ('k-means++', 'random',
        'callable' or 'array')."""
        p = self._validate_params()
        p["kind"] = _init_kind(p["init"])
        return p

    def _init_size(self, p: dict[str, Any], n_samples: int) -> int:
        """scikit-learn's init_size rule (with its RuntimeWarning for a too small value)."""
        batch = min(p["batch_size"], n_samples)
        k = p["n_clusters"]
        size = p["init_size"]
        if size is None:
            size = 3 * batch if 3 * batch >= k else 3 * k
        elif size < k:
            warnings.warn(
                f"init_size={size} should be larger than n_clusters={k}. Setting it to "
                "min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            size = 3 * k
        return int(min(size, n_samples))

    def _init_centers(
        self,
        p: dict[str, Any],
        values: np.ndarray | CheckedSparse,
        runs: int,
        seed: int,
        init_size: int,
    ) -> tuple[np.ndarray | None, int]:
        """Initial centres for the array/callable inits (None for the built-in ones); a
        callable receives sparse input as a CSR matrix (rows sampled from it)."""
        k, kind = p["n_clusters"], p["kind"]
        n, d = values.shape
        if kind == "array":
            if runs != 1:
                warnings.warn(
                    "Explicit initial center position passed: performing only one init in "
                    f"{type(self).__name__} instead of n_init={runs}.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return _centers_array(self.init, k, d, values.dtype)[None], 1
        if kind == "callable":
            rows: Any = values.rebuild(values.data) if isinstance(values, CheckedSparse) else values
            rng = np.random.RandomState(seed % (2**32))
            init_fn = cast(Callable[..., Any], self.init)
            inits = []
            for _ in range(runs):
                subset = rows[rng.randint(0, n, init_size)] if init_size < n else rows
                centers = init_fn(subset, k, random_state=rng)
                inits.append(_centers_array(centers, k, d, values.dtype))
            return np.stack(inits), runs
        return None, runs

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Compute the centres from mini-batches of ``X``.

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            Training data; float32 is kept as float32. A sparse matrix is never densified:
            each batch is copied out of it as a small CSR matrix.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights: rows are drawn into batches in proportion to them.

        Returns
        -------
        self : MiniBatchKMeans
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import MiniBatchKMeans
        >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
        >>> MiniBatchKMeans(n_clusters=2, random_state=0).fit(X).n_steps_ >= 1
        True
        """
        p = self._validated_params()
        values, checked, data = _checked_input(X, type(self).__name__)
        self._check_features(checked, reset=True)
        n_samples = values.shape[0]
        k = p["n_clusters"]
        if n_samples < k:
            raise NotEnoughSamplesError(f"n_samples={n_samples} should be >= n_clusters={k}.")
        if not isinstance(values, np.ndarray):
            _check_sparse_centres(k, values.shape[1], type(self).__name__)
        weights = check_sample_weight(sample_weight, n_samples, rows=checked.index)
        seed = check_random_state(self.random_state)
        init_size = self._init_size(p, n_samples)
        runs = _runs(p["n_init"], p["kind"], auto_random=3)
        init_centers, runs = self._init_centers(p, values, runs, seed, init_size)
        fit = _core.minibatch_fit if isinstance(values, np.ndarray) else _core.minibatch_fit_sparse
        centers, counts, labels, inertia, n_steps, n_iter, n_since = fit(
            *data.args,
            **data.kwargs,
            sample_weight=weights,
            n_clusters=k,
            init=p["kind"] if p["kind"] in ("k-means++", "random") else "k-means++",
            init_centers=init_centers,
            n_init=runs,
            max_iter=p["max_iter"],
            batch_size=p["batch_size"],
            tol=p["tol"],
            max_no_improvement=p["max_no_improvement"],
            init_size=init_size,
            reassignment_ratio=p["reassignment_ratio"],
            compute_labels=p["compute_labels"],
            seed=seed,
        )
        if not (np.isfinite(inertia) and np.isfinite(centers).all()):
            raise_overflow(data.values, "the mini-batch k-means inertia")
        if labels is not None:
            _warn_if_fewer_clusters(labels, k, data.values)
            self.labels_ = labels
        self.cluster_centers_ = centers
        self._n_features_out = k
        self.inertia_ = float(inertia)
        self.n_steps_ = int(n_steps)
        self.n_iter_ = int(n_iter)
        self._counts = counts
        self._n_since_last_reassign = int(n_since)
        self._seed = seed
        return self

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Update the centres with one mini-batch ``X`` (initialising on the first call).

        Parameters
        ----------
        X : array-like, DataFrame or scipy sparse matrix of shape (n_samples, n_features)
            The mini-batch.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights of the batch rows.

        Returns
        -------
        self : MiniBatchKMeans
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import MiniBatchKMeans
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(9, 1, (200, 2))])
        >>> mbk = MiniBatchKMeans(n_clusters=2, random_state=0)
        >>> for batch in np.array_split(rng.permutation(X), 4):
        ...     mbk = mbk.partial_fit(batch)
        >>> mbk.n_steps_
        4
        """
        p = self._validated_params()
        has_centers = hasattr(self, "cluster_centers_")
        dtype = self.cluster_centers_.dtype if has_centers else None
        values, checked, data = _checked_input(X, type(self).__name__, dtype)
        self._check_features(checked, reset=not has_centers)
        n_samples = values.shape[0]
        weights = check_sample_weight(sample_weight, n_samples, rows=checked.index)
        if not has_centers:
            k = p["n_clusters"]
            if n_samples < k:
                raise NotEnoughSamplesError(f"n_samples={n_samples} should be >= n_clusters={k}.")
            if not isinstance(values, np.ndarray):
                _check_sparse_centres(k, values.shape[1], type(self).__name__)
            seed = check_random_state(self.random_state)
            init_size = self._init_size(p, n_samples)
            init_centers, _ = self._init_centers(p, values, 1, seed, init_size)
            init_fn = (
                _core.minibatch_init_centers
                if isinstance(values, np.ndarray)
                else _core.minibatch_init_centers_sparse
            )
            centers = init_fn(
                *data.args,
                **data.kwargs,
                sample_weight=weights,
                n_clusters=k,
                init=p["kind"] if p["kind"] in ("k-means++", "random") else "k-means++",
                init_centers=init_centers,
                init_size=init_size,
                seed=seed,
            )
            self._counts = np.zeros(k)
            self._n_since_last_reassign = 0
            self._seed = seed
            self.n_steps_ = 0
        else:
            centers = self.cluster_centers_
        step = (
            _core.minibatch_partial_step
            if isinstance(values, np.ndarray)
            else _core.minibatch_partial_step_sparse
        )
        centers, counts, n_since = step(
            *data.args,
            **data.kwargs,
            sample_weight=weights,
            centers=centers,
            counts=self._counts,
            n_since_last_reassign=self._n_since_last_reassign,
            reassignment_ratio=p["reassignment_ratio"],
            seed=self._seed,
            step_index=self.n_steps_,
        )
        self.cluster_centers_ = centers
        self._counts = counts
        self._n_since_last_reassign = int(n_since)
        self._n_features_out = centers.shape[0]
        if self.compute_labels:
            if isinstance(values, np.ndarray):
                labels, inertia = _core.kmeans_labels_inertia(
                    values, centers, sample_weight=weights
                )
            else:
                labels, inertia = _core.kmeans_labels_inertia_sparse(
                    *values.arrays, centers, shape=values.shape, sample_weight=weights
                )
            if not np.isfinite(inertia):
                raise_overflow(data.values, "the mini-batch k-means inertia")
            self.labels_ = labels
            self.inertia_ = float(inertia)
        self.n_steps_ = getattr(self, "n_steps_", 0) + 1
        return self

    def fit_predict(  # type: ignore[override]  # scikit-learn's signature
        self, X: Any, y: Any = None, sample_weight: Any = None
    ) -> np.ndarray:
        """Fit and return the label of each row (``predict(X)`` if ``compute_labels=False``).

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
        >>> from segwise.cluster import MiniBatchKMeans
        >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
        >>> MiniBatchKMeans(n_clusters=2, random_state=0).fit_predict(X).shape
        (4,)
        """
        self.fit(X, sample_weight=sample_weight)
        if self.compute_labels:
            return self.labels_
        return self.predict(X)

    def fit_transform(  # type: ignore[override]  # scikit-learn's signature
        self, X: Any, y: Any = None, sample_weight: Any = None
    ) -> Any:
        """Fit, then return the distances of ``X`` to the centres.

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
        >>> from segwise.cluster import MiniBatchKMeans
        >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
        >>> MiniBatchKMeans(n_clusters=2, random_state=0).fit_transform(X).shape
        (4, 2)
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)


class _CoreInput(NamedTuple):
    """How a validated input is handed to the Rust kernels: positional ``args`` and
    keyword ``kwargs`` (the CSR arrays and ``shape`` for sparse input) and the stored
    ``values`` (for overflow messages)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    values: np.ndarray


def _checked_input(
    X: Any, who: str, dtype: Any = None
) -> tuple[np.ndarray | CheckedSparse, Checked | CheckedSparse, _CoreInput]:
    """``X`` through the input funnel (scipy sparse stays sparse, converted to CSR at most
    once), in ``dtype`` when given (the fitted centres' dtype)."""
    if is_sparse(X):
        dtypes = _FLOATS if dtype is None else (np.dtype(dtype).type,)
        sparse = check_sparse(X, dtypes=dtypes, estimator=who)
        return sparse, sparse, _CoreInput(sparse.arrays, {"shape": sparse.shape}, sparse.data)
    checked = check_array(X, dtypes=_FLOATS, estimator=who)
    values = checked.values
    if dtype is not None and values.dtype != dtype:
        values = values.astype(dtype)
    _check_float32_magnitude(values)
    return values, checked, _CoreInput((values,), {}, values)
