"""Segment profiles and personas: what makes each segment different from everyone else.

:func:`profile_segments` takes the customer table and the segment labels and returns a
:class:`SegmentProfile`: per segment its size and share; per segment x feature the mean,
median, index against the population, standardized difference, a segment-vs-rest Welch
t-test with Benjamini-Hochberg control across all cells, flexclust's marker-variable rule,
and a generated short name and one-line description per segment. Categorical columns
(category, string, object dtypes, or named in ``categorical=``) get, per segment, the share
of each level, its index against the whole customer base, a chi-square test per column and
an adjusted standardized residual per level; over-represented levels name personas too.

The grouped moments and medians come from one pass of the Rust core over the data
(parallel over features); the level counts from one ``bincount`` per column; the tests and
names are small vectorized functions of them.

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
from ._stats.contingency import chi2_independence
from ._stats.inference import PROBABILITY, p_adjust, pvalue_from_stat, welch_moments
from ._validation import (
    Constraints,
    Interval,
    Pair,
    StrOptions,
    as_pandas,
    check_array,
    check_mixed,
    encode_labels,
    label_array,
    max_abs,
    power_of_two_scale,
    validate_params,
)
from .exceptions import (
    ColumnNotFoundError,
    InvalidParameterError,
    ShapeMismatchError,
)

__all__ = ["SegmentProfile", "profile_segments"]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)


_PARAMS: Constraints = {
    "features": [None, Iterable],
    "categorical": [None, str, Iterable],
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

LEVEL_COLUMNS = [
    "segment",
    "feature",
    "level",
    "n",
    "share",
    "population_share",
    "index",
    "std_diff",
    "residual",
    "pvalue",
    "pvalue_adj",
    "significant",
    "marker",
]
TEST_COLUMNS = ["n", "statistic", "dof", "pvalue", "pvalue_adj", "cramers_v"]


def _empty_levels() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in LEVEL_COLUMNS})


def _empty_tests() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in TEST_COLUMNS}, index=pd.Index([], name="feature"))


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
        Indexed by numeric feature: ``n``, ``n_missing``, ``mean``, ``median``, ``sd``.
    notes : list of str
        What the numbers cannot say (missing values dropped, an index undefined...).
    alpha : float
        False discovery rate level of ``significant``.
    marker_diff : tuple of float
        The two thresholds of the marker rule.
    levels : pandas.DataFrame
        The categorical columns' tidy table, one row per segment x feature x level:
        ``segment``, ``feature``, ``level``, ``n`` (customers of the segment with that
        level), ``share`` (of the segment's non-missing values), ``population_share``,
        ``index`` (share / population share x 100), ``std_diff`` (the standardized
        difference of the level's 0/1 indicator, as for a numeric feature), ``residual``
        (the adjusted standardized residual of the cell in the segment x level table),
        ``pvalue`` (two-sided, of the residual), ``pvalue_adj`` (Benjamini-Hochberg over
        every numeric and level cell), ``significant`` and ``marker`` (flexclust's rule
        on the indicator).
    tests : pandas.DataFrame
        Indexed by categorical feature: Pearson's chi-square test of independence of
        segment and level (``n``, ``statistic``, ``dof``, ``pvalue``, ``pvalue_adj``
        Benjamini-Hochberg over the columns, ``cramers_v``).

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
    levels: pd.DataFrame = field(default_factory=_empty_levels)
    tests: pd.DataFrame = field(default_factory=_empty_tests)

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

    def shares(self, feature: Any, value: str = "share") -> pd.DataFrame:
        """One column of :attr:`levels` for one categorical feature, as a segment x level
        DataFrame (levels in their code order: category order, else sorted).

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.profile import profile_segments
        >>> df = pd.DataFrame({"channel": ["web", "web", "shop", "shop", "web", "shop"]})
        >>> profile_segments(df, [0, 0, 0, 1, 1, 1]).shares("channel").round(2)
        level    shop   web
        segment
        0        0.33  0.67
        1        0.67  0.33
        """
        cats = list(self.tests.index)
        if feature not in cats:
            raise InvalidParameterError(
                f"feature must be a categorical feature of the profile ({cats}), got {feature!r}"
            )
        if value not in self.levels.columns or value in ("segment", "feature", "level"):
            raise InvalidParameterError(
                f"value must be a column of the profile's levels table, got {value!r}"
            )
        rows = self.levels[self.levels["feature"] == feature]
        order = list(dict.fromkeys(rows["level"]))
        out = rows.pivot(index="segment", columns="level", values=value)
        out = out.reindex(index=self.segments.index, columns=order)
        out.columns.name = "level"
        return out

    def _summary(self) -> Summary:
        seg = self.segments
        tables = []
        if len(self.population):
            tables.append(
                _marked_table(
                    self.wide("mean").map(fmt_number),
                    [fmt_number(v) for v in self.population["mean"]],
                    self.wide,
                    "Means (+/- marks a marker variable above/below the population, "
                    "* a significant difference)",
                )
            )
        for feature, test in self.tests.iterrows():
            rows = self.levels[self.levels["feature"] == feature]
            population = rows.drop_duplicates("level")["population_share"]
            tables.append(
                _marked_table(
                    self.shares(feature).map(_fmt_share),
                    [_fmt_share(v) for v in population],
                    lambda value, f=feature: self.shares(f, value),
                    f"Shares of {feature} (+/- over/under-represented, * significant); "
                    f"chi-square {fmt_number(test['statistic'])}, dof {int(test['dof'])}, "
                    f"p = {_fmt_p(test['pvalue'])}, Cramer's V {fmt_number(test['cramers_v'])}",
                )
            )
        n_features = len(self.population) + len(self.tests)
        tests = "Welch segment vs rest" if len(self.population) else ""
        if len(self.tests):
            tests += (" and " if tests else "") + "adjusted residuals of the level shares"
        return Summary(
            f"Segment profile: {len(seg)} segments, {n_features} feature(s), "
            f"{fmt_count(seg['size'].sum())} customers",
            lines=[
                f"markers: |std diff| >= {self.marker_diff[0]:g} or |relative diff| >= "
                f"{self.marker_diff[1]:g} (flexclust); significance: {tests}, "
                f"BH FDR {self.alpha:g}",
                "",
                *(f"[{label}] {row['description']}" for label, row in seg.iterrows()),
                "",
            ],
            tables=tables,
            after=[f"NOTE: {note}" for note in self.notes],
        )

    def plot(self, ax: Any = None, *, value: str = "std_diff") -> Any:
        """Heat map of the standardized differences (segments x features), means annotated;
        a categorical feature has one column per level (``feature=level``), its shares
        annotated.

        Needs matplotlib (``pip install "segwise[plot]"``). Returns the matplotlib Axes.

        Examples
        --------
        >>> import pandas as pd
        >>> from segwise.profile import profile_segments
        >>> prof = profile_segments(pd.DataFrame({"x": [1.0, 2, 5, 6]}), [0, 0, 1, 1])
        >>> ax = prof.plot()  # doctest: +SKIP
        """
        grids = [self.wide(value).to_numpy(dtype=float)]
        notes = [self.wide("mean").map(lambda v: f"{v:.3g}").to_numpy()]
        columns = [str(c) for c in self.population.index]
        if value in self.levels.columns:
            for feature in self.tests.index:
                shares = self.shares(feature)
                grids.append(self.shares(feature, value).to_numpy(dtype=float))
                notes.append(shares.map(_fmt_share).to_numpy())
                columns += [f"{feature}={level}" for level in shares.columns]
        grid = np.hstack(grids)
        text = np.hstack(notes)
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
                    text[i, j],
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
        ax.set_xticks(range(d))
        ax.set_xticklabels(
            columns,
            rotation=30 if len(self.tests) else 0,
            ha="right" if len(self.tests) else "center",
        )
        ax.set_yticks(range(k))
        ax.set_yticklabels(
            [
                f"{lab}: {name}"
                for lab, name in zip(self.segments.index, self.segments["name"], strict=True)
            ]
        )
        ax.figure.colorbar(image, ax=ax, label=value.replace("_", " "))
        what = "segment means" + (" and level shares" if len(self.tests) else "")
        ax.set_title(f"Segment profiles (annotated: {what})")
        return ax


def _fmt_share(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{100 * value:.0f}%"


def _fmt_p(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.2g}"


def _marked_table(cells: pd.DataFrame, population: list[str], wide: Any, caption: str) -> Table:
    """Segment x column cells flagged like flexclust's shaded barchart (+/- a marker above
    or below the population, * significant), a population row, and heat colours in HTML;
    ``wide(value)`` gives the segment x column table of ``value``."""
    std = wide("std_diff")
    index = wide("index")
    marker = wide("marker").astype(bool)
    significant = wide("significant").astype(bool)
    stars = np.where(significant, "*", " ")
    flags = np.where(marker & (std > 0), " +", np.where(marker & (std < 0), " -", "  "))
    marked = cells + stars + flags
    all_row = pd.DataFrame(
        [[f"{v}   " for v in population]], index=["(all)"], columns=cells.columns
    )

    def heat(label: Any, column: Any, _: Any) -> dict[str, str] | None:
        if label not in std.index:  # the population row
            return None
        z = float(std.loc[label, column])
        style = f"background:{_heat_color(z)}"
        if marker.loc[label, column]:
            style += ";font-weight:bold"
        return {"style": style, "title": _heat_title(z, index.loc[label, column])}

    return Table(
        pd.concat([marked, all_row]).rename_axis("segment"),
        caption=caption,
        cell_attrs=heat,
        row_attrs=_population_row_rule,
    )


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


def _select(df: Any, labels: Any, features: Sequence[Any] | None) -> tuple[Any, Any, list[Any]]:
    """The feature block, the label vector and the feature names."""
    if isinstance(df, pd.DataFrame):
        if isinstance(labels, str):
            if labels not in df.columns:
                raise ColumnNotFoundError(f"labels column {labels!r} is not in the DataFrame")
            label_col = labels
            labels = df[labels]
        else:
            label_col = None
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
        return df[features], labels, features
    if isinstance(labels, str):
        raise InvalidParameterError("labels may name a column only when df is a DataFrame")
    arr = df
    d = np.shape(arr)[1] if np.ndim(arr) == 2 else None
    if features is None:
        names = [f"x{j}" for j in range(d or 0)]
    else:
        names = list(features)
        if d is not None and len(names) != d:
            raise ShapeMismatchError(f"features names {len(names)} columns but the array has {d}")
    return arr, labels, names


def _check_descriptors(
    descriptors: Any, features: list[Any], categorical: list[Any]
) -> dict[Any, Any]:
    """``{numeric feature: (low word, high word)}`` and ``{categorical feature: {level:
    word}}``, checked."""
    if descriptors is None:
        return {}
    out: dict[Any, Any] = {}
    for feat, words in descriptors.items():
        if feat in categorical:
            if not isinstance(words, Mapping) or not all(
                isinstance(w, str) for w in words.values()
            ):
                raise InvalidParameterError(
                    f"descriptors[{feat!r}] must map levels of the categorical feature to "
                    f"words, got {words!r}"
                )
            out[feat] = dict(words)
            continue
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
        out[feat] = (words[0], words[1])
    unknown = [f for f in out if f not in features and f not in categorical]
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


def _term(feature: Any, z: float, descriptors: Mapping[Any, Any]) -> str:
    if feature in descriptors:
        return str(descriptors[feature][1 if z > 0 else 0])
    return f"{'higher' if z > 0 else 'lower'} {feature}"


#: The name of a segment with no significant marker.
AVERAGE_NAME = "Close to average"


#: One word candidate of a persona name: (strength, words, detail for the description,
#: whether the words are a categorical level's label rather than a comparison).
Term = tuple[float, str, str, bool]


def _render(terms: Sequence[Term]) -> str:
    """A persona name from its terms: the over-represented levels' labels first ("Urban,
    Web"), then the numeric comparisons ending in "than average" ("higher spend than
    average"), each part strongest first."""
    levels = [t[1] for t in terms if t[3]]
    comparisons = [t[1] for t in terms if not t[3]]
    parts = levels + ([", ".join(comparisons) + " than average"] if comparisons else [])
    return ", ".join(parts) if parts else AVERAGE_NAME


