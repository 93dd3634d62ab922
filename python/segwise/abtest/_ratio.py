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
    ALPHA_PARAMS,
    ALTERNATIVE,
    check_alpha,
    critical_value,
    pvalue_from_stat,
)
from .._validation import Constraints, StrOptions, max_abs, validate_params
from ..exceptions import InvalidParameterError, NonFiniteError
from ._common import _common_scale, _delta_se, _paired
from ._lift import _lift_arrays


def _ratio_moments(n: Any, sy: Any, sx: Any, vy: Any, vx: Any, cxy: Any) -> tuple[Any, Any]:
    """Ratio ``mean_y / mean_x`` and its delta-method standard error."""
    n, sy, sx, vy, vx, cxy = (np.asarray(a, float) for a in (n, sy, sx, vy, vx, cxy))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        my, mx = sy / n, sx / n
        r = my / mx
        # Var(R) = (vy - 2 r cxy + r^2 vx) / (n mx^2), as a ^2 - 2 c + b ^2 over n in terms
        # relative to mx, and with the largest term factored out: neither a huge ratio nor
        # a tiny denominator mean overflows a square on the way to the standard error.
        a = np.sqrt(vy) / np.abs(mx)
        b = np.abs(r) * (np.sqrt(vx) / np.abs(mx))
        c = r * (cxy / mx) / mx
    return r, _delta_se(a, b, c, n)


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
        q = float(critical_value(check_alpha(alpha, f"{type(self).__name__}.conf_int")))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr

    def relative_lift(
        self, alpha: float = 0.05, method: str = "delta"
    ) -> tuple[float, float, float]:
        """``(lift, low, high)`` of ``ratio1 / ratio2 - 1`` with the normal quantile of the
        z-test: by the delta method, or Fieller's interval (``method="fieller"``), which
        excludes 0 exactly when the test rejects at ``alpha`` (NaN bounds when unbounded)."""
        p = validate_params(
            {"alpha": alpha, "method": method},
            _LIFT_PARAMS,
            caller=f"{type(self).__name__}.relative_lift",
        )
        lift, _, low, high, _ = _lift_arrays(
            self.ratio1, self.stderr1, self.ratio2, self.stderr2, p["alpha"], p["method"]
        )
        return float(lift), float(low), float(high)


_PARAMS: Constraints = {"alternative": [ALTERNATIVE]}
_LIFT_PARAMS: Constraints = {**ALPHA_PARAMS, "method": [StrOptions(["delta", "fieller"])]}


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

    Raises
    ------
    InvalidParameterError
        An arm whose denominators sum to 0 (its ratio is undefined).
    NonFiniteError
        A ratio or its standard error beyond float64 (e.g. numerators near 1e300 over
        denominators near 1e-10).

    Examples
    --------
    >>> from segwise.abtest import ratio_metric_test
    >>> z, p = ratio_metric_test([10.0, 0.0, 30.0, 5.0], [2, 1, 3, 1],
    ...                          [8.0, 4.0, 0.0, 6.0], [2, 1, 1, 2])
    >>> 0 <= p <= 1
    True
    """
    alternative = validate_params(locals(), _PARAMS, caller="ratio_metric_test")["alternative"]
    y1, x1 = _paired(numerator1, denominator1, ("numerator1", "denominator1"))
    y2, x2 = _paired(numerator2, denominator2, ("numerator2", "denominator2"))
    for x, name in ((x1, "denominator1"), (x2, "denominator2")):
        if x.sum() == 0:
            raise InvalidParameterError(
                f"{name} sums to 0 over its {x.size} units: the ratio sum(numerator) / "
                "sum(denominator) of that arm is undefined (no orders, sessions...?)"
            )
    # Each arm's numerators and denominators divided by powers of two (exact) when their
    # squares would overflow or underflow; its ratio and standard error come back in the
    # caller's units.
    st = []
    for arm, (y, x) in enumerate(((y1, x1), (y2, x2)), start=1):
        sy, sx = _common_scale(y), _common_scale(x)
        c = np.cov(y / sy, x / sx, ddof=1)
        r, se = _ratio_moments(y.size, (y / sy).sum(), (x / sx).sum(), c[0, 0], c[1, 1], c[0, 1])
        with np.errstate(over="ignore"):
            r, se = r * (sy / sx), se * (sy / sx)
        if not (np.isfinite(r) and np.isfinite(se)):
            raise NonFiniteError(
                f"the ratio sum(numerator{arm}) / sum(denominator{arm}) or its standard error "
                f"exceeds float64 (about 1.8e308): numerators up to {max_abs(y):.3g} over "
                f"denominators of at most {max_abs(x):.3g}; express them in other units"
            )
        st.append((r, se))
    return _ratio_result(st[0], st[1], alternative)


def _ratio_result(a: tuple[Any, Any], b: tuple[Any, Any], alternative: str) -> RatioMetricResult:
    r1, s1 = float(a[0]), float(a[1])
    r2, s2 = float(b[0]), float(b[1])
    se = math.hypot(s1, s2)
    d = r1 - r2
    if se > 0 and math.isfinite(se):
        z = d / se
    elif se > 0:  # standard errors beyond float64: scale both down to compare
        unit = max(abs(r1), abs(r2), s1, s2)
        z = (r1 / unit - r2 / unit) / math.hypot(s1 / unit, s2 / unit)
    else:
        z = 0.0 if d == 0 else math.copysign(math.inf, d)
    p = float(pvalue_from_stat(z, alternative))
    return RatioMetricResult(z, p, d, se, r1, r2, s1, s2, alternative)
