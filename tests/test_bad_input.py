"""Bad input across every estimator and metric: typed errors that name the problem, never a
crash, a hang or a PanicException, and the caller's data untouched."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from segwise._validation import format_bytes
from segwise.cluster import DBSCAN, KMeans, KMedoids, KModes, KPrototypes, MiniBatchKMeans
from segwise.exceptions import (
    EmptyInputError,
    FeatureNamesError,
    NonFiniteError,
    NonNumericError,
    NotFittedError,
    SegwiseError,
    ShapeMismatchError,
)
from segwise.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from segwise.preprocessing import (
    Log1pTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn import metrics as skm
from sklearn.base import clone

ESTIMATORS = [
    KMeans(n_clusters=2, random_state=0),
    MiniBatchKMeans(n_clusters=2, random_state=0),
    DBSCAN(eps=1.0, min_samples=2),
    KMedoids(n_clusters=2, metric="euclidean"),
    StandardScaler(),
    MinMaxScaler(),
    RobustScaler(),
    MaxAbsScaler(),
    Log1pTransformer(),
]
SCALERS = [e for e in ESTIMATORS if not hasattr(e, "fit_predict")]
ids = [type(e).__name__ for e in ESTIMATORS]


def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        np.abs(rng.normal(size=(n, 3))) * [1, 10, 100], columns=["recency", "frequency", "spend"]
    )


def _mixed(n=8):
    """Two numeric columns and one categorical, for KPrototypes."""
    X = _frame(n)[["recency", "spend"]]
    return X.assign(channel=["web", "shop"] * (n // 2))


def _fit_input(cls, n=8):
    return {KPrototypes: _mixed, KModes: lambda n: _frame(n).astype(int).astype(str)}.get(
        cls, _frame
    )(n)


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_nan_names_column_and_rows(est):
    X = _frame()
    X.iloc[[3, 7], 2] = np.nan
    if type(est).__name__ in {
        "StandardScaler",
        "MinMaxScaler",
        "RobustScaler",
        "MaxAbsScaler",
        "Log1pTransformer",
    }:
        X.iloc[5, 1] = np.inf  # scalers ignore NaN (as scikit-learn) but not infinity
        with pytest.raises(NonFiniteError, match=r"'frequency' \(1 infinity\)"):
            clone(est).fit(X)
    else:
        with pytest.raises(NonFiniteError, match=r"2 of 40 rows.*'spend' \(2 NaN\)"):
            clone(est).fit(X)


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_empty_and_non_numeric_frames(est):
    with pytest.raises(EmptyInputError, match="0 sample"):
        clone(est).fit(_frame().iloc[:0])
    bad = _frame().assign(channel="web")
    with pytest.raises(NonNumericError, match=r"\['channel'\]") as info:
        clone(est).fit(bad)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_one_row(est):
    X = _frame().iloc[:1]
    if isinstance(est, (KMeans, MiniBatchKMeans, KMedoids)):
        with pytest.raises(SegwiseError, match="n_samples=1 should be >= n_clusters=2"):
            clone(est).fit(X)
    else:
        fitted = clone(est).fit(X)
        out = fitted.transform(X) if hasattr(fitted, "transform") else fitted.labels_
        assert len(out) == 1


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_unfitted_and_other_columns(est):
    X = _frame()
    method = "transform" if hasattr(est, "transform") else None
    if method is None:
        return  # DBSCAN has no predict/transform; it is covered by the other tests
    with pytest.raises(NotFittedError):
        getattr(clone(est), method)(X)
    fitted = clone(est).fit(X)
    with pytest.raises(FeatureNamesError, match="order differs"):
        getattr(fitted, method)(X[["spend", "recency", "frequency"]])
    with pytest.raises(FeatureNamesError, match=r"unexpected: \['tenure'\]"):
        getattr(fitted, method)(X.rename(columns={"spend": "tenure"}))
    with pytest.raises(ShapeMismatchError, match="X has 2 features"):
        getattr(fitted, method)(X.to_numpy()[:, :2])


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
@pytest.mark.parametrize("layout", ["float32", "int", "fortran", "readonly", "strided", "memmap"])
def test_layouts_are_accepted_correct_and_untouched(est, layout, tmp_path):
    base = np.ascontiguousarray(_frame().to_numpy())
    if layout == "float32":
        X = base.astype(np.float32)
    elif layout == "int":
        X = np.round(base).astype(np.int64)
    elif layout == "fortran":
        X = np.asfortranarray(base)
    elif layout == "readonly":
        X = base.copy()
        X.flags.writeable = False
    elif layout == "strided":
        X = np.repeat(base, 2, axis=1)[:, ::2]
    else:
        X = np.lib.format.open_memmap(
            tmp_path / "x.npy", mode="w+", dtype=base.dtype, shape=base.shape
        )
        X[:] = base
    before = np.array(X, copy=True)
    reference = np.ascontiguousarray(X, dtype=np.float32 if layout == "float32" else float)
    got = clone(est).fit(X)
    want = clone(est).fit(reference)
    if hasattr(got, "transform"):
        np.testing.assert_allclose(got.transform(X), want.transform(reference), rtol=1e-6)
    else:
        np.testing.assert_array_equal(got.labels_, want.labels_)
    np.testing.assert_array_equal(np.asarray(X), before)


@pytest.mark.parametrize("est", ESTIMATORS, ids=ids)
def test_large_values_work_and_overflowing_ones_are_named(est):
    X = _frame().to_numpy() * 1e100  # squares still fit in float64
    fitted = clone(est).fit(X)
    out = fitted.transform(X) if hasattr(fitted, "transform") else fitted.labels_
    assert np.isfinite(out).all()
    huge = _frame().to_numpy() * 1e200
    if isinstance(est, (MinMaxScaler, RobustScaler, MaxAbsScaler)):
        assert np.isfinite(clone(est).fit(huge).transform(huge)).all()  # no squares involved
    elif isinstance(est, Log1pTransformer):
        assert np.isfinite(clone(est).fit_transform(huge)).all()
    else:
        with pytest.raises(NonFiniteError, match="overflowed.*largest \\|value\\| in X is"):
            clone(est).fit(huge)


@pytest.mark.parametrize(
    "metric", [silhouette_score, calinski_harabasz_score, davies_bouldin_score]
)
def test_metrics_on_huge_values(metric):
    # The scores do not depend on the unit: above ~1e154, where squared distances overflow,
    # they are computed on the data divided by a power of two; the oracle is scikit-learn
    # on the unscaled data.
    X = _frame().to_numpy()
    labels = np.arange(len(X)) % 3
    want = getattr(skm, metric.__name__)(X, labels)
    for scale in (1e100, 1e200, 1e300):
        assert metric(X * scale, labels) == pytest.approx(want, rel=1e-12)


# --------------------------------------------------------------------------- clear errors


def _clear_error_cases():
    """(call, error class, words of the message) for the raw messages issue #12 listed."""
    from segwise.abtest import cuped_test, relative_lift_ci, segment_lift, srm_test, welch_test
    from segwise.exceptions import (
        ColumnNotFoundError,
        InvalidParameterError,
        NonNumericError,
    )
    from segwise.rfm import rfm_scores

    dup = pd.DataFrame(
        [[0, "A", 1.0, 2.0]] * 4 + [[0, "B", 1.0, 3.0]] * 4, columns=["s", "arm", "m", "m"]
    )
    inf = pd.DataFrame({"arm": ["A", "B"] * 4, "spend": [1.0, 2, np.inf, 3, 4, 5, 6, 7]})
    inf.index = [f"c{i}" for i in range(8)]
    table = pd.DataFrame({"recency": [1, 2, 3], "frequency": [1, 2, 3], "monetary": [1.0, 2, 3]})
    lift = dict(segment="s", variant="arm", control="A")
    return [
        (
            lambda: segment_lift(dup, metrics=["m"], **lift),
            InvalidParameterError,
            r"more than one column named \['m'\]",
        ),
        (
            lambda: segment_lift(dup.iloc[:, :3], metrics=["spend"], **lift),
            ColumnNotFoundError,
            r"not found in df: \['spend'\]",
        ),
        (
            lambda: segment_lift(inf, segment=None, variant="arm", control="A", metrics=["spend"]),
            NonFiniteError,
            r"infinity in column\(s\) 'spend' \(1 of 8 rows, first at index 'c2'\)",
        ),
        (
            lambda: cuped_test([1.0, 2, 3], [1.0, 2], [1.0, 2, 3], [1.0, 2, 3]),
            ShapeMismatchError,
            "y1 has 3 values but x1 has 2",
        ),
        (
            lambda: cuped_test([1.0, 2, 3], [1.0, 2, 3], [1.0, 2, np.nan], [1.0, 2, 3]),
            NonFiniteError,
            "y2 has 1 NaN",
        ),
        (lambda: welch_test(["a", "b"], [1.0, 2]), NonNumericError, "sample1 must hold numbers"),
        (lambda: welch_test([1.0, 2.0], [1.0, np.inf]), NonFiniteError, "sample2 has 1 NaN"),
        (
            lambda: relative_lift_ci(1.0, -1.0, 10, 1.0, 1.0, 10),
            InvalidParameterError,
            "var1 must be >= 0, got -1.0",
        ),
        (
            lambda: relative_lift_ci(1.0, 1.0, 10, np.nan, 1.0, 10),
            InvalidParameterError,
            "mean2 must be finite",
        ),
        (
            lambda: rfm_scores(table, segments=[("x", 1, 2)]),
            InvalidParameterError,
            r"segments\[0\] = \('x', 1, 2\) must be a rule",
        ),
        (lambda: srm_test(["a", 1]), NonNumericError, "counts must hold numbers"),
    ]


