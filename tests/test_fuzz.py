"""Fuzz: hostile input to every public estimator and function (issue #12).

Hypothesis draws random shapes, dtypes and containers, NaN/infinity patterns, extreme
magnitudes (1e-300 .. 1e300, subnormals, float32's 1e19) and parameter values (valid,
out of range, of the wrong type) for each target below, and asserts that every call

* returns a result, or raises a :class:`~segwise.exceptions.SegwiseError` (a TypeError is
  accepted only for input of the wrong type): never an IndexError, a KeyError, a numpy
  RuntimeWarning, a PanicException, a hang or an abort;
* returns within a time bound (a hang detector, generous on purpose: these inputs are
  tiny; ``faulthandler`` also ends a stuck run with a traceback instead of hanging CI);
* leaves its input unchanged;
* and, where the result carries p-values, keeps them in [0, 1] (or NaN).

The default run is small and deterministic (``derandomize``); ``pytest -m slow
tests/test_fuzz.py`` explores many more random examples. Sizes that would allocate or run
without bound (n_init, max_iter, n_boot, bins, ... far beyond the data) are capped here:
bounding them is the job of their own checks (issue #12, part A), not of this test.
"""

from __future__ import annotations

import copy
import faulthandler
import math
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segwise import abtest, cluster, clv, deploy, metrics, preprocessing, stability
from segwise.exceptions import (
    ConvergenceWarning,
    HighCardinalityWarning,
    PrivacyWarning,
    SegwiseError,
)
from segwise.profile import profile_segments
from segwise.rfm import rfm_scores, rfm_table

#: Seconds a call on these tiny inputs may take before it counts as a hang.
TIME_BOUND = 30.0
#: faulthandler ends the whole run after one call took this long (a true hang), with the
#: stuck thread's traceback on the terminal (``sys.__stderr__``, past pytest's capture).
HARD_BOUND = 300.0

EXTREMES = [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 5e-324, 1e19, -3e19, 1e154, 1e300, -1e300]
NONFINITE = [np.nan, np.inf, -np.inf]
#: Parameter values of the wrong kind or out of any range, tried on every parameter.
HOSTILE = [None, -1, 0, 1, 2, 0.5, -0.5, 1e300, np.nan, np.inf, "x", True, 10**20, [1, 2]]

#: segwise's own warnings may accompany a result; anything else (numpy's RuntimeWarning,
#: pandas' warnings) reaching the user is a failure.
OWN_WARNINGS = (ConvergenceWarning, HighCardinalityWarning, PrivacyWarning)


# --------------------------------------------------------------------------- strategies


