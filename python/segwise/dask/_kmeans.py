"""k-means on dask collections: k-means|| seeding and Lloyd steps from partial statistics."""

from __future__ import annotations

import warnings
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .._dask import (
    aligned,
    as_blocks,
    block_values,
    compute,
    core_call,
    fitted_blocks,
    is_dask_collection,
    lazy_rows,
    require_dask,
    tree_reduce,
    weight_blocks,
)
from .._validation import (
    ITERATIONS,
    Constraints,
    Interval,
    StrOptions,
    check_array,
    check_fitted,
    check_random_state,
)
from ..cluster import KMeans as _InMemoryKMeans
from ..exceptions import (
    ConvergenceWarning,
    InvalidWeightsError,
    NotEnoughSamplesError,
    ShapeMismatchError,
    _convergence_warning,
)

__all__ = ["KMeans"]

_FLOATS = (np.float64, np.float32)
# Random streams of the seeding (one per use of the counter-based generator).
_STREAM_FIRST, _STREAM_RANDOM, _STREAM_TOP_UP = 1 << 40, 2 << 40, 3 << 40


# ---------------------------------------------------------------- tasks (run on workers)


def _convert(part: Any, index: int, dtype: Any) -> np.ndarray:
    """Partition ``index`` as a finite C-contiguous array (errors name the partition)."""
    from ..exceptions import SegwiseError

    try:
        return aligned(block_values(part, dtypes=(dtype,), allow_nan=False))  # type: ignore[no-any-return]
    except SegwiseError as err:
        raise type(err)(f"partition {index} of X: {err}") from None


def _first_pass(values: np.ndarray) -> tuple[int, np.ndarray]:
    return values.shape[0], core_call("kmeans_partition_moments", values)


def _weight_total(w: np.ndarray | None, index: int) -> float:
    if w is None:
        return 0.0
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise InvalidWeightsError(
            f"partition {index} of sample_weight: {int(bad.sum())} of {w.shape[0]} weights "
            "are negative or not finite"
        )
    return float(w.sum())


def _lloyd(values: np.ndarray, centers: np.ndarray, w: np.ndarray | None) -> Any:
    return core_call("kmeans_lloyd_partial", values, centers, sample_weight=w)


def _add_lloyd(a: Any, b: Any) -> Any:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def _inertia(values: np.ndarray, centers: np.ndarray, w: np.ndarray | None) -> Any:
    if values.shape[0] == 0:
        return 0.0, np.zeros(centers.shape[0])
    if w is not None and not w.sum() > 0:  # a partition of zero weight adds no inertia
        labels, inertia = core_call("kmeans_predict", values, centers), 0.0
    else:
        labels, inertia = core_call("kmeans_labels_inertia", values, centers, sample_weight=w)
    return inertia, np.bincount(labels, minlength=centers.shape[0]).astype(np.float64)


def _add_pairs(a: Any, b: Any) -> Any:
    return a[0] + b[0], a[1] + b[1]


def _predict_block(part: Any, centers: np.ndarray, index_out: bool) -> Any:
    values = block_values(part, dtypes=(centers.dtype,), allow_nan=False) if len(part) else None
    labels = (
        core_call("kmeans_predict", values, centers)
        if values is not None
        else np.empty(0, np.int32)
    )
    if index_out:
        return pd.Series(labels, index=part.index, name="segment")
    return labels


def _transform_block(part: Any, centers: np.ndarray, columns: list[str] | None) -> Any:
    k = centers.shape[0]
    if len(part):
        values = block_values(part, dtypes=(centers.dtype,), allow_nan=False)
        out = core_call("kmeans_transform", values, centers)
    else:
        out = np.empty((0, k), dtype=centers.dtype)
    if columns is not None:
        return pd.DataFrame(out, index=part.index, columns=columns)
    return out


# ---------------------------------------------------------------- the estimator


