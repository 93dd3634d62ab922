"""Choosing the number of segments: gap statistic, prediction strength, bootstrap ARI.

Every k-means fit runs in segwise's Rust core (GIL released, rayon-parallel over k and
replicates). Each fit and each random draw has its own random stream derived from
``(random_state, criterion, k, replicate)``, so results are identical on 1 or 2 threads
and do not depend on how the replicates are chunked between progress-bar updates.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._progress import progress as _progress
from .._results import ResultMixin, Summary, Table, fmt_number, fmt_share
from .._validation import (
    N_INIT,
    REPLICATES,
    Constraints,
    HasMethods,
    Interval,
    StrOptions,
    check_array,
    check_magnitude,
    check_random_state,
    encode_labels,
    validate_params,
)
from ..exceptions import InvalidParameterError, NotEnoughSamplesError
from . import _refit

__all__ = [
    "ChooseKResult",
    "GapResult",
    "PredictionStrengthResult",
    "choose_k",
    "gap_statistic",
    "prediction_strength",
]

GAP_METHODS = ("firstSEmax", "Tibs2001SEmax", "globalSEmax", "firstmax", "globalmax")
CRITERIA = (
    "inertia",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "gap",
    "prediction_strength",
    "bootstrap_ari",
)
_SHARE = Interval(Real, 0, 1, closed="both")
_COMMON_PARAMS: Constraints = {
    "n_init": [N_INIT],
    "random_state": ["random_state"],
    "progress": ["boolean", None],
}
_ESTIMATOR: Constraints = {"estimator": [None, HasMethods(["fit", "get_params"])]}
_GAP_PARAMS: Constraints = {
    "k_max": [Interval(Integral, None, None, closed="neither")],  # bounds depend on n
    "n_refs": [REPLICATES],
    "space": [StrOptions(["scaledPCA", "original"])],
    "d_power": [Interval(Real, 0, None, closed="neither")],
    "method": [StrOptions(GAP_METHODS)],
    "se_factor": [Interval(Real, 0, None, closed="left")],
    **_COMMON_PARAMS,
}
_PS_PARAMS: Constraints = {
    "k_range": [Iterable],
    "n_splits": [REPLICATES],
    "cutoff": [_SHARE],
    **_COMMON_PARAMS,
    **_ESTIMATOR,
}
_CHOOSE_K_PARAMS: Constraints = {
    "k_range": [Iterable],
    "criteria": [None, StrOptions(CRITERIA, many=True)],
    "n_refs": [REPLICATES],
    "n_splits": [REPLICATES],
    "n_boot": [REPLICATES],
    "d_power": [Interval(Real, 0, None, closed="neither")],
    "ps_cutoff": [_SHARE],
    "ari_threshold": [Interval(Real, -1, 1, closed="both")],
    "min_share": [_SHARE],
    "silhouette_max_n": [Interval(Integral, 2, None, closed="left")],
    **_COMMON_PARAMS,
    **_ESTIMATOR,
}
#: Documented cap on the number of ks in ``k_range`` (besides each k <= n_samples - 1): each
#: k is a set of clusterings to fit.
MAX_K_VALUES = 10_000
#: Replicates (reference sets, splits, bootstrap pairs) per call into Rust: the progress
#: bar advances and Ctrl-C is honoured between calls.
_CHUNK = 4


# --------------------------------------------------------------------------- rules


def _max_se(f: np.ndarray, se: np.ndarray, method: str, se_factor: float) -> int:
    """R ``cluster::maxSE``: the chosen k (1-based index into ``f``)."""
    f = np.asarray(f, dtype=float)
    fse = se_factor * np.asarray(se, dtype=float)
    K = len(f)

    def first_local_max() -> int:
        # diff(f) <= 0 written as a comparison: a gap of +inf (a k that leaves no
        # within-cluster dispersion, on data with that few distinct points) is a maximum
        # rather than inf - inf = NaN
        decr = f[1:] <= f[:-1]
        return int(np.argmax(decr)) + 1 if decr.any() else K

    def se_left_of(nc: int) -> int:
        with np.errstate(invalid="ignore"):  # inf - inf: no k to the left qualifies
            mp = f[: nc - 1] >= f[nc - 1] - fse[nc - 1]
        return int(np.argmax(mp)) + 1 if mp.any() else nc

    if method == "firstmax":
        return first_local_max()
    if method == "globalmax":
        return int(np.argmax(f)) + 1
    if method == "Tibs2001SEmax":
        with np.errstate(invalid="ignore"):
            mp = f[:-1] >= (f - fse)[1:]
        return int(np.argmax(mp)) + 1 if mp.any() else K
    if method == "firstSEmax":
        return se_left_of(first_local_max())
    if method == "globalSEmax":
        return se_left_of(int(np.argmax(f)) + 1)
    raise InvalidParameterError(f"method must be one of {list(GAP_METHODS)}, got {method!r}")


def _rel_extrema(y: np.ndarray, greater: bool) -> np.ndarray:
    """scipy's ``argrelextrema(y, np.greater_equal / np.less_equal)`` (order 1, clipped)."""
    prev = np.concatenate([y[:1], y[:-1]])
    nxt = np.concatenate([y[1:], y[-1:]])
    if greater:
        return np.flatnonzero((y >= prev) & (y >= nxt))
    return np.flatnonzero((y <= prev) & (y <= nxt))


