"""Per-segment lift report: sufficient statistics -> tidy table of lifts, CIs and p-values."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._results import ResultMixin, Summary, Table
from .._stats import distributions
from .._stats.inference import P_ADJUST_METHODS, PROBABILITY, p_adjust, welch_moments
from .._validation import (
    Constraints,
    Interval,
    StrOptions,
    check_choice,
    encode_labels,
    validate_params,
)
from ..exceptions import (
    EmptyInputError,
    InvalidParameterError,
    NonFiniteError,
)
from ._cuped import _cuped_moments
from ._lift import LIFT_METHODS, _lift_arrays
from ._proportion import DIFF_CI_METHODS, _diff_ci_arrays, _pooled_z
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
    "lift_method": [StrOptions(LIFT_METHODS)],
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
# The columns of the text and HTML summaries.
_SUMMARY_COLUMNS = [
    "segment",
    "metric",
    "treatment",
    "mean_control",
    "mean_treatment",
    "rel_lift",
    "rel_lift_low",
    "rel_lift_high",
    "pvalue_adj",
    "significant",
]
# The core's per-cell statistics (`CellStats` in src/core/abtest/suffstats.rs), named as
# there: a structured array with one float64 field per statistic.
CELL_FIELDS = ("count", "sum_y", "m2_y", "sum_x", "m2_x", "c_xy", "n_nan", "n_nonbinary")
CELL_DTYPE = np.dtype([(f, np.float64) for f in CELL_FIELDS])


@dataclass(frozen=True)
class _Metric:
    name: str
    kind: str  # binary | continuous | cuped | ratio
    aux: str | None = None  # covariate (cuped) or denominator (ratio)


@dataclass(frozen=True)
class _Stats:
    """Per (segment, arm, metric) moments in the core's layout, plus labels."""

    values: np.ndarray  # (S, A, M), dtype CELL_DTYPE
    segments: list[Any]
    arms: list[Any]
    metrics: list[_Metric]


# --------------------------------------------------------------------------- inputs


def _metric_specs(
    metrics: Any, covariates: Mapping[str, str] | None, ratios: Mapping[str, tuple[str, str]] | None
) -> tuple[list[str], dict[str, str]]:
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        kinds = {str(k): v for k, v in metrics.items()}
    else:  # a sequence (the callers' tables checked it)
        kinds = {str(m): "auto" for m in metrics}
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
    st = _stats_from_frame(df, segment, variant, metrics, covariates, ratios)
    return _stats_to_frame(st)


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
        raise InvalidParameterError(f"df must be a pandas DataFrame, got {type(df).__name__}")
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
    values = _core.abtest_segment_arm_stats(
        seg_codes, arm_codes, y, n_segments=len(segs), n_arms=len(arms), x=x, aux_index=aux_index
    )
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
            values = _core.abtest_segment_arm_stats(
                seg_codes,
                arm_codes,
                y,
                n_segments=len(segs),
                n_arms=len(arms),
                x=x,
                aux_index=aux_index,
            )
    return _Stats(values, segs, arms, specs)


def _plan(
    columns: Any,
    segment: str | None,
    variant: str,
    metrics: Any,
    covariates: Mapping[str, str] | None,
    ratios: Mapping[str, tuple[str, str]] | None,
) -> tuple[list[str], list[str], list[int], list[_Metric]]:
    """Which columns feed the statistics: ``(y columns, auxiliary columns, auxiliary index
    per metric (-1: none), metric specs)``, after checking they exist in ``columns``."""
    names, kinds = _metric_specs(metrics, covariates, ratios)
    covariates = dict(covariates or {})
    ratios = dict(ratios or {})
    needed = [variant] + ([segment] if segment is not None else []) + names
    needed += list(covariates.values()) + [c for pair in ratios.values() for c in pair]
    missing = [c for c in dict.fromkeys(needed) if c not in columns]
    if missing:
        raise InvalidParameterError(f"columns not found in df: {missing}")
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


