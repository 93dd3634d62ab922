"""Keep segment ids meaningful across refits.

* :func:`align_labels`: Hungarian assignment on the overlap of two label vectors, or on the
  distances between centres (the assignment problem is solved in the Rust core).
* :func:`relabel`: renumber segments ``0..k-1`` by size or by the mean of a KPI.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._validation import (
    Constraints,
    StrOptions,
    check_array,
    check_label_ids,
    encode_labels,
    validate_params,
)
from ..exceptions import (
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
    ShapeMismatchError,
)
from ._labels import (
    _fresh_ids,
    _map_codes,
    _wrap_like,
)

_ALIGN_PARAMS: Constraints = {"return_mapping": ["boolean"]}
_RELABEL_PARAMS: Constraints = {
    "by": [StrOptions(["size"]), "array-like"],
    "ascending": ["boolean"],
    "return_mapping": ["boolean"],
}


def _kind_of(obj: Any) -> str:
    if hasattr(obj, "prototypes_") and hasattr(obj, "transform"):
        return "prototypes"  # KPrototypes / KModes: matched on their own cost
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
    return_mapping = validate_params(locals(), _ALIGN_PARAMS, caller="align_labels")[
        "return_mapping"
    ]
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
        elif ref_kind == "prototypes" or new_kind == "prototypes":
            aligned, mapping = _align_prototypes(new, new_kind, reference, ref_kind, X, labels)
        else:
            aligned, mapping = _align_centers(new, new_kind, reference, ref_kind, X, labels)
    return (aligned, mapping) if return_mapping else aligned


def _align_overlap(new: Any, reference: Any) -> tuple[Any, dict[Any, Any]]:
    new_all = encode_labels(new, name="new", keep_index=True)
    ref_all = encode_labels(reference, name="reference", keep_index=True)
    if new_all.index is not None and ref_all.index is not None:
        common = new_all.index.intersection(ref_all.index, sort=False)
        if len(common) == 0:
            raise EmptyInputError("new and reference share no customer id (index)")
        new_common = new_all.take(new_all.index.get_indexer(common))
        ref_common = ref_all.take(ref_all.index.get_indexer(common))
    else:
        n_new, n_ref = new_all.codes.shape[0], ref_all.codes.shape[0]
        if n_new != n_ref:
            raise ShapeMismatchError(
                f"new has {n_new} labels but reference has {n_ref}; "
                "label vectors must describe the same customers (pass two pandas Series "
                "indexed by customer id to match on the ids they share)"
            )
        if n_new == 0:
            raise EmptyInputError("new and reference have no labels")
        new_common, ref_common = new_all, ref_all
    matched, _ = _core.drift_align_by_overlap(new_common.codes, ref_common.codes)
    pairs = {
        new_common.uniques[i]: ref_common.uniques[j]
        for i, j in enumerate(matched.tolist())
        if j >= 0
    }
    new_uniques = new_all.uniques
    unmatched = [u for u in new_uniques if u not in pairs]
    fresh = dict(zip(unmatched, _fresh_ids(ref_all.uniques, len(unmatched)), strict=True))
    mapping = {u: pairs.get(u, fresh.get(u)) for u in new_uniques}
    aligned = _map_codes(new_all.codes, [mapping[u] for u in new_uniques])
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
        checked = check_array(X, name="X")
        xs = checked.values.astype(np.float64, copy=False)
        enc = encode_labels(
            new, name="new", n_samples=xs.shape[0], keep_index=True, rows=checked.index
        )
        codes, uniques = enc.codes, enc.uniques
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
            codes = check_label_ids(
                labels, new_centers.shape[0], context=" (one per row of the new centres)"
            )
            like = labels
    if new_centers.shape[1] != ref_centers.shape[1]:
        raise ShapeMismatchError(
            f"new centres have {new_centers.shape[1]} features but reference centres have "
            f"{ref_centers.shape[1]}"
        )
    matched, _ = _core.drift_align_by_centers(
        np.ascontiguousarray(new_centers), np.ascontiguousarray(ref_centers)
    )
    return _apply_matches(codes, uniques, matched, ref_centers.shape[0], like)


def _apply_matches(
    codes: np.ndarray, uniques: list[Any], matched: np.ndarray, n_ref: int, like: Any
) -> tuple[Any, dict[Any, Any]]:
    """New segment ``uniques[i]`` -> reference id ``matched[i]`` (0..n_ref-1), unmatched
    segments (-1) -> fresh ids after the reference's; the relabelled codes and the map."""
    ref_ids = list(range(n_ref))
    unmatched = [u for u, j in zip(uniques, matched.tolist(), strict=True) if j < 0]
    fresh = dict(zip(unmatched, _fresh_ids(ref_ids, len(unmatched)), strict=True))
    mapping = {
        u: (ref_ids[j] if j >= 0 else fresh[u])
        for u, j in zip(uniques, matched.tolist(), strict=True)
    }
    aligned = _map_codes(codes, [mapping[u] for u in uniques])
    return _wrap_like(aligned, like), mapping


