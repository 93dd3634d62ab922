"""What the A/B test modules share: the checks of count/nobs and sample arguments (their
results unpack to ``(statistic, pvalue)`` through :class:`segwise._results.Unpacks`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._results import Unpacks
from .._stats.inference import check_alpha
from ..exceptions import InvalidParameterError, ShapeMismatchError


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
        alpha = check_alpha(alpha)
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
