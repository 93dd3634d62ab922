"""Per-segment lift report: sufficient statistics -> tidy table of lifts, CIs and p-values."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._results import (
    ResultMixin,
    Summary,
    Table,
    fmt_change,
    fmt_interval,
    fmt_number,
    fmt_pvalue,
    fmt_share,
    to_container,
)
from .._stats import distributions
from .._stats.inference import (
    P_ADJUST_METHODS,
    P_ADJUST_NAMES,
    PROBABILITY,
    decision_level,
    p_adjust,
    welch_moments,
)
from .._validation import (
    Constraints,
    Interval,
    StrOptions,
    as_pandas,
    check_choice,
    container_of,
    encode_labels,
    max_abs,
    power_of_two_scale,
    validate_params,
)
from ..exceptions import (
    ColumnNotFoundError,
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
)
from ._common import CELL_DTYPE, merge_cells
from ._cuped import _cuped_moments
from ._lift import LIFT_METHODS, _lift_arrays
from ._proportion import DIFF_CI_METHODS, _diff_ci_arrays, _pooled_z, _ratio_ci_arrays
from ._ratio import _ratio_moments
from ._srm import _srm_arrays

__all__ = ["LiftReport", "segment_lift", "lift_from_stats", "sufficient_stats"]

OVERALL = "(all)"
KINDS = ("auto", "binary", "continuous")
# What the data frame's columns are (sufficient_stats, segment_lift).
_FRAME_PARAMS: Constraints = {
    "segment": [Hashable],
    "variant": [Hashable],
    "metrics": [Mapping, Sequence],
    "covariates": [None, Mapping],
    "ratios": [None, Mapping],
}
# How the report is computed (segment_lift, lift_from_stats).
_REPORT_PARAMS: Constraints = {
    "control": [Hashable],
    "alpha": [PROBABILITY],
    "ci_method": [StrOptions(DIFF_CI_METHODS)],
    "lift_method": [StrOptions(("auto", *LIFT_METHODS))],
    "adjust": [StrOptions(P_ADJUST_METHODS)],
    "expected_split": [None, Mapping],
    "srm_threshold": [PROBABILITY],
}
_LIFT_PARAMS: Constraints = {
    **_FRAME_PARAMS,
    **_REPORT_PARAMS,
    "winsorize": [None, Interval(Real, 0, 1, closed="right")],
}
_FROM_STATS_PARAMS: Constraints = {
    **_REPORT_PARAMS,
    "segment": [Hashable],
    "variant": [Hashable],
    "metrics": [None, Mapping, Sequence],
}
# The interval bounds at the corrected level (see _report).
_ADJUSTED_COLUMNS = (
    "abs_diff_low_adj",
    "abs_diff_high_adj",
    "rel_lift_low_adj",
    "rel_lift_high_adj",
)


@dataclass(frozen=True)
class _Metric:
    name: Any  # the column label as the caller wrote it (a str, an int, a tuple...)
    kind: str  # binary | continuous | cuped | ratio
    aux: str | None = None  # covariate (cuped) or denominator (ratio)


@dataclass(frozen=True)
class _Stats:
    """Per (segment, arm, metric) moments in the core's layout, plus labels."""

    values: np.ndarray  # (S, A, M), dtype CELL_DTYPE
    segments: list[Any]
    arms: list[Any]
    metrics: list[_Metric]
    # Per metric, the power of two its values (y) and auxiliary values (x) were divided by
    # before the moments, when their squares would overflow or underflow (None: all 1).
    y_scale: np.ndarray | None = None
    x_scale: np.ndarray | None = None

    def scales(self) -> tuple[np.ndarray, np.ndarray]:
        """(y_scale, x_scale), ones where no scaling was needed."""
        ones = np.ones(len(self.metrics))
        return (
            ones if self.y_scale is None else self.y_scale,
            ones if self.x_scale is None else self.x_scale,
        )


# --------------------------------------------------------------------------- inputs


def _metric_specs(
    metrics: Any, covariates: Mapping[Any, Any] | None, ratios: Mapping[Any, tuple[Any, Any]] | None
) -> tuple[list[Any], dict[Any, str]]:
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        kinds = dict(metrics.items())
    else:  # a sequence (the callers' tables checked it)
        kinds = {m: "auto" for m in metrics}
    if len(kinds) != len(list(metrics)):
        raise InvalidParameterError("metrics has duplicate names")
    if not kinds and not ratios:
        raise InvalidParameterError("give at least one metric")
    for k, v in kinds.items():
        kinds[k] = check_choice(v, f"kind of metric {k!r}", KINDS)
    for k in covariates or {}:
        if k not in kinds:
            raise InvalidParameterError(f"covariate given for unknown metric {k!r}")
    return list(kinds), kinds


