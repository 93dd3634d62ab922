"""The population stability index on dask collections: merged bin counts, then the
in-memory report (a pure function of the counts)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._dask import (
    aligned,
    as_blocks,
    block_values,
    compute,
    core_call,
    order_statistics,
    require_dask,
    tree_reduce,
)
from .._validation import encode_labels, validate_params
from ..exceptions import EmptyInputError, InvalidParameterError, SegwiseError, ShapeMismatchError
from ._psi import _PSI_PARAMS, PSIResult, _features_result, _labels_result

__all__ = ["psi"]


def _values(part: Any, index: int, name: str) -> np.ndarray:
    try:
        return aligned(block_values(part, allow_nan=True))  # type: ignore[no-any-return]
    except SegwiseError as err:
        raise type(err)(f"partition {index} of {name}: {err}") from None


def _non_nan(values: np.ndarray) -> np.ndarray:
    return np.count_nonzero(~np.isnan(values), axis=0)


def _bin_counts(values: np.ndarray, edges: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
    out = []
    for j, e in enumerate(edges):
        counts, missing = core_call("drift_bin_counts", np.ascontiguousarray(values[:, j]), edges=e)
        out.append((counts, int(missing)))
    return out


def _add_bins(a: Any, b: Any) -> Any:
    return [(ca + cb, ma + mb) for (ca, ma), (cb, mb) in zip(a, b, strict=True)]


def _value_counts(part: pd.Series) -> pd.Series:
    return part.value_counts(dropna=False, sort=False)


def _add_counts(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.add(b, fill_value=0)


def _label_counts(labels: Any, name: str) -> tuple[list[Any], np.ndarray]:
    dask = require_dask()
    import dask.dataframe as dd

    if isinstance(labels, dd.DataFrame):
        if len(labels.columns) != 1:
            raise ShapeMismatchError(f"{name} must be one column of segment labels")
        labels = labels[labels.columns[0]]
    if not isinstance(labels, dd.Series):
        raise InvalidParameterError(
            f"{name} must be a dask Series of segment labels, got {type(labels).__name__}"
        )
    counts = compute(
        tree_reduce([dask.delayed(_value_counts)(p) for p in labels.to_delayed()], _add_counts)
    )[0]
    if counts is None or counts.sum() == 0:
        raise EmptyInputError(f"{name} has no labels")
    enc = encode_labels(pd.Series(counts.index, dtype=labels.dtype), name=name)
    order = [enc.codes.tolist().index(i) for i in range(len(enc.uniques))]
    return list(enc.uniques), counts.to_numpy(dtype=np.float64)[order]


def psi(
    reference: Any,
    current: Any,
    *,
    bins: int = 10,
    epsilon: float = 1e-4,
    kind: str = "auto",
    progress: bool | None = None,
) -> PSIResult:
    """:func:`segwise.stability.psi` on dask collections: the same report.

    Segment labels (dask Series): counts per segment merged over the partitions. Numeric
    features (dask DataFrames or 2-D Arrays): the reference quantile edges are exact
    (``segwise._dask.order_statistics``), then one pass counts both samples in the bins;
    the report is :func:`segwise.stability.psi_from_counts`'s pure function of the counts.

    Parameters
    ----------
    reference, current : dask Series (labels) or dask DataFrame / Array (features)
    bins, epsilon, kind
        As in :func:`segwise.stability.psi`.
    progress : bool or None
        Ignored: progress is dask's own (dashboard or ``ProgressBar``).

    Returns
    -------
    PSIResult

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from segwise.dask import psi
    >>> ref = dd.from_pandas(pd.Series(["a"] * 50 + ["b"] * 50), npartitions=3)
    >>> cur = dd.from_pandas(pd.Series(["a"] * 40 + ["b"] * 60), npartitions=2)
    >>> round(float(psi(ref, cur).table.loc[0, "psi"]), 4)
    0.0405
    """
    dask = require_dask()
    import dask.dataframe as dd

    params = validate_params(locals(), _PSI_PARAMS, caller="psi")
    bins, epsilon, kind = params["bins"], params["epsilon"], params["kind"]
    if kind == "auto":

        def one(obj: Any) -> str:
            if isinstance(obj, dd.Series):
                return "features" if obj.dtype.kind == "f" else "labels"
            return "features"

        a, b = one(reference), one(current)
        if a != b:
            raise InvalidParameterError(
                f"reference looks like {a} but current like {b}; pass kind='labels' or "
                "kind='features'"
            )
        kind = a
    if kind == "labels":
        r_uniques, r_counts = _label_counts(reference, "reference")
        c_uniques, c_counts = _label_counts(current, "current")
        return _labels_result(r_uniques, r_counts, c_uniques, c_counts, epsilon)

    if isinstance(reference, dd.DataFrame) and isinstance(current, dd.DataFrame):
        missing = [c for c in reference.columns if c not in current.columns]
        if missing:
            raise ShapeMismatchError(f"current has no column(s) {missing} of reference")
        current = current[list(reference.columns)]
    ref, cur = as_blocks(reference, name="reference"), as_blocks(current, name="current")
    d = ref.n_features
    if cur.n_features != d:
        raise ShapeMismatchError(f"reference has {d} features but current has {cur.n_features}")
    names = ref.columns if ref.columns is not None else [f"x{j}" for j in range(d)]
    r_vals = [dask.delayed(_values, pure=True)(p, i, "reference") for i, p in enumerate(ref.parts)]
    r_vals = list(dask.persist(*r_vals))
    c_vals = [dask.delayed(_values, pure=True)(p, i, "current") for i, p in enumerate(cur.parts)]
    r_len = compute(*[dask.delayed(len)(v) for v in r_vals])
    r_n = np.sum(compute(*[dask.delayed(_non_nan)(v) for v in r_vals]), axis=0)
    n_ref = float(sum(r_len))
    requests = []
    for j in range(d):
        for r in _core.drift_edge_ranks(int(r_n[j]), bins=bins):
            requests.append((j, -1, int(r)))
    found = dict(zip(requests, order_statistics(r_vals, requests), strict=True)) if requests else {}
    edges = []
    for j in range(d):
        ranks = _core.drift_edge_ranks(int(r_n[j]), bins=bins)
        stats = np.array([found[(j, -1, int(r))] for r in ranks], dtype=np.float64)
        edges.append(_core.drift_quantile_edges(int(r_n[j]), bins=bins, ranks=ranks, values=stats))
    r_bins, c_bins = compute(
        tree_reduce([dask.delayed(_bin_counts)(v, edges) for v in r_vals], _add_bins),
        tree_reduce([dask.delayed(_bin_counts)(v, edges) for v in c_vals], _add_bins),
    )
    n_cur = float(sum(int(c.sum()) + m for c, m in c_bins[:1])) if c_bins else 0.0
    if n_ref == 0 or n_cur == 0:
        raise EmptyInputError(
            f"reference has {int(n_ref)} rows and current has {int(n_cur)}; both need at least one"
        )
    per_feature = [
        (edges[j], r_bins[j][0], c_bins[j][0], r_bins[j][1], c_bins[j][1]) for j in range(d)
    ]
    return _features_result(list(names), per_feature, n_ref, n_cur, bins, epsilon)