def _persona_names(
    ranked: list[list[Term]],
    n_markers: list[int],
    name_terms: int,
    labels: Sequence[Any],
) -> tuple[list[str], list[list[Term]]]:
    """Names relative to the population ("Urban, Web, higher spend than average"), never
    two alike: segments whose names would use the same words get the next distinguishing
    term each (from ``ranked``: the ``n_markers`` significant markers first, then the
    other significant features, each by strength); of those that still agree on every
    word, the clearly stronger (1.5 times the difference) gets "much" before its strongest
    comparison ("mostly" before a level); only then the segment label is appended.
    Returns the names and the terms used."""
    k = len(ranked)
    n_used = [min(name_terms, m) for m in n_markers]

    def words_of(g: int) -> frozenset[str]:
        return frozenset(t[1] for t in ranked[g][: n_used[g]])

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
    used = [list(ranked[g][: n_used[g]]) for g in range(k)]
    out = [_render(used[g]) for g in range(k)]
    # Still alike: "much"/"mostly" for the largest first-term difference, then the label.
    for key in {n for n in out if out.count(n) > 1}:
        gs = [g for g in range(k) if out[g] == key and n_used[g] > 0]
        strength = sorted((ranked[g][0][0], g) for g in gs)
        if len(strength) > 1 and strength[-1][0] >= 1.5 * strength[-2][0]:
            top = strength[-1][1]
            first = used[top][0]
            stronger = f"{'mostly' if first[3] else 'much'} {first[1]}"
            used[top][0] = (first[0], stronger, first[2], first[3])
            out[top] = _render(used[top])
    alike = {n for n in out if out.count(n) > 1}
    out = [f"{n} [{labels[g]}]" if n in alike else n for g, n in enumerate(out)]
    return [n[:1].upper() + n[1:] for n in out], used


