"""Segment profiles and personas: what makes each segment different from everyone else.

:func:`profile_segments` takes the customer table and the segment labels and returns a
:class:`SegmentProfile`: per segment its size and share; per segment x feature the mean,
median, index against the population, standardized difference, a segment-vs-rest Welch
t-test with Benjamini-Hochberg control across all cells, flexclust's marker-variable rule,
and a generated short name and one-line description per segment.

The grouped moments and medians come from one pass of the Rust core over the data
(parallel over features); the tests and names are small vectorized functions of them.

Examples
--------
>>> import pandas as pd
>>> from segwise.profile import profile_segments
>>> df = pd.DataFrame({"spend": [10.0, 12, 11, 90, 95, 100],
...                    "visits": [1.0, 2, 1, 8, 9, 7]})
>>> prof = profile_segments(df, ["a", "a", "a", "b", "b", "b"])
>>> prof.segments[["size", "share"]]
         size  share
segment
a           3    0.5
b           3    0.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._results import ResultMixin, Summary, Table, fmt_count, fmt_number
from ._stats.inference import PROBABILITY, p_adjust, pvalue_from_stat, welch_moments
from ._validation import (
    Constraints,
    Interval,
    Pair,
    StrOptions,
    check_array,
    encode_labels,
    validate_params,
)
from .exceptions import (
    ColumnNotFoundError,
    InvalidParameterError,
    ShapeMismatchError,
)

__all__ = ["SegmentProfile", "profile_segments"]

_PARAMS: Constraints = {
    "features": [None, Iterable],
    "alpha": [PROBABILITY],
    "marker_diff": [Pair(Interval(Real, 0, None, closed="left"))],
    "descriptors": [None, Mapping],
    "name_terms": [Interval(Integral, 1, None, closed="left")],
    "missing": [StrOptions(["drop", "raise"])],
    "unit": [str],
}

TABLE_COLUMNS = [
    "segment",
    "feature",
    "n",
    "mean",
    "median",
    "sd",
    "population_mean",
    "index",
    "std_diff",
    "t",
    "df",
    "pvalue",
    "pvalue_adj",
    "significant",
    "marker",
]


@dataclass(frozen=True, eq=False, repr=False)
class SegmentProfile(ResultMixin):
    """Profiles of the segments of a customer table (see :func:`profile_segments`).

    Attributes
    ----------
    segments : pandas.DataFrame
        The segment table, indexed by segment label (sorted): ``size``, ``share``,
        ``name``, ``description``, then ``mean_<feature>`` for every feature.
    table : pandas.DataFrame
        The tidy long table, one row per segment x feature: ``segment``, ``feature``,
        ``n`` (non-missing values), ``mean``, ``median``, ``sd``, ``population_mean``,
        ``index`` (segment mean / population mean x 100), ``std_diff`` ((segment mean -
        population mean) / population sd), Welch's ``t``, ``df`` and ``pvalue`` for the
        segment against the rest, ``pvalue_adj`` (Benjamini-Hochberg over all cells),
        ``significant`` (``pvalue_adj <= alpha``) and ``marker`` (flexclust's rule).
    population : pandas.DataFrame
        Indexed by feature: ``n``, ``n_missing``, ``mean``, ``median``, ``sd``.
    notes : list of str
        What the numbers cannot say (missing values dropped, an index undefined...).
    alpha : float
        False discovery rate level of ``significant``.
    marker_diff : tuple of float
        The two thresholds of the marker rule.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.profile import profile_segments
    >>> df = pd.DataFrame({"spend": [10.0, 12, 11, 90, 95, 100, 50, 55],
    ...                    "visits": [1.0, 2, 1, 8, 9, 7, 4, 5]})
    >>> prof = profile_segments(df, [0, 0, 0, 1, 1, 1, 2, 2])
    >>> prof.wide("index").round(1)
    feature  spend  visits
    segment
    0         20.8    28.8
    1        179.7   173.0
    2         99.3    97.3
    >>> print(prof.summary().splitlines()[0])
    Segment profile: 3 segments, 2 feature(s), 8 customers
    >>> two = profile_segments(pd.DataFrame({"x": [1.0, 2, 5, 6]}), [0, 0, 1, 1])
    >>> print(two.summary().splitlines()[0])
    Segment profile: 2 segments, 1 feature(s), 4 customers
    """

    segments: pd.DataFrame
    table: pd.DataFrame
    population: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    alpha: float = 0.05
    marker_diff: tuple[float, float] = (0.25, 0.5)

    def wide(self, value: str = "std_diff") -> pd.DataFrame:
        """One column of :attr:`table` as a segment x feature DataFrame.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.profile import profile_segments
        >>> prof = profile_segments(pd.DataFrame({"x": [1.0, 2, 5, 6]}), [0, 0, 1, 1])
        >>> prof.wide("mean")
        feature    x
        segment
        0        1.5
        1        5.5
        """
        if value not in self.table.columns or value in ("segment", "feature"):
            raise InvalidParameterError(
                f"value must be a column of the profile table, got {value!r}"
            )
        features = list(self.population.index)
        out = self.table.pivot(index="segment", columns="feature", values=value)
        out = out.reindex(index=self.segments.index, columns=features)
        out.columns.name = "feature"
        return out

    def _summary(self) -> Summary:
        seg = self.segments
        means = self.wide("mean")
        std = self.wide("std_diff")
        index = self.wide("index")
        marker = self.wide("marker").astype(bool)
        significant = self.wide("significant").astype(bool)
        stars = np.where(significant, "*", " ")
        flags = np.where(marker & (std > 0), " +", np.where(marker & (std < 0), " -", "  "))
        cells = means.map(fmt_number) + stars + flags
        population = pd.DataFrame(
            [[f"{fmt_number(v)}   " for v in self.population["mean"]]],
            index=["(all)"],
            columns=means.columns,
        )

        def heat(label: Any, feature: Any, _: Any) -> dict[str, str] | None:
            if label not in std.index:  # the population row
                return None
            z = float(std.loc[label, feature])
            style = f"background:{_heat_color(z)}"
            if marker.loc[label, feature]:
                style += ";font-weight:bold"
            return {"style": style, "title": _heat_title(z, index.loc[label, feature])}

        means_table = Table(
            pd.concat([cells, population]).rename_axis("segment"),
            caption="Means (+/- marks a marker variable above/below the population, "
            "* a significant difference)",
            cell_attrs=heat,
            row_attrs=_population_row_rule,
        )
        return Summary(
            f"Segment profile: {len(seg)} segments, {len(self.population)} feature(s), "
            f"{fmt_count(seg['size'].sum())} customers",
            lines=[
                f"markers: |std diff| >= {self.marker_diff[0]:g} or |relative diff| >= "
                f"{self.marker_diff[1]:g} (flexclust); significance: Welch segment vs rest, "
                f"BH FDR {self.alpha:g}",
                "",
                *(f"[{label}] {row['description']}" for label, row in seg.iterrows()),
                "",
            ],
            tables=[means_table],
            after=[f"NOTE: {note}" for note in self.notes],
        )

    def plot(self, ax: Any = None, *, value: str = "std_diff") -> Any:
        """Heat map of the standardized differences (segments x features), means annotated.

        Needs matplotlib (``pip install "segwise[plot]"``). Returns the matplotlib Axes.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.profile import profile_segments
        >>> prof = profile_segments(pd.DataFrame({"x": [1.0, 2, 5, 6]}), [0, 0, 1, 1])
        >>> ax = prof.plot()  # doctest: +SKIP
        """
        grid = self.wide(value).to_numpy(dtype=float)
        means = self.wide("mean").to_numpy(dtype=float)
        k, d = grid.shape
        ax = self._axes(ax, figsize=(1.3 * d + 3.5, 0.55 * k + 1.5))
        finite = np.abs(grid[np.isfinite(grid)])
        vmax = max(float(finite.max()) if finite.size else 1.0, 1e-12)
        image = ax.imshow(
            np.ma.masked_invalid(grid), cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto"
        )
        for i in range(k):
            for j in range(d):
                dark = np.isfinite(grid[i, j]) and abs(grid[i, j]) > 0.6 * vmax
                ax.text(
                    j,
                    i,
                    f"{means[i, j]:.3g}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
        ax.set_xticks(range(d))
        ax.set_xticklabels([str(c) for c in self.population.index])
        ax.set_yticks(range(k))
        ax.set_yticklabels(
            [
                f"{lab}: {name}"
                for lab, name in zip(self.segments.index, self.segments["name"], strict=True)
            ]
        )
        ax.figure.colorbar(image, ax=ax, label=value.replace("_", " "))
        ax.set_title("Segment profiles (annotated: segment means)")
        return ax


def _population_row_rule(label: Any) -> dict[str, str] | None:
    """A rule above the "(all)" row of the HTML means table."""
    return {"style": "border-top:1px solid #999"} if label == "(all)" else None


def _heat_title(z: float, index: float) -> str:
    """The tooltip of a cell of the HTML means table."""
    where = "above" if z > 0 else "below"
    std = f"std diff {z:+.2f} ({where} the population)" if math.isfinite(z) else "std diff n/a"
    return f"{std}; index {fmt_number(index, 3)}"


def _heat_color(z: float) -> str:
    """Diverging background colour for a standardized difference (white at 0)."""
    if not math.isfinite(z):
        return "#eeeeee"
    t = min(abs(z) / 1.5, 1.0)
    if z > 0:  # towards a soft red
        r, g, b = 255, int(255 - 140 * t), int(255 - 150 * t)
    else:  # towards a soft blue
        r, g, b = int(255 - 150 * t), int(255 - 100 * t), 255
    return f"#{r:02x}{g:02x}{b:02x}"


def _select(df: Any, labels: Any, features: Sequence[str] | None) -> tuple[Any, Any, list[str]]:
    """The feature block, the label vector and the feature names."""
    if isinstance(df, pd.DataFrame):
        if isinstance(labels, str):
            if labels not in df.columns:
                raise ColumnNotFoundError(f"labels column {labels!r} is not in the DataFrame")
            label_col = labels
            labels = df[labels]
        else:
            label_col = None
            if (
                isinstance(labels, pd.Series)
                and not labels.index.equals(df.index)
                and labels.index.is_unique
                and len(labels) == len(df)
                and df.index.isin(labels.index).all()
            ):
                labels = labels.reindex(df.index)  # align like pandas would
        if features is None:
            features = [c for c in df.columns if c != label_col]
        else:
            if isinstance(features, str):
                features = [features]
            features = list(features)
            missing = [f for f in features if f not in df.columns]
            if missing:
                raise ColumnNotFoundError(f"feature column(s) not in the DataFrame: {missing}")
        if not features:
            raise InvalidParameterError("no feature columns to profile")
        if len(set(features)) != len(features):
            raise InvalidParameterError(f"features has duplicates: {features}")
        return df[features], labels, [str(f) for f in features]
    if isinstance(labels, str):
        raise InvalidParameterError("labels may name a column only when df is a DataFrame")
    arr = df
    d = np.shape(arr)[1] if np.ndim(arr) == 2 else None
    if features is None:
        names = [f"x{j}" for j in range(d or 0)]
    else:
        names = [str(f) for f in features]
        if d is not None and len(names) != d:
            raise ShapeMismatchError(f"features names {len(names)} columns but the array has {d}")
    return arr, labels, names


def _check_descriptors(descriptors: Any, features: list[str]) -> dict[str, tuple[str, str]]:
    if descriptors is None:
        return {}
    out = {}
    for feat, words in descriptors.items():
        if (
            not isinstance(words, Sequence)
            or isinstance(words, str)
            or len(words) != 2
            or not all(isinstance(w, str) for w in words)
        ):
            raise InvalidParameterError(
                f"descriptors[{feat!r}] must be a (low word, high word) pair of strings, "
                f"got {words!r}"
            )
        out[str(feat)] = (words[0], words[1])
    unknown = [f for f in out if f not in features]
    if unknown:
        raise InvalidParameterError(f"descriptors names feature(s) not profiled: {unknown}")
    return out


def _welch(
    n1: np.ndarray, m1: np.ndarray, v1: np.ndarray, n2: np.ndarray, m2: np.ndarray, v2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized Welch t, df and two-sided p; NaN where a side has fewer than 2 values."""
    ok = (n1 >= 2) & (n2 >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff, se, df = welch_moments(m1, v1, np.where(ok, n1, 2.0), m2, v2, np.where(ok, n2, 2.0))
        t = np.where(
            se > 0,
            diff / np.where(se > 0, se, 1.0),
            np.where(diff == 0, np.nan, np.sign(diff) * np.inf),
        )
    t = np.where(ok, t, np.nan)
    df = np.where(ok & (se > 0), df, np.nan)
    p = np.full(t.shape, np.nan)
    finite = np.isfinite(t) & np.isfinite(df)
    if finite.any():
        p[finite] = pvalue_from_stat(t[finite], "two-sided", df[finite])
    p[np.isinf(t)] = 0.0  # zero variance on both sides, different means
    return t, df, p


def _term(feature: str, z: float, descriptors: Mapping[str, tuple[str, str]]) -> str:
    if feature in descriptors:
        return descriptors[feature][1 if z > 0 else 0]
    return f"{'higher' if z > 0 else 'lower'} {feature}"


#: The name of a segment with no significant marker.
AVERAGE_NAME = "Close to average"


def _persona_names(
    std_diff: np.ndarray,
    ranked: list[list[int]],
    n_markers: list[int],
    names: list[str],
    words: Mapping[str, tuple[str, str]],
    name_terms: int,
    labels: Sequence[Any],
) -> tuple[list[str], list[list[int]]]:
    """Names relative to the population ("More recent, higher spend than average"), never
    two alike: segments whose names would use the same words get the next distinguishing
    feature each (from ``ranked``: the ``n_markers`` significant markers first, then the
    other significant features, each by ``|std_diff|``); a "much" marks the clearly
    stronger (1.5 times the difference) of those that still
    agree on every word;
    only then the segment label is appended. Returns the names and the features used."""
    k = len(ranked)
    n_used = [min(name_terms, m) for m in n_markers]

    def words_of(g: int) -> frozenset[str]:
        return frozenset(_term(names[j], std_diff[g, j], words) for j in ranked[g][: n_used[g]])

    while True:
        groups: dict[frozenset[str], list[int]] = {}
        for g in range(k):
            groups.setdefault(words_of(g), []).append(g)
        clashes = [gs for gs in groups.values() if len(gs) > 1]
        grown = False
        for gs in clashes:
            for g in gs:
                if n_used[g] < len(ranked[g]):
                    n_used[g] += 1
                    grown = True
        if not grown:
            break
    out = []
    for g in range(k):
        used = ranked[g][: n_used[g]]
        terms = [_term(names[j], std_diff[g, j], words) for j in used]
        out.append(", ".join(terms) + " than average" if terms else AVERAGE_NAME)
    # Still alike: "much" for the largest first-term difference, then the label.
    for key in {n for n in out if out.count(n) > 1}:
        gs = [g for g in range(k) if out[g] == key and n_used[g] > 0]
        strength = sorted((abs(std_diff[g, ranked[g][0]]), g) for g in gs)
        if len(strength) > 1 and strength[-1][0] >= 1.5 * strength[-2][0]:
            top = strength[-1][1]
            out[top] = f"much {out[top]}"
    alike = {n for n in out if out.count(n) > 1}
    out = [f"{n} [{labels[g]}]" if n in alike else n for g, n in enumerate(out)]
    return [n[:1].upper() + n[1:] for n in out], [ranked[g][: n_used[g]] for g in range(k)]


def profile_segments(
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
    """Profile each segment against the whole population and give it a persona.

    Parameters
    ----------
    df : pandas.DataFrame or array-like of shape (n_samples, n_features)
        One row per customer. Numeric (or boolean) feature columns.
    labels : array-like of shape (n_samples,) or str
        The segment of every row (ints, strings or any sortable labels; segments come out
        sorted, a categorical in its category order); or, when ``df`` is a DataFrame, the
        name of its column holding them. A Series with another index
        holding the same labels is aligned to ``df``'s index.
    features : list of str, optional
        Columns to profile (default: every column but the labels column). For an array,
        the names of its columns (default ``x0, x1, ...``).
    alpha : float, default 0.05
        Benjamini-Hochberg false discovery rate across all segment x feature cells.
    marker_diff : (float, float), default (0.25, 0.5)
        flexclust's marker rule (``barchart(..., shade=TRUE, diff=c(1/4, 0.5))``): a
        feature marks a segment when ``|segment mean - population mean|`` is at least
        ``marker_diff[0]`` population standard deviations, or at least ``marker_diff[1]``
        times ``|population mean|``.
    descriptors : dict, optional
        ``{feature: (low word, high word)}`` used in persona names instead of
        "lower <feature>" / "higher <feature>". Names read "<words> than average", so
        comparatives fit best, e.g. ``{"recency_days": ("more recent", "less recent")}``.
    name_terms : int, default 3
        At most this many features in a persona name.
    missing : {"drop", "raise"}, default "drop"
        NaN values: ``"drop"`` leaves them out of that feature's statistics only (the
        row still counts for the other features and for the segment size; counts are in
        ``population["n_missing"]``, ``table["n"]`` and a note); ``"raise"`` raises
        :class:`~segwise.exceptions.NonFiniteError`. Infinity always raises.
    unit : str, default "customers"
        The word for the rows in descriptions ("12% of customers").

    Returns
    -------
    SegmentProfile

    Raises
    ------
    ColumnNotFoundError
        A column named in ``features`` (or ``labels``) is not in ``df``.
    NonNumericError
        Feature columns that are not numeric (named in the message).
    ShapeMismatchError
        ``labels`` has another length than ``df``.
    InvalidParameterError
        A single segment (there is nobody to compare with) or a bad parameter.

    Notes
    -----
    *Index*: segment mean / population mean x 100 (NaN with a note when the population
    mean is 0). *Standardized difference*: (segment mean - population mean) / population
    standard deviation (ddof=1, as R's ``scale`` that flexclust's rule assumes).
    *Significance*: Welch's unequal-variance t-test of the segment against all other rows
    (two-sided), Benjamini-Hochberg adjusted over every segment x feature cell; a cell
    without a test (fewer than 2 values on a side, or a constant feature) has NaN p-values
    and still counts in the family. *Markers* follow flexclust's shaded barchart: the
    absolute criterion on the standardized scale, the relative one on the original scale
    (skipped where the population mean is 0, where flexclust would divide by zero).
    *Names* say how a segment differs from the population ("More recent, higher spend than
    average"), from the markers that are also significant, strongest ``|std_diff|``
    first; a segment with none is "Close to average". Two segments never get names with
    the same words: each gets its next significant feature until they differ; if they
    agree on every feature, the stronger one is "much ..." and, as a last resort, the
    segment label is appended.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.profile import profile_segments
    >>> df = pd.DataFrame({"spend": [10.0, 12, 11, 14, 90, 95, 100, 85],
    ...                    "days_since": [5.0, 3, 4, 6, 200, 210, 190, 220]})
    >>> prof = profile_segments(df, ["a"] * 4 + ["b"] * 4,
    ...                         descriptors={"days_since": ("more recent", "less recent")})
    >>> prof.segments["name"].tolist()
    ['More recent, lower spend than average', 'Less recent, higher spend than average']
    """
    params = validate_params(locals(), _PARAMS, caller="profile_segments")
    missing = params["missing"]

    block, labels, names = _select(df, labels, features)
    x = check_array(block, name="df", dtypes=(np.float64,), allow_nan=missing == "drop").values
    n, d = x.shape
    if len(names) != d:  # array input without names
        names = [f"x{j}" for j in range(d)]
    words = _check_descriptors(descriptors, names)
    enc = encode_labels(labels, n_samples=n, against="the data")
    codes, segs = enc.codes, pd.Index(enc.uniques, name="segment", tupleize_cols=False)
    k = len(segs)
    if k < 2:
        raise InvalidParameterError(
            f"labels has a single segment ({segs[0]}); a profile compares each segment "
            "with the rest of the population, so it needs at least 2"
        )

    stats = _core.profile_segment_moments(x, codes, n_groups=k)
    sizes = np.bincount(codes, minlength=k)
    return _profile_report(stats, segs, sizes, names, params, words)


def _profile_report(
    stats: tuple[np.ndarray, ...],
    segs: pd.Index,
    sizes: np.ndarray,
    names: list[str],
    params: dict[str, Any],
    words: Mapping[str, tuple[str, str]],
) -> SegmentProfile:
    """The profile from the grouped statistics (``_core.profile_segment_moments``'s
    layout: counts, means, variances, medians with the population as the last row, then
    the rest's means and variances), the segment sizes and the validated parameters: a
    pure function of them, so a distributed profile is the same report."""
    alpha, (d_abs, d_rel) = params["alpha"], params["marker_diff"]
    name_terms, unit = params["name_terms"], params["unit"]
    counts, means, variances, medians, rest_means, rest_vars = stats
    k, d = len(segs), len(names)
    n = int(sizes.sum())
    pop_n, pop_mean, pop_var, pop_median = counts[k], means[k], variances[k], medians[k]
    seg_n, seg_mean, seg_var, seg_median = counts[:k], means[:k], variances[:k], medians[:k]
    pop_sd = np.sqrt(pop_var)

    with np.errstate(divide="ignore", invalid="ignore"):
        diff = seg_mean - pop_mean
        index = np.where(pop_mean != 0, seg_mean / pop_mean * 100.0, np.nan)
        std_diff = np.where(pop_sd > 0, diff / pop_sd, np.nan)
        rel = np.where(pop_mean != 0, np.abs(diff) / np.abs(pop_mean), np.nan)
    t, df_w, p = _welch(seg_n, seg_mean, seg_var, pop_n - seg_n, rest_means, rest_vars)
    p_adj = p_adjust(p.ravel(), "bh").reshape(p.shape)
    significant = np.nan_to_num(p_adj, nan=np.inf) <= alpha
    marker = (np.nan_to_num(np.abs(std_diff), nan=-np.inf) >= d_abs) | (
        np.nan_to_num(rel, nan=-np.inf) >= d_rel
    )

    notes = []
    n_missing = n - pop_n
    if (n_missing > 0).any():
        parts = [f"{names[j]!r}: {int(n_missing[j]):,}" for j in np.flatnonzero(n_missing)]
        notes.append(
            "missing values left out of those features' statistics (rows still "
            "count for the other features and the segment sizes): " + ", ".join(parts)
        )
    zero_mean = [names[j] for j in np.flatnonzero(pop_mean == 0)]
    if zero_mean:
        notes.append(
            f"population mean is 0 for {zero_mean}: index and relative difference "
            "undefined (NaN); markers there use the standardized difference only"
        )
    empty = [names[j] for j in np.flatnonzero(pop_n == 0)]
    if empty:
        notes.append(f"no values at all (every row missing) in {empty}")
    constant = [names[j] for j in np.flatnonzero(~(pop_sd > 0) & (pop_n > 0))]
    if constant:
        notes.append(f"no variation in {constant}: standardized difference undefined")
    untested = int(np.isnan(p).sum())
    if untested:
        notes.append(
            f"{untested} segment x feature cell(s) have no test (fewer than 2 values "
            "on a side, or no variation); they count in the BH family as p = 1"
        )

    table = pd.DataFrame(
        {
            "segment": np.repeat(segs.to_numpy(), d),
            "feature": np.tile(np.asarray(names, dtype=object), k),
            "n": seg_n.ravel().astype(np.int64),
            "mean": seg_mean.ravel(),
            "median": seg_median.ravel(),
            "sd": np.sqrt(seg_var).ravel(),
            "population_mean": np.tile(pop_mean, k),
            "index": index.ravel(),
            "std_diff": std_diff.ravel(),
            "t": t.ravel(),
            "df": df_w.ravel(),
            "pvalue": p.ravel(),
            "pvalue_adj": p_adj.ravel(),
            "significant": significant.ravel(),
            "marker": marker.ravel(),
        }
    )

    share = sizes / n
    ranked, n_markers = [], []
    for g in range(k):
        finite = [j for j in range(d) if np.isfinite(std_diff[g, j]) and std_diff[g, j] != 0]
        strong = [j for j in finite if marker[g, j] and significant[g, j]]
        # The other significant features break ties between names; never plain noise.
        rest = [j for j in finite if j not in strong and significant[g, j]]
        strong.sort(key=lambda j: -abs(std_diff[g, j]))
        rest.sort(key=lambda j: -abs(std_diff[g, j]))
        ranked.append(strong + rest)
        n_markers.append(len(strong))
    persona_names, used = _persona_names(
        std_diff, ranked, n_markers, names, words, name_terms, list(segs)
    )
    descriptions = []
    for g in range(k):
        if used[g]:
            detail = "; ".join(
                f"{names[j]} {seg_mean[g, j]:.3g} vs {pop_mean[j]:.3g}" for j in used[g]
            )
        else:
            detail = "close to the population on every feature"
        descriptions.append(
            f"{persona_names[g]} — {share[g]:.0%} of {unit} ({int(sizes[g]):,}); {detail}"
        )

    segments = pd.DataFrame(
        {
            "size": sizes.astype(np.int64),
            "share": share,
            "name": persona_names,
            "description": descriptions,
        },
        index=segs,
    )
    for j, feat in enumerate(names):
        segments[f"mean_{feat}"] = seg_mean[:, j]
    population = pd.DataFrame(
        {
            "n": pop_n.astype(np.int64),
            "n_missing": n_missing.astype(np.int64),
            "mean": pop_mean,
            "median": pop_median,
            "sd": pop_sd,
        },
        index=pd.Index(names, name="feature"),
    )
    return SegmentProfile(segments, table, population, notes, alpha, (d_abs, d_rel))
