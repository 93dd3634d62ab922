"""Pearson's chi-square test of independence on a contingency table, with the adjusted
standardized residual of every cell (Haberman 1973).

Rows or columns without any count carry no information and are left out of the test (and
get NaN residuals), so a table with an empty segment or an unused level still has a test.

Examples
--------
>>> import numpy as np
>>> from segwise._stats.contingency import chi2_independence
>>> res = chi2_independence(np.array([[30, 10], [10, 30]]))
>>> round(res.statistic, 4), res.dof, round(float(res.residuals[0, 0]), 4)
(20.0, 1, 4.4721)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import distributions


@dataclass(frozen=True)
class Chi2Independence:
    """Pearson's chi-square test of independence (no continuity correction).

    Attributes
    ----------
    statistic : float
        ``sum (O - E)^2 / E`` over the cells of the non-empty rows and columns.
    dof : int
        ``(rows - 1) * (columns - 1)`` over the non-empty rows and columns.
    pvalue : float
        Upper tail of the chi-square distribution (NaN when ``dof`` is 0).
    expected : numpy.ndarray
        ``row total * column total / n`` for every cell.
    residuals : numpy.ndarray
        Adjusted standardized residuals ``(O - E) / sqrt(E (1 - r/n) (1 - c/n))``,
        approximately standard normal under independence; NaN in empty rows or columns and
        where the denominator is 0.
    """

    statistic: float
    dof: int
    pvalue: float
    expected: np.ndarray
    residuals: np.ndarray


def chi2_independence(table: np.ndarray) -> Chi2Independence:
    """The test and residuals of a two-way table of (weighted) counts, as
    ``scipy.stats.chi2_contingency(table, correction=False)`` and statsmodels'
    ``Table(table).standardized_resids`` on its non-empty rows and columns."""
    observed = np.asarray(table, dtype=np.float64)
    n = observed.sum()
    rows, cols = observed.sum(axis=1), observed.sum(axis=0)
    expected = np.outer(rows, cols) / n if n > 0 else np.zeros_like(observed)
    keep_r, keep_c = rows > 0, cols > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        cells = np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0)
        denom = np.sqrt(expected * np.outer(1.0 - rows / n, 1.0 - cols / n))
        residuals = np.where(denom > 0, (observed - expected) / denom, np.nan)
    residuals[~keep_r, :] = np.nan
    residuals[:, ~keep_c] = np.nan
    dof = int(max(keep_r.sum() - 1, 0) * max(keep_c.sum() - 1, 0))
    statistic = float(cells[np.ix_(keep_r, keep_c)].sum())
    pvalue = float(distributions.chi2_sf(statistic, float(dof))) if dof > 0 else float("nan")
    return Chi2Independence(statistic, dof, pvalue, expected, residuals)