@pytest.mark.parametrize("case", range(len(_clear_error_cases())))
def test_listed_raw_messages_are_now_clear(case):
    call, error, words = _clear_error_cases()[case]
    with pytest.raises(error, match=words) as info:
        call()
    assert isinstance(info.value, SegwiseError)


# --------------------------------------------------------------------------- sizes
# A size-like parameter far beyond the data: scikit-learn's answer or a typed error that
# says what would be allocated, decided before anything is allocated (these used to abort
# the interpreter inside linfa or grow to tens of GB).


def test_dbscan_min_samples_beyond_the_rows_is_all_noise_like_sklearn():
    from sklearn.cluster import DBSCAN as SkDBSCAN

    X = np.zeros((10, 2))
    for min_samples in (11, 10**12):
        ours = DBSCAN(min_samples=min_samples).fit(X)
        theirs = SkDBSCAN(min_samples=min_samples).fit(X)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        np.testing.assert_array_equal(ours.core_sample_indices_, theirs.core_sample_indices_)
    assert (DBSCAN(min_samples=10).fit(X).labels_ == 0).all()  # exactly n: one cluster


@pytest.mark.parametrize("bins", [10**6 + 1, 10**8, 10**9])
def test_psi_bins_beyond_the_documented_cap_are_refused(bins):
    from segwise.exceptions import InvalidParameterError
    from segwise.stability import psi

    x = np.arange(100.0)
    # The message says what the bins would allocate: 24 bytes per bin and feature.
    gib = f"{24 * bins / 2**30:.1f} GiB" if 24 * bins >= 2**30 else "MiB"
    with pytest.raises(
        InvalidParameterError,
        match=rf"bins must be in \[2, 1000000\] \(the documented cap; {bins:,} would "
        rf"allocate at least .*{gib} for the bin edges of each feature.*\), got {bins}$",
    ):
        psi(x, x, bins=bins)
    # More bins than rows is allowed (numpy's interpolated quantiles), and still exact.
    assert psi(x, x, bins=1000).table["psi"].iloc[0] == 0.0


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((5, 10, 5, 10), {"prior": (10**10, 1)}),
        ((10**19, 10**20, 1, 10), {}),
        ((10**8, 10**9, 1, 10), {}),
    ],
)
def test_prob_beat_control_with_sums_too_long_is_refused(args, kwargs):
    from segwise.abtest import prob_beat_control
    from segwise.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="prior|terms exceed the supported"):
        prob_beat_control(*args, **kwargs)


