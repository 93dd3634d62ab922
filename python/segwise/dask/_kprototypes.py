"""k-prototypes and k-modes on dask DataFrames: the batch iteration from partial statistics."""

from __future__ import annotations

import functools
import warnings
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._dask import (
    aligned,
    collect_levels,
    compute,
    core_call,
    fitted_frame,
    is_dask_collection,
    predict_partition,
    require_dask,
    tree_reduce,
    weight_blocks,
)
from .._validation import (
    Constraints,
    Interval,
    MixedChecked,
    check_fitted,
    check_mixed,
    check_random_state,
)
from ..cluster import KModes as _InMemoryKModes
from ..cluster import KPrototypes as _InMemoryKPrototypes
from ..exceptions import (
    ConstantColumnWarning,
    EmptyInputError,
    InvalidParameterError,
    InvalidWeightsError,
    NotEnoughSamplesError,
    SegwiseError,
)
from ._kmeans import _warn_if_fewer_clusters, _weight_total

__all__ = ["KModes", "KPrototypes"]

#: Random stream of the initialisation sample (row keys from the global row index).
_STREAM_SAMPLE = 6 << 40
#: Default rows of the initialisation sample.
_INIT_SIZE = 20_000


# ---------------------------------------------------------------- tasks (run on workers)


def _encode(
    part: pd.DataFrame,
    index: int,
    categorical: list[Any],
    levels: list[list[Any]],
    missing: str,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Partition ``index`` as the two blocks coded with the levels of the whole data
    (``None`` for a partition without rows); errors name the partition."""
    if len(part) == 0:
        return None
    m = check_mixed(
        part,
        categorical=categorical,
        levels=levels,
        missing=missing,
        unknown="error",
        name=f"partition {index} of X",
    )
    return m.numeric, m.categorical


def _first_pass(
    blocks: tuple[np.ndarray, np.ndarray] | None, n_levels: np.ndarray, k: int
) -> tuple[int, Any, list[np.ndarray], Any]:
    """Rows, numeric moments, level counts and (few distinct rows only) the distinct rows
    of one partition."""
    if blocks is None:
        return 0, None, [np.zeros(int(n), np.int64) for n in n_levels], None
    num, cat = aligned(blocks)
    moments = core_call("kmeans_partition_moments", num) if num.shape[1] else None
    counts = [np.bincount(cat[:, j], minlength=int(n)) for j, n in enumerate(n_levels)]
    distinct = core_call("kprototypes_distinct_rows", num, cat, n_levels, limit=k)
    rows = None
    if distinct < k:  # report the (few) distinct rows for the global count
        frame = pd.concat(
            [pd.DataFrame(num), pd.DataFrame(cat, columns=range(-cat.shape[1], 0))], axis=1
        )
        rows = frame.drop_duplicates()
    return num.shape[0], moments, counts, rows


def _sample_keys(
    blocks: tuple[np.ndarray, np.ndarray] | None,
    w: np.ndarray | None,
    size: int,
    seed: int,
    offset: int,
) -> Any:
    """The ``size`` rows of positive weight with the largest random keys of a partition
    (keys from the global row index: the sample does not depend on the partitioning)."""
    if blocks is None:
        return None
    num, cat = aligned(blocks)
    n = num.shape[0]
    positions = np.arange(n, dtype=np.float64).reshape(n, 1)
    positive = None if w is None else (np.asarray(w) > 0).astype(np.float64)
    keys, index, rows = core_call(
        "kmeans_random_keys",
        positions,
        sample_weight=positive,
        k=size,
        seed=seed,
        stream=_STREAM_SAMPLE,
        offset=offset,
    )
    pos = rows[:, 0].astype(np.int64)
    weight = np.ones(len(pos)) if w is None else np.asarray(w)[pos]
    return keys, index, num[pos], cat[pos], weight, size


def _top_keys(a: Any, b: Any) -> Any:
    """Keep the largest keys of two samples (ties by global index)."""
    size = a[5]
    both = [np.concatenate([x, y]) for x, y in zip(a[:5], b[:5], strict=True)]
    keys, index = both[0], both[1]
    order = np.lexsort((index, -keys))[:size]
    return (*[x[order] for x in both], size)


def _stats(
    blocks: tuple[np.ndarray, np.ndarray] | None,
    w: np.ndarray | None,
    prototypes: tuple[np.ndarray, np.ndarray],
    n_levels: np.ndarray,
    gamma: float,
    offset: int,
) -> Any:
    if blocks is None:
        return None
    num, cat = blocks
    return core_call(
        "kprototypes_lloyd_partial",
        num,
        cat,
        n_levels,
        prototypes,
        gamma=gamma,
        sample_weight=w,
        offset=offset,
    )


def _add_stats(a: Any, b: Any) -> Any:
    # The fingerprints are uint64 sums modulo 2**64 (numpy arrays wrap silently).
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _far(
    blocks: tuple[np.ndarray, np.ndarray] | None,
    w: np.ndarray | None,
    prototypes: tuple[np.ndarray, np.ndarray],
    n_levels: np.ndarray,
    gamma: float,
    n_far: int,
    offset: int,
) -> Any:
    if blocks is None:
        return None
    num, cat = blocks
    return core_call(
        "kprototypes_farthest_rows",
        num,
        cat,
        n_levels,
        prototypes,
        gamma=gamma,
        sample_weight=w,
        n_far=n_far,
        offset=offset,
    )


def _transform_part(part: pd.DataFrame, est: Any, base: Any, columns: list[str]) -> pd.DataFrame:
    if len(part) == 0:
        return pd.DataFrame(np.empty((0, len(columns))), index=part.index, columns=columns)
    out = np.asarray(base.transform(est, part), dtype=np.float64)
    return pd.DataFrame(out, index=part.index, columns=columns)


def _score_part(part: pd.DataFrame, w: Any, est: Any, base: Any) -> float:
    if len(part) == 0 or (w is not None and not np.sum(w) > 0):
        return 0.0
    return float(base.score(est, part, sample_weight=w))


# ---------------------------------------------------------------- the estimators


class _DaskMixed:
    """What the dask KPrototypes and KModes share: the distributed fit of the batch
    iteration and lazy predict / transform."""

    #: The in-memory estimator (for predict / transform of one partition).
    _base: type
    _validate_params: Any
    _read: Any
    _check_columns: Any
    _n_init: Any
    _init_blocks: Any
    _prototype_frame: Any
    _warn_if_not_converged: Any
    get_feature_names_out: Any
    init: Any
    init_size: Any
    categorical: Any
    random_state: Any

    # ------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        dask = require_dask()
        p = self._validate_params()
        name = type(self).__name__
        if p["algorithm"] == "huang":
            raise InvalidParameterError(
                f"segwise.dask.{name}: algorithm='huang' updates the prototypes row by row "
                "in row order, which cannot be split over partitions; use algorithm='lloyd' "
                f"(batch updates, the default), or segwise.cluster.{name} in memory"
            )
        k, init = p["n_clusters"], p["init"]
        frame = _as_frame(X)
        parts = list(frame.to_delayed())
        meta = _meta_table(self, frame)
        self._check_columns(meta)
        cat_names = list(meta.categorical_columns)
        # Pass 1: the levels of every categorical column over the partitions.
        levels = _levels(frame, cat_names, p["missing"], name)
        n_levels = np.array([len(v) for v in levels], dtype=np.int64)
        # Pass 2: every partition coded once and persisted for the iterations.
        blocks = [
            dask.delayed(_encode, pure=True)(part, i, cat_names, levels, p["missing"])
            for i, part in enumerate(parts)
        ]
        blocks = list(dask.persist(*blocks))
        firsts = compute(*[dask.delayed(_first_pass, pure=True)(b, n_levels, k) for b in blocks])
        lengths = [int(f[0]) for f in firsts]
        n = sum(lengths)
        if n < k:
            raise NotEnoughSamplesError(f"n_samples={n} should be >= n_clusters={k}.")
        _check_distinct(firsts, n, k)
        weights = weight_blocks(sample_weight, lengths)
        if sample_weight is not None:
            weights = list(dask.persist(*weights))
            totals = compute(
                *[dask.delayed(_weight_total, pure=True)(w, i) for i, w in enumerate(weights)]
            )
            if not sum(totals) > 0:
                raise InvalidWeightsError(
                    "sample_weight is all zero; at least one weight must be positive"
                )
        offsets = [int(o) for o in np.concatenate([[0], np.cumsum(lengths)[:-1]])]
        gamma = self._gamma_of(firsts, n, n_levels)
        seed = check_random_state(self.random_state)
        runs = self._n_init(p["n_init"], init)
        if isinstance(init, str):
            start = self._sample_start(
                blocks, weights, offsets, n_levels, k, gamma, seed, runs, p, n
            )
        else:
            ref = _with_levels(meta, levels)
            start = self._init_blocks(ref, k)
        data = (blocks, weights, offsets, n_levels, gamma)
        protos, n_iter, stats, converged = _iterate(data, start, p["max_iter"])
        _warn_if_fewer_clusters(stats[2], k, stacklevel=3)
        self._warn_if_not_converged(converged, p["max_iter"])
        # Fitted state only now: a failed pass never leaves a half-updated model.
        self._set_fitted(meta, frame, levels, protos, stats, n_iter, gamma)
        self.labels_ = self.predict(X)
        return self

    def _gamma_of(self, firsts: Any, n: int, n_levels: np.ndarray) -> float:
        return 1.0

    def _sample_start(
        self,
        blocks: list[Any],
        weights: list[Any],
        offsets: list[int],
        n_levels: np.ndarray,
        k: int,
        gamma: float,
        seed: int,
        runs: int,
        p: dict[str, Any],
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The in-memory seeding and batch fit (``runs`` restarts) on a random sample of
        ``init_size`` rows of positive weight, drawn on the workers: its prototypes start
        the distributed iteration."""
        dask = require_dask()
        size = int(p["init_size"] or _INIT_SIZE)
        sample = compute(
            tree_reduce(
                [
                    dask.delayed(_sample_keys, pure=True)(b, w, size, seed, o)
                    for b, w, o in zip(blocks, weights, offsets, strict=True)
                ],
                _top_keys,
            )
        )[0]
        order = np.argsort(sample[1], kind="stable")  # the sample in row order
        num, cat, w = (np.ascontiguousarray(sample[i][order]) for i in (2, 3, 4))
        init = p["init"]
        seeding = "k-prototypes++" if init == self._plus_plus else init  # type: ignore[attr-defined]
        try:
            fitted = _core.kprototypes_fit(
                num,
                cat,
                n_levels,
                sample_weight=w,
                n_clusters=k,
                init=seeding,
                init_numeric=None,
                init_categorical=None,
                n_init=runs,
                max_iter=p["max_iter"],
                gamma=gamma,
                algorithm="lloyd",
                seed=seed,
            )
        except (NotEnoughSamplesError, InvalidParameterError) as err:
            raise NotEnoughSamplesError(
                f"{type(self).__name__}: the initialisation sample ({len(w)} of {n} rows) "
                f"cannot seed n_clusters={k}: {err}; raise init_size or pass init= prototypes"
            ) from None
        return fitted[0], fitted[1]

    def _set_fitted(
        self,
        meta: MixedChecked,
        frame: Any,
        levels: list[list[Any]],
        protos: tuple[np.ndarray, np.ndarray],
        stats: Any,
        n_iter: int,
        gamma: float,
    ) -> None:
        self.n_features_in_ = len(meta.columns)
        self.feature_names_in_ = np.asarray([str(c) for c in meta.columns], dtype=object)
        self._fitted_mixed = meta.is_categorical.copy()
        self._fitted_dtypes = _prototype_dtypes(meta, levels)
        self._num_prototypes, self._cat_prototypes = protos
        self._n_levels = np.array([len(v) for v in levels], dtype=np.int64)
        self.categories_ = [list(v) for v in levels]
        self.categorical_columns_ = list(meta.categorical_columns)
        self.cost_ = float(stats[4])
        self.n_iter_ = int(n_iter)
        self._gamma = gamma
        self.prototypes_ = self._prototype_frame(meta.columns)

    # ------------------------------------------------------------ predict / transform

    def predict(self, X: Any) -> Any:
        """The closest prototype of each row: a lazy dask Series ``"segment"`` on ``X``'s
        index for a dask DataFrame, the in-memory result otherwise.

        Parameters
        ----------
        X : dask DataFrame, or an in-memory table
            The columns seen in ``fit``; unseen levels follow ``unknown``.

        Returns
        -------
        labels : dask Series of int32, or numpy.ndarray

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> from segwise.dask import KModes
        >>> X = dd.from_pandas(pd.DataFrame({"plan": ["a", "a", "b", "b"],
        ...                                  "region": ["n", "n", "s", "s"]}), npartitions=2)
        >>> KModes(n_clusters=2).fit(X).predict(X).compute().tolist()
        [0, 0, 1, 1]
        """
        if not is_dask_collection(X):
            return self._base.predict(self, X)  # type: ignore[attr-defined]
        check_fitted(self, "prototypes_")
        frame = self._fitted_frame(X)
        meta = pd.Series(np.empty(0, np.int32), name="segment")
        predict = functools.partial(self._base.predict, self)  # type: ignore[attr-defined]
        return frame.map_partitions(predict_partition, predict, meta=meta)

    def transform(self, X: Any) -> Any:
        """The cost of each row against each prototype, lazily for a dask DataFrame.

        Parameters
        ----------
        X : dask DataFrame, or an in-memory table

        Returns
        -------
        costs : dask DataFrame (columns ``kprototypes0, ...`` or ``kmodes0, ...``, the
            input's index), or the in-memory result

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> from segwise.dask import KModes
        >>> X = dd.from_pandas(pd.DataFrame({"plan": ["a", "a", "b", "b"]}), npartitions=2)
        >>> KModes(n_clusters=2).fit(X).transform(X).compute().to_numpy().tolist()
        [[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]
        """
        if not is_dask_collection(X):
            return self._base.transform(self, X)  # type: ignore[attr-defined]
        check_fitted(self, "prototypes_")
        frame = self._fitted_frame(X)
        names = [str(c) for c in self.get_feature_names_out()]
        meta = pd.DataFrame(np.empty((0, len(names))), columns=names)
        return frame.map_partitions(_transform_part, self, self._base, names, meta=meta)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) cost of ``X`` against the prototypes (computed).

        Parameters
        ----------
        X : dask DataFrame, or an in-memory table
        y : ignored
        sample_weight : dask Array/Series or array-like, optional

        Returns
        -------
        score : float

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> from segwise.dask import KModes
        >>> X = dd.from_pandas(pd.DataFrame({"plan": ["a", "a", "b", "c"]}), npartitions=2)
        >>> KModes(n_clusters=2).fit(X).score(X)
        -1.0
        """
        if not is_dask_collection(X):
            return self._base.score(self, X, sample_weight=sample_weight)  # type: ignore[attr-defined,no-any-return]
        dask = require_dask()
        check_fitted(self, "prototypes_")
        frame = self._fitted_frame(X)
        parts = list(frame.to_delayed())
        lengths = compute(*[dask.delayed(len)(part) for part in parts])
        weights = weight_blocks(sample_weight, lengths)
        scores = compute(
            *[
                dask.delayed(_score_part, pure=True)(part, w, self, self._base)
                for part, w in zip(parts, weights, strict=True)
            ]
        )
        return float(sum(scores))

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Fit, then return ``labels_`` (a lazy dask Series).

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> from segwise.dask import KModes
        >>> X = dd.from_pandas(pd.DataFrame({"plan": ["a", "a", "b"]}), npartitions=2)
        >>> KModes(n_clusters=2).fit_predict(X).compute().tolist()
        [0, 0, 1]
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Fit, then return the (lazy) costs of ``X`` against the prototypes.

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> from segwise.dask import KModes
        >>> X = dd.from_pandas(pd.DataFrame({"plan": ["a", "a", "b"]}), npartitions=2)
        >>> KModes(n_clusters=2).fit_transform(X).compute().shape
        (3, 2)
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def _fitted_frame(self, X: Any) -> Any:
        return fitted_frame(self, _as_frame(X))


# ---------------------------------------------------------------- helpers (client)


def _as_frame(X: Any) -> Any:
    """``X`` as a dask DataFrame (the mixed estimators read columns by name)."""
    require_dask()
    import dask.dataframe as dd

    if isinstance(X, dd.DataFrame):
        return X
    if is_dask_collection(X):
        raise InvalidParameterError(
            f"X must be a dask DataFrame for a mixed table, got a {type(X).__name__}; use "
            "dask.dataframe.from_dask_array(X, columns=[...]) for an array"
        )
    raise InvalidParameterError(
        f"X must be a dask DataFrame, got {type(X).__name__}; use segwise.cluster for "
        "pandas and numpy data"
    )


def _meta_table(est: Any, frame: Any) -> MixedChecked:
    """Which columns are categorical, read from the frame's meta by the in-memory rule."""
    sample = frame._meta_nonempty.copy()
    for col in sample.columns:  # dask may fill text columns of the meta with missing values
        numeric = pd.api.types.is_numeric_dtype(sample[col].dtype)
        if not numeric and sample[col].isna().all():
            sample[col] = "level"
    try:
        return est._read(sample, missing="level")  # type: ignore[no-any-return]
    except SegwiseError as err:
        raise type(err)(str(err)) from None