@st.composite
def floats_1d(draw: Any, n: int, *, nonfinite: bool = True) -> np.ndarray:
    """``n`` floats: ordinary values, a few extremes, and sometimes NaN/infinity."""
    scale = draw(st.sampled_from([1.0, 1.0, 1e-300, 1e-150, 1e19, 1e150, 1e300]))
    base = np.asarray(
        draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n)), float
    )
    with np.errstate(over="ignore", under="ignore"):
        values = base * scale
    for _ in range(draw(st.integers(0, 2)) if n else 0):
        values[draw(st.integers(0, n - 1))] = draw(st.sampled_from(EXTREMES))
    if nonfinite and n and draw(st.integers(0, 4)) == 0:
        pattern = draw(st.sampled_from(["one", "some", "all"]))
        hit = {"one": 1, "some": max(1, n // 3), "all": n}[pattern]
        values[draw(st.permutations(range(n)))[:hit]] = draw(st.sampled_from(NONFINITE))
    return values


@st.composite
def matrices(draw: Any, *, min_rows: int = 0, max_rows: int = 24, max_cols: int = 4) -> Any:
    """A 2-D input in a random container and dtype (may be empty, non-finite, extreme)."""
    n = draw(st.integers(min_rows, max_rows))
    d = draw(st.integers(0, max_cols) if draw(st.integers(0, 9)) == 0 else st.integers(1, 4))
    nonfinite = draw(st.integers(0, 3)) == 0
    columns = [draw(floats_1d(n, nonfinite=nonfinite)) for _ in range(d)]
    values = np.column_stack(columns) if d else np.empty((n, 0))
    dtype = draw(
        st.sampled_from(["float64", "float64", "float32", "int64", "int8", "bool", "object"])
    )
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype == "float32":
            values = values.astype(np.float32)
        elif dtype in ("int64", "int8"):
            info = np.iinfo(dtype)
            clean = np.nan_to_num(values, nan=0.0, posinf=info.max, neginf=info.min)
            values = np.clip(clean, info.min, info.max).astype(dtype)
        elif dtype == "bool":
            values = np.nan_to_num(values) > 0
        elif dtype == "object":
            values = values.astype(object)
    container = draw(st.sampled_from(["array", "array", "frame", "fortran", "list"]))
    if container == "fortran":
        return np.asfortranarray(values)
    if container == "list":
        return values.tolist()
    if container == "frame":
        names = draw(st.sampled_from(["str", "int", "multi"]))
        cols: Any = [f"c{j}" for j in range(d)]
        if names == "int":
            cols = list(range(10, 10 + d))
        elif names == "multi" and d:
            cols = pd.MultiIndex.from_tuples([("g", f"c{j}") for j in range(d)])
        index = draw(st.sampled_from([None, "ids"]))
        frame = pd.DataFrame(values, columns=cols)
        if index == "ids":
            frame.index = [f"id{i}" for i in range(n)]
        return frame
    return values


@st.composite
def labels(draw: Any, n: int, *, rows: Any = None) -> Any:
    """``n`` segment labels of a random kind; sometimes the wrong length or missing ones."""
    kind = draw(
        st.sampled_from(["int", "int", "str", "mixed", "bool", "float", "category", "none"])
    )
    size = n if draw(st.integers(0, 9)) else draw(st.integers(0, n + 2))
    k = draw(st.integers(1, 4))
    codes = draw(st.lists(st.integers(0, k - 1), min_size=size, max_size=size))
    if kind == "int":
        out: Any = np.asarray(codes, dtype=draw(st.sampled_from(["int64", "int32", "uint8"])))
    elif kind == "str":
        out = [f"seg{c}" for c in codes]
    elif kind == "mixed":
        out = [c if c % 2 else str(c) for c in codes]  # 1 and "1" are different labels
    elif kind == "bool":
        out = [bool(c % 2) for c in codes]
    elif kind == "float":
        out = [float(c) if c else np.nan for c in codes]
    elif kind == "category":
        out = pd.Categorical([f"s{c}" for c in codes])
    else:
        out = [None if c == 0 else c for c in codes]
    if draw(st.integers(0, 3)) == 0:
        index = rows if rows is not None and len(rows) == size else range(size)
        series = pd.Series(out, index=index)
        if draw(st.booleans()):
            series = series.sample(frac=1, random_state=0)  # same ids, another order
        return series
    return out


def hostile(draw: Any, valid: list[Any]) -> Any:
    """A valid value most of the time, else one of the wrong kind or out of range."""
    return (
        draw(st.sampled_from(valid)) if draw(st.integers(0, 2)) else draw(st.sampled_from(HOSTILE))
    )


# --------------------------------------------------------------------------- the harness


def _snapshot(value: Any) -> Any:
    return copy.deepcopy(value)


def _same(a: Any, b: Any) -> bool:
    """Deep equality that treats NaN as equal to NaN (the input-unchanged check)."""
    if isinstance(a, pd.DataFrame | pd.Series):
        try:
            (
                pd.testing.assert_frame_equal
                if isinstance(a, pd.DataFrame)
                else pd.testing.assert_series_equal
            )(a, b)
        except AssertionError:
            return False
        return True
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return all(_same(x, y) for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, pd.Categorical):
        return bool(a.equals(b))
    try:
        return bool(a == b)
    except Exception:  # objects without a clear equality: identity is enough
        return a is b


def _pvalues(result: Any) -> list[float]:
    """p-values a result carries (attributes and table columns named like one)."""
    found: list[float] = []
    for name in ("pvalue", "pvalues", "pvalue_adj", "pvalues_adjusted"):
        value = getattr(result, name, None)
        if value is not None:
            found += np.asarray(value, dtype=float).ravel().tolist()
    table = getattr(result, "table", None)
    if isinstance(table, pd.DataFrame):
        for col in ("pvalue", "pvalue_adj", "srm_pvalue"):
            if col in table.columns:
                found += table[col].to_numpy(dtype=float).tolist()
    return found


def check_call(call: Callable[[], Any], inputs: Any, *, wrong_type_ok: bool = True) -> Any:
    """Run ``call``: a result or a SegwiseError (or TypeError), in time, inputs unchanged."""
    before = _snapshot(inputs)
    started = time.perf_counter()
    result = None
    faulthandler.dump_traceback_later(HARD_BOUND, exit=True, file=sys.__stderr__)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except SegwiseError:
            pass
        except TypeError:
            if not wrong_type_ok:
                raise
        finally:
            faulthandler.cancel_dump_traceback_later()
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"took {elapsed:.1f} s (a hang?)"
    stray = [w for w in caught if not issubclass(w.category, OWN_WARNINGS)]
    assert not stray, f"warning reached the user: {stray[0].category.__name__}: {stray[0].message}"
    assert _same(before, inputs), "the input was modified"
    if result is not None:
        for p in _pvalues(result):
            assert math.isnan(p) or 0.0 <= p <= 1.0, f"p-value {p} outside [0, 1]"
    return result


# --------------------------------------------------------------------------- targets


def _estimator_params(draw: Any, est: Any) -> dict[str, Any]:
    valid = {
        "n_clusters": [1, 2, 3, 5, 30],
        "n_init": ["auto", 1, 3],
        "max_iter": [1, 5, 300],
        "tol": [0.0, 1e-4, 1.0],
        "init": ["k-means++", "random"],
        "algorithm": ["auto", "lloyd", "hamerly", "elkan"],
        "batch_size": [1, 3, 1024],
        "max_no_improvement": [None, 1, 10],
        "init_size": [None, 3, 100],
        "reassignment_ratio": [0.0, 0.01, 1.0],
        "eps": [1e-300, 0.5, 3.0, 1e300],
        "min_samples": [1, 2, 5, 30],
        "feature_range": [(0, 1), (-1, 1), (5, 5.5)],
        "quantile_range": [(25.0, 75.0), (0.0, 100.0), (49.0, 51.0)],
        "columns": [None, [0], [0, 1]],
        "random_state": [0, 1, None],
    }
    params = {}
    for name, default in est.get_params(deep=False).items():
        if draw(st.integers(0, 2)) == 0:
            params[name] = hostile(draw, valid.get(name, [default, True, False]))
    return params


def target_estimators(draw: Any) -> None:
    # The estimator classes (segwise.cluster also exports the kmeans_partial_stats /
    # kmeans_update functions).
    members = [getattr(m, n) for m in (cluster, preprocessing) for n in m.__all__]
    classes = [c for c in members if isinstance(c, type)]
    cls = draw(st.sampled_from(classes))
    est = cls(**_estimator_params(draw, cls()))
    X = draw(matrices())
    X2 = draw(st.sampled_from([X, draw(matrices())]))
    weights = draw(st.sampled_from([None, draw(floats_1d(len(X)))]))

    def call() -> Any:
        kwargs = (
            {} if weights is None or isinstance(est, cluster.DBSCAN) else {"sample_weight": weights}
        )
        try:
            est.fit(X, **kwargs)
        except TypeError as exc:  # estimators without sample_weight
            if "sample_weight" not in str(exc):
                raise
            est.fit(X)
        for method in ("predict", "transform", "score", "inverse_transform"):
            if hasattr(est, method):
                try:
                    getattr(est, method)(X2)
                except SegwiseError:
                    pass
        if hasattr(est, "fit_predict"):
            est.fit_predict(X)
        return est

    check_call(call, (X, X2, weights))


def target_cluster_quality(draw: Any) -> None:
    X = draw(matrices())
    rows = X.index if isinstance(X, pd.DataFrame) else None
    y = draw(labels(len(X), rows=rows))
    name = draw(
        st.sampled_from(
            [
                "silhouette_samples",
                "silhouette_score",
                "calinski_harabasz_score",
                "davies_bouldin_score",
                "simplified_silhouette_samples",
                "simplified_silhouette_score",
            ]
        )
    )
    if draw(st.booleans()):  # Gower distances of the table, alone or to another one
        Y = draw(matrices(max_rows=5)) if draw(st.booleans()) else None
        dtype = draw(st.sampled_from(["float64", "float32"]))
        check_call(lambda: metrics.gower_distances(X, Y, dtype=dtype), (X, Y))
        return
    kwargs: dict[str, Any] = {}
    if name == "silhouette_score" and draw(st.booleans()):
        kwargs = {"sample_size": hostile(draw, [2, 5, 10**6]), "random_state": 0}
    if name.startswith("simplified") and draw(st.booleans()):
        kwargs = {"centers": draw(matrices(max_rows=5))}
    check_call(lambda: getattr(metrics, name)(X, y, **kwargs), (X, y, kwargs))


def target_agreement(draw: Any) -> None:
    n = draw(st.integers(0, 20))
    a, b = draw(labels(n)), draw(labels(n))
    name = draw(
        st.sampled_from(
            [
                "adjusted_rand_score",
                "adjusted_mutual_info_score",
                "normalized_mutual_info_score",
                "fowlkes_mallows_score",
                "contingency_matrix",
            ]
        )
    )
    kwargs: dict[str, Any] = {}
    if "mutual" in name and draw(st.booleans()):
        kwargs["average_method"] = hostile(draw, ["min", "geometric", "arithmetic", "max"])
    check_call(lambda: getattr(metrics, name)(a, b, **kwargs), (a, b))


def target_profile(draw: Any) -> None:
    X = draw(matrices())
    rows = X.index if isinstance(X, pd.DataFrame) else None
    y = draw(labels(len(X), rows=rows))
    kwargs = {
        "alpha": hostile(draw, [0.05, 0.5]),
        "marker_diff": hostile(draw, [(0.25, 0.5), (0.0, 0.0)]),
        "name_terms": hostile(draw, [1, 3]),
        "missing": hostile(draw, ["drop", "raise"]),
    }
    check_call(lambda: profile_segments(X, y, **kwargs), (X, y))


DATES = st.sampled_from(
    [
        ["2024-01-01", "2024-01-05", "2024-02-01"],
        [20240101, 20240105, 20240201],
        [20240101.0, 20240105.0, np.nan],
        [1704067200, 1704412800, 1706745600],
        ["2024-01-01T00:00+00:00", "2024-01-05T00:00+05:00", "2024-02-01"],
        ["3024-01-01", "2024-01-05", "2024-02-01"],
        ["not a date", "2024-01-05", None],
        [0, -1, 99999999],
        list(pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01"]).tz_localize("UTC")),
    ]
)


def target_rfm(draw: Any) -> None:
    n = draw(st.integers(0, 9))
    dates = (draw(DATES) * 3)[:n]
    tx = pd.DataFrame(
        {
            "customer_id": draw(
                st.lists(st.sampled_from(["a", "b", 3, None]), min_size=n, max_size=n)
            ),
            "date": pd.Series(dates, dtype=object) if n else pd.Series([], dtype=object),
            "amount": draw(floats_1d(n)),
        }
    )
    kwargs = {
        "convention": hostile(draw, ["segmentation", "btyd"]),
        "freq": hostile(draw, ["D", "W", "h"]),
        "negative_amounts": hostile(draw, ["net", "drop", "raise"]),
        "observation_end": hostile(draw, [None, "2024-03-01", "2023-01-01", "3024-01-01"]),
    }
    table = check_call(lambda: rfm_table(tx, **kwargs), (tx, kwargs))
    if table is not None and "monetary" in table.columns:
        bins = hostile(draw, [2, 5])
        segments = hostile(draw, ["rf_map", None, [("x", (1, 5), (1, 5), (1, 5))], [("x", 1)]])
        check_call(lambda: rfm_scores(table, bins=bins, segments=segments), table)


def target_abtest_scalars(draw: Any) -> None:
    name = draw(
        st.sampled_from(
            [
                "proportions_test",
                "proportions_diff_ci",
                "prob_beat_control",
                "relative_lift_ci",
                "sample_size_means",
                "sample_size_proportions",
                "minimum_detectable_effect",
                "proportions_ratio_ci",
                "proportions_tost",
            ]
        )
    )
    fn = getattr(abtest, name)
    count = st.one_of(st.integers(-2, 10**6), st.sampled_from(HOSTILE))
    if name == "prob_beat_control":
        # Counts near 1e20 make its integral run without bound today (issue #12 part A,
        # "prob_beat_control(10**19, 10**20, 1, 10) never stops"): capped here until then.
        count = st.one_of(
            st.integers(-2, 10**6),
            st.sampled_from([v for v in HOSTILE if v not in (1e300, 10**20)]),
        )
    margin = st.one_of(st.floats(-2, 2), st.sampled_from(EXTREMES + NONFINITE + HOSTILE))
    if name in (
        "proportions_test",
        "proportions_diff_ci",
        "prob_beat_control",
        "proportions_ratio_ci",
        "proportions_tost",
    ):
        args = [draw(count) for _ in range(4)]
        kwargs: dict[str, Any] = {}
        if name == "prob_beat_control" and draw(st.booleans()):
            kwargs["prior"] = hostile(draw, [(1, 1), (0.5, 0.5), (100, 1)])
        elif name == "proportions_diff_ci":
            kwargs["method"] = hostile(draw, ["newcombe", "wald", "agresti-caffo", "score", "mee"])
            kwargs["alpha"] = hostile(draw, [0.05, 1e-12, 0.999])
        elif name == "proportions_test":
            kwargs["method"] = hostile(draw, ["pooled", "unpooled", "fisher"])
            kwargs["compare"] = hostile(draw, ["diff", "ratio"])
            kwargs["value"] = draw(st.sampled_from([None, draw(margin)]))
        elif name == "proportions_ratio_ci":
            kwargs = {"method": hostile(draw, ["koopman", "log"]), "alpha": hostile(draw, [0.05])}
        elif name == "proportions_tost":
            args += [draw(margin), draw(margin)]
            kwargs["compare"] = hostile(draw, ["diff", "ratio"])
    elif name == "relative_lift_ci":
        number = st.one_of(st.floats(-1e3, 1e3), st.sampled_from(EXTREMES + NONFINITE))
        args = [draw(number) for _ in range(6)]
        kwargs = {"method": hostile(draw, ["delta", "log", "fieller"])}
    elif name == "sample_size_means":
        args = [hostile(draw, [0.1, 1e-300, 1e300]), hostile(draw, [1.0, 1e-300, 1e300])]
        kwargs = {"power": hostile(draw, [0.8, 0.99])}
    elif name == "sample_size_proportions":
        args = [hostile(draw, [0.1, 0.5, 1e-300]), hostile(draw, [0.12, 0.5, 1 - 1e-16])]
        kwargs = {}
    else:
        args = [hostile(draw, [100, 2, 10**12])]
        kwargs = {"baseline": hostile(draw, [None, 0.1]), "sd": hostile(draw, [None, 1.0])}
    check_call(lambda: fn(*args, **kwargs), (args, kwargs))


def target_abtest_samples(draw: Any) -> None:
    name = draw(st.sampled_from(["welch_test", "cuped_test", "ratio_metric_test", "welch_tost"]))
    sizes = [draw(st.integers(0, 12)) for _ in range(4)]
    if draw(st.booleans()):
        sizes = [sizes[0], sizes[0], sizes[2], sizes[2]]
    arrays = [draw(floats_1d(n)) for n in sizes]
    if draw(st.integers(0, 9)) == 0:
        arrays[0] = ["a"] * sizes[0]
    kwargs: dict[str, Any] = {"alternative": hostile(draw, ["two-sided", "larger", "smaller"])}
    if name == "welch_test":
        arrays = arrays[:2]
        if draw(st.booleans()):
            kwargs["winsorize"] = hostile(draw, [0.5, 0.99, 1.0])
        if draw(st.booleans()):
            kwargs["value"] = hostile(draw, [0.0, -0.5, 1e300])
    elif name == "welch_tost":
        margin = st.one_of(st.floats(-5, 5), st.sampled_from(EXTREMES + NONFINITE + HOSTILE))
        arrays = [*arrays[:2], draw(margin), draw(margin)]
        kwargs = {}
    fn = getattr(abtest, name)
    check_call(lambda: fn(*arrays, **kwargs), (arrays, kwargs))


def target_abtest_vectors(draw: Any) -> None:
    name = draw(st.sampled_from(["srm_test", "heterogeneity_test", "adjust_pvalues"]))
    n = draw(st.integers(0, 6))
    if name == "srm_test":
        counts = np.round(np.abs(draw(floats_1d(n))))
        args: list[Any] = [
            counts,
            draw(st.sampled_from([None, draw(floats_1d(n)), [1.0] * (n + 1)])),
        ]
    elif name == "heterogeneity_test":
        args = [draw(floats_1d(n)), draw(floats_1d(draw(st.sampled_from([n, n + 1]))))]
    else:
        args = [np.clip(np.abs(draw(floats_1d(n))), 0, draw(st.sampled_from([1.0, 2.0])))]
    check_call(lambda: getattr(abtest, name)(*args), args)


def target_segment_lift(draw: Any) -> None:
    n = draw(st.integers(0, 24))
    segment_values = st.sampled_from(["s", "t", 1, "1", True, 2.5, None, np.nan])
    df = pd.DataFrame(
        {
            "seg": draw(st.lists(segment_values, min_size=n, max_size=n)),
            "arm": draw(st.lists(st.sampled_from(["A", "B", "C", None]), min_size=n, max_size=n)),
            "y": draw(floats_1d(n)),
            "x": draw(floats_1d(n)),
            "flag": draw(st.lists(st.sampled_from([0.0, 1.0, 2.0]), min_size=n, max_size=n)),
        }
    )
    metrics_ = draw(st.sampled_from([["y"], ["y", "flag"], {"flag": "binary"}, ["nope"], []]))
    kwargs: dict[str, Any] = {
        "segment": draw(st.sampled_from(["seg", None, "nope"])),
        "variant": "arm",
        "control": draw(st.sampled_from(["A", "Z"])),
        "metrics": metrics_,
        "alpha": hostile(draw, [0.05]),
        "adjust": hostile(draw, ["bh", "holm", "bonferroni"]),
        "lift_method": hostile(draw, ["delta", "log", "fieller"]),
        "ci_method": hostile(draw, ["newcombe", "wald", "agresti-caffo", "score"]),
    }
    if draw(st.booleans()):
        kwargs["covariates"] = draw(st.sampled_from([{"y": "x"}, {"y": "nope"}]))
    if draw(st.booleans()):
        kwargs["ratios"] = {"r": ("y", "x")}
    if draw(st.booleans()):
        kwargs["winsorize"] = hostile(draw, [0.9, 1.0])
    report = check_call(lambda: abtest.segment_lift(df, **kwargs), (df, kwargs))
    if report is not None:
        stats = report.stats
        check_call(
            lambda: abtest.lift_from_stats(stats, segment="segment", control=kwargs["control"]),
            stats,
        )
    check_call(
        lambda: abtest.sufficient_stats(
            df, segment=kwargs["segment"], variant="arm", metrics=metrics_
        ),
        df,
    )


def target_stability(draw: Any) -> None:
    X = draw(matrices(max_rows=16, max_cols=3))
    name = draw(
        st.sampled_from(
            [
                "bootstrap_stability",
                "choose_k",
                "gap_statistic",
                "prediction_strength",
                "psi",
                "psi_from_counts",
            ]
        )
    )
    if name == "psi_from_counts":
        try:
            counts = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            return  # not numbers: nothing to count
        if counts.ndim != 2 or counts.shape[1] == 0:
            return
        call = lambda: stability.psi_from_counts(counts[:, 0], counts[:, -1])  # noqa: E731
        check_call(call, X)
        return
    if name == "bootstrap_stability":
        call = lambda: stability.bootstrap_stability(  # noqa: E731
            X, hostile(draw, [2, 3]), n_boot=draw(st.integers(-1, 3)), random_state=0
        )
    elif name == "choose_k":
        k_range = hostile(draw, [range(2, 4), [2], [1, 2], [2, 30]])
        call = lambda: stability.choose_k(  # noqa: E731
            X, k_range, n_refs=2, n_splits=2, n_boot=2, n_init=1, random_state=0
        )
    elif name == "gap_statistic":
        call = lambda: stability.gap_statistic(  # noqa: E731
            X, hostile(draw, [1, 3]), n_refs=draw(st.integers(-1, 3)), random_state=0
        )
    elif name == "prediction_strength":
        call = lambda: stability.prediction_strength(  # noqa: E731
            X, hostile(draw, [range(2, 4), [2]]), n_splits=draw(st.integers(-1, 3)), random_state=0
        )
    else:
        other = draw(matrices(max_rows=16, max_cols=3))
        bins = hostile(draw, [2, 10, 1000])
        call = lambda: stability.psi(X, other, bins=bins)  # noqa: E731
        check_call(call, (X, other))
        return
    check_call(call, X)


def target_label_pairs(draw: Any) -> None:
    n = draw(st.integers(0, 16))
    a, b = draw(labels(n)), draw(labels(n))
    name = draw(st.sampled_from(["align_labels", "relabel", "migration_matrix"]))
    if name == "align_labels":
        call = lambda: stability.align_labels(a, b, return_mapping=True)  # noqa: E731
    elif name == "relabel":
        by = hostile(draw, ["size", "label"])
        call = lambda: stability.relabel(a, by)  # noqa: E731
    else:
        weights = draw(st.sampled_from([None, draw(floats_1d(n))]))
        normalize = hostile(draw, ["row", "column", "all"])
        call = lambda: stability.migration_matrix(a, b, weights=weights, normalize=normalize)  # noqa: E731
    check_call(call, (a, b))


@st.composite
def histories(draw: Any, *, max_rows: int = 12) -> Any:
    """Customer histories (frequency, recency, T, monetary_value), mostly consistent,
    sometimes not (recency above T, fractional or negative counts, a missing column,
    extremes and NaN), in a frame or an array."""
    n = draw(st.integers(0, max_rows))
    frequency = np.asarray(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), float)
    T = np.asarray(draw(st.lists(st.floats(0.5, 60.0), min_size=n, max_size=n)), float)
    share = np.asarray(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)), float)
    recency = np.where(frequency > 0, T * share, 0.0)
    spend = np.abs(draw(floats_1d(n, nonfinite=False))) + 1.0
    columns = {"frequency": frequency, "recency": recency, "T": T, "monetary_value": spend}
    if n and draw(st.integers(0, 3)) == 0:  # something inconsistent or extreme
        name = draw(st.sampled_from(list(columns)))
        columns[name] = columns[name].copy()
        columns[name][draw(st.integers(0, n - 1))] = draw(
            st.sampled_from([*EXTREMES, *NONFINITE, -1.0, 0.5, 1e6])
        )
    frame = pd.DataFrame(columns)
    if draw(st.integers(0, 9)) == 0:
        frame = frame.drop(columns=draw(st.sampled_from(list(columns))))
    return frame if draw(st.integers(0, 3)) else frame.to_numpy()


