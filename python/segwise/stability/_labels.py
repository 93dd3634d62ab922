"""Label vectors of segments over time: fresh ids for unmatched segments and mapping codes
back to labels (reading and encoding them is :func:`segwise._validation.encode_labels`).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd


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
