"""Population stability index (:func:`psi`) of segment shares or of numeric features, with the
0.1 / 0.25 rules of thumb and Yurdakul & Naranjo's chi-square critical values; the
per-feature binning runs in the Rust core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._progress import progress
from .._results import ResultMixin, Summary, Table
from .._validation import (
    Cap,
    Constraints,
    Interval,
    StrOptions,
    as_pandas,
    check_array,
    encode_labels,
    validate_params,
)
from ..exceptions import (
    EmptyInputError,
    InvalidParameterError,
    ShapeMismatchError,
)

# A documented cap: each bin costs three machine words per feature (its edge and the two
# order statistics the edge is read from), so 10**9 bins would ask for tens of GB before
# any data is binned.
MAX_BINS = 1_000_000

_PSI_PARAMS: Constraints = {
    "bins": [
        Cap(
            2,
            MAX_BINS,
            bytes_each=24,
            buffer="the bin edges of each feature and the order statistics they are read from",
        )
    ],
    "epsilon": [Interval(Real, 0, 0.5, closed="neither")],
    "kind": [StrOptions(["auto", "labels", "features"])],
    "progress": ["boolean", None],
}

# Rules of thumb for the PSI (Siddiqi 2006 and common credit-risk practice).
PSI_STABLE = 0.1
PSI_MAJOR = 0.25
# The columns of the text and HTML summaries.
_SUMMARY_COLUMNS = [
    "feature",
    "psi",
    "n_bins",
    "critical_value_05",
    "critical_value_01",
    "rule_of_thumb",
    "statistical",
]


@dataclass(frozen=True, eq=False, repr=False)
class PSIResult(ResultMixin):
    """Population stability index per feature (or for the segment shares).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per feature (``"segment"`` for labels): ``psi``, ``n_bins``,
        ``n_reference``, ``n_current``, ``n_epsilon`` (bin shares replaced by
        ``epsilon``), ``critical_value_05`` / ``critical_value_01`` (Yurdakul & Naranjo),
        ``p_value``, ``rule_of_thumb`` ("stable" < 0.1 <= "moderate shift" < 0.25 <=
        "major shift"), ``statistical`` ("shift (1%)", "shift (5%)", "no significant
        shift"), ``new_share`` / ``vanished_share`` (labels only) and ``note``.
    bins : pandas.DataFrame
        One row per feature x bin: ``feature``, ``bin``, ``lower``, ``upper``, ``status``
        ("value", "missing"; for labels "common", "new", "vanished"),
        ``reference_count``, ``current_count``, ``reference_share``, ``current_share``,
        ``epsilon_used``, ``psi_term``.
    epsilon : float
        The share used in place of an empty bin's zero.
    kind : str
        ``"labels"`` or ``"features"``.

    Examples
    --------
    >>> from segwise.stability import psi
    >>> res = psi(["a"] * 50 + ["b"] * 50, ["a"] * 40 + ["b"] * 60)
    >>> round(float(res.table.loc[0, "psi"]), 4)
    0.0405
    """

    table: pd.DataFrame
    bins: pd.DataFrame
    epsilon: float
    kind: str
    new_segments: list[Any] = field(default_factory=list)
    vanished_segments: list[Any] = field(default_factory=list)

    @property
    def psi(self) -> pd.Series:
        """PSI per feature, indexed by feature name."""
        return pd.Series(self.table["psi"].to_numpy(), index=self.table["feature"], name="psi")

    def _summary(self) -> Summary:
        notes = zip(self.table["feature"], self.table["note"], strict=True)
        return Summary(
            f"Population stability index ({self.kind}); empty bins use share "
            f"epsilon={self.epsilon:g}; rules of thumb: < {PSI_STABLE} stable, "
            f"< {PSI_MAJOR} moderate shift, else major shift; critical values "
            "chi2(B-1) * (1/N + 1/M) (Yurdakul & Naranjo)",
            tables=[Table(self.table[_SUMMARY_COLUMNS], index=False)],
            after=[f"note ({feat}): {note}" for feat, note in notes if note],
        )

    def plot(self, *, ax: Any = None) -> Any:
        """Bar chart of the PSI per feature with the 0.1 / 0.25 thresholds (dashed) and the
        5% critical value of each feature (black tick).

        Needs matplotlib (``pip install "segwise[plot]"``). Returns the matplotlib Axes.

        Examples
        --------
        >>> from segwise.stability import psi
        >>> res = psi([0, 0, 1, 1], [0, 1, 1, 1])
        >>> ax = res.plot()  # doctest: +SKIP
        """
        t = self.table
        ax = self._axes(ax, figsize=(1.5 + 0.6 * len(t), 3.5))
        x = np.arange(len(t))
        values = t["psi"].to_numpy(dtype=np.float64)
        colors = np.where(
            values >= PSI_MAJOR,
            "tab:red",
            np.where(values >= PSI_STABLE, "tab:orange", "tab:green"),
        )
        ax.bar(x, np.nan_to_num(values), color=colors)
        ax.axhline(PSI_STABLE, color="gray", ls="--", lw=1, label="0.1")
        ax.axhline(PSI_MAJOR, color="gray", ls=":", lw=1, label="0.25")
        crit = t["critical_value_05"].to_numpy(dtype=np.float64)
        ok = np.isfinite(crit)
        if ok.any():
            ax.scatter(
                x[ok],
                crit[ok],
                marker="_",
                s=300,
                color="black",
                label="5% critical value",
                zorder=3,
            )
        ax.set_xticks(x)
        ax.set_xticklabels([str(f) for f in t["feature"]], rotation=45, ha="right")
        ax.set_ylabel("PSI")
        ax.set_title("Population stability index")
        ax.legend(fontsize=8)
        return ax


def _verdicts(value: float, c05: float, c01: float) -> tuple[str, str]:
    if np.isnan(value):
        return "n/a", "n/a"
    rule = (
        "stable" if value < PSI_STABLE else "moderate shift" if value < PSI_MAJOR else "major shift"
    )
    if np.isnan(c05):
        stat = "n/a (one bin)"
    elif value > c01:
        stat = "shift (1%)"
    elif value > c05:
        stat = "shift (5%)"
    else:
        stat = "no significant shift"
    return rule, stat


def psi(
    reference: Any,
    current: Any,
    *,
    bins: int = 10,
    epsilon: float = 1e-4,
    kind: str = "auto",
    progress: bool | None = None,
) -> PSIResult:
    """Population stability index between a reference and a current sample.

    ``PSI = sum over bins of (a - e) * ln(a / e)``, with ``e`` the reference share and
    ``a`` the current share of a bin.

    **Segment labels** (``kind="labels"``): one bin per segment. Segments present in
    both samples are compared with shares renormalised within them; segments only in
    ``current`` (new) or only in ``reference`` (vanished) are not mixed into the sum (their
    ``ln(a / 0)`` term would be driven by ``epsilon``): they are listed in ``new_segments``
    / ``vanished_segments``, their share of all customers is in ``new_share`` /
    ``vanished_share``, and the ``note`` says so.

    **Numeric features** (``kind="features"``): per column, bins from the reference's
    quantiles ``1/bins, ..., (bins-1)/bins`` (numpy's default linear interpolation),
    duplicate edges removed, and edges at or above the reference maximum dropped; the
    outer bins are open, ``(-inf, e1]`` and ``(e_last, +inf)``. Bins are right-closed,
    ``(lower, upper]``, like ``pandas.cut`` (a value equal to an edge goes to the bin on
    its left; ``numpy.histogram`` and ``numpy.digitize``'s default do the opposite). Ties
    can merge deciles, so ``n_bins`` may be smaller than ``bins``; a feature constant in
    the reference has one bin and a PSI of 0 by construction (the ``note`` says so). NaN
    values are counted in a separate ``"missing"`` bin (added when either sample has
    one); infinities are rejected.

    A bin whose share is exactly 0 on one side uses ``epsilon`` as its share instead
    (reported in ``n_epsilon`` and ``bins.epsilon_used``); the other shares are left
    unchanged.

    Verdicts: the rules of thumb (< 0.1 "stable", < 0.25 "moderate shift", else "major
    shift") and Yurdakul & Naranjo's test: with no shift, ``PSI / (1/N + 1/M)`` is
    approximately chi-square with ``B - 1`` degrees of freedom (``B`` bins, ``N`` and
    ``M`` the sample sizes), so the critical value at level alpha is
    ``chi2.ppf(1 - alpha, B - 1) * (1/N + 1/M)`` (given for alpha = 0.05 and 0.01, with
    the p-value). On large samples a tiny PSI is significant; on small samples a PSI above
    0.1 may not be. For segment labels, ``N`` and ``M`` count the customers in the common
    segments.

    Parameters
    ----------
    reference, current : array-like, pandas.Series or pandas.DataFrame
        Segment labels (1-D) or numeric features (2-D; a DataFrame's columns are matched by
        name, ``current`` may have extra columns).
    bins : int, default=10
        Number of quantile bins per numeric feature (2 to 1,000,000).
    epsilon : float, default=1e-4
        Share used for an empty bin, in (0, 0.5).
    kind : {"auto", "labels", "features"}, default="auto"
        ``"auto"``: 2-D input, or 1-D floats, are features; other 1-D input (ints,
        strings, categories, bools, objects) are labels.
    progress : bool or None, default=None
        Show a progress bar over the features (``None``: in a terminal or notebook). The
        features are binned in chunks (in parallel within a chunk), so Ctrl-C is honoured
        between chunks.

    Returns
    -------
    PSIResult

    References
    ----------
    Yurdakul, B. & Naranjo, J. (2020). Statistical properties of the population stability
    index. Journal of Risk Model Validation 14(4).

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.stability import psi
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(5000, 2))
    >>> cur = ref + [0.0, 0.5]                     # second feature shifted
    >>> res = psi(ref, cur)
    >>> res.table[["feature", "rule_of_thumb", "statistical"]]
      feature   rule_of_thumb           statistical
    0      x0          stable  no significant shift
    1      x1  moderate shift            shift (1%)
    """
    params = validate_params(locals(), _PSI_PARAMS, caller="psi")
    bins, epsilon, kind, progress = (
        params["bins"],
        params["epsilon"],
        params["kind"],
        params["progress"],
    )
    reference, current = as_pandas(reference), as_pandas(current)
    if kind == "auto":
        kind = _detect_kind(reference, current)
    if kind == "labels":
        return _psi_labels(reference, current, epsilon)
    return _psi_features(reference, current, bins, epsilon, progress)


_FROM_COUNTS_PARAMS: Constraints = {
    "epsilon": [Interval(Real, 0, 0.5, closed="neither")],
    "kind": [StrOptions(["features", "labels"])],
}


def _counts_vector(counts: Any, name: str) -> tuple[list[Any], np.ndarray]:
    """Bin labels and float counts of one count vector (a Series keeps its index)."""
    if isinstance(counts, pd.Series):
        labels = list(counts.index)
        values = counts.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(counts, dtype=np.float64)
        if values.ndim != 1:
            raise ShapeMismatchError(f"{name} must be 1-D counts, got shape {values.shape}")
        labels = list(range(values.shape[0]))
    if not np.isfinite(values).all() or (values < 0).any() or (values > 2.0**53).any():
        raise InvalidParameterError(f"{name} must be finite, non-negative counts (at most 2**53)")
    if values.sum() <= 0:
        raise EmptyInputError(f"{name} counts sum to 0: the sample is empty")
    return labels, values


def _feature_row(
    name: Any, rc: np.ndarray, n_ref: float, n_cur: float, stats: Any, notes: list[str]
) -> dict[str, Any]:
    """One ``table`` row of a numeric feature from ``drift_psi_from_counts``' output."""
    value, _, n_eps, c05, c01, pval = stats
    rule, stat = _verdicts(value, c05, c01)
    return {
        "feature": name,
        "psi": value,
        "n_bins": int(rc.size),
        "n_reference": int(n_ref),
        "n_current": int(n_cur),
        "n_epsilon": int(n_eps),
        "critical_value_05": c05,
        "critical_value_01": c01,
        "p_value": pval,
        "rule_of_thumb": rule,
        "statistical": stat,
        "new_share": np.nan,
        "vanished_share": np.nan,
        "note": "; ".join(notes),
    }


def _feature_bins(
    name: Any,
    labels: list[Any],
    lower: Any,
    upper: Any,
    status: Any,
    rc: np.ndarray,
    cc: np.ndarray,
    n_ref: float,
    n_cur: float,
    terms: np.ndarray,
) -> pd.DataFrame:
    """The ``bins`` rows of one numeric feature."""
    return pd.DataFrame(
        {
            "feature": name,
            "bin": pd.Series(labels, dtype=object),
            "lower": lower,
            "upper": upper,
            "status": status,
            "reference_count": rc.astype(np.int64),
            "current_count": cc.astype(np.int64),
            "reference_share": rc / n_ref,
            "current_share": cc / n_cur,
            "epsilon_used": (rc == 0) ^ (cc == 0),
            "psi_term": terms,
        }
    )


def psi_from_counts(
    reference_counts: Any,
    current_counts: Any,
    *,
    epsilon: float = 1e-4,
    kind: str = "features",
    edges: Any = None,
    feature: Any = None,
    bins: Any = None,
) -> PSIResult:
    """The :func:`psi` report from bin counts computed anywhere (SQL, Spark, Dask, or a
    model file's stored reference deciles against today's counts in the same bins).

    Same formula, epsilon rule and verdicts as :func:`psi`; the sample sizes are the
    counts' totals. The one implementation behind :func:`psi`'s report, the distributed
    PSI (:func:`segwise.stability.dask_psi`) and :func:`segwise.deploy.drift_check`.

    Parameters
    ----------
    reference_counts, current_counts : array-like, pandas.Series or dict
        Non-negative counts per bin. ``kind="features"``: one feature's counts over the
        same bins in the same order (equal lengths), or a dict ``{feature: counts}`` on
        both sides for several features; a ``"missing"`` entry last in a Series index is
        reported as the missing bin. ``kind="labels"``: counts per segment, a Series
        indexed by segment (segments absent or 0 on one side are new / vanished, as in
        :func:`psi`).
    epsilon : float, default=1e-4
        Share used for an empty bin, in (0, 0.5).
    kind : {"features", "labels"}, default="features"
        What the bins are.
    edges : array-like or dict, optional
        Features only: the inner bin edges (``len(counts) - 1`` values, or one fewer with a
        missing bin), for the ``lower`` / ``upper`` columns and the labels of ``bins``; a
        dict per feature for several features.
    feature : str, optional
        One feature's counts only: the name in the result's ``feature`` column (default:
        the Series' name, else ``"x0"`` as :func:`psi` names an unnamed column).
    bins : list, optional
        One feature's counts without ``edges`` only: the bin labels of the ``bins`` table
        (one per count; default ``0, 1, ...``).

    Returns
    -------
    PSIResult
        The same table, bins, critical values and verdicts as :func:`psi` computed from
        the raw data with the same bins.

    Examples
    --------
    >>> import pandas as pd
    >>> from segwise.stability import psi_from_counts
    >>> ref = pd.Series({"a": 50, "b": 50})
    >>> cur = pd.Series({"a": 40, "b": 60})
    >>> round(float(psi_from_counts(ref, cur, kind="labels").table.loc[0, "psi"]), 4)
    0.0405
    >>> psi_from_counts([10, 20, 70], [12, 18, 70]).table["n_bins"].tolist()
    [3]
    >>> res = psi_from_counts([50, 50], [40, 60], feature="segment")
    >>> round(float(res.table.loc[0, "psi"]), 4)
    0.0405
    """
    params = validate_params(locals(), _FROM_COUNTS_PARAMS, caller="psi_from_counts")
    epsilon, kind = params["epsilon"], params["kind"]
    single = not isinstance(reference_counts, dict) and kind == "features"
    if (feature is not None or bins is not None) and not single:
        raise InvalidParameterError(
            "feature= and bins= are for one feature's counts (kind='features', not a dict)"
        )
    if bins is not None and edges is not None:
        raise InvalidParameterError("give bins= (labels) or edges=, not both")
    if kind == "labels":
        r_labels, r_counts = _counts_vector(reference_counts, "reference_counts")
        c_labels, c_counts = _counts_vector(current_counts, "current_counts")
        r_keep, c_keep = r_counts > 0, c_counts > 0
        return _labels_result(
            [u for u, k in zip(r_labels, r_keep, strict=True) if k],
            r_counts[r_keep],
            [u for u, k in zip(c_labels, c_keep, strict=True) if k],
            c_counts[c_keep],
            epsilon,
        )
    if isinstance(reference_counts, dict) != isinstance(current_counts, dict):
        raise InvalidParameterError("give counts as a dict on both sides, or on neither")
    if isinstance(reference_counts, dict):
        names = list(reference_counts)
        missing = [f for f in names if f not in current_counts]
        if missing:
            raise ShapeMismatchError(f"current_counts has no feature(s) {missing}")
        pairs = [(reference_counts[f], current_counts[f]) for f in names]
        edge_list = [None if edges is None else edges.get(f) for f in names]
    else:
        name = feature if feature is not None else getattr(reference_counts, "name", None)
        names = [name if name is not None else "x0"]
        pairs = [(reference_counts, current_counts)]
        edge_list = [edges]
    per_feature = []
    n_ref = n_cur = None
    for f, (rc_in, cc_in), e in zip(names, pairs, edge_list, strict=True):
        r_labels, rc = _counts_vector(rc_in, f"reference_counts of {f!r}")
        c_labels, cc = _counts_vector(cc_in, f"current_counts of {f!r}")
        if rc.shape != cc.shape:
            raise ShapeMismatchError(
                f"feature {f!r}: {rc.shape[0]} reference bins but {cc.shape[0]} current bins"
            )
        r_miss = c_miss = 0.0
        if "missing" in r_labels and r_labels[-1] == "missing":
            r_miss, c_miss = rc[-1], cc[-1]
            rc, cc = rc[:-1], cc[:-1]
        e_arr = None
        if e is not None:
            e_arr = np.asarray(e, dtype=np.float64)
            if e_arr.shape != (rc.shape[0] - 1,):
                raise ShapeMismatchError(
                    f"feature {f!r}: {rc.shape[0]} value bins need {rc.shape[0] - 1} inner "
                    f"edges, got {e_arr.shape[0] if e_arr.ndim else 0}"
                )
        per_feature.append((e_arr, rc, cc, r_miss, c_miss))
        n_ref = float(rc.sum() + r_miss) if n_ref is None else n_ref
        n_cur = float(cc.sum() + c_miss) if n_cur is None else n_cur
    assert n_ref is not None and n_cur is not None
    result = _features_result(names, per_feature, n_ref, n_cur, None, epsilon)
    if bins is not None:
        labels = list(bins)
        if len(labels) != len(result.bins):
            raise ShapeMismatchError(
                f"bins has {len(labels)} labels for {len(result.bins)} bins of counts"
            )
        result.bins["bin"] = pd.Series(labels, dtype=object)
    return result


def _detect_kind(reference: Any, current: Any) -> str:
    def one(obj: Any) -> str:
        if isinstance(obj, pd.DataFrame):
            return "features"
        if isinstance(obj, pd.Series):
            return "features" if obj.dtype.kind == "f" else "labels"
        arr = np.asarray(obj)
        if arr.ndim >= 2:
            return "features"
        return "features" if arr.dtype.kind == "f" else "labels"

    a, b = one(reference), one(current)
    if a != b:
        raise InvalidParameterError(
            f"reference looks like {a} but current like {b}; pass kind='labels' or kind='features'"
        )
    return a


def _psi_labels(reference: Any, current: Any, epsilon: float) -> PSIResult:
    # Series labels are customers: their ids must be unique, as in migration_matrix.
    ref = encode_labels(reference, name="reference", keep_index=True)
    cur = encode_labels(current, name="current", keep_index=True)
    r_codes, r_uniques, c_codes, c_uniques = ref.codes, ref.uniques, cur.codes, cur.uniques
    if r_codes.shape[0] == 0 or c_codes.shape[0] == 0:
        raise EmptyInputError(
            f"reference has {r_codes.shape[0]} labels and current {c_codes.shape[0]}; both "
            "need at least one"
        )
    r_counts = np.bincount(r_codes, minlength=len(r_uniques)).astype(np.float64)
    c_counts = np.bincount(c_codes, minlength=len(c_uniques)).astype(np.float64)
    return _labels_result(list(r_uniques), r_counts, list(c_uniques), c_counts, epsilon)


def _labels_result(
    r_uniques: list[Any],
    r_counts: np.ndarray,
    c_uniques: list[Any],
    c_counts: np.ndarray,
    epsilon: float,
) -> PSIResult:
    """The segment-share report from the count of each segment (labels with a positive
    count) in the reference and the current sample: a pure function of the counts."""
    c_pos = {u: j for j, u in enumerate(c_uniques)}
    r_pos = {u: i for i, u in enumerate(r_uniques)}
    common = [u for u in r_uniques if u in c_pos]
    vanished = [u for u in r_uniques if u not in c_pos]
    new = [u for u in c_uniques if u not in r_pos]
    n_ref, n_cur = float(r_counts.sum()), float(c_counts.sum())
    rc = np.array([r_counts[r_pos[u]] for u in common], dtype=np.float64)
    cc = np.array([c_counts[c_pos[u]] for u in common], dtype=np.float64)
    notes = []
    if common:
        value, terms, n_eps, c05, c01, pval = _core.drift_psi_from_counts(
            rc, cc, epsilon=epsilon, n_ref=float(rc.sum()), n_cur=float(cc.sum())
        )
    else:
        value, terms, n_eps = float("nan"), np.zeros(0), 0
        c05 = c01 = pval = float("nan")
        notes.append("no segment in common: PSI undefined")
    if len(common) == 1:
        notes.append("one segment in common: one bin, PSI is 0 by construction")
    new_share = float(sum(c_counts[c_pos[u]] for u in new) / n_cur)
    vanished_share = float(sum(r_counts[r_pos[u]] for u in vanished) / n_ref)
    if new:
        notes.append(
            f"{len(new)} new segment(s) {new} hold {new_share:.1%} of current "
            "customers (not in the PSI)"
        )
    if vanished:
        notes.append(
            f"{len(vanished)} vanished segment(s) {vanished} held "
            f"{vanished_share:.1%} of reference customers (not in the PSI)"
        )
    rule, stat = _verdicts(value, c05, c01)
    table = pd.DataFrame(
        [
            {
                "feature": "segment",
                "psi": value,
                "n_bins": len(common),
                "n_reference": int(rc.sum()),
                "n_current": int(cc.sum()),
                "n_epsilon": int(n_eps),
                "critical_value_05": c05,
                "critical_value_01": c01,
                "p_value": pval,
                "rule_of_thumb": rule,
                "statistical": stat,
                "new_share": new_share,
                "vanished_share": vanished_share,
                "note": "; ".join(notes),
            }
        ]
    )
    rows = []
    for k, u in enumerate(common):
        rcount, ccount = rc[k], cc[k]
        rows.append(("common", u, rcount, ccount, terms[k]))
    rows += [("vanished", u, r_counts[r_pos[u]], 0.0, np.nan) for u in vanished]
    rows += [("new", u, 0.0, c_counts[c_pos[u]], np.nan) for u in new]
    bins_df = pd.DataFrame(
        {
            "feature": "segment",
            "bin": pd.Series([r[1] for r in rows], dtype=object),
            "lower": np.nan,
            "upper": np.nan,
            "status": [r[0] for r in rows],
            "reference_count": np.array([r[2] for r in rows], dtype=np.int64),
            "current_count": np.array([r[3] for r in rows], dtype=np.int64),
            "reference_share": [r[2] / n_ref for r in rows],
            "current_share": [r[3] / n_cur for r in rows],
            "epsilon_used": [r[0] == "common" and (r[2] == 0 or r[3] == 0) for r in rows],
            "psi_term": [r[4] for r in rows],
        }
    )
    return PSIResult(
        table=table,
        bins=bins_df,
        epsilon=epsilon,
        kind="labels",
        new_segments=new,
        vanished_segments=vanished,
    )


def _as_features(obj: Any, name: str) -> Any:
    if isinstance(obj, pd.Series):
        return obj.to_frame(name=str(obj.name) if obj.name is not None else "x0")
    if not isinstance(obj, pd.DataFrame):
        arr = np.asarray(obj)
        if arr.ndim == 1:
            return arr.reshape(-1, 1)
    return obj


def _psi_features(
    reference: Any, current: Any, bins: int, epsilon: float, progress_bar: bool | None
) -> PSIResult:
    if isinstance(current, pd.Series) and np.ndim(reference) == 1:
        current = current.to_numpy()  # two 1-D inputs: one feature, whatever the names
    reference, current = _as_features(reference, "reference"), _as_features(current, "current")
    if isinstance(reference, pd.DataFrame) and isinstance(current, pd.DataFrame):
        missing = [c for c in reference.columns if c not in current.columns]
        if missing:
            raise ShapeMismatchError(f"current has no column(s) {missing} of reference")
        current = current[list(reference.columns)]
    ref = check_array(reference, name="reference", allow_nan=True, dtypes=(np.float64,))
    cur = check_array(current, name="current", allow_nan=True, dtypes=(np.float64,))
    d = ref.values.shape[1]
    if cur.values.shape[1] != d:
        raise ShapeMismatchError(
            f"reference has {d} features but current has {cur.values.shape[1]}"
        )
    names = ref.columns if ref.columns is not None else [f"x{j}" for j in range(d)]
    # Chunks of features (each chunk binned in parallel in Rust, GIL released).
    chunk = max(4, 2 * _core.current_num_threads())
    per_feature: list[Any] = []
    with progress(d, "PSI features", progress_bar) as advance:
        for start in range(0, d, chunk):
            stop = min(start + chunk, d)
            per_feature += _core.drift_psi_feature_bins(
                ref.values, cur.values, bins=bins, start=start, stop=stop
            )
            advance(stop - start)
    n_ref, n_cur = float(ref.values.shape[0]), float(cur.values.shape[0])
    return _features_result(names, per_feature, n_ref, n_cur, bins, epsilon)


def _features_result(
    names: list[Any],
    per_feature: list[Any],
    n_ref: float,
    n_cur: float,
    bins: int | None,
    epsilon: float,
) -> PSIResult:
    """The features report from each feature's ``(edges, reference counts, current
    counts, reference NaN count, current NaN count)`` (``edges`` None: bins without
    known bounds; ``bins`` None: not quantile bins) over samples of ``n_ref`` and
    ``n_cur`` rows: a pure function of the counts, wherever they were computed."""
    table_rows, bin_frames = [], []
    for name, (edges, rcounts, ccounts, r_miss, c_miss) in zip(names, per_feature, strict=True):
        has_missing = (r_miss + c_miss) > 0
        rc = rcounts.astype(np.float64)
        cc = ccounts.astype(np.float64)
        if has_missing:
            rc = np.append(rc, float(r_miss))
            cc = np.append(cc, float(c_miss))
        stats = _core.drift_psi_from_counts(rc, cc, epsilon=epsilon, n_ref=n_ref, n_cur=n_cur)
        terms, n_eps = stats[1], stats[2]
        notes = []
        if edges is None:
            pass
        elif edges.size == 0 and r_miss == n_ref:
            notes.append(
                "no non-missing value in the reference: only the missing share is compared"
            )
        elif edges.size == 0:
            notes.append(
                "constant in the reference: one value bin, so the PSI cannot see "
                "a shift of the values"
                + (" (only the missing share)" if has_missing else " and is 0 by construction")
            )
        elif bins is not None and edges.size + 1 < bins:
            notes.append(f"ties merged quantiles: {edges.size + 1} value bins of {bins}")
        if n_eps:
            notes.append(f"epsilon={epsilon:g} used for {n_eps} empty bin share(s)")
        if has_missing:
            notes.append(f"missing values: {r_miss} in reference, {c_miss} in current (own bin)")
        table_rows.append(_feature_row(name, rc, n_ref, n_cur, stats, notes))
        if edges is None:
            n_value_bins = len(rcounts)
            lower = np.full(n_value_bins, np.nan)
            upper = np.full(n_value_bins, np.nan)
            labels: list[Any] = list(range(n_value_bins))
        else:
            lower = np.concatenate([[-np.inf], edges])
            upper = np.concatenate([edges, [np.inf]])
            labels = [
                f"({lo:.6g}, {hi:.6g}]" if np.isfinite(hi) else f"({lo:.6g}, {hi:.6g})"
                for lo, hi in zip(lower, upper, strict=True)
            ]
        status = ["value"] * len(labels)
        if has_missing:
            labels.append("missing")
            lower = np.append(lower, np.nan)
            upper = np.append(upper, np.nan)
            status.append("missing")
        bin_frames.append(
            _feature_bins(name, labels, lower, upper, status, rc, cc, n_ref, n_cur, terms)
        )
    return PSIResult(
        table=pd.DataFrame(table_rows),
        bins=pd.concat(bin_frames, ignore_index=True),
        epsilon=epsilon,
        kind="features",
    )