def target_clv(draw: Any) -> None:
    X = draw(histories())
    n = len(X)
    name = draw(
        st.sampled_from(
            [
                "BetaGeoModel",
                "ModifiedBetaGeoModel",
                "ParetoNBDModel",
                "GammaGammaModel",
                "segment_clv",
                "calibration_holdout",
            ]
        )
    )
    params = {
        "penalizer_coef": hostile(draw, [0.0, 0.01, 1.0]),
        "max_iter": hostile(draw, [1, 50, 1000]),
        "tol": hostile(draw, [1e-7, 1.0]),
        "initial_params": hostile(draw, [None]),
    }
    params = {k: v for k, v in params.items() if draw(st.integers(0, 2)) == 0}
    weights = draw(st.sampled_from([None, draw(floats_1d(n))]))
    t = hostile(draw, [1.0, 0.0, 10.0])
    if name == "GammaGammaModel":

        def call() -> Any:
            model = clv.GammaGammaModel(**params).fit(X, sample_weight=weights)
            return model.conditional_expected_average_profit(X)

    elif name.endswith("Model"):
        cls = getattr(clv, name)

        def call() -> Any:
            model = cls(**params).fit(X, sample_weight=weights)
            model.predict(X, t=t)
            model.conditional_probability_alive(X)
            model.expected_number_of_purchases_up_to_time(t)
            return model.summary()

    elif name == "segment_clv":
        y = draw(labels(n))
        kwargs = {
            "time": hostile(draw, [1, 12]),
            "discount_rate": hostile(draw, [0.0, 0.01]),
            "freq": hostile(draw, ["D", "W", "M"]),
            "n_bootstrap": hostile(draw, [0, 3]),
            "per_segment": hostile(draw, [False, True]),
        }

        def call() -> Any:
            return clv.segment_clv(X, y, random_state=0, progress=False, **kwargs)

        check_call(call, (X, y, kwargs))
        return
    else:
        m = draw(st.integers(0, 9))
        tx = pd.DataFrame(
            {
                "customer_id": draw(
                    st.lists(st.sampled_from(["a", "b", 3]), min_size=m, max_size=m)
                ),
                "date": pd.Series((draw(DATES) * 4)[:m], dtype=object),
                "amount": draw(floats_1d(m)),
            }
        )
        ends = {
            "calibration_end": hostile(draw, ["2024-01-04", "2023-01-01", "3024-01-01"]),
            "observation_end": hostile(draw, [None, "2024-03-01", "2024-01-02"]),
            "freq": hostile(draw, ["D", "W"]),
            "amount": hostile(draw, [None, "amount"]),
        }
        n_buckets = hostile(draw, [1, 7])

        def call() -> Any:
            split = clv.calibration_holdout(tx, **ends)
            return clv.holdout_check(clv.BetaGeoModel(), split, n_buckets=n_buckets)

        check_call(call, (tx, ends))
        return
    check_call(call, (X, weights))