def _levels(frame: Any, columns: list[Any], missing: str, name: str) -> list[list[Any]]:
    """The levels of every categorical column over the partitions (``collect_levels``:
    the in-memory order), with the in-memory warning for a single level."""
    levels = collect_levels(frame, columns, missing_level=missing == "level")
    for col, values in zip(columns, levels, strict=True):
        if len(values) == 1:
            warnings.warn(
                f"{name}: categorical column {col!r} has a single level ({values[0]!r}); it "
                "adds the same cost to every prototype and cannot separate segments",
                ConstantColumnWarning,
                stacklevel=4,
            )
    return levels


def _with_levels(meta: MixedChecked, levels: list[list[Any]]) -> MixedChecked:
    """The meta's table description with the levels of the whole data (to code init)."""
    return MixedChecked(
        numeric=np.empty((0, len(meta.numeric_columns))),
        categorical=np.empty((0, len(levels)), np.int32),
        columns=meta.columns,
        is_categorical=meta.is_categorical,
        levels=levels,
        ordered=meta.ordered,
        dtypes=meta.dtypes,
        index=pd.RangeIndex(0),
    )


def _prototype_dtypes(meta: MixedChecked, levels: list[list[Any]]) -> list[Any]:
    """The input's dtypes for the prototypes; a categorical whose categories are not
    known from the meta becomes a categorical of the levels found."""
    out = []
    j = 0
    for dtype, is_cat in zip(meta.dtypes, meta.is_categorical, strict=True):
        if is_cat:
            if isinstance(dtype, pd.CategoricalDtype):
                cats = [v for v in levels[j] if v is not None]
                known = [c for c in dtype.categories if c != "__UNKNOWN_CATEGORIES__"]
                if set(cats) - set(known):
                    dtype = pd.CategoricalDtype(cats, ordered=dtype.ordered)
            j += 1
        out.append(dtype)
    return out


