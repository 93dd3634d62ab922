"""k-medoids segments on any distance: Gower for mixed customer tables, Euclidean, or a
precomputed matrix; PAM, FasterPAM and CLARA in Rust."""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._base import BaseEstimator, ClusterMixin, TransformerMixin
from .._distance import (
    GOWER_MISSING,
    PAIRS_PER_CALL,
    GowerData,
    GowerModel,
    allocate_matrix,
    euclidean_fill,
    euclidean_nearest,
)
from .._validation import (
    ITERATIONS,
    UNKNOWN_POLICIES,
    Checked,
    Constraints,
    Fitted,
    Interval,
    StrOptions,
    check_array,
    check_fitted,
    check_magnitude,
    check_random_state,
)
from ..exceptions import (
    InvalidParameterError,
    NonFiniteError,
    NotEnoughSamplesError,
    ShapeMismatchError,
    _convergence_warning,
)

__all__ = ["KMedoids"]

_MATRIX_HINT = (
    "; use method='clara', which only ever builds sample_size x sample_size matrices, or "
    "pass a float32 matrix with metric='precomputed'"
)


def _candidate_ranges(n: int) -> list[tuple[int, int]]:
    """Candidates per call into Rust, each costing ``n`` distance reads."""
    step = max(1, PAIRS_PER_CALL // max(n, 1))
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def _best_of(results: list[Any], key: int) -> Any:
    """The best of per-range results (the lowest ``key``, the first range on ties)."""
    best = None
    for r in results:
        if r is not None and (best is None or r[key] < best[key]):
            best = r
    return best


def _run_on_matrix(
    d: np.ndarray,
    k: int,
    method: str,
    init: Any,
    max_iter: int,
    rng: np.random.Generator,
) -> tuple[list[int], int, bool]:
    """Medoids of the points of the square matrix ``d``: (medoid indices, iterations,
    converged). Every call into Rust is a bounded step (about ``PAIRS_PER_CALL`` distance
    reads), so Ctrl-C stops the run between steps."""
    n = d.shape[0]
    medoids = _initial_medoids(d, k, init, rng)
    if method == "pam":
        ranges = _candidate_ranges(n)
        swaps = 0
        while swaps < max_iter:
            best = _best_of(
                [_core.kmedoids_pam_best_swap(d, medoids, start=a, stop=b) for a, b in ranges],
                key=2,
            )
            if best is None:  # no swap lowers the loss
                return medoids, swaps + 1, True
            medoids[best[1]] = best[0]
            swaps += 1
        return medoids, swaps, False
    progress = (0, 0, 0, 0)
    budget = max(1, PAIRS_PER_CALL // n)
    while True:
        medoids, progress, converged = _core.kmedoids_fasterpam_steps(
            d, medoids, progress=progress, max_iter=max_iter, budget=budget
        )
        cursor, _, passes, _ = progress
        if converged:
            return medoids, passes, True
        if passes >= max_iter and cursor == 0:
            return medoids, passes, False


def _initial_medoids(d: np.ndarray, k: int, init: Any, rng: np.random.Generator) -> list[int]:
    n = d.shape[0]
    if not isinstance(init, str):
        return [int(i) for i in init]
    if init == "build":
        medoids: list[int] = []
        ranges = _candidate_ranges(n)
        for _ in range(k):
            results = [
                _core.kmedoids_build_candidates(d, medoids, start=a, stop=b) for a, b in ranges
            ]
            medoids.append(int(_best_of(results, key=1)[0]))
        return medoids
    if init == "random":
        return [int(i) for i in rng.choice(n, size=k, replace=False)]
    # k-medoids++: each next medoid drawn in proportion to the distance to the nearest one
    medoids = [int(rng.integers(n))]
    nearest = np.asarray(d[medoids[0]], dtype=np.float64)
    for _ in range(k - 1):
        total = float(nearest.sum())
        if total > 0:
            pick = int(rng.choice(n, p=nearest / total))
        else:  # every point sits on a medoid: any other point will do
            pick = int(rng.choice(np.setdiff1d(np.arange(n), medoids)))
        medoids.append(pick)
        nearest = np.minimum(nearest, d[pick])
    return medoids


def _init_indices(init: Any, k: int, n: int) -> np.ndarray:
    """Validate an explicit ``init``: ``k`` distinct row indices in ``0..n-1``."""
    try:
        idx = np.asarray(init)
    except Exception as exc:  # ragged and the like
        raise InvalidParameterError(f"KMedoids: init could not be read: {exc}") from exc
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise InvalidParameterError(
            f"KMedoids: init must be 'build', 'k-medoids++', 'random' or {k} integer row "
            f"indices, got an array of shape {idx.shape} and dtype {idx.dtype}"
        )
    if idx.shape[0] != k:
        raise ShapeMismatchError(
            f"KMedoids: init has {idx.shape[0]} medoid index(es) but n_clusters={k}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise InvalidParameterError(
            f"KMedoids: init indices must be in 0..{n - 1}, got values in "
            f"[{idx.min()}, {idx.max()}]"
        )
    if np.unique(idx).size != k:
        raise InvalidParameterError("KMedoids: init indices must be distinct")
    return idx.astype(np.int64)


class _Space:
    """The training rows under the estimator's metric: distance matrices of subsets and
    the nearest medoid of every row."""

    n: int

    def matrix(self, rows: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def nearest(self, medoids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def distinct_rows(self) -> int:
        raise NotImplementedError


class _Precomputed(_Space):
    def __init__(self, d: np.ndarray) -> None:
        self.d, self.n = d, d.shape[0]

    def matrix(self, rows: np.ndarray | None) -> np.ndarray:
        return self.d if rows is None else np.ascontiguousarray(self.d[np.ix_(rows, rows)])

    def nearest(self, medoids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _core.kmedoids_assign(self.d, [int(m) for m in medoids])  # type: ignore[no-any-return]

    def distinct_rows(self) -> int:
        dup = 0
        step = max(1, PAIRS_PER_CALL // self.n)
        for a in range(0, self.n, step):
            block = self.d[a : a + step] == 0
            earlier = np.arange(self.n)[None, :] < np.arange(a, a + block.shape[0])[:, None]
            dup += int((block & earlier).any(axis=1).sum())
        return self.n - dup


class _Euclidean(_Space):
    def __init__(self, values: np.ndarray) -> None:
        self.values, self.n = values, values.shape[0]

    def matrix(self, rows: np.ndarray | None) -> np.ndarray:
        sub = self.values if rows is None else np.ascontiguousarray(self.values[rows])
        out = allocate_matrix(
            sub.shape[0],
            sub.shape[0],
            np.float64,
            what="KMedoids' distance matrix",
            max_bytes=None,
            hint=_MATRIX_HINT,
        )
        return euclidean_fill(sub, sub, out)

    def nearest(self, medoids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return euclidean_nearest(self.values, np.ascontiguousarray(self.values[medoids]))

    def distinct_rows(self) -> int:
        return int(np.unique(self.values, axis=0).shape[0])


class _Gower(_Space):
    def __init__(self, model: GowerModel, data: GowerData) -> None:
        self.model, self.data, self.n = model, data, data.n

    def matrix(self, rows: np.ndarray | None) -> np.ndarray:
        sub = self.data if rows is None else self.data.rows(rows)
        out = allocate_matrix(
            sub.n,
            sub.n,
            np.float64,
            what="KMedoids' Gower distance matrix",
            max_bytes=None,
            hint=_MATRIX_HINT,
        )
        return self.model.fill(sub, sub, out)

    def nearest(self, medoids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.model.nearest(self.data, self.data.rows(medoids))

    def distinct_rows(self) -> int:
        both = np.hstack([self.data.numeric, self.data.codes.astype(np.float64)])
        return int(pd.DataFrame(both).drop_duplicates().shape[0])


class KMedoids(TransformerMixin, ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """k-medoids segmentation: each segment is represented by one of its own customers.

    The medoids minimise the sum of distances from every customer to the nearest medoid,
    under any distance: Gower's (the default) for customer tables with numeric *and*
    categorical columns (region, channel, gender, company size...) with no encoding at
    all, Euclidean, or a precomputed matrix. The algorithms run in Rust:

    * ``"fasterpam"`` (default): FasterPAM (Schubert & Rousseeuw 2021), eager swaps with
      the O(k) evaluation of all swaps of a candidate; it makes the same swaps, and so
      reaches the same loss from the same initial medoids, as the ``kmedoids`` package's
      ``fasterpam`` (sequential; ``n_cpu=1``). Candidates are evaluated in parallel
      without changing the result.
    * ``"pam"``: PAM's SWAP phase (Kaufman & Rousseeuw 1990): the best of all swaps at each
      iteration, evaluated in parallel (FastPAM1's O(n) per candidate, same swaps).
    * ``"clara"``: for tables too large for an ``n x n`` matrix: FasterPAM on
      ``n_subsamples`` random samples of ``sample_size`` rows (each sample keeps the best
      medoids found so far), every customer assigned to the nearest medoid after each
      sample, the medoids with the lowest total distance kept (Kaufman & Rousseeuw 1990;
      with FasterPAM and the larger default sample of Schubert & Rousseeuw 2021).

    ``"fasterpam"`` and ``"pam"`` compute the ``n x n`` distance matrix (8 n^2 bytes: 800
    MB for 10,000 customers), bounded by half the machine's memory
    (:class:`~segwise.exceptions.AllocationError` says how much it would take).

    **Privacy.** A medoid is a real customer's row, not an average: ``cluster_centers_``
    (and a report or export built from it) holds actual customers' data, with their index
    labels (customer ids). Treat it as personal data; describe segments with aggregates
    (``segwise.profile``) where individual records may not go.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of segments (medoids); at most the number of distinct rows.
    metric : {"gower", "euclidean", "precomputed"}, default="gower"
        ``"gower"``: :func:`segwise.metrics.gower_distances` on the table's numeric and
        categorical columns (ranges and levels from the training data).
        ``"euclidean"``: numeric columns only. ``"precomputed"``: ``X`` is a square
        distance matrix (finite, non-negative, symmetric, zero diagonal); ``predict``
        then takes distances from new samples to the training samples.
    method : {"fasterpam", "pam", "clara"}, default="fasterpam"
        The algorithm (see above).
    init : {"build", "k-medoids++", "random"} or array-like of int, default="build"
        Initial medoids: PAM's BUILD (greedy, deterministic), k-medoids++ (each medoid
        drawn in proportion to the distance to the nearest one chosen), ``n_clusters``
        random rows, or row indices (for ``"clara"``: they join the first sample). BUILD
        costs O(k n^2) on the matrix; the random ones O(k n).
    max_iter : int, default=100 (at most 10,000,000)
        ``"fasterpam"``: passes over the candidates; ``"pam"``: swaps. A run stopped by it
        issues a :class:`~segwise.exceptions.ConvergenceWarning`.
    sample_size : int, optional
        ``"clara"``: rows per sample, default ``min(n, 80 + 4 * n_clusters)``; larger
        samples give better medoids at quadratic cost.
    n_subsamples : int, default=5
        ``"clara"``: number of samples.
    categorical : column label, position or list of them, optional
        ``"gower"``: exactly the categorical columns (default: by dtype: category, object,
        string and bool columns; an ordered categorical is ordinal).
    weights : array-like or dict {column: weight}, optional
        ``"gower"``: column weights (default 1 each).
    missing : {"ignore", "level", "error"}, default="ignore"
        ``"gower"``: a missing value is skipped in the distance (daisy's rule), is a level
        of its own (categorical columns), or raises.
    unknown : {"error", "mismatch"}, default="error"
        ``"gower"``, at ``predict``/``transform``: a level ``fit`` never saw raises
        :class:`~segwise.exceptions.UnknownCategoryError`, or counts as a mismatch on that
        column (distance 1 to every medoid's level).
    random_state : int, numpy Generator/RandomState or None, default=None
        Seed of ``init="k-medoids++"``/``"random"`` and of CLARA's samples.

    Attributes
    ----------
    medoid_indices_ : numpy.ndarray of shape (n_clusters,), int64
        Row positions of the medoids in the training data; segment ``c``'s medoid is row
        ``medoid_indices_[c]``.
    cluster_centers_ : DataFrame, numpy.ndarray or None
        The medoids' rows: a DataFrame (the input's columns, dtypes and index labels) for
        DataFrame input, else an array; None for ``metric="precomputed"``. Real
        customers' data (see Privacy above).
    labels_ : numpy.ndarray of shape (n_samples,), int32
        Segment of each training row (its nearest medoid; the first on ties).
    inertia_ : float
        Sum of the distances from every training row to its medoid (the k-medoids loss).
    n_iter_ : int
        FasterPAM passes or PAM swaps of the run (of the best sample for ``"clara"``).
    n_features_in_ : int
        Number of columns seen in ``fit`` (of training samples for ``"precomputed"``).
    feature_names_in_ : numpy.ndarray of str
        Column names seen in ``fit`` (DataFrame input only).

    Notes
    -----
    Results do not depend on the number of threads (``RAYON_NUM_THREADS``). Every call
    into Rust is a bounded step (a BUILD medoid, a PAM swap, a share of FasterPAM's
    candidates, a chunk of distances), so Ctrl-C stops a fit within a fraction of a second.
    Under Gower, missing values are left out of each distance (``missing="ignore"``); two
    customers with no column observed in both have no Gower distance (NaN in
    :func:`~segwise.metrics.gower_distances`), and KMedoids takes it as 1, the largest.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.cluster import KMedoids
    >>> customers = pd.DataFrame(
    ...     {"spend": [12.0, 15.0, 11.0, 240.0, 260.0, 255.0],
    ...      "channel": ["web", "web", "shop", "shop", "shop", "web"],
    ...      "region": ["north", "north", "north", "south", "south", "south"]},
    ...     index=pd.Index([101, 102, 103, 104, 105, 106], name="customer_id"))
    >>> km = KMedoids(n_clusters=2).fit(customers)
    >>> km.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> km.cluster_centers_
                 spend channel region
    customer_id
    105          260.0    shop  south
    101           12.0     web  north
    >>> km.predict(pd.DataFrame({"spend": [230.0], "channel": ["web"], "region": ["south"]}))
    array([0], dtype=int32)
    """

    _parameter_constraints: Constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(["gower", "euclidean", "precomputed"])],
        "method": [StrOptions(["fasterpam", "pam", "clara"])],
        "init": [StrOptions(["build", "k-medoids++", "random"]), "array-like"],
        "max_iter": [ITERATIONS],
        "sample_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_subsamples": [Interval(Integral, 1, None, closed="left")],
        "categorical": [None, "array-like", str, Integral],
        "weights": [None, "array-like", dict, pd.Series],
        "missing": [StrOptions(GOWER_MISSING)],
        "unknown": [StrOptions(UNKNOWN_POLICIES)],
        "random_state": ["random_state"],
    }

    # Checked before predict/transform (row positions of the training rows).
    _fitted_state = {"medoid_indices_": Fitted(("n_clusters",), kinds="iu", upper="_n_samples_fit")}

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        metric: str = "gower",
        method: str = "fasterpam",
        init: Any = "build",
        max_iter: int = 100,
        sample_size: int | None = None,
        n_subsamples: int = 5,
        categorical: Any = None,
        weights: Any = None,
        missing: str = "ignore",
        unknown: str = "error",
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.metric = metric
        self.method = method
        self.init = init
        self.max_iter = max_iter
        self.sample_size = sample_size
        self.n_subsamples = n_subsamples
        self.categorical = categorical
        self.weights = weights
        self.missing = missing
        self.unknown = unknown
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.metric == "gower" and self.missing != "error"
        tags.input_tags.pairwise = self.metric == "precomputed"
        tags.input_tags.string = self.metric == "gower"
        return tags

    # ------------------------------------------------------------------ fit

    def _space(self, X: Any, p: dict[str, Any]) -> _Space:
        """The training rows under the metric (``p``: the validated parameters); records
        the features seen."""
        if p["metric"] == "precomputed":
            d = check_array(X, dtypes=(np.float64, np.float32), estimator="KMedoids").values
            if d.shape[0] != d.shape[1]:
                raise ShapeMismatchError(
                    f"KMedoids: metric='precomputed' needs a square distance matrix, got "
                    f"shape {d.shape}"
                )
            _core.check_dissimilarities(d, symmetric=True)
            self.n_features_in_ = d.shape[0]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return _Precomputed(d)
        if p["metric"] == "euclidean":
            # a text column: the funnel's message points to metric='gower'
            checked = check_array(X, dtypes=(np.float64,), estimator="KMedoids")
            self._check_features(checked, reset=True)
            check_magnitude(checked.values, "KMedoids' Euclidean distances")
            return _Euclidean(checked.values)
        model, data = GowerModel.fit(
            X,
            categorical=p["categorical"],
            weights=p["weights"],
            missing=p["missing"],
            caller="KMedoids",
            undefined=1.0,
        )
        self._check_features(_columns_only(X, model), reset=True)
        self._gower = model
        return _Gower(model, data)

    def fit(self, X: Any, y: Any = None) -> KMedoids:
        """Find the medoids of ``X``.

        Parameters
        ----------
        X : DataFrame, array-like or square distance matrix
            Customers (a mixed table for ``metric="gower"``, numeric for
            ``"euclidean"``) or, for ``"precomputed"``, their distance matrix.
        y : ignored
            Present for API consistency.

        Returns
        -------
        KMedoids
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMedoids
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 8.0], [0.5, 0.5]])
        >>> km = KMedoids(n_clusters=2, metric="euclidean").fit(X)
        >>> km.medoid_indices_.tolist(), float(km.inertia_)
        ([4, 2], 2.414213562373095)
        """
        p = self._validate_params()
        space = self._space(X, p)
        k, method, n = p["n_clusters"], p["method"], space.n
        if k > n:
            raise NotEnoughSamplesError(f"n_samples={n} should be >= n_clusters={k}.")
        init = p["init"] if isinstance(p["init"], str) else _init_indices(p["init"], k, n)
        rng = np.random.default_rng(check_random_state(p["random_state"]))
        if method == "clara":
            medoids, labels, dists, n_iter, converged = self._clara(space, k, init, rng, p)
        else:
            d = space.matrix(None)
            found, n_iter, converged = _run_on_matrix(d, k, method, init, p["max_iter"], rng)
            medoids = np.asarray(found, dtype=np.int64)
            labels, dists = space.nearest(medoids)
        self._check_result(space, medoids, dists, k)
        if not converged:
            unit = "passes" if method != "pam" else "swaps"
            warnings.warn(
                f"KMedoids stopped after max_iter={p['max_iter']} {unit} before converging; "
                "raise max_iter for a better loss",
                _convergence_warning(),
                stacklevel=2,
            )
        self.medoid_indices_ = medoids
        self._n_samples_fit = int(n)
        self.labels_ = labels.astype(np.int32)
        self.inertia_ = float(np.sum(dists))
        self.n_iter_ = int(n_iter)
        self.cluster_centers_ = _medoid_rows(X, space, medoids)
        if isinstance(space, _Euclidean):
            self._medoid_values = np.ascontiguousarray(space.values[medoids])
        elif isinstance(space, _Gower):
            self._medoid_data = space.data.rows(medoids)
        self._n_features_out = k
        return self

    def _clara(
        self, space: _Space, k: int, init: Any, rng: np.random.Generator, p: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
        n = space.n
        size = p["sample_size"] if p["sample_size"] is not None else 80 + 4 * k
        size = min(max(size, k), n)
        best: tuple[float, np.ndarray, np.ndarray, np.ndarray, int, bool] | None = None
        # Each sample holds the best medoids so far (and explicit init indices, the first);
        # its medoids start from `init` (explicit indices: the first sample only, then BUILD).
        keep = None if isinstance(init, str) else np.asarray(init, dtype=np.int64)
        for r in range(p["n_subsamples"]):
            rows = _draw_sample(rng, n, size, keep)
            sub_init: Any = init if isinstance(init, str) else "build"
            if r == 0 and keep is not None:
                sub_init = np.searchsorted(rows, keep)
            d = space.matrix(rows)
            local, n_iter, converged = _run_on_matrix(
                d, k, "fasterpam", sub_init, p["max_iter"], rng
            )
            medoids = rows[np.asarray(local, dtype=np.int64)]
            labels, dists = space.nearest(medoids)
            loss = float(np.sum(dists))
            if best is None or loss < best[0]:
                best = (loss, medoids, labels, dists, n_iter, converged)
            keep = best[1]
        assert best is not None
        return best[1], best[2], best[3], best[4], best[5]

    def _check_result(self, space: _Space, medoids: np.ndarray, dists: np.ndarray, k: int) -> None:
        """Too few distinct rows for ``k`` segments."""
        distinct = None
        if len(np.unique(medoids)) < k or self._medoids_coincide(space, medoids):
            distinct = space.distinct_rows()
        if distinct is not None and distinct < k:
            raise NotEnoughSamplesError(
                f"KMedoids: X has only {distinct} distinct row(s) under the metric, fewer "
                f"than n_clusters={k}; ask for at most {distinct} segments"
            )
        if distinct is not None:
            warnings.warn(
                "KMedoids found two medoids at distance 0 (duplicate rows, or under Gower "
                "rows equal on every column observed in both); some segments "
                "are empty. Possibly a CLARA sample with too few distinct rows: raise "
                "sample_size",
                _convergence_warning(),
                stacklevel=3,
            )

    @staticmethod
    def _medoids_coincide(space: _Space, medoids: np.ndarray) -> bool:
        """Whether two medoids are at distance 0 (only duplicates of a row can be)."""
        if medoids.shape[0] < 2:
            return False
        d = (
            space.matrix(medoids)
            if not isinstance(space, _Precomputed)
            else (space.d[np.ix_(medoids, medoids)])
        )
        off = ~np.eye(medoids.shape[0], dtype=bool)
        return bool((d[off] == 0).any())

    # ------------------------------------------------------------------ predict

    def _distances_to_medoids(self, X: Any) -> tuple[np.ndarray | None, Any, Checked | None]:
        """(distances n x k, or None for the nearest-only Gower path), the encoded data,
        and the checked input (for pandas output)."""
        check_fitted(self, "medoid_indices_")
        if self.metric == "precomputed":
            d = check_array(X, dtypes=(np.float64, np.float32), estimator="KMedoids").values
            if d.shape[1] != self.n_features_in_:
                raise ShapeMismatchError(
                    f"KMedoids: metric='precomputed' needs the distances from each new "
                    f"sample to the {self.n_features_in_} training samples, got shape "
                    f"{d.shape}"
                )
            if not np.isfinite(d).all() or (d < 0).any():
                raise NonFiniteError("KMedoids: distances must be finite and non-negative")
            return np.ascontiguousarray(d[:, self.medoid_indices_], dtype=np.float64), None, None
        if self.metric == "euclidean":
            checked = check_array(X, dtypes=(np.float64,), estimator="KMedoids")
            self._check_features(checked, reset=False)
            return None, checked.values, checked
        checked = _columns_only(X, self._gower)
        self._check_features(checked, reset=False)
        data = self._gower.encode(X, unknown=self.unknown)
        return None, data, checked

    def predict(self, X: Any) -> np.ndarray:
        """Segment of each customer: its nearest medoid (the first on ties).

        Parameters
        ----------
        X : DataFrame or array-like
            New customers with the columns seen in ``fit`` (``"precomputed"``: their
            distances to the training samples, shape (n, n_training)).

        Returns
        -------
        numpy.ndarray of shape (n_samples,), int32
            Segments ``0 .. n_clusters - 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMedoids
        >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
        >>> KMedoids(n_clusters=2, metric="euclidean").fit(X).predict([[2.0], [9.0]])
        array([0, 1], dtype=int32)
        """
        d, data, _ = self._distances_to_medoids(X)
        if d is not None:
            return np.argmin(d, axis=1).astype(np.int32)
        if self.metric == "euclidean":
            labels, _ = euclidean_nearest(data, self._medoid_values)
        else:
            labels, _ = self._gower.nearest(data, self._medoid_data)
        return labels.astype(np.int32)

    def transform(self, X: Any) -> Any:
        """Distance from each customer to each medoid.

        Parameters
        ----------
        X : DataFrame or array-like
            New customers (``"precomputed"``: distances to the training samples).

        Returns
        -------
        numpy.ndarray or DataFrame of shape (n_samples, n_clusters)
            The distances (float64); a DataFrame (same index, columns
            ``kmedoids0 ...``) for DataFrame input.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMedoids
        >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
        >>> KMedoids(n_clusters=2, metric="euclidean").fit(X).transform([[2.0]])
        array([[1., 8.]])
        """
        d, data, checked = self._distances_to_medoids(X)
        if d is None:
            k = self.medoid_indices_.shape[0]
            n = data.shape[0] if self.metric == "euclidean" else data.n
            out = allocate_matrix(n, k, np.float64, what="KMedoids.transform", max_bytes=None)
            if self.metric == "euclidean":
                d = euclidean_fill(data, self._medoid_values, out)
            else:
                d = self._gower.fill(data, self._medoid_data, out)
        if checked is None:
            return d
        return self._wrap_output(d, checked)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names of :meth:`transform`: ``["kmedoids0", "kmedoids1", ...]``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Checked against the fitted feature names; not used otherwise.

        Returns
        -------
        numpy.ndarray of str objects

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.cluster import KMedoids
        >>> X = np.array([[0.0], [1.0], [5.0]])
        >>> KMedoids(n_clusters=2).fit(X).get_feature_names_out().tolist()
        ['kmedoids0', 'kmedoids1']
        """
        check_fitted(self, "medoid_indices_")
        if self.metric != "precomputed":
            self._feature_names(input_features)
        k = self.medoid_indices_.shape[0]
        return np.asarray([f"kmedoids{i}" for i in range(k)], dtype=object)


def _columns_only(X: Any, model: GowerModel) -> Checked:
    """What ``check_features`` reads of a mixed table (checked by the funnel through
    ``model``): its width and column names, and its index for pandas output."""
    frame = X if isinstance(X, pd.DataFrame) else None
    names = [str(c) for c in frame.columns] if frame is not None else None
    shape = getattr(X, "shape", None)
    if shape is None and isinstance(X, list | tuple):
        shape = np.shape(np.asarray(X, dtype=object))
    width = shape[1] if shape is not None and len(shape) == 2 else len(model.columns)
    return Checked(np.empty((0, width)), names, frame.index if frame is not None else None)


def _draw_sample(
    rng: np.random.Generator, n: int, size: int, keep: np.ndarray | None
) -> np.ndarray:
    """``size`` distinct rows in increasing order, the rows ``keep`` among them."""
    if keep is None:
        return np.sort(rng.choice(n, size=size, replace=False))
    extra = size - keep.shape[0]
    pool = rng.choice(n, size=min(n, size + keep.shape[0]), replace=False)
    pool = pool[~np.isin(pool, keep)][:extra]
    return np.sort(np.concatenate([keep, pool]))


def _medoid_rows(X: Any, space: _Space, medoids: np.ndarray) -> Any:
    """The medoids' rows of the caller's ``X``, in its own types (None if precomputed)."""
    if isinstance(space, _Precomputed):
        return None
    if isinstance(X, pd.DataFrame):
        return X.iloc[medoids].copy()
    if isinstance(space, _Euclidean):
        return space.values[medoids].copy()
    if hasattr(X, "to_pandas"):
        return X.to_pandas().iloc[medoids].copy()
    return np.asarray(X, dtype=object if isinstance(X, list) else None)[medoids].copy()