def _level_term(feature: Any, level: Any, descriptors: Mapping[Any, Any]) -> str:
    """The label of an over-represented level in a persona name: a descriptor, the level
    itself when it is text, the feature's name for True ("not <feature>" for False), else
    "<feature> <level>"."""
    words = descriptors.get(feature)
    if isinstance(words, Mapping) and level in words:
        return str(words[level])
    if isinstance(level, bool | np.bool_):
        return str(feature) if level else f"not {feature}"
    if isinstance(level, str):
        return level
    return f"{feature} {level}"


def _split_features(block: Any, names: list[Any], categorical: Any) -> list[Any]:
    """The categorical features: category, string and object columns (bool stays numeric:
    its mean is the share of True), or exactly those ``categorical`` names."""
    if categorical is not None:
        picks = [categorical] if isinstance(categorical, str) else list(categorical)
        unknown = [c for c in picks if c not in names]
        if unknown:
            raise ColumnNotFoundError(f"categorical names column(s) not profiled: {unknown}")
        return picks
    if not isinstance(block, pd.DataFrame):
        return []
    return [
        c
        for c, t in block.dtypes.items()
        if isinstance(t, pd.CategoricalDtype)
        or not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
    ]


@dataclass
class _Numeric:
    """Per segment x numeric feature statistics (arrays of shape (k, d))."""

    names: list[Any]
    pop_n: np.ndarray
    pop_mean: np.ndarray
    pop_median: np.ndarray
    pop_sd: np.ndarray
    seg_n: np.ndarray
    seg_mean: np.ndarray
    seg_median: np.ndarray
    seg_sd: np.ndarray
    index: np.ndarray
    std_diff: np.ndarray
    rel: np.ndarray
    t: np.ndarray
    df: np.ndarray
    p: np.ndarray


