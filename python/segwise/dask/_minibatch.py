"""Mini-batch k-means on dask collections: the in-memory step chained over the partitions."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .._dask import as_blocks, compute, core_call, fitted_blocks, require_dask, tree_reduce
from .._validation import check_random_state
from ..cluster import MiniBatchKMeans as _InMemoryMiniBatchKMeans
from ..exceptions import NotEnoughSamplesError, SegwiseError
from ._kmeans import (
    _add_pairs,
    _convert,
    _dtype,
    _inertia,
    _LazyCentres,
    _persisted,
    _random_rows,
    _set_features,
    _warn_if_fewer_clusters,
)

__all__ = ["MiniBatchKMeans"]

# Random streams of the initialisation sample and of its validation sample.
_STREAM_INIT, _STREAM_VALIDATION = 4 << 40, 5 << 40
#: Chained partition steps per computed graph in ``fit``.
_TASKS_PER_GRAPH = 64


# ---------------------------------------------------------------- tasks (run on workers)


def _rows(part: Any, index: int, dtype: Any) -> tuple[np.ndarray, int]:
    values = _convert(part, index, dtype)
    return values, values.shape[0]


def _batch_inertia(values: np.ndarray, centers: np.ndarray, w: np.ndarray | None) -> float:
    _, inertia = core_call("kmeans_labels_inertia", values, centers, sample_weight=w)
    return float(inertia) / values.shape[0]


def _chain_step(
    state: dict[str, Any],
    values: np.ndarray,
    w: np.ndarray | None,
    index: int,
    epoch: int,
    cfg: dict[str, Any],
) -> dict[str, Any]:
    """The state after the in-memory ``partial_fit`` on partition ``index``: the whole
    partition as one batch (``cfg["batch_size"]`` None), or its rows in a seeded random
    order cut into batches, with scikit-learn's early stopping on the smoothed batch
    inertia. The input state is never modified (a task may run twice)."""
    if state["done"] or values.shape[0] == 0:
        return state  # stopped (``done`` holds the passes made), or nothing to do
    state = dict(state)
    if state["fired"] and epoch >= 1:
        state["done"] = epoch  # a rule fired in the first pass: stop at its end
        return state
    est = copy.deepcopy(state["est"])
    state["est"] = est
    batch_size = cfg["batch_size"]
    if batch_size is None:
        if w is not None and not w.sum() > 0:
            return state  # a partition of zero weight moves nothing
        try:
            est.partial_fit(values, sample_weight=w)
        except SegwiseError as err:
            raise type(err)(f"partition {index} of X: {err}") from None
        return state
    n = values.shape[0]
    order = np.random.default_rng([cfg["seed"], epoch, index]).permutation(n)
    for start in range(0, n, batch_size):
        rows = np.sort(order[start : start + batch_size])
        if w is not None:
            # Rows of zero weight are never drawn in memory: leave them out of the batch.
            rows = rows[w[rows] > 0]
            if rows.size == 0:
                continue  # nothing to learn from (and not a step)
        xb = np.ascontiguousarray(values[rows])
        wb = None if w is None else np.ascontiguousarray(w[rows])
        old = est.cluster_centers_
        bi = _batch_inertia(xb, old, wb) if cfg["stopping"] else 0.0
        est.partial_fit(xb, sample_weight=wb)
        if not cfg["stopping"] or est.n_steps_ == 1:
            continue
        # scikit-learn's `_mini_batch_convergence`, as the in-memory fit runs it.
        alpha = min(1.0, xb.shape[0] * 2.0 / (cfg["n_samples"] + 1.0))
        ewa = bi if state["ewa"] is None else state["ewa"] * (1.0 - alpha) + bi * alpha
        state["ewa"] = ewa
        shift = float(((est.cluster_centers_.astype(np.float64) - old) ** 2).sum())
        if state["ewa_min"] is None or ewa < state["ewa_min"]:
            state["no_improvement"], state["ewa_min"] = 0, ewa
        else:
            state["no_improvement"] += 1
        limit = cfg["max_no_improvement"]
        if (cfg["tol"] > 0.0 and shift <= cfg["tol"]) or (
            limit is not None and state["no_improvement"] >= limit
        ):
            # Not before every row was seen once: partitions are often in some order (by
            # date, region, ...) that a first pass cut short would not cover.
            if epoch == 0:
                state["fired"] = True
            else:
                state["done"] = epoch + 1
                break
    return state


def _start(est: Any) -> dict[str, Any]:
    return {
        "est": est,
        "ewa": None,
        "ewa_min": None,
        "no_improvement": 0,
        "fired": False,
        "done": False,
    }


# ---------------------------------------------------------------- the estimator


class MiniBatchKMeans(_LazyCentres, _InMemoryMiniBatchKMeans):  # type: ignore[misc]
    """Mini-batch k-means on a dask DataFrame or Array (``partial_fit`` over partitions).

    The same parameters and fitted attributes as :class:`segwise.cluster.MiniBatchKMeans`.
    Mini-batch k-means is sequential by nature: the centres after one batch are the start
    of the next. The model state (centres and per-centre weights, a few KB) therefore
    travels from partition to partition, each step a task on the worker holding the
    partition, and the data never moves. Use it when one pass over the data is the budget;
    :class:`segwise.dask.KMeans` gives exact k-means in a few passes and parallelises.

    - ``partial_fit(X)`` runs the in-memory ``partial_fit`` on each non-empty partition in
      order, each partition one mini-batch (as ``dask_ml.wrappers.Incremental`` does): the
      result equals calling :meth:`segwise.cluster.MiniBatchKMeans.partial_fit` on the
      partitions in order. A partition whose weights are all zero is skipped: it would
      move nothing.
    - ``fit(X)`` initialises on ``init_size`` rows drawn without replacement in proportion
      to ``sample_weight`` over all partitions (``n_init`` candidates compared on a second
      such sample), then makes up to ``max_iter`` passes over the partitions in order; in
      pass ``e`` the rows of partition ``i`` are taken in the order of
      ``numpy.random.default_rng([seed, e, i]).permutation``, cut into batches of
      ``batch_size`` rows and given to the in-memory ``partial_fit`` with their weights,
      rows of zero weight left out (the in-memory ``fit`` draws batches with replacement,
      in proportion to the weights, instead). It stops early on
      scikit-learn's rules (``tol`` on the centre shift of a step, ``max_no_improvement``
      steps without improvement of the smoothed batch inertia), but not before the end of
      the first pass: every row is seen at least once. ``seed`` is the integer that
      ``random_state`` gives; the result depends on the partitioning. Partitions sorted
      by something the clusters follow (a region, a date) slow mini-batch k-means down,
      as they would in memory: shuffle the rows first (or use :class:`KMeans`).

    Parameters
    ----------
    n_clusters, init, max_iter, batch_size, verbose, compute_labels, random_state, tol, \