def _numeric_block(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
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
    idx = pd.MultiIndex.from_product([range(S), range(A), range(M)])
    flat = v.reshape(-1)
    n = flat["count"]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_y = np.where(n > 0, flat["sum_y"] / n, 0.0)
        mean_x = np.where(n > 0, flat["sum_x"] / n, 0.0)
    seg = np.array(st.segments, dtype=object)[idx.get_level_values(0)]
    arm = np.array(st.arms, dtype=object)[idx.get_level_values(1)]
    met = [st.metrics[j] for j in idx.get_level_values(2)]
    out = pd.DataFrame(
        {
            "segment": seg,
            "variant": arm,
            "metric": [m.name for m in met],
            "kind": [m.kind for m in met],
            "n": n,
            "sum": flat["sum_y"],
            "sum_sq": flat["m2_y"] + mean_y * flat["sum_y"],
            "sum_x": flat["sum_x"],
            "sum_x_sq": flat["m2_x"] + mean_x * flat["sum_x"],
            "sum_xy": flat["c_xy"] + mean_x * flat["sum_y"],
            "n_nan": flat["n_nan"],
        }
    )
    return out


def _stats_from_table(
    stats: pd.DataFrame, segment: str | None, variant: str, metrics: Any
) -> _Stats:
    if not isinstance(stats, pd.DataFrame):
        raise InvalidParameterError("stats must be a pandas DataFrame")
    if len(stats) == 0:
        raise EmptyInputError("stats has no rows")
    need = [variant, "metric", "n", "sum", "sum_sq"] + ([segment] if segment else [])
    missing = [c for c in need if c not in stats.columns]
    if missing:
        raise InvalidParameterError(f"stats is missing column(s) {missing}")
    num = stats[["n", "sum", "sum_sq"]].to_numpy(dtype=float)
    n = num[:, 0]
    if not np.isfinite(num).all():
        raise NonFiniteError("stats has NaN or infinite n/sum/sum_sq")
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
    return _Stats(values, segs, arms, _resolve_kinds(specs, values))


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

    def _summary(self) -> Summary:
        t = self.table
        title = (
            f"Lift report: {t['segment'].nunique() - 1} segment(s), "
            f"{t['metric'].nunique()} metric(s), {t['treatment'].nunique()} treatment "
            f"arm(s); alpha={self.alpha} (adjusted p-values, {len(t)} rows)"
        )
        table = Table(t[_SUMMARY_COLUMNS], index=False, cell_attrs=_mark_significant)
        return Summary(title, tables=[table], warnings=self.warnings)

    def plot(self, metric: str | None = None, *, relative: bool = True, ax: Any = None) -> Any:
        """Forest plot of the lift and its CI per segment and treatment arm, for one metric.

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
        est, lo, hi = (
            ("rel_lift", "rel_lift_low", "rel_lift_high")
            if relative
            else ("abs_diff", "abs_diff_low", "abs_diff_high")
        )
        ax = self._axes(ax, figsize=(6, 0.4 * len(t) + 1.2))
        labels = [f"{s} | {a}" for s, a in zip(t["segment"], t["treatment"], strict=True)]
        y = np.arange(len(t))[::-1]
        e = t[est].to_numpy(float)
        err = np.vstack([e - t[lo].to_numpy(float), t[hi].to_numpy(float) - e])
        colors = np.where(t["significant"].to_numpy(bool), "tab:red", "tab:gray")
        for yi, ei, lo_e, hi_e, c in zip(y, e, err[0], err[1], colors, strict=True):
            ax.errorbar(ei, yi, xerr=[[lo_e], [hi_e]], fmt="o", color=c, capsize=3)
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_xlabel(("relative lift" if relative else "difference") + f" of {metric}")
        return ax


def _mark_significant(_: Any, column: Any, value: Any) -> dict[str, str] | None:
    """Significant rows stand out in the HTML summary."""
    if column == "significant" and value:
        return {"style": "font-weight:bold;color:#a01010"}
    return None


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
    ci_method: str = "newcombe",
    lift_method: str = "delta",
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
    ci_method : {"newcombe", "wald", "agresti-caffo", "score"}
        Interval for a difference of proportions.
    lift_method : {"delta", "log", "fieller"}
        Interval for the relative lift (binary and continuous metrics).
    adjust : {"bh", "holm", "bonferroni"}
        Multiple-testing correction over all segment rows (segments x metrics x arms); the
        overall rows form their own family.
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
        pvalue, pvalue_adj, significant, prob_beat_control (binary metrics: exact
        Beta(1, 1)-binomial posterior probability that the treatment rate is higher),
        srm_pvalue, srm_flag, n_nan_control,
        n_nan_treatment, method, warnings.

    Notes
    -----
    NaN policy: a NaN metric value (or NaN covariate/denominator) drops that row for that
    metric only; the counts are in ``n_nan_*`` and in ``warnings``. Infinity is an error.
    An arm with no rows in a segment gives a row with NaN statistics and a reason.
    Tests: binary -> pooled z (= chi-square), interval ``ci_method``; continuous and CUPED
    -> Welch t with Welch–Satterthwaite df; ratio -> delta-method z. Relative lifts use
    normal intervals (for binary metrics with the binomial variance ``p (1 - p) / n``).
    The "(all)" rows pool every segment (exact merge of the statistics); their p-values
    are adjusted as a family of their own.

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
    ci_method: str = "newcombe",
    lift_method: str = "delta",
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
    st = _stats_from_table(stats, segment, variant, metrics)
    return _report(st, **{name: params[name] for name in _REPORT_PARAMS})


def _with_overall(values: np.ndarray) -> np.ndarray:
    """Append the pooled (all segments) slice, merged in segment order (Chan)."""
    S = values.shape[0]
    acc = values[0].copy()
    for s in range(1, S):
        b = values[s]
        na, nb = acc["count"], b["count"]
        n = na + nb
        with np.errstate(divide="ignore", invalid="ignore"):
            dy = np.where((na > 0) & (nb > 0), b["sum_y"] / nb - acc["sum_y"] / na, 0.0)
            dx = np.where((na > 0) & (nb > 0), b["sum_x"] / nb - acc["sum_x"] / na, 0.0)
            f = np.where(n > 0, na * nb / n, 0.0)
        acc["m2_y"] += b["m2_y"] + dy * dy * f
        acc["m2_x"] += b["m2_x"] + dx * dx * f
        acc["c_xy"] += b["c_xy"] + dx * dy * f
        for k in ("count", "sum_y", "sum_x", "n_nan", "n_nonbinary"):
            acc[k] += b[k]
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

    rows: list[dict[str, Any]] = []
    for j, m in enumerate(st.metrics):
        for t in treatments:
            rows.extend(
                _metric_rows(
                    v[:, t, j], v[:, c, j], m, segs, arms[t], control, alpha, ci_method, lift_method
                )
            )
    table = pd.DataFrame(rows)
    table["srm_pvalue"] = np.array([srm_p[segs.index(s)] for s in table["segment"]], float)
    table["srm_flag"] = np.array([srm_flag[segs.index(s)] for s in table["segment"]], bool)
    is_all = (table["segment"] == OVERALL).to_numpy()
    p = table["pvalue"].to_numpy(float)
    adj = np.empty_like(p)
    for mask in (~is_all, is_all):
        adj[mask] = p_adjust(p[mask], adjust)
    table["pvalue_adj"] = adj
    table["significant"] = np.where(np.isnan(adj), False, adj <= alpha)
    report_warnings: list[str] = []
    for i, s in enumerate(segs):
        if srm_flag[i]:
            msg = (
                f"sample-ratio mismatch in segment {s!r} (p={srm_p[i]:.2g}): arm sizes "
                f"{units[i].astype(int).tolist()} vs planned split {split.tolist()}"
            )
            report_warnings.append(msg)
            sel = (table["segment"] == s).to_numpy()
            table.loc[sel, "warnings"] = [
                _join(w, "sample-ratio mismatch") for w in table.loc[sel, "warnings"]
            ]
    het = _heterogeneity(table, report_warnings)
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
        "prob_beat_control",
        "srm_pvalue",
        "srm_flag",
        "n_nan_control",
        "n_nan_treatment",
        "method",
        "warnings",
    ]
    return LiftReport(table[order], het, _stats_to_frame(st), report_warnings, alpha)


def _join(a: str, b: str) -> str:
    return b if not a else f"{a}; {b}"


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
) -> list[dict[str, Any]]:
    """Rows for one metric and one treatment arm over all segments (vectorized)."""
    n1, n2 = tr["count"], co["count"]
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m2 = tr["sum_y"] / n1, co["sum_y"] / n2
        v1, v2 = tr["m2_y"] / (n1 - 1), co["m2_y"] / (n2 - 1)
    reasons = [""] * len(segs)
    prob = np.full(len(segs), np.nan)
    z = float(distributions.norm_isf(alpha / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        if m.kind == "binary":
            x1, x2 = tr["sum_y"], co["sum_y"]
            ok = (n1 > 0) & (n2 > 0)
            s1n, s2n = np.where(ok, n1, 1), np.where(ok, n2, 1)
            lo, hi, _, _, deg = _diff_ci_arrays(x1, s1n, x2, s2n, alpha, ci_method)
            stat = _pooled_z(x1, s1n, x2, s2n)
            pval = 2 * np.asarray(distributions.norm_sf(np.abs(stat)), float)
            diff = m1 - m2
            se1, se2 = np.sqrt(m1 * (1 - m1) / n1), np.sqrt(m2 * (1 - m2) / n2)
            se = np.hypot(se1, se2)  # unpooled, for the heterogeneity test
            lift, _, llo, lhi, lreason = _lift_arrays(m1, se1, m2, se2, alpha, lift_method)
            method = f"pooled z; {ci_method} CI; {lift_method} lift"
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
                undefined = m2 == 0
                lift = np.where(undefined, np.nan, r["rel"])
                lse = r["rel_se"]
                llo, lhi = lift - z * lse, lift + z * lse
                lreason = np.where(undefined, "control mean is 0: relative lift undefined", "")
                method = f"CUPED ({m.aux}) Welch t" if m.aux else "CUPED Welch t"
            else:
                diff, se, df = welch_moments(m1, v1, n1, m2, v2, n2)
                lift, _, llo, lhi, lreason = _lift_arrays(
                    m1, np.sqrt(v1 / n1), m2, np.sqrt(v2 / n2), alpha, lift_method
                )
                method = f"Welch t; {lift_method} lift"
            stat = diff / se
            df_ok = np.where(np.isfinite(df), df, 1.0)
            pval = 2 * np.asarray(distributions.t_sf(np.abs(stat), df_ok))
            q = np.asarray(distributions.t_isf(alpha / 2, df_ok), float)
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
            lo, hi = diff - z * se, diff + z * se
            lift, _, llo, lhi, lreason = _lift_arrays(r1, s1, r2, s2, alpha, lift_method)
            m1, m2 = r1, r2
            method = f"ratio ({m.aux}) delta method" if m.aux else "ratio delta method"
            enough = (n1 >= 2) & (n2 >= 2)
    out = []
    for i, s in enumerate(segs):
        reason = reasons[i]
        if n1[i] == 0 or n2[i] == 0:
            missing = [str(a) for a, k in ((tname, n1[i]), (cname, n2[i])) if k == 0]
            reason = _join(reason, f"arm {', '.join(missing)} has no data in this segment")
        elif not enough[i]:
            reason = _join(reason, "fewer than 2 units in an arm")
        if str(lreason[i]) and enough[i]:
            reason = _join(reason, str(lreason[i]))
        nn1, nn2 = tr["n_nan"][i], co["n_nan"][i]
        if nn1 + nn2 > 0:
            reason = _join(
                reason,
                f"{int(nn1 + nn2)} NaN value(s) dropped ({int(nn2)} control, {int(nn1)} treatment)",
            )
        good = bool(enough[i])

        def val(a: Any, i: int = i, good: bool = good) -> float:
            x = float(np.asarray(a, float)[i]) if np.ndim(a) else float(a)
            return x if good else np.nan

        out.append(
            {
                "segment": s,
                "metric": m.name,
                "kind": m.kind,
                "treatment": tname,
                "control": cname,
                "n_control": int(n2[i]),
                "n_treatment": int(n1[i]),
                "sum_control": float(co["sum_y"][i]),
                "sum_treatment": float(tr["sum_y"][i]),
                "mean_control": float(m2[i]) if n2[i] > 0 else np.nan,
                "mean_treatment": float(m1[i]) if n1[i] > 0 else np.nan,
                "abs_diff": val(diff),
                "abs_diff_low": val(lo),
                "abs_diff_high": val(hi),
                "rel_lift": val(lift),
                "rel_lift_low": val(llo),
                "rel_lift_high": val(lhi),
                "statistic": val(stat),
                "pvalue": min(val(pval), 1.0) if good else np.nan,
                "n_nan_control": int(nn2),
                "n_nan_treatment": int(nn1),
                "method": method,
                "prob_beat_control": float(prob[i]),
                "warnings": reason,
                "_se": val(se),
            }
        )
    return out


def _heterogeneity(table: pd.DataFrame, report_warnings: list[str]) -> pd.DataFrame:
    """Cochran's Q across segments per metric x arm, and the Simpson's-paradox check."""
    rows = []
    for (metric, arm), g in table.groupby(["metric", "treatment"], sort=False):
        seg = g[g["segment"] != OVERALL]
        allrow = g[g["segment"] == OVERALL]
        d = seg["abs_diff"].to_numpy(float)
        se = seg["_se"].to_numpy(float)
        ok = np.isfinite(d) & np.isfinite(se) & (se > 0)
        Q = pval = i2 = np.nan
        if ok.sum() >= 2:
            w = 1 / se[ok] ** 2
            pooled = (w * d[ok]).sum() / w.sum()
            Q = float((w * (d[ok] - pooled) ** 2).sum())
            dfq = int(ok.sum() - 1)
            pval = float(distributions.chi2_sf(Q, float(dfq)))
            i2 = max(0.0, (Q - dfq) / Q) if Q > 0 else 0.0
        overall = float(allrow["abs_diff"].iloc[0]) if len(allrow) else np.nan
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
