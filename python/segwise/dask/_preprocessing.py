"""The scalers and Log1pTransformer on dask collections: fit from merged partial
statistics, transform lazily partition by partition with the in-memory kernels."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from .. import preprocessing as _mem
from .._dask import (
    Blocks,
    aligned,
    as_blocks,
    block_values,
    compute,
    core_call,
    fitted_blocks,
    is_dask_collection,
    lazy_rows,
    linear_ranks,
    order_statistics,
    require_dask,
    tree_reduce,
    weight_blocks,
)
from .._validation import Checked, check_fitted
from ..exceptions import (
    EmptyInputError,
    InvalidParameterError,
    InvalidWeightsError,
    SegwiseError,
)

__all__ = ["StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "Log1pTransformer"]


# ---------------------------------------------------------------- tasks (run on workers)


def _values(part: Any, index: int, dtype: Any) -> np.ndarray:
    try:
        return aligned(block_values(part, dtypes=(dtype,), allow_nan=True))  # type: ignore[no-any-return]
    except SegwiseError as err:
        raise type(err)(f"partition {index} of X: {err}") from None


def _moments(values: np.ndarray, w: np.ndarray | None) -> Any:
    if values.shape[0] == 0:
        return None
    if w is not None:
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            raise InvalidWeightsError(
                f"{int(bad.sum())} of {w.shape[0]} weights are negative or not finite"
            )
        if values.dtype == np.float32:
            w = w.astype(np.float32).astype(np.float64)  # as the in-memory scaler
    mean, var, count, _ = core_call("scaler_moments", values, sample_weight=w)
    return mean, var, count


def _merge_moments(a: Any, b: Any) -> Any:
    return core_call("scaler_merge_moments", a, b)


def _min_max(values: np.ndarray) -> Any:
    if values.shape[0] == 0:
        return None
    lo, hi = core_call("column_min_max", values)
    return lo, hi, values.shape[0]


def _merge_min_max(a: Any, b: Any) -> Any:
    return np.fmin(a[0], b[0]), np.fmax(a[1], b[1]), a[2] + b[2]


def _counts(values: np.ndarray) -> np.ndarray:
    return np.count_nonzero(~np.isnan(values), axis=0)


def _domain(values: np.ndarray, mask: list[bool]) -> np.ndarray:
    if values.shape[0] == 0:
        return np.zeros(len(mask), dtype=np.uint64)
    return core_call("log1p_domain_errors", values, columns=mask)  # type: ignore[no-any-return]


def _apply(part: Any, estimator: Any, method: str, columns: list[str] | None) -> Any:
    """The in-memory ``method`` on one partition (an empty one stays empty)."""
    if len(part) == 0:
        if columns is not None:
            return pd.DataFrame(np.empty((0, len(columns))), index=part.index, columns=columns)
        return np.empty((0, part.shape[1]))
    for key, value in vars(estimator).items():  # fitted arrays that crossed processes
        if isinstance(value, np.ndarray):
            setattr(estimator, key, aligned(value))
    return getattr(estimator, method)(aligned(part) if isinstance(part, np.ndarray) else part)


# ---------------------------------------------------------------- shared plumbing


class _DaskTransformer:
    """Fit bookkeeping and lazy transform / inverse_transform for the dask scalers."""

    _memory_class: type

    def _start_fit(self, X: Any) -> tuple[Blocks, Any, list[Any]]:
        dask = require_dask()
        self._reset_dask()
        blocks = as_blocks(X)
        dtypes = list(X.dtypes) if hasattr(X, "columns") else [X.dtype]
        dtype = np.float32 if dtypes and all(t == np.float32 for t in dtypes) else np.float64
        values = [
            dask.delayed(_values, pure=True)(part, i, dtype) for i, part in enumerate(blocks.parts)
        ]
        self.n_features_in_ = blocks.n_features
        if blocks.columns is not None:
            self.feature_names_in_ = np.asarray(blocks.columns, dtype=object)
        return blocks, dtype, values

    def _reset_dask(self) -> None:
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, attr)

    def _in_memory(self) -> Any:
        est = self._memory_class(**self.get_params())  # type: ignore[attr-defined]
        for key, value in vars(self).items():
            if key.endswith("_") and not key.startswith("__"):
                setattr(est, key, value)
        return est

    def _lazy(self, X: Any, method: str) -> Any:
        check_fitted(self, "n_features_in_")
        blocks = fitted_blocks(self, X)
        est = self._in_memory()
        if blocks.frame is not None:
            fitted = getattr(self, "feature_names_in_", None)
            names = [str(c) for c in (fitted if fitted is not None else blocks.columns or [])]
            meta = pd.DataFrame(np.empty((0, len(names))), columns=names)
            return lazy_rows(blocks, _apply, meta, estimator=est, method=method, columns=names)
        meta_arr = np.empty((0, blocks.n_features), dtype=blocks.array.dtype)
        if meta_arr.dtype.kind != "f":
            meta_arr = meta_arr.astype(np.float64)
        return lazy_rows(blocks, _apply, meta_arr, estimator=est, method=method, columns=None)

    def transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """Transform ``X``: lazily, partition by partition, for dask input (the in-memory
        result for anything else).

        Parameters
        ----------
        X : dask DataFrame / Array, or in-memory array-like
        *args, **kwargs
            Passed to the in-memory ``transform`` (``copy``).

        Returns
        -------
        dask DataFrame (same index and columns) or dask Array; in-memory output otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import StandardScaler
        >>> X = da.from_array(np.array([[1.0], [3.0]]), chunks=1)
        >>> StandardScaler().fit(X).transform(X).compute().ravel()
        array([-1.,  1.])
        """
        if not is_dask_collection(X):
            return super().transform(X, *args, **kwargs)  # type: ignore[misc]
        return self._lazy(X, "transform")

    def inverse_transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """Undo :meth:`transform` (lazily for dask input).

        Parameters
        ----------
        X : dask DataFrame / Array, or in-memory array-like
        *args, **kwargs
            Passed to the in-memory ``inverse_transform``.

        Returns
        -------
        dask DataFrame or dask Array; in-memory output otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import StandardScaler
        >>> X = da.from_array(np.array([[1.0], [3.0]]), chunks=1)
        >>> s = StandardScaler().fit(X)
        >>> s.inverse_transform(s.transform(X)).compute().ravel()
        array([1., 3.])
        """
        if not is_dask_collection(X):
            return super().inverse_transform(X, *args, **kwargs)  # type: ignore[misc]
        return self._lazy(X, "inverse_transform")

    def partial_fit(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """The in-memory ``partial_fit`` of one batch (a dask collection is fitted with
        ``fit``, which merges every partition's statistics).

        Parameters
        ----------
        X : array-like
        *args, **kwargs
            Passed to the in-memory ``partial_fit`` (``y``, ``sample_weight``).

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.dask import MinMaxScaler
        >>> MinMaxScaler().partial_fit(np.array([[1.0], [3.0]])).data_max_
        array([3.])
        """
        if is_dask_collection(X):
            raise InvalidParameterError(
                "partial_fit takes one in-memory batch; fit a dask collection with fit()"
            )
        return super().partial_fit(X, *args, **kwargs)  # type: ignore[misc]

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit, then transform (lazily for dask input).

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored
        **fit_params
            Passed to ``fit``.

        Returns
        -------
        dask DataFrame or dask Array

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import MinMaxScaler
        >>> X = da.from_array(np.array([[1.0], [3.0], [5.0]]), chunks=2)
        >>> MinMaxScaler().fit_transform(X).compute().ravel()
        array([0. , 0.5, 1. ])
        """
        return self.fit(X, **fit_params).transform(X)  # type: ignore[attr-defined]


def _at(found: dict[tuple[int, int, int], float], column: int, rank: int) -> float:
    """The order statistic of ``rank`` in ``column`` (all rows) from a search's results."""
    return found[(column, -1, rank)]


def _extremes(values: list[Any]) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-column minimum and maximum (NaN ignored) and the row count over every block."""
    dask = require_dask()
    merged = compute(
        tree_reduce([dask.delayed(_min_max, pure=True)(v) for v in values], _merge_min_max)
    )[0]
    if merged is None:
        raise EmptyInputError("X has 0 rows in every partition")
    return merged  # type: ignore[no-any-return]


def _lengths(values: list[Any]) -> list[int]:
    dask = require_dask()
    return [int(n) for n in compute(*[dask.delayed(len)(v) for v in values])]


# ---------------------------------------------------------------- the scalers


class StandardScaler(_DaskTransformer, _mem.StandardScaler):
    """:class:`segwise.preprocessing.StandardScaler` on a dask DataFrame or Array.

    Each partition's count, mean and centred sum of squares per column (NaN skipped,
    weighted with ``sample_weight``) are merged with Chan et al.'s update in a fixed tree:
    ``mean_``, ``var_``, ``scale_`` and ``n_samples_seen_`` equal the in-memory fit within
    ~1e-15 relative. ``transform`` is lazy (the in-memory kernel per partition).

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from segwise.dask import StandardScaler
    >>> X = da.from_array(np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]]), chunks=2)
    >>> StandardScaler().fit(X).mean_
    array([2., 4.])
    """

    _memory_class = _mem.StandardScaler

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> StandardScaler:
        """Per-feature mean and standard deviation from merged partition moments.

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored
        sample_weight : dask Array/Series or array-like, optional

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import StandardScaler
        >>> X = da.from_array(np.array([[1.0], [3.0]]), chunks=1)
        >>> StandardScaler().fit(X).var_
        array([1.])
        """
        dask = require_dask()
        params = self._validate_params()
        blocks, dtype, values = self._start_fit(X)
        d = blocks.n_features
        use_weights = sample_weight is not None and (params["with_mean"] or params["with_std"])
        weights = (
            weight_blocks(sample_weight, _lengths(values)) if use_weights else [None] * len(values)
        )
        merged = compute(
            tree_reduce(
                [
                    dask.delayed(_moments, pure=True)(v, w)
                    for v, w in zip(values, weights, strict=True)
                ],
                _merge_moments,
            )
        )[0]
        if merged is None:
            raise EmptyInputError("X has 0 rows in every partition")
        mean, var, count = merged
        if not params["with_mean"] and not params["with_std"]:
            seen = count.astype(np.int64)
            self.mean_ = None
            self.var_ = None
            self.scale_ = None
            self.n_samples_seen_ = seen[0] if seen.max() == seen.min() else seen
            return self
        if params["with_std"] and (np.isinf(var) | (np.isnan(var) & (count > 0))).any():
            bad = [j for j in range(d) if np.isinf(var[j])]
            raise InvalidParameterError(
                f"StandardScaler's variance overflows float64 in column(s) {bad}; rescale X"
            )
        if use_weights and not count.sum() > 0:
            raise InvalidWeightsError("all weights are zero")
        self._set_moments(mean, var, count, params["with_std"])
        del dtype
        return self


class MinMaxScaler(_DaskTransformer, _mem.MinMaxScaler):
    """:class:`segwise.preprocessing.MinMaxScaler` on a dask DataFrame or Array: per
    partition minima and maxima (NaN ignored), merged exactly.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from segwise.dask import MinMaxScaler
    >>> X = da.from_array(np.array([[1.0], [5.0], [3.0]]), chunks=2)
    >>> MinMaxScaler().fit(X).data_range_
    array([4.])
    """

    _memory_class = _mem.MinMaxScaler

    def fit(self, X: Any, y: Any = None) -> MinMaxScaler:
        """Per-feature minimum and maximum over every partition.

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import MinMaxScaler
        >>> X = da.from_array(np.array([[1.0], [5.0], [3.0]]), chunks=2)
        >>> MinMaxScaler().fit(X).data_min_
        array([1.])
        """
        feature_range = self._range()
        _, dtype, values = self._start_fit(X)
        lo, hi, n = _extremes(values)
        self.n_samples_seen_ = int(n)
        self._set_min_max(lo.astype(dtype), hi.astype(dtype), feature_range)
        return self


class MaxAbsScaler(_DaskTransformer, _mem.MaxAbsScaler):
    """:class:`segwise.preprocessing.MaxAbsScaler` on a dask DataFrame or Array.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from segwise.dask import MaxAbsScaler
    >>> X = da.from_array(np.array([[1.0], [-4.0], [3.0]]), chunks=2)
    >>> MaxAbsScaler().fit(X).max_abs_
    array([4.])
    """

    _memory_class = _mem.MaxAbsScaler

    def fit(self, X: Any, y: Any = None) -> MaxAbsScaler:
        """Per-feature maximum absolute value over every partition.

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import MaxAbsScaler
        >>> X = da.from_array(np.array([[1.0], [-4.0]]), chunks=1)
        >>> MaxAbsScaler().fit(X).scale_
        array([4.])
        """
        self._validate_params()
        _, dtype, values = self._start_fit(X)
        lo, hi, n = _extremes(values)
        self.n_samples_seen_ = int(n)
        self._set_max_abs(np.fmax(np.abs(lo), np.abs(hi)).astype(dtype))
        return self


class RobustScaler(_DaskTransformer, _mem.RobustScaler):
    """:class:`segwise.preprocessing.RobustScaler` on a dask DataFrame or Array, with
    exact quantiles.

    The median and the ``quantile_range`` percentiles are numpy's linear quantiles of each
    column's non-NaN values, found by an exact selection over the partitions
    (``segwise._dask.order_statistics``: a few passes, each partition sending counts and a
    bounded summary of the values near the searched ranks, never its data): ``center_`` and
    ``scale_`` equal the in-memory fit exactly.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from segwise.dask import RobustScaler
    >>> X = da.from_array(np.array([[1.0], [2.0], [3.0], [100.0]]), chunks=3)
    >>> RobustScaler().fit(X).center_
    array([2.5])
    """

    _memory_class = _mem.RobustScaler

    def fit(self, X: Any, y: Any = None) -> RobustScaler:
        """Exact per-feature median and quantile range over every partition.

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import RobustScaler
        >>> X = da.from_array(np.array([[1.0], [2.0], [3.0]]), chunks=2)
        >>> RobustScaler().fit(X).scale_
        array([1.])
        """
        dask = require_dask()
        params = self._validate_params()
        q_min, q_max = params["quantile_range"]
        if not 0 <= q_min <= q_max <= 100:
            raise InvalidParameterError(
                f"Invalid quantile range: {self.quantile_range}; need 0 <= q_min <= q_max <= 100"
            )
        blocks, dtype, values = self._start_fit(X)
        d = blocks.n_features
        values64 = [dask.delayed(np.asarray, pure=True)(v, dtype=np.float64) for v in values]
        values64 = list(dask.persist(*values64))
        counts = np.sum(compute(*[dask.delayed(_counts, pure=True)(v) for v in values64]), axis=0)
        if int(np.sum(_lengths(values64))) == 0:
            raise EmptyInputError("X has 0 rows in every partition")
        quantiles = ([q_min / 100.0, q_max / 100.0] if params["with_scaling"] else []) + (
            [0.5] if params["with_centering"] else []
        )
        requests: list[tuple[int, int, int]] = []
        for j in range(d):
            n_j = int(counts[j])
            if n_j == 0:
                continue
            for q in quantiles:
                for r in linear_ranks(n_j, q):
                    requests.append((j, -1, r))
                if q == 0.5 and params["with_centering"]:
                    requests += [(j, -1, n_j // 2), (j, -1, max(n_j // 2 - 1, 0))]
        requests = list(dict.fromkeys(requests))
        found = order_statistics(values64, requests)
        at = {req: v for req, v in zip(requests, found, strict=True)}
        stats = np.full((len(quantiles), d), np.nan)
        from .._dask import linear_quantile

        for j in range(d):
            n_j = int(counts[j])
            if n_j == 0:
                continue
            row = 0
            if params["with_scaling"]:
                for q in (q_min / 100.0, q_max / 100.0):
                    stats[row, j] = linear_quantile(functools.partial(_at, at, j), n_j, q)
                    row += 1
            if params["with_centering"]:
                half = n_j // 2
                # np.median: the middle value, or the mean of the two middle values.
                stats[row, j] = (
                    at[(j, -1, half)]
                    if n_j % 2
                    else (at[(j, -1, half - 1)] + at[(j, -1, half)]) / 2.0
                )
        self._set_quantiles(stats, dtype)
        return self


class Log1pTransformer(_DaskTransformer, _mem.Log1pTransformer):
    """:class:`segwise.preprocessing.Log1pTransformer` on a dask DataFrame or Array: the
    domain check (values <= -1) counts over every partition; ``transform`` is lazy.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from segwise.dask import Log1pTransformer
    >>> X = da.from_array(np.array([[0.0], [np.e - 1]]), chunks=1)
    >>> Log1pTransformer().fit(X).transform(X).compute().ravel()
    array([0., 1.])
    """

    _memory_class = _mem.Log1pTransformer

    def fit(self, X: Any, y: Any = None) -> Log1pTransformer:
        """Record the columns to transform and check their values are > -1 everywhere.

        Parameters
        ----------
        X : dask DataFrame or dask Array
        y : ignored

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import dask.array as da
        >>> from segwise.dask import Log1pTransformer
        >>> X = da.from_array(np.zeros((4, 3)), chunks=2)
        >>> Log1pTransformer(columns=[1]).fit(X).columns_
        array([1])
        """
        dask = require_dask()
        columns = self._validate_params()["columns"]
        blocks, _, values = self._start_fit(X)
        shape = Checked(np.empty((0, blocks.n_features)), blocks.columns, None)
        self.columns_ = self._resolve_columns(shape, columns)
        mask = self._mask()
        counts = np.sum(
            compute(*[dask.delayed(_domain, pure=True)(v, mask) for v in values]), axis=0
        )
        self._raise_domain(counts, blocks.columns)
        return self
