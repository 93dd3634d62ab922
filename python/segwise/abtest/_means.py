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
from ._common import TOSTResult, _common_scale, _sample, _tost


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
    value: float = 0.0

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Two-sided ``1 - alpha`` interval for ``mean1 - mean2`` (Welch df)."""
        alpha = check_alpha(alpha, f"{type(self).__name__}.conf_int")
        if not self.stderr > 0:
            return self.estimate, self.estimate
        q = float(critical_value(alpha, self.df))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr


_WELCH_PARAMS: Constraints = {
    "alternative": [ALTERNATIVE],
    "winsorize": [None, Interval(Real, 0, 1, closed="right")],
    "value": [Interval(Real, None, None, closed="neither")],
}
_TOST_PARAMS: Constraints = {
    "low": [Interval(Real, None, None, closed="neither")],
    "upp": [Interval(Real, None, None, closed="neither")],
}


def welch_test(
    sample1: Any,
    sample2: Any,
    *,
    alternative: str = "two-sided",
    winsorize: float | None = None,
    value: float = 0.0,
) -> WelchResult:
    """Welch's t-test for the difference of two means, against 0 or another null.

    The p-value and ``conf_int`` both use the Welch–Satterthwaite degrees of freedom.

    Parameters
    ----------
    sample1, sample2 : array-like
        Observations of the treatment and control arms (zeros included).
    alternative : {"two-sided", "larger", "smaller"}
    winsorize : float, optional
        If given (e.g. 0.99), values above this quantile of the *pooled* sample are
        replaced by it in both arms before the test (caps outliers, same cap for both).
    value : float, default 0
        The null difference ``mean1 - mean2`` (statsmodels' ``ttest_ind(value=)``). A
        non-inferiority test with margin ``m > 0`` is ``alternative="larger",
        value=-m``; an equivalence test is :func:`welch_tost`.

    Returns
    -------
    WelchResult

    Examples
    --------
    >>> from segwise.abtest import welch_test
    >>> t, p = welch_test([3.0, 4.0, 5.0, 8.0], [1.0, 2.0, 2.5, 3.0])
    >>> round(p, 4)
    0.0699

    Non-inferiority: is the new page's mean basket at most 0.5 below the old one's?

    >>> r = welch_test([3.0, 4.0, 5.0, 8.0], [4.0, 5.0, 5.5, 6.0], alternative="larger",
    ...                value=-0.5)
    >>> round(r.pvalue, 4)
    0.3816
    """
    params = validate_params(locals(), _WELCH_PARAMS, caller="welch_test")
    alternative, q, value = params["alternative"], params["winsorize"], float(params["value"])
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
        a.mean(),
        a.var(ddof=1),
        a.size,
        b.mean(),
        b.var(ddof=1),
        b.size,
        alternative,
        value / scale,
    )
    if scale == 1.0:
        return res
    return replace(
        res,
        estimate=res.estimate * scale,
        stderr=res.stderr * scale,
        mean1=res.mean1 * scale,
        mean2=res.mean2 * scale,
        value=value,
    )


def _welch_result(
    m1: float,
    v1: float,
    n1: float,
    m2: float,
    v2: float,
    n2: float,
    alternative: str,
    value: float = 0.0,
) -> WelchResult:
    d, se, df = welch_moments(m1, v1, n1, m2, v2, n2)
    d, se, df = float(d), float(se), float(df)
    e = d - value
    if se > 0:
        t = e / se
        p = float(pvalue_from_stat(t, alternative, df))
    else:
        t = 0.0 if e == 0 else math.copysign(math.inf, e)
        p = float(pvalue_from_stat(t, alternative)) if e != 0 else 1.0
    return WelchResult(t, p, d, se, df, alternative, float(m1), float(m2), value)


def welch_tost(sample1: Any, sample2: Any, low: float, upp: float) -> TOSTResult:
    """Equivalence of two means by two one-sided Welch t-tests (TOST).

    ``H0: mean1 - mean2 <= low or >= upp`` against ``low < mean1 - mean2 < upp``, as
    statsmodels' ``ttost_ind(x1, x2, low, upp, usevar="unequal")``.

    Parameters
    ----------
    sample1, sample2 : array-like
        Observations of the treatment and control arms.
    low, upp : float
        The equivalence margins on the difference (``low < upp``).

    Returns
    -------
    TOSTResult
        ``conf_int(alpha)`` is the ``1 - 2 alpha`` Welch interval, inside ``(low, upp)``
        exactly when ``pvalue <= alpha``.

    Examples
    --------
    >>> from segwise.abtest import welch_tost
    >>> r = welch_tost([5.1, 4.9, 5.0, 5.2, 4.8], [5.0, 5.1, 4.9, 5.0, 5.0], -0.5, 0.5)
    >>> r.pvalue < 0.05
    True
    """
    params = validate_params(locals(), _TOST_PARAMS, caller="welch_tost")
    low, upp = float(params["low"]), float(params["upp"])
    a = _sample(sample1, "sample1")
    b = _sample(sample2, "sample2")
    # In units of a power of two when squares would overflow or underflow (as welch_test);
    # the margins follow, the estimate and its interval come back in the caller's units.
    scale = _common_scale(a, b)
    a, b = a / scale, b / scale
    moments = (a.mean(), a.var(ddof=1), a.size, b.mean(), b.var(ddof=1), b.size)
    lower = _welch_result(*moments, "larger", low / scale)
    upper = _welch_result(*moments, "smaller", upp / scale)
    base = _welch_result(*moments, "two-sided")
    if scale != 1.0:
        base = replace(
            base,
            estimate=base.estimate * scale,
            stderr=base.stderr * scale,
            mean1=base.mean1 * scale,
            mean2=base.mean2 * scale,
        )
    return _tost(
        base.estimate,
        low,
        upp,
        (lower.statistic, lower.pvalue),
        (upper.statistic, upper.pvalue),
        "diff",
        base,
    )