def _kneedle(x: Sequence[float], y: Sequence[float], S: float = 1.0) -> float | None:
    """Kneedle (Satopaa et al. 2011) as ``kneed.KneeLocator(x, y, S=S, curve="convex",
    direction="decreasing", online=False).knee``; ``None`` when there is no knee."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if len(xs) < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return None
    xn = (xs - xs.min()) / (xs.max() - xs.min())
    yn = (ys - ys.min()) / (ys.max() - ys.min())
    yn = yn.max() - yn  # convex decreasing -> concave increasing
    diff = yn - xn
    maxima = _rel_extrema(diff, True)
    minima = _rel_extrema(diff, False)
    if maxima.size == 0:
        return None
    thresholds = diff[maxima] - S * np.abs(np.diff(xn).mean())
    threshold = 0.0
    threshold_index = 0
    n_max = 0
    active = True
    for i in range(len(xs)):
        if i < maxima[0]:
            continue
        if i == len(xs) - 1:
            break
        if (maxima == i).any():
            threshold = thresholds[n_max]
            threshold_index = i
            n_max += 1
            active = True
        if (minima == i).any():
            threshold = 0.0
            active = False
        if active and diff[i + 1] < threshold:
            return float(xs[threshold_index])
    return None


# --------------------------------------------------------------------------- helpers


def _check_ks(k_range: Any, n: int, *, name: str = "k_range") -> list[int]:
    """The distinct ks of ``k_range``, sorted, each in ``[2, n - 1]`` and at most
    :data:`MAX_K_VALUES` of them. Checked before any list is built: a ``range`` by its
    bounds and length, any other iterable value by value, stopping at the first bad one
    (a generator that never ends is refused once it passes the cap)."""

    def outside(k: int) -> InvalidParameterError:
        return InvalidParameterError(
            f"{name} contains k={k}, outside [2, n_samples - 1] = [2, {n - 1}] for n_samples={n}"
        )

    def too_many(count: str) -> InvalidParameterError:
        return InvalidParameterError(
            f"{name} has {count} values, above the documented cap of {MAX_K_VALUES:,} "
            "(each k is a set of clusterings to fit)"
        )

    if isinstance(k_range, range):
        if not k_range:
            raise InvalidParameterError(f"{name} is empty")
        lo, hi = (k_range[0], k_range[-1]) if k_range.step > 0 else (k_range[-1], k_range[0])
        for k in (lo, hi):
            if k < 2 or k > n - 1:
                raise outside(k)
        if len(k_range) > MAX_K_VALUES:  # only a cap below n - 2 can be passed here
            raise too_many(f"{len(k_range):,}")
        return sorted(k_range)
    try:
        values = iter(k_range)
    except TypeError as exc:
        raise InvalidParameterError(f"{name} must be an iterable of ints, got {k_range!r}") from exc
    ks: list[int] = []
    for value in values:
        try:
            k = operator.index(value)
        except TypeError as exc:
            raise InvalidParameterError(
                f"{name} must be an iterable of ints, got {k_range!r}"
            ) from exc
        if k < 2 or k > n - 1:
            raise outside(k)
        if len(ks) == MAX_K_VALUES:
            raise too_many(f"more than {MAX_K_VALUES:,}")
        ks.append(k)
    if not ks:
        raise InvalidParameterError(f"{name} is empty")
    if len(set(ks)) != len(ks):
        raise InvalidParameterError(f"{name} has repeated values: {ks}")
    return sorted(ks)


def _check_not_constant(values: np.ndarray) -> None:
    if values.shape[0] > 0 and np.all(values == values[0]):
        raise NotEnoughSamplesError(
            f"all {values.shape[0]} rows of X are identical: there is only one distinct "
            "point, so there are no segments to choose between"
        )


def _reference_box(values: np.ndarray, space: str) -> dict[str, Any]:
    """clusGap's reference box: ranges of the centred data (rotated by its SVD's V)."""
    centre = values.mean(axis=0)
    xs = values - centre
    if space == "scaledPCA":
        _, _, vt = np.linalg.svd(xs, full_matrices=False)
        rotation = np.ascontiguousarray(vt.T)
        rotated = xs @ rotation
    else:
        rotation = None
        rotated = xs
    return {
        "centre": np.ascontiguousarray(centre),
        "lower": np.ascontiguousarray(rotated.min(axis=0)),
        "upper": np.ascontiguousarray(rotated.max(axis=0)),
        "rotation": rotation,
    }


def _chunks(total: int) -> Iterable[tuple[int, int]]:
    for start in range(0, total, _CHUNK):
        yield start, min(start + _CHUNK, total)


# --------------------------------------------------------------------------- gap


@dataclass(frozen=True, repr=False)
class GapResult(ResultMixin):
    """Gap statistic (R ``cluster::clusGap``) for k = 1..k_max.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``k``: ``log_w``, ``e_log_w`` (mean over reference sets), ``gap``
        (``e_log_w - log_w``) and ``se_sim`` (``sqrt(1 + 1/B) * sd``).
    optimal_k : int
        k chosen by ``method`` (R's ``maxSE``).
    method, se_factor, n_refs, d_power, space
        The settings used.
    ref_log_w : ndarray of shape (n_refs, k_max)
        ``log W_k`` of every reference set.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import gap_statistic
    >>> X = np.random.default_rng(0).normal(size=(60, 2))
    >>> print(gap_statistic(X, 3, n_refs=5, random_state=0).summary().splitlines()[0])
    Gap statistic (clusGap): B=5 reference sets, k = 1..3, d_power=2, space=scaledPCA
    """

    table: pd.DataFrame
    optimal_k: int
    method: str
    se_factor: float
    n_refs: int
    d_power: float
    space: str
    ref_log_w: np.ndarray

    def _summary(self) -> Summary:
        return Summary(
            f"Gap statistic (clusGap): B={self.n_refs} reference sets, k = 1..{len(self.table)}, "
            f"d_power={self.d_power:g}, space={self.space}",
            lines=[
                f"Number of clusters (method {self.method!r}, SE.factor={self.se_factor:g}): "
                f"{self.optimal_k}"
            ],
            tables=[Table(self.table)],
        )

    def plot(self, ax: Any = None) -> Any:
        """Gap curve with +-SE bars; the chosen k is marked. Returns the Axes.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from segwise.stability import gap_statistic
        >>> X = np.random.default_rng(0).normal(size=(60, 2))
        >>> ax = gap_statistic(X, 3, n_refs=5, random_state=0).plot()
        """
        ax = self._axes(ax)
        t = self.table
        ax.errorbar(t.index, t["gap"], yerr=t["se_sim"], marker="o", capsize=3)
        ax.axvline(self.optimal_k, color="grey", linestyle="--")
        ax.set_xlabel("k")
        ax.set_ylabel("gap")
        ax.set_title("Gap statistic")
        return ax


def _gap_core(
    values: np.ndarray,
    k_max: int,
    n_refs: int,
    space: str,
    d_power: float,
    start: str,
    n_init: int,
    seed: int,
    advance: Any,
) -> np.ndarray:
    box = _reference_box(values, space)
    n = values.shape[0]
    parts = []
    for b0, b1 in _chunks(n_refs):
        parts.append(
            _core.choose_k_gap_reference_log_w(
                n,
                centre=box["centre"],
                lower=box["lower"],
                upper=box["upper"],
                rotation=box["rotation"],
                k_max=k_max,
                d_power=d_power,
                b0=b0,
                b1=b1,
                start=start,
                n_init=n_init,
                seed=seed,
            )
        )
        advance(b1 - b0)
    return np.vstack(parts)


def _score(score: Any, values: np.ndarray, labels: np.ndarray) -> float:
    """A cluster-quality score of one fit; NaN when the fit left a single cluster (k
    centres on data with fewer distinct points), where the score is undefined."""
    return float(score(values, labels)) if len(np.unique(labels)) > 1 else np.nan


def _best(column: pd.Series, how: str) -> int | None:
    """The k a criterion picks on its own; None when it is undefined for every k (e.g. a
    silhouette where every fit left one cluster: data with that few distinct points)."""
    if column.isna().all():
        return None
    return int(column.idxmax() if how == "max" else column.idxmin())


def _gap_table(data_log_w: np.ndarray, ref_log_w: np.ndarray) -> pd.DataFrame:
    B = ref_log_w.shape[0]
    # a reference set without within-cluster dispersion at float precision has log W =
    # -inf: its mean is -inf and its spread NaN (no warning), as R's clusGap gives
    with np.errstate(invalid="ignore"):
        e_log_w = ref_log_w.mean(axis=0)
        sd = ref_log_w.std(axis=0, ddof=1) if B > 1 else np.zeros(ref_log_w.shape[1])
        gap = e_log_w - data_log_w
    se = np.sqrt(1.0 + 1.0 / B) * sd
    k = pd.Index(np.arange(1, len(data_log_w) + 1), name="k")
    return pd.DataFrame(
        {"log_w": data_log_w, "e_log_w": e_log_w, "gap": gap, "se_sim": se},
        index=k,
    )


def _data_log_w(
    values: np.ndarray, labels: Any, ks: Sequence[int], d_power: float
) -> dict[int, float]:
    out = {}
    for k, lab in zip(ks, labels, strict=False):
        w = _core.choose_k_within_dispersion(
            values, np.ascontiguousarray(lab), k=k, d_power=d_power
        )
        out[k] = math.log(w) if w > 0 else -math.inf
    return out


def gap_statistic(
    X: Any,
    k_max: int = 10,
    *,
    n_refs: int = 100,
    space: str = "scaledPCA",
    d_power: float = 2.0,
    method: str = "firstSEmax",
    se_factor: float = 1.0,
    n_init: int = 1,
    random_state: Any = None,
    progress: bool | None = None,
) -> GapResult:
    """Gap statistic of Tibshirani, Walther & Hastie (2001) with R ``cluster::clusGap``'s
    definitions, for k-means with k = 1..k_max.

    ``W_k = 0.5 * sum_r (sum_{i<j in cluster r} d_ij ** d_power) / n_r`` (clusGap's
    ``W.k``; k = 1 is one cluster). ``n_refs`` reference sets are drawn uniformly in the
    box spanned by the centred data, rotated by its SVD (``space="scaledPCA"``: draw in the
    ranges of ``xs @ V`` then map back with ``V.T`` and add the centre) or in the original
    coordinates (``space="original"``). ``gap = E*[log W_k] - log W_k`` and
    ``se_sim = sqrt(1 + 1/B) * sd(log W*_k)`` (``n - 1`` denominator); ``method`` applies R's
    ``maxSE`` rule.

    ``d_power=2`` (the default here) makes ``W_k`` half the k-means inertia, which is
    Tibshirani et al.'s definition and costs O(n k) per fit. clusGap's default is
    ``d_power=1``, which needs every within-cluster pair of rows, O(n^2): about a billion
    distances per reference set at 50,000 rows. Both are supported; on large data prefer 2.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Data (float64).
    k_max : int, default=10
        Largest k (clusGap's ``K.max``), ``2 <= k_max <= n_samples - 1``.
    n_refs : int, default=100
        Number of reference sets (clusGap's ``B``; at most 1,000,000).
    space : {"scaledPCA", "original"}, default="scaledPCA"
        clusGap's ``spaceH0``.
    d_power : float, default=2.0
        Power of the Euclidean distances in ``W_k`` (clusGap's ``d.power``).
    method : {"firstSEmax", "Tibs2001SEmax", "globalSEmax", "firstmax", "globalmax"}
        The rule choosing k (R's ``maxSE``), default "firstSEmax" as clusGap's print.
    se_factor : float, default=1.0
        The SE multiplier of the ``*SEmax`` rules.
    n_init : int, default=1
        k-means++ restarts per fit (R's ``kmeans`` default ``nstart = 1``; at most 10,000).
    random_state : int, numpy Generator/RandomState or None
        Seed of every reference set and fit.
    progress : bool or None
        Show a progress bar (None: only in a terminal or notebook).

    Returns
    -------
    GapResult

    Raises
    ------
    InvalidParameterError
        If ``k_max`` is outside ``[2, n_samples - 1]``, ``n_refs < 1`` or an option is
        unknown.
    NotEnoughSamplesError
        If every row of ``X`` is the same point.
    NonFiniteError
        If ``X`` contains NaN or infinity (the message names the columns).

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import gap_statistic
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, (40, 2)) for c in (0, 5, 10)])
    >>> res = gap_statistic(X, k_max=5, n_refs=10, random_state=0)
    >>> res.optimal_k
    3
    >>> list(res.table.columns)
    ['log_w', 'e_log_w', 'gap', 'se_sim']
    """
    params = validate_params(locals(), _GAP_PARAMS, caller="gap_statistic")
    k_max, n_refs, space = params["k_max"], params["n_refs"], params["space"]
    d_power, method, se_factor = params["d_power"], params["method"], params["se_factor"]
    n_init, progress = params["n_init"], params["progress"]
    values = check_array(X, dtypes=(np.float64,)).values
    check_magnitude(values, "gap_statistic's squared distances")  # huge values: NonFiniteError
    n = values.shape[0]
    if k_max < 2 or k_max > n - 1:
        raise InvalidParameterError(
            f"k_max={k_max} is outside [2, n_samples - 1] = [2, {n - 1}] for n_samples={n}"
        )
    seed = check_random_state(random_state)
    _check_not_constant(values)
    return _gap_statistic(
        values, k_max, n_refs, space, d_power, method, se_factor, n_init, seed, progress
    )


def _gap_statistic(
    values: np.ndarray,
    k_max: int,
    n_refs: int,
    space: str,
    d_power: float,
    method: str,
    se_factor: float,
    n_init: int,
    seed: int,
    progress: bool | None,
    start: str = "k-means++",
) -> GapResult:
    """:func:`gap_statistic` on checked arguments; ``start="first_rows"`` seeds every
    k-means fit with the first k rows instead of k-means++ (the tests' oracle does so)."""
    ks = list(range(1, k_max + 1))
    with _progress(1 + n_refs, "gap statistic", progress) as advance:
        _, labels, _ = _core.choose_k_fit_curve(
            values, ks=ks, start=start, n_init=n_init, seed=seed
        )
        data = _data_log_w(values, labels, ks, d_power)
        advance(1)
        ref = _gap_core(values, k_max, n_refs, space, d_power, start, n_init, seed, advance)
    table = _gap_table(np.array([data[k] for k in ks]), ref)
    k_opt = _max_se(table["gap"].to_numpy(), table["se_sim"].to_numpy(), method, se_factor)
    return GapResult(table, k_opt, method, se_factor, n_refs, d_power, space, ref)


# --------------------------------------------------------------------------- prediction strength


@dataclass(frozen=True, repr=False)
class PredictionStrengthResult(ResultMixin):
    """Prediction strength (Tibshirani & Walther 2005, R ``fpc::prediction.strength``).

    Attributes
    ----------
    table : DataFrame
        Indexed by ``k`` (1 and every k asked for): ``mean`` and ``sd`` over splits
        (k = 1 is 1 by definition).
    optimal_k : int
        The largest k whose mean prediction strength exceeds ``cutoff`` (1 if none).
    cutoff : float
    per_split : ndarray of shape (n_splits, len(k_range))

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import prediction_strength
    >>> X = np.random.default_rng(0).normal(size=(60, 2))
    >>> res = prediction_strength(X, [2, 3], n_splits=3, random_state=0)
    >>> res.summary().splitlines()[0]
    'Prediction strength: 3 splits, cutoff 0.8'
    """

    table: pd.DataFrame
    optimal_k: int
    cutoff: float
    per_split: np.ndarray

    def _summary(self) -> Summary:
        return Summary(
            f"Prediction strength: {self.per_split.shape[0]} splits, cutoff {self.cutoff:g}",
            lines=[f"Optimal k: {self.optimal_k}"],
            tables=[Table(self.table)],
        )

    def plot(self, ax: Any = None) -> Any:
        """Mean prediction strength per k with the cutoff line. Returns the Axes.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from segwise.stability import prediction_strength
        >>> X = np.random.default_rng(0).normal(size=(60, 2))
        >>> ax = prediction_strength(X, [2, 3], n_splits=3, random_state=0).plot()
        """
        ax = self._axes(ax)
        t = self.table
        ax.errorbar(t.index, t["mean"], yerr=t["sd"], marker="o", capsize=3)
        ax.axhline(self.cutoff, color="grey", linestyle="--")
        ax.set_xlabel("k")
        ax.set_ylabel("prediction strength")
        return ax


def _ps_core(
    values: np.ndarray,
    ks: list[int],
    n_splits: int,
    start: str,
    n_init: int,
    seed: int,
    advance: Any,
) -> np.ndarray:
    n = values.shape[0]
    _check_halves(ks, n)
    parts = []
    for m0, m1 in _chunks(n_splits):
        parts.append(
            _core.choose_k_prediction_strength(
                values, ks=ks, m0=m0, m1=m1, start=start, n_init=n_init, seed=seed
            )
        )
        advance(m1 - m0)
    return np.vstack(parts)


def _check_halves(ks: list[int], n: int) -> None:
    for k in ks:
        if k > n // 2:
            raise InvalidParameterError(
                f"k_range contains k={k} but each half of a prediction-strength split has "
                f"only {n // 2} rows (n_samples={n})"
            )


def _any_ps(
    estimator: Any, table: Any, n: int, ks: list[int], n_splits: int, seed: int, advance: Any
) -> np.ndarray:
    """Prediction strength of any clusterer, split by split (Ctrl-C between splits)."""
    parts = []
    for m0, m1 in _chunks(n_splits):
        parts.append(
            _refit.prediction_strength_splits(estimator, table, n, ks, range(m0, m1), seed)
        )
        advance(m1 - m0)
    return np.vstack(parts)


def _ps_result(per_split: np.ndarray, ks: list[int], cutoff: float) -> PredictionStrengthResult:
    mean = per_split.mean(axis=0)
    sd = per_split.std(axis=0, ddof=1) if per_split.shape[0] > 1 else np.zeros(len(ks))
    table = pd.DataFrame(
        {"mean": np.concatenate([[1.0], mean]), "sd": np.concatenate([[0.0], sd])},
        index=pd.Index([1, *ks], name="k"),
    )
    above = [k for k, v in zip(table.index, table["mean"], strict=False) if v > cutoff]
    return PredictionStrengthResult(table, int(max(above)), cutoff, per_split)


def prediction_strength(
    X: Any,
    k_range: Iterable[int] = range(2, 11),
    *,
    n_splits: int = 50,
    cutoff: float = 0.8,
    n_init: int = 1,
    random_state: Any = None,
    progress: bool | None = None,
    estimator: Any = None,
) -> PredictionStrengthResult:
    """Prediction strength of k-means (Tibshirani & Walther 2005) as R's
    ``fpc::prediction.strength(clustermethod=kmeansCBI, classification="centroid")``, or of
    any clusterer with ``fit``/``predict`` (``estimator``, e.g.
    :class:`~segwise.cluster.KPrototypes` on a table with categorical columns).

    Each split permutes the rows into halves of ``floor(n/2)`` and ``n - floor(n/2)`` rows
    and clusters both. Every row of half i is classified by the nearest centroid of the
    other half; with ``c`` the table of half i's own clustering against that
    classification, the strength of cluster kk is
    ``(sum_l c[kk,l]^2 - n_kk) / (n_kk (n_kk - 1))`` (the share of pairs of the cluster that
    stay together). A split's value is the minimum over clusters and both halves; the
    result is its mean over splits. A cluster with fewer than two rows (0/0) scores 1, as
    in fpc. The optimal k is the largest k whose mean exceeds ``cutoff`` (k = 1 has 1).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    k_range : iterable of int, default=range(2, 11)
        Values of k, each in ``[2, floor(n/2)]``, at most 10,000 of them (checked before
        any list is built: a ``range`` by its bounds).
    n_splits : int, default=50
        Number of random splits (fpc's ``M``; at most 1,000,000).
    cutoff : float, default=0.8
    n_init : int, default=1
        k-means++ restarts per fit (at most 10,000).
    random_state : int, numpy Generator/RandomState or None
    progress : bool or None
    estimator : clusterer with fit, predict, get_params and n_clusters, optional
        Cluster with copies of this estimator instead of k-means (``n_clusters`` set to each
        k, one restart where it has ``n_init``, its own ``random_state`` drawn per fit);
        each half's clusters are compared with the other half's model's ``predict``. ``X``
        may then hold categorical columns. The splits are drawn by numpy, not by the Rust
        k-means path, so the numbers differ from the k-means ones for the same seed.

    Returns
    -------
    PredictionStrengthResult

    Raises
    ------
    InvalidParameterError
        If a k is outside ``[2, n_samples - 1]`` or larger than half the rows, or
        ``n_splits < 1``.
    NonFiniteError
        If ``X`` contains NaN or infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import prediction_strength
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, (40, 2)) for c in (0, 5, 10)])
    >>> prediction_strength(X, range(2, 6), n_splits=10, random_state=0).optimal_k
    3
    """
    params = validate_params(locals(), _PS_PARAMS, caller="prediction_strength")
    n_splits, cutoff, n_init = params["n_splits"], params["cutoff"], params["n_init"]
    progress = params["progress"]
    if estimator is not None:
        _refit.check_clusterer(estimator, "prediction_strength", needs_predict=True)
        table, n, _, _ = _refit.read_table(X, "prediction_strength")
        ks = _check_ks(k_range, n)
        _check_halves(ks, n)
        seed = check_random_state(random_state)
        with _progress(n_splits, "prediction strength", progress) as advance:
            per_split = _any_ps(estimator, table, n, ks, n_splits, seed, advance)
        return _ps_result(per_split, ks, cutoff)
    values = check_array(X, dtypes=(np.float64,)).values
    check_magnitude(
        values, "prediction_strength's squared distances"
    )  # huge values: NonFiniteError
    n = values.shape[0]
    ks = _check_ks(k_range, n)
    seed = check_random_state(random_state)
    _check_not_constant(values)
    return _prediction_strength(values, ks, n_splits, cutoff, n_init, seed, progress)


def _prediction_strength(
    values: np.ndarray,
    ks: list[int],
    n_splits: int,
    cutoff: float,
    n_init: int,
    seed: int,
    progress: bool | None,
    start: str = "k-means++",
) -> PredictionStrengthResult:
    """:func:`prediction_strength` on checked arguments; ``start="first_rows"`` seeds every
    k-means fit with the first k rows of its half (the tests' oracle does so)."""
    with _progress(n_splits, "prediction strength", progress) as advance:
        per_split = _ps_core(values, ks, n_splits, start, n_init, seed, advance)
    return _ps_result(per_split, ks, cutoff)


# --------------------------------------------------------------------------- choose_k


@dataclass(frozen=True, repr=False)
class ChooseKResult(ResultMixin):
    """One row per k with every criterion, and a recommended k.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``k``. Columns (those computed): ``inertia``, ``silhouette``,
        ``calinski_harabasz``, ``davies_bouldin``, ``gap``, ``gap_se``,
        ``prediction_strength``, ``bootstrap_ari``, ``bootstrap_ari_sd``, ``knee`` (bool),
        ``min_share`` (share of rows in the smallest segment of the k-means fit).
    recommended_k : int
    reason : str
        The rule's outcome in words.
    picks : dict
        The k each criterion picks on its own (see :func:`choose_k`).
    notes : list of str
        How the table was computed (sample sizes, settings).
    """

    table: pd.DataFrame
    recommended_k: int
    reason: str
    picks: dict[str, int | None]
    notes: list[str]

    def agreeing(self) -> list[str]:
        """Criteria whose own pick equals the recommended k.

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.stability import choose_k
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(c, 0.3, (40, 2)) for c in (0, 5, 10)])
        >>> res = choose_k(X, range(2, 6), n_refs=5, n_splits=5, n_boot=5, random_state=0)
        >>> "silhouette" in res.agreeing()
        True
        """
        return [c for c, k in self.picks.items() if k == self.recommended_k]

    def _summary(self) -> Summary:
        picks = ", ".join(
            f"{_PANELS[c][0] if c in _PANELS else c}: {k if k is not None else '-'}"
            for c, k in self.picks.items()
        )
        return Summary(
            f"Recommended k = {self.recommended_k}",
            lines=[self.reason, f"Each criterion's own pick: {picks}"],
            tables=[Table(_display_table(self.table))],
            after=[_directions(self.table.columns), *self.notes],
        )

    def plot(self, ax: Any = None) -> Any:
        """Small multiples: one panel per criterion against k, the recommended k marked.

        Each panel's title says whether higher or lower is better; the inertia panel marks
        the knee (Kneedle) with a red cross, the stability panels their 0.8 threshold.
        ``ax`` may be an array of Axes (at least one per criterion) or a matplotlib Figure
        to draw the panels into (it is resized to fit them); returns the array of Axes.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from segwise.stability import choose_k
        >>> X = np.random.default_rng(0).normal(size=(60, 2))
        >>> res = choose_k(X, [2, 3], n_refs=3, n_splits=3, n_boot=3, random_state=0)
        >>> axes = res.plot()
        """
        cols = [c for c in _PANELS if c in self.table.columns]
        ncol = min(4, len(cols))
        nrow = math.ceil(len(cols) / ncol)
        ax = self._axes(ax, figsize=(3.4 * ncol, 3.0 * nrow), grid=(nrow, ncol))
        axes = np.asarray(ax).ravel()
        if axes.size < len(cols):
            raise InvalidParameterError(f"plot needs {len(cols)} Axes, got {axes.size}")
        t = self.table
        for a, c in zip(axes, cols, strict=False):
            yerr = t["gap_se"] if c == "gap" else None
            a.errorbar(t.index, t[c], yerr=yerr, marker="o", markersize=3)
            a.axvline(self.recommended_k, color="grey", linestyle="--", label="recommended k")
            if c == "inertia" and "knee" in t.columns and t["knee"].any():
                kk = t.index[t["knee"]][0]
                a.plot([kk], [t.loc[kk, "inertia"]], "rx", markersize=9, label="knee (Kneedle)")
            if c in ("prediction_strength", "bootstrap_ari"):
                a.axhline(0.8, color="tab:green", linestyle=":", label="stable from 0.8")
            name, better = _PANELS[c]
            a.set_title(f"{name}\n({better})", fontsize=9)
            a.set_xlabel("k", fontsize=8)
            a.tick_params(labelsize=7)
            if c in ("inertia", "prediction_strength", "bootstrap_ari"):
                a.legend(fontsize=7, loc="best")
        for a in axes[len(cols) :]:
            a.set_visible(False)
        figure = axes[0].figure
        # Room for the two-line titles: without it they overlap the panels above.
        if hasattr(figure, "subplots_adjust"):
            figure.subplots_adjust(hspace=0.75, wspace=0.35)
        return np.asarray(ax)


#: The plotted columns in order: (name, which way is better).
_PANELS = {
    "inertia": ("inertia", "falls with k: look for the knee"),
    "silhouette": ("silhouette", "higher is better"),
    "calinski_harabasz": ("Calinski-Harabasz", "higher is better"),
    "davies_bouldin": ("Davies-Bouldin", "lower is better"),
    "gap": ("gap statistic", "higher is better, +/- 1 SE"),
    "prediction_strength": ("prediction strength", "higher is better"),
    "bootstrap_ari": ("bootstrap ARI", "higher is better"),
    "min_share": ("smallest segment share", "too small is fragile"),
}


def _display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The per-k table for reading: short headers, ``gap +/- SE``, shares in percent."""
    short = {
        "calinski_harabasz": "CH",
        "davies_bouldin": "DB",
        "prediction_strength": "PS",
        "bootstrap_ari": "boot ARI",
        "min_share": "min share",
    }
    out = pd.DataFrame(index=table.index)
    for c in table.columns:
        if c in ("gap_se", "bootstrap_ari_sd"):
            continue
        v = table[c]
        if c == "gap" and "gap_se" in table:
            out["gap +/- SE"] = [
                "n/a" if np.isnan(g) else f"{g:.3f} +/- {e:.3f}"
                for g, e in zip(v, table["gap_se"], strict=True)
            ]
        elif c == "bootstrap_ari" and "bootstrap_ari_sd" in table:
            out["boot ARI +/- sd"] = [
                "n/a" if np.isnan(g) else f"{g:.3f} +/- {e:.2f}"
                for g, e in zip(v, table["bootstrap_ari_sd"], strict=True)
            ]
        elif c == "min_share":
            out[short[c]] = [fmt_share(x) for x in v]
        elif c == "knee":
            out[c] = v
        else:
            out[short.get(c, c)] = [fmt_number(x, 4 if c == "inertia" else 3) for x in v]
    return out


def _directions(columns: Any) -> str:
    """One line: which way each criterion in the table is better."""
    words = {
        "silhouette": "silhouette",
        "calinski_harabasz": "CH (Calinski-Harabasz)",
        "gap": "gap",
        "prediction_strength": "PS (prediction strength, stable from 0.8)",
        "bootstrap_ari": "boot ARI (stable from 0.8)",
    }
    parts = []
    higher = [w for c, w in words.items() if c in columns]
    if higher:
        parts.append("higher is better: " + ", ".join(higher))
    if "davies_bouldin" in columns:
        parts.append("lower is better: DB (Davies-Bouldin)")
    if "inertia" in columns:
        parts.append("inertia always falls with k: its knee is where more segments stop paying")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _recommend(
    table: pd.DataFrame, ps_cutoff: float, ari_threshold: float, min_share: float
) -> tuple[int, str]:
    ks = list(table.index)
    big = [k for k in ks if table.loc[k, "min_share"] >= min_share]
    tests = []
    if "prediction_strength" in table:
        tests.append(("prediction strength", "prediction_strength", ps_cutoff))
    if "bootstrap_ari" in table:
        tests.append(("bootstrap ARI", "bootstrap_ari", ari_threshold))
    words = " and ".join(f"{name} >= {thr:g}" for name, _, thr in tests)
    if tests:
        stable = [k for k in big if all(table.loc[k, col] >= thr for _, col, thr in tests)]
        if stable:
            k = max(stable)
            return k, (
                f"k = {k} is the largest k with {words} and a smallest segment of at least "
                f"{min_share:.0%} of rows (min share {table.loc[k, 'min_share']:.1%})."
            )
    pool = big or ks
    why = (
        f"no k has {words} and min share >= {min_share:.0%}" if tests else "no stability criterion"
    )
    if not big:
        why += f"; no k has a smallest segment of at least {min_share:.0%}"
    if "gap" in table and "gap_pick" in table.attrs and table.attrs["gap_pick"] in pool:
        k = int(table.attrs["gap_pick"])
        return k, f"Fallback: {why}, so the gap statistic's choice (firstSEmax) k = {k} is used."
    if "silhouette" in table and table["silhouette"].loc[pool].notna().any():
        k = int(table["silhouette"].loc[pool].idxmax())
        return k, f"Fallback: {why}, so the k with the highest silhouette, k = {k}, is used."
    k = int(min(pool))
    return k, f"Fallback: {why}, so the smallest k, k = {k}, is used."


def choose_k(
    X: Any,
    k_range: Iterable[int] = range(2, 11),
    *,
    criteria: Sequence[str] | None = None,
    n_refs: int = 20,
    n_splits: int = 20,
    n_boot: int = 20,
    n_init: int = 3,
    d_power: float = 2.0,
    ps_cutoff: float = 0.8,
    ari_threshold: float = 0.8,
    min_share: float = 0.02,
    silhouette_max_n: int = 20_000,
    random_state: Any = None,
    progress: bool | None = None,
    estimator: Any = None,
) -> ChooseKResult:
    """Every common criterion for the number of k-means segments (or of any clusterer's:
    ``estimator``), one row per k, and a recommended k with the reason in words.

    Criteria (``criteria``, default all): ``inertia`` (and its Kneedle knee, as
    ``kneed.KneeLocator(curve="convex", direction="decreasing", S=1)``), ``silhouette``
    (exact; on more than ``silhouette_max_n`` rows, on one seeded sample of that many rows,
    the same for every k, noted in ``notes``), ``calinski_harabasz``, ``davies_bouldin``,
    ``gap`` (:func:`gap_statistic`, ``d_power=2``, with its SE), ``prediction_strength``
    (:func:`prediction_strength`) and ``bootstrap_ari`` (``flexclust::bootFlexclust``: fit
    k-means on two bootstrap samples, predict every row with both, ARI of the two
    partitions; mean and sd over ``n_boot`` pairs). ``min_share`` (the smallest segment's
    share of rows) is always reported.

    The inertia, silhouette, CH, DB, knee and min share come from one k-means fit per k on
    all rows (``n_init`` k-means++ restarts); the gap statistic's ``log W_k`` of the data
    uses the same fits. The resampled criteria (reference sets, splits, bootstrap samples)
    use one restart per fit.

    **Recommendation rule.** The recommended k is the *largest* k that is stable, meaning
    mean prediction strength ``>= ps_cutoff`` and mean bootstrap ARI ``>= ari_threshold``
    (those computed), and whose smallest segment holds at least ``min_share`` of the rows.
    Largest because merging true segments is stable too (Tibshirani & Walther's rule).
    If no k qualifies: the gap statistic's firstSEmax choice among the k with a big enough
    smallest segment, else the highest silhouette, else the smallest k; ``reason`` says
    which. ``picks`` lists what each criterion alone would pick: silhouette and CH their
    maximum, DB its minimum, gap firstSEmax (over 1..max k), prediction strength the largest
    k above the cutoff, bootstrap ARI its maximum, and the knee.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    k_range : iterable of int, default=range(2, 11)
        Each k in ``[2, n_samples - 1]`` (and ``<= n_samples / 2`` for prediction strength),
        at most 10,000 of them (checked before any list is built: a ``range`` by its bounds).
    criteria : sequence of str, optional
        A subset of ``("inertia", "silhouette", "calinski_harabasz", "davies_bouldin",
        "gap", "prediction_strength", "bootstrap_ari")``.
    n_refs, n_splits, n_boot : int, default=20
        Reference sets (gap), splits (prediction strength), bootstrap pairs (ARI). Fewer than
        the standalone functions' defaults so that 50,000 rows take seconds, not minutes
        (each at most 1,000,000).
    n_init : int, default=3
        k-means++ restarts of the fits on all rows (at most 10,000).
    d_power : float, default=2.0
        Gap statistic's distance power (see :func:`gap_statistic`).
    ps_cutoff, ari_threshold : float, default=0.8
    min_share : float, default=0.02
    silhouette_max_n : int, default=20000
    random_state : int, numpy Generator/RandomState or None
    progress : bool or None
    estimator : clusterer with fit, predict, get_params and n_clusters, optional
        Use copies of this clusterer instead of k-means, e.g.
        :class:`~segwise.cluster.KPrototypes` on a table with categorical columns:
        ``n_clusters`` is set to each k, ``n_init`` (where it has one) to ``n_init`` on all
        rows and to 1 on the resampled fits, its ``random_state`` drawn per fit. Criteria:
        ``inertia`` (the fitted ``inertia_`` or ``cost_``), ``silhouette`` (on the
        distance the clusterer uses: Gower's for ``metric="gower"``, e.g.
        :class:`~segwise.cluster.KMedoids`, with its ``categorical``/``weights``/
        ``missing``; for KPrototypes/KModes the square root of their cost; else Euclidean on
        a numeric table and not computed, NaN, on a mixed one), ``calinski_harabasz`` and
        ``davies_bouldin`` (numeric tables only), ``prediction_strength`` and
        ``bootstrap_ari`` (through the clusterer's ``predict``); the gap statistic needs
        k-means' reference fits and is not available.

    Returns
    -------
    ChooseKResult

    Raises
    ------
    InvalidParameterError
        k outside ``[2, n_samples - 1]`` or more than 10,000 ks, an unknown criterion,
        ``n_refs``/``n_splits``/``n_boot`` outside ``[1, 1000000]``, ``n_init`` outside
        ``[1, 10000]``.
    NotEnoughSamplesError
        If every row of ``X`` is the same point.
    NonFiniteError
        If ``X`` contains NaN or infinity (the message names the columns).

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import choose_k
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, (40, 2)) for c in (0, 5, 10)])
    >>> res = choose_k(X, range(2, 6), n_refs=5, n_splits=5, n_boot=5, random_state=0)
    >>> res.recommended_k
    3
    >>> bool(res.table.loc[3, "prediction_strength"] > 0.8)
    True
    >>> res.summary().splitlines()[0]
    'Recommended k = 3'
    """
    params = validate_params(locals(), _CHOOSE_K_PARAMS, caller="choose_k")
    n_refs, n_splits, n_boot = params["n_refs"], params["n_splits"], params["n_boot"]
    n_init, d_power, ps_cutoff = params["n_init"], params["d_power"], params["ps_cutoff"]
    ari_threshold, min_share = params["ari_threshold"], params["min_share"]
    silhouette_max_n, progress = params["silhouette_max_n"], params["progress"]
    if estimator is not None:
        seed = check_random_state(random_state)
        return _choose_k_with(estimator, X, k_range, params, seed)
    values = check_array(X, dtypes=(np.float64,)).values
    check_magnitude(values, "choose_k's squared distances")  # huge values: NonFiniteError
    n = values.shape[0]
    ks = _check_ks(k_range, n)
    crit = list(CRITERIA) if params["criteria"] is None else params["criteria"]
    seed = check_random_state(random_state)
    _check_not_constant(values)
    if "prediction_strength" in crit:
        for k in ks:
            if k > n // 2:
                raise InvalidParameterError(
                    f"k_range contains k={k} but each half of a prediction-strength split "
                    f"has only {n // 2} rows (n_samples={n})"
                )

    total = 1 + len(ks)
    total += n_refs if "gap" in crit else 0
    total += n_splits if "prediction_strength" in crit else 0
    total += n_boot if "bootstrap_ari" in crit else 0
    notes: list[str] = [
        f"k-means: {n_init} k-means++ restart(s) per k on all {n} rows; one restart per "
        "resampled fit; random_state seeds every stream."
    ]
    table = pd.DataFrame(index=pd.Index(ks, name="k"))
    picks: dict[str, int | None] = {}
    with _progress(total, "choose_k", progress) as advance:
        fit_ks = [1, *ks] if "gap" in crit else ks
        inertia, labels, _ = _core.choose_k_fit_curve(
            values, ks=fit_ks, start="k-means++", n_init=n_init, seed=seed
        )
        advance(1)
        by_k = dict(zip(fit_ks, labels, strict=False))
        table["inertia"] = [float(inertia[fit_ks.index(k)]) for k in ks]
        counts = [np.bincount(by_k[k], minlength=k) for k in ks]
        table["min_share"] = [c.min() / n for c in counts]
        if "silhouette" in crit:
            idx = None
            if n > silhouette_max_n:
                rng = np.random.default_rng(seed)
                idx = np.sort(rng.choice(n, size=silhouette_max_n, replace=False))
                notes.append(
                    f"silhouette: exact on a seeded random sample of {silhouette_max_n} of "
                    f"{n} rows (the same rows for every k)."
                )
            sil = []
            for k in ks:
                lab = by_k[k].astype(np.int64)
                xv = values if idx is None else np.ascontiguousarray(values[idx])
                lv = lab if idx is None else np.ascontiguousarray(lab[idx])
                sil.append(_score(_core.silhouette_score, xv, lv))
            table["silhouette"] = sil
            picks["silhouette"] = _best(table["silhouette"], "max")
        if "calinski_harabasz" in crit:
            table["calinski_harabasz"] = [
                _score(_core.calinski_harabasz_score, values, by_k[k].astype(np.int64)) for k in ks
            ]
            picks["calinski_harabasz"] = _best(table["calinski_harabasz"], "max")
        if "davies_bouldin" in crit:
            table["davies_bouldin"] = [
                _score(_core.davies_bouldin_score, values, by_k[k].astype(np.int64)) for k in ks
            ]
            picks["davies_bouldin"] = _best(table["davies_bouldin"], "min")
        advance(len(ks))
        if "gap" in crit:
            k_max = max(ks)
            gap_ks = list(range(1, k_max + 1))
            missing = [k for k in gap_ks if k not in by_k]
            if missing:
                _, extra, _ = _core.choose_k_fit_curve(
                    values, ks=missing, start="k-means++", n_init=n_init, seed=seed
                )
                by_k.update(zip(missing, extra, strict=False))
            data = _data_log_w(values, [by_k[k] for k in gap_ks], gap_ks, d_power)
            ref = _gap_core(
                values, k_max, n_refs, "scaledPCA", d_power, "k-means++", 1, seed, advance
            )
            gt = _gap_table(np.array([data[k] for k in gap_ks]), ref)
            table["gap"] = gt.loc[ks, "gap"].to_numpy()
            table["gap_se"] = gt.loc[ks, "se_sim"].to_numpy()
            pick = _max_se(gt["gap"].to_numpy(), gt["se_sim"].to_numpy(), "firstSEmax", 1.0)
            picks["gap"] = pick
            table.attrs["gap_pick"] = pick
            notes.append(
                f"gap: {n_refs} uniform reference sets (scaledPCA box), d_power={d_power:g}, "
                f"firstSEmax over k = 1..{k_max} picks k = {pick}."
            )
        if "prediction_strength" in crit:
            per = _ps_core(values, ks, n_splits, "k-means++", 1, seed, advance)
            _store_ps(table, picks, per, ks, ps_cutoff)
        if "bootstrap_ari" in crit:
            parts = []
            for r0, r1 in _chunks(n_boot):
                parts.append(
                    _core.choose_k_bootstrap_ari(
                        values, ks=ks, r0=r0, r1=r1, start="k-means++", n_init=1, seed=seed
                    )
                )
                advance(r1 - r0)
            _store_ari(table, picks, np.vstack(parts))
    return _finish(table, crit, ks, picks, notes, (ps_cutoff, ari_threshold, min_share))


def _store_ps(
    table: pd.DataFrame, picks: dict[str, int | None], per: np.ndarray, ks: list[int], cutoff: float
) -> None:
    """The prediction-strength column and pick from the per-split values."""
    ps = _ps_result(per, ks, cutoff)
    table["prediction_strength"] = ps.table.loc[ks, "mean"].to_numpy()
    picks["prediction_strength"] = ps.optimal_k


def _store_ari(table: pd.DataFrame, picks: dict[str, int | None], ari: np.ndarray) -> None:
    """The bootstrap-ARI columns and pick from the per-pair values (rows)."""
    table["bootstrap_ari"] = ari.mean(axis=0)
    table["bootstrap_ari_sd"] = ari.std(axis=0, ddof=1) if ari.shape[0] > 1 else 0.0
    picks["bootstrap_ari"] = _best(table["bootstrap_ari"], "max")


def _finish(
    table: pd.DataFrame,
    crit: list[str],
    ks: list[int],
    picks: dict[str, int | None],
    notes: list[str],
    rule: tuple[float, float, float],
) -> ChooseKResult:
    """The knee, the recommendation and the table's column order."""
    if "inertia" in crit and table["inertia"].notna().all():
        knee = _kneedle(ks, table["inertia"].to_numpy())
        table["knee"] = [k == knee for k in ks]
        picks["knee"] = None if knee is None else int(knee)
    elif "inertia" not in crit:
        table = table.drop(columns="inertia")
    k_rec, reason = _recommend(table, *rule)
    agree = [c for c, k in picks.items() if k == k_rec]
    reason += f" Criteria that pick k = {k_rec} on their own: {', '.join(agree) or 'none'}."
    cols = [
        c
        for c in (
            "inertia",
            "knee",
            "silhouette",
            "calinski_harabasz",
            "davies_bouldin",
            "gap",
            "gap_se",
            "prediction_strength",
            "bootstrap_ari",
            "bootstrap_ari_sd",
            "min_share",
        )
        if c in table.columns
    ]
    table = table[cols]
    table.attrs.clear()
    return ChooseKResult(table, int(k_rec), reason, picks, notes)


_ANY_CRITERIA = ("inertia", "silhouette", "prediction_strength", "bootstrap_ari")
_NUMERIC_ONLY = ("calinski_harabasz", "davies_bouldin")


def _choose_k_with(
    estimator: Any, X: Any, k_range: Any, params: dict[str, Any], seed: int
) -> ChooseKResult:
    """:func:`choose_k` with any clusterer (see its ``estimator``)."""
    table_in, n, _, numeric = _refit.read_table(X, "choose_k")
    ks = _check_ks(k_range, n)
    allowed = [*_ANY_CRITERIA, *(_NUMERIC_ONLY if numeric is not None else ())]
    if params["criteria"] is None:
        crit = allowed
    else:
        crit = params["criteria"]
        refused = [c for c in crit if c not in allowed]
        if refused:
            why = "needs k-means reference fits" if refused == ["gap"] else "needs a numeric table"
            raise InvalidParameterError(
                f"choose_k with an estimator cannot compute {refused} ({why}); choose among "
                f"{allowed}"
            )
    resampled = [c for c in ("prediction_strength", "bootstrap_ari") if c in crit]
    _refit.check_clusterer(estimator, "choose_k", needs_predict=bool(resampled))
    if "prediction_strength" in crit:
        _check_halves(ks, n)
    n_init, n_splits, n_boot = params["n_init"], params["n_splits"], params["n_boot"]
    name = type(estimator).__name__
    notes = [
        f"{name}: {n_init} restart(s) per k on all {n} rows (where it has n_init); one "
        "restart per resampled fit; random_state seeds every fit."
    ]
    table = pd.DataFrame(index=pd.Index(ks, name="k"))
    picks: dict[str, int | None] = {}
    total = len(ks) + (n_splits if "prediction_strength" in crit else 0)
    total += n_boot if "bootstrap_ari" in crit else 0
    with _progress(total, "choose_k", params["progress"]) as advance:
        models = []
        for k in ks:
            rng = _refit.stream(seed, 0, k)
            models.append(
                _refit.refit(estimator, table_in, None, k, _refit.seed_of(rng), n_init=n_init)
            )
            advance(1)
        labels = [_refit.labels_of(m) for m in models]
        table["inertia"] = [
            float(getattr(m, "inertia_", getattr(m, "cost_", np.nan))) for m in models
        ]
        codes = [encode_labels(lab, name="the clusterer's labels").codes for lab in labels]
        table["min_share"] = [np.bincount(c).min() / n for c in codes]
        if "silhouette" in crit:
            table["silhouette"] = _any_silhouette(
                table_in, numeric, models, codes, params["silhouette_max_n"], seed, notes
            )
            if table["silhouette"].notna().any():
                picks["silhouette"] = int(table["silhouette"].idxmax())
        if numeric is not None:
            for c, best in (("calinski_harabasz", "idxmax"), ("davies_bouldin", "idxmin")):
                if c in crit:
                    score = getattr(_core, f"{c}_score")
                    table[c] = [float(score(table_in, lab.astype(np.int64))) for lab in codes]
                    picks[c] = int(getattr(table[c], best)())
        if "prediction_strength" in crit:
            per = _any_ps(estimator, table_in, n, ks, n_splits, seed, advance)
            _store_ps(table, picks, per, ks, params["ps_cutoff"])
        if "bootstrap_ari" in crit:
            parts = []
            for r0, r1 in _chunks(n_boot):
                parts.append(
                    _refit.bootstrap_ari_pairs(estimator, table_in, n, ks, range(r0, r1), seed)
                )
                advance(r1 - r0)
            _store_ari(table, picks, np.vstack(parts))
    if "inertia" in crit and table["inertia"].isna().any():
        notes.append(f"inertia: {name} has no inertia_ or cost_ after fit.")
    rule = (params["ps_cutoff"], params["ari_threshold"], params["min_share"])
    return _finish(table, crit, ks, picks, notes, rule)


def _any_silhouette(
    table: Any,
    numeric: Any,
    models: list[Any],
    codes: list[np.ndarray],
    max_n: int,
    seed: int,
    notes: list[str],
) -> list[float]:
    """Silhouette of every fit on the distance its clusterer uses: Gower's for one with
    ``metric="gower"`` (KMedoids), the k-prototypes distance (from the fitted model) for
    KPrototypes/KModes, else Euclidean on a numeric table; one seeded sample of rows for
    every k past ``max_n``."""
    from ..metrics import silhouette_score

    n = len(codes[0])
    idx = None
    if n > max_n:
        # silhouette_score(sample_size=max_n, random_state=seed) draws these same rows
        idx = np.sort(np.random.default_rng(seed).choice(n, size=max_n, replace=False))
        notes.append(
            f"silhouette: exact on a seeded random sample of {max_n} of {n} rows (the same "
            "rows for every k)."
        )
    rows = np.arange(n) if idx is None else idx
    out: list[float] = []
    distances: set[str] = set()
    for model, lab in zip(models, codes, strict=True):
        lv = np.ascontiguousarray(lab[rows].astype(np.int64))
        gower = _refit.gower_keywords(model)
        points: np.ndarray | None = None
        if gower is not None:
            distances.add("Gower's distance (the clusterer's metric)")
        elif numeric is None:
            points = _refit.mixed_embedding(model, _refit.take_rows(table, rows))
            distances.add(
                "an unknown distance"
                if points is None
                else "the k-prototypes distance (the square root of the cost)"
            )
        else:
            points = np.ascontiguousarray(_refit.take_rows(table, rows))
        if len(np.unique(lv)) < 2:
            out.append(np.nan)
        elif gower is not None:  # Gower's column scales from the whole table, as the fit's
            out.append(
                silhouette_score(
                    table,
                    lab,
                    metric="gower",
                    sample_size=None if idx is None else max_n,
                    random_state=seed,
                    **gower,
                )
            )
        elif points is not None:
            out.append(float(_core.silhouette_score(points, lv)))
        else:
            out.append(np.nan)
    for distance in sorted(distances):
        notes.append(
            "silhouette: not computed on a mixed table for a clusterer without a known "
            "distance (use KPrototypes/KModes, or KMedoids with metric='gower')."
            if distance == "an unknown distance"
            else f"silhouette: on {distance}."
        )
    return out
