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
    collect_levels,
    compute,
    core_call,
    is_dask_collection,
    label_codes,
    order_statistics,
    require_dask,
    tree_reduce,
)
from ._validation import check_array, check_mixed, max_abs, power_of_two_scale, validate_params
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
    _level_stats_from_counts,
    _numeric_from_moments,
    _out_of_range,
    _profile_report,
    _select,
    _split_features,
)

__all__ = ["profile_segments_dask"]

_LABELS = "__segwise_segment__"


def _block(part: pd.DataFrame, index: int, features: list[str], allow_nan: bool) -> np.ndarray:
    """A partition's feature block as float64 (errors name the partition)."""
    if len(part) == 0 or not features:
        return np.empty((len(part), len(features)))
    try:
        block = check_array(
            part[features], name="df", dtypes=(np.float64,), allow_nan=allow_nan
        ).values
    except SegwiseError as err:
        raise type(err)(f"partition {index} of df: {err}") from None
    return np.ascontiguousarray(block)


def _codes(part: pd.DataFrame, uniques: pd.Index) -> np.ndarray:
    return label_codes(part[_LABELS], uniques)


def _partial(values: np.ndarray, codes: np.ndarray, k: int, scale: np.ndarray) -> Any:
    """One partition's ``(3, k, d)`` grouped moments of ``values / scale`` (``None``
    without numeric features) and its segment sizes."""
    if values.shape[0] == 0:
        return None
    moments = None
    if values.shape[1]:
        scaled = values if (scale == 1.0).all() else np.ascontiguousarray(values / scale)
        moments = core_call("profile_partial_moments", scaled, codes, n_groups=k)
    return moments, np.bincount(codes, minlength=k).astype(np.float64)


def _merge(a: Any, b: Any) -> Any:
    moments = None if a[0] is None else core_call("profile_merge_moments", a[0], b[0])
    return moments, a[1] + b[1]


def _max_abs(values: np.ndarray) -> np.ndarray | None:
    return max_abs(values, axis=0) if values.shape[0] else None


def _level_counts(
    part: pd.DataFrame,
    index: int,
    codes: np.ndarray,
    k: int,
    columns: list[Any],
    levels: list[list[Any]],
    missing: str,
) -> Any:
    """One partition's segment x level counts of every categorical feature and the rows
    missing each (errors name the partition)."""
    if len(part) == 0:
        return None
    try:
        m = check_mixed(
            part[columns],
            categorical=slice(None),
            levels=levels,
            missing=missing,
            unknown="error",
            name=f"partition {index} of df",
        )
    except SegwiseError as err:
        raise type(err)(str(err)) from None
    counts, n_missing = [], []
    for j, found in enumerate(levels):
        column = m.categorical[:, j]
        ok = column >= 0
        n_levels = len(found)
        flat = np.bincount(codes[ok] * n_levels + column[ok], minlength=k * n_levels)
        counts.append(flat.reshape(k, n_levels))
        n_missing.append(int((~ok).sum()))
    return counts, np.array(n_missing, dtype=np.int64)


def _add_counts(a: Any, b: Any) -> Any:
    return [x + y for x, y in zip(a[0], b[0], strict=True)], a[1] + b[1]