def _check_distinct(firsts: Any, n: int, k: int) -> None:
    """The in-memory error when the data has fewer distinct rows than clusters."""
    if any(f[3] is None and f[0] > 0 for f in firsts):
        return  # a partition alone has k distinct rows
    rows = [f[3] for f in firsts if f[3] is not None]
    distinct = len(pd.concat(rows, ignore_index=True).drop_duplicates())
    if distinct < k:
        raise NotEnoughSamplesError(
            f"X has only {distinct} distinct row(s) among its {n} rows, fewer than "
            f"n_clusters={k}; use n_clusters <= {distinct}"
        )


def _merged_moments(firsts: Any) -> np.ndarray | None:
    moments = None
    for f in firsts:
        if f[1] is not None:
            moments = f[1] if moments is None else core_call("kmeans_merge_moments", moments, f[1])
    return moments


def _iterate(
    data: Any, start: tuple[np.ndarray, np.ndarray], max_iter: int
) -> tuple[tuple[np.ndarray, np.ndarray], int, Any, bool]:
    """The batch iteration from ``start``: one pass per iteration (partial statistics
    merged in a fixed tree), as the in-memory ``algorithm="lloyd"`` run, with its stopping
    rule (``kprototypes_lloyd_converged``: no row changed cluster, the label fingerprints
    being equal, or the cost did not decrease) or after ``max_iter`` iterations.
    Returns the prototypes, the iterations, the last pass's merged statistics and whether
    the run converged."""
    dask = require_dask()
    blocks, weights, offsets, n_levels, gamma = data
    k = start[0].shape[0]

    def one_pass(protos: tuple[np.ndarray, np.ndarray]) -> Any:
        return compute(
            tree_reduce(
                [
                    dask.delayed(_stats, pure=True)(b, w, protos, n_levels, gamma, o)
                    for b, w, o in zip(blocks, weights, offsets, strict=True)
                ],
                _add_stats,
            )
        )[0]

    protos = (np.ascontiguousarray(start[0]), np.ascontiguousarray(start[1]))
    stats = one_pass(protos)
    n_iter = 0
    converged = False
    while n_iter < max_iter and not converged:
        n_empty = int((stats[2] == 0).sum())
        far = None
        if n_empty:
            parts = compute(
                *[
                    dask.delayed(_far, pure=True)(b, w, protos, n_levels, gamma, n_empty + k, o)
                    for b, w, o in zip(blocks, weights, offsets, strict=True)
                ]
            )
            parts = [f for f in parts if f is not None]
            far = tuple(np.concatenate([f[i] for f in parts]) for i in range(6))
        num, cat, fingerprint, _ = core_call(
            "kprototypes_lloyd_finish", stats, n_levels, protos, far=far
        )
        protos = (num, cat)
        n_iter += 1
        new = one_pass(protos)
        converged = _core.kprototypes_lloyd_converged(
            labels_changed=not np.array_equal(new[5], fingerprint),
            cost=float(stats[4]),
            new_cost=float(new[4]),
        )
        stats = new
    return protos, n_iter, stats, converged


