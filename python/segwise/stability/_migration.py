"""Who moved from which segment to which: :func:`migration_matrix` (with "New" and "Churned"
states when customer ids are known) and retention per segment; the counting runs in the
Rust core.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._results import ResultMixin, Summary, Table, fmt_count, fmt_share
from .._validation import (
    Constraints,
    StrOptions,
    check_sample_weight,
    encode_labels,
    validate_params,
)
from ..exceptions import (
    EmptyInputError,
    InvalidParameterError,
    ShapeMismatchError,
)

_MIGRATION_PARAMS: Constraints = {
    "normalize": [StrOptions(["row", "column", "all"])],
    "new_label": [Hashable],
    "churned_label": [Hashable],
}
_PLOT_PARAMS: Constraints = {"values": [StrOptions(["shares", "counts"])]}


@dataclass(frozen=True, eq=False, repr=False)
class MigrationResult(ResultMixin):
    """Segment migration between two dates.

    Attributes
    ----------
    counts : pandas.DataFrame
        Customers (or summed weights) per (before, after) pair: rows are the segments
        before (plus the "New" state when customer ids show customers who are only in the
        after labels), columns the segments after (plus "Churned" when some customers are
        only in the before labels).
    shares : pandas.DataFrame
        ``counts`` normalised by row (default), column or grand total (``normalize``).
    retention : pandas.Series
        Per segment before: share of its customers (or weight) in the same segment after.
    overall_retention : float
        Customers (or weight) in the same segment after, over all customers present before.
    normalize : str
        How ``shares`` was normalised.
    weighted : bool
        Whether the counts are sums of weights.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.stability import migration_matrix
    >>> before = pd.Series(["a", "a", "b"], index=[1, 2, 3])
    >>> after = pd.Series(["a", "b", "b"], index=[1, 3, 4])
    >>> res = migration_matrix(before, after)
    >>> res.counts  # doctest: +NORMALIZE_WHITESPACE
    after     a    b  Churned
    before
    a       1.0  0.0      1.0
    b       0.0  1.0      0.0
    New     0.0  1.0      0.0
    >>> float(res.overall_retention)
    0.6666666666666666
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    retention: pd.Series
    overall_retention: float
    normalize: str = "row"
    weighted: bool = False
    new_label: Any = None
    churned_label: Any = None

    @property
    def tidy(self) -> pd.DataFrame:
        """Long table: one row per (before, after) cell with ``count`` and ``share``."""
        n_rows, n_cols = self.counts.shape
        return pd.DataFrame(
            {
                "before": np.repeat(self.counts.index.to_numpy(dtype=object), n_cols),
                "after": np.tile(self.counts.columns.to_numpy(dtype=object), n_rows),
                "count": self.counts.to_numpy().ravel(),
                "share": self.shares.to_numpy().ravel(),
            }
        )

    def _summary(self) -> Summary:
        what = "weight" if self.weighted else "customers"
        total = float(self.counts.to_numpy().sum())
        lines = [f"Overall retention (same segment): {fmt_share(self.overall_retention)}"]
        if self.new_label is not None:
            n_new = float(self.counts.loc[self.new_label].sum()) if self._has_new else 0.0
            n_churn = float(self.counts[self.churned_label].sum()) if self._has_churned else 0.0
            lines.append(
                f"{self.new_label}: {fmt_count(n_new)} {what}; "
                f"{self.churned_label}: {fmt_count(n_churn)}"
            )
        return Summary(
            f"Segment migration: {fmt_count(total)} {what}, {self.counts.shape[0]} before "
            f"states x {self.counts.shape[1]} after states (shares normalised by "
            f"{self.normalize})",
            lines=lines,
            tables=[
                Table(self.counts, caption=f"Counts ({what})"),
                Table(
                    self.shares,
                    caption=f"Shares (normalised by {self.normalize})",
                    float_format="{:.1%}",
                ),
                Table(self.retention.to_frame(), caption="Retention per segment"),
            ],
        )

    @property
    def _has_new(self) -> bool:
        return self.new_label is not None and self.new_label in self.counts.index

    @property
    def _has_churned(self) -> bool:
        return self.churned_label is not None and self.churned_label in self.counts.columns

    def plot(self, *, values: str = "shares", ax: Any = None) -> Any:
        """Heat map of the shares (or counts) with the value written in every cell.

        Needs matplotlib (``pip install "segwise[plot]"``). Returns the matplotlib Axes.

        Examples
        --------
        >>> from segwise.stability import migration_matrix
        >>> res = migration_matrix([0, 0, 1, 1], [0, 1, 1, 1])
        >>> ax = res.plot()  # doctest: +SKIP
        """
        values = validate_params(locals(), _PLOT_PARAMS, caller="MigrationResult.plot")["values"]
        table = self.shares if values == "shares" else self.counts
        data = table.to_numpy(dtype=np.float64)
        ax = self._axes(ax, figsize=(1.0 + 0.8 * data.shape[1], 0.8 + 0.6 * data.shape[0]))
        ax.imshow(np.nan_to_num(data), cmap="Blues", aspect="auto")
        vmax = np.nanmax(data) if np.isfinite(data).any() else 0.0
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                v = data[i, j]
                text = "" if np.isnan(v) else (f"{v:.0%}" if values == "shares" else f"{v:g}")
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    color="white" if vmax and v > 0.6 * vmax else "black",
                    fontsize=8,
                )
        ax.set_xticks(range(data.shape[1]))
        ax.set_xticklabels([str(c) for c in table.columns])
        ax.set_yticks(range(data.shape[0]))
        ax.set_yticklabels([str(r) for r in table.index])
        ax.set_xlabel("after")
        ax.set_ylabel("before")
        ax.set_title(f"Segment migration ({values})")
        return ax