def test_prob_beat_control_at_the_bound_still_answers():
    from scipy import stats
    from segwise.abtest import prob_beat_control

    # 10^6 successes: a sum of a million terms, checked against numerical integration.
    p = prob_beat_control(10**6 + 500, 10**7, 10**6, 10**7).prob_beat_control
    a, b = stats.beta(10**6 + 1, 9 * 10**6 + 1), stats.beta(10**6 + 501, 9 * 10**6 - 499)
    grid = np.linspace(0.0995, 0.1005, 200_001)
    want = np.trapezoid(a.pdf(grid) * b.sf(grid), grid)
    assert abs(p - want) < 1e-6


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("bootstrap_stability", (2,), {"n_boot": 10**9}),
        ("gap_statistic", (3,), {"n_refs": 10**12}),
        ("prediction_strength", ([2, 3],), {"n_splits": 10**7}),
        ("choose_k", ([2, 3],), {"n_boot": 10**9}),
    ],
)
def test_replicate_counts_beyond_the_documented_cap_are_refused(name, args, kwargs):
    from segwise import stability
    from segwise.exceptions import InvalidParameterError

    ((param, value),) = kwargs.items()
    words = (
        rf"{param} must be in \[1, 1000000\] \(the documented cap; {value:,} would allocate "
        rf"at least {format_bytes(8 * value)} for the replicates' results.*\), got {value}$"
    )
    with pytest.raises(InvalidParameterError, match=words):
        getattr(stability, name)(_frame().to_numpy(), *args, **kwargs)