#: Clean training data of the deploy target's models (the models are valid, their new data
#: is hostile).
_DEPLOY_TRAIN = pd.DataFrame(
    np.repeat([[0.0, 1.0], [5.0, 7.0]], 12, axis=0) + np.linspace(0, 0.2, 24)[:, None],
    columns=["c0", "c1"],
)  # two segments of 12: above save_model's min_segment_size


def _deploy_model(draw: Any) -> Any:
    kind = draw(st.sampled_from(["kmeans", "kmeans_array", "scaled", "unfitted", "hostile"]))
    if kind == "kmeans":
        return cluster.KMeans(2, random_state=0).fit(_DEPLOY_TRAIN)
    if kind == "kmeans_array":
        return cluster.KMeans(2, random_state=0).fit(_DEPLOY_TRAIN.to_numpy())
    if kind == "scaled":
        from sklearn.pipeline import make_pipeline

        pipe = make_pipeline(preprocessing.StandardScaler(), cluster.KMeans(2, random_state=0))
        return pipe.fit(_DEPLOY_TRAIN)
    if kind == "unfitted":
        return cluster.KMeans(2)
    return draw(st.sampled_from(HOSTILE))


def target_deploy(draw: Any) -> None:
    import tempfile
    from pathlib import Path

    from segwise.deploy import _steps

    name = draw(
        st.sampled_from(
            [
                "save_model",
                "load_model",
                "to_sql",
                "to_onnx",
                "drift_check",
                "refresh",
                "fingerprint",
                "pseudonymize",
                "register_step",
                "register_skl2onnx",
            ]
        )
    )
    model = _deploy_model(draw)
    X = draw(matrices(max_rows=12, max_cols=3))
    if name == "fingerprint":
        check_call(lambda: deploy.fingerprint(X), X)
        return
    if name == "pseudonymize":
        ids = draw(labels(draw(st.integers(0, 8))))
        key = hostile(draw, ["secret", b"secret", ""])
        check_call(lambda: deploy.pseudonymize(ids, key), (ids, key))
        return
    if name == "register_skl2onnx":
        check_call(deploy.register_skl2onnx, ())
        return
    if name == "register_step":
        key = hostile(draw, ["fuzz.NotAClass"])
        convert = hostile(draw, [lambda est: []])
        saved = (dict(_steps._CONVERTERS), dict(_steps.STEP_CLASSES), set(_steps._HOLDS_ROWS))
        try:
            check_call(lambda: deploy.register_step(key, convert), ())
        finally:  # the registry is global: leave it as it was
            _steps._CONVERTERS.clear()
            _steps._CONVERTERS.update(saved[0])
            _steps.STEP_CLASSES.clear()
            _steps.STEP_CLASSES.update(saved[1])
            _steps._HOLDS_ROWS.clear()
            _steps._HOLDS_ROWS.update(saved[2])
        return
    if name in ("to_sql", "to_onnx"):
        options = (
            {
                "dialect": hostile(draw, ["duckdb", "postgres", "sqlite"]),
                "distance": hostile(draw, [False, True]),
            }
            if name == "to_sql"
            else {"name": hostile(draw, ["segwise", ""])}
        )
        check_call(lambda: getattr(deploy, name)(model, **options), options)
        return
    if name == "drift_check":
        options = {
            "threshold": hostile(draw, [0.25, 0.0, 10.0]),
            "min_segment_size": hostile(draw, [1, 10]),
            "on_small_segment": hostile(draw, ["warn", "ignore", "raise"]),
        }
        check_call(lambda: deploy.drift_check(model, X, **options), (X, options))
        return
    if name == "refresh":
        options = {
            "n_clusters": hostile(draw, [None, 2, 3]),
            "max_iter": hostile(draw, [1, 300]),
            "warm_start": hostile(draw, [True, False]),
        }
        check_call(lambda: deploy.refresh(model, X, **options), (X, options))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        if name == "save_model":
            X_ref = draw(st.sampled_from([None, X]))

            def call() -> Any:
                deploy.save_model(model, path, X=X_ref)
                return deploy.load_model(path).predict(X)

            check_call(call, (X, X_ref))
            return
        # load_model on a damaged file: a saved model cut short, with bytes changed, or
        # something else entirely.
        deploy.save_model(cluster.KMeans(2, random_state=0).fit(_DEPLOY_TRAIN), path)
        data = bytearray(path.read_bytes())
        damage = draw(st.sampled_from(["truncate", "flip", "replace", "garbage", "empty"]))
        if damage == "truncate":
            data = data[: draw(st.integers(0, len(data) - 1))]
        elif damage == "flip":
            for _ in range(draw(st.integers(1, 4))):
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif damage == "replace":
            text = data.decode()
            old = draw(st.sampled_from(['"KMeans"', "0.", "2", "[", "true", '"c0"']))
            new = draw(st.sampled_from(['"x"', "null", "-1", "1e999", "NaN", "[]", "{}", ""]))
            data = bytearray(text.replace(old, new, 1).encode())
        elif damage == "garbage":
            data = bytearray(draw(st.binary(max_size=64)))
        else:
            data = bytearray()
        path.write_bytes(bytes(data))

        def load() -> Any:
            return deploy.load_model(path).predict(_DEPLOY_TRAIN)

        check_call(load, ())