def profile_segments_dask(
    df: Any,
    labels: Any,
    features: Sequence[str] | None = None,
    *,
    categorical: Any = None,
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
    means); sizes, counts, medians and categorical level counts exactly.

    Parameters
    ----------
    df : dask DataFrame
        One row per customer; numeric (or boolean) and categorical feature columns
        (category, string, object dtypes, or named in ``categorical=``). Categorical
        features get the in-memory level shares, indices, chi-square tests and adjusted
        residuals, from segment x level counts merged over the partitions (levels
        learned in one pass; categories that differ per partition are unioned and
        sorted). Values whose squares leave the float64 range are profiled divided by a
        power of two, as in memory (one more pass).
    labels : str or dask Series
        The name of ``df``'s column holding the segments, or a dask Series of them
        partitioned like ``df`` (the same number of partitions and rows per partition).
    features, categorical, alpha, marker_diff, descriptors, name_terms, missing, unit
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

    params = validate_params(locals(), _PARAMS, caller="profile_segments")
    if not isinstance(df, dd.DataFrame):
        raise InvalidParameterError(
            f"df must be a dask DataFrame, got {type(df).__name__}; use "
            "segwise.profile.profile_segments for pandas and numpy data"
        )
    # The column checks of the in-memory function, on the (empty) pandas meta.
    meta = df._meta
    _, _, features = _select(meta, labels if isinstance(labels, str) else None, features)
    cat_names = _split_features(meta[features], features, categorical)
    num_names = [f for f in features if f not in cat_names]
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
        for f in num_names
        if not (pd.api.types.is_numeric_dtype(meta[f].dtype) or pd.api.types.is_bool_dtype(meta[f]))
    ]
    if bad:
        raise NonNumericError(
            f"df has {len(bad)} non-numeric column(s) {bad} that categorical= does not "
            "name; name them in categorical= or leave them out with features="
        )
    words = _check_descriptors(descriptors, num_names, cat_names)

    uniques, segs_list = collect_labels(frame, _LABELS, name="labels")
    segs = pd.Index(segs_list, name="segment", tupleize_cols=False)
    k, d = len(segs), len(num_names)
    if k < 2:
        raise InvalidParameterError(
            f"labels has a single segment ({segs[0]}); a profile compares each segment "
            "with the rest of the population, so it needs at least 2"
        )
    levels = collect_levels(frame, cat_names, missing_level=False, name="df") if cat_names else []
    parts = frame.to_delayed()
    allow_nan = params["missing"] == "drop"
    values = [
        dask.delayed(_block, pure=True)(p, i, num_names, allow_nan) for i, p in enumerate(parts)
    ]
    codes = [dask.delayed(_codes, pure=True)(p, uniques) for p in parts]
    values, codes = dask.persist(values, codes)

    def merged_moments(scale: np.ndarray) -> Any:
        return compute(
            tree_reduce(
                [
                    dask.delayed(_partial, pure=True)(v, c, k, scale)
                    for v, c in zip(values, codes, strict=True)
                ],
                _merge,
            )
        )[0]

    scale = np.ones(d)
    merged = merged_moments(scale)
    if merged is None:
        raise InvalidParameterError("df has no rows to profile")
    moments, sizes = merged
    if d:
        counts, means, variances, rest_means, rest_vars = core_call(
            "profile_finish_moments", moments
        )
        if _out_of_range(means, variances):
            # As in memory: features whose squares leave the float64 range are profiled
            # divided by a power of two (exact), one more pass for their largest values.
            largest = compute(
                tree_reduce([dask.delayed(_max_abs, pure=True)(v) for v in values], np.fmax)
            )[0]
            scale = power_of_two_scale(largest)
            moments, sizes = merged_moments(scale)
            counts, means, variances, rest_means, rest_vars = core_call(
                "profile_finish_moments", moments
            )
        medians = _medians(values, codes, counts, k, d, scale)
    else:
        counts = means = variances = medians = np.zeros((k + 1, 0))
        rest_means = rest_vars = np.zeros((k, 0))
    stats = (counts, means, variances, medians, rest_means, rest_vars)
    num = _numeric_from_moments(stats, num_names, k, scale)

    cats = []
    if cat_names:
        missing = "ignore" if allow_nan else "error"
        level_counts = compute(
            tree_reduce(
                [
                    dask.delayed(_level_counts, pure=True)(p, i, c, k, cat_names, levels, missing)
                    for i, (p, c) in enumerate(zip(parts, codes, strict=True))
                ],
                _add_counts,
            )
        )[0]
        cats = [
            _level_stats_from_counts(f, level_counts[0][j], levels[j], int(level_counts[1][j]))
            for j, f in enumerate(cat_names)
        ]
    return _profile_report(num, cats, segs, sizes.astype(np.int64), params, words)


def _medians(
    values: list[Any], codes: list[Any], counts: np.ndarray, k: int, d: int, scale: np.ndarray
) -> np.ndarray:
    """Exact medians of every segment x feature and of the population (last row), of the
    values divided by ``scale``: the two middle values by an order-statistics pass."""
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
        lo, hi = found[r] / scale[j], found[r + 1] / scale[j]
        # The in-memory core's midpoint of the two middle values.
        medians[group if group >= 0 else k, j] = lo if lo == hi else lo + (hi - lo) / 2.0
    return medians


def _with_labels(part: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    if len(part) != len(labels):
        raise ShapeMismatchError(
            f"a partition of labels has {len(labels)} rows but df's has {len(part)}: "
            "partition them alike, or pass the labels as a column of df"
        )
    out = part.copy()
    out[_LABELS] = labels.to_numpy()
    return out
