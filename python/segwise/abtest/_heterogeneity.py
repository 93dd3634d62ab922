"""Heterogeneity of effects across segments: Cochran's Q and I².

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._results import Unpacks
from .._stats import distributions
from .._stats.inference import (
    check_alpha,
    critical_value,
)
from ..exceptions import InvalidParameterError, NonNumericError, ShapeMismatchError


@dataclass(frozen=True)
class HeterogeneityResult(Unpacks):
    """Cochran's Q test that per-segment effects differ. Unpacks to ``(statistic, pvalue)``.

    ``i2`` is Higgins' ``I^2 = max(0, (Q - df) / Q)``; ``pooled`` is the fixed-effect
    (inverse-variance) mean effect with ``conf_int``.

    Examples
    --------
    >>> from segwise.abtest import heterogeneity_test
    >>> r = heterogeneity_test([0.1, 0.3, -0.05], [0.05, 0.06, 0.05])
    >>> round(r.statistic, 3), round(r.i2, 3)
    (20.093, 0.9)
    """

    statistic: float
    pvalue: float
    df: int
    i2: float
    pooled: float
    pooled_stderr: float

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Interval for the fixed-effect pooled effect."""
        q = float(critical_value(check_alpha(alpha, f"{type(self).__name__}.conf_int")))
        return self.pooled - q * self.pooled_stderr, self.pooled + q * self.pooled_stderr


def heterogeneity_test(effects: Sequence[float], stderrs: Sequence[float]) -> HeterogeneityResult:
    """Cochran's Q on per-segment effects with inverse-variance weights, and ``I^2``.

    Segments with a NaN effect or a non-positive/NaN standard error are left out.

    Examples
    --------
    >>> from segwise.abtest import heterogeneity_test
    >>> heterogeneity_test([0.1, 0.1], [0.05, 0.02]).statistic
    0.0
    """
    e, s = _numbers(effects, "effects"), _numbers(stderrs, "stderrs")
    if e.shape != s.shape or e.ndim != 1:
        raise ShapeMismatchError("effects and stderrs must be 1D of the same length")
    ok = np.isfinite(e) & np.isfinite(s) & (s > 0)
    e, s = e[ok], s[ok]
    if e.size < 2:
        raise InvalidParameterError("need at least 2 segments with a finite effect and stderr")
    # Weights relative to the most precise segment, (s_min / s)^2 in (0, 1], and Q as a
    # sum of squared z values: the same numbers as 1 / s^2, without overflow or
    # underflow whatever the unit of the effects.
    s_min = float(s.min())
    w = (s_min / s) ** 2
    pooled = float((w * e).sum() / w.sum())
    with np.errstate(over="ignore"):
        q = float((((e - pooled) / s) ** 2).sum())
    df = e.size - 1
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    pvalue = float(distributions.chi2_sf(q, float(df))) if math.isfinite(q) else 0.0
    return HeterogeneityResult(q, pvalue, df, i2, pooled, s_min / math.sqrt(float(w.sum())))


def _numbers(values: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NonNumericError(f"{name} must hold numbers: {exc}") from None