class _LazyCentres:
    """predict / transform / score of a fitted dask k-means: lazy (``map_partitions``) for
    dask input, the in-memory estimator's for anything else."""

    cluster_centers_: np.ndarray
    fit: Any
    get_feature_names_out: Any

    def predict(self, X: Any) -> Any:
        """Index of the closest centre of each row, lazily for dask input.

        Parameters
        ----------
        X : dask DataFrame / Array, or in-memory array-like
            A dask DataFrame gives a dask Series ``"segment"`` on its index; a dask Array a
            dask Array of int32; anything else the in-memory result.

        Returns
        -------
        labels : dask Series, dask Array or ndarray

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import KMeans
        >>> X = da.from_array(np.array([[0.0], [0.5], [9.0], [9.5]]), chunks=2)
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> bool((km.predict(X).compute() == km.labels_.compute()).all())
        True
        """
        if not is_dask_collection(X):
            return super().predict(X)  # type: ignore[misc]  # the in-memory estimator after it
        check_fitted(self, "cluster_centers_")
        blocks = fitted_blocks(self, X)
        centers = self.cluster_centers_
        if blocks.frame is not None:
            meta = pd.Series(np.empty(0, np.int32), name="segment")
            return lazy_rows(blocks, _predict_block, meta, centers=centers, index_out=True)
        return lazy_rows(
            blocks, _predict_block, np.empty(0, np.int32), centers=centers, index_out=False
        )

    def transform(self, X: Any) -> Any:
        """Distances of each row to each centre, lazily for dask input.

        Parameters
        ----------
        X : dask DataFrame / Array, or in-memory array-like

        Returns
        -------
        dask DataFrame (columns ``kmeans0, ...``, the input's index), dask Array, or the
        in-memory result.

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import KMeans
        >>> X = da.from_array(np.array([[0.0], [0.5], [9.0], [9.5]]), chunks=2)
        >>> KMeans(n_clusters=2, random_state=0).fit(X).transform(X).shape[1]
        2
        """
        if not is_dask_collection(X):
            return super().transform(X)  # type: ignore[misc]
        check_fitted(self, "cluster_centers_")
        blocks = fitted_blocks(self, X)
        centers = self.cluster_centers_
        k = centers.shape[0]
        if blocks.frame is not None:
            names = [str(c) for c in self.get_feature_names_out()]
            meta = pd.DataFrame(np.empty((0, k), centers.dtype), columns=names)
            return lazy_rows(blocks, _transform_block, meta, centers=centers, columns=names)
        return lazy_rows(
            blocks, _transform_block, np.empty((0, k), centers.dtype), centers=centers, columns=None
        )

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:  # type: ignore[override]
        """Fit, then return ``labels_`` (lazy for dask input).

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored
        sample_weight : optional

        Returns
        -------
        labels : dask Series or dask Array

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import KMeans
        >>> X = da.from_array(np.array([[0.0], [0.5], [9.0], [9.5]]), chunks=2)
        >>> labels = KMeans(n_clusters=2, random_state=0).fit_predict(X).compute()
        >>> bool(labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2])
        True
        """
        self.fit(X, sample_weight=sample_weight)
        if hasattr(self, "labels_"):
            return self.labels_
        return self.predict(X)

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:  # type: ignore[override]
        """Fit, then return the (lazy) distances of ``X`` to the centres.

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored
        sample_weight : optional

        Returns
        -------
        dask DataFrame or dask Array

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import KMeans
        >>> X = da.from_array(np.array([[0.0], [0.5], [9.0], [9.5]]), chunks=2)
        >>> KMeans(n_clusters=2, random_state=0).fit_transform(X).compute().shape
        (4, 2)
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the weighted inertia of ``X`` (computed for dask input).

        Parameters
        ----------
        X : dask DataFrame / Array, or in-memory array-like
        y : ignored
        sample_weight : optional

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import KMeans
        >>> X = da.from_array(np.array([[0.0], [2.0], [10.0], [12.0]]), chunks=2)
        >>> KMeans(n_clusters=2, random_state=0).fit(X).score(X)
        -4.0
        """
        if not is_dask_collection(X):
            return super().score(X, sample_weight=sample_weight)  # type: ignore[misc]
        dask = require_dask()
        check_fitted(self, "cluster_centers_")
        blocks = fitted_blocks(self, X)
        centers = self.cluster_centers_
        values = [
            dask.delayed(_convert, pure=True)(part, i, centers.dtype)
            for i, part in enumerate(blocks.parts)
        ]
        lengths = compute(*[dask.delayed(len)(v) for v in values])
        weights = weight_blocks(sample_weight, lengths)
        inertia, _ = compute(
            tree_reduce(
                [
                    dask.delayed(_inertia, pure=True)(v, centers, w)
                    for v, w in zip(values, weights, strict=True)
                ],
                _add_pairs,
            )
        )[0]
        return -float(inertia)


