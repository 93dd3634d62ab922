"""Low-level A/B statistics: pure functions of counts and moments.

Every test returns a frozen dataclass that unpacks to ``(statistic, pvalue)``; those with
an interval have ``conf_int(alpha)``. The vectorized ``_*_moments`` helpers are what the
per-segment report uses (one call for all segments x metrics x arms).

Conventions: arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
Distributions come from the Rust core (:mod:`segwise.abtest._dist`); scipy is not needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core
from .._validation import check_choice, check_float
from ..exceptions import InvalidParameterError, ShapeMismatchError
from . import _dist

__all__ = [
    "ProportionsTestResult",
    "DiffCIResult",
    "WelchResult",
    "RelativeLiftResult",
    "RatioMetricResult",
    "CupedResult",
    "AdjustedPValues",
    "SRMResult",
    "BayesResult",
    "HeterogeneityResult",
    "proportions_test",
    "proportions_diff_ci",
    "welch_test",
    "relative_lift_ci",
    "ratio_metric_test",
    "cuped_test",
    "adjust_pvalues",
    "srm_test",
    "prob_beat_control",
    "sample_size_proportions",
    "sample_size_means",
    "minimum_detectable_effect",
    "heterogeneity_test",
]

ALTERNATIVES = ("two-sided", "larger", "smaller")


def _check_alpha(alpha: Any) -> float:
    return check_float(alpha, "alpha", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _pvalue(stat: Any, alternative: str, df: Any = None) -> Any:
    """p-value of a z (df None) or t statistic."""
    sf = _dist.norm_sf if df is None else (lambda x: _dist.t_sf(x, df))
    stat = np.asarray(stat, dtype=float)
    if alternative == "two-sided":
        p = 2.0 * sf(np.abs(stat))
    elif alternative == "larger":
        p = sf(stat)
    else:
        p = sf(-stat)
    p = np.minimum(np.asarray(p, dtype=float), 1.0)
    return float(p) if p.ndim == 0 else p


def _crit(alpha: float, df: Any = None) -> Any:
    return _dist.norm_isf(alpha / 2) if df is None else _dist.t_isf(alpha / 2, df)


class _Unpack:
    statistic: float
    pvalue: float

    def __iter__(self) -> Iterator[float]:
        return iter((self.statistic, self.pvalue))


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


# --------------------------------------------------------------------------- proportions


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
    z = _crit(alpha)
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
    pvalue = 2.0 * np.asarray(_dist.norm_sf(np.abs(stat)), float)
    return np.clip(low, -1, 1), np.clip(high, -1, 1), stat, np.minimum(pvalue, 1.0), degenerate


def _pooled_z(x1: Any, n1: Any, x2: Any, n2: Any) -> Any:
    x1, n1, x2, n2 = (np.asarray(v, float) for v in (x1, n1, x2, n2))
    p = (x1 + x2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    d = x1 / n1 - x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, d / np.where(se > 0, se, 1.0), 0.0)


DIFF_CI_METHODS = ("newcombe", "wald", "agresti-caffo", "score")


@dataclass(frozen=True)
class DiffCIResult(_Unpack):
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
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    alpha = _check_alpha(alpha)
    check_choice(method, "method", DIFF_CI_METHODS)
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
class ProportionsTestResult(_Unpack):
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
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    check_choice(method, "method", ("pooled", "unpooled", "fisher"))
    check_choice(alternative, "alternative", ALTERNATIVES)
    est = x1 / n1 - x2 / n2
    if method == "fisher":
        alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
        arr = [np.array([v], dtype=np.int64) for v in (x1, n1 - x1, x2, n2 - x2)]
        odds, p = _core.abtest_fisher_exact(arr[0], arr[1], arr[2], arr[3], alt)
        return ProportionsTestResult(
            float(odds[0]), float(p[0]), est, method, alternative, (x1, n1, x2, n2)
        )
    if method == "pooled":
        z = float(_pooled_z(x1, n1, x2, n2))
    else:
        se = math.sqrt(x1 / n1 * (1 - x1 / n1) / n1 + x2 / n2 * (1 - x2 / n2) / n2)
        z = est / se if se > 0 else 0.0
    return ProportionsTestResult(
        z, float(_pvalue(z, alternative)), est, method, alternative, (x1, n1, x2, n2)
    )


# --------------------------------------------------------------------------- means


def _welch_moments(m1: Any, v1: Any, n1: Any, m2: Any, v2: Any, n2: Any) -> tuple[Any, Any, Any]:
    """Welch: (difference, standard error, Welch–Satterthwaite df)."""
    m1, v1, n1, m2, v2, n2 = (np.asarray(a, float) for a in (m1, v1, n1, m2, v2, n2))
    a1, a2 = v1 / n1, v2 / n2
    se2 = a1 + a2
    with np.errstate(divide="ignore", invalid="ignore"):
        # Scaled so that tiny variances do not underflow to 0/0.
        scale = np.maximum(a1, a2)
        r1, r2 = a1 / scale, a2 / scale
        df = (r1 + r2) ** 2 / (r1 * r1 / (n1 - 1) + r2 * r2 / (n2 - 1))
    return m1 - m2, np.sqrt(se2), df


@dataclass(frozen=True)
class WelchResult(_Unpack):
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
        alpha = _check_alpha(alpha)
        if not self.stderr > 0:
            return self.estimate, self.estimate
        q = float(_crit(alpha, self.df))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr


def _sample(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    if arr.size < 2:
        raise InvalidParameterError(f"{name} needs at least 2 observations, got {arr.size}")
    if not np.isfinite(arr).all():
        raise InvalidParameterError(f"{name} contains NaN or infinity; drop them first")
    return arr


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
    a = _sample(sample1, "sample1")
    b = _sample(sample2, "sample2")
    check_choice(alternative, "alternative", ALTERNATIVES)
    if winsorize is not None:
        q = check_float(winsorize, "winsorize", low=0.0, high=1.0, low_inclusive=False)
        cap = float(np.quantile(np.concatenate([a, b]), q))
        a, b = np.minimum(a, cap), np.minimum(b, cap)
    return _welch_result(
        a.mean(), a.var(ddof=1), a.size, b.mean(), b.var(ddof=1), b.size, alternative
    )


def _welch_result(
    m1: float, v1: float, n1: float, m2: float, v2: float, n2: float, alternative: str
) -> WelchResult:
    d, se, df = _welch_moments(m1, v1, n1, m2, v2, n2)
    d, se, df = float(d), float(se), float(df)
    if se > 0:
        t = d / se
        p = float(_pvalue(t, alternative, df))
    else:
        t, p = (0.0, 1.0) if d == 0 else (math.copysign(math.inf, d), 0.0)
    return WelchResult(t, p, d, se, df, alternative, float(m1), float(m2))


# --------------------------------------------------------------------------- relative lift


LIFT_METHODS = ("delta", "log", "fieller")


def _lift_arrays(
    m1: Any, s1: Any, m2: Any, s2: Any, alpha: float, method: str, cov: Any = 0.0
) -> tuple[Any, Any, Any, Any, Any]:
    """Relative lift ``m1 / m2 - 1`` from means and their standard errors ``s1``, ``s2``
    (and ``cov = Cov(m1, m2)``). Returns (lift, se, low, high, reason) arrays; ``reason`` is
    "" or why no value is given."""
    m1, s1, m2, s2, cov = np.broadcast_arrays(
        *(np.asarray(a, float) for a in (m1, s1, m2, s2, cov))
    )
    z = _crit(alpha)
    reason = np.full(m1.shape, "", dtype=object)
    zero = m2 == 0
    reason[zero] = "control mean is 0: relative lift undefined"
    # over: a log-ratio bound beyond exp's range is an unbounded (inf) interval end.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = m1 / m2
        lift = ratio - 1
        var = s1**2 / m2**2 + m1**2 * s2**2 / m2**4 - 2 * m1 * cov / m2**3
        se = np.sqrt(np.maximum(var, 0.0))
        if method == "delta":
            low, high = lift - z * se, lift + z * se
        elif method == "log":
            bad = ~((m1 > 0) & (m2 > 0))
            reason[bad & ~zero] = "log method needs positive means in both arms"
            lse = np.sqrt(np.maximum(s1**2 / m1**2 + s2**2 / m2**2 - 2 * cov / (m1 * m2), 0))
            lr = np.log(np.where(bad, 1.0, ratio))
            low, high = np.exp(lr - z * lse) - 1, np.exp(lr + z * lse) - 1
        else:  # fieller
            qa = m2**2 - z * z * s2**2
            qb = m1 * m2 - z * z * cov
            qc = m1**2 - z * z * s1**2
            disc = qb * qb - qa * qc
            unb = (qa <= 0) | (disc < 0)
            reason[unb & ~zero] = "Fieller interval unbounded (control mean not significant)"
            root = np.sqrt(np.maximum(disc, 0.0))
            low = (qb - root) / qa - 1
            high = (qb + root) / qa - 1
            low = np.where(unb, np.nan, low)
            high = np.where(unb, np.nan, high)
    bad = reason != ""
    lift = np.where(zero, np.nan, lift)
    se = np.where(zero, np.nan, se)
    low = np.where(bad, np.nan, low)
    high = np.where(bad, np.nan, high)
    return lift, se, low, high, reason


@dataclass(frozen=True)
class RelativeLiftResult(_Unpack):
    """Relative lift ``mean1 / mean2 - 1``. Unpacks to ``(statistic, pvalue)`` where
    ``statistic = lift / stderr`` (delta method z). ``lift`` is None with a ``reason`` when
    the control mean is 0.

    Examples
    --------
    >>> from segwise.abtest import relative_lift_ci
    >>> r = relative_lift_ci(0.12, 0.12 * 0.88, 1000, 0.10, 0.10 * 0.90, 1000)
    >>> round(r.lift, 4)
    0.2
    """

    statistic: float
    pvalue: float
    lift: float | None
    stderr: float
    low: float
    high: float
    method: str
    reason: str
    moments: tuple[float, float, float, float, float, float] = field(repr=False)

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Interval at level ``1 - alpha`` with the same method (NaN when undefined)."""
        r = relative_lift_ci(*self.moments, alpha=alpha, method=self.method)
        return r.low, r.high