def _out_of_range(means: np.ndarray, variances: np.ndarray) -> bool:
    """Whether a feature's moments overflowed, or its values are so large or small that
    their squares may have (:func:`segwise._validation.power_of_two_scale`)."""
    with np.errstate(invalid="ignore"):
        sizes = np.fmax(np.abs(means), np.sqrt(variances))
    finite_input = ~np.isnan(means)  # NaN only where a group has no values
    overflowed = finite_input & ~np.isfinite(sizes)
    return bool(overflowed.any() or (power_of_two_scale(np.nan_to_num(sizes)) != 1.0).any())


def _numeric_stats(x: np.ndarray, names: list[Any], codes: np.ndarray, k: int) -> _Numeric:
    """Per segment x numeric feature moments and Welch tests; means, medians and standard
    deviations in the caller's units."""
    d = x.shape[1]
    scale = np.ones(d)
    moments: tuple[np.ndarray, ...]
    if d:
        moments = _core.profile_segment_moments(x, codes, n_groups=k)
        if _out_of_range(moments[1], moments[2]):
            # Rare: features whose squares overflow (above ~1e154) or underflow (below
            # ~1e-154). They are profiled divided by a power of two (exact; one copy): the
            # standardized differences, indices, tests and markers do not depend on the
            # scale, and the means, medians and standard deviations are given back in the
            # caller's units.
            scale = power_of_two_scale(max_abs(x, axis=0))
            moments = _core.profile_segment_moments(
                np.ascontiguousarray(x / scale), codes, n_groups=k
            )
    else:
        moments = tuple(np.zeros((k + 1, 0)) for _ in range(4)) + (
            np.zeros((k, 0)),
            np.zeros((k, 0)),
        )
    return _numeric_from_moments(moments, names, k, scale)


