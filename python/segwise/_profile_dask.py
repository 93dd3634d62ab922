"""``profile_segments`` on a dask DataFrame: per-partition grouped moments merged with
Chan's update in a fixed tree, exact medians by an order-statistics pass, then the
in-memory report (a pure function of those statistics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._dask import (
    collect_labels,
    compute,
    core_call,
    is_dask_collection,
    label_codes,
    order_statistics,
    require_dask,
    tree_reduce,
)
from ._validation import check_array, validate_params
from .exceptions import (
    InvalidParameterError,
    NonNumericError,
    SegwiseError,
    ShapeMismatchError,
)
from .profile import (
    _PARAMS,
    SegmentProfile,
    _check_descriptors,
    _numeric_from_moments,
    _out_of_range,
    _profile_report,
    _select,
)

__all__ = ["profile_segments_dask"]

_LABELS = "__segwise_segment__"


def _block(part: pd.DataFrame, index: int, features: list[str], allow_nan: bool) -> np.ndarray:
    """A partition's feature block as float64 (errors name the partition)."""
    if len(part) == 0:
        return np.empty((0, len(features)))
    try:
        block = check_array(
            part[features], name="df", dtypes=(np.float64,), allow_nan=allow_nan
        ).values
    except SegwiseError as err:
        raise type(err)(f"partition {index} of df: {err}") from None
    return np.ascontiguousarray(block)


def _codes(part: pd.DataFrame, uniques: pd.Index) -> np.ndarray:
    return label_codes(part[_LABELS], uniques)


def _partial(values: np.ndarray, codes: np.ndarray, k: int) -> Any:
    """One partition's ``(3, k, d)`` grouped moments and its segment sizes."""
    if values.shape[0] == 0:
        return None
    moments = core_call("profile_partial_moments", values, codes, n_groups=k)
    return moments, np.bincount(codes, minlength=k).astype(np.float64)


def _merge(a: Any, b: Any) -> Any:
    return core_call("profile_merge_moments", a[0], b[0]), a[1] + b[1]


