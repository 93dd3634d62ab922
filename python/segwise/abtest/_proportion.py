"""Two-proportion tests and intervals for the difference: the pooled z-test, Fisher's exact test,
Wilson / Newcombe and Miettinen-Nurminen intervals (statsmodels' ``proportion``).

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core
from .._results import Unpacks
from .._stats import distributions
from .._stats.inference import (
    ALTERNATIVE,
    PROBABILITY,
    critical_value,
    pvalue_from_stat,
)
from .._validation import Constraints, StrOptions, validate_params
from ..exceptions import InvalidParameterError
from ._common import _counts


def _wilson(x: Any, n: Any, z: float) -> tuple[Any, Any]:
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    z2 = z * z
    center = (x + z2 / 2) / (n + z2)
    half = z * np.sqrt(x * (n - x) / n + z2 / 4) / (n + z2)
    return np.clip(center - half, 0, 1), np.clip(center + half, 0, 1)


def _mn_null(x1: Any, n1: Any, x2: Any, n2: Any, d: Any) -> tuple[Any, Any]:
    """Constrained MLE of (p1, p2) under p1 - p2 = d (Miettinen & Nurminen 1985).

    Closed-form root of the likelihood cubic. The linear coefficient has ``n2`` where
    statsmodels <= 0.15 wrongly has ``x2`` (statsmodels issue #10269).
    """
    x1, n1, x2, n2, d = (np.asarray(v, float) for v in (x1, n1, x2, n2, d))
    p1 = x1 / n1
    p2 = x2 / n2
    theta = n2 / n1
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p2 + d * (theta + 2))
    c = d * d + d * (2 * p1 + theta + 1) + p1 + theta * p2
    e = -p1 * d * (1 + d)
    v = b**3 / (27 * a**3) - b * c / (6 * a * a) + e / (2 * a)
    s = b * b / (9 * a * a) - c / (3 * a)
    u = np.where(v >= 0, 1.0, -1.0) * np.sqrt(np.maximum(s, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u == 0, 1.0, v / np.where(u == 0, 1.0, u**3))
    w = (np.pi + np.arccos(np.clip(ratio, -1.0, 1.0))) / 3
    q1 = 2 * u * np.cos(w) - b / (3 * a)
    q1 = np.clip(q1, np.maximum(0.0, d), np.minimum(1.0, 1.0 + d))
    return q1, q1 - d


def _mn_stat(x1: Any, n1: Any, x2: Any, n2: Any, d: Any, correction: bool) -> Any:
    q1, q2 = _mn_null(x1, n1, x2, n2, d)
    n1 = np.asarray(n1, float)
    n2 = np.asarray(n2, float)
    var = q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2
    if correction:
        var = var * (n1 + n2) / (n1 + n2 - 1)
    diff = np.asarray(x1, float) / n1 - np.asarray(x2, float) / n2 - d
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            var > 0,
            diff / np.sqrt(np.where(var > 0, var, 1.0)),
            np.where(diff == 0, 0.0, np.sign(diff) * np.inf),
        )


def _diff_ci_arrays(
    x1: Any, n1: Any, x2: Any, n2: Any, alpha: float, method: str, correction: bool = True
) -> tuple[Any, Any, Any, Any, Any]:
    """Vectorized CI of p1 - p2 -> (low, high, statistic, pvalue, degenerate)."""
    x1, n1, x2, n2 = (np.asarray(v, float) for v in (x1, n1, x2, n2))
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    z = critical_value(alpha)
    if method == "wald" or method == "agresti-caffo":
        if method == "agresti-caffo":
            x1a, n1a, x2a, n2a = x1 + 1, n1 + 2, x2 + 1, n2 + 2
        else:
            x1a, n1a, x2a, n2a = x1, n1, x2, n2
        q1, q2 = x1a / n1a, x2a / n2a
        est = q1 - q2
        se = np.sqrt(q1 * (1 - q1) / n1a + q2 * (1 - q2) / n2a)
        low, high = est - z * se, est + z * se
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.where(se > 0, est / np.where(se > 0, se, 1.0), 0.0)
        degenerate = (se == 0) | (x1 + x2 == 0) | (x1 + x2 == n1 + n2)
    elif method == "newcombe":
        l1, u1 = _wilson(x1, n1, z)
        l2, u2 = _wilson(x2, n2, z)
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
        stat = _pooled_z(x1, n1, x2, n2)
        degenerate = (x1 + x2 == 0) | (x1 + x2 == n1 + n2)
    elif method == "score":
        stat = _mn_stat(x1, n1, x2, n2, 0.0, correction)

        # Invert the score statistic: it decreases in d; bisection on both sides.
        def solve(lo: Any, hi: Any, target: float) -> Any:
            lo = np.array(lo, float, copy=True)
            hi = np.array(hi, float, copy=True)
            for _ in range(80):
                mid = 0.5 * (lo + hi)
                s = _mn_stat(x1, n1, x2, n2, mid, correction)
                above = s > target
                lo = np.where(above, mid, lo)
                hi = np.where(above, hi, mid)
            return 0.5 * (lo + hi)

        low = solve(np.full_like(d, -1.0), d, z)
        high = solve(d, np.full_like(d, 1.0), -z)
        degenerate = (x1 + x2 == 0) | (x1 + x2 == n1 + n2)
    else:  # pragma: no cover - checked by callers
        raise InvalidParameterError(f"unknown method {method!r}")
    pvalue = 2.0 * np.asarray(distributions.norm_sf(np.abs(stat)), float)
    return np.clip(low, -1, 1), np.clip(high, -1, 1), stat, np.minimum(pvalue, 1.0), degenerate


def _pooled_z(x1: Any, n1: Any, x2: Any, n2: Any) -> Any:
    x1, n1, x2, n2 = (np.asarray(v, float) for v in (x1, n1, x2, n2))
    p = (x1 + x2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    d = x1 / n1 - x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, d / np.where(se > 0, se, 1.0), 0.0)


DIFF_CI_METHODS = ("newcombe", "wald", "agresti-caffo", "score")
_DIFF_CI_PARAMS: Constraints = {
    "alpha": [PROBABILITY],
    "method": [StrOptions(DIFF_CI_METHODS)],
    "correction": ["boolean"],
}
_TEST_PARAMS: Constraints = {
    "method": [StrOptions(["pooled", "unpooled", "fisher"])],
    "alternative": [ALTERNATIVE],
}


@dataclass(frozen=True)
class DiffCIResult(Unpacks):
    """Confidence interval for ``p1 - p2`` with its companion test.

    ``statistic``/``pvalue`` are those of the method's own test at ``p1 - p2 = 0``
    (Wald z for "wald" and "agresti-caffo" on their adjusted counts, the pooled z for
    "newcombe", the Miettinen–Nurminen score for "score"). ``degenerate`` flags 0/n vs 0/n
    or n/n vs n/n tables, where the interval carries little information.

    Examples
    --------
    >>> from segwise.abtest import proportions_diff_ci
    >>> r = proportions_diff_ci(56, 70, 48, 80)
    >>> round(r.low, 4), round(r.high, 4)
    (0.0524, 0.3339)
    """

    statistic: float
    pvalue: float
    estimate: float
    low: float
    high: float
    method: str
    alpha: float
    degenerate: bool
    counts: tuple[int, int, int, int] = field(repr=False)
    correction: bool = field(default=True, repr=False)

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Interval at another level ``1 - alpha`` with the same method."""
        r = proportions_diff_ci(
            *self.counts, alpha=alpha, method=self.method, correction=self.correction
        )
        return r.low, r.high


def proportions_diff_ci(
    count1: int,
    nobs1: int,
    count2: int,
    nobs2: int,
    *,
    alpha: float = 0.05,
    method: str = "newcombe",
    correction: bool = True,
) -> DiffCIResult:
    """Confidence interval for the difference of two independent proportions.

    Parameters
    ----------
    count1, nobs1 : int
        Successes and trials of the treatment arm.
    count2, nobs2 : int
        Successes and trials of the control arm.
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.
    method : {"newcombe", "wald", "agresti-caffo", "score"}
        Newcombe's hybrid score (Wilson) interval (default); Wald; Agresti–Caffo (one
        success and one failure added per arm); Miettinen–Nurminen score interval, the
        inversion of the score test with the exact constrained MLE (``correction`` applies
        the ``N / (N - 1)`` variance factor of Miettinen–Nurminen; ``False`` gives
        Farrington–Manning's variance).
    correction : bool, default True
        Only for ``method="score"``.

    Returns
    -------
    DiffCIResult
        Bounds are clipped to ``[-1, 1]``.

    Notes
    -----
    The Miettinen–Nurminen constrained MLE is the closed-form root of the likelihood
    cubic under ``p1 - p2 = d``. statsmodels <= 0.15 has a wrong linear coefficient there
    (its issue #10269: ``count2`` where ``nobs2`` belongs), so its score intervals differ
    from these except when ``count2 == nobs2``; segwise's root is checked against a
    numerical maximization of the restricted likelihood, and with ``correction=False``
    reproduces the published interval (0.028, 0.34) for 7/34 vs 1/34 (Fagerland, Lydersen &
    Laake 2015).

    Examples
    --------
    >>> from segwise.abtest import proportions_diff_ci
    >>> r = proportions_diff_ci(7, 34, 1, 34, method="score")
    >>> round(r.low, 3), round(r.high, 3)
    (0.027, 0.345)
    """
    params = validate_params(locals(), _DIFF_CI_PARAMS, caller="proportions_diff_ci")
    alpha, method, correction = params["alpha"], params["method"], params["correction"]
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    low, high, stat, p, deg = _diff_ci_arrays(x1, n1, x2, n2, alpha, method, correction)
    return DiffCIResult(
        float(stat),
        float(p),
        x1 / n1 - x2 / n2,
        float(low),
        float(high),
        method,
        alpha,
        bool(deg),
        (x1, n1, x2, n2),
        bool(correction),
    )


@dataclass(frozen=True)
class ProportionsTestResult(Unpacks):
    """Two-proportion test. Unpacks to ``(statistic, pvalue)``.

    ``statistic`` is a z value for "pooled"/"unpooled" and the sample odds ratio for
    "fisher". ``conf_int`` gives the interval for ``p1 - p2`` (Newcombe by default).

    Examples
    --------
    >>> from segwise.abtest import proportions_test
    >>> z, p = proportions_test(120, 1000, 90, 1000)
    >>> round(z, 4), round(p, 4)
    (2.1883, 0.0287)
    """

    statistic: float
    pvalue: float
    estimate: float
    method: str
    alternative: str
    counts: tuple[int, int, int, int] = field(repr=False)

    def conf_int(self, alpha: float = 0.05, method: str = "newcombe") -> tuple[float, float]:
        """Two-sided interval for ``p1 - p2`` (see :func:`proportions_diff_ci`)."""
        return proportions_diff_ci(*self.counts, alpha=alpha, method=method).conf_int(alpha)


def proportions_test(
    count1: int,
    nobs1: int,
    count2: int,
    nobs2: int,
    *,
    method: str = "pooled",
    alternative: str = "two-sided",
) -> ProportionsTestResult:
    """Test equality of two independent proportions.

    Parameters
    ----------
    count1, nobs1, count2, nobs2 : int
        Successes and trials of the treatment (1) and control (2) arms.
    method : {"pooled", "unpooled", "fisher"}
        Pooled two-proportion z-test (default; ``z**2`` equals Pearson's chi-square without
        Yates' correction); unpooled Wald z-test; Fisher's exact test (conditional on the
        margins; two-sided p sums the tables no more likely than the observed one, with a
        relative tolerance of 1e-7).
    alternative : {"two-sided", "larger", "smaller"}
        ``"larger"`` means ``p1 > p2``.

    Returns
    -------
    ProportionsTestResult

    Examples
    --------
    >>> from segwise.abtest import proportions_test
    >>> r = proportions_test(3, 4, 1, 4, method="fisher")
    >>> round(r.pvalue, 4)
    0.4857
    """
    params = validate_params(locals(), _TEST_PARAMS, caller="proportions_test")
    method, alternative = params["method"], params["alternative"]
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    est = x1 / n1 - x2 / n2
    if method == "fisher":
        alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
        arr = [np.array([v], dtype=np.int64) for v in (x1, n1 - x1, x2, n2 - x2)]
        odds, p = _core.abtest_fisher_exact(arr[0], arr[1], arr[2], arr[3], alternative=alt)
        return ProportionsTestResult(
            float(odds[0]), float(p[0]), est, method, alternative, (x1, n1, x2, n2)
        )
    if method == "pooled":
        z = float(_pooled_z(x1, n1, x2, n2))
    else:
        se = math.sqrt(x1 / n1 * (1 - x1 / n1) / n1 + x2 / n2 * (1 - x2 / n2) / n2)
        z = est / se if se > 0 else 0.0
    return ProportionsTestResult(
        z, float(pvalue_from_stat(z, alternative)), est, method, alternative, (x1, n1, x2, n2)
    )
