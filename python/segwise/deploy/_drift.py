"""Has the customer base moved since the model was fitted? :func:`drift_check` compares
today's customers with the reference distributions stored in the model file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._results import ResultMixin, Summary, Table
from ..exceptions import EmptyInputError, InvalidParameterError
from ..stability import psi_from_counts
from ._model import SegmentModel, _Table, check_segment_sizes
from ._sql import as_model
from ._steps import _is_missing, _level, decode_array

# The rules of thumb of segwise.stability.psi: < 0.1 stable, < 0.25 moderate, else major.
PSI_STABLE, PSI_MAJOR = 0.1, 0.25
_COLUMNS = ["feature", "psi", "n_bins", "rule_of_thumb", "statistical", "p_value"]


@dataclass(frozen=True, eq=False, repr=False)
class DriftReport(ResultMixin):
    """PSI of each feature and of the segment shares against the model's reference.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per feature plus ``"segment"`` (the segment shares): ``psi``, ``n_bins``,
        the rule-of-thumb and statistical verdicts of :func:`segwise.stability.psi`.
    threshold : float
        The PSI at or above which a row counts as drifted.
    drifted : list of str
        Features (and ``"segment"``) whose PSI reaches ``threshold``.
    verdict : str
        ``"stable: keep"`` or ``"drifted: review ..."``.
    segment_counts : pandas.DataFrame
        Customers per segment in the reference and now.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import SegmentModel, drift_check
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(2000, 2)), columns=["a", "b"])
    >>> m = SegmentModel.from_estimator(KMeans(n_clusters=2, random_state=0).fit(X), X=X)
    >>> drift_check(m, X).verdict
    'stable: keep'
    """

    table: pd.DataFrame
    threshold: float
    drifted: list[str]
    verdict: str
    segment_counts: pd.DataFrame

    @property
    def exceeded(self) -> bool:
        """Whether any PSI reached the threshold (the CLI then exits with status 1)."""
        return bool(self.drifted)

    def _summary(self) -> Summary:
        return Summary(
            f"Drift against the model's reference (PSI; threshold {self.threshold:g}; "
            f"rules of thumb < {PSI_STABLE} stable, < {PSI_MAJOR} moderate): {self.verdict}",
            tables=[
                Table(self.table[_COLUMNS], index=False),
                Table(self.segment_counts, caption="Customers per segment"),
            ],
        )


def _feature_counts(
    ref: dict[str, Any], values: np.ndarray
) -> tuple[list[float], list[float], list[str]]:
    edges = decode_array(ref["edges"], "reference edges")
    finite = values[~np.isnan(values)]
    # Right-closed bins (lower, upper], as segwise.stability.psi.
    cur = np.bincount(np.searchsorted(edges, finite, side="left"), minlength=edges.size + 1)
    rc = [float(c) for c in ref["counts"]]
    cc = [float(c) for c in cur]
    labels = [f"bin {i}" for i in range(len(rc))]
    n_missing = int(values.size - finite.size)
    if ref["missing"] or n_missing:
        rc.append(float(ref["missing"]))
        cc.append(float(n_missing))
        labels.append("missing")
    return rc, cc, labels


def _level_counts(
    ref: dict[str, Any], values: np.ndarray
) -> tuple[list[float], list[float], list[Any]]:
    levels = list(ref["levels"])
    pos = {lv: i for i, lv in enumerate(levels)}
    cc = [0.0] * (len(levels) + 1)
    for v in values.tolist():
        key = None if _is_missing(v) else _level(v, allow_bool=True)
        cc[pos.get(key, len(levels))] += 1.0
    rc = [float(c) for c in ref["counts"]] + [0.0]
    labels = [*levels, "(new levels)"]
    if cc[-1] == 0:
        rc, cc, labels = rc[:-1], cc[:-1], labels[:-1]
    return rc, cc, labels


def drift_check(
    model: Any,
    X_now: Any,
    *,
    threshold: float = PSI_MAJOR,
    epsilon: float = 1e-4,
    min_segment_size: int = 10,
    on_small_segment: str = "warn",
) -> DriftReport:
    """PSI of each feature and of the segment shares, today against the model's reference.

    For a scheduled job: no refit. Numeric features are binned at the training deciles
    stored in the model (right-closed bins, missing values in their own bin, exactly as
    :func:`segwise.stability.psi` bins them); categorical features by level (levels the
    model never saw in one extra bin); the segment shares come from ``predict(X_now)``.

    Parameters
    ----------
    model : SegmentModel or fitted estimator
        Must hold reference distributions: build it with ``X=`` (training data) in
        :meth:`SegmentModel.from_estimator` / :func:`save_model`.
    X_now : DataFrame or array
        Today's customers.
    threshold : float, default=0.25
        PSI at or above which a feature (or the segment shares) counts as drifted.
    epsilon : float, default=1e-4
        Share used for an empty bin.
    min_segment_size, on_small_segment : int, {"warn", "error", "ignore"}
        Privacy guard: a report showing a segment with fewer customers warns or raises.

    Returns
    -------
    DriftReport

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from segwise.cluster import KMeans
    >>> from segwise.deploy import SegmentModel, drift_check
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(2000, 2)), columns=["a", "b"])
    >>> m = SegmentModel.from_estimator(KMeans(n_clusters=2, random_state=0).fit(X), X=X)
    >>> report = drift_check(m, X.assign(b=X["b"] + 1.0))
    >>> report.drifted
    ['b']
    >>> report.verdict
    'drifted: review b'

    """
    m: SegmentModel = as_model(model)
    if not isinstance(threshold, int | float) or not threshold > 0:
        raise InvalidParameterError(f"threshold must be a positive number, got {threshold!r}")
    ref = m.reference
    if not ref or not ref.get("features"):
        raise InvalidParameterError(
            "the model holds no reference distributions: build or save it with X= (the "
            "training data)"
        )
    table = _Table(m, X_now)
    if table.n == 0:
        raise EmptyInputError("X_now has no rows")
    rows = []
    for j, (name, kind) in enumerate(zip(m.feature_names, m.feature_kinds, strict=True)):
        fref = ref["features"].get(name)
        if fref is None:
            continue
        if kind == "numeric":
            rc, cc, labels = _feature_counts(fref, table.block([j], "numeric")[:, 0])
        else:
            rc, cc, labels = _level_counts(fref, table.block([j], "categorical")[:, 0])
        rows.append(psi_from_counts(rc, cc, epsilon=epsilon, feature=name, bins=labels).table)
    seg_counts = pd.DataFrame()
    seg_ref = (ref.get("segments") or {}).get("counts")
    if seg_ref is not None and m.n_segments is not None:
        check_segment_sizes(m, min_segment_size, on_small_segment, "reported")
        k = int(m.n_segments)
        now = np.bincount(m.predict(X_now), minlength=k)
        rows.append(psi_from_counts(seg_ref, now, epsilon=epsilon, feature="segment").table)
        ids: list[Any] = list(range(k))
        index = pd.Index(m.segment_names or ids, name="segment")
        seg_counts = pd.DataFrame({"reference": seg_ref, "now": now}, index=index)
    out = pd.concat(rows, ignore_index=True)
    drifted = [str(f) for f, v in zip(out["feature"], out["psi"], strict=True) if v >= threshold]
    verdict = "stable: keep" if not drifted else f"drifted: review {', '.join(drifted)}"
    return DriftReport(
        table=out,
        threshold=float(threshold),
        drifted=drifted,
        verdict=verdict,
        segment_counts=seg_counts,
    )
