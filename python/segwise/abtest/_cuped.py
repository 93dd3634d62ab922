"""CUPED: variance reduction with a pre-experiment covariate (Deng et al. 2013).

Arm 1 is the treatment and arm 2 the control; differences are ``1 - 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
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
from .._validation import Constraints, validate_params
from ._common import _common_scale, _delta_se, _paired, cell_stats, merge_cells


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
    # over: a relative lift over a control mean near 0 (1e-300) is beyond float64; its
    # standard error then comes out NaN (undefined), without a numpy warning
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        my1, mx1, my2, mx2 = sy1 / n1, sx1 / n1, sy2 / n2, sx2 / n2
        # Pooled (both arms together) covariance and variance of x.
        pooled = merge_cells(
            cell_stats(count=n1, sum_y=sy1, sum_x=sx1, m2_y=m2y1, m2_x=m2x1, c_xy=cxy1),
            cell_stats(count=n2, sum_y=sy2, sum_x=sx2, m2_y=m2y2, m2_x=m2x2, c_xy=cxy2),
        )
        pm2x, pcxy = pooled["m2_x"], pooled["c_xy"]
        theta = np.where(pm2x > 0, pcxy / np.where(pm2x > 0, pm2x, 1.0), 0.0)
        vy1, vx1, c1 = m2y1 / (n1 - 1), m2x1 / (n1 - 1), cxy1 / (n1 - 1)
        vy2, vx2, c2 = m2y2 / (n2 - 1), m2x2 / (n2 - 1), cxy2 / (n2 - 1)
        va1 = np.maximum(vy1 + theta**2 * vx1 - 2 * theta * c1, 0.0)
        va2 = np.maximum(vy2 + theta**2 * vx2 - 2 * theta * c2, 0.0)
        diff = (my1 - my2) - theta * (mx1 - mx2)
        d, se, df = welch_moments(0.0, va1, n1, 0.0, va2, n2)
        # Relative lift over the unadjusted control mean, delta method with
        # Cov(diff, mean_y2) = -(var_y2 - theta cov_xy2) / n2.
        cov = -(vy2 - theta * c2) / n2
        rel = diff / my2
        # Written in ratios to the control mean, largest term factored out: no fourth power
        # or square to overflow or underflow.
        rel_se = _delta_se(
            se / my2, np.abs(rel) * (np.sqrt(vy2 / n2) / np.abs(my2)), rel * (cov / my2) / my2
        )
    return {
        "theta": theta,
        "diff": diff,
        "se": se,
        "df": df,
        "mean1": my1,
        "mean2": my2,
        "rel": rel,
        "rel_se": rel_se,
        "cov": cov,
        "var_adj1": va1,
        "var_adj2": va2,
    }


@dataclass(frozen=True)
class CupedResult(Unpacks):
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
        alpha = check_alpha(alpha, f"{type(self).__name__}.conf_int")
        q = float(critical_value(alpha, self.df))
        return self.estimate - q * self.stderr, self.estimate + q * self.stderr

    def relative_conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Interval for the relative lift (delta method) with the t quantile and the same
        Welch df as the test (GrowthBook's convention)."""
        alpha = check_alpha(alpha, f"{type(self).__name__}.relative_conf_int")
        q = float(critical_value(alpha, self.df))
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


_PARAMS: Constraints = {"alternative": [ALTERNATIVE]}


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
    alternative = validate_params(locals(), _PARAMS, caller="cuped_test")["alternative"]
    a1, b1 = _paired(y1, x1, ("y1", "x1"))
    a2, b2 = _paired(y2, x2, ("y2", "x2"))
    # Metric and covariate each divided by a power of two (exact) when their squares
    # would overflow or underflow; the test statistic does not depend on either scale.
    sy, sx = _common_scale(a1, a2), _common_scale(b1, b2)
    r = _cuped_moments(*_moments(a1 / sy, b1 / sx), *_moments(a2 / sy, b2 / sx))
    res = _cuped_result(r, alternative)
    if sy == 1.0 and sx == 1.0:
        return res
    return replace(
        res, estimate=res.estimate * sy, stderr=res.stderr * sy, theta=res.theta * sy / sx
    )


def _cuped_result(r: dict[str, Any], alternative: str) -> CupedResult:
    d, se, df = float(r["diff"]), float(r["se"]), float(r["df"])
    if se > 0:
        t = d / se
        p = float(pvalue_from_stat(t, alternative, df))
    else:
        t, p = (0.0, 1.0) if d == 0 else (math.copysign(math.inf, d), 0.0)
    return CupedResult(
        t, p, d, se, df, float(r["theta"]), float(r["rel"]), float(r["rel_se"]), alternative
    )
