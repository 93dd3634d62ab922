"""Segments over time: label alignment, migration and population stability.

* :func:`align_labels`: keep a refit's segment ids meaningful (Hungarian assignment on the
  overlap of two label vectors, or on the distances between centres).
* :func:`relabel`: renumber segments ``0..k-1`` by size or by the mean of a KPI.
* :func:`migration_matrix`: who moved from which segment to which (with "New" and
  "Churned" states when customer ids are known), retention per segment.
* :func:`psi`: population stability index of segment shares or of numeric features, with
  the 0.1 / 0.25 rules of thumb and Yurdakul & Naranjo's chi-square critical values.

The counting, the assignment problem and the per-feature binning run in the Rust core
(``src/core/stability/drift.rs``).
"""

from __future__ import annotations

import html
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._progress import progress
from .._validation import check_array, check_choice, check_float, check_int
from ..exceptions import (
    EmptyInputError,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    ShapeMismatchError,
)

__all__ = [
    "MigrationResult",
    "PSIResult",
    "align_labels",
    "migration_matrix",
    "psi",
    "relabel",
]

# Rules of thumb for the PSI (Siddiqi 2006 and common credit-risk practice).
PSI_STABLE = 0.1
PSI_MAJOR = 0.25

# --------------------------------------------------------------------------- label helpers


