"""Sample-ratio mismatch: a chi-square goodness-of-fit test of the arm sizes.

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._results import Unpacks
from .._stats import distributions
from .._stats.inference import PROBABILITY
from .._validation import Constraints, validate_params
from ..exceptions import (
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
    ShapeMismatchError,
)

_PARAMS: Constraints = {"expected_ratio": [None, "array-like"], "threshold": [PROBABILITY]}


@dataclass(frozen=True)
class SRMResult(Unpacks):
    """Sample-ratio-mismatch chi-square test. Unpacks to ``(statistic, pvalue)``.

    ``flagged`` is ``pvalue < threshold`` *and* every arm has at least 8 units.

    Examples
    --------
    >>> from segwise.abtest import srm_test
    >>> r = srm_test([5000, 5200])
    >>> round(r.pvalue, 4), r.flagged
    (0.0477, False)
    """

    statistic: float
    pvalue: float
    df: int
    flagged: bool
    expected: np.ndarray


def _srm_arrays(counts: np.ndarray, ratio: np.ndarray) -> tuple[Any, Any]:
    """Row-wise chi-square GOF: counts (k, arms), ratio (arms,) -> (stat, p)."""
    tot = counts.sum(axis=-1, keepdims=True)
    exp = tot * (ratio / ratio.sum())
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # (c - e) * ((c - e) / e): the square of a huge count's deviation never overflows;
        # a statistic beyond float64 (counts near 1e300 against a ratio of 1e-19) is +inf,
        # with p = 0, which is its value at float64 precision
        dev = counts - exp
        stat = np.where(exp > 0, dev * (dev / np.where(exp > 0, exp, 1)), 0).sum(-1)
    k = counts.shape[-1]
    return stat, distributions.chi2_sf(stat, np.full(stat.shape, k - 1.0))


def _numbers(values: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NonNumericError(f"{name} must hold numbers: {exc}") from None


def srm_test(
    counts: Sequence[float],
    expected_ratio: Sequence[float] | None = None,
    *,
    threshold: float = 0.001,
) -> SRMResult:
    """Sample-ratio mismatch: chi-square goodness of fit of arm sizes to the planned split.

    Parameters
    ----------
    counts : sequence of int
        Units per arm.
    expected_ratio : sequence of float, optional
        Planned split (any scale, e.g. ``[1, 1]`` or ``[0.2, 0.8]``); equal by default.
    threshold : float, default 0.001

    Returns
    -------
    SRMResult

    Examples
    --------
    >>> from segwise.abtest import srm_test
    >>> srm_test([1000, 1300]).flagged
    True
    """
    threshold = validate_params(locals(), _PARAMS, caller="srm_test")["threshold"]
    c = _numbers(counts, "counts")
    if c.ndim != 1 or c.size < 2:
        raise InvalidParameterError("counts needs one entry per arm (at least 2)")
    if not np.isfinite(c).all():
        raise NonFiniteError(f"counts has {int((~np.isfinite(c)).sum())} NaN or infinite value(s)")
    if (c < 0).any() or not np.all(c == np.round(c)):
        raise InvalidParameterError("counts must be non-negative integers")
    with np.errstate(over="ignore"):
        total = c.sum()
    if not np.isfinite(total):
        raise NonFiniteError("counts sum to more than float64 holds (1.8e308)")
    r = np.ones_like(c) if expected_ratio is None else _numbers(expected_ratio, "expected_ratio")
    if r.shape != c.shape:
        raise ShapeMismatchError(f"expected_ratio has {r.size} entries for {c.size} arms")
    if not (np.all(np.isfinite(r)) and (r > 0).all()):
        raise InvalidParameterError("expected_ratio must be positive and finite")
    stat, p = _srm_arrays(c, r)
    return SRMResult(
        float(stat),
        float(p),
        c.size - 1,
        bool(float(p) < threshold and (c >= 8).all()),
        c.sum() * (r / r.sum()),
    )