def relative_lift_ci(
    mean1: float,
    var1: float,
    nobs1: float,
    mean2: float,
    var2: float,
    nobs2: float,
    *,
    alpha: float = 0.05,
    method: str = "delta",
) -> RelativeLiftResult:
    """Confidence interval for the relative lift ``mean1 / mean2 - 1`` of independent arms.

    Parameters
    ----------
    mean1, var1, nobs1 : float
        Treatment mean, variance (ddof=1) and size. For a proportion, ``var = p (1 - p)``.
    mean2, var2, nobs2 : float
        Control arm.
    alpha : float, default 0.05
    method : {"delta", "log", "fieller"}
        Delta method on the ratio (default); Katz log-ratio (delta method on
        ``log(mean1 / mean2)``, needs positive means); Fieller's exact interval for a ratio
        of normal means (no value when the control mean is not significantly non-zero).

    Returns
    -------
    RelativeLiftResult
        ``lift`` is None and ``reason`` says why when the control mean is 0.

    Examples
    --------
    >>> from segwise.abtest import relative_lift_ci
    >>> r = relative_lift_ci(1.0, 4.0, 100, 0.0, 1.0, 100)
    >>> r.lift is None, r.reason
    (True, 'control mean is 0: relative lift undefined')
    """
    alpha = _check_alpha(alpha)
    check_choice(method, "method", LIFT_METHODS)
    for nm, n in (("nobs1", nobs1), ("nobs2", nobs2)):
        if not n > 0:
            raise InvalidParameterError(f"{nm} must be > 0, got {n}")
    s1 = math.sqrt(var1 / nobs1)
    s2 = math.sqrt(var2 / nobs2)
    lift, se, low, high, reason = _lift_arrays(mean1, s1, mean2, s2, alpha, method)
    lift_f = float(lift)
    se_f = float(se)
    stat = lift_f / se_f if se_f > 0 else math.nan
    p = float(_pvalue(stat, "two-sided")) if math.isfinite(stat) else math.nan
    return RelativeLiftResult(
        stat,
        p,
        None if math.isnan(lift_f) else lift_f,
        se_f,
        float(low),
        float(high),
        method,
        str(reason),
        (mean1, var1, nobs1, mean2, var2, nobs2),
    )