class KPrototypes(_DaskMixed, _InMemoryKPrototypes):  # type: ignore[misc]
    """k-prototypes on a dask DataFrame of numeric and categorical columns.

    The same parameters, fitted attributes and answers as
    :class:`segwise.cluster.KPrototypes` with ``algorithm="lloyd"`` (the batch
    iteration), for tables that do not fit on one machine. Each iteration is one pass
    over the partitions: a Rust kernel returns each partition's per-cluster numeric sums,
    weights, row counts, per-(cluster, column, level) counts, cost and a fingerprint of
    the labels; the partials are merged in a fixed tree on the workers and the client
    turns them into the new prototypes (means, and modes with the smallest code on ties)
    exactly as the in-memory step does. Coded partitions are persisted for the iterations.

    **Same numbers as in memory**: from the same initial prototypes (``init=`` a
    DataFrame) the labels, modes and ``n_iter_`` equal the in-memory batch fit's, and the
    numeric prototypes agree within ~1e-15 relative (sums merge in another order),
    whatever the partitioning; empty clusters are relocated as in memory. Whether any row
    changed cluster is read from the label fingerprints (equal with probability
    ``1 - 2^-128`` only when no row changed), so no labels are kept between passes.

    **Initialisation** (``init`` a string): the in-memory seeding needs random access to
    every row, so it runs on a random sample of ``init_size`` rows of positive weight
    drawn on the workers (only the sample reaches the client; each row's draw is a
    function of ``random_state`` and its position in ``X``, so the sample does not depend
    on the partitioning). The ``n_init`` restarts of the seeding and the batch iteration
    run in memory on the sample (weighted), and the best prototypes start the distributed
    iteration on all rows: one distributed run however many restarts. With fewer rows
    than ``init_size`` this is the in-memory fit's seeding on the whole data.

    **Categorical columns**: by dtype as in memory (category, string, object, bool), or
    named with ``categorical=``. Levels are learned in one pass over the partitions: a
    categorical with known categories keeps their order; strings, and categoricals whose
    categories differ per partition (unknown categories), are coded in sorted order of
    the levels found anywhere.

    ``algorithm="huang"`` (row-by-row updates in row order) cannot be split over
    partitions and raises :class:`~segwise.exceptions.InvalidParameterError`.

    Parameters
    ----------
    n_clusters, gamma, init, n_init, max_iter, categorical, missing, unknown, random_state
        As in :class:`segwise.cluster.KPrototypes` (``gamma=None`` and ``"lambdaest"``
        are computed from merged per-column moments and level counts of all rows).
    algorithm : {"lloyd"}, default="lloyd"
    init_size : int, optional
        Rows of the initialisation sample (default 20,000).

    Attributes
    ----------
    labels_ : dask Series
        Segment of each row, lazy (``predict(X)`` of the training data).
    n_iter_ : int
        Iterations of the distributed run (with a sampled seeding, those after the
        sample's own iterations).
    cost_, gamma_, prototypes_, categories_, categorical_columns_
        As in :class:`segwise.cluster.KPrototypes`.
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from segwise.dask import KPrototypes
    >>> X = pd.DataFrame({
    ...     "spend": [10.0, 12.0, 11.0, 95.0, 90.0, 99.0],
    ...     "channel": ["web", "web", "web", "shop", "shop", "web"],
    ... })
    >>> kp = KPrototypes(n_clusters=2, random_state=0).fit(dd.from_pandas(X, npartitions=2))
    >>> kp.prototypes_.round(2)
             spend channel
    cluster
    0        11.00     web
    1        94.67    shop
    >>> kp.labels_.compute().tolist()
    [0, 0, 0, 1, 1, 1]
    """

    _base = _InMemoryKPrototypes
    _parameter_constraints: Constraints = {
        **_InMemoryKPrototypes._parameter_constraints,
        "init_size": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        gamma: float | str | None = None,
        init: Any = "k-prototypes++",
        n_init: str | int = "auto",
        max_iter: int = 100,
        algorithm: str = "lloyd",
        categorical: Any = None,
        missing: str = "error",
        unknown: str = "error",
        random_state: Any = None,
        init_size: int | None = None,
    ) -> None:
        super().__init__(
            n_clusters,
            gamma=gamma,
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            algorithm=algorithm,
            categorical=categorical,
            missing=missing,
            unknown=unknown,
            random_state=random_state,
        )
        self.init_size = init_size

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KPrototypes:
        """Compute the k-prototypes segments of a dask DataFrame.

        Parameters
        ----------
        X : dask DataFrame
            Numeric and categorical columns; any partitioning (empty partitions and
            unknown divisions included).
        y : ignored
        sample_weight : dask Array/Series or array-like of shape (n_samples,), optional
            Realigned on ``X``'s partitions when partitioned differently.

        Returns
        -------
        self : KPrototypes

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> from segwise.dask import KPrototypes
        >>> X = pd.DataFrame({"age": [23.0, 25, 61, 64],
        ...                   "plan": ["basic", "basic", "gold", "gold"]})
        >>> kp = KPrototypes(n_clusters=2, random_state=0).fit(dd.from_pandas(X, npartitions=2))
        >>> kp.cost_  # as segwise.cluster.KPrototypes(n_clusters=2, random_state=0).fit(X)
        6.5
        """
        super().fit(X, sample_weight=sample_weight)
        self.gamma_ = self._gamma
        return self

    def _gamma_of(self, firsts: Any, n: int, n_levels: np.ndarray) -> float:
        gamma = self.gamma
        if gamma is not None and gamma != "lambdaest":
            return float(gamma)
        moments = _merged_moments(firsts)
        if moments is None:  # pragma: no cover - a KPrototypes table has numeric columns
            raise EmptyInputError("X has no numeric rows")
        m2 = moments[:, 2]
        if gamma is None:
            gamma = float(0.5 * np.mean(np.sqrt(m2 / n)))
            if not gamma > 0:
                raise InvalidParameterError(
                    f"KPrototypes: the numeric columns have no variation across the {n} "
                    f"row(s) (n_samples={n}), so the default gamma (half their mean standard "
                    "deviation) is 0; pass gamma > 0"
                )
            return gamma
        var = float(np.mean(m2 / (n - 1))) if n > 1 else 0.0
        counts = [sum(f[2][j] for f in firsts) for j in range(len(n_levels))]
        cat = float(np.mean([1.0 - float(np.sum((c / n) ** 2)) for c in counts]))
        if not (var > 0 and cat > 0):
            which = "numeric columns have no variance" if not var > 0 else "categorical columns"
            if var > 0:
                which += " have a single level each"
            raise InvalidParameterError(
                f"gamma='lambdaest' is undefined here: the {which}; pass a number for gamma"
            )
        return var / cat


