"""The shared plumbing of :mod:`segwise.dask`: dask collections in, partial statistics out.

Every distributed function of segwise works the same way: a dask DataFrame or Array is
seen as a list of row blocks (its partitions, :class:`Blocks`); a task per block calls a
Rust kernel that returns *mergeable partial statistics* of that block; the partials are
combined by :func:`tree_reduce` in a fixed tree order (so the same partitioning gives the
same bits, with or without a ``distributed.Client``) and only the merged statistics reach
the client. No data is pulled to the client and there is no scheduler of segwise's own:
``dask.compute`` runs the graph on the active client, or on dask's local scheduler.

Progress is dask's own: the distributed dashboard, or ``dask.diagnostics.ProgressBar``
around the call with the local scheduler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_array, non_numeric_message
from .exceptions import (
    EmptyInputError,
    InvalidParameterError,
    NonNumericError,
    ShapeMismatchError,
)

#: Partials merged per task of the reduction tree.
SPLIT_EVERY = 8


def require_dask() -> Any:
    """Import dask (with its array and dataframe parts) or say how to install it."""
    try:
        import dask
        import dask.array
        import dask.dataframe  # noqa: F401
    except ImportError as err:  # pragma: no cover - the extra is installed in the tests
        raise ImportError(
            "segwise.dask needs dask and distributed: pip install 'segwise[dask]'"
        ) from err
    return dask


def is_dask_collection(obj: Any) -> bool:
    """True for a dask DataFrame, Series or Array (without importing dask)."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(
        obj, "__dask_graph__"
    )


def compute(*args: Any) -> Any:
    """``dask.compute`` on the active client or dask's default scheduler."""
    dask = require_dask()
    return dask.compute(*args)


def aligned(obj: Any) -> Any:
    """``obj`` with every numpy array in it C-contiguous and aligned (copied only when
    not): arrays that crossed a process boundary (distributed's pickle-5 buffers) can
    arrive misaligned, and the Rust kernels read them as slices. Recurses into tuples,
    lists and dicts."""
    if isinstance(obj, np.ndarray):
        return np.require(obj, requirements=("C", "A"))
    if isinstance(obj, tuple):
        return tuple(aligned(o) for o in obj)
    if isinstance(obj, list):
        return [aligned(o) for o in obj]
    if isinstance(obj, dict):
        return {k: aligned(v) for k, v in obj.items()}
    return obj


def core_call(name: str, *args: Any, **kwargs: Any) -> Any:
    """``segwise._core.<name>(*args, **kwargs)`` with aligned arrays: the task that runs a
    Rust kernel on a worker."""
    from . import _core

    return getattr(_core, name)(*aligned(args), **aligned(kwargs))


def _merge_all(merge: Callable[[Any, Any], Any], *parts: Any) -> Any:
    """Merge ``parts`` left to right, skipping ``None`` (an empty partition's partial)."""
    out = None
    for p in aligned(list(parts)):
        if p is None:
            continue
        out = p if out is None else merge(out, p)
    return out


def tree_reduce(parts: Sequence[Any], merge: Callable[[Any, Any], Any]) -> Any:
    """A delayed merge of ``parts`` (delayed partials, ``None`` for empty partitions) in a
    fixed tree: groups of :data:`SPLIT_EVERY` neighbours, merged left to right, level by
    level. The tree depends only on the number of partitions, so the result is the same
    bits on any cluster."""
    dask = require_dask()
    level = list(parts)
    if not level:
        raise EmptyInputError("the collection has no partitions")
    merge_all = functools.partial(_merge_all, merge)
    while len(level) > 1:
        level = [
            dask.delayed(merge_all, pure=True)(*level[i : i + SPLIT_EVERY])
            for i in range(0, len(level), SPLIT_EVERY)
        ]
    if len(parts) == 1:
        return dask.delayed(merge_all, pure=True)(level[0])
    return level[0]


# --------------------------------------------------------------------------- inputs


@dataclass
class Blocks:
    """A 2-D dask collection as row blocks.

    ``parts`` are delayed objects computing to the block's pandas DataFrame (dask
    DataFrame input) or numpy array (dask Array input); ``columns`` are the column names
    (``None`` for an array), ``dtypes`` the meta's dtypes (DataFrame only); ``frame`` is
    the original dask DataFrame (for lazy ``map_partitions`` outputs).
    """

    parts: list[Any]
    columns: list[str] | None
    n_features: int
    frame: Any = None
    array: Any = None

    @property
    def n_parts(self) -> int:
        return len(self.parts)


