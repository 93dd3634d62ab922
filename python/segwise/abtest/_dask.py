"""The per-segment lift report on a dask DataFrame: the ``CellStats`` of the in-memory
pass's blocks (cut at the same rows whatever the partitions), merged in block order with
Chan's update, then the in-memory report (a pure function of them): the same bits."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
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
from ._common import merge_cells
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


@dataclass
class _Rows:
    """The kernel's inputs for consecutive rows: segment and arm codes, metrics (rows x
    metrics) and auxiliary columns (or None)."""

    seg: np.ndarray
    arm: np.ndarray
    y: np.ndarray
    x: np.ndarray | None

    def __len__(self) -> int:
        return len(self.seg)

    def take(self, start: int, stop: int) -> _Rows:
        x = None if self.x is None else self.x[start:stop]
        return _Rows(self.seg[start:stop], self.arm[start:stop], self.y[start:stop], x)

    def then(self, other: _Rows) -> _Rows:
        x = None if self.x is None or other.x is None else np.concatenate([self.x, other.x])
        return _Rows(
            np.concatenate([self.seg, other.seg]),
            np.concatenate([self.arm, other.arm]),
            np.concatenate([self.y, other.y]),
            x,
        )


@dataclass
class _Span:
    """Rows ``start..stop`` of the table, cut at the in-memory pass's block boundaries
    (multiples of ``block`` rows): the statistics of the blocks inside, in order, and the
    rows of the blocks cut off at either end (``head`` up to the first boundary, ``tail``
    from the last one). A span without a boundary (``cut`` False) is all ``head``."""

    start: int
    stop: int
    head: _Rows
    blocks: list[np.ndarray]
    tail: _Rows | None
    cut: bool


@dataclass(frozen=True)
class _Pass:
    """What every task of the statistics pass shares."""

    variant: str
    segment: str | None
    arms: pd.Index
    segs: pd.Index | None
    cols: tuple[list[str], list[str], list[int]]
    caps: dict[int, float]
    block: int

    def rows(self, part: pd.DataFrame) -> _Rows:
        """A partition's codes and columns (continuous metrics capped by ``caps``)."""
        y_cols, aux_cols, _ = self.cols
        y = _numeric_block(part, y_cols)
        if self.caps:  # capped in a copy: the partition's own columns stay as they are
            y = np.array(y, dtype=np.float64, order="F", copy=True)
        for j, cap in self.caps.items():
            col = y[:, j]
            np.minimum(col, cap, out=col, where=~np.isnan(col))
        x = _numeric_block(part, aux_cols) if aux_cols else None
        arm = label_codes(part[self.variant], self.arms)
        if self.segment is None:
            seg = np.zeros(len(part), dtype=np.int64)
        else:
            assert self.segs is not None
            seg = label_codes(part[self.segment], self.segs)
        return _Rows(seg, arm, y, x)

    def stats(self, rows: _Rows) -> np.ndarray:
        """The cell statistics of each block of ``rows`` (which start at a boundary)."""
        return core_call(  # type: ignore[no-any-return]
            "abtest_segment_arm_stats",
            rows.seg,
            rows.arm,
            rows.y,
            n_segments=1 if self.segs is None else len(self.segs),
            n_arms=len(self.arms),
            x=rows.x,
            aux_index=self.cols[2],
            block_rows=self.block,
        )

    def leaf(self, part: pd.DataFrame, start: int) -> _Span:
        """The span of one partition, its first row at ``start`` in the table."""
        rows = self.rows(part)
        stop = start + len(rows)
        first = -(-start // self.block) * self.block
        if first > stop:
            return _Span(start, stop, rows, [], None, cut=False)
        last = stop // self.block * self.block
        h, m = first - start, last - first
        blocks = [self.stats(rows.take(h, h + m))] if m else []
        return _Span(start, stop, rows.take(0, h), blocks, rows.take(h + m, len(rows)), True)

    def join(self, left: _Span, right: _Span) -> _Span:
        """Two neighbouring spans as one: rows cut off on both sides of their meeting
        point make one whole block, reduced here (on a worker)."""
        if not left.cut:
            if not right.cut:
                return _Span(left.start, right.stop, left.head.then(right.head), [], None, False)
            head = left.head.then(right.head)
            return _Span(left.start, right.stop, head, right.blocks, right.tail, True)
        assert left.tail is not None
        if not right.cut:
            tail = left.tail.then(right.head)
            return _Span(left.start, right.stop, left.head, left.blocks, tail, True)
        middle = left.tail.then(right.head)
        blocks = left.blocks + ([self.stats(middle)] if len(middle) else []) + right.blocks
        return _Span(left.start, right.stop, left.head, blocks, right.tail, True)

    def merged(self, whole: _Span) -> np.ndarray:
        """The table's statistics: its blocks (the last one, shorter, from ``tail``)
        merged in order into empty cells, as the in-memory pass merges them."""
        assert whole.cut and not len(whole.head)  # the table starts on a boundary
        blocks = list(whole.blocks)
        if whole.tail is not None and len(whole.tail):
            blocks.append(self.stats(whole.tail))
        cells = np.concatenate(blocks)
        acc = np.zeros(cells.shape[1:], dtype=CELL_DTYPE)
        for block in cells:
            acc = merge_cells(acc, block)
        return acc


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

    The in-memory pass cuts the rows into fixed blocks (2^16 rows, more above 2^24 rows)
    and merges the per (segment, arm, metric) statistics of each block (count, sums,
    centred moments) in block order with Chan's update. Here each partition reduces the
    blocks that lie inside it with the same kernel; the rows of blocks that partitions
    cut (at most a block's worth at each end of a partition) are joined with their
    neighbours' on the workers, in a fixed tree, and reduced there; the client merges the
    blocks in order. So the report equals ``segment_lift`` on the concatenated data bit
    for bit, however the data is partitioned. Labels and partition lengths are collected
    in a first pass (so segments and arms come out in the in-memory order and each
    partition knows where its rows start); ``winsorize`` adds an exact distributed
    quantile per continuous metric.

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
    lengths: list[int] = []
    arms_index, arms = collect_labels(df, variant, lengths=lengths)
    if segment is None:
        segs_index, segs = None, [OVERALL]
    else:
        segs_index, segs = collect_labels(df, segment)
    if not arms:
        raise EmptyInputError("df has no rows")
    parts = df.to_delayed()
    cols = (y_cols, aux_cols, aux_index)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).tolist()
    block = _core.abtest_block_rows(sum(lengths))

    def cells(caps: dict[int, float]) -> np.ndarray:
        # The in-memory pass's blocks, wherever the partitions cut the table: the report
        # is the in-memory one, bit for bit, on any partitioning and cluster.
        job = _Pass(variant, segment, arms_index, segs_index, cols, caps, block)
        spans = [
            dask.delayed(job.leaf, pure=True)(p, start)
            for p, start in zip(parts, starts, strict=True)
        ]
        return job.merged(compute(tree_reduce(spans, job.join))[0])

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