def test_format_bytes_in_the_cap_messages():
    assert format_bytes(8 * 10**9) == "7.5 GiB"
    assert format_bytes(24 * 10**8) == "2.2 GiB"


def test_clv_bootstrap_replicates_beyond_the_cap_say_what_they_would_allocate():
    from segwise.clv import segment_clv
    from segwise.exceptions import InvalidParameterError

    # Parameters are checked first: the (empty) inputs are never read.
    with pytest.raises(
        InvalidParameterError,
        match=r"n_bootstrap must be in \[0, 100000\] \(the documented cap; 10,000,000 would "
        r"allocate at least 76.3 MiB for the replicates' means",
    ):
        segment_clv(None, None, n_bootstrap=10**7)


_RESTARTS = [
    (KMeans, {"n_clusters": 2}),
    (MiniBatchKMeans, {"n_clusters": 2}),
    (KPrototypes, {"n_clusters": 2}),
    (KModes, {"n_clusters": 2}),
]


@pytest.mark.parametrize("cls, kwargs", _RESTARTS, ids=[c.__name__ for c, _ in _RESTARTS])
@pytest.mark.parametrize("n_init", [10**4 + 1, 10**6, 10**12])
def test_n_init_beyond_the_documented_cap_is_refused(cls, kwargs, n_init):
    from segwise.exceptions import InvalidParameterError

    with pytest.raises(
        InvalidParameterError,
        match=rf"^{cls.__name__}: n_init must be 'auto' or an int in \[1, 10000\] \(the "
        rf"documented cap; {n_init:,} would run {n_init:,} restarts, each a whole fit on the "
        rf"data; their memory does not grow with n_init.*\), got {n_init}$",
    ):
        cls(n_init=n_init, **kwargs).fit(_fit_input(cls))


def test_choose_k_n_init_beyond_the_cap_says_what_it_would_run():
    from segwise import stability
    from segwise.exceptions import InvalidParameterError

    with pytest.raises(
        InvalidParameterError,
        match=r"n_init must be in \[1, 10000\] \(the documented cap; 100,000 would run "
        r"100,000 restarts, each a whole fit on the data;.*\), got 100000$",
    ):
        stability.choose_k(_frame().to_numpy(), [2, 3], n_init=10**5)


