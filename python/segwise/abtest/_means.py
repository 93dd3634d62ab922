"""Welch's unequal-variance t-test of two means (statsmodels' ``weightstats``).

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from numbers import Real
from typing import Any

import numpy as np

from .._results import Unpacks
from .._stats.inference import (
    ALTERNATIVE,
    check_alpha,
    critical_value,
    pvalue_from_stat,
    welch_moments,
)
from .._validation import Constraints, Interval, validate_params
from ._common import _common_scale, _sample


@dataclass(frozen=True)
class WelchResult(Unpacks):
    """Welch's unequal-variance t-test. Unpacks to ``(statistic, pvalue)``.

    Examples
    --------
    >>> from segwise.abtest import welch_test
    >>> r = welch_test([3.0, 4.0, 5.0, 8.0], [1.0, 2.0, 2.5, 3.0])
    >>> round(r.statistic, 4), round(r.df, 4)
    (2.4754, 3.9152)
    """

    statistic: float
    pvalue: float
    estimate: float
    stderr: float
    df: float
    alternative: str
    mean1: float
    mean2: float

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Two-sided ``1 - alpha`` interval for ``mean1 - mean2`` (Welch df)."""
        alpha = check_alpha(alpha)
        if not self.stderr > 0:
            return self.estimate, self.estimate
        q = float(critical_value(alpha, self.df))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr


_WELCH_PARAMS: Constraints = {
    "alternative": [ALTERNATIVE],
    "winsorize": [None, Interval(Real, 0, 1, closed="right")],
}


def welch_test(
    sample1: Any, sample2: Any, *, alternative: str = "two-sided", winsorize: float | None = None
) -> WelchResult:
    """Welch's t-test for the difference of two means.

    The p-value and ``conf_int`` both use the Welch–Satterthwaite degrees of freedom.

    Parameters
    ----------
    sample1, sample2 : array-like
        Observations of the treatment and control arms (zeros included).
    alternative : {"two-sided", "larger", "smaller"}
    winsorize : float, optional
        If given (e.g. 0.99), values above this quantile of the *pooled* sample are
        replaced by it in both arms before the test (caps outliers, same cap for both).

    Returns
    -------
    WelchResult

    Examples
    --------
    >>> from segwise.abtest import welch_test
    >>> t, p = welch_test([3.0, 4.0, 5.0, 8.0], [1.0, 2.0, 2.5, 3.0])
    >>> round(p, 4)
    0.0699
    """
    params = validate_params(locals(), _WELCH_PARAMS, caller="welch_test")
    alternative, q = params["alternative"], params["winsorize"]
    a = _sample(sample1, "sample1")
    b = _sample(sample2, "sample2")
    # Both samples divided by one power of two (exact) when their squares would overflow
    # or underflow: t, df and p do not depend on the scale.
    scale = _common_scale(a, b)
    a, b = a / scale, b / scale
    if q is not None:
        cap = float(np.quantile(np.concatenate([a, b]), q))
        a, b = np.minimum(a, cap), np.minimum(b, cap)
    res = _welch_result(
        a.mean(), a.var(ddof=1), a.size, b.mean(), b.var(ddof=1), b.size, alternative
    )
    if scale == 1.0:
        return res
    return replace(
        res,
        estimate=res.estimate * scale,
        stderr=res.stderr * scale,
        mean1=res.mean1 * scale,
        mean2=res.mean2 * scale,
    )


def _welch_result(
    m1: float, v1: float, n1: float, m2: float, v2: float, n2: float, alternative: str
) -> WelchResult:
    d, se, df = welch_moments(m1, v1, n1, m2, v2, n2)
    d, se, df = float(d), float(se), float(df)
    if se > 0:
        t = d / se
        p = float(pvalue_from_stat(t, alternative, df))
    else:
        t, p = (0.0, 1.0) if d == 0 else (math.copysign(math.inf, d), 0.0)
    return WelchResult(t, p, d, se, df, alternative, float(m1), float(m2))