def as_blocks(X: Any, *, name: str = "X", numeric: bool = True) -> Blocks:
    """View a dask DataFrame or 2-D dask Array as row blocks (lazily, nothing computed).

    ``numeric`` checks the meta's dtypes (non-numeric columns are named in the error).
    """
    dask = require_dask()
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(X, dd.Series):
        X = X.to_frame()
    if isinstance(X, dd.DataFrame):
        meta = X._meta
        if numeric:
            message = non_numeric_message(name, meta.dtypes.rename(index=str))
            if message is not None:
                raise NonNumericError(message)
        if len(meta.columns) == 0:
            raise EmptyInputError(f"{name} has no columns")
        parts = list(X.to_delayed())
        return Blocks(parts, [str(c) for c in meta.columns], len(meta.columns), frame=X)
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ShapeMismatchError(
                f"{name} must be 2-D (n_samples, n_features), got a {X.ndim}-D dask array"
            )
        if numeric and X.dtype.kind not in "fiub":
            raise NonNumericError(f"{name} has dtype {X.dtype}; a numeric array is required")
        if np.isnan(X.shape[1]):
            raise ShapeMismatchError(f"{name} has an unknown number of columns")
        if X.shape[1] == 0:
            raise EmptyInputError(f"{name} has no columns")
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        parts = list(X.to_delayed()[:, 0])
        return Blocks(parts, None, int(X.shape[1]), array=X)
    del dask
    raise InvalidParameterError(
        f"{name} must be a dask DataFrame or dask Array, got {type(X).__name__}; use "
        "segwise's in-memory API for pandas and numpy data"
    )


def fitted_blocks(estimator: Any, X: Any) -> Blocks:
    """``X`` as blocks for a fitted estimator: the number and names of its columns must
    be those seen in ``fit``."""
    from .exceptions import FeatureNamesError

    blocks = as_blocks(X)
    n = estimator.n_features_in_
    if blocks.n_features != n:
        raise ShapeMismatchError(
            f"X has {blocks.n_features} features, but {type(estimator).__name__} is "
            f"expecting {n} features as input."
        )
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and blocks.columns is not None and list(fitted) != blocks.columns:
        raise FeatureNamesError(
            "The feature names should match those that were passed during fit: "
            f"{list(fitted)}, got {blocks.columns}"
        )
    return blocks