_ITERATING = [*_RESTARTS, (KMedoids, {"n_clusters": 2, "metric": "euclidean"})]


@pytest.mark.parametrize("cls, kwargs", _ITERATING, ids=[c.__name__ for c, _ in _ITERATING])
@pytest.mark.parametrize("max_iter", [10**7 + 1, 10**12])
def test_max_iter_beyond_the_documented_cap_is_refused(cls, kwargs, max_iter):
    from segwise.exceptions import InvalidParameterError

    with pytest.raises(
        InvalidParameterError,
        match=rf"^{cls.__name__}: max_iter must be in \[1, 10000000\] \(the documented cap; "
        rf"{max_iter:,} would allow up to {max_iter:,} iterations per run, each a pass over "
        rf"the data\), got {max_iter}$",
    ):
        cls(max_iter=max_iter, **kwargs).fit(_fit_input(cls))


@pytest.mark.parametrize("cls", [KMeans, KPrototypes])
def test_caps_admit_their_bound(cls):
    est = cls(n_clusters=2, n_init=2, max_iter=10**7, random_state=0).fit(_fit_input(cls))
    assert est.n_iter_ < 10**7


def test_dask_and_clv_iteration_caps_are_the_same_tables():
    from segwise.clv import BetaGeoModel, GammaGammaModel
    from segwise.exceptions import InvalidParameterError

    for model in (BetaGeoModel(max_iter=10**8), GammaGammaModel(max_iter=10**8)):
        with pytest.raises(InvalidParameterError, match=r"max_iter must be in \[1, 10000000\]"):
            model._validate_params()
    dd = pytest.importorskip("dask.dataframe")
    from segwise import dask as sd

    data = dd.from_pandas(_frame(8), npartitions=2)
    for est, param in [
        (sd.KMeans(2, n_init=10**5), "n_init"),
        (sd.KMeans(2, init_max_iter=10**8), "init_max_iter"),
        (sd.MiniBatchKMeans(2, max_iter=10**8), "max_iter"),
    ]:
        with pytest.raises(InvalidParameterError, match=rf"{param} must be .*\[1, 10"):
            est.fit(data)


@pytest.mark.parametrize("width", [2**45, 2**62])
def test_sparse_scalers_on_a_width_no_machine_holds_raise_allocation_error(width):
    import scipy.sparse as sp
    from segwise.exceptions import AllocationError
    from segwise.preprocessing import MaxAbsScaler, StandardScaler

    # Two rows and one stored value: the per-column statistics alone would take at least
    # 8 bytes per declared column (2**45 columns: 256 TiB, beyond any address space).
    wide = sp.csr_matrix(
        (np.array([2.0]), np.array([3], dtype=np.int64), np.array([0, 1, 1], dtype=np.int64)),
        shape=(2, width),
    )
    for est, what in [
        (MaxAbsScaler(), "the per-column maxima"),
        (StandardScaler(with_mean=False), "the per-column moments"),
    ]:
        with pytest.raises(AllocationError, match=rf"cannot allocate .* for {what}"):
            est.fit(wide)


_RESTART_MEMORY = """
import resource, sys
import numpy as np, pandas as pd
from segwise.cluster import KPrototypes

n, n_init = 1_000_000, int(sys.argv[1])
rng = np.random.default_rng(0)
X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                  "c": pd.Categorical(rng.integers(0, 3, n).astype(str))})
with open("/proc/self/statm") as f:
    held = int(f.read().split()[1]) * resource.getpagesize() // 1024
KPrototypes(2, n_init=n_init, init="random", max_iter=1, random_state=0).fit(X)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - held)
"""