def _numeric_from_moments(
    moments: tuple[np.ndarray, ...], names: list[Any], k: int, scale: Any = 1.0
) -> _Numeric:
    """The numeric statistics from the merged grouped moments
    (``_core.profile_segment_moments``' layout: counts, means, variances, medians with the
    population as the last row, then the rest's means and variances), computed on the
    data divided by ``scale`` (per feature; 1 but for huge or tiny values): a pure
    function of them, wherever they were computed."""
    counts, means, variances, medians, rest_means, rest_vars = moments
    pop_n, pop_mean, pop_var = counts[k], means[k], variances[k]
    pop_median = medians[k]
    seg_n, seg_mean, seg_var = counts[:k], means[:k], variances[:k]
    pop_sd = np.sqrt(pop_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = seg_mean - pop_mean
        index = np.where(pop_mean != 0, seg_mean / pop_mean * 100.0, np.nan)
        std_diff = np.where(pop_sd > 0, diff / pop_sd, np.nan)
        rel = np.where(pop_mean != 0, np.abs(diff) / np.abs(pop_mean), np.nan)
    t, df_w, p = _welch(seg_n, seg_mean, seg_var, pop_n - seg_n, rest_means, rest_vars)
    # Back in the caller's units (scale is 1 but for huge or tiny features).
    return _Numeric(
        names,
        pop_n,
        pop_mean * scale,
        pop_median * scale,
        pop_sd * scale,
        seg_n,
        seg_mean * scale,
        medians[:k] * scale,
        np.sqrt(seg_var) * scale,
        index,
        std_diff,
        rel,
        t,
        df_w,
        p,
    )


@dataclass
class _Levels:
    """One categorical feature: its segment x level counts and statistics (shape (k, L))."""

    feature: Any
    levels: list[Any]
    counts: np.ndarray
    share: np.ndarray
    population_share: np.ndarray
    index: np.ndarray
    std_diff: np.ndarray
    rel: np.ndarray
    residual: np.ndarray
    p: np.ndarray
    n: int
    n_missing: int
    statistic: float
    dof: int
    pvalue: float
    cramers_v: float


def _level_stats(
    feature: Any, column: np.ndarray, levels: list[Any], codes: np.ndarray, k: int
) -> _Levels:
    """Shares, index, the indicator's standardized difference, the chi-square test and the
    adjusted residuals of one categorical feature (``column``: level codes, -1 missing)."""
    n_levels = len(levels)
    ok = column >= 0
    counts = np.bincount(codes[ok] * n_levels + column[ok], minlength=k * n_levels).reshape(
        k, n_levels
    )
    return _level_stats_from_counts(feature, counts, levels, int((~ok).sum()))


def _level_stats_from_counts(
    feature: Any, counts: np.ndarray, levels: list[Any], n_missing: int
) -> _Levels:
    """:func:`_level_stats` from the segment x level counts ``(k, L)`` and the number of
    rows missing the feature: a pure function of them, wherever they were counted."""
    n = int(counts.sum())
    seg_n = counts.sum(axis=1, keepdims=True)
    pop = counts.sum(axis=0) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(seg_n > 0, counts / np.maximum(seg_n, 1), np.nan)
        index = share / pop * 100.0
        # The level's 0/1 indicator: population sd with ddof=1, as for numeric features.
        sd = np.sqrt(pop * (1.0 - pop) * n / (n - 1)) if n > 1 else np.zeros_like(pop)
        std_diff = np.where(sd > 0, (share - pop) / sd, np.nan)
        rel = np.abs(share - pop) / pop
    test = chi2_independence(counts)
    p = np.full(test.residuals.shape, np.nan)
    finite = np.isfinite(test.residuals)
    p[finite] = pvalue_from_stat(test.residuals[finite], "two-sided")
    kept = int(min((seg_n[:, 0] > 0).sum(), (counts.sum(axis=0) > 0).sum()))
    v = float(np.sqrt(test.statistic / (n * (kept - 1)))) if kept > 1 and n > 0 else np.nan
    return _Levels(
        feature,
        levels,
        counts,
        share,
        pop,
        index,
        std_diff,
        rel,
        test.residuals,
        p,
        n,
        n_missing,
        test.statistic,
        test.dof,
        test.pvalue,
        v,
    )


def profile_segments(
    df: Any,
    labels: Any,
    features: Sequence[Any] | None = None,
    *,
    categorical: Any = None,
    alpha: float = 0.05,
    marker_diff: tuple[float, float] = (0.25, 0.5),
    descriptors: Mapping[Any, Any] | None = None,
    name_terms: int = 3,
    missing: str = "drop",
    unit: str = "customers",
) -> SegmentProfile:
    """Profile each segment against the whole population and give it a persona.

    Parameters
    ----------
    df : pandas.DataFrame or array-like of shape (n_samples, n_features)
        One row per customer. Numeric (or boolean) and categorical feature columns.
        Customer lifetime value is one more numeric column: ``df.assign(clv=clv)`` with
        the per-customer Series of
        :meth:`segwise.clv.GammaGammaModel.customer_lifetime_value` (or
        ``segment_clv(...).customers["clv"]``) matches it to the rows by customer id;
        customers it does not price are NaN, left out of its statistics and counted in
        a note. Each segment then gets its mean CLV, its index and a Welch test like
        any feature (see the last example; :func:`segwise.clv.segment_clv` gives the
        bootstrap intervals and totals).
    labels : array-like of shape (n_samples,) or str
        The segment of every row (ints, strings or any sortable labels; segments come out
        sorted, a categorical in its category order); or, when ``df`` is a DataFrame, the
        name of its column holding them. A Series beside a DataFrame is matched to its
        rows by index (customer id), in any order; an id missing from either side raises
        :class:`~segwise.exceptions.ShapeMismatchError` (the rule of every function taking
        labels and a frame; arrays and lists are taken by position).
    features : list of str, optional
        Columns to profile (default: every column but the labels column). For an array,
        the names of its columns (default ``x0, x1, ...``).
    categorical : str or list of str, optional
        The categorical features, by name. Default: the category, string and object
        columns of a DataFrame (a bool column is numeric: its mean is the share of True;
        name it here to see both levels).
    alpha : float, default 0.05
        Benjamini-Hochberg false discovery rate across all segment x feature cells and
        segment x level cells.
    marker_diff : (float, float), default (0.25, 0.5)
        flexclust's marker rule (``barchart(..., shade=TRUE, diff=c(1/4, 0.5))``): a
        feature marks a segment when ``|segment mean - population mean|`` is at least
        ``marker_diff[0]`` population standard deviations, or at least ``marker_diff[1]``
        times ``|population mean|``. A level marks a segment by the same rule on its 0/1
        indicator (its share against the population share).
    descriptors : dict, optional
        ``{feature: (low word, high word)}`` used in persona names instead of
        "lower <feature>" / "higher <feature>". Names read "<words> than average", so
        comparatives fit best, e.g. ``{"recency_days": ("more recent", "less recent")}``.
        For a categorical feature ``{level: label}``, the label its over-represented
        level gets in names instead of the level itself, e.g.
        ``{"channel": {"Web": "online buyers"}}``.
    name_terms : int, default 3
        At most this many features in a persona name.
    missing : {"drop", "raise"}, default "drop"
        NaN values (and missing levels): ``"drop"`` leaves them out of that feature's
        statistics only (the row still counts for the other features and for the
        segment size; counts are in ``population["n_missing"]``, ``table["n"]``,
        ``tests["n"]`` and a note); ``"raise"`` raises
        :class:`~segwise.exceptions.NonFiniteError`. Infinity always raises.
    unit : str, default "customers"
        The word for the rows in descriptions ("12% of customers").

    Returns
    -------
    SegmentProfile

    Raises
    ------
    ColumnNotFoundError
        A column named in ``features``, ``categorical`` (or ``labels``) is not in ``df``.
    NonNumericError
        Columns of an array that are not numeric and not named categorical.
    ShapeMismatchError
        ``labels`` has another length than ``df``.
    InvalidParameterError
        A single segment (there is nobody to compare with) or a bad parameter.

    Warns
    -----
    HighCardinalityWarning
        A categorical feature with more than 100 levels (an id or free text?).

    Notes
    -----
    *Index*: segment mean / population mean x 100 (NaN with a note when the population
    mean is 0); for a level, segment share / population share x 100, the figure marketers
    read. *Standardized difference*: (segment mean - population mean) / population
    standard deviation (ddof=1, as R's ``scale`` that flexclust's rule assumes); for a
    level, of its 0/1 indicator. *Significance*: Welch's unequal-variance t-test of the
    segment against all other rows (two-sided) for a numeric feature; for a level the
    adjusted standardized residual of its cell in the segment x level table (Haberman;
    two-sided normal p-value); Benjamini-Hochberg adjusted over every segment x feature
    and segment x level cell together; a cell without a test (fewer than 2 values on a
    side, or a constant feature) has NaN p-values and still counts in the family. Each
    categorical feature also gets Pearson's chi-square test of independence (no
    continuity correction, as ``scipy.stats.chi2_contingency(correction=False)``),
    Benjamini-Hochberg adjusted over the categorical features. *Markers* follow
    flexclust's shaded barchart: the absolute criterion on the standardized scale, the
    relative one on the original scale (skipped where the population mean is 0, where
    flexclust would divide by zero).
    *Names* say how a segment differs from the population, from the markers that are also
    significant, the ``name_terms`` strongest by ``|std_diff|``: a categorical feature
    gives the label of its most over-represented such level ("Urban", "Web"; a True flag
    its feature's name, a False one "not <feature>"), a numeric one a comparison; the
    levels come first, then the comparisons ending in "than average" ("Urban, Web,
    higher spend than average"); a segment with none is "Close to average". Two segments
    never get names with the same words: each gets its next significant feature until
    they differ; if they agree on every feature, the stronger one gets "much" before its
    first comparison ("mostly" before a level) and, as a last resort, the segment label
    is appended.

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
    >>> shop = pd.DataFrame({"spend": [10.0, 12, 11, 14, 13, 90, 95, 100, 85, 92],
    ...                      "channel": ["web"] * 5 + ["shop"] * 4 + ["web"]})
    >>> prof = profile_segments(shop, [0] * 5 + [1] * 5)
    >>> prof.segments["name"].tolist()
    ['Web, lower spend than average', 'Shop, higher spend than average']
    >>> prof.shares("channel")
    level    shop  web
    segment
    0         0.0  1.0
    1         0.8  0.2

    Customer lifetime value in the personas: the models' per-customer value as a column.

    >>> from segwise.clv import BetaGeoModel, GammaGammaModel
    >>> from segwise.datasets import load_cdnow_summary
    >>> data = load_cdnow_summary()  # frequency, recency, T, monetary_value (weeks)
    >>> bg, gg = BetaGeoModel().fit(data), GammaGammaModel().fit(data)
    >>> clv = gg.customer_lifetime_value(bg, data, time=12, freq="W")  # by customer id
    >>> buyers = data["frequency"].map(lambda f: "repeat" if f > 0 else "one-off")
    >>> prof = profile_segments(data[["frequency", "recency"]].assign(clv=clv), buyers,
    ...                         descriptors={"clv": ("lower value", "higher value")})
    >>> prof.segments[["size", "mean_clv"]].round(2)
             size  mean_clv
    segment
    one-off  1411      9.61
    repeat    946     61.26
    >>> prof.segments.loc["repeat", "name"]
    'Higher recency, higher frequency, higher value than average'
    """
    params = validate_params(locals(), _PARAMS, caller="profile_segments")
    missing = params["missing"]

    block, labels, names = _select(as_pandas(df), labels, features)
    cat_names = _split_features(block, names, categorical)
    num_names = [f for f in names if f not in cat_names]
    frame = block if isinstance(block, pd.DataFrame) else None
    if cat_names and frame is None:  # an array with named categorical columns
        frame = pd.DataFrame(np.asarray(block, dtype=object), columns=names).infer_objects()
    if frame is not None:
        frame = frame.set_axis(names, axis=1)  # the profiled names; not a copy
        num_block: Any = frame[num_names]
    else:
        num_block = block
    if num_names or frame is None:
        x = check_array(num_block, name="df", dtypes=(np.float64,), allow_nan=missing == "drop")
        values = x.values
    else:
        values = np.empty((len(frame), 0))
    n, d = values.shape
    if frame is None and len(names) != d:  # array input without names
        names = num_names = [f"x{j}" for j in range(d)]
    words = _check_descriptors(descriptors, num_names, cat_names)
    rows = block.index if isinstance(block, pd.DataFrame) else None
    enc = encode_labels(labels, n_samples=n, against="df", rows=rows)
    codes, segs = enc.codes, pd.Index(enc.uniques, name="segment", tupleize_cols=False)
    k = len(segs)
    if k < 2:
        raise InvalidParameterError(
            f"labels has a single segment ({segs[0]}); a profile compares each segment "
            "with the rest of the population, so it needs at least 2"
        )

    num = _numeric_stats(values, num_names, codes, k)
    cats: list[_Levels] = []
    if cat_names and frame is not None:
        mixed = check_mixed(
            frame[cat_names],
            categorical=slice(None),
            missing="ignore" if missing == "drop" else "error",
            name="df",
        )
        cats = [
            _level_stats(f, mixed.categorical[:, j], mixed.levels[j], codes, k)
            for j, f in enumerate(cat_names)
        ]
    sizes = np.bincount(codes, minlength=k)
    return _profile_report(num, cats, segs, sizes, params, words)


def _profile_report(
    num: _Numeric,
    cats: list[_Levels],
    segs: pd.Index,
    sizes: np.ndarray,
    params: dict[str, Any],
    words: Mapping[Any, Any],
) -> SegmentProfile:
    """The profile from the numeric statistics (:func:`_numeric_from_moments`), the
    categorical ones (:func:`_level_stats`), the segment sizes and the validated
    parameters: a pure function of them, shared by the in-memory and the distributed
    (:mod:`segwise.dask`) profiles so they give the same report."""
    alpha, (d_abs, d_rel) = params["alpha"], params["marker_diff"]
    name_terms, unit = params["name_terms"], params["unit"]
    k, n = len(segs), int(sizes.sum())
    num_names, cat_names = num.names, [c.feature for c in cats]
    d = len(num_names)

    # One Benjamini-Hochberg family: every numeric cell and every level cell.
    family = np.concatenate([num.p.ravel(), *[c.p.ravel() for c in cats]])
    adjusted = p_adjust(family, "bh")
    num_adj = adjusted[: num.p.size].reshape(num.p.shape)
    offset = num.p.size
    cat_adj = []
    for c in cats:
        cat_adj.append(adjusted[offset : offset + c.p.size].reshape(c.p.shape))
        offset += c.p.size

    def flagged(p_adj: np.ndarray, std: np.ndarray, rel: np.ndarray) -> tuple[Any, Any]:
        significant = np.nan_to_num(p_adj, nan=np.inf) <= alpha
        marker = (np.nan_to_num(np.abs(std), nan=-np.inf) >= d_abs) | (
            np.nan_to_num(rel, nan=-np.inf) >= d_rel
        )
        return significant, marker

    significant, marker = flagged(num_adj, num.std_diff, num.rel)
    level_flags = [flagged(a, c.std_diff, c.rel) for a, c in zip(cat_adj, cats, strict=True)]

    notes = _notes(num, cats, n)
    table = pd.DataFrame(
        {
            "segment": np.repeat(segs.to_numpy(), d),
            "feature": np.tile(label_array(num_names), k),
            "n": num.seg_n.ravel().astype(np.int64),
            "mean": num.seg_mean.ravel(),
            "median": num.seg_median.ravel(),
            "sd": num.seg_sd.ravel(),
            "population_mean": np.tile(num.pop_mean, k),
            "index": num.index.ravel(),
            "std_diff": num.std_diff.ravel(),
            "t": num.t.ravel(),
            "df": num.df.ravel(),
            "pvalue": num.p.ravel(),
            "pvalue_adj": num_adj.ravel(),
            "significant": significant.ravel(),
            "marker": marker.ravel(),
        }
    )
    levels_table = _levels_table(segs, cats, cat_adj, level_flags)
    chi_adj = p_adjust(np.asarray([c.pvalue for c in cats], dtype=float), "bh")
    tests = pd.DataFrame(
        {
            "n": [c.n for c in cats],
            "statistic": [c.statistic for c in cats],
            "dof": [c.dof for c in cats],
            "pvalue": [c.pvalue for c in cats],
            "pvalue_adj": chi_adj,
            "cramers_v": [c.cramers_v for c in cats],
        },
        index=pd.Index(cat_names, name="feature", tupleize_cols=False),
    )
    if not cats:
        tests = _empty_tests()

    share = sizes / n
    ranked: list[list[Term]] = []
    n_markers: list[int] = []
    for g in range(k):
        # (strength, words, detail) candidates: the significant markers first, then the
        # other significant numeric features (they break ties between names; never plain
        # noise), each by |std_diff|; a categorical feature offers its most
        # over-represented significant marker level.
        strong: list[Term] = []
        rest: list[Term] = []
        for j in range(d):
            z = num.std_diff[g, j]
            if not (np.isfinite(z) and z != 0 and significant[g, j]):
                continue
            detail = f"{num_names[j]} {num.seg_mean[g, j]:.3g} vs {num.pop_mean[j]:.3g}"
            (strong if marker[g, j] else rest).append(
                (abs(z), _term(num_names[j], z, words), detail, False)
            )
        for c, (sig, mark) in zip(cats, level_flags, strict=True):
            ok = mark[g] & sig[g] & (np.nan_to_num(c.std_diff[g], nan=-np.inf) > 0)
            if ok.any():
                best = int(np.argmax(np.where(ok, c.std_diff[g], -np.inf)))
                term = _level_term(c.feature, c.levels[best], words)
                detail = f"{term} {c.share[g, best]:.0%} vs {c.population_share[best]:.0%}"
                strong.append((float(c.std_diff[g, best]), term, detail, True))
        strong.sort(key=lambda t: -t[0])
        rest.sort(key=lambda t: -t[0])
        ranked.append(strong + rest)
        n_markers.append(len(strong))
    persona_names, used = _persona_names(ranked, n_markers, name_terms, list(segs))
    descriptions = []
    for g in range(k):
        if used[g]:
            detail = "; ".join(t[2] for t in used[g])
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
    for j, feat in enumerate(num_names):
        segments[f"mean_{feat}"] = num.seg_mean[:, j]
    for c in cats:
        mode = np.nanargmax(np.where(np.isnan(c.share), -1.0, c.share), axis=1)
        segments[f"mode_{c.feature}"] = [c.levels[m] for m in mode]
        segments[f"mode_share_{c.feature}"] = c.share[np.arange(k), mode]
    population = pd.DataFrame(
        {
            "n": num.pop_n.astype(np.int64),
            "n_missing": (n - num.pop_n).astype(np.int64),
            "mean": num.pop_mean,
            "median": num.pop_median,
            "sd": num.pop_sd,
        },
        index=pd.Index(num_names, name="feature", tupleize_cols=False),
    )
    return SegmentProfile(
        segments, table, population, notes, alpha, (d_abs, d_rel), levels_table, tests
    )


def _levels_table(
    segs: pd.Index, cats: list[_Levels], adjusted: list[np.ndarray], flags: list[Any]
) -> pd.DataFrame:
    """The tidy segment x feature x level table."""
    if not cats:
        return _empty_levels()
    parts = []
    k = len(segs)
    for c, p_adj, (significant, marker) in zip(cats, adjusted, flags, strict=True):
        n_levels = len(c.levels)
        level_values = np.empty(n_levels, dtype=object)
        level_values[:] = c.levels
        parts.append(
            pd.DataFrame(
                {
                    "segment": np.repeat(segs.to_numpy(), n_levels),
                    "feature": c.feature,
                    "level": np.tile(level_values, k),
                    "n": c.counts.ravel().astype(np.int64),
                    "share": c.share.ravel(),
                    "population_share": np.tile(c.population_share, k),
                    "index": c.index.ravel(),
                    "std_diff": c.std_diff.ravel(),
                    "residual": c.residual.ravel(),
                    "pvalue": c.p.ravel(),
                    "pvalue_adj": p_adj.ravel(),
                    "significant": significant.ravel(),
                    "marker": marker.ravel(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _notes(num: _Numeric, cats: list[_Levels], n: int) -> list[str]:
    """What the numbers cannot say, in words."""
    names = num.names
    notes = []
    n_missing = n - num.pop_n
    missing_parts = [f"{names[j]!r}: {int(n_missing[j]):,}" for j in np.flatnonzero(n_missing)]
    missing_parts += [f"{c.feature!r}: {c.n_missing:,}" for c in cats if c.n_missing]
    if missing_parts:
        notes.append(
            "missing values left out of those features' statistics (rows still "
            "count for the other features and the segment sizes): " + ", ".join(missing_parts)
        )
    zero_mean = [names[j] for j in np.flatnonzero(num.pop_mean == 0)]
    if zero_mean:
        notes.append(
            f"population mean is 0 for {zero_mean}: index and relative difference "
            "undefined (NaN); markers there use the standardized difference only"
        )
    empty = [names[j] for j in np.flatnonzero(num.pop_n == 0)]
    if empty:
        notes.append(f"no values at all (every row missing) in {empty}")
    constant = [names[j] for j in np.flatnonzero(~(num.pop_sd > 0) & (num.pop_n > 0))]
    constant += [c.feature for c in cats if len(c.levels) == 1]
    if constant:
        notes.append(f"no variation in {constant}: standardized difference undefined")
    untested = int(np.isnan(num.p).sum()) + sum(int(np.isnan(c.p).sum()) for c in cats)
    if untested:
        notes.append(
            f"{untested} segment x feature cell(s) have no test (fewer than 2 values "
            "on a side, or no variation); they count in the BH family as p = 1"
        )
    return notes
