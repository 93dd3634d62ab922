"""What the A/B test modules share: the checks of count/nobs and sample arguments (their
results unpack to ``(statistic, pvalue)`` through :class:`segwise._results.Unpacks`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InvalidParameterError, ShapeMismatchError


def _counts(count: Any, nobs: Any, name: str) -> tuple[int, int]:
    for v, nm in ((count, f"count{name}"), (nobs, f"nobs{name}")):
        if isinstance(v, bool) or not float(v).is_integer() or float(v) < 0:
            raise InvalidParameterError(f"{nm} must be a non-negative integer, got {v!r}")
    c, n = int(count), int(nobs)
    if n == 0:
        raise InvalidParameterError(f"nobs{name} must be >= 1, got 0")
    if c > n:
        raise InvalidParameterError(f"count{name}={c} exceeds nobs{name}={n}")
    return c, n


def _sample(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    if arr.size < 2:
        raise InvalidParameterError(f"{name} needs at least 2 observations, got {arr.size}")
    if not np.isfinite(arr).all():
        raise InvalidParameterError(f"{name} contains NaN or infinity; drop them first")
    return arr


def _paired(num: Any, den: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    y = _sample(num, f"numerator{name}")
    x = _sample(den, f"denominator{name}")
    if y.shape != x.shape:
        raise ShapeMismatchError(
            f"numerator{name} has {y.size} values but denominator{name} has {x.size}"
        )
    return y, x
