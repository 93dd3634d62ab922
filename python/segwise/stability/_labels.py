"""Label vectors of segments over time: reading them (values and customer ids), encoding them
to dense codes in sorted label order, and mapping codes back to labels.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import (
    InvalidParameterError,
    NonFiniteError,
    ShapeMismatchError,
)


def _label_values(obj: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    """A 1-D label vector (values, index if it was a Series)."""
    if isinstance(obj, pd.Series):
        if not obj.index.is_unique:
            raise InvalidParameterError(
                f"{name} has a duplicated index ({int(obj.index.duplicated().sum())} "
                "repeated customer id(s)); customer ids must be unique"
            )
        return obj.to_numpy(), obj.index
    if isinstance(obj, pd.DataFrame):
        raise ShapeMismatchError(f"{name} must be 1-D labels, got a DataFrame")
    arr = np.asarray(obj)
    if arr.ndim != 1:
        raise ShapeMismatchError(f"{name} must be 1-D labels, got shape {arr.shape}")
    return arr, None


def _sort_key(values: list[Any]) -> list[int]:
    """Positions of ``values`` in sorted order; mixed types sort by (type name, str)."""
    try:
        return sorted(range(len(values)), key=lambda i: values[i])
    except TypeError:
        return sorted(range(len(values)), key=lambda i: (type(values[i]).__name__, str(values[i])))


def _encode(values: np.ndarray, name: str) -> tuple[np.ndarray, list[Any]]:
    """Labels of any hashable type -> dense int64 codes (sorted label order), uniques."""
    if values.dtype.kind in "iub":
        uniques, codes = np.unique(values, return_inverse=True)
        return np.ascontiguousarray(codes, dtype=np.int64), uniques.tolist()
    series = pd.Series(values, dtype=object if values.dtype.kind == "O" else None)
    missing = series.isna().to_numpy()
    if missing.any():
        raise NonFiniteError(
            f"{name} has {int(missing.sum())} missing label(s) (NaN/None); drop those "
            "customers or give them a label first"
        )
    codes, uniques_idx = pd.factorize(series, sort=False)
    found = [u.item() if isinstance(u, np.generic) else u for u in uniques_idx.tolist()]
    order = _sort_key(found)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.ascontiguousarray(rank[codes]), [found[i] for i in order]


def _is_int_label(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _fresh_ids(reference_values: list[Any], n: int) -> list[Any]:
    """``n`` ids not used by the reference: integers after its largest when every reference
    label is an integer, else the strings ``"new_0"``, ``"new_1"``, ... (skipping clashes)."""
    if all(_is_int_label(v) for v in reference_values):
        start = max((int(v) for v in reference_values), default=-1) + 1
        return list(range(start, start + n))
    taken = {str(v) for v in reference_values}
    out: list[Any] = []
    i = 0
    while len(out) < n:
        if f"new_{i}" not in taken:
            out.append(f"new_{i}")
        i += 1
    return out


def _wrap_like(values: np.ndarray, like: Any, name: Any = None) -> Any:
    """An ndarray, or a Series with ``like``'s index when ``like`` is a Series."""
    if isinstance(like, pd.Series):
        return pd.Series(values, index=like.index, name=name if name is not None else like.name)
    return values


def _map_codes(codes: np.ndarray, targets: list[Any]) -> np.ndarray:
    table = np.empty(len(targets), dtype=object)
    table[:] = targets
    if all(_is_int_label(t) for t in targets):
        table = table.astype(np.int64)
    return table[codes]