max_no_improvement, init_size, n_init, reassignment_ratio
        As in :class:`segwise.cluster.MiniBatchKMeans`.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : dask Array or dask Series
        Closest centre of each row, lazy (when ``compute_labels``).
    inertia_ : float
        Weighted inertia of the training rows (when ``compute_labels``; otherwise the
        smoothed batch inertia times the total weight, as in memory).
    n_iter_ : int
        Passes over the partitions.
    n_steps_ : int
        Mini-batches processed.
    n_features_in_ : int
    feature_names_in_ : ndarray
        DataFrame input only.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from segwise.dask import MiniBatchKMeans
    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(20, 1, (500, 2))])
    >>> X = da.from_array(rng.permutation(x), chunks=250)
    >>> mbk = MiniBatchKMeans(n_clusters=2, batch_size=100, random_state=0).fit(X)
    >>> sorted(int(round(c)) for c in mbk.cluster_centers_[:, 0])
    [0, 20]
    >>> mbk.partial_fit(X).n_steps_ > 4
    True
    """

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Compute the centres from mini-batches of a dask DataFrame or Array.

        Parameters
        ----------
        X : dask DataFrame or dask Array of shape (n_samples, n_features)
            Numeric; float32 is kept as float32. NaN/infinity raise
            :class:`~segwise.exceptions.NonFiniteError` naming the partition and columns.
        y : ignored
        sample_weight : dask Array/Series or array-like of shape (n_samples,), optional
            Non-negative weights (realigned on ``X``'s partitions when partitioned
            differently).

        Returns
        -------
        self : MiniBatchKMeans

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import MiniBatchKMeans
        >>> X = da.from_array(np.array([[0.0], [0.5], [9.0], [9.5]]), chunks=2)
        >>> mbk = MiniBatchKMeans(n_clusters=2, random_state=0).fit(X)
        >>> sorted(int(round(c)) for c in mbk.cluster_centers_[:, 0])
        [0, 9]
        """
        dask = require_dask()
        p = self._validated_params()
        k = p["n_clusters"]
        blocks = as_blocks(X)
        dtype = _dtype(X)
        data, moments = _persisted(blocks, sample_weight, k, dtype)
        n = sum(data.lengths)
        seed = check_random_state(self.random_state)
        init_size = self._init_size(p, n)
        kind = p["kind"]
        auto = 3 if kind in ("random", "callable") else 1
        runs = auto if p["n_init"] == "auto" else int(p["n_init"])
        sample = _random_rows(data, init_size, seed, _STREAM_INIT)
        init_centers, runs = self._init_centers(p, sample, runs, seed, init_size)
        check = _random_rows(data, init_size, seed, _STREAM_VALIDATION) if runs > 1 else None
        best: tuple[np.ndarray, float] | None = None
        for run in range(runs):
            candidate = core_call(
                "minibatch_init_centers",
                sample,
                sample_weight=None,
                n_clusters=k,
                init=kind if kind in ("k-means++", "random") else "k-means++",
                init_centers=None if init_centers is None else init_centers[run : run + 1],
                init_size=init_size,
                seed=(seed + run) % (1 << 64),
            )
            score = 0.0
            if check is not None:
                _, score = core_call("kmeans_labels_inertia", check, candidate)
            if best is None or score < best[1]:
                best = (candidate, float(score))
        assert best is not None  # runs >= 1
        centers = best[0]

        est = self._worker_estimator()
        est.cluster_centers_ = centers
        est.n_features_in_ = blocks.n_features
        est._counts = np.zeros(k)
        est._n_since_last_reassign = 0
        est._seed = seed
        est.n_steps_ = 0
        stopping = p["max_no_improvement"] is not None or p["tol"] > 0 or not p["compute_labels"]
        cfg = {
            "batch_size": int(p["batch_size"]),
            "seed": seed,
            "stopping": stopping,
            "n_samples": n,
            "tol": core_call("kmeans_tolerance", moments, tol=p["tol"]) if p["tol"] > 0 else 0.0,
            "max_no_improvement": p["max_no_improvement"],
        }
        state = _start(est)
        # Passes are chained several to a graph, 1, 2, 4, ... up to _TASKS_PER_GRAPH steps
        # (a stopped state passes through the rest untouched), so small data does not pay
        # a round trip per pass.
        most = max(1, _TASKS_PER_GRAPH // len(data.values))
        first, per_graph = 0, 1
        while first < p["max_iter"] and not state["done"]:
            chained: Any = state
            for epoch in range(first, min(first + per_graph, p["max_iter"])):
                for i, (v, w) in enumerate(zip(data.values, data.weights, strict=True)):
                    chained = dask.delayed(_chain_step, pure=True)(chained, v, w, i, epoch, cfg)
            state = compute(chained)[0]
            first, per_graph = first + per_graph, min(2 * per_graph, most)
        n_iter = int(state["done"]) or p["max_iter"]
        est = state["est"]
        if p["compute_labels"]:
            inertia = self._inertia(est.cluster_centers_, data.values, data.weights)
        else:
            total = float(n)
            if sample_weight is not None:
                total = float(sum(compute(*[dask.delayed(np.sum)(w) for w in data.weights])))
            inertia = float(state["ewa"] or 0.0) * total
        # Everything is computed: only now is the estimator updated (never half-way).
        self._adopt(est, blocks)
        self.n_iter_ = n_iter
        self.inertia_ = inertia
        if p["compute_labels"]:
            self.labels_ = self.predict(X)
        elif hasattr(self, "labels_"):
            del self.labels_
        return self

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Update the centres with each partition of ``X`` in turn, one mini-batch each.

        In-memory input is one mini-batch, as in :class:`segwise.cluster.MiniBatchKMeans`.

        Parameters
        ----------
        X : dask DataFrame or dask Array, or in-memory array-like
            The first call initialises on the first non-empty partition, which needs at
            least ``n_clusters`` rows.
        y : ignored
        sample_weight : dask Array/Series or array-like of shape (n_samples,), optional

        Returns
        -------
        self : MiniBatchKMeans

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import MiniBatchKMeans
        >>> rng = np.random.default_rng(0)
        >>> X = da.from_array(rng.normal(size=(400, 2)), chunks=100)
        >>> MiniBatchKMeans(n_clusters=2, random_state=0).partial_fit(X).n_steps_
        4
        """
        from .._dask import is_dask_collection, weight_blocks

        if not is_dask_collection(X):
            super().partial_fit(X, sample_weight=sample_weight)
            return self
        dask = require_dask()
        p = self._validated_params()
        fitted = hasattr(self, "cluster_centers_")
        blocks = fitted_blocks(self, X) if fitted else as_blocks(X)
        dtype = self.cluster_centers_.dtype if fitted else _dtype(X)
        converted = [
            dask.delayed(_rows, pure=True, nout=2)(part, i, dtype)
            for i, part in enumerate(blocks.parts)
        ]
        values = [v for v, _ in converted]
        if sample_weight is None:
            weights: list[Any] = [None] * len(values)
        else:
            lengths = compute(*[m for _, m in converted])
            weights = weight_blocks(sample_weight, lengths)
        est = self._worker_estimator()
        if fitted:
            for name in ("cluster_centers_", "_counts", "_n_since_last_reassign", "_seed"):
                setattr(est, name, getattr(self, name))
            est.n_steps_ = self.n_steps_
            est.n_features_in_ = self.n_features_in_
        cfg = {"batch_size": None}
        chained: Any = _start(est)
        for i, (v, w) in enumerate(zip(values, weights, strict=True)):
            chained = dask.delayed(_chain_step, pure=True)(chained, v, w, i, 0, cfg)
        est = compute(chained)[0]["est"]
        if not hasattr(est, "cluster_centers_"):
            raise NotEnoughSamplesError("X has no rows: every partition is empty")
        if p["compute_labels"]:
            self.inertia_ = self._inertia(est.cluster_centers_, values, weights)
        self._adopt(est, blocks)
        if p["compute_labels"]:
            self.labels_ = self.predict(X)
        return self

    # ------------------------------------------------------------ helpers

    def _worker_estimator(self) -> _InMemoryMiniBatchKMeans:
        """The in-memory estimator that travels between the partitions (no labels)."""
        params = self.get_params()
        params["compute_labels"] = False
        return _InMemoryMiniBatchKMeans(**params)

    def _adopt(self, est: _InMemoryMiniBatchKMeans, blocks: Any) -> None:
        """Take the fitted state of the travelling estimator."""
        self.cluster_centers_ = est.cluster_centers_
        self._counts = est._counts
        self._n_since_last_reassign = est._n_since_last_reassign
        self._seed = est._seed
        self.n_steps_ = est.n_steps_
        self._n_features_out = est.cluster_centers_.shape[0]
        _set_features(self, blocks)

    def _inertia(self, centers: np.ndarray, values: list[Any], weights: list[Any]) -> float:
        """The weighted inertia of the blocks (and the fewer-clusters warning)."""
        dask = require_dask()
        inertia, counts = compute(
            tree_reduce(
                [
                    dask.delayed(_inertia, pure=True)(v, centers, w)
                    for v, w in zip(values, weights, strict=True)
                ],
                _add_pairs,
            )
        )[0]
        _warn_if_fewer_clusters(counts, centers.shape[0], stacklevel=4)
        return float(inertia)