TARGETS: dict[str, Callable[[Any], None]] = {
    "estimators": target_estimators,
    "cluster_quality": target_cluster_quality,
    "agreement": target_agreement,
    "profile_segments": target_profile,
    "rfm": target_rfm,
    "abtest_scalars": target_abtest_scalars,
    "abtest_samples": target_abtest_samples,
    "abtest_vectors": target_abtest_vectors,
    "segment_lift": target_segment_lift,
    "stability": target_stability,
    "label_pairs": target_label_pairs,
    "clv": target_clv,
    "deploy": target_deploy,
}


def test_every_public_callable_is_a_target():
    """The targets reach every public estimator and function: a new one must join."""
    import inspect

    import segwise.profile
    import segwise.rfm

    source = "\n".join(inspect.getsource(t) for t in TARGETS.values())
    modules = (abtest, metrics, stability, segwise.profile, segwise.rfm, clv, deploy)
    missing = [
        f"{module.__name__}.{name}"
        for module in modules
        for name in module.__all__
        if callable(getattr(module, name))
        # result classes are outputs; estimators (anything with fit) are inputs
        and (not isinstance(getattr(module, name), type) or hasattr(getattr(module, name), "fit"))
        and name not in source
    ]
    assert not missing, f"not fuzzed: {missing}"
    assert "m.__all__ for m in (cluster, preprocessing)" in source.replace("\n", " ") or (
        "(cluster, preprocessing)" in source
    )


FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the default run is the same on every machine
    database=None,  # nothing written to the working directory
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
FUZZ_LONG = settings(FUZZ, max_examples=400, derandomize=False)


@pytest.mark.parametrize("target", list(TARGETS))
@FUZZ
@given(data=st.data())
def test_fuzz(target, data):
    TARGETS[target](data.draw)


@pytest.mark.slow
@pytest.mark.parametrize("target", list(TARGETS))
@FUZZ_LONG
@given(data=st.data())
def test_fuzz_long(target, data):
    TARGETS[target](data.draw)
