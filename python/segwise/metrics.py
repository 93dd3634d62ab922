"""Segment quality (silhouette, Calinski-Harabasz, Davies-Bouldin, simplified silhouette)
and agreement between two partitions (ARI, AMI, NMI, Fowlkes-Mallows, contingency table).

The first three follow scikit-learn's definitions, values and edge cases; the Rust core
computes them exactly, multi-threaded, in memory proportional to the data (the silhouette
never builds an ``n x n`` distance matrix). The silhouette also takes ``metric=``:
``"euclidean"``, ``"precomputed"`` (a distance matrix, scikit-learn's semantics) or
``"gower"`` (mixed numeric and categorical tables). :func:`gower_distances` is R
``cluster::daisy``'s Gower distance between customers of a mixed table.
:func:`simplified_silhouette_score` is a different, O(n * k) statistic. The agreement
scores (:func:`adjusted_rand_score` and friends) compare two labelings of the same samples,
e.g. a refit against last quarter's segments, in O(n + number of non-empty cells).

Labels may be of any hashable type (ints, strings, mixed); ``X`` may be a DataFrame or an
array, float64 or float32 (computed in float64).

Examples
--------
>>> import numpy as np
>>> from segwise.metrics import silhouette_score
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
>>> round(silhouette_score(X, ["a", "a", "b", "b"]), 4)
0.9002
"""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._distance import (
    GOWER_MISSING,
    GowerModel,
    allocate_matrix,
    rows_in_chunks,
)
from ._validation import (
    Constraints,
    EncodedLabels,
    Interval,
    StrOptions,
    as_table,
    check_array,
    check_label_ids,
    check_labels,
    check_random_state,
    encode_labels,
    max_abs,
    power_of_two_scale,
    validate_params,
)
from .exceptions import FeatureNamesError, InvalidParameterError, ShapeMismatchError

__all__ = [
    "adjusted_mutual_info_score",
    "adjusted_rand_score",
    "calinski_harabasz_score",
    "contingency_matrix",
    "davies_bouldin_score",
    "fowlkes_mallows_score",
    "gower_distances",
    "normalized_mutual_info_score",
    "silhouette_samples",
    "silhouette_score",
    "simplified_silhouette_samples",
    "simplified_silhouette_score",
]


_METRIC: list[Any] = [StrOptions(["euclidean", "precomputed", "gower"])]
_SILHOUETTE_SAMPLES_PARAMS: Constraints = {"metric": _METRIC}
_SILHOUETTE_PARAMS: Constraints = {
    "metric": _METRIC,
    "sample_size": [Interval(Integral, 1, None, closed="left"), None],
    "random_state": ["random_state"],
}
_GOWER_PARAMS: Constraints = {
    "weights": [None, "array-like", dict, pd.Series],
    "categorical": [None, "array-like", str, Integral],
    "missing": [StrOptions(GOWER_MISSING)],
    "dtype": [StrOptions(["float64", "float32"]), type, np.dtype],
    "max_bytes": [Interval(Integral, 1, None, closed="left"), None],
}
#: The keywords ``metric="gower"`` passes on to :func:`gower_distances`' column handling.
_GOWER_KEYWORDS = ("categorical", "weights", "missing")
_AVERAGE_PARAMS: Constraints = {
    "average_method": [StrOptions(["min", "geometric", "arithmetic", "max"])]
}
_CONTINGENCY_PARAMS: Constraints = {"as_frame": ["boolean", None]}


