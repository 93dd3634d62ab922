"""Per-segment bootstrap stability (Hennig's clusterboot)."""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._progress import progress as _progress
from .._progress import progress_enabled
from .._results import ResultMixin, Summary, Table
from .._validation import (
    REPLICATES,
    Constraints,
    HasMethods,
    Interval,
    StrOptions,
    check_array,
    check_int,
    check_random_state,
    validate_params,
)
from ..cluster._kmeans import KMeans
from ..exceptions import ConvergenceWarning, InvalidParameterError, NotEnoughSamplesError
from ._refit import (
    fit_labels,
    fresh,
    n_clusters_of,
    read_table,
    refuse_precomputed,
    segment_codes,
    take_rows,
)

__all__ = ["StabilityResult", "bootstrap_stability"]

_PARAMS: Constraints = {
    "estimator_or_k": [
        Interval(Integral, 2, None, closed="left"),
        HasMethods(["fit", "get_params"]),
    ],
    "n_boot": [REPLICATES],
    "scheme": [StrOptions(["bootstrap", "subsample"])],
    "subsample_fraction": [Interval(Real, 0, 1, closed="neither")],
    "random_state": ["random_state"],
    "progress": ["boolean", None],
    "dissolution": [Interval(Real, 0, 1, closed="both")],
    "recover": [Interval(Real, 0, 1, closed="both")],
}
# Hennig's reading of the mean Jaccard (fpc's clusterboot documentation).
_VERDICTS = ((0.85, "highly stable"), (0.75, "stable"), (0.6, "doubtful"))
_COLOURS = {
    "highly stable": "#2b8a3e",
    "stable": "#74b816",
    "doubtful": "#f59f00",
    "not trustworthy": "#e03131",
    "undetermined": "#868e96",
}
_N_CHUNKS = 16


def _verdict(mean: float) -> str:
    if math.isnan(mean):
        return "undetermined"
    for threshold, name in _VERDICTS:
        if mean >= threshold:
            return name
    return "not trustworthy"


@dataclass(frozen=True, repr=False)
class StabilityResult(ResultMixin):
    """Per-segment bootstrap stability, as returned by :func:`bootstrap_stability`.

    Attributes
    ----------
    table : DataFrame
        One row per original segment (index ``segment``, the original labels) with columns
        ``size`` (rows in the original segment), ``mean_jaccard`` (mean over the replicates
        where the segment had at least one resampled row), ``n_replicates`` (that number
        of replicates), ``dissolved`` (replicates with Jaccard <= ``dissolution``,
        fpc's ``bootbrd``), ``recovered`` (Jaccard > ``recover``, fpc's ``bootrecover``)
        and ``verdict`` (Hennig's scale on the mean: < 0.6 "not trustworthy", < 0.75
        "doubtful", < 0.85 "stable", else "highly stable").
    jaccard : ndarray of shape (n_boot, n_segments)
        Per replicate and segment, the largest Jaccard similarity between the segment
        (restricted to the resampled rows) and a segment of the replicate's clustering;
        NaN when the segment had no resampled row or the replicate was skipped.
    labels : ndarray or Series of shape (n_samples,)
        The original partition (a fresh fit on all of ``X``); a Series with ``X``'s index
        when ``X`` was a DataFrame. Negative labels (noise) are not segments.
    n_boot : int
        Number of replicates.
    scheme : str
        ``"bootstrap"`` or ``"subsample"``.
    n_skipped : int
        Replicates skipped because their resample had fewer rows than clusters.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import bootstrap_stability
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(50, 2)) for c in (0, 5, 10)])
    >>> res = bootstrap_stability(X, 3, n_boot=20, random_state=0, progress=False)
    >>> res.table["verdict"].tolist()
    ['highly stable', 'highly stable', 'highly stable']
    >>> X = np.vstack([np.zeros((20, 2)), np.full((20, 2), 9.0)])
    >>> X += np.random.default_rng(0).normal(0, 0.1, X.shape)
    >>> res = bootstrap_stability(X, 2, n_boot=10, random_state=0, progress=False)
    >>> print(res.summary().splitlines()[0])
    Bootstrap stability: 2 segments, 10 bootstrap replicates
    """

    table: pd.DataFrame
    jaccard: np.ndarray
    labels: Any
    n_boot: int
    scheme: str
    n_skipped: int = 0

    def _summary(self) -> Summary:
        skipped = (
            [f"({self.n_skipped} replicates skipped: fewer rows than clusters)"]
            if self.n_skipped
            else []
        )
        return Summary(
            f"Bootstrap stability: {len(self.table)} segments, {self.n_boot} {self.scheme} "
            "replicates",
            lines=skipped,
            tables=[Table(self.table, float_format="{:.3f}")],
            after=[
                "Hennig's scale: < 0.6 not trustworthy, 0.6-0.75 doubtful, >= 0.75 stable, "
                ">= 0.85 highly stable."
            ],
        )

    def plot(self, ax: Any = None) -> Any:
        """Horizontal bars of the mean Jaccard per segment, coloured by verdict.

        Vertical lines mark Hennig's thresholds 0.6 (doubtful from there), 0.75 (stable)
        and 0.85 (highly stable), named in the legend. Needs matplotlib
        (``pip install "segwise[plot]"``).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        ax : matplotlib Axes

        Examples
        --------
        >>> import numpy as np
        >>> from segwise.stability import bootstrap_stability
        >>> X = np.vstack([np.zeros((20, 2)), np.full((20, 2), 9.0)])
        >>> X += np.random.default_rng(0).normal(0, 0.1, X.shape)
        >>> res = bootstrap_stability(X, 2, n_boot=10, random_state=0, progress=False)
        >>> ax = res.plot()  # doctest: +SKIP
        """
        t = self.table
        ax = self._axes(ax, figsize=(6, 0.4 * len(t) + 1.2))
        y = np.arange(len(t))[::-1]
        means = np.nan_to_num(t["mean_jaccard"].to_numpy(float), nan=0.0)
        colours = [_COLOURS[v] for v in t["verdict"]]
        ax.barh(y, means, color=colours)
        # Hennig's scale, labelled where it is drawn: below 0.6 not trustworthy, ...
        for x, style, label in (
            (0.6, ":", "0.6: doubtful from here"),
            (0.75, "--", "0.75: stable from here"),
            (0.85, "-.", "0.85: highly stable"),
        ):
            ax.axvline(x, color="#495057", linestyle=style, linewidth=0.9, label=label)
        ax.legend(title="Hennig's thresholds", fontsize=7, title_fontsize=7, loc="lower left")
        ax.set_yticks(y)
        ax.set_yticklabels([str(s) for s in t.index])
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel("mean Jaccard over replicates")
        ax.set_ylabel("segment")
        ax.set_title(f"Bootstrap stability ({self.n_boot} {self.scheme} replicates)")
        return ax