def _align_prototypes(
    new: Any, new_kind: str, reference: Any, ref_kind: str, X: Any, labels: Any
) -> tuple[Any, dict[Any, Any]]:
    """Match on the reference KPrototypes/KModes model's own cost: of the new model's
    prototypes, or (labels + X) the mean cost of each new segment's customers, against
    every reference prototype; the assignment of least total cost."""
    if ref_kind != "prototypes":
        raise InvalidParameterError(
            "new is a KPrototypes/KModes model but reference is not: match two models of "
            "the same kind, or two label vectors on shared customers"
        )
    # A level the reference never saw counts as a mismatch here, not as an error.
    scorer = copy.copy(reference)
    scorer.unknown = "mismatch"
    like: Any = None
    if new_kind == "prototypes":
        if X is not None:
            raise InvalidParameterError("X is only used when new is a label vector")
        cost = scorer.transform(new.prototypes_)
        uniques = list(range(len(new.prototypes_)))
        if labels is None:
            labels = getattr(new, "labels_", None)
        if labels is None:
            codes = np.arange(len(uniques), dtype=np.int64)
        else:
            codes = check_label_ids(
                labels, len(uniques), context=" (one per prototype of the new model)"
            )
            like = labels
    elif new_kind == "labels":
        if X is None:
            raise InvalidParameterError(
                "new is a label vector and reference a KPrototypes/KModes model: pass X (the "
                "new customers' table) to score the new segments against its prototypes"
            )
        if labels is not None:
            raise InvalidParameterError("labels is already given as `new`; leave labels=None")
        per_row = np.asarray(scorer.transform(X), dtype=np.float64)
        enc = encode_labels(new, name="new", n_samples=per_row.shape[0], keep_index=True)
        codes, uniques = enc.codes, enc.uniques
        sums = np.zeros((len(uniques), per_row.shape[1]))
        np.add.at(sums, codes, per_row)
        cost = sums / np.bincount(codes)[:, None]
        like = new
    else:
        raise InvalidParameterError(
            "a KPrototypes/KModes reference is matched with a model of the same kind or with "
            "labels and X, not with an array of centres"
        )
    matched = _core.drift_align_by_cost(np.ascontiguousarray(cost, dtype=np.float64))
    return _apply_matches(codes, uniques, matched, np.shape(cost)[1], like)


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
    validate_params(locals(), _RELABEL_PARAMS, caller="relabel")
    enc = encode_labels(labels, keep_index=True)
    codes, uniques, index = enc.codes, enc.uniques, enc.index
    if codes.shape[0] == 0:
        raise EmptyInputError("labels is empty")
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    if isinstance(by, str):
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
        if kpi.ndim != 1 or kpi.shape[0] != codes.shape[0]:
            raise ShapeMismatchError(
                f"by has shape {kpi.shape} but labels has {codes.shape[0]} entries; pass one "
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