def profile_segments_dask(
    df: Any,
    labels: Any,
    features: Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
    marker_diff: tuple[float, float] = (0.25, 0.5),
    descriptors: Mapping[str, tuple[str, str]] | None = None,
    name_terms: int = 3,
    missing: str = "drop",
    unit: str = "customers",
) -> SegmentProfile:
    """:func:`segwise.profile.profile_segments` on a dask DataFrame: the same profile.

    Each partition's per segment x feature count, mean and centred sum of squares come
    from the Rust core (NaN skipped per feature, as in memory); they are merged with
    Chan's update in a fixed tree on the workers. The medians are exact: an
    order-statistics pass over the partitions finds the two middle values of every
    segment x feature (and of the population) without moving the data. The report is then
    the in-memory one, computed from the merged statistics. Means, variances and the tests
    equal the in-memory profile to rounding (~1e-12 relative; the merge pools partition
    means); sizes, counts and medians exactly.

    Parameters
    ----------
    df : dask DataFrame
        One row per customer; numeric (or boolean) feature columns. Categorical features
        are not supported by the distributed profile yet: a non-numeric feature column
        raises :class:`~segwise.exceptions.NonNumericError` (select numeric ones with
        ``features=``, or profile a pandas sample in memory, which also profiles
        categorical columns). Values whose squares leave the float64 range (above ~1e154
        or below ~1e-154 in magnitude) raise
        :class:`~segwise.exceptions.InvalidParameterError`; the in-memory profile rescales
        them.
    labels : str or dask Series
        The name of ``df``'s column holding the segments, or a dask Series of them
        partitioned like ``df`` (the same number of partitions and rows per partition).
    features, alpha, marker_diff, descriptors, name_terms, missing, unit
        As in :func:`segwise.profile.profile_segments`.

    Returns
    -------
    SegmentProfile

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from segwise.dask import profile_segments
    >>> df = pd.DataFrame({"spend": [10.0, 12, 11, 14, 90, 95, 100, 85],
    ...                    "days_since": [5.0, 3, 4, 6, 200, 210, 190, 220],
    ...                    "segment": ["a"] * 4 + ["b"] * 4})
    >>> prof = profile_segments(dd.from_pandas(df, npartitions=3), "segment",
    ...                         descriptors={"days_since": ("recent", "lapsed")})
    >>> prof.segments["name"].tolist()
    ['Recent, lower spend than average', 'Lapsed, higher spend than average']
    """
    dask = require_dask()
    import dask.dataframe as dd

    # No categorical= here: the distributed profile is numeric-only for now.
    params = validate_params({**locals(), "categorical": None}, _PARAMS, caller="profile_segments")
    if not isinstance(df, dd.DataFrame):
        raise InvalidParameterError(
            f"df must be a dask DataFrame, got {type(df).__name__}; use "
            "segwise.profile.profile_segments for pandas and numpy data"
        )
    # The column checks of the in-memory function, on the (empty) pandas meta.
    meta = df._meta
    _, _, features = _select(meta, labels if isinstance(labels, str) else None, features)
    if isinstance(labels, str):
        frame = df.assign(**{_LABELS: df[labels]})
    elif is_dask_collection(labels) and isinstance(labels, dd.Series):
        if labels.npartitions != df.npartitions:
            raise ShapeMismatchError(
                f"labels has {labels.npartitions} partitions but df has {df.npartitions}: "
                "partition them alike, or pass the labels as a column of df"
            )
        frame = dd.map_partitions(_with_labels, df, labels, align_dataframes=False)
    else:
        raise InvalidParameterError(
            "labels must name a column of df or be a dask Series partitioned like df, got "
            f"{type(labels).__name__}"
        )
    bad = [
        f
        for f in features
        if not (pd.api.types.is_numeric_dtype(meta[f].dtype) or pd.api.types.is_bool_dtype(meta[f]))
    ]
    if bad:
        raise NonNumericError(
            f"df has {len(bad)} non-numeric feature column(s): {bad}; the dask profile "
            "supports numeric (and boolean) features only for now: leave categorical "
            "columns out with features=, or profile a pandas sample with "
            "segwise.profile.profile_segments"
        )
    words = _check_descriptors(descriptors, features, [])

    uniques, segs_list = collect_labels(frame, _LABELS, name="labels")
    segs = pd.Index(segs_list, name="segment", tupleize_cols=False)
    k, d = len(segs), len(features)
    if k < 2:
        raise InvalidParameterError(
            f"labels has a single segment ({segs[0]}); a profile compares each segment "
            "with the rest of the population, so it needs at least 2"
        )
    parts = frame.to_delayed()
    allow_nan = params["missing"] == "drop"
    values = [
        dask.delayed(_block, pure=True)(p, i, features, allow_nan) for i, p in enumerate(parts)
    ]
    codes = [dask.delayed(_codes, pure=True)(p, uniques) for p in parts]
    values, codes = dask.persist(values, codes)
    merged = compute(
        tree_reduce(
            [
                dask.delayed(_partial, pure=True)(v, c, k)
                for v, c in zip(values, codes, strict=True)
            ],
            _merge,
        )
    )[0]
    if merged is None:
        raise InvalidParameterError("df has no rows to profile")
    moments, sizes = merged
    counts, means, variances, rest_means, rest_vars = core_call("profile_finish_moments", moments)

    # Medians: the two middle values of every segment x feature and of the population.
    requests = []
    for j in range(d):
        for g in range(k + 1):
            c = int(counts[g, j])
            if c:
                group = g if g < k else -1
                requests += [(j, group, (c - 1) // 2), (j, group, c // 2)]
    found = order_statistics(values, requests, groups=codes) if requests else np.empty(0)
    medians = np.full((k + 1, d), np.nan)
    for r in range(0, len(requests), 2):
        j, group, _ = requests[r]
        lo, hi = found[r], found[r + 1]
        # The in-memory core's midpoint of the two middle values.
        medians[group if group >= 0 else k, j] = lo if lo == hi else lo + (hi - lo) / 2.0
    if _out_of_range(means, variances):
        raise InvalidParameterError(
            "feature values are too large or too small in magnitude (squares beyond float64 "
            "range) for the distributed profile; the in-memory "
            "segwise.profile.profile_segments rescales them"
        )
    stats = (counts, means, variances, medians, rest_means, rest_vars)
    num = _numeric_from_moments(stats, features, k)
    return _profile_report(num, [], segs, sizes.astype(np.int64), params, words)


def _with_labels(part: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    if len(part) != len(labels):
        raise ShapeMismatchError(
            f"a partition of labels has {len(labels)} rows but df's has {len(part)}: "
            "partition them alike, or pass the labels as a column of df"
        )
    out = part.copy()
    out[_LABELS] = labels.to_numpy()
    return out
