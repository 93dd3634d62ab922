"""Ratio metrics (sum of numerators / sum of denominators per arm) by the delta method.

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._results import Unpacks
from .._stats.inference import (
    ALTERNATIVE,
    check_alpha,
    critical_value,
    pvalue_from_stat,
)
from .._validation import Constraints, check_choice, validate_params
from ._common import _paired
from ._lift import _lift_arrays


def _ratio_moments(n: Any, sy: Any, sx: Any, vy: Any, vx: Any, cxy: Any) -> tuple[Any, Any]:
    """Ratio ``mean_y / mean_x`` and its delta-method standard error."""
    n, sy, sx, vy, vx, cxy = (np.asarray(a, float) for a in (n, sy, sx, vy, vx, cxy))
    with np.errstate(divide="ignore", invalid="ignore"):
        my, mx = sy / n, sx / n
        r = my / mx
        var = (vy - 2 * r * cxy + r * r * vx) / (n * mx * mx)
    return r, np.sqrt(np.maximum(var, 0.0))


@dataclass(frozen=True)
class RatioMetricResult(Unpacks):
    """Delta-method test for a ratio metric (e.g. revenue per order, users randomized).

    ``estimate = ratio1 - ratio2``; ``statistic`` is a z value.

    Examples
    --------
    >>> from segwise.abtest import ratio_metric_test
    >>> r = ratio_metric_test([10.0, 0.0, 30.0, 5.0], [2, 1, 3, 1], [8.0, 4.0, 0.0, 6.0],
    ...                       [2, 1, 1, 2])
    >>> round(r.ratio1, 4), round(r.ratio2, 4)
    (6.4286, 3.0)
    """

    statistic: float
    pvalue: float
    estimate: float
    stderr: float
    ratio1: float
    ratio2: float
    stderr1: float
    stderr2: float
    alternative: str

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Two-sided interval for ``ratio1 - ratio2`` (normal)."""
        q = float(critical_value(check_alpha(alpha)))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr

    def relative_lift(
        self, alpha: float = 0.05, method: str = "delta"
    ) -> tuple[float, float, float]:
        """``(lift, low, high)`` of ``ratio1 / ratio2 - 1`` with the normal quantile of the
        z-test: by the delta method, or Fieller's interval (``method="fieller"``), which
        excludes 0 exactly when the test rejects at ``alpha`` (NaN bounds when unbounded)."""
        method = check_choice(method, "method", ["delta", "fieller"])
        lift, _, low, high, _ = _lift_arrays(
            self.ratio1, self.stderr1, self.ratio2, self.stderr2, check_alpha(alpha), method
        )
        return float(lift), float(low), float(high)


_PARAMS: Constraints = {"alternative": [ALTERNATIVE]}


def ratio_metric_test(
    numerator1: Any,
    denominator1: Any,
    numerator2: Any,
    denominator2: Any,
    *,
    alternative: str = "two-sided",
) -> RatioMetricResult:
    """Compare ``sum(numerator) / sum(denominator)`` between arms (delta method).

    The variance of each ratio uses the covariance of numerator and denominator per unit:
    ``Var(R) = (s_y^2 - 2 R s_xy + R^2 s_x^2) / (n mean_x^2)``.

    Parameters
    ----------
    numerator1, denominator1 : array-like
        Per randomization unit (e.g. customer revenue and order count), treatment arm.
    numerator2, denominator2 : array-like
        Control arm.
    alternative : {"two-sided", "larger", "smaller"}

    Returns
    -------
    RatioMetricResult

    Examples
    --------
    >>> from segwise.abtest import ratio_metric_test
    >>> z, p = ratio_metric_test([10.0, 0.0, 30.0, 5.0], [2, 1, 3, 1],
    ...                          [8.0, 4.0, 0.0, 6.0], [2, 1, 1, 2])
    >>> 0 <= p <= 1
    True
    """
    alternative = validate_params(locals(), _PARAMS, caller="ratio_metric_test")["alternative"]
    y1, x1 = _paired(numerator1, denominator1, "1")
    y2, x2 = _paired(numerator2, denominator2, "2")
    st = []
    for y, x in ((y1, x1), (y2, x2)):
        c = np.cov(y, x, ddof=1)
        st.append(_ratio_moments(y.size, y.sum(), x.sum(), c[0, 0], c[1, 1], c[0, 1]))
    return _ratio_result(st[0], st[1], alternative)


def _ratio_result(a: tuple[Any, Any], b: tuple[Any, Any], alternative: str) -> RatioMetricResult:
    r1, s1 = float(a[0]), float(a[1])
    r2, s2 = float(b[0]), float(b[1])
    se = math.hypot(s1, s2)
    d = r1 - r2
    z = d / se if se > 0 else (0.0 if d == 0 else math.copysign(math.inf, d))
    p = float(pvalue_from_stat(z, alternative))
    return RatioMetricResult(z, p, d, se, r1, r2, s1, s2, alternative)