def fitted_frame(estimator: Any, frame: Any) -> Any:
    """A dask DataFrame for a fitted estimator that reads columns by name: its columns
    must be those seen in ``fit``, in order."""
    from .exceptions import FeatureNamesError

    columns = [str(c) for c in frame.columns]
    if len(columns) != estimator.n_features_in_:
        raise ShapeMismatchError(
            f"X has {len(columns)} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and columns != [str(c) for c in fitted]:
        raise FeatureNamesError(
            "The feature names should match those that were passed during fit: "
            f"{list(fitted)}, got {columns}"
        )
    return frame


def predict_partition(part: pd.DataFrame, predict: Callable[[Any], Any]) -> pd.Series:
    """``predict(part)`` as an int32 Series ``"segment"`` on the partition's index (an
    empty partition gives an empty Series without calling ``predict``). Runs on a
    worker."""
    if len(part) == 0:
        return pd.Series(np.empty(0, np.int32), index=part.index, name="segment")
    labels = np.asarray(predict(part)).astype(np.int32, copy=False)
    return pd.Series(labels, index=part.index, name="segment")


def block_values(
    part: Any, *, dtypes: tuple[Any, ...] = (np.float64,), allow_nan: bool = False
) -> np.ndarray:
    """One block as a C-contiguous float array through the one input funnel
    (:func:`segwise._validation.check_array`; an empty block stays empty). Runs on a
    worker."""
    if len(part) == 0:
        d = part.shape[1]
        return np.empty((0, d), dtype=dtypes[0])
    return check_array(part, dtypes=dtypes, allow_nan=allow_nan, name="a partition of X").values


def weight_blocks(sample_weight: Any, lengths: Sequence[int], name: str = "sample_weight") -> Any:
    """``sample_weight`` as one delayed float64 vector per block of ``lengths`` rows.

    A dask Array or Series is re-chunked onto ``X``'s partitions (its total length must
    equal ``X``'s); a numpy array or list is split by them. ``None`` gives ``None``s.
    """
    if sample_weight is None:
        return [None] * len(lengths)
    dask = require_dask()
    import dask.array as da
    import dask.dataframe as dd

    total = int(sum(lengths))
    if isinstance(sample_weight, dd.DataFrame):
        raise ShapeMismatchError(f"{name} must be 1-D, got a DataFrame")
    if isinstance(sample_weight, dd.Series):
        sample_weight = sample_weight.to_dask_array(lengths=True)
    if isinstance(sample_weight, da.Array):
        if sample_weight.ndim != 1:
            raise ShapeMismatchError(f"{name} must be 1-D, got {sample_weight.ndim}-D")
        if any(np.isnan(c) for c in sample_weight.chunks[0]):
            sample_weight = sample_weight.compute_chunk_sizes()
        n_w = int(sample_weight.shape[0])
        if n_w != total:
            raise ShapeMismatchError(
                f"{name} has {n_w} values but X has {total} rows (partitioned as "
                f"{list(lengths)[:8]}{'...' if len(lengths) > 8 else ''})"
            )
        chunks = tuple(int(n) for n in lengths)
        if sample_weight.chunks[0] != chunks:
            # Mismatched partitioning: realign the weights on X's partitions.
            sample_weight = sample_weight.rechunk((chunks,))
        w = sample_weight.astype(np.float64)
        return list(w.to_delayed())
    arr = np.asarray(sample_weight, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != total:
        raise ShapeMismatchError(f"{name} has shape {arr.shape} but X has {total} rows")
    cuts = np.cumsum([0, *lengths])
    return [
        dask.delayed(np.ascontiguousarray(arr[a:b]))
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]


def lazy_rows(blocks: Blocks, func: Callable[..., Any], meta: Any, **kwargs: Any) -> Any:
    """Apply ``func(block, **kwargs)`` to every block lazily: a dask DataFrame/Series from a
    DataFrame (``meta`` its pandas meta, the index kept), a dask Array from an Array
    (``meta`` a numpy array of the output dtype and number of columns, or 1-D)."""
    if blocks.frame is not None:
        return blocks.frame.map_partitions(func, meta=meta, **kwargs)
    x = blocks.array
    if x.numblocks[1] != 1:
        x = x.rechunk({1: -1})
    meta_arr = np.asarray(meta)
    if meta_arr.ndim == 1:
        return x.map_blocks(func, drop_axis=1, dtype=meta_arr.dtype, meta=meta_arr, **kwargs)
    return x.map_blocks(
        func,
        chunks=(x.chunks[0], (meta_arr.shape[1],)),
        dtype=meta_arr.dtype,
        meta=meta_arr,
        **kwargs,
    )


# --------------------------------------------------------------------------- labels


def _uniques(part: pd.DataFrame, column: str) -> tuple[int, pd.Series]:
    return len(part), part[column].drop_duplicates()


def collect_labels(
    df: Any, column: str, name: str | None = None, *, lengths: list[int] | None = None
) -> tuple[pd.Index, list[Any]]:
    """Every label of ``column`` of a dask DataFrame over the partitions (categories that
    differ per partition included), in the in-memory order (``encode_labels``'s): the
    index to code each partition with (:func:`label_codes`) and the labels. ``name``
    names the labels in errors (default: the column). ``lengths``, if given, receives the
    number of rows of each partition (read in the same pass)."""
    from ._validation import encode_labels

    dask = require_dask()
    parts = compute(*[dask.delayed(_uniques, pure=True)(p, column) for p in df.to_delayed()])
    if lengths is not None:
        lengths[:] = [n for n, _ in parts]
    pooled = pd.concat([u for _, u in parts], ignore_index=True).drop_duplicates()
    enc = encode_labels(pooled, name=name or f"column {column!r}")
    return pd.Index(enc.uniques, dtype=object, tupleize_cols=False), list(enc.uniques)


def label_codes(values: pd.Series, uniques: pd.Index) -> np.ndarray:
    """A partition's labels as int64 codes into ``uniques`` (from :func:`collect_labels`)."""
    codes = uniques.get_indexer(values)
    return np.ascontiguousarray(codes, dtype=np.int64)


def _level_uniques(part: pd.DataFrame, columns: list[Any]) -> tuple[int, list[pd.Series]]:
    return len(part), [part[c].drop_duplicates() for c in columns]


def collect_levels(
    df: Any, columns: list[Any], *, missing_level: bool, name: str = "X"
) -> list[list[Any]]:
    """The levels of each categorical column of a dask DataFrame over every partition
    (one pass), in the order the mixed-type funnel (``check_mixed``) gives in memory:
    category order for a categorical whose partitions all carry the meta's categories;
    sorted order otherwise (strings, or categoricals whose categories differ per
    partition). ``missing_level``: ``None`` is the last level of a column with missing
    values. Raises for a frame without rows or a column without values; warns for more
    than ``HIGH_CARDINALITY`` levels, as in memory."""
    import warnings

    from ._validation import HIGH_CARDINALITY, encode_labels
    from .exceptions import HighCardinalityWarning

    dask = require_dask()
    parts = list(df.to_delayed())
    counted = compute(*[dask.delayed(_level_uniques, pure=True)(p, columns) for p in parts])
    if sum(c[0] for c in counted) == 0:
        raise EmptyInputError(
            f"{name} has 0 rows in its {len(parts)} partition(s); at least 1 is required"
        )
    levels = []
    for j, col in enumerate(columns):
        dtype = df._meta[col].dtype
        pieces = [c[1][j] for c in counted]
        # Category order only when every partition has exactly the meta's categories (a
        # meta may claim categories the partitions do not have).
        known = isinstance(dtype, pd.CategoricalDtype) and all(
            isinstance(s.dtype, pd.CategoricalDtype)
            and list(s.cat.categories) == list(dtype.categories)
            for s in pieces
        )
        if not known:
            pieces = [s.astype(object) for s in pieces]
        pooled = pd.concat(pieces, ignore_index=True).drop_duplicates()
        enc = encode_labels(pooled, name=f"column {col!r} of {name}", allow_missing=True)
        values = list(enc.uniques)
        if not values:
            raise EmptyInputError(f"column {col!r} of {name} has no values: every row is missing")
        if missing_level and (enc.codes < 0).any():
            values.append(None)
        if len(values) > HIGH_CARDINALITY:
            warnings.warn(
                f"column {col!r} of {name} has {len(values)} levels (more than "
                f"{HIGH_CARDINALITY}); a column with that many levels (an id, free text?) "
                "says little about a segment",
                HighCardinalityWarning,
                stacklevel=3,
            )
        levels.append(values)
    return levels


# --------------------------------------------------------------------------- quantiles

#: A partition returns all of a bracket's inner values up to this many, else a summary.
MAX_VALUES = 4096
#: Order statistics in a partition's summary of a bracket.
SUMMARY = 1024


def order_statistics(
    values: Sequence[Any],
    requests: Sequence[tuple[int, int, int]],
    *,
    groups: Sequence[Any] | None = None,
) -> np.ndarray:
    """Exact order statistics of partitioned data without moving it to the client.

    ``values`` are delayed float64 blocks (all with the same columns), ``groups`` optional
    delayed int64 group codes per block; each request ``(column, group, rank)`` asks for
    the value of 0-based ``rank`` among the non-NaN values of ``column`` in the rows of
    ``group`` (-1: all rows). Each round is one pass: every partition reports counts and a
    summary of the values inside the current bracket of every open request
    (``_core.selection_bracket_partial``), and ``_core.selection_bracket_step`` finds the
    value or narrows the bracket; a few rounds suffice (the inside count shrinks by about
    ``SUMMARY / 2`` per round). What reaches the client per round is at most ``SUMMARY``
    values per partition and open bracket.
    """
    dask = require_dask()
    n_req = len(requests)
    out = np.full(n_req, np.nan)
    lo = np.full(n_req, -np.inf)
    hi = np.full(n_req, np.inf)
    open_ = list(range(n_req))
    group_parts = list(groups) if groups is not None else [None] * len(values)
    while open_:
        # Requests sharing a column, group and bracket are one bracket.
        keys = [(requests[i][0], requests[i][1], lo[i], hi[i]) for i in open_]
        distinct = list(dict.fromkeys(keys))
        where = {key: j for j, key in enumerate(distinct)}
        kwargs = {
            "columns": [k[0] for k in distinct],
            "group_ids": [k[1] for k in distinct],
            "lo": [float(k[2]) for k in distinct],
            "hi": [float(k[3]) for k in distinct],
            "max_values": MAX_VALUES,
            "summary": SUMMARY,
        }
        parts = compute(
            *[
                dask.delayed(_core_bracket_partial, pure=True)(v, g, kwargs)
                for v, g in zip(values, group_parts, strict=True)
            ]
        )
        still = []
        for i, key in zip(open_, keys, strict=True):
            j = where[key]
            found, a, b = _core_step(requests[i][2], lo[i], hi[i], [p[j] for p in parts])
            if found:
                out[i] = a
            else:
                lo[i], hi[i] = a, b
                still.append(i)
        open_ = still
    return out


def _core_bracket_partial(values: np.ndarray, groups: Any, kwargs: dict[str, Any]) -> Any:
    return core_call("selection_bracket_partial", values, groups=groups, **kwargs)


def _core_step(rank: int, lo: float, hi: float, parts: list[Any]) -> tuple[bool, float, float]:
    return core_call(  # type: ignore[no-any-return]
        "selection_bracket_step", int(rank), float(lo), float(hi), parts
    )


def linear_quantile(order: Callable[[int], float], n: int, q: float) -> float:
    """numpy's linear quantile ``q`` in ``[0, 1]`` of ``n`` values from their order
    statistics ``order(rank)`` (the core's plan and interpolation)."""
    from . import _core

    lo, hi, gamma = _core.selection_linear_plan(n, q)
    return float(_core.selection_lerp(order(lo), order(hi), gamma))


def linear_ranks(n: int, q: float) -> tuple[int, int]:
    """The two ranks numpy's linear quantile ``q`` of ``n`` values reads."""
    from . import _core

    lo, hi, _ = _core.selection_linear_plan(n, q)
    return int(lo), int(hi)