class KMeans(_LazyCentres, _InMemoryKMeans):  # type: ignore[misc]
    """k-means on a dask DataFrame or Array: k-means|| seeding, then Lloyd's iterations.

    The same parameters and fitted attributes as :class:`segwise.cluster.KMeans`, for data
    that does not fit on one machine (Parquet on object storage, a ``distributed``
    cluster) or that is already a dask collection. Each iteration is one pass over the
    partitions: a Rust kernel returns each partition's per-cluster sums, weights and cost,
    the partials are merged in a fixed tree on the workers and only the ``(k, d)`` sums
    reach the client. The converted float blocks are persisted for the iterations (on the
    workers with a ``distributed.Client``) and released after ``fit``.

    **Same numbers as in memory**: from the same initial centres (``init=`` an array) the
    centres equal :class:`segwise.cluster.KMeans`'s within ~1e-15 relative (partial sums
    merge in another order than in memory's row groups), with the same ``n_iter_``, the
    same relocation of empty clusters and the same tolerance, whatever the partitioning.

    **Seeding** (``init="k-means||"``, Bahmani et al. 2012 as Spark MLlib runs it): one row
    drawn in proportion to ``sample_weight``; then ``init_max_iter`` rounds, each drawing
    every row independently with probability ``min(1, l * w * d^2 / cost)`` (``l =
    oversampling_factor * n_clusters``, ``d`` the distance to the candidates so far), in
    one pass per round; the candidates are weighted by the weight of the rows closest to
    them and reduced to ``n_clusters`` centres by segwise's in-memory weighted k-means++
    and k-means. Every random number is a function of ``random_state``, the round and the
    row's position in ``X``, so the seeding does not depend on the partitioning either.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means||", "random"} or array-like of shape (n_clusters, n_features), \
default="k-means||"
        ``"random"``: ``n_clusters`` distinct rows drawn in proportion to the weights.
    n_init : "auto" or int, default="auto"
        Restarts (each a full seeding and fit; the lowest inertia wins). ``"auto"``: 1. At
        most 10,000.
    max_iter : int, default=300
        Maximum Lloyd iterations (at most 10,000,000).
    tol : float, default=1e-4
        Relative tolerance on the summed squared centre shift (scaled by the mean feature
        variance, as in memory).
    verbose : int, default=0
        Accepted for compatibility; progress is dask's own (the dashboard of a
        ``distributed.Client``, or ``dask.diagnostics.ProgressBar``).
    random_state : int, numpy RandomState/Generator or None, default=None
        Seed of the seeding.
    copy_x : bool, default=True
        Accepted for compatibility; ``X`` is never modified.
    algorithm : {"auto", "lloyd", "hamerly", "elkan"}, default="auto"
        Accepted for compatibility: the distributed iteration is always Lloyd's (see
        Notes). In memory every choice gives the same labels from the same start, so the
        result does not depend on it.
    init_max_iter : int, default=2
        k-means|| rounds (Spark's ``initializationSteps``).
    oversampling_factor : float, default=2.0
        Expected candidates per round, in multiples of ``n_clusters``.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : dask Array or dask Series
        Closest centre of each row, lazy (``predict(X)`` on the training data).
    inertia_ : float
        Weighted sum of squared distances to the final centres.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray
        DataFrame input only.

    Notes
    -----
    **Why Lloyd and not Hamerly's bounds.** Hamerly's algorithm (the in-memory
    ``"auto"``) keeps state per row between iterations: a label, an upper and a lower
    bound, and per-cluster sums updated only by the rows that change label; in memory the
    bounds are stored relative to the centres' drift so a row its bounds settle is read
    but never written. On dask that state would be one more persisted array per partition,
    and dask's tasks are pure: an iteration cannot update it in place (a retried or
    recomputed task would see half-updated state, and a lost worker could leave a
    half-updated model), so every iteration would write a new copy of every row's state
    (12 bytes a row, about a fifth of the persisted data at 8 float64 features), keep the
    old and new copies alive while it runs, and chain each iteration's state to the
    previous one: losing a worker would replay the whole chain, and a task the scheduler
    moves to another worker would carry its state over the network. The gain is small
    where it would apply: in memory Hamerly saves ~30 % of an iteration at k = 8
    (``docs/benchmarks.md``), while a dask iteration is dominated by scheduling and the
    merge, not by distance computations; and k-means|| seeding usually leaves only a few
    iterations to run. It would also need a new per-partition Rust kernel taking and
    returning the bounds. So the distributed iteration is Lloyd's: one stateless pass over
    the persisted blocks, partial sums merged in a fixed tree, every partition recomputable
    from its source. What users get instead: the same centres as in memory (Hamerly and
    Lloyd agree from the same start), Lloyd's partial sums in Rust on every worker, and for
    data that fits on one machine the in-memory :class:`segwise.cluster.KMeans` with
    Hamerly's bounds (fit it on a sample and ``predict`` the dask collection lazily if
    only the fit must be small).

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from segwise.dask import KMeans
    >>> rng = np.random.default_rng(0)
    >>> X = da.from_array(np.vstack([rng.normal(0, 1, (500, 2)),
    ...                              rng.normal(10, 1, (500, 2))]), chunks=250)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(int(round(c)) for c in km.cluster_centers_[:, 0])
    [0, 10]
    >>> km.predict(X).compute().shape
    (1000,)
    """

    _parameter_constraints: Constraints = {
        **_InMemoryKMeans._parameter_constraints,
        "init": [StrOptions(["k-means||", "random"]), "array-like"],
        "init_max_iter": [ITERATIONS],
        "oversampling_factor": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means||",
        n_init: str | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: Any = None,
        copy_x: bool = True,
        algorithm: str = "auto",
        init_max_iter: int = 2,
        oversampling_factor: float = 2.0,
    ) -> None:
        super().__init__(
            n_clusters,
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            verbose=verbose,
            random_state=random_state,
            copy_x=copy_x,
            algorithm=algorithm,
        )
        self.init_max_iter = init_max_iter
        self.oversampling_factor = oversampling_factor

    # ------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute k-means clustering of a dask DataFrame or Array.

        Parameters
        ----------
        X : dask DataFrame or dask Array of shape (n_samples, n_features)
            Numeric; float32 is kept as float32. NaN/infinity raise
            :class:`~segwise.exceptions.NonFiniteError` naming the partition and columns.
        y : ignored
        sample_weight : dask Array/Series or array-like of shape (n_samples,), optional
            Realigned on ``X``'s partitions when partitioned differently.

        Returns
        -------
        self : KMeans

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import KMeans
        >>> X = da.from_array(np.array([[0.0], [0.5], [9.0], [9.5]]), chunks=2)
        >>> KMeans(n_clusters=2, random_state=0).fit(X).inertia_
        0.25
        """
        dask = require_dask()
        p = self._validate_params()
        k, max_iter, tol = p["n_clusters"], p["max_iter"], p["tol"]
        kind = p["init"] if isinstance(p["init"], str) else "array"
        runs = 1 if p["n_init"] == "auto" or kind == "array" else int(p["n_init"])
        if kind == "array" and p["n_init"] not in ("auto", 1):
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"KMeans instead of n_init={p['n_init']}.",
                RuntimeWarning,
                stacklevel=2,
            )
        blocks = as_blocks(X)
        dtype = _dtype(X)
        seed = check_random_state(self.random_state)
        data, moments = _persisted(blocks, sample_weight, k, dtype)
        tol_abs = core_call("kmeans_tolerance", moments, tol=tol)

        best = None
        for run in range(runs):
            run_seed = (seed + run * 0x9E3779B97F4A7C15) % (1 << 64)
            if kind == "array":
                centers = self._given_centers(p["init"], k, blocks.n_features, dtype)
            elif kind == "random":
                centers = _random_rows(data, k, run_seed, _STREAM_RANDOM)
            else:
                centers = self._kmeans_parallel(data, k, run_seed, dtype)
            centers, n_iter = _lloyd_iterations(data, centers, max_iter, tol_abs)
            inertia, counts = compute(
                tree_reduce(
                    [
                        dask.delayed(_inertia, pure=True)(v, centers, w)
                        for v, w in zip(data.values, data.weights, strict=True)
                    ],
                    _add_pairs,
                )
            )[0]
            if best is None or inertia < best[2]:
                best = (centers, n_iter, inertia, counts)
        assert best is not None
        centers, n_iter, inertia, counts = best
        _warn_if_fewer_clusters(counts, k, stacklevel=3)
        _set_features(self, blocks)
        self.cluster_centers_ = centers
        self._n_features_out = k
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.labels_ = self.predict(X)
        return self

    @staticmethod
    def _given_centers(init: Any, k: int, d: int, dtype: Any) -> np.ndarray:
        arr = check_array(init, name="init", dtypes=(dtype,)).values
        if arr.shape != (k, d):
            raise ShapeMismatchError(
                f"The shape of the initial centers {arr.shape} does not match "
                f"(n_clusters, n_features) = {(k, d)}."
            )
        return arr

    def _kmeans_parallel(self, data: _Data, k: int, seed: int, dtype: Any) -> np.ndarray:
        """k-means|| candidates, weighted, reduced locally to ``k`` centres."""
        dask = require_dask()
        centers = _random_rows(data, 1, seed, _STREAM_FIRST)
        index = list(_random_rows(data, 1, seed, _STREAM_FIRST, index_only=True))
        l_factor = float(self.oversampling_factor) * k
        for round_ in range(1, int(self.init_max_iter) + 1):
            parts = compute(
                *[
                    dask.delayed(core_call, pure=True)(
                        "kmeans_oversample_round",
                        v,
                        centers,
                        sample_weight=w,
                        oversampling=l_factor,
                        seed=seed,
                        round=round_,
                        offset=o,
                    )
                    for v, w, o in zip(data.values, data.weights, data.offsets, strict=True)
                ]
            )
            cost = 0.0
            for part in parts:
                cost += part[0]
            if not cost > 0:
                break
            idx = np.concatenate([p[1] for p in parts])
            ratio = np.concatenate([p[2] for p in parts])
            rows = np.concatenate([p[3] for p in parts])
            keep = ratio > cost
            order = np.argsort(idx[keep], kind="stable")
            centers = np.vstack([centers, rows[keep][order]])
            index += list(idx[keep][order])
        if centers.shape[0] < k:
            # Fewer candidates than clusters (few distinct rows): top up with weighted draws.
            extra_idx, extra = _random_rows(data, k, seed, _STREAM_TOP_UP, with_index=True)
            taken = set(int(i) for i in index)
            new = [j for j, i in enumerate(extra_idx) if int(i) not in taken]
            centers = np.vstack([centers, extra[new]])[: max(k, centers.shape[0])]
        sums, cand_weights, _ = compute(
            tree_reduce(
                [
                    dask.delayed(_lloyd, pure=True)(v, centers, w)
                    for v, w in zip(data.values, data.weights, strict=True)
                ],
                _add_lloyd,
            )
        )[0]
        del sums
        fitted = _InMemoryKMeans(
            n_clusters=k, init="k-means++", n_init=1, random_state=seed % (1 << 63)
        )
        if centers.shape[0] == k:
            return centers
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted.fit(centers, sample_weight=cand_weights)
        return fitted.cluster_centers_.astype(dtype)


class _Data:
    """The persisted blocks of a fit and where they sit in ``X``."""

    def __init__(
        self,
        values: list[Any],
        weights: list[Any],
        offsets: list[int],
        lengths: list[int],
        n_features: int,
    ) -> None:
        self.values, self.weights = values, weights
        self.offsets, self.lengths, self.n_features = offsets, lengths, n_features


def _dtype(X: Any) -> Any:
    """float32 when every column of ``X`` is float32, else float64 (as in memory)."""
    dtypes = list(X.dtypes) if hasattr(X, "columns") else [X.dtype]
    return np.float32 if dtypes and all(t == np.float32 for t in dtypes) else np.float64


def _persisted(blocks: Any, sample_weight: Any, k: int, dtype: Any) -> tuple[_Data, np.ndarray]:
    """Pass 1 of a fit: every partition converted and checked once and persisted for the
    passes that follow (on the workers with a client), the weights realigned and checked;
    returns the blocks and the merged per-feature moments (for the tolerance)."""
    dask = require_dask()
    values = [
        dask.delayed(_convert, pure=True)(part, i, dtype) for i, part in enumerate(blocks.parts)
    ]
    values = list(dask.persist(*values))
    firsts = compute(*[dask.delayed(_first_pass, pure=True)(v) for v in values])
    lengths = [int(n) for n, _ in firsts]
    n = sum(lengths)
    if n < k:
        raise NotEnoughSamplesError(f"n_samples={n} should be >= n_clusters={k}.")
    moments = None
    for rows, m in firsts:
        if rows:
            moments = m if moments is None else core_call("kmeans_merge_moments", moments, m)
    assert moments is not None  # n >= k >= 1 rows
    weights = weight_blocks(sample_weight, lengths)
    if sample_weight is not None:
        weights = list(dask.persist(*weights))
        totals = compute(
            *[dask.delayed(_weight_total, pure=True)(w, i) for i, w in enumerate(weights)]
        )
        if not sum(totals) > 0:
            raise InvalidWeightsError("all weights are zero")
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.uint64)
    data = _Data(values, weights, [int(o) for o in offsets], lengths, blocks.n_features)
    return data, moments


def _warn_if_fewer_clusters(counts: np.ndarray, k: int, stacklevel: int) -> None:
    """The in-memory ConvergenceWarning when fewer than ``k`` clusters got rows (from the
    merged per-cluster row counts)."""
    distinct = int(np.count_nonzero(counts))
    if distinct < k:
        warnings.warn(
            f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
            f"({k}). Possibly due to duplicate points in X.",
            _convergence_warning(),
            stacklevel=stacklevel,
        )


def _set_features(estimator: Any, blocks: Any) -> None:
    """``n_features_in_`` and (DataFrame input) ``feature_names_in_`` from ``fit``'s blocks."""
    estimator.n_features_in_ = blocks.n_features
    if blocks.columns is not None:
        estimator.feature_names_in_ = np.asarray(blocks.columns, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def _random_rows(
    data: _Data,
    k: int,
    seed: int,
    stream: int,
    *,
    index_only: bool = False,
    with_index: bool = False,
) -> Any:
    """``k`` rows drawn without replacement in proportion to the weights (largest
    Efraimidis-Spirakis keys over every partition, ties by position)."""
    dask = require_dask()
    parts = compute(
        *[
            dask.delayed(core_call, pure=True)(
                "kmeans_random_keys", v, sample_weight=w, k=k, seed=seed, stream=stream, offset=o
            )
            for v, w, o in zip(data.values, data.weights, data.offsets, strict=True)
        ]
    )
    keys = np.concatenate([p[0] for p in parts])
    index = np.concatenate([p[1] for p in parts])
    rows = np.concatenate([p[2] for p in parts])
    order = np.lexsort((index, -keys))[:k]
    if index_only:
        return index[order]
    if with_index:
        return index[order], rows[order]
    return np.ascontiguousarray(rows[order])


def _far_rows(data: _Data, centers: np.ndarray, n_far: int) -> tuple[Any, ...]:
    dask = require_dask()
    parts = compute(
        *[
            dask.delayed(core_call, pure=True)(
                "kmeans_farthest_rows", v, centers, sample_weight=w, n_far=n_far, offset=o
            )
            for v, w, o in zip(data.values, data.weights, data.offsets, strict=True)
        ]
    )
    return tuple(np.ascontiguousarray(np.concatenate([p[i] for p in parts])) for i in range(5))


def _lloyd_iterations(
    data: _Data, centers: np.ndarray, max_iter: int, tol_abs: float
) -> tuple[np.ndarray, int]:
    """Lloyd's iterations from ``centers``: one pass per iteration, partial sums merged in
    a fixed tree; stops when the summed squared shift is ``<= tol_abs`` (labels that stop
    changing give a zero shift, as in memory)."""
    dask = require_dask()
    n_iter = 0
    for it in range(max_iter):
        n_iter = it + 1
        sums, weights, _ = compute(
            tree_reduce(
                [
                    dask.delayed(_lloyd, pure=True)(v, centers, w)
                    for v, w in zip(data.values, data.weights, strict=True)
                ],
                _add_lloyd,
            )
        )[0]
        n_empty = int((weights == 0).sum())
        far = _far_rows(data, centers, n_empty) if n_empty else None
        centers, shift = core_call("kmeans_lloyd_finish", sums, weights, centers, far=far)
        if shift <= tol_abs:
            break
    return centers, n_iter