# --------------------------------------------------------------------------- ratio metrics


def _ratio_moments(n: Any, sy: Any, sx: Any, vy: Any, vx: Any, cxy: Any) -> tuple[Any, Any]:
    """Ratio ``mean_y / mean_x`` and its delta-method standard error."""
    n, sy, sx, vy, vx, cxy = (np.asarray(a, float) for a in (n, sy, sx, vy, vx, cxy))
    with np.errstate(divide="ignore", invalid="ignore"):
        my, mx = sy / n, sx / n
        r = my / mx
        var = (vy - 2 * r * cxy + r * r * vx) / (n * mx * mx)
    return r, np.sqrt(np.maximum(var, 0.0))


@dataclass(frozen=True)
class RatioMetricResult(_Unpack):
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
        q = float(_crit(_check_alpha(alpha)))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr

    def relative_lift(self, alpha: float = 0.05) -> tuple[float, float, float]:
        """``(lift, low, high)`` of ``ratio1 / ratio2 - 1`` by the delta method."""
        lift, _, low, high, _ = _lift_arrays(
            self.ratio1, self.stderr1, self.ratio2, self.stderr2, _check_alpha(alpha), "delta"
        )
        return float(lift), float(low), float(high)


def _paired(num: Any, den: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    y = _sample(num, f"numerator{name}")
    x = _sample(den, f"denominator{name}")
    if y.shape != x.shape:
        raise ShapeMismatchError(
            f"numerator{name} has {y.size} values but denominator{name} has {x.size}"
        )
    return y, x


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
    check_choice(alternative, "alternative", ALTERNATIVES)
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
    return RatioMetricResult(z, float(_pvalue(z, alternative)), d, se, r1, r2, s1, s2, alternative)


# --------------------------------------------------------------------------- CUPED


def _cuped_moments(
    n1: Any,
    sy1: Any,
    sx1: Any,
    m2y1: Any,
    m2x1: Any,
    cxy1: Any,
    n2: Any,
    sy2: Any,
    sx2: Any,
    m2y2: Any,
    m2x2: Any,
    cxy2: Any,
) -> dict[str, Any]:
    """CUPED from per-arm (n, sums, centred moments). Vectorized; returns arrays."""
    a = [
        np.asarray(v, float)
        for v in (n1, sy1, sx1, m2y1, m2x1, cxy1, n2, sy2, sx2, m2y2, m2x2, cxy2)
    ]
    n1, sy1, sx1, m2y1, m2x1, cxy1, n2, sy2, sx2, m2y2, m2x2, cxy2 = a
    n = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        my1, mx1, my2, mx2 = sy1 / n1, sx1 / n1, sy2 / n2, sx2 / n2
        # Pooled (both arms together) covariance and variance of x: Chan's merge.
        f = n1 * n2 / n
        pm2x = m2x1 + m2x2 + (mx2 - mx1) ** 2 * f
        pcxy = cxy1 + cxy2 + (mx2 - mx1) * (my2 - my1) * f
        theta = np.where(pm2x > 0, pcxy / np.where(pm2x > 0, pm2x, 1.0), 0.0)
        vy1, vx1, c1 = m2y1 / (n1 - 1), m2x1 / (n1 - 1), cxy1 / (n1 - 1)
        vy2, vx2, c2 = m2y2 / (n2 - 1), m2x2 / (n2 - 1), cxy2 / (n2 - 1)
        va1 = np.maximum(vy1 + theta**2 * vx1 - 2 * theta * c1, 0.0)
        va2 = np.maximum(vy2 + theta**2 * vx2 - 2 * theta * c2, 0.0)
        diff = (my1 - my2) - theta * (mx1 - mx2)
        d, se, df = _welch_moments(0.0, va1, n1, 0.0, va2, n2)
        # Relative lift over the unadjusted control mean, delta method with
        # Cov(diff, mean_y2) = -(var_y2 - theta cov_xy2) / n2.
        cov = -(vy2 - theta * c2) / n2
        rel = diff / my2
        rvar = se**2 / my2**2 + diff**2 * (vy2 / n2) / my2**4 - 2 * diff * cov / my2**3
    return {
        "theta": theta,
        "diff": diff,
        "se": se,
        "df": df,
        "mean1": my1,
        "mean2": my2,
        "rel": rel,
        "rel_se": np.sqrt(np.maximum(rvar, 0.0)),
        "var_adj1": va1,
        "var_adj2": va2,
    }


@dataclass(frozen=True)
class CupedResult(_Unpack):
    """CUPED-adjusted Welch test. Unpacks to ``(statistic, pvalue)``.

    ``estimate`` is the adjusted difference ``(y1 - y2) - theta (x1 - x2)``;
    ``relative_lift`` is it divided by the *unadjusted* control mean.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.abtest import cuped_test
    >>> rng = np.random.default_rng(0)
    >>> x1, x2 = rng.normal(10, 2, 500), rng.normal(10, 2, 500)
    >>> y1, y2 = x1 + rng.normal(0.5, 1, 500), x2 + rng.normal(0, 1, 500)
    >>> r = cuped_test(y1, x1, y2, x2)
    >>> r.pvalue < 1e-6, round(r.theta, 1)
    (True, 1.0)
    """

    statistic: float
    pvalue: float
    estimate: float
    stderr: float
    df: float
    theta: float
    relative_lift: float
    relative_lift_stderr: float
    alternative: str

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Interval for the adjusted difference (Welch df on adjusted variances)."""
        q = float(_crit(_check_alpha(alpha), self.df))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr

    def relative_conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Normal interval for the relative lift (delta method)."""
        q = float(_crit(_check_alpha(alpha)))
        return (
            self.relative_lift - q * self.relative_lift_stderr,
            self.relative_lift + q * self.relative_lift_stderr,
        )


def _moments(y: np.ndarray, x: np.ndarray) -> tuple[float, ...]:
    my, mx = y.mean(), x.mean()
    return (
        float(y.size),
        float(y.sum()),
        float(x.sum()),
        float(((y - my) ** 2).sum()),
        float(((x - mx) ** 2).sum()),
        float(((y - my) * (x - mx)).sum()),
    )


def cuped_test(
    y1: Any, x1: Any, y2: Any, x2: Any, *, alternative: str = "two-sided"
) -> CupedResult:
    """CUPED variance reduction with a pre-period covariate, then Welch's test.

    ``theta = Cov(y, x) / Var(x)`` on both arms pooled (``theta = 0`` when ``x`` is
    constant, which gives Welch's test exactly); each arm's metric becomes
    ``y - theta (x - mean_x)``.

    Parameters
    ----------
    y1, x1 : array-like
        Treatment metric and its pre-period covariate.
    y2, x2 : array-like
        Control arm.
    alternative : {"two-sided", "larger", "smaller"}

    Returns
    -------
    CupedResult

    Examples
    --------
    >>> from segwise.abtest import cuped_test
    >>> r = cuped_test([5.0, 6.0, 7.0, 9.0], [1.0, 1.0, 1.0, 1.0], [4.0, 5.0, 5.0, 6.0],
    ...                [1.0, 1.0, 1.0, 1.0])
    >>> r.theta
    0.0
    """
    check_choice(alternative, "alternative", ALTERNATIVES)
    a1, b1 = _paired(y1, x1, "1")
    a2, b2 = _paired(y2, x2, "2")
    r = _cuped_moments(*_moments(a1, b1), *_moments(a2, b2))
    return _cuped_result(r, alternative)


def _cuped_result(r: dict[str, Any], alternative: str) -> CupedResult:
    d, se, df = float(r["diff"]), float(r["se"]), float(r["df"])
    if se > 0:
        t = d / se
        p = float(_pvalue(t, alternative, df))
    else:
        t, p = (0.0, 1.0) if d == 0 else (math.copysign(math.inf, d), 0.0)
    return CupedResult(
        t, p, d, se, df, float(r["theta"]), float(r["rel"]), float(r["rel_se"]), alternative
    )


# --------------------------------------------------------------------------- multiplicity


@dataclass(frozen=True)
class AdjustedPValues:
    """Multiple-testing adjustment. Unpacks to ``(reject, pvalues_adjusted)`` like
    statsmodels' ``multipletests`` (there is no single statistic, hence no ``conf_int``).

    Examples
    --------
    >>> from segwise.abtest import adjust_pvalues
    >>> reject, adj = adjust_pvalues([0.01, 0.04, 0.03, float("nan")])
    >>> adj.round(4).tolist()
    [0.04, 0.0533, 0.0533, nan]
    """

    reject: np.ndarray
    pvalues_adjusted: np.ndarray
    method: str
    alpha: float

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.reject, self.pvalues_adjusted))


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values; NaN entries count in the family (as p = 1) and stay NaN."""
    nan = np.isnan(p)
    q = np.where(nan, 1.0, p)
    m = q.size
    if m == 0:
        return q
    if method == "bonferroni":
        adj = np.minimum(q * m, 1.0)
    elif method == "holm":
        order = np.argsort(q, kind="stable")
        s = q[order] * (m - np.arange(m, dtype=float))
        s = np.minimum(np.maximum.accumulate(s), 1.0)
        adj = np.empty(m)
        adj[order] = s
    else:  # bh
        order = np.argsort(q, kind="stable")
        s = q[order] * m / np.arange(1, m + 1, dtype=float)
        s = np.minimum(np.minimum.accumulate(s[::-1])[::-1], 1.0)
        adj = np.empty(m)
        adj[order] = s
    adj[nan] = np.nan
    return adj


def adjust_pvalues(pvalues: Any, *, method: str = "bh", alpha: float = 0.05) -> AdjustedPValues:
    """Adjust p-values for multiple testing (segments x metrics x arms).

    Parameters
    ----------
    pvalues : array-like of float
        NaN is allowed: it stays NaN but counts in the family size (a test that could not
        be computed still was one of the comparisons looked at).
    method : {"bh", "holm", "bonferroni"}
        Benjamini–Hochberg false discovery rate (default), Holm's step-down, Bonferroni.
    alpha : float, default 0.05
        ``reject`` is ``adjusted <= alpha`` (ties at alpha reject).

    Returns
    -------
    AdjustedPValues

    Examples
    --------
    >>> from segwise.abtest import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.02, 0.03], method="holm").reject.tolist()
    [True, True, True]
    """
    alpha = _check_alpha(alpha)
    check_choice(method, "method", ("bh", "holm", "bonferroni"))
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ShapeMismatchError(f"pvalues must be 1D, got shape {p.shape}")
    ok = p[~np.isnan(p)]
    if ((ok < 0) | (ok > 1)).any():
        raise InvalidParameterError("pvalues must lie in [0, 1] (NaN allowed)")
    adj = _adjust(p, method)
    reject = np.where(np.isnan(adj), False, adj <= alpha)
    return AdjustedPValues(reject, adj, method, alpha)


# --------------------------------------------------------------------------- SRM


@dataclass(frozen=True)
class SRMResult(_Unpack):
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
    exp = tot * ratio / ratio.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(exp > 0, (counts - exp) ** 2 / np.where(exp > 0, exp, 1), 0).sum(-1)
    k = counts.shape[-1]
    return stat, _dist.chi2_sf(stat, np.full(stat.shape, k - 1.0))


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
    c = np.asarray(counts, dtype=float)
    if c.ndim != 1 or c.size < 2:
        raise InvalidParameterError("counts needs one entry per arm (at least 2)")
    if (c < 0).any() or not np.all(c == np.round(c)):
        raise InvalidParameterError("counts must be non-negative integers")
    r = np.ones_like(c) if expected_ratio is None else np.asarray(expected_ratio, float)
    if r.shape != c.shape:
        raise ShapeMismatchError(f"expected_ratio has {r.size} entries for {c.size} arms")
    if not (np.all(np.isfinite(r)) and (r > 0).all()):
        raise InvalidParameterError("expected_ratio must be positive")
    threshold = _check_alpha(threshold)
    stat, p = _srm_arrays(c, r)
    return SRMResult(
        float(stat),
        float(p),
        c.size - 1,
        bool(float(p) < threshold and (c >= 8).all()),
        c.sum() * r / r.sum(),
    )


# --------------------------------------------------------------------------- Bayesian


@dataclass(frozen=True)
class BayesResult:
    """Beta–binomial comparison. Unpacks to ``(prob_beat_control, expected_loss)``.

    ``expected_loss`` is ``E[max(p_control - p_treatment, 0)]``: what shipping the
    treatment costs in conversion rate if it is in fact worse.

    Examples
    --------
    >>> from segwise.abtest import prob_beat_control
    >>> r = prob_beat_control(120, 1000, 100, 1000)
    >>> round(r.prob_beat_control, 4)
    0.9232
    """

    prob_beat_control: float
    expected_loss: float
    expected_loss_control: float

    def __iter__(self) -> Iterator[float]:
        return iter((self.prob_beat_control, self.expected_loss))


def _prob_b_beats_a(aa: Any, ba: Any, ab: Any, bb: Any) -> np.ndarray:
    arrs = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float)) for v in (aa, ba, ab, bb)))
    return _core.abtest_prob_b_beats_a(*(np.ascontiguousarray(a.ravel()) for a in arrs))


def prob_beat_control(
    count1: int, nobs1: int, count2: int, nobs2: int, *, prior: tuple[int, int] = (1, 1)
) -> BayesResult:
    """Exact ``P(p_treatment > p_control)`` under independent Beta–binomial posteriors.

    Deterministic closed form (Evan Miller), no Monte Carlo; the expected losses follow
    from the same sum with shifted parameters (Chris Stucchio's identity).

    Parameters
    ----------
    count1, nobs1 : int
        Treatment successes and trials.
    count2, nobs2 : int
        Control arm.
    prior : (int, int), default (1, 1)
        Beta prior ``(alpha, beta)`` for both arms; ``alpha`` must be an integer (the sum
        runs over it).

    Returns
    -------
    BayesResult

    Examples
    --------
    >>> from segwise.abtest import prob_beat_control
    >>> round(prob_beat_control(10, 20, 10, 20).prob_beat_control, 12)
    0.5
    """
    x1, n1 = _counts(count1, nobs1, "1")
    x2, n2 = _counts(count2, nobs2, "2")
    a0, b0 = prior
    if isinstance(a0, bool) or not float(a0).is_integer() or a0 < 1 or not b0 > 0:
        raise InvalidParameterError(f"prior must be (integer alpha >= 1, beta > 0), got {prior!r}")
    aa, ba = x2 + a0, n2 - x2 + b0  # control A
    ab, bb = x1 + a0, n1 - x1 + b0  # treatment B
    # h(first, second) = P(second > first); primes are alpha + 1. Each probability is its
    # own positive sum (never 1 - p), so small losses keep their relative precision.
    p = _prob_b_beats_a(
        [aa, ab, ab + 1, aa, aa + 1],
        [ba, bb, bb, ba, ba],
        [ab, aa + 1, aa, ab + 1, ab],
        [bb, ba, ba, bb, bb],
    )
    mean_a, mean_b = aa / (aa + ba), ab / (ab + bb)
    # E[max(pA - pB, 0)] = E[pA] P(A' > B) - E[pB] P(A > B'), and symmetrically.
    loss_b = mean_a * p[1] - mean_b * p[2]
    loss_a = mean_b * p[3] - mean_a * p[4]
    return BayesResult(float(p[0]), max(float(loss_b), 0.0), max(float(loss_a), 0.0))


# --------------------------------------------------------------------------- planning


def _power_z(alpha: float, power: float, alternative: str) -> tuple[float, float]:
    alpha = _check_alpha(alpha)
    power = check_float(
        power, "power", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    check_choice(alternative, "alternative", ("two-sided", "one-sided"))
    za = float(_dist.norm_isf(alpha / 2 if alternative == "two-sided" else alpha))
    zb = float(_dist.norm_isf(1 - power))
    return za, zb


def _prob(p: Any, name: str) -> float:
    return check_float(p, name, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def sample_size_proportions(
    p1: float, p2: float, *, alpha: float = 0.05, power: float = 0.8, alternative: str = "two-sided"
) -> float:
    """Units per arm to detect ``p1`` vs ``p2`` (Fleiss' formula, = R ``power.prop.test``).

    ``n = (z_a sqrt(2 pbar qbar) + z_b sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2``, not rounded
    (round up yourself).

    Examples
    --------
    >>> from segwise.abtest import sample_size_proportions
    >>> round(sample_size_proportions(0.5, 0.75, power=0.9), 3)
    76.707
    """
    p1, p2 = _prob(p1, "p1"), _prob(p2, "p2")
    if p1 == p2:
        raise InvalidParameterError("p1 and p2 must differ")
    za, zb = _power_z(alpha, power, alternative)
    pbar = (p1 + p2) / 2
    num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return num * num / (p1 - p2) ** 2


def sample_size_means(
    delta: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> float:
    """Units per arm to detect a mean difference ``delta`` with standard deviation ``sd``.

    Normal approximation ``n = 2 (z_a + z_b)^2 sd^2 / delta^2`` (not rounded).

    Examples
    --------
    >>> from segwise.abtest import sample_size_means
    >>> round(sample_size_means(0.5, 1.0), 2)
    62.79
    """
    delta = check_float(delta, "delta")
    sd = check_float(sd, "sd", low=0.0, low_inclusive=False)
    if delta == 0:
        raise InvalidParameterError("delta must be non-zero")
    za, zb = _power_z(alpha, power, alternative)
    return 2 * (za + zb) ** 2 * sd * sd / (delta * delta)


def minimum_detectable_effect(
    nobs: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> float:
    """Smallest absolute effect detectable with ``nobs`` units per arm.

    Give ``sd`` for a mean (closed form, inverse of :func:`sample_size_means`) or
    ``baseline`` for a proportion (the increase ``p2 - baseline`` for which
    :func:`sample_size_proportions` gives ``nobs``; solved by bisection).

    Examples
    --------
    >>> from segwise.abtest import minimum_detectable_effect, sample_size_proportions
    >>> mde = minimum_detectable_effect(1000, baseline=0.1)
    >>> round(sample_size_proportions(0.1, 0.1 + mde), 6)
    1000.0
    """
    nobs = check_float(nobs, "nobs", low=0.0, low_inclusive=False)
    if (baseline is None) == (sd is None):
        raise InvalidParameterError("give exactly one of baseline (proportion) or sd (mean)")
    za, zb = _power_z(alpha, power, alternative)
    if sd is not None:
        sd = check_float(sd, "sd", low=0.0, low_inclusive=False)
        return (za + zb) * sd * math.sqrt(2 / nobs)
    p1 = _prob(baseline, "baseline")
    lo, hi = 0.0, 1 - p1
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid == lo or mid == hi:
            break
        n = (
            sample_size_proportions(p1, p1 + mid, alpha=alpha, power=power, alternative=alternative)
            if mid > 0
            else math.inf
        )
        if n > nobs:
            lo = mid
        else:
            hi = mid
    return hi


# --------------------------------------------------------------------------- heterogeneity


@dataclass(frozen=True)
class HeterogeneityResult(_Unpack):
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
        q = float(_crit(_check_alpha(alpha)))
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
    e = np.asarray(effects, float)
    s = np.asarray(stderrs, float)
    if e.shape != s.shape or e.ndim != 1:
        raise ShapeMismatchError("effects and stderrs must be 1D of the same length")
    ok = np.isfinite(e) & np.isfinite(s) & (s > 0)
    e, s = e[ok], s[ok]
    if e.size < 2:
        raise InvalidParameterError("need at least 2 segments with a finite effect and stderr")
    w = 1 / s**2
    pooled = float((w * e).sum() / w.sum())
    q = float((w * (e - pooled) ** 2).sum())
    df = e.size - 1
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return HeterogeneityResult(
        q, float(_dist.chi2_sf(q, float(df))), df, i2, pooled, float(1 / math.sqrt(w.sum()))
    )