def test_kprototypes_restarts_do_not_multiply_memory():
    import subprocess
    import sys

    # Peak memory of the process, in KiB above what it held before the fit (the input
    # checks' copies set a floor that hides part of the core's buffers): with every
    # restart's labels kept, as before, 12 restarts on 1,000,000 rows peaked 9.2 MiB above
    # one restart; the restarts now keep the best labels only, so the peaks agree within
    # one 3.8 MiB label buffer.
    def growth(n_init):
        out = subprocess.run(
            [sys.executable, "-c", _RESTART_MEMORY, str(n_init)],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout.split()[-1])

    one, many = growth(1), growth(12)
    assert many - one < 1_000_000 * 4 / 1024, (one, many)


@pytest.mark.parametrize("name", ["choose_k", "prediction_strength"])
@pytest.mark.parametrize(
    "k_range, words",
    [
        (range(2, 10**15), r"k_range contains k=999999999999999, outside \[2, n_samples - 1\]"),
        (range(10**15, 1, -1), r"k_range contains k=1000000000000000, outside"),
        (range(-(10**15), 10), r"k_range contains k=-1000000000000000, outside"),
        (
            lambda: itertools.count(2),
            r"k=40, outside \[2, n_samples - 1\] = \[2, 39\]",
        ),
        (
            lambda: itertools.repeat(3),
            r"k_range has more than 10,000 values, above",
        ),
    ],
)
def test_k_range_is_checked_without_building_a_list(name, k_range, words):
    from segwise import stability
    from segwise.exceptions import InvalidParameterError

    # A list of 10**15 ints would not fit in memory: only the bounds can have been read;
    # iterators (made afresh for each case) are read until the first value out of bounds.
    k_range = k_range() if callable(k_range) else k_range
    with pytest.raises(InvalidParameterError, match=words):
        getattr(stability, name)(_frame().to_numpy(), k_range=k_range, progress=False)


def test_k_range_count_cap_on_a_range_within_the_data():
    from segwise.stability._choose_k import MAX_K_VALUES, _check_ks

    n = 3 * MAX_K_VALUES
    assert _check_ks(range(2, MAX_K_VALUES + 2), n) == list(range(2, MAX_K_VALUES + 2))
    with pytest.raises(ValueError, match=r"k_range has 10,001 values, above the documented cap"):
        _check_ks(range(2, MAX_K_VALUES + 3), n)
    with pytest.raises(ValueError, match=r"k_range has more than 10,000 values"):
        _check_ks(iter(range(2, MAX_K_VALUES + 3)), n)
    assert _check_ks(range(9, 1, -3), n) == [3, 6, 9]


def test_calibration_holdout_reads_dates_as_rfm_table_does():
    from segwise.clv import calibration_holdout
    from segwise.exceptions import InvalidParameterError

    text = ["2024-01-01", "2024-01-03", "2024-01-10", "2024-01-02", "2024-01-12"]
    tx = pd.DataFrame({"customer_id": list("aaabb"), "date": text, "amount": 1.0})
    want = calibration_holdout(tx, "2024-01-05")
    # YYYYMMDD numbers are dates, not nanoseconds since 1970.
    numbers = tx.assign(date=[int(d.replace("-", "")) for d in text])
    pd.testing.assert_frame_equal(calibration_holdout(numbers, "2024-01-05"), want)
    zones = tx.assign(date=["2024-01-01T00:00+00:00", "2024-01-03T00:00+05:00", *text[2:]])
    with pytest.raises(InvalidParameterError, match="column 'date' mixes time zones"):
        calibration_holdout(zones, "2024-01-05")
    with pytest.raises(InvalidParameterError, match="column 'date' has 1 missing or unparsable"):
        calibration_holdout(tx.assign(date=["not a date", *text[1:]]), "2024-01-05")


def test_to_onnx_refuses_an_empty_graph_name():
    pytest.importorskip("onnx")
    from segwise.deploy import to_onnx
    from segwise.exceptions import InvalidParameterError

    km = KMeans(2, random_state=0).fit(np.repeat([[0.0], [9.0]], 12, axis=0))
    with pytest.raises(InvalidParameterError, match="to_onnx: name must be a non-empty str"):
        to_onnx(km, name="")
    assert to_onnx(km, name="g").graph.name == "g"
