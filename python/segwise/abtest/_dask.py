"""The per-segment lift report on a dask DataFrame: per-partition ``CellStats``, merged
with Chan's update in a fixed tree, then the in-memory report (a pure function of them)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._dask import (
    collect_labels,
    compute,
    core_call,
    label_codes,
    linear_quantile,
    linear_ranks,
    order_statistics,
    require_dask,
    tree_reduce,
)
from .._validation import validate_params
from ..exceptions import EmptyInputError, InvalidParameterError
from ._report import (
    _LIFT_PARAMS,
    _REPORT_PARAMS,
    CELL_DTYPE,
    OVERALL,
    LiftReport,
    _numeric_block,
    _plan,
    _report,
    _resolve_kinds,
    _Stats,
)

__all__ = ["segment_lift"]


def _cells(
    part: pd.DataFrame,
    variant: str,
    segment: str | None,
    arms: pd.Index,
    segs: pd.Index | None,
    cols: tuple[list[str], list[str], list[int]],
    caps: dict[int, float],
) -> Any:
    """One partition's per-(segment, arm, metric) statistics as a flat float64 array."""
    if len(part) == 0:
        return None
    y_cols, aux_cols, aux_index = cols
    y = _numeric_block(part, y_cols)
    if caps:
        y = np.array(y, dtype=np.float64, order="F", copy=True)
        for j, cap in caps.items():
            col = y[:, j]
            np.minimum(col, cap, out=col, where=~np.isnan(col))
    x = _numeric_block(part, aux_cols) if aux_cols else None
    arm_codes = label_codes(part[variant], arms)
    if segment is None:
        seg_codes = np.zeros(len(part), dtype=np.int64)
        n_segments = 1
    else:
        assert segs is not None
        seg_codes = label_codes(part[segment], segs)
        n_segments = len(segs)
    cells = core_call(
        "abtest_segment_arm_stats",
        seg_codes,
        arm_codes,
        y,
        n_segments=n_segments,
        n_arms=len(arms),
        x=x,
        aux_index=aux_index,
    )
    return np.ascontiguousarray(cells).view(np.float64).ravel()


def _merge_cells(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return core_call("abtest_merge_cell_stats", a, b)  # type: ignore[no-any-return]


def _y_block(part: pd.DataFrame, y_cols: list[str]) -> np.ndarray:
    return (
        np.ascontiguousarray(_numeric_block(part, y_cols))
        if len(part)
        else np.empty((0, len(y_cols)))
    )


def _non_nan(values: np.ndarray) -> np.ndarray:
    return np.count_nonzero(~np.isnan(values), axis=0)


def _at(found: dict[tuple[int, int, int], float], column: int, rank: int) -> float:
    return found[(column, -1, rank)]


def segment_lift(
    df: Any,
    *,
    segment: str | None,
    variant: str,
    control: Any,
    metrics: Any,
    covariates: Mapping[str, str] | None = None,
    ratios: Mapping[str, tuple[str, str]] | None = None,
    alpha: float = 0.05,
    ci_method: str = "mee",
    lift_method: str = "auto",
    adjust: str = "bh",
    expected_split: Mapping[Any, float] | None = None,
    srm_threshold: float = 0.001,
    winsorize: float | None = None,
) -> LiftReport:
    """:func:`segwise.abtest.segment_lift` on a dask DataFrame: the same report.

    Each partition's per (segment, arm, metric) sufficient statistics (count, sums and
    centred moments) come from the in-memory Rust pass; they are merged with Chan's update
    in a fixed tree on the workers, and the report is the in-memory one computed from the
    merged statistics, so it equals ``segment_lift`` on the concatenated data (to rounding
    of the merge, ~1e-15 relative). Labels are collected in a first pass (so segments and
    arms come out in the in-memory order); ``winsorize`` adds an exact distributed quantile
    per continuous metric.

    Parameters
    ----------
    df : dask DataFrame
        One row per randomization unit.
    segment, variant, control, metrics, covariates, ratios, alpha, ci_method, lift_method, \
adjust, expected_split, srm_threshold, winsorize
        As in :func:`segwise.abtest.segment_lift`.

    Returns
    -------
    LiftReport

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from segwise.dask import segment_lift
    >>> df = pd.DataFrame({"seg": ["a"] * 8 + ["b"] * 8, "arm": ["A", "B"] * 8,
    ...                    "buy": [0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1]})
    >>> rep = segment_lift(dd.from_pandas(df, npartitions=3), segment="seg", variant="arm",
    ...                    control="A", metrics=["buy"])
    >>> rep.table["abs_diff"].tolist()
    [0.25, 0.5, 0.375]
    """
    dask = require_dask()
    import dask.dataframe as dd

    params = validate_params(locals(), _LIFT_PARAMS, caller="segment_lift")
    if variant == segment:
        raise InvalidParameterError("segment and variant must be different columns")
    if not isinstance(df, dd.DataFrame):
        raise InvalidParameterError(f"df must be a dask DataFrame, got {type(df).__name__}")
    y_cols, aux_cols, aux_index, specs = _plan(
        df.columns, segment, variant, metrics, covariates, ratios
    )
    _numeric_block(df._meta, y_cols + aux_cols)  # non-numeric columns, before any pass
    arms_index, arms = collect_labels(df, variant)
    if segment is None:
        segs_index, segs = None, [OVERALL]
    else:
        segs_index, segs = collect_labels(df, segment)
    if not arms:
        raise EmptyInputError("df has no rows")
    parts = df.to_delayed()
    cols = (y_cols, aux_cols, aux_index)

    def cells(caps: dict[int, float]) -> np.ndarray:
        merged = compute(
            tree_reduce(
                [
                    dask.delayed(_cells, pure=True)(
                        p, variant, segment, arms_index, segs_index, cols, caps
                    )
                    for p in parts
                ],
                _merge_cells,
            )
        )[0]
        if merged is None:
            raise EmptyInputError("df has no rows")
        return merged.view(CELL_DTYPE).reshape(len(segs), len(arms), len(specs))

    values = cells({})
    specs = _resolve_kinds(specs, values)
    winsorize = params["winsorize"]
    if winsorize is not None:
        cont = [j for j, sp in enumerate(specs) if sp.kind in ("continuous", "cuped")]
        if cont:
            blocks = list(dask.persist(*[dask.delayed(_y_block)(p, y_cols) for p in parts]))
            n = np.sum(compute(*[dask.delayed(_non_nan)(b) for b in blocks]), axis=0)
            wanted = [j for j in cont if n[j] > 0]
            requests = list(
                dict.fromkeys(
                    (j, -1, r) for j in wanted for r in linear_ranks(int(n[j]), winsorize)
                )
            )
            found = dict(zip(requests, order_statistics(blocks, requests), strict=True))
            caps = {
                j: linear_quantile(functools.partial(_at, found, j), int(n[j]), winsorize)
                for j in wanted
            }
            values = cells(caps)
    return _report(_Stats(values, segs, arms, specs), **{k: params[k] for k in _REPORT_PARAMS})