def sufficient_stats(
    df: pd.DataFrame,
    *,
    segment: str | None,
    variant: str,
    metrics: Any,
    covariates: Mapping[str, str] | None = None,
    ratios: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Per (segment, arm, metric) sufficient statistics in one parallel Rust pass.

    The returned frame is exactly what :func:`lift_from_stats` takes: ``n``, ``sum``,
    ``sum_sq`` and, for CUPED / ratio metrics, ``sum_x``, ``sum_x_sq``, ``sum_xy``; plus
    ``n_nan`` (rows left out because the value was NaN). Frames for several chunks of data
    can be concatenated and summed by (segment, variant, metric).

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.abtest import sufficient_stats
    >>> df = pd.DataFrame({"seg": ["a", "a", "b", "b"], "arm": ["A", "B", "A", "B"],
    ...                    "buy": [1, 0, 1, 1]})
    >>> sufficient_stats(df, segment="seg", variant="arm", metrics=["buy"])[["n", "sum"]].sum()
    n      4.0
    sum    3.0
    dtype: float64
    """
    validate_params(locals(), _FRAME_PARAMS, caller="sufficient_stats")
    kind = container_of(df)
    st = _stats_from_frame(as_pandas(df), segment, variant, metrics, covariates, ratios)
    return to_container(_stats_to_frame(st), kind, who="sufficient_stats")


def _stats_from_frame(
    df: Any,
    segment: str | None,
    variant: str,
    metrics: Any,
    covariates: Mapping[str, str] | None,
    ratios: Mapping[str, tuple[str, str]] | None,
    winsorize: float | None = None,
) -> _Stats:
    if not isinstance(df, pd.DataFrame):
        raise InvalidParameterError(
            f"df must be a pandas or polars DataFrame, got {type(df).__name__}"
        )
    if len(df) == 0:
        raise EmptyInputError("df has no rows")
    plan = _plan(df.columns, segment, variant, metrics, covariates, ratios)
    y_cols, aux_cols, aux_index, specs = plan
    arm = encode_labels(df[variant], name=f"column {variant!r}")
    arm_codes, arms = arm.codes, arm.uniques
    if segment is None:
        seg_codes, segs = np.zeros(len(df), dtype=np.int8), [OVERALL]
    else:
        seg = encode_labels(df[segment], name=f"column {segment!r}")
        seg_codes, segs = seg.codes, seg.uniques
    y = _numeric_block(df, y_cols)
    x = _numeric_block(df, aux_cols) if aux_cols else None

    def reduce(y: np.ndarray, x: np.ndarray | None) -> np.ndarray:
        return _core.abtest_segment_arm_stats(  # type: ignore[no-any-return]
            seg_codes,
            arm_codes,
            y,
            n_segments=len(segs),
            n_arms=len(arms),
            x=x,
            aux_index=aux_index,
        )

    try:
        values = reduce(y, x)
    except NonFiniteError:
        _raise_infinite(df, y_cols + aux_cols)
        raise
    y_scale = x_scale = None
    col_x = np.ones(0)
    if _out_of_range(values):
        # Rare: values whose squares overflow (above ~1e154) or underflow (below ~1e-154).
        # The columns, each divided by a power of two (exact; one copy), are reduced again;
        # the report converts means and differences back, and its tests, p-values and
        # lifts do not depend on the scale.
        col_y = power_of_two_scale(max_abs(y, axis=0))
        y = np.asfortranarray(y / col_y)
        if x is not None:
            col_x = power_of_two_scale(max_abs(x, axis=0))
            x = np.asfortranarray(x / col_x)
        values = reduce(y, x)
        y_scale = np.asarray(col_y, dtype=np.float64)
        x_scale = np.asarray([col_x[k] if k >= 0 else 1.0 for k in aux_index], dtype=np.float64)
    specs = _resolve_kinds(specs, values)
    if winsorize is not None:
        # Cap continuous metrics at their pooled (all segments and arms) quantile, on a
        # copy, and recompute: two passes only when asked for.
        cont = [j for j, sp in enumerate(specs) if sp.kind in ("continuous", "cuped")]
        if cont:
            y = np.array(y, dtype=np.float64, order="F", copy=True)
            for j in cont:
                col = y[:, j]
                if np.isnan(col).all():
                    continue
                cap = float(np.nanquantile(col, winsorize))
                np.minimum(col, cap, out=col, where=~np.isnan(col))
            values = reduce(y, x)
    return _Stats(values, segs, arms, specs, y_scale, x_scale)


def _out_of_range(values: np.ndarray) -> bool:
    """Whether the moments of a metric (or its auxiliary column) overflowed, or its values
    are so large or small that their squares may have
    (:func:`segwise._validation.power_of_two_scale`)."""
    n = np.maximum(values["count"], 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        # per metric: the largest |mean| or root mean squared deviation over the cells
        sizes = np.asarray(
            [
                np.fmax(np.abs(values[f"sum_{v}"]) / n, np.sqrt(values[f"m2_{v}"] / n)).max(
                    axis=(0, 1), initial=0.0
                )
                for v in ("y", "x")
            ]
        )
    return bool((~np.isfinite(sizes)).any() or (power_of_two_scale(sizes) != 1.0).any())


def _raise_infinite(df: pd.DataFrame, cols: list[Any]) -> None:
    """Name the columns holding infinity, with counts and the first row's label (the core
    only knows positions)."""
    parts = []
    for c in dict.fromkeys(cols):
        values = df[c].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isinf(values)
        if bad.any():
            first = df.index[int(np.argmax(bad))]
            parts.append(
                f"{c!r} ({int(bad.sum())} of {len(values)} rows, first at index {first!r})"
            )
    if parts:
        raise NonFiniteError(
            "metric values must be finite (NaN is dropped per metric, infinity is an error); "
            "infinity in column(s) " + "; ".join(parts)
        )


def _plan(
    columns: Any,
    segment: str | None,
    variant: str,
    metrics: Any,
    covariates: Mapping[str, str] | None,
    ratios: Mapping[str, tuple[str, str]] | None,
) -> tuple[list[str], list[str], list[int], list[_Metric]]:
    """Which columns feed the statistics: ``(y columns, auxiliary columns, auxiliary index
    per metric (-1: none), metric specs)``, after checking they exist in ``columns``
    (:class:`~segwise.exceptions.ColumnNotFoundError`) and are not repeated there."""
    names, kinds = _metric_specs(metrics, covariates, ratios)
    covariates = dict(covariates or {})
    ratios = dict(ratios or {})
    needed = [variant] + ([segment] if segment is not None else []) + names
    needed += list(covariates.values()) + [c for pair in ratios.values() for c in pair]
    columns = pd.Index(columns)
    missing = [c for c in dict.fromkeys(needed) if c not in columns]
    if missing:
        raise ColumnNotFoundError(f"columns not found in df: {missing}")
    repeated = (
        []
        if columns.is_unique
        else [c for c in dict.fromkeys(needed) if columns.get_indexer_for([c]).size > 1]
    )
    if repeated:
        raise InvalidParameterError(
            f"df has more than one column named {repeated}; give each column a unique name "
            "(e.g. df.loc[:, ~df.columns.duplicated()])"
        )
    y_cols = names + [num for num, _ in ratios.values()]
    aux_cols: list[str] = []
    aux_index: list[int] = []
    specs: list[_Metric] = []
    for m in names:
        if m in covariates:
            aux_cols.append(covariates[m])
            aux_index.append(len(aux_cols) - 1)
            specs.append(_Metric(m, "cuped", covariates[m]))
        else:
            aux_index.append(-1)
            specs.append(_Metric(m, kinds[m]))
    for rname, (_, den) in ratios.items():
        aux_cols.append(den)
        aux_index.append(len(aux_cols) - 1)
        specs.append(_Metric(str(rname), "ratio", den))
    return y_cols, aux_cols, aux_index, specs


def _numeric_block(df: pd.DataFrame, cols: list[Any]) -> np.ndarray:
    bad = [
        c
        for c in cols
        if not (
            pd.api.types.is_numeric_dtype(df[c].dtype) or pd.api.types.is_bool_dtype(df[c].dtype)
        )
    ]
    if bad:
        raise InvalidParameterError(f"metric columns must be numeric, got non-numeric {bad}")
    # One float64 block; a homogeneous float frame may come back without a copy (F order),
    # which the core reads through strides.
    return df[cols].to_numpy(dtype=np.float64, na_value=np.nan)


def _resolve_kinds(specs: list[_Metric], values: np.ndarray) -> list[_Metric]:
    out = []
    for j, s in enumerate(specs):
        nonbin = values[:, :, j]["n_nonbinary"].sum()
        if s.kind == "binary" and nonbin > 0:
            raise InvalidParameterError(
                f"metric {s.name!r} is declared binary but has {int(nonbin)} value(s) other "
                "than 0 and 1"
            )
        if s.kind == "auto":
            s = _Metric(s.name, "binary" if nonbin == 0 else "continuous")
        out.append(s)
    return out


def _stats_to_frame(st: _Stats) -> pd.DataFrame:
    v = st.values
    S, A, M = v.shape
    # (segment, arm, metric) of each flat cell, metric fastest (C order)
    seg_of, arm_of, met_of = (i.reshape(-1) for i in np.indices((S, A, M)))
    flat = v.reshape(-1)
    n = flat["count"]
    y_scale, x_scale = st.scales()
    sy, sx = np.tile(y_scale, S * A), np.tile(x_scale, S * A)  # per flat cell (metric last)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_y = np.where(n > 0, flat["sum_y"] / n, 0.0)
        mean_x = np.where(n > 0, flat["sum_x"] / n, 0.0)
    seg = np.array(st.segments, dtype=object)[seg_of]
    arm = np.array(st.arms, dtype=object)[arm_of]
    met = [st.metrics[j] for j in met_of]
    with np.errstate(over="ignore"):  # back in the caller's units, which may not fit
        return pd.DataFrame(
            {
                "segment": seg,
                "variant": arm,
                "metric": [m.name for m in met],
                "kind": [m.kind for m in met],
                "n": n,
                "sum": flat["sum_y"] * sy,
                "sum_sq": (flat["m2_y"] + mean_y * flat["sum_y"]) * sy * sy,
                "sum_x": flat["sum_x"] * sx,
                "sum_x_sq": (flat["m2_x"] + mean_x * flat["sum_x"]) * sx * sx,
                "sum_xy": (flat["c_xy"] + mean_x * flat["sum_y"]) * sx * sy,
                "n_nan": flat["n_nan"],
            }
        )


def _stats_from_table(
    stats: pd.DataFrame, segment: str | None, variant: str, metrics: Any
) -> _Stats:
    if not isinstance(stats, pd.DataFrame):
        raise InvalidParameterError("stats must be a pandas or polars DataFrame")
    if len(stats) == 0:
        raise EmptyInputError("stats has no rows")
    need = [variant, "metric", "n", "sum", "sum_sq"] + ([segment] if segment else [])
    missing = [c for c in need if c not in stats.columns]
    if missing:
        raise InvalidParameterError(f"stats is missing column(s) {missing}")
    num = stats[["n", "sum", "sum_sq"]].to_numpy(dtype=float)
    n = num[:, 0]
    if not np.isfinite(num).all():
        bad = ~np.isfinite(num)
        cols = [c for c, b in zip(("n", "sum", "sum_sq"), bad.any(axis=0), strict=True) if b]
        metrics_hit = list(pd.unique(stats["metric"].to_numpy()[bad.any(axis=1)]))
        raise NonFiniteError(
            f"stats has NaN or infinite {cols} for metric(s) {metrics_hit}: sums of squares "
            "of values above ~1e154 do not fit in float64; divide the metric by a constant "
            "before aggregating (or use segment_lift on the rows)"
        )
    bad = (n < 0) | (n != np.round(n))
    if bad.any():
        raise InvalidParameterError(
            f"n must be a non-negative integer; {int(bad.sum())} row(s) are not "
            f"(e.g. {n[bad][0]!r})"
        )
    has_x = all(c in stats.columns for c in ("sum_x", "sum_x_sq", "sum_xy"))
    segs = list(pd.unique(stats[segment])) if segment else [OVERALL]
    arms = list(pd.unique(stats[variant]))
    if isinstance(metrics, str):
        metrics = [metrics]
    if metrics is None:
        metrics = list(pd.unique(stats["metric"]))
    kinds = dict(metrics) if isinstance(metrics, Mapping) else {m: "auto" for m in metrics}
    if "kind" in stats.columns:
        for m, k in stats.groupby("metric")["kind"].first().items():
            if kinds.get(m) == "auto" and k in ("binary", "continuous", "cuped", "ratio"):
                kinds[m] = k
    names = list(kinds)
    values = np.zeros((len(segs), len(arms), len(names)), dtype=CELL_DTYPE)
    s_idx = {s: i for i, s in enumerate(segs)}
    a_idx = {a: i for i, a in enumerate(arms)}
    m_idx = {m: i for i, m in enumerate(names)}
    unknown = set(pd.unique(stats["metric"])) - set(names)
    if unknown:
        raise InvalidParameterError(f"stats has metrics not listed in metrics: {sorted(unknown)}")
    keys = stats[[segment, variant, "metric"]] if segment else stats[[variant, "metric"]]
    if keys.duplicated().any():
        raise InvalidParameterError("stats has duplicate (segment, variant, metric) rows")
    # Plain per-column arrays: column names need not be Python identifiers.
    seg_col = stats[segment].to_numpy() if segment else None
    arm_col = stats[variant].to_numpy()
    met_col = stats["metric"].to_numpy()
    extra = {
        c: stats[c].to_numpy(dtype=float)
        for c in ("sum_x", "sum_x_sq", "sum_xy", "n_nan")
        if c in stats.columns
    }
    # Sums of values above ~1e154 (or below ~1e-154) are divided by a power of two per
    # metric (exact; new arrays, the caller's frame is untouched) so that the centred
    # moments below neither overflow nor underflow.
    row_metric = np.asarray([m_idx.get(m, 0) for m in met_col], dtype=np.int64)
    y_scale = _table_scale(num[:, 1], num[:, 2], n, row_metric, len(names))
    num = np.column_stack(
        [n, num[:, 1] / y_scale[row_metric], num[:, 2] / y_scale[row_metric] / y_scale[row_metric]]
    )
    x_scale = np.ones(len(names))
    if has_x:
        x_scale = _table_scale(extra["sum_x"], extra["sum_x_sq"], n, row_metric, len(names))
        row_x, row_y = x_scale[row_metric], y_scale[row_metric]
        extra["sum_x"] = extra["sum_x"] / row_x
        extra["sum_x_sq"] = extra["sum_x_sq"] / row_x / row_x
        extra["sum_xy"] = extra["sum_xy"] / row_x / row_y
    for r in range(len(stats)):
        rec = {c: v[r] for c, v in extra.items()}
        rec["metric"] = met_col[r]
        i = s_idx[seg_col[r]] if seg_col is not None else 0
        cell = values[i, a_idx[arm_col[r]], m_idx[met_col[r]]]
        nn, sy, syy = num[r]
        cell["count"], cell["sum_y"] = nn, sy
        cell["m2_y"] = max(syy - sy * sy / nn, 0.0) if nn > 0 else 0.0
        if nn > 0 and syy - sy * sy / nn < -1e-9 * max(abs(syy), 1.0):
            raise InvalidParameterError(
                f"inconsistent stats for {rec['metric']!r}: sum_sq < sum**2 / n"
            )
        if has_x and np.isfinite([rec["sum_x"], rec["sum_x_sq"], rec["sum_xy"]]).all():
            sx = float(rec["sum_x"])
            cell["sum_x"] = sx
            if nn > 0:
                cell["m2_x"] = max(float(rec["sum_x_sq"]) - sx * sx / nn, 0.0)
                cell["c_xy"] = float(rec["sum_xy"]) - sx * sy / nn
        if "n_nan" in stats.columns:
            cell["n_nan"] = float(rec["n_nan"])
        # binary = every value 0/1 <=> sum of squares equals the sum (an integer count);
        # relative tolerance for sums written out in decimal by another system.
        tol = 1e-9 * max(1.0, abs(sy))
        binary = abs(syy - sy) <= tol and abs(sy - round(sy)) <= tol and 0 <= sy <= nn
        cell["n_nonbinary"] = 0.0 if binary else 1.0
        if binary:
            cell["sum_y"] = round(sy)
    specs = []
    for m in names:
        k = kinds[m]
        if k in ("cuped", "ratio") and not has_x:
            raise InvalidParameterError(
                f"metric {m!r} of kind {k!r} needs sum_x, sum_x_sq, sum_xy columns"
            )
        specs.append(_Metric(m, k))
    return _Stats(values, segs, arms, _resolve_kinds(specs, values), y_scale, x_scale)


def _table_scale(
    sums: np.ndarray, sums_sq: np.ndarray, n: np.ndarray, metric: np.ndarray, n_metrics: int
) -> np.ndarray:
    """Per metric, the power of two its pre-aggregated sums are divided by (1 unless the
    values' size, |mean| or root mean square, is outside the safe range)."""
    rows = np.maximum(n, 1.0)
    per_row = np.fmax(np.abs(sums) / rows, np.sqrt(np.abs(sums_sq)) / np.sqrt(rows))
    size = np.zeros(n_metrics)
    np.fmax.at(size, metric, np.nan_to_num(per_row, nan=0.0))
    return np.asarray(power_of_two_scale(size), dtype=np.float64).reshape(n_metrics)


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, repr=False)
class LiftReport(ResultMixin):
    """Per-segment A/B lift report.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per segment x metric x treatment arm, plus one ``"(all)"`` row per metric x
        arm (all segments pooled). See :func:`segment_lift` for the columns.
    heterogeneity : pandas.DataFrame
        Per metric x arm: Cochran's Q across segments on the absolute difference, its
        p-value, ``I^2`` and the Simpson's-paradox flag.
    stats : pandas.DataFrame
        The sufficient statistics the report was computed from.
    warnings : list of str
        Report-level warnings (SRM, Simpson's paradox).

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.abtest import segment_lift
    >>> df = pd.DataFrame({"seg": ["a"] * 8 + ["b"] * 8, "arm": ["A", "B"] * 8,
    ...                    "buy": [0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1]})
    >>> rep = segment_lift(df, segment="seg", variant="arm", control="A", metrics=["buy"])
    >>> print(rep.table[["segment", "mean_control", "mean_treatment"]].to_string(index=False))
    segment  mean_control  mean_treatment
          a         0.500            0.75
          b         0.250            0.75
      (all)         0.375            0.75
    """

    table: pd.DataFrame
    heterogeneity: pd.DataFrame
    stats: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    alpha: float = 0.05
    adjust: str = "bh"

    def _levels(self) -> list[str]:
        """How the shown intervals are adjusted, one line per family of rows."""
        t = self.table
        name = P_ADJUST_NAMES.get(self.adjust, self.adjust)
        lines = []
        for label, rows in (
            ("segment rows", t[t["segment"] != OVERALL]),
            ("(all) rows", t[t["segment"] == OVERALL]),
        ):
            if len(rows) and rows["ci_level_adj"].notna().any():
                level = float(rows["ci_level_adj"].dropna().iloc[0])
                lines.append(
                    f"{label}: {len(rows)} comparisons, {int(rows['significant'].sum())} "
                    f"significant; intervals at {_fmt_level(level)}"
                )
        head = [
            f"Significance: {name}-adjusted p <= {self.alpha:g}. The intervals are at the level",
            f"{name} decides at: a row is significant (*) exactly when its interval excludes 0.",
        ]
        return [*head, *(f"  {line}" for line in lines)]

    def _display(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The summary columns, formatted: rates as percentages, lifts as signed ones."""
        binary = (rows["kind"] == "binary").to_numpy()

        def mean(v: Any, is_rate: bool) -> str:
            return fmt_share(v, 2) if is_rate else fmt_number(v)

        return pd.DataFrame(
            {
                "segment": rows["segment"].astype(str).to_numpy(),
                "treatment": rows["treatment"].astype(str).to_numpy(),
                "control": [mean(v, b) for v, b in zip(rows["mean_control"], binary, strict=True)],
                "treated": [
                    mean(v, b) for v, b in zip(rows["mean_treatment"], binary, strict=True)
                ],
                "lift": [fmt_change(v) for v in rows["rel_lift"]],
                "interval": [
                    fmt_interval(lo, hi, fmt_change)
                    for lo, hi in zip(
                        rows["rel_lift_low_adj"], rows["rel_lift_high_adj"], strict=True
                    )
                ],
                "p adj.": [fmt_pvalue(v) for v in rows["pvalue_adj"]],
                "": np.where(rows["significant"].to_numpy(bool), "*", ""),
            },
            index=rows.index,
        )

    def _summary(self) -> Summary:
        t = self.table
        title = (
            f"Lift report: {t['segment'].nunique() - 1} segment(s), "
            f"{t['metric'].nunique()} metric(s), {t['treatment'].nunique()} treatment "
            f"arm(s); {len(t)} rows"
        )
        tables = []
        for metric, rows in t.groupby("metric", sort=False):
            kind = str(rows["kind"].iloc[0])
            tables.append(
                Table(
                    self._display(rows),
                    caption=f"{metric} ({'rate' if kind == 'binary' else kind})",
                    index=False,
                    cell_attrs=_mark_significant(rows),
                )
            )
        return Summary(
            title,
            lines=self._levels(),
            tables=tables,
            after=[
                "control / treated: means (rates for 0/1 metrics); lift: treated / control - 1;"
                " interval: of the lift, adjusted; p adj.: adjusted p-value"
            ],
            warnings=self.warnings,
        )

    def plot(
        self,
        metric: str | None = None,
        *,
        relative: bool = True,
        adjusted: bool = True,
        ax: Any = None,
    ) -> Any:
        """Forest plot of the lift and its interval per segment and treatment arm, for one
        metric.

        The intervals are the adjusted ones (``adjusted=True``, the default): the same test
        and the same multiple-testing correction as the red "significant" colour, so a red
        row's interval excludes 0 and a grey row's does not. ``adjusted=False`` draws the
        unadjusted ``1 - alpha`` intervals (then colour and interval disagree whenever the
        correction changes a decision). Unbounded intervals (Fieller's, when the control
        mean is not significantly different from 0) are drawn as a dotted line across.

        Needs matplotlib (``pip install "segwise[plot]"``). Returns the matplotlib Axes.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.abtest import segment_lift
        >>> df = pd.DataFrame({"seg": ["a"] * 8 + ["b"] * 8, "arm": ["A", "B"] * 8,
        ...                    "buy": [0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1]})
        >>> rep = segment_lift(df, segment="seg", variant="arm", control="A", metrics=["buy"])
        >>> ax = rep.plot()  # doctest: +SKIP
        """
        t = self.table
        metric = metric if metric is not None else t["metric"].iloc[0]
        if metric not in set(t["metric"]):
            raise InvalidParameterError(f"unknown metric {metric!r}")
        t = t[t["metric"] == metric]
        est = "rel_lift" if relative else "abs_diff"
        suffix = "_adj" if adjusted else ""
        lo, hi = f"{est}_low{suffix}", f"{est}_high{suffix}"
        ax = self._axes(ax, figsize=(7, 0.4 * len(t) + 1.6))
        labels = [f"{s} | {a}" for s, a in zip(t["segment"], t["treatment"], strict=True)]
        y = np.arange(len(t))[::-1]
        e = t[est].to_numpy(float)
        low, high = t[lo].to_numpy(float), t[hi].to_numpy(float)
        sig = t["significant"].to_numpy(bool)
        name = P_ADJUST_NAMES.get(self.adjust, self.adjust)
        unbounded = np.isfinite(e) & ~(np.isfinite(low) & np.isfinite(high))
        for yi, ei, lo_i, hi_i, s_i, unb in zip(y, e, low, high, sig, unbounded, strict=True):
            colour = "tab:red" if s_i else "tab:gray"
            if unb:
                ax.axhline(yi, color=colour, ls=":", lw=1)
                ax.plot([ei], [yi], "o", color=colour)
            else:
                ax.errorbar(
                    ei, yi, xerr=[[ei - lo_i], [hi_i - ei]], fmt="o", color=colour, capsize=3
                )
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        if relative:
            ax.xaxis.set_major_formatter(_percent_formatter())
        what = "relative lift" if relative else "difference"
        if adjusted:
            overall = (t["segment"] == OVERALL).to_numpy()
            levels = [
                f"{_fmt_level(float(t.loc[rows, 'ci_level_adj'].iloc[0]))} {label}"
                for rows, label in ((~overall, "segments"), (overall, "(all)"))
                if rows.any() and t.loc[rows, "ci_level_adj"].notna().any()
            ]
            level = f"{name}-adjusted intervals, " + ", ".join(levels)
        else:
            level = f"{1 - self.alpha:.0%} intervals (unadjusted)"
        ax.set_xlabel(f"{what} of {metric}: {level}")
        handles = [
            _legend_handle(ax, "tab:red", f"significant ({name}, alpha={self.alpha:g})"),
            _legend_handle(ax, "tab:gray", "not significant"),
        ]
        ax.legend(handles=handles, fontsize=8, loc="best")
        return ax


def _fmt_level(level: float) -> str:
    """A confidence level as a percentage with the digits that tell levels apart."""
    for digits in range(5):
        text = f"{level:.{digits}%}"
        exact = round(level * 100, digits) == round(level * 100, 9)
        if exact or (digits > 0 and not text.startswith("100")):
            return text
    return f"{level:.5%}"


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0)


def _legend_handle(ax: Any, colour: str, label: str) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], marker="o", color=colour, label=label)


def _mark_significant(table: pd.DataFrame) -> Any:
    """Significant rows stand out in the HTML summary (their lift and interval in red)."""
    significant = table["significant"]

    def attrs(label: Any, column: Any, _: Any) -> dict[str, str] | None:
        if column in ("lift", "interval", "") and bool(significant.loc[label]):
            return {"style": "font-weight:bold;color:#a01010"}
        return None

    return attrs


def segment_lift(
    df: pd.DataFrame,
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
    """Per-segment lift of every treatment arm against the control, for several metrics.

    One parallel Rust pass computes per (segment, arm) sufficient statistics; everything
    else is a pure function of them (:func:`lift_from_stats` gives the same report from
    statistics aggregated elsewhere).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per randomization unit (customer).
    segment : str or None
        Segment column (None: only the overall rows).
    variant : str
        Arm column; every arm other than ``control`` is compared with it (A/B/n).
    control : label
        The control arm's label in ``variant``.
    metrics : list of str or dict
        Metric columns. Kinds are detected (only 0/1 values -> "binary", else
        "continuous") or declared with a dict ``{"converted": "binary", "spend":
        "continuous"}``; a declared binary metric with other values is an error.
    covariates : dict, optional
        ``{metric: pre_period_column}``: CUPED for those metrics (pooled theta).
    ratios : dict, optional
        ``{name: (numerator, denominator)}``: ratio metrics with the delta method (e.g.
        revenue per order with customers randomized).
    alpha : float, default 0.05
        For all intervals and the significance flag (on adjusted p-values).
    ci_method : {"mee", "newcombe", "wald", "agresti-caffo", "score"}
        Interval for a difference of proportions. The default, Mee's score interval,
        inverts the pooled z-test of the row (see :func:`proportions_diff_ci`).
    lift_method : {"auto", "delta", "log", "fieller"}
        Interval for the relative lift. "auto" (default) takes the interval that inverts
        the row's own test: Koopman's score interval of the ratio of proportions for
        binary metrics, Fieller's interval of the ratio of means for the others (with the
        t quantile and Welch's df for continuous and CUPED metrics, the normal quantile for
        ratio metrics). "delta", "log" and "fieller" apply that method to every metric,
        with the quantile of the row's test (t with Welch's df for t-tested metrics, as
        GrowthBook does).
    adjust : {"bh", "by", "holm", "hochberg", "hommel", "bonferroni", "sidak"}
        Multiple-testing correction over all segment rows (segments x metrics x arms); the
        overall rows form their own family. See :func:`adjust_pvalues`.
    expected_split : dict, optional
        Planned share per arm for the sample-ratio-mismatch test (equal by default).
    srm_threshold : float, default 0.001
        SRM is flagged when its p-value is below this and every arm has >= 8 units.
    winsorize : float, optional
        E.g. 0.99: cap continuous (and CUPED) metrics at this quantile of all their values
        (every segment and arm pooled) before the statistics; the same cap for all arms.

    Returns
    -------
    LiftReport
        ``.table`` columns: segment, metric, kind, treatment, control, n_control,
        n_treatment, sum_control, sum_treatment, mean_control, mean_treatment, abs_diff,
        abs_diff_low, abs_diff_high, rel_lift, rel_lift_low, rel_lift_high, statistic,
        pvalue, pvalue_adj, significant, ci_level_adj, abs_diff_low_adj,
        abs_diff_high_adj, rel_lift_low_adj, rel_lift_high_adj, prob_beat_control (binary
        metrics: exact Beta(1, 1)-binomial posterior probability that the treatment rate
        is higher),
        srm_pvalue, srm_flag, n_nan_control,
        n_nan_treatment, method, warnings.

    Notes
    -----
    NaN policy: a NaN metric value (or NaN covariate/denominator) drops that row for that
    metric only; the counts are in ``n_nan_*`` and in ``warnings``. Infinity is an error.
    An arm with no rows in a segment gives a row with NaN statistics and a reason.
    Tests: binary -> pooled z (= chi-square), interval ``ci_method``; continuous and CUPED
    -> Welch t with Welch–Satterthwaite df; ratio -> delta-method z.
    The "(all)" rows pool every segment (exact merge of the statistics); their p-values
    are adjusted as a family of their own.

    *Intervals and decisions agree.* ``abs_diff_low``/``high`` and ``rel_lift_low``/``high``
    are ``1 - alpha`` intervals that match ``pvalue``; the ``*_adj`` intervals are the
    same intervals at level ``ci_level_adj``, the per-comparison level at which the
    correction decides (:func:`segwise._stats.inference.decision_level`): Bonferroni
    ``alpha / m``, Sidak ``1 - (1 - alpha)^(1/m)``, BH ``R alpha / m`` and BY
    ``R alpha / (m sum 1/i)`` (Benjamini & Yekutieli's 2005 false-coverage-rate intervals,
    ``R`` the number of significant rows), Holm and Hochberg ``alpha / (m - R)``, Hommel
    ``alpha / j``. With the default methods a row is ``significant`` exactly when its
    adjusted intervals exclude 0; ``summary()`` and ``plot()`` show those. Bonferroni and
    Sidak intervals are simultaneous (all cover together with probability ``1 - alpha``);
    BH and BY intervals control the expected share of non-covering intervals among the
    significant rows; the step-wise methods' intervals match the decisions only.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.abtest import segment_lift
    >>> df = pd.DataFrame({"seg": ["a"] * 8 + ["b"] * 8, "arm": ["A", "B"] * 8,
    ...                    "buy": [0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1]})
    >>> rep = segment_lift(df, segment="seg", variant="arm", control="A", metrics=["buy"])
    >>> print(rep.table[["segment", "kind", "abs_diff"]].to_string(index=False))
    segment   kind  abs_diff
          a binary     0.250
          b binary     0.500
      (all) binary     0.375
    """
    params = validate_params(locals(), _LIFT_PARAMS, caller="segment_lift")
    if variant == segment:
        raise InvalidParameterError("segment and variant must be different columns")
    df = as_pandas(df)
    st = _stats_from_frame(df, segment, variant, metrics, covariates, ratios, params["winsorize"])
    return _report(st, **{name: params[name] for name in _REPORT_PARAMS})


def lift_from_stats(
    stats: pd.DataFrame,
    *,
    segment: str | None = "segment",
    variant: str = "variant",
    control: Any,
    metrics: Any = None,
    alpha: float = 0.05,
    ci_method: str = "mee",
    lift_method: str = "auto",
    adjust: str = "bh",
    expected_split: Mapping[Any, float] | None = None,
    srm_threshold: float = 0.001,
) -> LiftReport:
    """The :func:`segment_lift` report from pre-aggregated sufficient statistics.

    Parameters
    ----------
    stats : pandas.DataFrame
        One row per segment x variant x metric with columns ``metric``, ``n``, ``sum``,
        ``sum_sq`` (sum of squares) and, for CUPED/ratio metrics, ``sum_x``, ``sum_x_sq``,
        ``sum_xy``; optional ``kind`` and ``n_nan``. E.g. from SQL:
        ``COUNT(y), SUM(y), SUM(y*y)`` grouped by segment and arm.
    segment, variant : str
        Column names in ``stats`` (``segment=None`` for one segment).
    control, metrics, alpha, ci_method, lift_method, adjust, expected_split, srm_threshold
        As in :func:`segment_lift`. ``metrics`` defaults to every metric in ``stats``.

    Returns
    -------
    LiftReport

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.abtest import lift_from_stats
    >>> stats = pd.DataFrame({"segment": ["all", "all"], "variant": ["A", "B"],
    ...                       "metric": ["buy", "buy"], "n": [1000, 1000],
    ...                       "sum": [100, 130], "sum_sq": [100, 130]})
    >>> rep = lift_from_stats(stats, control="A")
    >>> round(float(rep.table["pvalue"].iloc[0]), 4)
    0.0355
    """
    params = validate_params(locals(), _FROM_STATS_PARAMS, caller="lift_from_stats")
    st = _stats_from_table(as_pandas(stats), segment, variant, metrics)
    return _report(st, **{name: params[name] for name in _REPORT_PARAMS})


def _with_overall(values: np.ndarray) -> np.ndarray:
    """Append the pooled (all segments) slice, merged in segment order."""
    acc = values[0].copy()
    for s in range(1, values.shape[0]):
        acc = merge_cells(acc, values[s])
    return np.concatenate([values, acc[None]], axis=0)


def _report(
    st: _Stats,
    control: Any,
    alpha: float,
    ci_method: str,
    lift_method: str,
    adjust: str,
    expected_split: Mapping[Any, float] | None,
    srm_threshold: float,
) -> LiftReport:
    arms = st.arms
    if control not in arms:
        raise InvalidParameterError(f"unknown control label {control!r}; arms are {arms}")
    if len(arms) < 2:
        raise InvalidParameterError(f"need at least 2 arms, got only {arms}")
    c = arms.index(control)
    treatments = [a for a in range(len(arms)) if a != c]
    if expected_split is None:
        split = np.ones(len(arms))
    else:
        unknown = set(expected_split) - set(arms)
        if unknown or set(arms) - set(expected_split):
            raise InvalidParameterError(
                f"expected_split must give a share for every arm {arms}, got {list(expected_split)}"
            )
        split = np.array([float(expected_split[a]) for a in arms])
        if not (np.isfinite(split).all() and (split > 0).all()):
            raise InvalidParameterError("expected_split shares must be positive")
    if st.segments == [OVERALL]:  # no segment column: the overall rows only
        v, segs = st.values, [OVERALL]
    else:
        v = _with_overall(st.values)
        segs = list(st.segments) + [OVERALL]
    # SRM on units per arm (rows, NaN or not) of the first metric; per segment and overall.
    units = v[:, :, 0]["count"] + v[:, :, 0]["n_nan"]
    srm_stat, srm_p = _srm_arrays(units, split)
    srm_p = np.where(units.sum(axis=1) > 0, srm_p, np.nan)
    srm_flag = (srm_p < srm_threshold) & (units >= 8).all(axis=1)

    y_scale, x_scale = st.scales()
    blocks = [
        (j, m, t, (float(y_scale[j]), float(x_scale[j])))
        for j, m in enumerate(st.metrics)
        for t in treatments
    ]
    # The rows come block by block (metric by metric, arm by arm), each block segment by
    # segment: columns are built per block and concatenated, never row by row.
    parts = [
        _metric_rows(
            v[:, t, j], v[:, c, j], m, segs, arms[t], control, alpha, ci_method, lift_method, scale
        )
        for j, m, t, scale in blocks
    ]
    columns: dict[str, Any] = {
        name: np.concatenate([part[name] for part in parts])
        if isinstance(parts[0][name], np.ndarray)
        else [x for part in parts for x in part[name]]
        for name in parts[0]
    }
    # Per segment position, tiled over the blocks: the first segment equal to it (as a
    # lookup by label would find) and whether it is the pooled row.
    first = np.array([segs.index(s) for s in segs], dtype=np.intp)
    columns["srm_pvalue"] = np.tile(np.asarray(srm_p, float)[first], len(blocks))
    columns["srm_flag"] = np.tile(np.asarray(srm_flag, bool)[first], len(blocks))
    is_all = np.tile(np.array([bool(s == OVERALL) for s in segs], dtype=bool), len(blocks))
    p = columns["pvalue"]
    adj = np.empty_like(p)
    level = np.empty_like(p)
    for mask in (~is_all, is_all):
        adj[mask] = p_adjust(p[mask], adjust)
        level[mask] = decision_level(p[mask], adjust, alpha)
    columns["pvalue_adj"] = adj
    columns["significant"] = np.where(np.isnan(adj), False, adj <= alpha)
    # The intervals of the decision: each row's own intervals at the per-comparison level
    # the correction decides at (rows come metric by metric, arm by arm, segment by
    # segment), so a row is significant exactly when they exclude the null.
    columns["ci_level_adj"] = 1.0 - level
    adjusted = []
    for b, (j, m, t, scale) in enumerate(blocks):
        rows = slice(b * len(segs), (b + 1) * len(segs))
        a = _metric_arrays(v[:, t, j], v[:, c, j], m, level[rows], ci_method, lift_method, scale)
        good = np.asarray(a["enough"], bool)
        adjusted.append(np.where(good, np.vstack([a["lo"], a["hi"], a["llo"], a["lhi"]]), np.nan))
    bounds = np.concatenate(adjusted, axis=1)
    for name, values in zip(_ADJUSTED_COLUMNS, bounds, strict=True):
        columns[name] = values
    report_warnings: list[str] = []
    for i, s in enumerate(segs):
        if srm_flag[i]:
            msg = (
                f"sample-ratio mismatch in segment {s!r} (p={srm_p[i]:.2g}): arm sizes "
                f"{units[i].astype(int).tolist()} vs planned split {split.tolist()}"
            )
            report_warnings.append(msg)
            same = np.tile(np.array([bool(x == s) for x in segs], dtype=bool), len(blocks))
            columns["warnings"] = [
                _join(w, "sample-ratio mismatch") if hit else w
                for w, hit in zip(columns["warnings"], same, strict=True)
            ]
    het = _heterogeneity(
        columns, is_all, [(m.name, arms[t]) for _, m, t, _ in blocks], report_warnings
    )
    order = [
        "segment",
        "metric",
        "kind",
        "treatment",
        "control",
        "n_control",
        "n_treatment",
        "sum_control",
        "sum_treatment",
        "mean_control",
        "mean_treatment",
        "abs_diff",
        "abs_diff_low",
        "abs_diff_high",
        "rel_lift",
        "rel_lift_low",
        "rel_lift_high",
        "statistic",
        "pvalue",
        "pvalue_adj",
        "significant",
        "ci_level_adj",
        "abs_diff_low_adj",
        "abs_diff_high_adj",
        "rel_lift_low_adj",
        "rel_lift_high_adj",
        "prob_beat_control",
        "srm_pvalue",
        "srm_flag",
        "n_nan_control",
        "n_nan_treatment",
        "method",
        "warnings",
    ]
    table = pd.DataFrame({name: columns[name] for name in order})
    return LiftReport(table, het, _stats_to_frame(st), report_warnings, alpha, adjust)


def _join(a: str, b: str) -> str:
    return b if not a else f"{a}; {b}"


def _metric_arrays(
    tr: np.ndarray,
    co: np.ndarray,
    m: _Metric,
    alpha: Any,
    ci_method: str,
    lift_method: str,
    scale: tuple[float, float] = (1.0, 1.0),
) -> dict[str, Any]:
    """One metric and one treatment arm over all segments (vectorized): the test of each
    row and its intervals at level ``1 - alpha`` (``alpha`` may be one level per row).

    With the default methods every interval inverts the row's own test, so it excludes
    the null exactly when the test rejects at ``alpha``: binary -> pooled z, Mee's score
    interval of the difference and Koopman's of the ratio; continuous and CUPED -> Welch
    t, and Fieller's interval of the ratio with the same Welch df; ratio metrics ->
    delta-method z and Fieller's interval with the normal quantile.

    ``scale``: the powers of two the metric's values and auxiliary values were divided by
    (:class:`_Stats`); sums, means, differences and their intervals are given back in the
    caller's units.
    """
    n1, n2 = tr["count"], co["count"]
    S = n1.shape[0]
    alpha = np.broadcast_to(np.asarray(alpha, float), (S,))
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m2 = tr["sum_y"] / n1, co["sum_y"] / n2
        v1, v2 = tr["m2_y"] / (n1 - 1), co["m2_y"] / (n2 - 1)
    reasons = [""] * S
    prob = np.full(S, np.nan)
    relative = "fieller" if lift_method == "auto" else lift_method
    with np.errstate(divide="ignore", invalid="ignore"):
        if m.kind == "binary":
            ok = (n1 > 0) & (n2 > 0)
            # Rows without both arms get a placeholder 0/1 table (their values are dropped).
            x1, x2 = np.where(ok, tr["sum_y"], 0.0), np.where(ok, co["sum_y"], 0.0)
            s1n, s2n = np.where(ok, n1, 1), np.where(ok, n2, 1)
            lo, hi, _, _, deg = _diff_ci_arrays(x1, s1n, x2, s2n, alpha, ci_method)
            stat = _pooled_z(x1, s1n, x2, s2n)
            pval = 2 * np.asarray(distributions.norm_sf(np.abs(stat)), float)
            diff = m1 - m2
            se1, se2 = np.sqrt(m1 * (1 - m1) / n1), np.sqrt(m2 * (1 - m2) / n2)
            se = np.hypot(se1, se2)  # unpooled, for the heterogeneity test
            if lift_method == "auto":
                rlo, rhi = _ratio_ci_arrays(x1, s1n, x2, s2n, alpha)
                zero = x2 == 0
                lift = np.where(zero, np.nan, m1 / m2 - 1)
                llo, lhi = np.where(zero, np.nan, rlo - 1), np.where(zero, np.nan, rhi - 1)
                lreason = np.where(zero, "control rate is 0: relative lift undefined", "")
                lname = "Koopman"
            else:
                lift, _, llo, lhi, lreason = _lift_arrays(m1, se1, m2, se2, alpha, lift_method)
                lname = lift_method
            method = f"pooled z; {ci_method} CI; {lname} lift"
            if ok.any():
                prob[ok] = _core.abtest_prob_b_beats_a(
                    np.ascontiguousarray(x2[ok] + 1),
                    np.ascontiguousarray(n2[ok] - x2[ok] + 1),
                    np.ascontiguousarray(x1[ok] + 1),
                    np.ascontiguousarray(n1[ok] - x1[ok] + 1),
                )
            for k in np.flatnonzero(deg & ok):
                reasons[k] = _join(reasons[k], "degenerate: all 0 or all 1 in both arms")
            enough = ok
        elif m.kind in ("continuous", "cuped"):
            if m.kind == "cuped":
                r = _cuped_moments(
                    n1,
                    tr["sum_y"],
                    tr["sum_x"],
                    tr["m2_y"],
                    tr["m2_x"],
                    tr["c_xy"],
                    n2,
                    co["sum_y"],
                    co["sum_x"],
                    co["m2_y"],
                    co["m2_x"],
                    co["c_xy"],
                )
                diff, se, df = r["diff"], r["se"], r["df"]
            else:
                diff, se, df = welch_moments(m1, v1, n1, m2, v2, n2)
            df_ok = np.where(np.isfinite(df), df, 1.0)
            q = np.asarray(distributions.t_isf(alpha / 2, df_ok), float)
            # The lift interval uses the same t quantile (computed once) unless a df is
            # infinite or not positive, which _lift_arrays replaces differently.
            same_df = np.array_equal(df_ok, np.where(np.asarray(df, float) > 0, df, 1.0))
            z = q if same_df else None
            if m.kind == "cuped":
                # lift = diff / mean2 = (diff + mean2) / mean2 - 1: a ratio of correlated
                # estimates, Cov(diff, mean2) = r["cov"].
                vb = v2 / n2
                num = diff + m2
                lift, _, llo, lhi, lreason = _lift_arrays(
                    num,
                    np.sqrt(np.maximum(se**2 + vb + 2 * r["cov"], 0.0)),
                    m2,
                    np.sqrt(vb),
                    alpha,
                    relative,
                    cov=r["cov"] + vb,
                    df=df,
                    z=z,
                )
                method = f"CUPED ({m.aux}) Welch t" if m.aux else "CUPED Welch t"
            else:
                lift, _, llo, lhi, lreason = _lift_arrays(
                    m1, np.sqrt(v1 / n1), m2, np.sqrt(v2 / n2), alpha, relative, df=df, z=z
                )
                method = "Welch t"
            method += f"; {relative} lift (Welch df)"
            stat = diff / se
            pval = 2 * np.asarray(distributions.t_sf(np.abs(stat), df_ok))
            lo, hi = diff - q * se, diff + q * se
            enough = (n1 >= 2) & (n2 >= 2)
            zero_var = enough & ~(se > 0)
            stat = np.where(zero_var, np.where(diff == 0, 0.0, np.sign(diff) * np.inf), stat)
            pval = np.where(zero_var, np.where(diff == 0, 1.0, 0.0), pval)
            lo = np.where(zero_var, diff, lo)
            hi = np.where(zero_var, diff, hi)
            for k in np.flatnonzero(zero_var):
                reasons[k] = _join(reasons[k], "zero variance in both arms")
        else:  # ratio
            r1, s1 = _ratio_moments(
                n1, tr["sum_y"], tr["sum_x"], v1, tr["m2_x"] / (n1 - 1), tr["c_xy"] / (n1 - 1)
            )
            r2, s2 = _ratio_moments(
                n2, co["sum_y"], co["sum_x"], v2, co["m2_x"] / (n2 - 1), co["c_xy"] / (n2 - 1)
            )
            diff = r1 - r2
            se = np.hypot(s1, s2)
            stat = diff / se
            pval = 2 * np.asarray(distributions.norm_sf(np.abs(stat)), float)
            z = np.asarray(distributions.norm_isf(alpha / 2), float)
            lo, hi = diff - z * se, diff + z * se
            lift, _, llo, lhi, lreason = _lift_arrays(r1, s1, r2, s2, alpha, relative)
            m1, m2 = r1, r2
            method = f"ratio ({m.aux}) delta method" if m.aux else "ratio delta method"
            method += f"; {relative} lift"
            enough = (n1 >= 2) & (n2 >= 2)
            no_denominator = enough & ((tr["sum_x"] == 0) | (co["sum_x"] == 0))
            for k in np.flatnonzero(no_denominator):
                reasons[k] = _join(
                    reasons[k], f"denominator {m.aux!r} sums to 0 in an arm: ratio undefined"
                )
            enough = enough & ~no_denominator
    unit = {"binary": 1.0, "ratio": scale[0] / scale[1]}.get(m.kind, scale[0])
    if unit != 1.0:
        with np.errstate(over="ignore", invalid="ignore"):
            m1, m2, diff, lo, hi, se = (
                np.asarray(a, float) * unit for a in (m1, m2, diff, lo, hi, se)
            )
    return {
        "n1": n1,
        "n2": n2,
        "m1": m1,
        "m2": m2,
        "sum1": tr["sum_y"] * scale[0],
        "sum2": co["sum_y"] * scale[0],
        "diff": diff,
        "lo": lo,
        "hi": hi,
        "lift": lift,
        "llo": llo,
        "lhi": lhi,
        "lreason": lreason,
        "stat": stat,
        "pval": pval,
        "se": se,
        "prob": prob,
        "reasons": reasons,
        "enough": enough,
        "method": method,
    }


def _metric_rows(
    tr: np.ndarray,
    co: np.ndarray,
    m: _Metric,
    segs: list[Any],
    tname: Any,
    cname: Any,
    alpha: float,
    ci_method: str,
    lift_method: str,
    scale: tuple[float, float] = (1.0, 1.0),
) -> dict[str, Any]:
    """The columns of the rows for one metric and one treatment arm over all segments, at
    level ``1 - alpha`` (``scale``: see :func:`_metric_arrays`): arrays, and lists for the
    labels and texts. Values of a row without enough data are NaN."""
    a = _metric_arrays(tr, co, m, alpha, ci_method, lift_method, scale)
    n1, n2, enough, lreason = a["n1"], a["n2"], a["enough"], a["lreason"]
    nn1, nn2 = tr["n_nan"], co["n_nan"]
    size = len(segs)
    warnings = []
    for i in range(size):
        reason = a["reasons"][i]
        if n1[i] == 0 or n2[i] == 0:
            missing = [str(x) for x, k in ((tname, n1[i]), (cname, n2[i])) if k == 0]
            reason = _join(reason, f"arm {', '.join(missing)} has no data in this segment")
        elif not enough[i]:
            reason = _join(reason, "fewer than 2 units in an arm")
        if str(lreason[i]) and enough[i]:
            reason = _join(reason, str(lreason[i]))
        if nn1[i] + nn2[i] > 0:
            reason = _join(
                reason,
                f"{int(nn1[i] + nn2[i])} NaN value(s) dropped ({int(nn2[i])} control, "
                f"{int(nn1[i])} treatment)",
            )
        warnings.append(reason)
    good = np.asarray(enough, bool)

    def val(x: Any) -> np.ndarray:
        return np.where(good, np.broadcast_to(np.asarray(x, float), (size,)), np.nan)

    def column(x: Any) -> np.ndarray:
        return np.array(np.broadcast_to(np.asarray(x, float), (size,)))

    return {
        "segment": list(segs),
        "metric": [m.name] * size,
        "kind": [m.kind] * size,
        "treatment": [tname] * size,
        "control": [cname] * size,
        "n_control": np.asarray(n2).astype(np.int64),
        "n_treatment": np.asarray(n1).astype(np.int64),
        "sum_control": column(a["sum2"]),
        "sum_treatment": column(a["sum1"]),
        "mean_control": np.where(n2 > 0, column(a["m2"]), np.nan),
        "mean_treatment": np.where(n1 > 0, column(a["m1"]), np.nan),
        "abs_diff": val(a["diff"]),
        "abs_diff_low": val(a["lo"]),
        "abs_diff_high": val(a["hi"]),
        "rel_lift": val(a["lift"]),
        "rel_lift_low": val(a["llo"]),
        "rel_lift_high": val(a["lhi"]),
        "statistic": val(a["stat"]),
        "pvalue": np.minimum(val(a["pval"]), 1.0),
        "n_nan_control": np.asarray(nn2).astype(np.int64),
        "n_nan_treatment": np.asarray(nn1).astype(np.int64),
        "method": [a["method"]] * size,
        "prob_beat_control": column(a["prob"]),
        "warnings": warnings,
        "_se": val(a["se"]),
    }


def _heterogeneity(
    columns: Mapping[str, Any],
    is_all: np.ndarray,
    blocks: Sequence[tuple[Any, Any]],
    report_warnings: list[str],
) -> pd.DataFrame:
    """Cochran's Q across segments per metric x arm, and the Simpson's-paradox check, from
    the report's columns: ``blocks`` gives the (metric, arm) of each block of rows (all of
    one size), ``is_all`` marks the pooled rows."""
    size = len(is_all) // max(len(blocks), 1)
    # Blocks grouped by (metric, arm) in order of appearance, as a groupby of the table
    # would (missing keys left out).
    groups: dict[tuple[Any, Any], list[int]] = {}
    for b, key in enumerate(blocks):
        if not any(pd.isna(k) is True for k in key):
            groups.setdefault(key, []).append(b)
    diffs, ses = columns["abs_diff"], columns["_se"]
    rows = []
    for (metric, arm), members in groups.items():
        where = np.concatenate([np.arange(b * size, (b + 1) * size) for b in members])
        seg = where[~is_all[where]]
        allrow = where[is_all[where]]
        d = diffs[seg]
        se = ses[seg]
        ok = np.isfinite(d) & np.isfinite(se) & (se > 0)
        # Q does not depend on the unit: weights 1 / se^2 are formed on d and se divided
        # by a power of two, so that they neither overflow nor underflow.
        unit = power_of_two_scale(np.max(se[ok], initial=0.0))
        d, se = d / unit, se / unit
        Q = pval = i2 = np.nan
        if ok.sum() >= 2:
            w = 1 / se[ok] ** 2
            pooled = (w * d[ok]).sum() / w.sum()
            Q = float((w * (d[ok] - pooled) ** 2).sum())
            dfq = int(ok.sum() - 1)
            pval = float(distributions.chi2_sf(Q, float(dfq)))
            i2 = max(0.0, (Q - dfq) / Q) if Q > 0 else 0.0
        overall = float(diffs[allrow[0]]) if len(allrow) else np.nan
        signs = np.sign(d[np.isfinite(d)])
        simpson = bool(
            len(signs) >= 2
            and np.isfinite(overall)
            and overall != 0
            and (signs != 0).all()
            and (signs == -np.sign(overall)).all()
        )
        if simpson:
            report_warnings.append(
                f"Simpson's paradox for {metric!r} ({arm} vs control): the pooled difference "
                f"({overall:+.4g}) has the opposite sign of every segment's"
            )
        rows.append(
            {
                "metric": metric,
                "treatment": arm,
                "q": Q,
                "pvalue": pval,
                "i2": i2,
                "n_segments": int(ok.sum()),
                "simpson_paradox": simpson,
            }
        )
    return pd.DataFrame(rows)