def _table(
    jaccard: np.ndarray, sizes: np.ndarray, names: list[Any], dissolution: float, recover: float
) -> pd.DataFrame:
    valid = ~np.isnan(jaccard)
    n_valid = valid.sum(axis=0)
    filled = np.where(valid, jaccard, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(n_valid > 0, filled.sum(axis=0) / np.maximum(n_valid, 1), np.nan)
    dissolved = (valid & (filled <= dissolution)).sum(axis=0)
    recovered = (valid & (filled > recover)).sum(axis=0)
    table = pd.DataFrame(
        {
            "size": sizes.astype(np.int64),
            "mean_jaccard": means,
            "n_replicates": n_valid.astype(np.int64),
            "dissolved": dissolved.astype(np.int64),
            "recovered": recovered.astype(np.int64),
            "verdict": [_verdict(float(m)) for m in means],
        },
        index=pd.Index(names, name="segment"),
    )
    return table


def bootstrap_stability(
    X: Any,
    estimator_or_k: Any,
    n_boot: int = 100,
    *,
    scheme: str = "bootstrap",
    subsample_fraction: float = 0.5,
    random_state: Any = None,
    progress: bool | None = None,
    dissolution: float = 0.5,
    recover: float = 0.75,
) -> StabilityResult:
    """Are the segments real? Per-segment Jaccard stability under resampling (clusterboot).

    Hennig's ``clusterboot`` (R package fpc): the data are clustered once (the original
    partition, a fresh fit on all of ``X``, as fpc does), then ``n_boot`` times on a
    resample of the rows. For each original segment and replicate, the segment is
    restricted to the resampled rows and compared with every segment of the replicate's
    clustering; its value is the largest Jaccard similarity ``|A ∩ B| / |A ∪ B|``. A
    segment that keeps coming back has a mean near 1; one that dissolves (a split of a
    real group, an artefact of ``k``) scores low.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Numeric data, already scaled as for the clustering itself; with a clusterer for
        mixed tables, numeric and categorical columns.
    estimator_or_k : int, segwise KMeans or scikit-learn-style clusterer
        * an int ``k``: ``segwise.cluster.KMeans(n_clusters=k)``;
        * a segwise :class:`~segwise.cluster.KMeans` with ``init="k-means++"`` or
          ``"random"``: its ``n_clusters``, ``n_init``, ``max_iter``, ``tol`` and
          ``algorithm`` are used and every replicate runs in Rust, in parallel (the fast
          path);
        * any other clusterer with ``fit`` and ``labels_`` (or ``fit_predict``) and
          ``get_params``: a fresh copy ``type(est)(**est.get_params())`` is fitted per
          replicate in a Python loop. Negative labels (DBSCAN's noise -1) are not
          segments; a noise point still counts in the union of the Jaccard. ``X`` may
          then hold categorical columns, e.g. for :class:`~segwise.cluster.KPrototypes`
          (text columns are read as categoricals once, so every replicate codes the
          levels alike). A clusterer with ``metric="precomputed"`` is refused (rows of
          a distance matrix are not a resample of it).
    n_boot : int, default=100
        Number of replicates (1 to 1,000,000).
    scheme : {"bootstrap", "subsample"}, default="bootstrap"
        ``"bootstrap"``: ``n`` rows drawn with replacement, duplicates dropped (fpc's
        default ``multipleboot=FALSE``), so each replicate clusters about 63% of the
        rows, each once. ``"subsample"``: ``floor(subsample_fraction * n)`` rows drawn
        without replacement (fpc's ``"subset"``).
    subsample_fraction : float, default=0.5
        Fraction of rows per replicate for ``scheme="subsample"``, in (0, 1).
    random_state : int, numpy RandomState/Generator or None, default=None
        Seed of everything random. Replicate ``b`` draws its rows and its k-means seed
        from its own stream derived from ``(seed, b)``, so results do not depend on the
        number of threads. When None and the estimator has an integer ``random_state``,
        that one is used. Clusterers with a ``random_state`` parameter get the seed for
        the original fit and a distinct derived seed per replicate.
    progress : bool or None, default=None
        Progress bar over the replicates (None: only in a terminal or a notebook).
    dissolution : float, default=0.5
        A replicate "dissolves" a segment when its Jaccard is <= this (fpc's
        ``dissolution``).
    recover : float, default=0.75
        A replicate "recovers" a segment when its Jaccard is > this (fpc's ``recover``).

    Returns
    -------
    result : StabilityResult
        ``table`` (one row per segment), ``jaccard`` (``n_boot x n_segments``),
        ``labels`` (the original partition), ``summary()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        ``n_boot < 1``, an unknown ``scheme``, ``subsample_fraction`` outside (0, 1) or
        giving fewer rows than clusters, ``k`` outside ``[2, n_samples - 1]``, a clusterer
        without ``fit``/``get_params``, or an original clustering with fewer than two
        segments.
    NotEnoughSamplesError
        k-means finds fewer than ``k`` distinct segments on all of ``X`` (fewer than
        ``k`` distinct rows, e.g. all points identical).
    NonFiniteError
        NaN or infinity in ``X`` (the message names the columns).

    Warns
    -----
    RuntimeWarning
        When some bootstrap replicates had fewer distinct rows than ``k`` (tiny ``n``):
        they are skipped (NaN rows in ``jaccard``) and counted in ``n_skipped``.

    Notes
    -----
    The fast path runs replicates in chunks (about 16) with the GIL released, advancing
    the progress bar between chunks, so Ctrl-C stops the run between chunks. It works on
    one copy of ``X`` with the rows grouped by original segment (a stable sort), so each
    refit meets a region's rows together and the rows k-means++ and Hamerly's bounds
    skip form whole blocks; replicates still draw uniformly over the rows. Each
    replicate's clustering is independent (no warm start from the original centres), as
    in fpc.

    References
    ----------
    Hennig, C. (2007). Cluster-wise assessment of cluster stability. Computational
    Statistics & Data Analysis 52, 258-271.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import bootstrap_stability
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(60, 2)) for c in (0, 5, 10)])
    >>> res = bootstrap_stability(X, 3, n_boot=20, random_state=0, progress=False)
    >>> res.table[["size", "verdict"]]
             size        verdict
    segment
    0          60  highly stable
    1          60  highly stable
    2          60  highly stable
    >>> res.jaccard.shape
    (20, 3)
    """
    params = validate_params(locals(), _PARAMS, caller="bootstrap_stability")
    n_boot, scheme, fraction = params["n_boot"], params["scheme"], params["subsample_fraction"]
    dissolution, recover = params["dissolution"], params["recover"]
    show_progress = progress_enabled(params["progress"])
    est = estimator_or_k
    fast = False
    n_clusters: int | None = None
    if isinstance(est, numbers.Integral | KMeans) and not isinstance(est, bool):
        checked = check_array(X, dtypes=(np.float64,), estimator="bootstrap_stability")
        values, n, index = checked.values, checked.values.shape[0], checked.index
    else:  # any clusterer: a numeric table as one array, a mixed one as a DataFrame
        values, n, index, _ = read_table(X, "bootstrap_stability")
    if isinstance(est, numbers.Integral) and not isinstance(est, bool):
        if n < 3:
            raise InvalidParameterError(
                f"bootstrap_stability needs at least 3 rows for k in [2, n_samples - 1], got {n}"
            )
        n_clusters = check_int(est, "k (estimator_or_k)", low=2, high=n - 1)
        est = KMeans(n_clusters=n_clusters)
        fast = True
    elif isinstance(est, KMeans):
        n_clusters, kind, *_ = est._validated_params()
        if not 2 <= n_clusters <= n - 1:
            raise InvalidParameterError(
                f"n_clusters must be in [2, n_samples - 1] = [2, {n - 1}], got {n_clusters}"
            )
        fast = kind in ("k-means++", "random")
    else:  # a scikit-learn-style clusterer (the table checked fit and get_params)
        refuse_precomputed(est, "bootstrap_stability")
        n_clusters = n_clusters_of(est)

    if random_state is None:
        own = est.get_params(deep=False).get("random_state")
        if isinstance(own, numbers.Integral) and not isinstance(own, bool):
            random_state = own
    seed = check_random_state(random_state)

    size = int(math.floor(fraction * n)) if scheme == "subsample" else n
    if scheme == "subsample" and size < max(n_clusters or 2, 2):
        raise InvalidParameterError(
            f"subsample_fraction={fraction} gives {size} rows per replicate, fewer than the "
            f"{max(n_clusters or 2, 2)} clusters; raise subsample_fraction"
        )

    # The original partition: a fresh fit on all of X.
    original = fresh(est, seed % (1 << 32))
    if fast:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            raw = fit_labels(original, values)
        found = int(np.count_nonzero(np.bincount(raw, minlength=n_clusters or 0)))
        if found < (n_clusters or 0):
            distinct = int(np.unique(values, axis=0).shape[0])
            raise NotEnoughSamplesError(
                f"k-means found only {found} distinct segment(s) for k={n_clusters}: X has "
                f"{distinct} distinct row(s){' (all points identical)' if distinct == 1 else ''}"
                "; use a smaller k"
            )
    else:
        raw = fit_labels(original, values)
    codes, names = segment_codes(raw)
    n_segments = len(names)
    if n_segments < 2:
        raise InvalidParameterError(
            f"the original clustering found {n_segments} segment(s); stability needs at "
            "least 2 (check the clusterer's parameters)"
        )
    sizes = np.bincount(codes[codes >= 0], minlength=n_segments)

    jaccard = np.empty((n_boot, n_segments))
    skipped = np.zeros(n_boot, dtype=bool)
    # About _N_CHUNKS chunks, each a whole number of replicates per thread (no thread idles
    # at the end of a chunk).
    threads = _core.current_num_threads()
    chunk = threads * max(1, -(-n_boot // (_N_CHUNKS * threads)))
    with _progress(n_boot, "bootstrap replicates", show_progress) as advance:
        if fast:
            k, kind, runs, max_iter, tol, algorithm = est._validated_params()
            # Rows grouped by original segment (one copy of X): each refit then meets a
            # region's rows together, so the rows that k-means++ and Hamerly's bounds
            # skip form whole blocks. Replicates draw uniformly over the rows as before.
            order = np.argsort(codes, kind="stable")
            by_segment, by_segment_codes = values[order], codes[order]
            for start in range(0, n_boot, chunk):
                end = min(start + chunk, n_boot)
                jac, skip = _core.bootstrap_kmeans(
                    by_segment,
                    by_segment_codes,
                    n_segments=n_segments,
                    n_clusters=k,
                    init=kind,
                    n_init=runs,
                    max_iter=max_iter,
                    tol=tol,
                    algorithm=algorithm,
                    scheme=scheme,
                    size=size,
                    seed=seed,
                    start=start,
                    end=end,
                )
                jaccard[start:end] = jac
                skipped[start:end] = skip
                advance(end - start)
        else:
            for b in range(n_boot):
                rows, kseed = _core.bootstrap_draw(n, scheme=scheme, size=size, seed=seed, b=b)
                if n_clusters is not None and rows.shape[0] < n_clusters:
                    jaccard[b] = np.nan
                    skipped[b] = True
                else:
                    replicate = fresh(est, kseed % (1 << 32))
                    new, _ = segment_codes(fit_labels(replicate, take_rows(values, rows)))
                    jaccard[b] = _core.bootstrap_max_jaccard(codes[rows], new, n_segments)
                advance(1)

    n_skipped = int(skipped.sum())
    if n_skipped:
        warnings.warn(
            f"{n_skipped} of {n_boot} replicates were skipped: their resample had fewer "
            f"distinct rows than n_clusters={n_clusters}",
            RuntimeWarning,
            stacklevel=2,
        )
    table = _table(jaccard, sizes, names, dissolution, recover)
    labels: Any = raw
    if index is not None:
        labels = pd.Series(raw, index=index, name="segment")
    return StabilityResult(
        table=table,
        jaccard=jaccard,
        labels=labels,
        n_boot=n_boot,
        scheme=scheme,
        n_skipped=n_skipped,
    )