class KModes(_DaskMixed, _InMemoryKModes):  # type: ignore[misc]
    """k-modes on a dask DataFrame of categorical columns.

    :class:`segwise.cluster.KModes` with ``algorithm="lloyd"`` on partitioned data: one
    pass per iteration, each partition's per-(cluster, column, level) counts merged in a
    fixed tree, the same labels, modes, cost and ``n_iter_`` as in memory from the same
    initial prototypes, whatever the partitioning. Initialisation, categorical levels and
    the refusal of ``algorithm="huang"`` as in :class:`segwise.dask.KPrototypes`.

    Parameters
    ----------
    n_clusters, init, n_init, max_iter, categorical, missing, unknown, random_state
        As in :class:`segwise.cluster.KModes` (``init="cao"``, the default, runs Cao's
        seeding on the initialisation sample).
    algorithm : {"lloyd"}, default="lloyd"
    init_size : int, optional
        Rows of the initialisation sample (default 20,000).

    Attributes
    ----------
    labels_ : dask Series
    cost_, n_iter_, prototypes_, categories_, categorical_columns_
        As in :class:`segwise.cluster.KModes`.
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from segwise.dask import KModes
    >>> X = pd.DataFrame({
    ...     "channel": ["web", "web", "web", "shop", "shop", "shop"],
    ...     "region": ["north", "north", "south", "south", "south", "south"],
    ... })
    >>> km = KModes(n_clusters=2).fit(dd.from_pandas(X, npartitions=3))
    >>> km.prototypes_
            channel region
    cluster
    0            web  north
    1           shop  south
    >>> km.cost_
    1.0
    """

    _base = _InMemoryKModes
    _parameter_constraints: Constraints = {
        **_InMemoryKModes._parameter_constraints,
        "init_size": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "cao",
        n_init: str | int = "auto",
        max_iter: int = 100,
        algorithm: str = "lloyd",
        categorical: Any = None,
        missing: str = "error",
        unknown: str = "error",
        random_state: Any = None,
        init_size: int | None = None,
    ) -> None:
        super().__init__(
            n_clusters,
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            algorithm=algorithm,
            categorical=categorical,
            missing=missing,
            unknown=unknown,
            random_state=random_state,
        )
        self.init_size = init_size

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KModes:
        """Compute the k-modes segments of a dask DataFrame.

        Parameters
        ----------
        X : dask DataFrame
            Categorical columns (numbers are levels).
        y : ignored
        sample_weight : dask Array/Series or array-like of shape (n_samples,), optional

        Returns
        -------
        self : KModes

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> from segwise.dask import KModes
        >>> X = pd.DataFrame({"plan": ["basic", "basic", "gold"], "region": ["n", "n", "s"]})
        >>> KModes(n_clusters=2).fit(dd.from_pandas(X, npartitions=2)).cost_
        0.0
        """
        return super().fit(X, sample_weight=sample_weight)  # type: ignore[no-any-return]