def _unit_scaled(values: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """The scores do not depend on the unit: values whose squared distances would overflow
    (above ~1e60 the margin starts) are divided by a power of two, which is exact (a copy,
    only then). Overflowed sums would otherwise come back as NaN, or as
    Calinski-Harabasz's and Davies-Bouldin's special-case values. Tiny values are left as
    they are, as scikit-learn's absolute thresholds (Davies-Bouldin's 1e-8) see them."""
    largest = max([max_abs(values), *(max_abs(o) for o in others)])
    scale = power_of_two_scale(largest, small=False)
    return values if scale == 1.0 else values / scale


def _prepare(X: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """X -> C-contiguous float64 (float32 is upcast); labels -> non-negative int64 codes."""
    checked = check_array(X, dtypes=(np.float64,))
    values = _unit_scaled(checked.values)
    # Integer labels are only shifted to start at 0: the core re-encodes them densely,
    # much faster than sorting millions of rows. The core also applies scikit-learn's rule
    # on the number of labels ("Number of labels is %d. Valid values are 2 to n_samples - 1
    # (inclusive)").
    return values, check_labels(labels, values.shape[0], dense=False, rows=checked.index)


def _silhouette_rows(
    X: Any, labels: Any, metric: str, kwds: dict[str, Any], caller: str, sample: Any = None
) -> np.ndarray:
    """Per-sample silhouette under ``metric``, of the rows ``sample(n)`` picks (all rows
    when ``sample`` is None or returns None)."""
    if metric != "gower" and kwds:
        raise InvalidParameterError(
            f"{caller}: keyword(s) {sorted(kwds)} only apply to metric='gower'"
        )
    if metric == "euclidean":
        values, codes = _prepare(X, labels)
        idx = sample(values.shape[0]) if sample else None
        if idx is not None:
            values, codes = np.ascontiguousarray(values[idx]), np.ascontiguousarray(codes[idx])
        return _core.silhouette_samples(values, codes)
    if metric == "precomputed":
        d = _precomputed(X, caller)
        codes = check_labels(labels, d.shape[0], dense=False)
        idx = sample(d.shape[0]) if sample else None
        if idx is not None:
            d, codes = np.ascontiguousarray(d[np.ix_(idx, idx)]), codes[idx]
        n = d.shape[0]
        return rows_in_chunks(
            n, n, lambda a, b: _core.silhouette_rows_precomputed(d, codes, start=a, stop=b)
        )
    unknown = sorted(set(kwds) - set(_GOWER_KEYWORDS))
    if unknown:
        raise InvalidParameterError(
            f"{caller}: unexpected keyword(s) {unknown} for metric='gower' (it takes "
            f"{list(_GOWER_KEYWORDS)})"
        )
    options = validate_params(
        {"weights": None, "categorical": None, "missing": "ignore", **kwds},
        {k: _GOWER_PARAMS[k] for k in _GOWER_KEYWORDS},
        caller=caller,
    )
    model, data = GowerModel.fit(X, caller=caller, **options)
    codes = check_labels(labels, data.n, dense=False)
    idx = sample(data.n) if sample else None
    if idx is not None:
        data, codes = data.rows(idx), codes[idx]
    n = data.n
    return rows_in_chunks(
        n,
        n,
        lambda a, b: _core.silhouette_rows_gower(
            data.numeric, data.codes, codes, scales=model.scales, start=a, stop=b
        ),
    )


def _precomputed(X: Any, caller: str) -> np.ndarray:
    """A checked square distance matrix (float64 or float32), as scikit-learn requires for
    metric="precomputed": finite, non-negative, zero diagonal."""
    d = check_array(X, name="X", dtypes=(np.float64, np.float32)).values
    if d.shape[0] != d.shape[1]:
        raise ShapeMismatchError(
            f"{caller}: metric='precomputed' needs a square distance matrix, got shape {d.shape}"
        )
    _core.check_dissimilarities(d, symmetric=False)
    return d


def silhouette_samples(
    X: Any, labels: Any, *, metric: str = "euclidean", **kwds: Any
) -> np.ndarray:
    """Silhouette coefficient of every sample, as scikit-learn's.

    ``s = (b - a) / max(a, b)``, where ``a`` is the mean distance from a sample to the other
    members of its cluster and ``b`` the smallest mean distance to the members of another
    cluster. Samples alone in their cluster score 0. Exact: every pairwise distance is
    computed (O(n^2) time, multi-threaded) and never stored as an ``n x n`` matrix;
    Euclidean distances come from direct differences, which is more accurate than
    scikit-learn's dot-product expansion.

    Parameters
    ----------
    X : array-like or DataFrame
        ``metric="euclidean"``: a numeric feature matrix (float64 or float32; computed in
        float64). ``"precomputed"``: a square distance matrix (scikit-learn's semantics:
        row ``i`` holds the distances from sample ``i``; finite, non-negative, zero
        diagonal). ``"gower"``: a table of numeric and categorical columns (see
        :func:`gower_distances`).
    labels : array-like of shape (n_samples,)
        Cluster label of each sample, any hashable type. The number of distinct labels
        must be between 2 and ``n_samples - 1``.
    metric : {"euclidean", "precomputed", "gower"}, default="euclidean"
        The distance between samples.
    **kwds
        With ``metric="gower"``: ``categorical``, ``weights`` and ``missing``, as in
        :func:`gower_distances`.

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
        Silhouette coefficients in [-1, 1].

    Raises
    ------
    InvalidParameterError
        If the number of labels is outside ``2 .. n_samples - 1``, or a precomputed matrix
        has a non-zero diagonal.
    ShapeMismatchError
        If ``labels`` does not have one entry per row of ``X``, or a precomputed matrix is
        not square.
    NonFiniteError
        If ``X`` contains NaN or infinity (or negative distances), or a Gower distance is
        undefined (two rows with no column observed in both).

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.metrics import silhouette_samples
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0], [30.0]])
    >>> silhouette_samples(X, [0, 0, 1, 1, 2]).round(3)
    array([0.905, 0.895, 0.895, 0.905, 0.   ])
    >>> D = np.abs(X - X.T)
    >>> silhouette_samples(D, [0, 0, 1, 1, 2], metric="precomputed").round(3)
    array([0.905, 0.895, 0.895, 0.905, 0.   ])
    """
    metric = validate_params(
        {"metric": metric}, _SILHOUETTE_SAMPLES_PARAMS, caller="silhouette_samples"
    )["metric"]
    return _silhouette_rows(X, labels, metric, kwds, "silhouette_samples")


def silhouette_score(
    X: Any,
    labels: Any,
    *,
    metric: str = "euclidean",
    sample_size: int | None = None,
    random_state: Any = None,
    **kwds: Any,
) -> float:
    """Mean silhouette coefficient over all samples, as scikit-learn's.

    See :func:`silhouette_samples` for the definition and the metrics. The exact
    computation on 50,000 rows takes a few seconds; ``sample_size`` scores a random subset
    instead.

    Parameters
    ----------
    X : array-like or DataFrame
        A feature matrix, a square distance matrix (``metric="precomputed"``) or a mixed
        table (``metric="gower"``).
    labels : array-like of shape (n_samples,)
        Cluster label of each sample, any hashable type.
    metric : {"euclidean", "precomputed", "gower"}, default="euclidean"
        The distance between samples.
    sample_size : int, optional
        If given, score a subset of this many samples drawn without replacement (all
        samples if ``sample_size >= n_samples``); a precomputed matrix is cut to the rows
        and columns of the subset, as scikit-learn does, and a Gower distance keeps the
        column scales of the whole table. The subset is drawn with segwise's own
        generator (numpy's PCG64 seeded from ``random_state``), so it differs from the
        subset scikit-learn would draw for the same ``random_state``; the score on a given
        subset is the same.
    random_state : int, numpy Generator/RandomState or None
        Seed for the subset; the same value gives the same subset and score.
    **kwds
        With ``metric="gower"``: ``categorical``, ``weights`` and ``missing``, as in
        :func:`gower_distances`.

    Returns
    -------
    float
        Mean silhouette coefficient in [-1, 1].

    Raises
    ------
    InvalidParameterError
        If the number of labels (in the subset) is outside ``2 .. n - 1`` or
        ``sample_size < 1``.
    ShapeMismatchError
        If ``labels`` does not have one entry per row of ``X``.
    NonFiniteError
        If ``X`` contains NaN or infinity.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from segwise.metrics import silhouette_score
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))])
    >>> labels = np.repeat([0, 1], 50)
    >>> silhouette_score(X, labels) > 0.7
    True
    >>> a = silhouette_score(X, labels, sample_size=40, random_state=1)
    >>> a == silhouette_score(X, labels, sample_size=40, random_state=1)
    True
    >>> customers = pd.DataFrame({"spend": [10.0, 12, 11, 90, 95, 93],
    ...                           "channel": ["web", "web", "web", "shop", "shop", "web"]})
    >>> round(silhouette_score(customers, [0, 0, 0, 1, 1, 1], metric="gower"), 3)
    0.725
    """
    params = validate_params(locals(), _SILHOUETTE_PARAMS, caller="silhouette_score")
    sample_size = params["sample_size"]

    def sample(n: int) -> Any:
        if sample_size is None or sample_size >= n:
            return None
        rng = np.random.default_rng(check_random_state(random_state))
        return np.sort(rng.choice(n, size=sample_size, replace=False))

    scores = _silhouette_rows(X, labels, params["metric"], kwds, "silhouette_score", sample)
    return float(scores.sum() / scores.shape[0])


def calinski_harabasz_score(X: Any, labels: Any) -> float:
    """Calinski-Harabasz index (variance ratio criterion), as scikit-learn's.

    ``B (n - k) / (W (k - 1))`` with ``B`` the between-cluster and ``W`` the
    within-cluster sum of squares; higher is better. 1.0 when ``W`` is zero.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Feature matrix.
    labels : array-like of shape (n_samples,)
        Cluster label of each sample, any hashable type (2 to ``n_samples - 1`` distinct).

    Returns
    -------
    float
        The index.

    Raises
    ------
    InvalidParameterError
        If the number of labels is outside ``2 .. n_samples - 1``.
    ShapeMismatchError
        If ``labels`` does not have one entry per row of ``X``.
    NonFiniteError
        If ``X`` contains NaN or infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.metrics import calinski_harabasz_score
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> calinski_harabasz_score(X, [0, 0, 1, 1])
    200.0
    """
    values, codes = _prepare(X, labels)
    return float(_core.calinski_harabasz_score(values, codes))


def davies_bouldin_score(X: Any, labels: Any) -> float:
    """Davies-Bouldin index, as scikit-learn's; lower is better, 0 is the minimum.

    The mean over clusters ``i`` of ``max_j (s_i + s_j) / d(c_i, c_j)``, where ``s_i`` is
    the mean distance from cluster ``i``'s members to its centroid ``c_i``. 0 when all
    ``s_i`` (or all centroid distances) are within 1e-8 of zero; pairs of clusters with
    identical centroids are skipped.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Feature matrix.
    labels : array-like of shape (n_samples,)
        Cluster label of each sample, any hashable type (2 to ``n_samples - 1`` distinct).

    Returns
    -------
    float
        The index.

    Raises
    ------
    InvalidParameterError
        If the number of labels is outside ``2 .. n_samples - 1``.
    ShapeMismatchError
        If ``labels`` does not have one entry per row of ``X``.
    NonFiniteError
        If ``X`` contains NaN or infinity.

    Examples
    --------
    >>> from segwise.metrics import davies_bouldin_score
    >>> round(davies_bouldin_score([[0, 1], [1, 1], [3, 4]], [0, 0, 1]), 4)
    0.128
    """
    values, codes = _prepare(X, labels)
    return float(_core.davies_bouldin_score(values, codes))


def _simplified(X: Any, labels: Any, centers: Any) -> np.ndarray:
    if centers is None:
        values, codes = _prepare(X, labels)
        return _core.simplified_silhouette_samples(values, codes)
    checked = check_array(X, dtypes=(np.float64,))
    cent = check_array(centers, name="centers", dtypes=(np.float64,)).values
    values = _unit_scaled(checked.values, cent)
    cent = _unit_scaled(cent, checked.values)
    if cent.shape[1] != values.shape[1]:
        raise ShapeMismatchError(
            f"centers has {cent.shape[1]} columns but X has {values.shape[1]} features"
        )
    if cent.shape[0] < 2:
        raise InvalidParameterError(f"at least 2 centers are required, got {cent.shape[0]}")
    codes = check_label_ids(
        labels,
        cent.shape[0],
        n_samples=values.shape[0],
        what="row indices",
        context=" into centers",
        rows=checked.index,
    )
    return _core.simplified_silhouette_samples(values, codes, cent)


def simplified_silhouette_samples(X: Any, labels: Any, centers: Any = None) -> np.ndarray:
    """Simplified (centroid) silhouette of every sample: a different statistic, O(n k).

    For each sample, ``a`` is its distance to its own cluster's centroid and ``b`` its
    distance to the nearest other centroid; ``s = (b - a) / max(a, b)`` (Hruschka, Campello
    and de Castro 2004; studied by Wang et al. 2017). It is **not** an approximation of
    :func:`silhouette_samples`, which averages distances to all members of each cluster:
    the two rank clusterings similarly on compact, convex clusters but differ in value and
    can disagree otherwise. It costs O(n k d) instead of O(n^2 d). Samples alone in their
    cluster score 0, as in the silhouette.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Feature matrix.
    labels : array-like of shape (n_samples,)
        Without ``centers``: cluster labels of any hashable type (2 to ``n_samples - 1``
        distinct), and the centroids are the cluster means. With ``centers``: integer
        row indices into ``centers`` (e.g. ``KMeans.labels_``).
    centers : array-like of shape (n_clusters, n_features), optional
        Centroids to measure against (e.g. ``KMeans.cluster_centers_``); every row counts
        as a candidate nearest other centroid, even if no sample is assigned to it.

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
        Values in [-1, 1].

    Raises
    ------
    InvalidParameterError
        Bad number of labels, fewer than 2 centers, or labels that are not row indices
        into ``centers``.
    ShapeMismatchError
        ``labels`` or ``centers`` of the wrong length or width.
    NonFiniteError
        NaN or infinity in ``X`` or ``centers``.

    References
    ----------
    E. R. Hruschka, R. J. G. B. Campello, L. N. de Castro (2004). Improving the efficiency
    of a clustering genetic algorithm. IBERAMIA 2004, LNCS 3315, 861-870.
    F. Wang, H.-H. Franco-Penya, J. D. Kelleher, J. Pugh, R. Ross (2017). An analysis of
    the application of simplified silhouette to the evaluation of k-means clustering
    validity. MLDM 2017, LNCS 10358, 291-305.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.metrics import simplified_silhouette_samples
    >>> X = np.array([[0.0], [2.0], [10.0], [12.0]])
    >>> simplified_silhouette_samples(X, [0, 0, 1, 1]).round(4)
    array([0.9091, 0.8889, 0.8889, 0.9091])
    """
    return _simplified(X, labels, centers)


def simplified_silhouette_score(X: Any, labels: Any, centers: Any = None) -> float:
    """Mean simplified (centroid) silhouette: a different statistic from the silhouette.

    The mean of :func:`simplified_silhouette_samples` (see there for the definition and
    how it differs from :func:`silhouette_score`). O(n k d) time, so it scales to millions
    of customers.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Feature matrix.
    labels : array-like of shape (n_samples,)
        Cluster labels (or, with ``centers``, integer row indices into ``centers``).
    centers : array-like of shape (n_clusters, n_features), optional
        Centroids to measure against; default: the cluster means.

    Returns
    -------
    float
        Mean value in [-1, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.metrics import simplified_silhouette_score
    >>> X = np.array([[0.0], [2.0], [10.0], [12.0]])
    >>> round(simplified_silhouette_score(X, [0, 0, 1, 1], centers=[[1.0], [11.0]]), 4)
    0.899
    """
    return float(np.mean(_simplified(X, labels, centers)))


# --- agreement between two partitions ----------------------------------------------------


def _two_partitions(labels_true: Any, labels_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = _two_labelings(labels_true, labels_pred)
    return a.codes, b.codes


def _two_labelings(labels_true: Any, labels_pred: Any) -> tuple[EncodedLabels, EncodedLabels]:
    a = encode_labels(labels_true, name="labels_true")
    b = encode_labels(labels_pred, name="labels_pred")
    if a.codes.shape[0] != b.codes.shape[0]:
        raise ShapeMismatchError(
            f"labels_true has {a.codes.shape[0]} entries but labels_pred has "
            f"{b.codes.shape[0]}; both must label the same samples"
        )
    return a, b


def contingency_matrix(labels_true: Any, labels_pred: Any, *, as_frame: bool | None = None) -> Any:
    """Contingency table of two labelings: how many samples each pair of labels shares.

    Rows follow the sorted distinct values of ``labels_true``, columns those of
    ``labels_pred`` (scikit-learn's ``contingency_matrix`` order). Built in one O(n) pass.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Two labelings of the same samples, any hashable type (strings and mixed types are
        accepted; NaN/None are not).
    as_frame : bool or None, default=None
        Return a DataFrame indexed by the labels; ``None`` means "if either input is a
        pandas Series".

    Returns
    -------
    ndarray of shape (n_classes, n_clusters) or DataFrame
        int64 counts.

    Raises
    ------
    ShapeMismatchError
        If the two labelings have different lengths.
    NonFiniteError
        If a label is missing (NaN or None).

    Examples
    --------
    >>> from segwise.metrics import contingency_matrix
    >>> contingency_matrix([0, 0, 1, 1], ["a", "b", "b", "b"])
    array([[1, 1],
           [0, 2]])
    """
    as_frame = validate_params(locals(), _CONTINGENCY_PARAMS, caller="contingency_matrix")[
        "as_frame"
    ]
    a, b = _two_labelings(labels_true, labels_pred)
    table = _core.contingency_table(a.codes, b.codes)
    if as_frame is None:
        as_frame = isinstance(labels_true, pd.Series) or isinstance(labels_pred, pd.Series)
    if not as_frame:
        return table
    return pd.DataFrame(
        table,
        index=pd.Index(a.uniques, name=getattr(labels_true, "name", None), tupleize_cols=False),
        columns=pd.Index(b.uniques, name=getattr(labels_pred, "name", None), tupleize_cols=False),
    )


def adjusted_rand_score(labels_true: Any, labels_pred: Any) -> float:
    """Adjusted Rand index: pair agreement of two partitions corrected for chance.

    1.0 for identical partitions (up to renaming), about 0 for independent ones, negative
    when worse than chance. scikit-learn's definition and special cases, including 1.0
    for empty input and when no pair is split differently.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Two labelings of the same samples (any hashable type).

    Returns
    -------
    float

    Raises
    ------
    ShapeMismatchError
        If the two labelings have different lengths.

    Examples
    --------
    >>> from segwise.metrics import adjusted_rand_score
    >>> adjusted_rand_score([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    >>> round(adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]), 4)
    0.5714
    """
    a, b = _two_partitions(labels_true, labels_pred)
    return float(_core.agreement_score(a, b, score="ari"))


def adjusted_mutual_info_score(
    labels_true: Any, labels_pred: Any, *, average_method: str = "arithmetic"
) -> float:
    """Adjusted mutual information (Vinh, Epps & Bailey 2010), as scikit-learn's.

    ``(MI - E[MI]) / (mean(H_true, H_pred) - E[MI])`` with the expected mutual information
    of random partitions with the same cluster sizes; 1.0 for identical partitions, about
    0 for independent ones.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Two labelings of the same samples (any hashable type).
    average_method : {"arithmetic", "geometric", "min", "max"}, default="arithmetic"
        How the two entropies are averaged in the normaliser (scikit-learn's default).

    Returns
    -------
    float

    Notes
    -----
    When the normaliser equals ``E[MI]`` (and so does ``MI``), e.g. ``[0, 0, 1, 1]`` against
    four singletons with ``average_method="min"``, the score is 0/0: segwise, like
    scikit-learn, divides two rounding errors (guarded by machine epsilon), and the two
    libraries' values differ.

    Examples
    --------
    >>> from segwise.metrics import adjusted_mutual_info_score
    >>> adjusted_mutual_info_score(["a", "a", "b", "b"], [3, 3, 7, 7])
    1.0
    """
    method = validate_params(locals(), _AVERAGE_PARAMS, caller="adjusted_mutual_info_score")[
        "average_method"
    ]
    a, b = _two_partitions(labels_true, labels_pred)
    return float(_core.agreement_score(a, b, score="ami", average_method=method))


def normalized_mutual_info_score(
    labels_true: Any, labels_pred: Any, *, average_method: str = "arithmetic"
) -> float:
    """Normalized mutual information ``MI / mean(H_true, H_pred)``, as scikit-learn's.

    Not corrected for chance (prefer :func:`adjusted_mutual_info_score` to compare
    partitions with many clusters). 1.0 when both labelings have one cluster.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Two labelings of the same samples (any hashable type).
    average_method : {"arithmetic", "geometric", "min", "max"}, default="arithmetic"
        How the two entropies are averaged.

    Returns
    -------
    float

    Examples
    --------
    >>> from segwise.metrics import normalized_mutual_info_score
    >>> normalized_mutual_info_score([0, 0, 1, 1], [0, 0, 1, 1])
    1.0
    """
    method = validate_params(locals(), _AVERAGE_PARAMS, caller="normalized_mutual_info_score")[
        "average_method"
    ]
    a, b = _two_partitions(labels_true, labels_pred)
    return float(_core.agreement_score(a, b, score="nmi", average_method=method))


def fowlkes_mallows_score(labels_true: Any, labels_pred: Any) -> float:
    """Fowlkes-Mallows index: geometric mean of pairwise precision and recall.

    ``TP / sqrt((TP + FP)(TP + FN))`` over pairs of samples, as scikit-learn's (0.0 when
    no pair is together in both labelings).

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Two labelings of the same samples (any hashable type).

    Returns
    -------
    float

    Examples
    --------
    >>> from segwise.metrics import fowlkes_mallows_score
    >>> fowlkes_mallows_score([0, 0, 1, 1], [0, 0, 1, 1])
    1.0
    """
    a, b = _two_partitions(labels_true, labels_pred)
    return float(_core.agreement_score(a, b, score="fmi"))


def gower_distances(
    X: Any,
    Y: Any = None,
    *,
    weights: Any = None,
    categorical: Any = None,
    missing: str = "ignore",
    dtype: Any = "float64",
    max_bytes: int | None = None,
) -> np.ndarray:
    """Gower's distance between the customers of a table of numeric and categorical columns.

    R's ``cluster::daisy(x, metric = "gower")`` (Gower 1971; Kaufman & Rousseeuw 1990,
    ch. 1): for rows ``i`` and ``j``,
    ``d(i, j) = sum_f w_f delta_ijf d_ijf / sum_f w_f delta_ijf``, with

    * a **numeric** column: ``d_ijf = |x_if - x_jf| / R_f``, ``R_f`` the column's range
      (over the rows of ``X`` and ``Y``); a constant column adds 0 but still counts in the
      denominator, as in daisy;
    * a **nominal** column (category, object, string or bool dtype, or named in
      ``categorical``): 0 when the levels match, 1 otherwise;
    * an **ordinal** column (an ordered pandas categorical): the levels' ranks (their
      positions among the dtype's categories, R's factor codes) are compared as numbers,
      scaled by the range of the ranks that occur;
    * a **missing** value (NaN, None): with ``missing="ignore"`` (daisy's rule) the column
      is left out for that pair (``delta_ijf = 0``) and the weights of the other columns
      are renormalised. A pair with no column observed in both rows has no distance: NaN
      (daisy's ``NA``).

    Distances are in [0, 1], the matrix is exactly symmetric with a zero diagonal, and the
    result does not depend on the number of threads. The Rust core computes it in parallel
    blocks of rows, in chunks (Ctrl-C stops it between chunks).

    Differences from daisy: ``bool`` columns are nominal, as in Python's ``gower``
    package (daisy reads R ``logical`` columns as *asymmetric* binary, with a warning);
    daisy's ``type=`` options (asymmetric binary, ``ordratio``, ``logratio``) are not
    offered: transform those columns first.

    Parameters
    ----------
    X : DataFrame, polars DataFrame or 2-D array-like of shape (n_x, n_columns)
        The customers. Columns are categorical by dtype (category, object, string, bool)
        unless ``categorical`` names them.
    Y : same kind as ``X``, with the same columns, optional
        Distances from the rows of ``X`` to the rows of ``Y`` instead of to each other,
        with the column scales taken over both tables: the ``X``-by-``Y`` block of the
        distances of the two tables stacked.
    weights : array-like of shape (n_columns,) or dict {column: weight}, optional
        Weight of each column (>= 0, finite, not all 0); a mapping gives weight 1 to the
        columns it does not name. Default: all 1. A column of weight 0 is left out.
    categorical : column label, position or list of them, optional
        Exactly the categorical columns (every other column must be numeric).
    missing : {"ignore", "level", "error"}, default="ignore"
        ``"ignore"``: skip the column for that pair (daisy). ``"level"``: a missing
        categorical value is a level of its own (matching other missing values; numeric
        NaN is still skipped; not for ordered columns). ``"error"``: raise
        :class:`~segwise.exceptions.NonFiniteError` naming the column and count.
    dtype : {"float64", "float32"}, default="float64"
        Type of the result (computed in float64 either way); float32 halves the memory.
    max_bytes : int, optional
        Cap on the size of the result. Default: half the machine's physical memory. A
        larger result raises :class:`~segwise.exceptions.AllocationError` saying how many
        bytes it would take, before anything is allocated.

    Returns
    -------
    numpy.ndarray of shape (n_x, n_x) or (n_x, n_y)
        The distances, rows in the order of ``X`` and columns in the order of ``Y`` (or
        ``X``); an array, not a DataFrame, so it can go straight into
        ``KMedoids(metric="precomputed")`` or scikit-learn.

    Raises
    ------
    AllocationError
        The result would be larger than ``max_bytes`` or cannot be allocated.
    EmptyInputError
        No rows, or a column with no values at all.
    NonFiniteError
        Infinity in a numeric column, or a missing value with ``missing="error"``.
    FeatureNamesError
        ``Y`` has other columns than ``X``.

    See Also
    --------
    segwise.cluster.KMedoids : segments from these distances (``metric="gower"``).
    silhouette_score : with ``metric="gower"``, the quality of a mixed-table segmentation.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.metrics import gower_distances
    >>> customers = pd.DataFrame({"age": [20, 40, 30], "region": ["north", "south", "north"]})
    >>> gower_distances(customers)
    array([[0.  , 1.  , 0.25],
           [1.  , 0.  , 0.75],
           [0.25, 0.75, 0.  ]])

    Rows 0 and 2 differ by 10 years of a 20-year range (0.5) and share the region (0):
    ``(0.5 + 0) / 2 = 0.25``. Weights and the distances to other customers:

    >>> new = pd.DataFrame({"age": [25], "region": ["south"]})
    >>> gower_distances(customers, new, weights={"region": 3.0}).round(4)
    array([[0.8125],
           [0.1875],
           [0.8125]])
    """
    params = validate_params(locals(), _GOWER_PARAMS, caller="gower_distances")
    try:
        out_dtype = np.dtype(params["dtype"])
    except TypeError as exc:
        raise InvalidParameterError(f"gower_distances: dtype {dtype!r} is not a dtype") from exc
    if out_dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise InvalidParameterError(
            f"gower_distances: dtype must be float64 or float32, got {out_dtype}"
        )
    options = {k: params[k] for k in _GOWER_KEYWORDS}
    if Y is None:
        model, left = GowerModel.fit(X, caller="gower_distances", **options)
        right = left
    else:
        fx, fy = as_table(X, "X"), as_table(Y, "Y")
        if list(fx.columns) != list(fy.columns):
            raise FeatureNamesError(
                f"gower_distances: Y must have the columns of X in the same order; X has "
                f"{list(fx.columns)}, Y has {list(fy.columns)}"
            )
        with warnings.catch_warnings():  # pandas' notice about all-NA columns in concat
            warnings.simplefilter("ignore", FutureWarning)
            both = pd.concat([fx, fy], ignore_index=True)
        model, data = GowerModel.fit(both, name="X and Y", caller="gower_distances", **options)
        left, right = data.rows(slice(0, len(fx))), data.rows(slice(len(fx), None))
    out = allocate_matrix(
        left.n,
        right.n,
        out_dtype,
        what="gower_distances",
        max_bytes=params["max_bytes"],
        hint=(
            "; compute it in blocks of rows (gower_distances(X[a:b], X)), pass "
            "dtype='float32', or segment with KMedoids(method='clara'), which never builds "
            "the full matrix"
        ),
    )
    return model.fill(left, right, out)
