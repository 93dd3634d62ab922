"""Vectorized distribution functions computed by the Rust core (no scipy at runtime).

Each function broadcasts its arguments, returns a float64 array of the broadcast shape (a
Python float for scalar input) and gives NaN for invalid parameters, as scipy does.
Accuracy against scipy.stats is ~1e-13 relative over wide ranges, tails included.

Examples
--------
>>> from segwise._stats import distributions
>>> round(float(distributions.norm_ppf(0.975)), 6)
1.959964
>>> round(float(distributions.t_sf(2.0, 10.0)), 6)
0.036694
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _core


def _apply(fn: Callable[..., np.ndarray], *args: Any) -> Any:
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a.ravel()) for a in arrs]
    out = fn(*flat).reshape(shape)
    return float(out) if out.ndim == 0 else out


def norm_cdf(x: Any) -> Any:
    """Standard normal CDF."""
    return _apply(_core.abtest_norm_cdf, x)


def norm_sf(x: Any) -> Any:
    """Standard normal survival function ``1 - cdf`` (accurate in the upper tail)."""
    return _apply(_core.abtest_norm_sf, x)


def norm_ppf(p: Any) -> Any:
    """Standard normal quantile."""
    return _apply(_core.abtest_norm_ppf, p)


def norm_isf(p: Any) -> Any:
    """Standard normal inverse survival function."""
    return _apply(_core.abtest_norm_isf, p)


def gammaln(x: Any) -> Any:
    """Log of the gamma function."""
    return _apply(_core.abtest_gammaln, x)


def t_cdf(x: Any, df: Any) -> Any:
    """Student t CDF."""
    return _apply(_core.abtest_t_cdf, x, df)


def t_sf(x: Any, df: Any) -> Any:
    """Student t survival function."""
    return _apply(_core.abtest_t_sf, x, df)


def t_ppf(p: Any, df: Any) -> Any:
    """Student t quantile."""
    return _apply(_core.abtest_t_ppf, p, df)


def t_isf(p: Any, df: Any) -> Any:
    """Student t inverse survival function."""
    return _apply(_core.abtest_t_isf, p, df)


def chi2_cdf(x: Any, df: Any) -> Any:
    """Chi-square CDF."""
    return _apply(_core.abtest_chi2_cdf, x, df)


def chi2_sf(x: Any, df: Any) -> Any:
    """Chi-square survival function."""
    return _apply(_core.abtest_chi2_sf, x, df)


def betainc(a: Any, b: Any, x: Any) -> Any:
    """Regularized incomplete beta function ``I_x(a, b)``."""
    return _apply(_core.abtest_betainc, a, b, x)
