"""Refresh a segmentation on today's customers without losing the segment ids
(:func:`refresh`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._results import ResultMixin, Summary, Table
from ..cluster import KMeans
from ..exceptions import InvalidParameterError, ShapeMismatchError
from ..stability import MigrationResult, align_labels, migration_matrix
from ._drift import DriftReport, drift_check
from ._mixed import EuclideanMedoidStep, MixedStep, refit
from ._model import SegmentModel, check_segment_sizes
from ._sql import as_model
from ._steps import CentroidStep, Step

# Below this share of customers keeping their segment, a segment is flagged for review.
_RETENTION_REVIEW = 0.8


@dataclass(frozen=True, eq=False, repr=False)
class RefreshReport(ResultMixin):
    """What changed when a segmentation was refitted on today's customers.

    Attributes
    ----------
    migration : MigrationResult
        Old segment -> new segment of the customers (the old model's assignment of
        today's customers, or ``previous_labels`` by customer id, against the refit's).
    drift : DriftReport
        PSI per feature and of the segment shares against the old model's reference.
    centre_shift : pandas.Series
        Per segment id, the Euclidean distance its centre moved (preprocessed units);
        NaN for k-prototypes, k-modes and k-medoids, whose segments are matched on the
        customers instead (their prototypes and medoids share no Euclidean space).
    born, vanished : list of int
        Segment ids new in the refit / with no customer left after it.
    review : list of int
        Segments to look at: retention below 80%, born or vanished.
    verdict : str
        ``"stable: keep"`` or ``"drifted: review segments 2 and 5"`` (with the reason).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import SegmentModel, refresh
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(600, 2)) + np.repeat([[0, 0], [6, 6], [0, 6]],
    ...                  200, axis=0), columns=["a", "b"])
    >>> old = SegmentModel.from_estimator(KMeans(n_clusters=3, random_state=0).fit(X), X=X)
    >>> new, report = refresh(old, X.sample(frac=1.0, random_state=1))
    >>> report.verdict
    'stable: keep'
    """

    migration: MigrationResult
    drift: DriftReport
    centre_shift: pd.Series
    born: list[int]
    vanished: list[int]
    review: list[int]
    verdict: str

    def _summary(self) -> Summary:
        return Summary(
            f"Segment refresh: {self.verdict}",
            lines=[
                f"overall retention {self.migration.overall_retention:.1%}",
                f"born: {self.born or 'none'}; vanished: {self.vanished or 'none'}",
                f"drift: {self.drift.verdict}",
            ],
            tables=[
                Table(self.migration.counts, caption="Migration (customers)", float_format="{:g}"),
                Table(self.centre_shift.to_frame(), caption="Centre shift", float_format="{:.3g}"),
            ],
        )


def _names(ids: list[int]) -> str:
    s = [str(i) for i in ids]
    return s[0] if len(s) == 1 else ", ".join(s[:-1]) + " and " + s[-1]


def _order(mapping: dict[Any, Any], k: int) -> list[int]:
    """New segment ids in the order of their aligned ids; a refit segment matched to no
    old one (or without customers, absent from ``mapping``) takes the free ids left."""
    ids = {
        int(new): int(aligned)
        for new, aligned in mapping.items()
        if isinstance(aligned, int | np.integer) and 0 <= aligned < k
    }
    free = iter(sorted(set(range(k)) - set(ids.values())))
    for new in range(k):
        if new not in ids:
            ids[new] = next(free)
    return [new for new, _ in sorted(ids.items(), key=lambda kv: kv[1])]


def refresh(
    model: Any,
    X_new: Any,
    *,
    warm_start: bool = True,
    n_clusters: int | None = None,
    previous_labels: pd.Series | None = None,
    random_state: int = 0,
    max_iter: int = 300,
    threshold: float = 0.25,
    min_segment_size: int = 10,
    on_small_segment: str = "warn",
) -> tuple[SegmentModel, RefreshReport]:
    """Refit the segments on today's customers, keeping each segment's id.

    The preprocessing is kept as fitted (so the old and new centres live in the same
    space); k-means is refitted on ``X_new`` starting from the old centres
    (``warm_start=True``) or from k-means++ (``warm_start=False``). The new segments are
    then matched to the old ids by the Hungarian assignment on centre distances
    (:func:`segwise.stability.align_labels`); with more segments than before
    (``n_clusters``), the extra ones get new ids (born).

    Mixed-type models are refitted with their own estimator and settings (``gamma``,
    ``missing``, ``unknown``, Gower weights): ``KPrototypes`` / ``KModes`` from the old
    prototypes (a cold start with k-prototypes++ when an old prototype's level no longer
    occurs), ``KMedoids`` from today's customers closest to the old medoids (FasterPAM up
    to 10,000 rows, CLARA beyond). Their segments are matched to the old ids on the
    customers (the Hungarian assignment on the old model's and the refit's labels of
    ``X_new``), and ``centre_shift`` is NaN.

    Parameters
    ----------
    model : SegmentModel or fitted estimator
        The current segmentation (with its reference distributions for the drift part:
        built or saved with ``X=``).
    X_new : DataFrame or array
        Today's customers (a DataFrame indexed by customer id, to use
        ``previous_labels``).
    warm_start : bool, default=True
        Start from the old centres.
    n_clusters : int, optional
        Number of segments of the refit (default: as before; not fewer).
    previous_labels : pandas.Series, optional
        Each customer's segment at the last run, indexed by customer id: the migration
        matrix then has "New" and "Churned" states. Default: the old model's assignment
        of ``X_new``.
    random_state : int, default=0
        Seed of k-means++, used when ``warm_start=False`` or when ``n_clusters`` is above
        the old number of segments (the refit then starts from k-means++).
    max_iter : int, default=300
        Lloyd iterations of the refit.
    threshold : float, default=0.25
        PSI at or above which a feature counts as drifted.
    min_segment_size, on_small_segment : int, {"warn", "error", "ignore"}
        Privacy guard of the drift report (the old model's reference counts) and of the
        new model (its counts on ``X_new``): a segment with fewer customers gives a
        :class:`~segwise.exceptions.PrivacyWarning` or
        :class:`~segwise.exceptions.PrivacyError`, as in :func:`save_model`.

    Returns
    -------
    new_model : SegmentModel
        With reference distributions from ``X_new``.
    report : RefreshReport

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import SegmentModel, refresh
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2)) + np.repeat([[0, 0], [8, 8]], 200, axis=0)
    >>> old = SegmentModel.from_estimator(KMeans(n_clusters=2, random_state=0).fit(X), X=X)
    >>> new, report = refresh(old, X[::-1] + 0.1)
    >>> bool((new.predict(X) == old.predict(X)).all())
    True
    """
    old = as_model(model)
    clusterer = old._require_clusterer()
    k_old = clusterer.n_out
    k = k_old if n_clusters is None else int(n_clusters)
    if k < k_old:
        raise InvalidParameterError(
            f"n_clusters={k} is below the model's {k_old} segments: a refresh keeps every "
            "segment id (a vanished segment shows up empty); fit a new model to drop some"
        )
    drift = drift_check(
        old,
        X_new,
        threshold=threshold,
        min_segment_size=min_segment_size,
        on_small_segment=on_small_segment,
    )
    old_labels = old.predict(X_new)
    if isinstance(clusterer, MixedStep | EuclideanMedoidStep):
        # k-prototypes / k-modes / k-medoids: matched on the customers (the old model's
        # assignment of X_new against the refit's), since their prototypes and medoids
        # have no common Euclidean space.
        data = old._mixed_input(X_new) if isinstance(clusterer, MixedStep) else old.transform(X_new)
        est, fitted_step = refit(clusterer, data, k, warm_start, random_state, max_iter)
        refit_at = est._fitted_at
        _, mapping = align_labels(np.asarray(est.labels_), old_labels, return_mapping=True)
        order = _order(mapping, k)
        last: Step = fitted_step.reordered(order)  # type: ignore[attr-defined]
        shift = np.full(k_old, np.nan)
    else:
        Z = old.transform(X_new)
        if warm_start and k == k_old:
            km = KMeans(n_clusters=k, init=clusterer.centers, n_init=1, max_iter=max_iter)
        else:
            km = KMeans(n_clusters=k, random_state=random_state, max_iter=max_iter)
        km.fit(Z)
        refit_at = km._fitted_at
        aligned, mapping = align_labels(km, clusterer.centers, return_mapping=True)
        order = [new for new, _ in sorted(mapping.items(), key=lambda kv: kv[1])]
        new_centers = np.ascontiguousarray(km.cluster_centers_[order])
        last = CentroidStep(new_centers)
        shift = np.sqrt(((new_centers[:k_old] - clusterer.centers) ** 2).sum(axis=1))
    new = SegmentModel(
        old.feature_names,
        old.named,
        old.branches,
        [*old.steps[:-1], last],
        feature_kinds=old.feature_kinds,
        feature_dtypes=old.feature_dtypes,
        segment_names=(old.segment_names + [f"new_{i}" for i in range(k - k_old)])
        if old.segment_names is not None
        else None,
        metadata={
            **old.metadata,
            "fitted_at": refit_at,
            "created_at": None,  # written by save
            "refreshed_from": old.metadata.get("fingerprint"),
        },
    )
    new._describe_training_data(X_new)
    check_segment_sizes(new, min_segment_size, on_small_segment, "in the refreshed model")
    new_labels = new.predict(X_new)
    if previous_labels is not None:
        if not isinstance(X_new, pd.DataFrame) or not isinstance(previous_labels, pd.Series):
            raise ShapeMismatchError(
                "previous_labels must be a Series indexed by customer id, with X_new a "
                "DataFrame indexed the same way"
            )
        mig = migration_matrix(previous_labels, pd.Series(new_labels, index=X_new.index))
    else:
        mig = migration_matrix(old_labels, new_labels)
    centre_shift = pd.Series(
        shift, index=pd.Index(range(k_old), name="segment"), name="centre_shift"
    )
    counts = np.bincount(new_labels, minlength=k)
    born = list(range(k_old, k))
    vanished = [i for i in range(k_old) if counts[i] == 0]
    retention = mig.retention
    low = [
        int(i)
        for i, r in retention.items()
        if isinstance(i, int | np.integer) and r < _RETENTION_REVIEW
    ]
    review = sorted(set(low) | set(born) | set(vanished))
    reasons = []
    if review:
        reasons.append(f"segment{'s' if len(review) > 1 else ''} {_names(review)}")
    if drift.drifted:
        reasons.append(f"drift in {', '.join(drift.drifted)}")
    verdict = "stable: keep" if not reasons else "drifted: review " + "; ".join(reasons)
    return new, RefreshReport(
        migration=mig,
        drift=drift,
        centre_shift=centre_shift,
        born=born,
        vanished=vanished,
        review=review,
        verdict=verdict,
    )