def _label_values(obj: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    """A 1-D label vector (values, index if it was a Series)."""
    if isinstance(obj, pd.Series):
        if not obj.index.is_unique:
            raise InvalidParameterError(
                f"{name} has a duplicated index ({int(obj.index.duplicated().sum())} "
                "repeated customer id(s)); customer ids must be unique"
            )
        return obj.to_numpy(), obj.index
    if isinstance(obj, pd.DataFrame):
        raise ShapeMismatchError(f"{name} must be 1-D labels, got a DataFrame")
    arr = np.asarray(obj)
    if arr.ndim != 1:
        raise ShapeMismatchError(f"{name} must be 1-D labels, got shape {arr.shape}")
    return arr, None


def _sort_key(values: list[Any]) -> list[int]:
    """Positions of ``values`` in sorted order; mixed types sort by (type name, str)."""
    try:
        return sorted(range(len(values)), key=lambda i: values[i])
    except TypeError:
        return sorted(range(len(values)), key=lambda i: (type(values[i]).__name__, str(values[i])))


def _encode(values: np.ndarray, name: str) -> tuple[np.ndarray, list[Any]]:
    """Labels of any hashable type -> dense int64 codes (sorted label order), uniques."""
    if values.dtype.kind in "iub":
        uniques, codes = np.unique(values, return_inverse=True)
        return np.ascontiguousarray(codes, dtype=np.int64), uniques.tolist()
    series = pd.Series(values, dtype=object if values.dtype.kind == "O" else None)
    missing = series.isna().to_numpy()
    if missing.any():
        raise NonFiniteError(
            f"{name} has {int(missing.sum())} missing label(s) (NaN/None); drop those "
            "customers or give them a label first"
        )
    codes, uniques_idx = pd.factorize(series, sort=False)
    found = [u.item() if isinstance(u, np.generic) else u for u in uniques_idx.tolist()]
    order = _sort_key(found)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.ascontiguousarray(rank[codes]), [found[i] for i in order]


def _is_int_label(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _fresh_ids(reference_values: list[Any], n: int) -> list[Any]:
    """``n`` ids not used by the reference: integers after its largest when every reference
    label is an integer, else the strings ``"new_0"``, ``"new_1"``, ... (skipping clashes)."""
    if all(_is_int_label(v) for v in reference_values):
        start = max((int(v) for v in reference_values), default=-1) + 1
        return list(range(start, start + n))
    taken = {str(v) for v in reference_values}
    out: list[Any] = []
    i = 0
    while len(out) < n:
        if f"new_{i}" not in taken:
            out.append(f"new_{i}")
        i += 1
    return out


def _wrap_like(values: np.ndarray, like: Any, name: Any = None) -> Any:
    """An ndarray, or a Series with ``like``'s index when ``like`` is a Series."""
    if isinstance(like, pd.Series):
        return pd.Series(values, index=like.index, name=name if name is not None else like.name)
    return values


def _map_codes(codes: np.ndarray, targets: list[Any]) -> np.ndarray:
    table = np.empty(len(targets), dtype=object)
    table[:] = targets
    if all(_is_int_label(t) for t in targets):
        table = table.astype(np.int64)
    return table[codes]


# --------------------------------------------------------------------------- align_labels


def _kind_of(obj: Any) -> str:
    if hasattr(obj, "cluster_centers_"):
        return "model"
    if isinstance(obj, pd.DataFrame):
        return "centers"
    if isinstance(obj, pd.Series):
        return "labels"
    ndim = np.ndim(obj)
    if ndim == 2:
        return "centers"
    if ndim == 1:
        return "labels"
    raise InvalidParameterError(
        f"cannot align {type(obj).__name__}: pass a label vector, a fitted model with "
        "cluster_centers_, or a (k, n_features) array of centres"
    )


def _centers_of(obj: Any, kind: str, name: str) -> np.ndarray:
    src = obj.cluster_centers_ if kind == "model" else obj
    return check_array(src, name=f"{name} centres").values.astype(np.float64, copy=False)


def align_labels(
    new: Any,
    reference: Any,
    *,
    X: Any = None,
    labels: Any = None,
    return_mapping: bool = False,
) -> Any:
    """Renumber a refit's segments so that each keeps the id of the segment it matches.

    Two ways to match, chosen from the inputs:

    * **Same customers** (``new`` and ``reference`` are label vectors): the Hungarian
      assignment that maximises the number of customers keeping their segment, on the
      contingency table. Two pandas Series are matched on their common index (customer
      ids); arrays must have the same length. Labels may be ints, strings or mixed.
    * **Different customers** (``reference`` is a fitted model with ``cluster_centers_`` or
      a ``(k, n_features)`` array of centres): the assignment that minimises the sum of
      Euclidean distances between matched centres. ``new`` is a fitted model, an array of
      centres, or a label vector together with ``X`` (the new customers' features, from
      which the new centres are the per-segment means).

    A new segment matched to nothing (more new than reference segments, or, for label
    vectors, a pair with no customer in common) gets a fresh id: the integers after the
    reference's largest id when the reference ids are integers, else ``"new_0"``,
    ``"new_1"``, ...

    Parameters
    ----------
    new : array-like, pandas.Series, fitted model or array of shape (k_new, n_features)
        The refit's labels, or its model / centres.
    reference : array-like, pandas.Series, fitted model or array of shape (k_ref, n_features)
        The labels (same customers) or the model / centres whose ids must be kept.
    X : array-like of shape (n_samples, n_features), optional
        Features of the customers labelled by ``new`` when ``new`` is a label vector and
        ``reference`` is a model or centres.
    labels : array-like, optional
        With centre matching: the new labels (ids ``0..k_new-1``, row ``i`` of the new
        centres is segment ``i``) to renumber. Defaults to ``new.labels_`` for a model;
        for an array of centres, the aligned id of every centre row is returned.
    return_mapping : bool, default=False
        Also return the dict ``{new id: aligned id}``.

    Returns
    -------
    aligned : numpy.ndarray or pandas.Series
        The relabelled labels, same container as the labels passed (a Series keeps its
        index and name).
    mapping : dict
        Only with ``return_mapping=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import align_labels
    >>> reference = np.array([0, 0, 0, 1, 1, 2, 2])
    >>> refit = np.array([2, 2, 2, 0, 0, 1, 1])      # same segments, other numbers
    >>> align_labels(refit, reference)
    array([0, 0, 0, 1, 1, 2, 2])
    >>> centres_old = np.array([[0.0, 0.0], [10.0, 10.0]])
    >>> centres_new = np.array([[9.5, 10.0], [0.2, 0.1], [50.0, 50.0]])
    >>> align_labels(centres_new, centres_old, return_mapping=True)
    (array([1, 0, 2]), {0: 1, 1: 0, 2: 2})
    """
    if not isinstance(return_mapping, bool):
        raise InvalidParameterError(f"return_mapping must be True or False, got {return_mapping!r}")
    new_kind, ref_kind = _kind_of(new), _kind_of(reference)
    if new_kind == "labels" and ref_kind == "labels":
        if X is not None or labels is not None:
            raise InvalidParameterError(
                "X and labels are only used to match centres; two label vectors are matched "
                "on the customers they share"
            )
        aligned, mapping = _align_overlap(new, reference)
    else:
        if ref_kind == "labels":
            raise InvalidParameterError(
                "reference is a label vector but new is a model or centres: label vectors "
                "are matched on shared customers; pass the reference model or its "
                "cluster_centers_ to match on centres"
            )
        aligned, mapping = _align_centers(new, new_kind, reference, ref_kind, X, labels)
    return (aligned, mapping) if return_mapping else aligned


def _align_overlap(new: Any, reference: Any) -> tuple[Any, dict[Any, Any]]:
    new_vals, new_index = _label_values(new, "new")
    ref_vals, ref_index = _label_values(reference, "reference")
    if new_index is not None and ref_index is not None:
        common = new_index.intersection(ref_index, sort=False)
        if len(common) == 0:
            raise EmptyInputError("new and reference share no customer id (index)")
        new_common = new_vals[new_index.get_indexer(common)]
        ref_common = ref_vals[ref_index.get_indexer(common)]
    else:
        if new_vals.shape[0] != ref_vals.shape[0]:
            raise ShapeMismatchError(
                f"new has {new_vals.shape[0]} labels but reference has {ref_vals.shape[0]}; "
                "label vectors must describe the same customers (pass two pandas Series "
                "indexed by customer id to match on the ids they share)"
            )
        if new_vals.shape[0] == 0:
            raise EmptyInputError("new and reference have no labels")
        new_common, ref_common = new_vals, ref_vals
    new_codes, new_uniques = _encode(new_vals, "new")
    _, ref_all = _encode(ref_vals, "reference")
    nc_codes, nc_uniques = _encode(new_common, "new")
    rc_codes, rc_uniques = _encode(ref_common, "reference")
    matched, _ = _core.drift_align_by_overlap(nc_codes, rc_codes)
    pairs = {nc_uniques[i]: rc_uniques[j] for i, j in enumerate(matched.tolist()) if j >= 0}
    unmatched = [u for u in new_uniques if u not in pairs]
    fresh = dict(zip(unmatched, _fresh_ids(ref_all, len(unmatched)), strict=True))
    mapping = {u: pairs.get(u, fresh.get(u)) for u in new_uniques}
    aligned = _map_codes(new_codes, [mapping[u] for u in new_uniques])
    return _wrap_like(aligned, new), mapping


def _align_centers(
    new: Any, new_kind: str, reference: Any, ref_kind: str, X: Any, labels: Any
) -> tuple[Any, dict[Any, Any]]:
    ref_centers = _centers_of(reference, ref_kind, "reference")
    like: Any = None
    if new_kind == "labels":
        if X is None:
            raise InvalidParameterError(
                "new is a label vector and reference a model/centres: pass X (the new "
                "customers' features) to compute the new centres"
            )
        if labels is not None:
            raise InvalidParameterError("labels is already given as `new`; leave labels=None")
        vals, _ = _label_values(new, "new")
        xs = check_array(X, name="X").values.astype(np.float64, copy=False)
        if xs.shape[0] != vals.shape[0]:
            raise ShapeMismatchError(f"new has {vals.shape[0]} labels but X has {xs.shape[0]} rows")
        codes, uniques = _encode(vals, "new")
        counts = np.bincount(codes).astype(np.float64)
        new_centers = np.zeros((len(uniques), xs.shape[1]))
        np.add.at(new_centers, codes, xs)
        new_centers /= counts[:, None]
        like = new
    else:
        if X is not None:
            raise InvalidParameterError("X is only used when new is a label vector")
        new_centers = _centers_of(new, new_kind, "new")
        uniques = list(range(new_centers.shape[0]))
        if labels is None and new_kind == "model" and hasattr(new, "labels_"):
            labels = new.labels_
        if labels is None:
            codes = np.arange(new_centers.shape[0], dtype=np.int64)
        else:
            vals, _ = _label_values(labels, "labels")
            if vals.dtype.kind not in "iu" or (
                vals.size and (vals.min() < 0 or vals.max() >= new_centers.shape[0])
            ):
                raise InvalidParameterError(
                    f"labels must be integer ids 0..{new_centers.shape[0] - 1} (one per "
                    "row of the new centres)"
                )
            codes = np.ascontiguousarray(vals, dtype=np.int64)
            like = labels
    if new_centers.shape[1] != ref_centers.shape[1]:
        raise ShapeMismatchError(
            f"new centres have {new_centers.shape[1]} features but reference centres have "
            f"{ref_centers.shape[1]}"
        )
    matched, _ = _core.drift_align_by_centers(
        np.ascontiguousarray(new_centers), np.ascontiguousarray(ref_centers)
    )
    ref_ids = list(range(ref_centers.shape[0]))
    unmatched = [u for u, j in zip(uniques, matched.tolist(), strict=True) if j < 0]
    fresh = dict(zip(unmatched, _fresh_ids(ref_ids, len(unmatched)), strict=True))
    mapping = {
        u: (ref_ids[j] if j >= 0 else fresh[u])
        for u, j in zip(uniques, matched.tolist(), strict=True)
    }
    aligned = _map_codes(codes, [mapping[u] for u in uniques])
    return _wrap_like(aligned, like), mapping


# --------------------------------------------------------------------------- relabel


def relabel(
    labels: Any, by: Any = "size", *, ascending: bool = False, return_mapping: bool = False
) -> Any:
    """Renumber segments ``0..k-1`` by size or by the mean of a KPI.

    Parameters
    ----------
    labels : array-like or pandas.Series
        Segment labels (any hashable values).
    by : "size" or array-like of float, default="size"
        ``"size"`` orders segments by their number of customers; an array (one value per
        customer, or a Series aligned on ``labels``' index) orders them by the KPI's mean.
    ascending : bool, default=False
        ``False`` gives id 0 to the largest segment (or the highest mean KPI). Ties keep
        the sorted order of the original labels.
    return_mapping : bool, default=False
        Also return ``{old label: new id}``.

    Returns
    -------
    relabelled : numpy.ndarray of int64 or pandas.Series
        Same container as ``labels``.
    mapping : dict
        Only with ``return_mapping=True``.

    Examples
    --------
    >>> from segwise.stability import relabel
    >>> relabel(["b", "a", "b", "c", "b", "a"])
    array([0, 1, 0, 2, 0, 1])
    >>> relabel([0, 0, 1, 1, 1], by=[10.0, 20.0, 1.0, 2.0, 3.0])
    array([0, 0, 1, 1, 1])
    """
    if not isinstance(ascending, bool):
        raise InvalidParameterError(f"ascending must be True or False, got {ascending!r}")
    vals, index = _label_values(labels, "labels")
    if vals.shape[0] == 0:
        raise EmptyInputError("labels is empty")
    codes, uniques = _encode(vals, "labels")
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    if isinstance(by, str):
        check_choice(by, "by", ["size"])
        score = counts
    else:
        if isinstance(by, pd.Series) and index is not None:
            if not by.index.is_unique:
                raise InvalidParameterError("by has a duplicated index")
            missing = int((~index.isin(by.index)).sum())
            if missing:
                raise ShapeMismatchError(f"by has no value for {missing} customer(s) of labels")
            by = by.reindex(index)
        try:
            kpi = np.asarray(by, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"by must be 'size' or numeric values: {exc}") from exc
        if kpi.ndim != 1 or kpi.shape[0] != vals.shape[0]:
            raise ShapeMismatchError(
                f"by has shape {kpi.shape} but labels has {vals.shape[0]} entries; pass one "
                "KPI value per customer"
            )
        bad = ~np.isfinite(kpi)
        if bad.any():
            raise NonFiniteError(f"by has {int(bad.sum())} NaN or infinite value(s)")
        score = np.bincount(codes, weights=kpi, minlength=len(uniques)) / counts
    order = np.argsort(score if ascending else -score, kind="stable")
    new_id = np.empty(len(uniques), dtype=np.int64)
    new_id[order] = np.arange(len(uniques))
    out = new_id[codes]
    result: Any = pd.Series(out, index=index, name=labels.name) if index is not None else out
    if return_mapping:
        return result, {u: int(new_id[i]) for i, u in enumerate(uniques)}
    return result


# --------------------------------------------------------------------------- migration


@dataclass(frozen=True, eq=False)
class MigrationResult:
    """Segment migration between two dates.

    Attributes
    ----------
    counts : pandas.DataFrame
        Customers (or summed weights) per (before, after) pair: rows are the segments
        before (plus the "New" state with customer ids), columns the segments after (plus
        "Churned").
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

    def summary(self) -> str:
        """Plain-text summary: totals, retention per segment, new and churned customers."""
        what = "weight" if self.weighted else "customers"
        total = float(self.counts.to_numpy().sum())
        lines = [
            f"Segment migration: {total:g} {what}, {self.counts.shape[0]} before states x "
            f"{self.counts.shape[1]} after states (shares normalised by {self.normalize})",
            f"Overall retention (same segment): {self.overall_retention:.1%}",
        ]
        if self.new_label is not None:
            n_new = float(self.counts.loc[self.new_label].sum())
            n_churn = float(self.counts[self.churned_label].sum())
            lines.append(f"{self.new_label}: {n_new:g} {what}; {self.churned_label}: {n_churn:g}")
        lines.append("Retention per segment:")
        for seg, r in self.retention.items():
            lines.append(f"  {seg}: {r:.1%}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().splitlines()[0])
        ret = html.escape(f"Overall retention: {self.overall_retention:.1%}")
        pct = lambda v: f"{v:.1%}"  # noqa: E731
        return (
            f"<div><b>segwise migration</b><p>{head}<br>{ret}</p>"
            f"<p>Counts</p>{self.counts.to_html(float_format=lambda v: f'{v:g}')}"
            f"<p>Shares ({html.escape(self.normalize)})</p>"
            f"{self.shares.to_html(float_format=pct)}"
            f"<p>Retention</p>{self.retention.to_frame('retention').to_html(float_format=pct)}"
            "</div>"
        )

    def plot(self, *, values: str = "shares", ax: Any = None) -> Any:
        """Heat map of the shares (or counts) with the value written in every cell.

        Needs matplotlib (``pip install "segwise[plot]"``). Returns the matplotlib Axes.

        Examples
        --------
        >>> from segwise.stability import migration_matrix
        >>> res = migration_matrix([0, 0, 1, 1], [0, 1, 1, 1])
        >>> ax = res.plot()  # doctest: +SKIP
        """
        check_choice(values, "values", ["shares", "counts"])
        plt = _pyplot("MigrationResult.plot")
        table = self.shares if values == "shares" else self.counts
        data = table.to_numpy(dtype=np.float64)
        if ax is None:
            _, ax = plt.subplots(figsize=(1.0 + 0.8 * data.shape[1], 0.8 + 0.6 * data.shape[0]))
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


def _pyplot(who: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f'{who} needs matplotlib: pip install "segwise[plot]"') from exc
    return plt


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
    check_choice(normalize, "normalize", ["row", "column", "all"])
    b_vals, b_index = _label_values(labels_before, "labels_before")
    a_vals, a_index = _label_values(labels_after, "labels_after")
    b_codes, b_uniques = _encode(b_vals, "labels_before")
    a_codes, a_uniques = _encode(a_vals, "labels_after")
    with_ids = b_index is not None and a_index is not None
    w: np.ndarray | None = None
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
        rows = [*b_uniques, new_label]
        cols = [*a_uniques, churned_label]
        if weights is not None:
            if not isinstance(weights, pd.Series):
                raise InvalidWeightsError(
                    "with Series labels, pass weights as a pandas Series indexed by customer id"
                )
            missing = int((~ids.isin(weights.index)).sum())
            if missing:
                raise InvalidWeightsError(f"weights has no value for {missing} customer id(s)")
            if not weights.index.is_unique:
                raise InvalidWeightsError("weights has a duplicated index")
            w = _check_weights(weights.reindex(ids).to_numpy(), len(ids))
    else:
        if b_vals.shape[0] != a_vals.shape[0]:
            raise ShapeMismatchError(
                f"labels_before has {b_vals.shape[0]} labels but labels_after has "
                f"{a_vals.shape[0]}; arrays must describe the same customers in the same "
                "order (pass two pandas Series indexed by customer id for New/Churned)"
            )
        if b_vals.shape[0] == 0:
            raise EmptyInputError("labels_before and labels_after are empty")
        before, after = b_codes, a_codes
        rows, cols = list(b_uniques), list(a_uniques)
        if weights is not None:
            w = _check_weights(
                weights.to_numpy() if isinstance(weights, pd.Series) else weights,
                b_vals.shape[0],
            )
    counts_arr = _core.drift_migration_counts(
        np.ascontiguousarray(before, dtype=np.int64),
        np.ascontiguousarray(after, dtype=np.int64),
        len(rows),
        len(cols),
        w,
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


def _check_weights(weights: Any, n: int) -> np.ndarray:
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidWeightsError(f"weights must be numeric: {exc}") from exc
    if w.ndim != 1 or w.shape[0] != n:
        raise ShapeMismatchError(f"weights has shape {w.shape} but there are {n} customers")
    n_nan = int(np.isnan(w).sum())
    n_inf = int(np.isinf(w).sum())
    if n_nan or n_inf:
        raise InvalidWeightsError(f"weights has {n_nan} NaN and {n_inf} infinite value(s)")
    n_neg = int((w < 0).sum())
    if n_neg:
        raise InvalidWeightsError(f"weights has {n_neg} negative value(s); weights must be >= 0")
    if not (w > 0).any():
        raise InvalidWeightsError("weights are all zero")
    return np.ascontiguousarray(w)


# --------------------------------------------------------------------------- PSI


@dataclass(frozen=True, eq=False)
class PSIResult:
    """Population stability index per feature (or for the segment shares).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per feature (``"segment"`` for labels): ``psi``, ``n_bins``,
        ``n_reference``, ``n_current``, ``n_epsilon`` (bin shares replaced by
        ``epsilon``), ``critical_value_05`` / ``critical_value_01`` (Yurdakul & Naranjo),
        ``p_value``, ``rule_of_thumb`` ("stable" < 0.1 <= "moderate shift" < 0.25 <=
        "major shift"), ``statistical`` ("shift (1%)", "shift (5%)", "no significant
        shift"), ``new_share`` / ``vanished_share`` (labels only) and ``note``.
    bins : pandas.DataFrame
        One row per feature x bin: ``feature``, ``bin``, ``lower``, ``upper``, ``status``
        ("value", "missing"; for labels "common", "new", "vanished"),
        ``reference_count``, ``current_count``, ``reference_share``, ``current_share``,
        ``epsilon_used``, ``psi_term``.
    epsilon : float
        The share used in place of an empty bin's zero.
    kind : str
        ``"labels"`` or ``"features"``.

    Examples
    --------
    >>> from segwise.stability import psi
    >>> res = psi(["a"] * 50 + ["b"] * 50, ["a"] * 40 + ["b"] * 60)
    >>> round(float(res.table.loc[0, "psi"]), 4)
    0.0405
    """

    table: pd.DataFrame
    bins: pd.DataFrame
    epsilon: float
    kind: str
    new_segments: list[Any] = field(default_factory=list)
    vanished_segments: list[Any] = field(default_factory=list)

    @property
    def psi(self) -> pd.Series:
        """PSI per feature, indexed by feature name."""
        return pd.Series(self.table["psi"].to_numpy(), index=self.table["feature"], name="psi")

    def summary(self) -> str:
        """Plain-text summary: PSI, critical values and verdicts per feature."""
        cols = [
            "feature",
            "psi",
            "n_bins",
            "critical_value_05",
            "critical_value_01",
            "rule_of_thumb",
            "statistical",
        ]
        lines = [
            f"Population stability index ({self.kind}); empty bins use share "
            f"epsilon={self.epsilon:g}; rules of thumb: < {PSI_STABLE} stable, "
            f"< {PSI_MAJOR} moderate shift, else major shift; critical values "
            "chi2(B-1) * (1/N + 1/M) (Yurdakul & Naranjo)",
            self.table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"),
        ]
        for feat, note in zip(self.table["feature"], self.table["note"], strict=True):
            if note:
                lines.append(f"note ({feat}): {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().splitlines()[0])
        return (
            f"<div><b>segwise PSI</b><p>{head}</p>"
            f"{self.table.to_html(index=False, float_format=lambda v: f'{v:.4g}')}</div>"
        )

    def plot(self, *, ax: Any = None) -> Any:
        """Bar chart of the PSI per feature with the 0.1 / 0.25 thresholds (dashed) and the
        5% critical value of each feature (black tick).

        Needs matplotlib (``pip install "segwise[plot]"``). Returns the matplotlib Axes.

        Examples
        --------
        >>> from segwise.stability import psi
        >>> res = psi([0, 0, 1, 1], [0, 1, 1, 1])
        >>> ax = res.plot()  # doctest: +SKIP
        """
        plt = _pyplot("PSIResult.plot")
        t = self.table
        if ax is None:
            _, ax = plt.subplots(figsize=(1.5 + 0.6 * len(t), 3.5))
        x = np.arange(len(t))
        values = t["psi"].to_numpy(dtype=np.float64)
        colors = np.where(
            values >= PSI_MAJOR,
            "tab:red",
            np.where(values >= PSI_STABLE, "tab:orange", "tab:green"),
        )
        ax.bar(x, np.nan_to_num(values), color=colors)
        ax.axhline(PSI_STABLE, color="gray", ls="--", lw=1, label="0.1")
        ax.axhline(PSI_MAJOR, color="gray", ls=":", lw=1, label="0.25")
        crit = t["critical_value_05"].to_numpy(dtype=np.float64)
        ok = np.isfinite(crit)
        if ok.any():
            ax.scatter(
                x[ok],
                crit[ok],
                marker="_",
                s=300,
                color="black",
                label="5% critical value",
                zorder=3,
            )
        ax.set_xticks(x)
        ax.set_xticklabels([str(f) for f in t["feature"]], rotation=45, ha="right")
        ax.set_ylabel("PSI")
        ax.set_title("Population stability index")
        ax.legend(fontsize=8)
        return ax


def _verdicts(value: float, c05: float, c01: float) -> tuple[str, str]:
    if np.isnan(value):
        return "n/a", "n/a"
    rule = (
        "stable" if value < PSI_STABLE else "moderate shift" if value < PSI_MAJOR else "major shift"
    )
    if np.isnan(c05):
        stat = "n/a (one bin)"
    elif value > c01:
        stat = "shift (1%)"
    elif value > c05:
        stat = "shift (5%)"
    else:
        stat = "no significant shift"
    return rule, stat


def psi(
    reference: Any,
    current: Any,
    *,
    bins: int = 10,
    epsilon: float = 1e-4,
    kind: str = "auto",
    progress: bool | None = None,
) -> PSIResult:
    """Population stability index between a reference and a current sample.

    ``PSI = sum over bins of (a - e) * ln(a / e)``, with ``e`` the reference share and
    ``a`` the current share of a bin.

    **Segment labels** (``kind="labels"``): one bin per segment. Segments present in
    both samples are compared with shares renormalised within them; segments only in
    ``current`` (new) or only in ``reference`` (vanished) are not mixed into the sum (their
    ``ln(a / 0)`` term would be driven by ``epsilon``): they are listed in ``new_segments``
    / ``vanished_segments``, their share of all customers is in ``new_share`` /
    ``vanished_share``, and the ``note`` says so.

    **Numeric features** (``kind="features"``): per column, bins from the reference's
    quantiles ``1/bins, ..., (bins-1)/bins`` (numpy's default linear interpolation),
    duplicate edges removed, and edges at or above the reference maximum dropped; the
    outer bins are open, ``(-inf, e1]`` and ``(e_last, +inf)``. Bins are right-closed,
    ``(lower, upper]``, like ``pandas.cut`` (a value equal to an edge goes to the bin on
    its left; ``numpy.histogram`` and ``numpy.digitize``'s default do the opposite). Ties
    can merge deciles, so ``n_bins`` may be smaller than ``bins``; a feature constant in
    the reference has one bin and a PSI of 0 by construction (the ``note`` says so). NaN
    values are counted in a separate ``"missing"`` bin (added when either sample has
    one); infinities are rejected.

    A bin whose share is exactly 0 on one side uses ``epsilon`` as its share instead
    (reported in ``n_epsilon`` and ``bins.epsilon_used``); the other shares are left
    unchanged.

    Verdicts: the rules of thumb (< 0.1 "stable", < 0.25 "moderate shift", else "major
    shift") and Yurdakul & Naranjo's test: with no shift, ``PSI / (1/N + 1/M)`` is
    approximately chi-square with ``B - 1`` degrees of freedom (``B`` bins, ``N`` and
    ``M`` the sample sizes), so the critical value at level alpha is
    ``chi2.ppf(1 - alpha, B - 1) * (1/N + 1/M)`` (given for alpha = 0.05 and 0.01, with
    the p-value). On large samples a tiny PSI is significant; on small samples a PSI above
    0.1 may not be. For segment labels, ``N`` and ``M`` count the customers in the common
    segments.

    Parameters
    ----------
    reference, current : array-like, pandas.Series or pandas.DataFrame
        Segment labels (1-D) or numeric features (2-D; a DataFrame's columns are matched by
        name, ``current`` may have extra columns).
    bins : int, default=10
        Number of quantile bins per numeric feature (>= 2).
    epsilon : float, default=1e-4
        Share used for an empty bin, in (0, 0.5).
    kind : {"auto", "labels", "features"}, default="auto"
        ``"auto"``: 2-D input, or 1-D floats, are features; other 1-D input (ints,
        strings, categories, bools, objects) are labels.
    progress : bool or None, default=None
        Show a progress bar over the features (``None``: in a terminal or notebook). The
        features are binned in chunks (in parallel within a chunk), so Ctrl-C is honoured
        between chunks.

    Returns
    -------
    PSIResult

    References
    ----------
    Yurdakul, B. & Naranjo, J. (2020). Statistical properties of the population stability
    index. Journal of Risk Model Validation 14(4).

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import psi
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(5000, 2))
    >>> cur = ref + [0.0, 0.5]                     # second feature shifted
    >>> res = psi(ref, cur)
    >>> res.table[["feature", "rule_of_thumb", "statistical"]]
      feature   rule_of_thumb           statistical
    0      x0          stable  no significant shift
    1      x1  moderate shift            shift (1%)
    """
    check_choice(kind, "kind", ["auto", "labels", "features"])
    bins = check_int(bins, "bins", low=2)
    epsilon = check_float(
        epsilon, "epsilon", low=0.0, high=0.5, low_inclusive=False, high_inclusive=False
    )
    if kind == "auto":
        kind = _detect_kind(reference, current)
    if kind == "labels":
        return _psi_labels(reference, current, epsilon)
    return _psi_features(reference, current, bins, epsilon, progress)


def _detect_kind(reference: Any, current: Any) -> str:
    def one(obj: Any) -> str:
        if isinstance(obj, pd.DataFrame):
            return "features"
        if isinstance(obj, pd.Series):
            return "features" if obj.dtype.kind == "f" else "labels"
        arr = np.asarray(obj)
        if arr.ndim >= 2:
            return "features"
        return "features" if arr.dtype.kind == "f" else "labels"

    a, b = one(reference), one(current)
    if a != b:
        raise InvalidParameterError(
            f"reference looks like {a} but current like {b}; pass kind='labels' or kind='features'"
        )
    return a


def _psi_labels(reference: Any, current: Any, epsilon: float) -> PSIResult:
    r_vals, _ = _label_values(reference, "reference")
    c_vals, _ = _label_values(current, "current")
    if r_vals.shape[0] == 0 or c_vals.shape[0] == 0:
        raise EmptyInputError(
            f"reference has {r_vals.shape[0]} labels and current {c_vals.shape[0]}; both need "
            "at least one"
        )
    r_codes, r_uniques = _encode(r_vals, "reference")
    c_codes, c_uniques = _encode(c_vals, "current")
    r_counts = np.bincount(r_codes, minlength=len(r_uniques)).astype(np.float64)
    c_counts = np.bincount(c_codes, minlength=len(c_uniques)).astype(np.float64)
    c_pos = {u: j for j, u in enumerate(c_uniques)}
    r_pos = {u: i for i, u in enumerate(r_uniques)}
    common = [u for u in r_uniques if u in c_pos]
    vanished = [u for u in r_uniques if u not in c_pos]
    new = [u for u in c_uniques if u not in r_pos]
    n_ref, n_cur = float(r_codes.shape[0]), float(c_codes.shape[0])
    rc = np.array([r_counts[r_pos[u]] for u in common], dtype=np.float64)
    cc = np.array([c_counts[c_pos[u]] for u in common], dtype=np.float64)
    notes = []
    if common:
        value, terms, n_eps, c05, c01, pval = _core.drift_psi_from_counts(
            rc, cc, epsilon, float(rc.sum()), float(cc.sum())
        )
    else:
        value, terms, n_eps = float("nan"), np.zeros(0), 0
        c05 = c01 = pval = float("nan")
        notes.append("no segment in common: PSI undefined")
    if len(common) == 1:
        notes.append("one segment in common: one bin, PSI is 0 by construction")
    new_share = float(sum(c_counts[c_pos[u]] for u in new) / n_cur)
    vanished_share = float(sum(r_counts[r_pos[u]] for u in vanished) / n_ref)
    if new:
        notes.append(
            f"{len(new)} new segment(s) {new} hold {new_share:.1%} of current "
            "customers (not in the PSI)"
        )
    if vanished:
        notes.append(
            f"{len(vanished)} vanished segment(s) {vanished} held "
            f"{vanished_share:.1%} of reference customers (not in the PSI)"
        )
    rule, stat = _verdicts(value, c05, c01)
    table = pd.DataFrame(
        [
            {
                "feature": "segment",
                "psi": value,
                "n_bins": len(common),
                "n_reference": int(rc.sum()),
                "n_current": int(cc.sum()),
                "n_epsilon": int(n_eps),
                "critical_value_05": c05,
                "critical_value_01": c01,
                "p_value": pval,
                "rule_of_thumb": rule,
                "statistical": stat,
                "new_share": new_share,
                "vanished_share": vanished_share,
                "note": "; ".join(notes),
            }
        ]
    )
    rows = []
    for k, u in enumerate(common):
        rcount, ccount = rc[k], cc[k]
        rows.append(("common", u, rcount, ccount, terms[k]))
    rows += [("vanished", u, r_counts[r_pos[u]], 0.0, np.nan) for u in vanished]
    rows += [("new", u, 0.0, c_counts[c_pos[u]], np.nan) for u in new]
    bins_df = pd.DataFrame(
        {
            "feature": "segment",
            "bin": pd.Series([r[1] for r in rows], dtype=object),
            "lower": np.nan,
            "upper": np.nan,
            "status": [r[0] for r in rows],
            "reference_count": np.array([r[2] for r in rows], dtype=np.int64),
            "current_count": np.array([r[3] for r in rows], dtype=np.int64),
            "reference_share": [r[2] / n_ref for r in rows],
            "current_share": [r[3] / n_cur for r in rows],
            "epsilon_used": [r[0] == "common" and (r[2] == 0 or r[3] == 0) for r in rows],
            "psi_term": [r[4] for r in rows],
        }
    )
    return PSIResult(
        table=table,
        bins=bins_df,
        epsilon=epsilon,
        kind="labels",
        new_segments=new,
        vanished_segments=vanished,
    )


def _as_features(obj: Any, name: str) -> Any:
    if isinstance(obj, pd.Series):
        return obj.to_frame(name=str(obj.name) if obj.name is not None else "x0")
    if not isinstance(obj, pd.DataFrame):
        arr = np.asarray(obj)
        if arr.ndim == 1:
            return arr.reshape(-1, 1)
    return obj


def _psi_features(
    reference: Any, current: Any, bins: int, epsilon: float, progress_bar: bool | None
) -> PSIResult:
    if isinstance(current, pd.Series) and np.ndim(reference) == 1:
        current = current.to_numpy()  # two 1-D inputs: one feature, whatever the names
    reference, current = _as_features(reference, "reference"), _as_features(current, "current")
    if isinstance(reference, pd.DataFrame) and isinstance(current, pd.DataFrame):
        missing = [c for c in reference.columns if c not in current.columns]
        if missing:
            raise ShapeMismatchError(f"current has no column(s) {missing} of reference")
        current = current[list(reference.columns)]
    ref = check_array(reference, name="reference", allow_nan=True, dtypes=(np.float64,))
    cur = check_array(current, name="current", allow_nan=True, dtypes=(np.float64,))
    d = ref.values.shape[1]
    if cur.values.shape[1] != d:
        raise ShapeMismatchError(
            f"reference has {d} features but current has {cur.values.shape[1]}"
        )
    names = ref.columns if ref.columns is not None else [f"x{j}" for j in range(d)]
    # Chunks of features (each chunk binned in parallel in Rust, GIL released).
    chunk = max(4, 2 * _core.current_num_threads())
    per_feature: list[Any] = []
    with progress(d, "PSI features", progress_bar) as advance:
        for start in range(0, d, chunk):
            stop = min(start + chunk, d)
            per_feature += _core.drift_psi_feature_bins(ref.values, cur.values, bins, start, stop)
            advance(stop - start)
    n_ref, n_cur = float(ref.values.shape[0]), float(cur.values.shape[0])
    table_rows, bin_frames = [], []
    for name, (edges, rcounts, ccounts, r_miss, c_miss) in zip(names, per_feature, strict=True):
        has_missing = (r_miss + c_miss) > 0
        rc = rcounts.astype(np.float64)
        cc = ccounts.astype(np.float64)
        if has_missing:
            rc = np.append(rc, float(r_miss))
            cc = np.append(cc, float(c_miss))
        value, terms, n_eps, c05, c01, pval = _core.drift_psi_from_counts(
            rc, cc, epsilon, n_ref, n_cur
        )
        notes = []
        if edges.size == 0 and r_miss == n_ref:
            notes.append(
                "no non-missing value in the reference: only the missing share is compared"
            )
        elif edges.size == 0:
            notes.append(
                "constant in the reference: one value bin, so the PSI cannot see "
                "a shift of the values"
                + (" (only the missing share)" if has_missing else " and is 0 by construction")
            )
        elif edges.size + 1 < bins:
            notes.append(f"ties merged quantiles: {edges.size + 1} value bins of {bins}")
        if n_eps:
            notes.append(f"epsilon={epsilon:g} used for {n_eps} empty bin share(s)")
        if has_missing:
            notes.append(f"missing values: {r_miss} in reference, {c_miss} in current (own bin)")
        rule, stat = _verdicts(value, c05, c01)
        table_rows.append(
            {
                "feature": name,
                "psi": value,
                "n_bins": int(rc.size),
                "n_reference": int(n_ref),
                "n_current": int(n_cur),
                "n_epsilon": int(n_eps),
                "critical_value_05": c05,
                "critical_value_01": c01,
                "p_value": pval,
                "rule_of_thumb": rule,
                "statistical": stat,
                "new_share": np.nan,
                "vanished_share": np.nan,
                "note": "; ".join(notes),
            }
        )
        lower = np.concatenate([[-np.inf], edges])
        upper = np.concatenate([edges, [np.inf]])
        labels = [
            f"({lo:.6g}, {hi:.6g}]" if np.isfinite(hi) else f"({lo:.6g}, {hi:.6g})"
            for lo, hi in zip(lower, upper, strict=True)
        ]
        status = ["value"] * len(labels)
        if has_missing:
            labels.append("missing")
            lower = np.append(lower, np.nan)
            upper = np.append(upper, np.nan)
            status.append("missing")
        bin_frames.append(
            pd.DataFrame(
                {
                    "feature": name,
                    "bin": pd.Series(labels, dtype=object),
                    "lower": lower,
                    "upper": upper,
                    "status": status,
                    "reference_count": rc.astype(np.int64),
                    "current_count": cc.astype(np.int64),
                    "reference_share": rc / n_ref,
                    "current_share": cc / n_cur,
                    "epsilon_used": (rc == 0) ^ (cc == 0),
                    "psi_term": terms,
                }
            )
        )
    return PSIResult(
        table=pd.DataFrame(table_rows),
        bins=pd.concat(bin_frames, ignore_index=True),
        epsilon=epsilon,
        kind="features",
    )