def migration_matrix(
    labels_before: Any,
    labels_after: Any,
    *,
    weights: Any = None,
    normalize: str = "row",
    new_label: Any = "New",
    churned_label: Any = "Churned",
) -> MigrationResult:
    """Who moved from which segment to which between two dates.

    Parameters
    ----------
    labels_before, labels_after : pandas.Series or array-like
        Two Series indexed by customer id: customers only in ``labels_after`` come from the
        ``new_label`` state, customers only in ``labels_before`` go to ``churned_label``.
        Otherwise two arrays of the same length (the same customers, in the same order;
        no New/Churned states).
    weights : pandas.Series or array-like, optional
        A non-negative value per customer (e.g. revenue) to sum instead of counting: a
        Series indexed by customer id (covering every customer) with Series labels, else
        an array of the labels' length.
    normalize : {"row", "column", "all"}, default="row"
        ``shares`` = counts over the row total (where did segment X's customers go?), the
        column total (where do segment Y's customers come from?) or the grand total.
    new_label, churned_label : hashable, default="New", "Churned"
        Names of the entry and exit states (must not be segment labels).

    Returns
    -------
    MigrationResult

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.stability import migration_matrix
    >>> before = pd.Series(["gold", "gold", "silver", "silver"], index=["a", "b", "c", "d"])
    >>> after = pd.Series(["gold", "silver", "silver", "gold"], index=["a", "b", "c", "e"])
    >>> res = migration_matrix(before, after)
    >>> res.retention
    before
    gold      0.5
    silver    0.5
    Name: retention, dtype: float64
    """
    normalize = validate_params(locals(), _MIGRATION_PARAMS, caller="migration_matrix")["normalize"]
    before_enc = encode_labels(labels_before, name="labels_before", keep_index=True)
    after_enc = encode_labels(labels_after, name="labels_after", keep_index=True)
    b_codes, b_uniques, b_index = before_enc.codes, before_enc.uniques, before_enc.index
    a_codes, a_uniques, a_index = after_enc.codes, after_enc.uniques, after_enc.index
    with_ids = b_index is not None and a_index is not None
    if with_ids:
        assert b_index is not None and a_index is not None
        if new_label in b_uniques or churned_label in a_uniques:
            raise InvalidParameterError(
                f"new_label={new_label!r} / churned_label={churned_label!r} clash with a "
                "segment label; pass other names"
            )
        ids = b_index.append(a_index.difference(b_index, sort=False))
        pos_b = b_index.get_indexer(ids)
        pos_a = a_index.get_indexer(ids)
        before = np.where(pos_b >= 0, b_codes[pos_b], len(b_uniques))
        after = np.where(pos_a >= 0, a_codes[pos_a], len(a_uniques))
        # The entry / exit states only when someone entered / left.
        has_new, has_churned = bool((pos_b < 0).any()), bool((pos_a < 0).any())
        rows = [*b_uniques, *([new_label] if has_new else [])]
        cols = [*a_uniques, *([churned_label] if has_churned else [])]
        w = check_sample_weight(weights, len(ids), name="weights", ids=ids)
    else:
        n_before, n_after = b_codes.shape[0], a_codes.shape[0]
        if n_before != n_after:
            raise ShapeMismatchError(
                f"labels_before has {n_before} labels but labels_after has "
                f"{n_after}; arrays must describe the same customers in the same "
                "order (pass two pandas Series indexed by customer id for New/Churned)"
            )
        if n_before == 0:
            raise EmptyInputError("labels_before and labels_after are empty")
        before, after = b_codes, a_codes
        rows, cols = list(b_uniques), list(a_uniques)
        w = check_sample_weight(weights, n_before, name="weights", against="labels_before")
    counts_arr = _core.drift_migration_counts(
        np.ascontiguousarray(before, dtype=np.int64),
        np.ascontiguousarray(after, dtype=np.int64),
        k_before=len(rows),
        k_after=len(cols),
        weights=w,
    )
    row_index = pd.Index(rows, name="before", dtype=object if with_ids else None)
    col_index = pd.Index(cols, name="after", dtype=object if with_ids else None)
    counts = pd.DataFrame(counts_arr, index=row_index, columns=col_index)
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "row":
            shares_arr = counts_arr / counts_arr.sum(axis=1, keepdims=True)
        elif normalize == "column":
            shares_arr = counts_arr / counts_arr.sum(axis=0, keepdims=True)
        else:
            shares_arr = counts_arr / counts_arr.sum()
    shares = pd.DataFrame(shares_arr, index=row_index, columns=col_index)
    col_pos = {c: j for j, c in enumerate(a_uniques)}
    stay = np.array(
        [counts_arr[i, col_pos[r]] if r in col_pos else 0.0 for i, r in enumerate(b_uniques)]
    )
    row_tot = counts_arr[: len(b_uniques)].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        retention_arr = stay / row_tot
    retention = pd.Series(retention_arr, index=pd.Index(b_uniques, name="before"), name="retention")
    overall = float(stay.sum() / row_tot.sum()) if row_tot.sum() > 0 else float("nan")
    return MigrationResult(
        counts=counts,
        shares=shares,
        retention=retention,
        overall_retention=overall,
        normalize=normalize,
        weighted=w is not None,
        new_label=new_label if with_ids else None,
        churned_label=churned_label if with_ids else None,
    )
