"""What the A/B test modules share: the per-cell sufficient statistics and their merge,
and the checks of count/nobs and sample arguments (their results unpack to
``(statistic, pvalue)`` through :class:`segwise._results.Unpacks`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core
from .._results import Unpacks
from .._stats.inference import check_alpha
from .._validation import max_abs, power_of_two_scale
from ..exceptions import (
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
    ShapeMismatchError,
)

# The core's per-cell statistics (`CellStats` in src/core/abtest/suffstats.rs), named as
# there: a structured array with one float64 field per statistic.
CELL_FIELDS = ("count", "sum_y", "m2_y", "sum_x", "m2_x", "c_xy", "n_nan", "n_nonbinary")
CELL_DTYPE = np.dtype([(f, np.float64) for f in CELL_FIELDS])


def cell_stats(**fields: Any) -> np.ndarray:
    """Cell statistics (:data:`CELL_DTYPE`) from some of their fields, broadcast together
    (the fields not given are 0)."""
    values = {name: np.asarray(v, dtype=np.float64) for name, v in fields.items()}
    out = np.zeros(np.broadcast_shapes(*(v.shape for v in values.values())), CELL_DTYPE)
    for name, v in values.items():
        out[name] = v
    return out


def merge_cells(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The statistics of the rows of cells ``a`` and ``b`` together (element-wise, any
    shapes that broadcast): the core's ``CellStats::merge`` (Chan et al.'s pairwise update
    of the centred moments, written once in ``src/core/numerics/moments.rs``); an empty
    cell adds nothing."""
    a, b = np.broadcast_arrays(np.asarray(a, CELL_DTYPE), np.asarray(b, CELL_DTYPE))
    shape = a.shape
    a, b = (np.ascontiguousarray(v).view(np.float64).ravel() for v in (a, b))
    return _core.abtest_merge_cell_stats(a, b).view(CELL_DTYPE).reshape(shape)


@dataclass(frozen=True)
class TOSTResult(Unpacks):
    """Equivalence test by two one-sided tests (TOST). Unpacks to ``(statistic, pvalue)``:
    those of the one-sided test with the larger p-value, as statsmodels' ``ttost_ind`` and
    ``tost_proportions_2indep`` report.

    The arms are equivalent at level ``alpha`` when ``pvalue <= alpha``: both
    ``estimate > low`` and ``estimate < upp`` are shown at that level; equivalently the
    ``1 - 2 alpha`` interval of :meth:`conf_int` lies inside ``(low, upp)``.

    Examples
    --------
    >>> from segwise.abtest import welch_tost
    >>> r = welch_tost([5.1, 4.9, 5.0, 5.2, 4.8], [5.0, 5.1, 4.9, 5.0, 5.0], -0.5, 0.5)
    >>> round(r.pvalue, 4)
    0.0004
    """

    statistic: float
    pvalue: float
    estimate: float
    low: float
    upp: float
    statistic_low: float
    pvalue_low: float
    statistic_upp: float
    pvalue_upp: float
    compare: str = "diff"
    #: What gives the two-sided interval: any object with ``conf_int(alpha)``.
    interval: Any = field(default=None, repr=False)

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """The two-sided ``1 - 2 alpha`` interval whose inclusion in ``(low, upp)`` is the
        TOST decision at level ``alpha``."""
        alpha = check_alpha(alpha, f"{type(self).__name__}.conf_int")
        if self.interval is None or alpha >= 0.5:
            return (float("nan"), float("nan"))
        low, high = self.interval.conf_int(2 * alpha)
        return float(low), float(high)


def _tost(
    estimate: float,
    low: float,
    upp: float,
    lower: tuple[float, float],
    upper: tuple[float, float],
    compare: str,
    interval: Any,
) -> TOSTResult:
    """Combine the one-sided tests ``H0: <= low`` (``lower``) and ``H0: >= upp``."""
    if not low < upp:
        raise InvalidParameterError(f"low must be below upp, got low={low!r}, upp={upp!r}")
    binding = lower if lower[1] >= upper[1] else upper
    return TOSTResult(
        binding[0],
        binding[1],
        estimate,
        low,
        upp,
        lower[0],
        lower[1],
        upper[0],
        upper[1],
        compare,
        interval,
    )


def _counts(count: Any, nobs: Any, name: str) -> tuple[int, int]:
    for v, nm in ((count, f"count{name}"), (nobs, f"nobs{name}")):
        try:
            number = float(v)
        except (TypeError, ValueError):
            raise NonNumericError(f"{nm} must be a non-negative integer, got {v!r}") from None
        if isinstance(v, bool | np.bool_) or not math.isfinite(number):
            raise InvalidParameterError(f"{nm} must be a non-negative integer, got {v!r}")
        if not number.is_integer() or number < 0:
            raise InvalidParameterError(f"{nm} must be a non-negative integer, got {v!r}")
    c, n = int(count), int(nobs)
    if n == 0:
        raise InvalidParameterError(f"nobs{name} must be >= 1, got 0")
    if c > n:
        raise InvalidParameterError(f"count{name}={c} exceeds nobs{name}={n}")
    return c, n


def _sample(x: Any, name: str) -> np.ndarray:
    """A 1-D float sample of at least 2 finite values; the error names the argument."""
    try:
        arr = np.asarray(x, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise NonNumericError(f"{name} must hold numbers: {exc}") from None
    if arr.size < 2:
        raise InvalidParameterError(f"{name} needs at least 2 observations, got {arr.size}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise NonFiniteError(
            f"{name} has {int(bad.sum())} NaN or infinite value(s) of {arr.size}; drop them first"
        )
    return arr


def _paired(y: Any, x: Any, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two samples of one arm measured on the same units (metric and covariate, or
    numerator and denominator); ``names`` are the caller's argument names."""
    a = _sample(y, names[0])
    b = _sample(x, names[1])
    if a.shape != b.shape:
        raise ShapeMismatchError(
            f"{names[0]} has {a.size} values but {names[1]} has {b.size}; they must be "
            "measured on the same units"
        )
    return a, b


def _common_scale(*samples: np.ndarray) -> float:
    """The power of two dividing samples that share a unit, so that their squares neither
    overflow nor underflow (1.0 for ordinary magnitudes; see
    :func:`segwise._validation.power_of_two_scale`)."""
    return float(power_of_two_scale(max(max_abs(s) for s in samples)))


def _delta_se(a: Any, b: Any, c: Any, n: Any = 1.0) -> Any:
    """``sqrt(max(a^2 + b^2 - 2 c, 0) / n)``: a delta-method standard error from its two
    squared terms and cross term, with the largest of ``a``, ``b`` and ``sqrt|c|``
    factored out so that no square overflows (or underflows) on the way to a standard
    error that float64 holds. Vectorized; NaN in, NaN out."""
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        m = np.fmax(np.fmax(np.abs(a), np.abs(b)), np.sqrt(np.abs(c)))
        m = np.where(m > 0, m, 1.0)
        inner = (a / m) ** 2 + (b / m) ** 2 - 2 * (c / m) / m
        return m * np.sqrt(np.maximum(inner, 0.0) / n)
