"""Two-proportion tests and intervals for the difference: the pooled z-test, Fisher's exact test,
Wilson / Newcombe and Miettinen-Nurminen intervals (statsmodels' ``proportion``).

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
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
from .._validation import Constraints, Interval, StrOptions, validate_params
from ..exceptions import InvalidParameterError
from ._common import TOSTResult, _counts, _tost


def _wilson(x: Any, n: Any, z: float) -> tuple[Any, Any]:
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    z2 = z * z
    center = (x + z2 / 2) / (n + z2)
    half = z * np.sqrt(x * (n - x) / n + z2 / 4) / (n + z2)
    return np.clip(center - half, 0, 1), np.clip(center + half, 0, 1)


def _score_stat(
    x1: Any, n1: Any, x2: Any, n2: Any, null: Any, compare: str, correction: bool
) -> Any:
    """Score statistic of ``H0: p1 - p2 = null`` (or ``p1 / p2 = null``), vectorized:
    variance at the constrained MLE under the null (``src/core/abtest/score.rs``)."""
    args = np.broadcast_arrays(*(np.asarray(v, float) for v in (x1, n1, x2, n2, null)))
    flat = [np.ascontiguousarray(a.ravel()) for a in args]
    out = _core.abtest_score_stat(*flat, compare=compare, correction=correction)
    return out.reshape(args[0].shape)


def _score_interval(
    x1: Any, n1: Any, x2: Any, n2: Any, z: Any, compare: str, correction: bool
) -> tuple[Any, Any]:
    """Score interval (Miettinen–Nurminen / Mee for a difference, Koopman for a ratio) at
    the critical values ``z``, vectorized: the nulls the score test does not reject."""
    args = np.broadcast_arrays(*(np.asarray(v, float) for v in (x1, n1, x2, n2, z)))
    flat = [np.ascontiguousarray(a.ravel()) for a in args]
    low, high = _core.abtest_score_interval(*flat, compare=compare, correction=correction)
    return low.reshape(args[0].shape), high.reshape(args[0].shape)


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
    elif method in ("score", "mee"):
        correction = correction and method == "score"
        stat = _score_stat(x1, n1, x2, n2, 0.0, "diff", correction)
        low, high = _score_interval(x1, n1, x2, n2, z, "diff", correction)
        degenerate = (x1 + x2 == 0) | (x1 + x2 == n1 + n2)
    else:  # pragma: no cover - checked by callers
        raise InvalidParameterError(f"unknown method {method!r}")
    pvalue = 2.0 * np.asarray(distributions.norm_sf(np.abs(stat)), float)
    return np.clip(low, -1, 1), np.clip(high, -1, 1), stat, np.minimum(pvalue, 1.0), degenerate


def _ratio_ci_arrays(
    x1: Any, n1: Any, x2: Any, n2: Any, alpha: Any, method: str = "koopman"
) -> tuple[Any, Any]:
    """Vectorized interval of ``p1 / p2`` -> (low, high); ``alpha`` may be per row.

    "koopman": Koopman's (1984) score interval, the set of ratios the score test does not
    reject; it contains 1 exactly when the pooled z-test does not reject; ``x1 = 0``
    gives a lower bound 0, ``x2 = 0`` an upper bound of infinity.
    "log": Katz's log interval (0.5 added to every cell when a count is 0).
    """
    x1, n1, x2, n2, alpha = np.broadcast_arrays(
        *(np.asarray(v, float) for v in (x1, n1, x2, n2, alpha))
    )
    z = np.asarray(critical_value(alpha), float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "log":
            zero = (x1 == 0) | (x2 == 0)
            a, b = x1 + 0.5 * zero, x2 + 0.5 * zero
            m1, m2 = n1 + zero, n2 + zero
            lr = np.log((a / m1) / (b / m2))
            se = np.sqrt(1 / a - 1 / m1 + 1 / b - 1 / m2)
            return np.exp(lr - z * se), np.exp(lr + z * se)

    return _score_interval(x1, n1, x2, n2, z, "ratio", False)


def _pooled_z(x1: Any, n1: Any, x2: Any, n2: Any) -> Any:
    x1, n1, x2, n2 = (np.asarray(v, float) for v in (x1, n1, x2, n2))
    p = (x1 + x2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    d = x1 / n1 - x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, d / np.where(se > 0, se, 1.0), 0.0)


DIFF_CI_METHODS = ("newcombe", "wald", "agresti-caffo", "score", "mee")
_DIFF_CI_PARAMS: Constraints = {
    "alpha": [PROBABILITY],
    "method": [StrOptions(DIFF_CI_METHODS)],
    "correction": ["boolean"],
}
_TEST_PARAMS: Constraints = {
    "method": [StrOptions(["pooled", "unpooled", "fisher"])],
    "alternative": [ALTERNATIVE],
    "value": [None, Interval(Real, None, None, closed="neither")],
    "compare": [StrOptions(["diff", "ratio"])],
}
RATIO_CI_METHODS = ("koopman", "log")
_RATIO_CI_PARAMS: Constraints = {"alpha": [PROBABILITY], "method": [StrOptions(RATIO_CI_METHODS)]}
_TOST_PARAMS: Constraints = {
    "low": [Interval(Real, None, None, closed="neither")],
    "upp": [Interval(Real, None, None, closed="neither")],
    "compare": [StrOptions(["diff", "ratio"])],
}


@dataclass(frozen=True)
class DiffCIResult(Unpacks):
    """Confidence interval for ``p1 - p2`` with its companion test.

    ``statistic``/``pvalue`` are those of the method's own test at ``p1 - p2 = 0``
    (Wald z for "wald" and "agresti-caffo" on their adjusted counts, the pooled z for
    "newcombe" and "mee", the Miettinen–Nurminen score for "score"). ``degenerate`` flags 0/n vs 0/n
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
    method : {"newcombe", "wald", "agresti-caffo", "score", "mee"}
        Newcombe's hybrid score (Wilson) interval (default); Wald; Agresti–Caffo (one
        success and one failure added per arm); Miettinen–Nurminen score interval, the
        inversion of the score test with the exact constrained MLE (``correction`` applies
        the ``N / (N - 1)`` variance factor of Miettinen–Nurminen; ``False`` gives
        Farrington–Manning's variance); "mee" is that score interval without the factor
        (Mee 1984; R DescTools' ``"mee"``): the inversion of the pooled z-test, so it
        excludes 0 exactly when :func:`proportions_test` rejects at ``alpha``.
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
    "fisher". ``estimate`` is ``p1 - p2`` (``compare="diff"``) or ``p1 / p2``
    (``compare="ratio"``); ``value`` is the null. ``conf_int`` gives the interval of the
    same quantity (Newcombe for a difference by default, Koopman for a ratio).

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
    value: float = 0.0
    compare: str = "diff"

    def conf_int(self, alpha: float = 0.05, method: str | None = None) -> tuple[float, float]:
        """Two-sided interval for ``p1 - p2`` (:func:`proportions_diff_ci`, default
        "newcombe") or ``p1 / p2`` (:func:`proportions_ratio_ci`, default "koopman")."""
        if self.compare == "ratio":
            r = proportions_ratio_ci(*self.counts, alpha=alpha, method=method or "koopman")
            return r.low, r.high
        return proportions_diff_ci(*self.counts, alpha=alpha, method=method or "newcombe").conf_int(
            alpha
        )


def proportions_test(
    count1: int,
    nobs1: int,
    count2: int,
    nobs2: int,
    *,
    method: str = "pooled",
    alternative: str = "two-sided",
    value: float | None = None,
    compare: str = "diff",
) -> ProportionsTestResult:
    """Test two independent proportions: equality, or a non-zero null (non-inferiority).

    Parameters
    ----------
    count1, nobs1, count2, nobs2 : int
        Successes and trials of the treatment (1) and control (2) arms.
    method : {"pooled", "unpooled", "fisher"}
        Pooled two-proportion z-test (default; ``z**2`` equals Pearson's chi-square without
        Yates' correction). Against a non-zero null it is the score test (Farrington &
        Manning 1990 for a difference, Koopman 1984 / Miettinen & Nurminen 1985 for a
        ratio: the variance at the constrained maximum-likelihood estimate under the null,
        which is the pooled one when the null is equality), as statsmodels'
        ``test_proportions_2indep(method="score", correction=False)``. "unpooled": the Wald
        z-test (of the log ratio for ``compare="ratio"``). "fisher": Fisher's exact test
        (conditional on the margins; two-sided p sums the tables no more likely than the
        observed one, with a relative tolerance of 1e-7); equality only.
    alternative : {"two-sided", "larger", "smaller"}
        ``"larger"`` means ``p1 - p2 > value`` (or ``p1 / p2 > value``).
    value : float, optional
        The null difference (default 0) or ratio (default 1). A non-inferiority test of
        the treatment with margin ``m > 0`` is ``alternative="larger", value=-m`` (or
        ``value=1 - m`` on the ratio scale); an equivalence test is
        :func:`proportions_tost`.
    compare : {"diff", "ratio"}
        Test the difference ``p1 - p2`` or the ratio ``p1 / p2``.

    Returns
    -------
    ProportionsTestResult

    Examples
    --------
    >>> from segwise.abtest import proportions_test
    >>> r = proportions_test(3, 4, 1, 4, method="fisher")
    >>> round(r.pvalue, 4)
    0.4857

    Non-inferiority: is the new e-mail's conversion rate no more than 2 points below the
    old one's?

    >>> r = proportions_test(118, 1000, 120, 1000, alternative="larger", value=-0.02)
    >>> round(r.pvalue, 4)
    0.1074
    """
    params = validate_params(locals(), _TEST_PARAMS, caller="proportions_test")
    method, alternative, compare = params["method"], params["alternative"], params["compare"]
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    null = (0.0 if compare == "diff" else 1.0) if value is None else float(value)
    if compare == "ratio" and not null > 0:
        raise InvalidParameterError(f"value must be a ratio > 0 for compare='ratio', got {null!r}")
    if compare == "diff" and not -1 < null < 1:
        raise InvalidParameterError(f"value must be a difference in (-1, 1), got {null!r}")
    counts = (x1, n1, x2, n2)
    est = _ratio_estimate(x1, n1, x2, n2) if compare == "ratio" else x1 / n1 - x2 / n2
    if method == "fisher":
        if null != (0.0 if compare == "diff" else 1.0):
            raise InvalidParameterError(
                "Fisher's exact test is a test of equality; use method='pooled' (the score "
                f"test) against value={null!r}"
            )
        alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
        arr = [np.array([v], dtype=np.int64) for v in (x1, n1 - x1, x2, n2 - x2)]
        odds, p = _core.abtest_fisher_exact(arr[0], arr[1], arr[2], arr[3], alternative=alt)
        return ProportionsTestResult(
            float(odds[0]), float(p[0]), est, method, alternative, counts, null, compare
        )
    z = _z_statistic(x1, n1, x2, n2, null, compare, method)
    return ProportionsTestResult(
        z, float(pvalue_from_stat(z, alternative)), est, method, alternative, counts, null, compare
    )


def _ratio_estimate(x1: int, n1: int, x2: int, n2: int) -> float:
    """``p1 / p2``; infinite for ``x2 = 0 < x1``, NaN for 0 / 0."""
    if x2 > 0:
        return x1 / n1 / (x2 / n2)
    return math.inf if x1 > 0 else math.nan


def _z_statistic(
    x1: int, n1: int, x2: int, n2: int, null: float, compare: str, method: str
) -> float:
    """The z statistic of ``H0: p1 - p2 = null`` (or ``p1 / p2 = null``)."""
    p1, p2 = x1 / n1, x2 / n2
    if method == "pooled":
        if compare == "diff" and null == 0.0:
            return float(_pooled_z(x1, n1, x2, n2))
        return float(_score_stat(x1, n1, x2, n2, null, compare, False))
    if compare == "ratio":  # Wald z of log(p1 / p2); 0.5 added to every cell at a zero
        if x1 == 0 or x2 == 0:
            x1a, x2a, n1a, n2a = x1 + 0.5, x2 + 0.5, n1 + 1, n2 + 1
        else:
            x1a, x2a, n1a, n2a = x1, x2, n1, n2
        se = math.sqrt(1 / x1a - 1 / n1a + 1 / x2a - 1 / n2a)
        return (math.log(x1a / n1a / (x2a / n2a)) - math.log(null)) / se
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    d = p1 - p2 - null
    return d / se if se > 0 else (0.0 if d == 0 else math.copysign(math.inf, d))


@dataclass(frozen=True)
class RatioCIResult(Unpacks):
    """Confidence interval for ``p1 / p2`` with its companion test at ratio 1 (the
    pooled z for "koopman", the log-ratio Wald z for "log"). Unpacks to
    ``(statistic, pvalue)``.

    Examples
    --------
    >>> from segwise.abtest import proportions_ratio_ci
    >>> r = proportions_ratio_ci(36, 40, 16, 80)
    >>> round(r.estimate, 2), round(r.low, 3), round(r.high, 3)
    (4.5, 2.94, 7.152)
    """

    statistic: float
    pvalue: float
    estimate: float
    low: float
    high: float
    method: str
    alpha: float
    counts: tuple[int, int, int, int] = field(repr=False)

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Interval at another level ``1 - alpha`` with the same method."""
        r = proportions_ratio_ci(*self.counts, alpha=alpha, method=self.method)
        return r.low, r.high


def proportions_ratio_ci(
    count1: int,
    nobs1: int,
    count2: int,
    nobs2: int,
    *,
    alpha: float = 0.05,
    method: str = "koopman",
) -> RatioCIResult:
    """Confidence interval for the ratio of two independent proportions ``p1 / p2``.

    Parameters
    ----------
    count1, nobs1, count2, nobs2 : int
        Successes and trials of the treatment (1) and control (2) arms.
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.
    method : {"koopman", "log"}
        Koopman's (1984) asymptotic score interval (default): the ratios the score test
        (variance at the constrained MLE) does not reject, as statsmodels'
        ``confint_proportions_2indep(compare="ratio", method="score",
        correction=False)``. It inverts the pooled z-test at ratio 1, so it excludes 1
        exactly when :func:`proportions_test` rejects at ``alpha``. "log": Katz's
        log-ratio Wald interval (0.5 added to every cell when a count is 0).

    Returns
    -------
    RatioCIResult
        ``low`` is 0 when ``count1 == 0`` and ``high`` is infinite when ``count2 == 0``
        (Koopman).

    Examples
    --------
    >>> from segwise.abtest import proportions_ratio_ci
    >>> r = proportions_ratio_ci(120, 1000, 90, 1000)
    >>> round(r.low, 4), round(r.high, 4)
    (1.0303, 1.7266)
    """
    params = validate_params(locals(), _RATIO_CI_PARAMS, caller="proportions_ratio_ci")
    alpha, method = params["alpha"], params["method"]
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    low, high = _ratio_ci_arrays(x1, n1, x2, n2, alpha, method)
    unpooled = "unpooled" if method == "log" else "pooled"
    z = _z_statistic(x1, n1, x2, n2, 1.0, "ratio", unpooled)
    est = _ratio_estimate(x1, n1, x2, n2)
    return RatioCIResult(
        z,
        float(pvalue_from_stat(z, "two-sided")),
        est,
        float(low),
        float(high),
        method,
        alpha,
        (x1, n1, x2, n2),
    )


def proportions_tost(
    count1: int,
    nobs1: int,
    count2: int,
    nobs2: int,
    low: float,
    upp: float,
    *,
    compare: str = "diff",
) -> TOSTResult:
    """Equivalence of two proportions by two one-sided score tests (TOST).

    ``H0: p1 - p2 <= low or p1 - p2 >= upp`` against ``low < p1 - p2 < upp`` (or the
    ratio ``p1 / p2`` with ``compare="ratio"``): both one-sided score tests of
    :func:`proportions_test` (``method="pooled"``), as statsmodels'
    ``tost_proportions_2indep(method="score", correction=False)``.

    Parameters
    ----------
    count1, nobs1, count2, nobs2 : int
        Successes and trials of the treatment (1) and control (2) arms.
    low, upp : float
        The equivalence margins (``low < upp``), e.g. ``-0.02, 0.02`` for two
        percentage points, or ``0.9, 1.1`` on the ratio scale.
    compare : {"diff", "ratio"}

    Returns
    -------
    TOSTResult
        ``conf_int(alpha)`` is the ``1 - 2 alpha`` interval (Mee for a difference, Koopman
        for a ratio) that lies inside ``(low, upp)`` exactly when ``pvalue <= alpha``.

    Examples
    --------
    >>> from segwise.abtest import proportions_tost
    >>> r = proportions_tost(1210, 10000, 1190, 10000, -0.02, 0.02)
    >>> r.pvalue < 0.001
    True
    """
    params = validate_params(locals(), _TOST_PARAMS, caller="proportions_tost")
    low, upp, compare = float(params["low"]), float(params["upp"]), params["compare"]
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    tests = []
    for null, alternative in ((low, "larger"), (upp, "smaller")):
        r = proportions_test(x1, n1, x2, n2, alternative=alternative, value=null, compare=compare)
        tests.append((r.statistic, r.pvalue))
    estimate = proportions_test(x1, n1, x2, n2, compare=compare).estimate
    interval = _ScoreInterval((x1, n1, x2, n2), compare)
    return _tost(estimate, low, upp, tests[0], tests[1], compare, interval)


@dataclass(frozen=True)
class _ScoreInterval:
    """The score interval that inverts the score tests of a TOST: Mee's for a difference,
    Koopman's for a ratio."""

    counts: tuple[int, int, int, int]
    compare: str

    def conf_int(self, alpha: float) -> tuple[float, float]:
        if self.compare == "ratio":
            low, high = _ratio_ci_arrays(*self.counts, alpha)
        else:
            low, high, *_ = _diff_ci_arrays(*self.counts, alpha, "mee")
        return float(low), float(high)
