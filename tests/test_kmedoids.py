"""KMedoids against the `kmedoids` package (a GPL test oracle only: same swaps and loss
from the same initial medoids), across metrics, methods and bad input."""

from __future__ import annotations

import pickle
import warnings

import kmedoids
import numpy as np
import pandas as pd
import pytest
import segwise.cluster._kmedoids as kmedoids_module
from conftest import blobs, outputs_on_threads
from scipy.spatial.distance import cdist
from segwise import _core
from segwise.cluster import KMedoids
from segwise.exceptions import (
    AllocationError,
    ConvergenceWarning,
    InvalidParameterError,
    NonFiniteError,
    NonNumericError,
    NotEnoughSamplesError,
    NotFittedError,
    ShapeMismatchError,
    UnknownCategoryError,
)
from segwise.metrics import gower_distances
from sklearn.metrics import adjusted_rand_score


def euclidean_matrix(n: int, seed: int, d: int = 3) -> np.ndarray:
    X = np.random.default_rng(seed).normal(size=(n, d))
    return cdist(X, X)


def customers(n: int, seed: int = 0) -> pd.DataFrame:
    """Three kinds of customers: spend, visits, channel and region differ between them."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "spend": rng.normal([20.0, 80.0, 200.0], 8.0, (n, 3))[np.arange(n), kind],
            "visits": rng.poisson([2, 6, 12], (n, 3))[np.arange(n), kind].astype(float),
            "channel": np.array(["web", "shop", "phone"])[
                np.where(rng.random(n) < 0.85, kind, rng.integers(0, 3, n))
            ],
            "region": rng.choice(["north", "south"], n),
        },
        index=pd.Index(np.arange(1000, 1000 + n), name="customer_id"),
    ), kind


# --------------------------------------------------------------------------- oracle


@pytest.mark.parametrize(("n", "k", "seed"), [(300, 3, 0), (800, 8, 1), (500, 12, 2)])
def test_fasterpam_makes_the_kmedoids_packages_swaps(n, k, seed):
    D = euclidean_matrix(n, seed)
    init = np.random.default_rng(seed).choice(n, size=k, replace=False)
    ours = KMedoids(k, metric="precomputed", init=init).fit(D)
    theirs = kmedoids.fasterpam(D, init.copy(), max_iter=100, n_cpu=1)
    assert ours.inertia_ == pytest.approx(float(theirs.loss), rel=1e-12)
    assert sorted(ours.medoid_indices_) == sorted(int(m) for m in theirs.medoids)
    assert adjusted_rand_score(ours.labels_, theirs.labels) == 1.0
    # float32 matrices too (the loss is accumulated in float64 by both)
    ours32 = KMedoids(k, metric="precomputed", init=init).fit(D.astype(np.float32))
    theirs32 = kmedoids.fasterpam(D.astype(np.float32), init.copy(), n_cpu=1)
    assert ours32.inertia_ == pytest.approx(float(theirs32.loss), rel=1e-6)


def test_build_and_pam_match_the_kmedoids_package():
    D = euclidean_matrix(400, 5)
    built = kmedoids.pam_build(D, 6)
    np.testing.assert_array_equal(
        kmedoids_module._initial_medoids(D, 6, "build", np.random.default_rng(0)),
        built.medoids.astype(np.int64),
    )
    theirs = kmedoids.pam(D, 6, init="build")
    fitted = KMedoids(6, metric="precomputed", method="pam").fit(D)
    assert fitted.inertia_ == pytest.approx(float(theirs.loss), rel=1e-12)
    assert sorted(fitted.medoid_indices_) == sorted(int(m) for m in theirs.medoids)


def test_gower_and_euclidean_metrics_equal_their_precomputed_matrices():
    X, _ = customers(300)
    gower_fit = KMedoids(3, random_state=0).fit(X)
    via_matrix = KMedoids(3, metric="precomputed").fit(gower_distances(X))
    np.testing.assert_array_equal(gower_fit.medoid_indices_, via_matrix.medoid_indices_)
    np.testing.assert_array_equal(gower_fit.labels_, via_matrix.labels_)
    assert gower_fit.inertia_ == pytest.approx(via_matrix.inertia_, rel=1e-12)
    values = X[["spend", "visits"]].to_numpy()
    euclid = KMedoids(4, metric="euclidean", method="pam").fit(values)
    pre = KMedoids(4, metric="precomputed", method="pam").fit(cdist(values, values))
    np.testing.assert_array_equal(euclid.medoid_indices_, pre.medoid_indices_)
    assert euclid.inertia_ == pytest.approx(pre.inertia_, rel=1e-12)


def test_segments_of_a_mixed_table():
    X, kind = customers(600, seed=3)
    km = KMedoids(3).fit(X)
    assert adjusted_rand_score(kind, km.labels_) > 0.8
    assert km.labels_.dtype == np.int32 and km.medoid_indices_.dtype == np.int64
    # A medoid is a real customer: its row, with its customer id and dtypes.
    pd.testing.assert_frame_equal(km.cluster_centers_, X.iloc[km.medoid_indices_])
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    assert km.inertia_ == pytest.approx(km.transform(X).min(axis=1).sum(), rel=1e-12)
    dist = km.transform(X.iloc[:5])
    assert list(dist.columns) == ["kmedoids0", "kmedoids1", "kmedoids2"]
    assert list(dist.index) == list(X.index[:5])
    np.testing.assert_allclose(
        dist.to_numpy(), gower_distances(X)[:5][:, km.medoid_indices_], atol=1e-15
    )
    restored = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(restored.predict(X), km.labels_)


def test_init_options_are_reproducible():
    D = euclidean_matrix(300, 7)
    for init in ("k-medoids++", "random"):
        a = KMedoids(5, metric="precomputed", init=init, random_state=1).fit(D)
        b = KMedoids(5, metric="precomputed", init=init, random_state=1).fit(D)
        np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)
    build = KMedoids(5, metric="precomputed").fit(D)
    assert build.inertia_ <= a.inertia_ * 1.05


def test_clara_is_close_to_fasterpam_and_reproducible():
    X, kind = customers(3000, seed=4)
    full = KMedoids(3).fit(X)
    clara = KMedoids(3, method="clara", random_state=0).fit(X)
    again = KMedoids(3, method="clara", random_state=0).fit(X)
    np.testing.assert_array_equal(clara.medoid_indices_, again.medoid_indices_)
    assert clara.inertia_ <= full.inertia_ * 1.05
    assert adjusted_rand_score(kind, clara.labels_) > 0.8
    np.testing.assert_array_equal(clara.predict(X), clara.labels_)
    # With explicit medoids, the first sample holds them.
    start = full.medoid_indices_
    seeded = KMedoids(3, method="clara", init=start, n_subsamples=1, random_state=0).fit(X)
    assert seeded.inertia_ <= full.inertia_ + 1e-9
    D = gower_distances(X.iloc[:500])
    pre = KMedoids(3, metric="precomputed", method="clara", random_state=0).fit(D)
    assert pre.cluster_centers_ is None and pre.labels_.shape == (500,)


def test_ties_do_not_swap_forever():
    # Rounded data: many equal Gower distances whose sums round differently in different
    # orders; swaps "improving" by 1.8e-15 once cycled until max_iter.
    rng = np.random.RandomState(0)
    X = rng.normal(loc=100, size=(100, 2))
    X = np.round(X - X.min())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        km = KMedoids(3, method="clara", init="k-medoids++", random_state=0).fit(X)
    assert km.n_iter_ < 10


def test_same_result_on_one_or_two_threads():
    code = (
        "import numpy as np\n"
        "from scipy.spatial.distance import cdist\n"
        "from segwise.cluster import KMedoids\n"
        "X = np.random.default_rng(0).normal(size=(1500, 4))\n"
        "D = cdist(X, X)\n"
        "for method in ('fasterpam', 'pam', 'clara'):\n"
        "    km = KMedoids(6, metric='precomputed', method=method, random_state=0).fit(D)\n"
        "    print(method, km.medoid_indices_.tolist(), repr(km.inertia_))\n"
        "km = KMedoids(4, method='clara', random_state=0).fit(X)\n"
        "print(km.medoid_indices_.tolist(), repr(km.inertia_))\n"
    )
    one, two = outputs_on_threads(code)
    assert one == two


def test_work_is_done_in_bounded_steps(monkeypatch):
    monkeypatch.setattr(kmedoids_module, "PAIRS_PER_CALL", 5000)
    calls = []
    for name in ("kmedoids_build_candidates", "kmedoids_pam_best_swap"):
        real = getattr(_core, name)

        def spy(d, medoids, *, start, stop, _real=real):
            calls.append((stop - start) * d.shape[0])
            return _real(d, medoids, start=start, stop=stop)

        monkeypatch.setattr(_core, name, spy)
    D = euclidean_matrix(400, 8)
    chunked = KMedoids(4, metric="precomputed", method="pam").fit(D)
    assert calls and max(calls) <= 5000
    monkeypatch.undo()
    whole = KMedoids(4, metric="precomputed", method="pam").fit(D)
    np.testing.assert_array_equal(chunked.medoid_indices_, whole.medoid_indices_)


# --------------------------------------------------------------------------- bad input


def test_too_many_clusters():
    X = np.array([[0.0], [0.0], [1.0], [1.0], [2.0]])
    with pytest.raises(NotEnoughSamplesError, match="n_samples=5 should be >= n_clusters=6"):
        KMedoids(6, metric="euclidean").fit(X)
    with pytest.raises(NotEnoughSamplesError, match="only 3 distinct row"):
        KMedoids(4, metric="euclidean").fit(X)
    with pytest.raises(NotEnoughSamplesError, match="only 3 distinct row"):
        KMedoids(4).fit(pd.DataFrame({"x": X[:, 0], "c": ["a", "a", "b", "b", "c"]}))
    with pytest.raises(NotEnoughSamplesError, match="only 3 distinct row"):
        KMedoids(4, metric="precomputed").fit(cdist(X, X))
    assert KMedoids(3, metric="euclidean").fit(X).inertia_ == 0.0


def test_unseen_levels_at_predict():
    X, _ = customers(200)
    km = KMedoids(3).fit(X)
    new = X.iloc[:3].assign(channel=["web", "fax", "shop"])
    with pytest.raises(UnknownCategoryError, match="column 'channel'.*1 row.*'fax'"):
        km.predict(new)
    lenient = KMedoids(3, unknown="mismatch").fit(X)
    labels = lenient.predict(new)
    assert labels.shape == (3,)
    # The unseen level is at distance 1 from every medoid's level, on that column only.
    d = lenient.transform(new).to_numpy()
    as_mismatch = lenient.transform(X.iloc[:3].assign(channel=["web", "none", "shop"]))
    np.testing.assert_allclose(d, as_mismatch.to_numpy(), atol=0)
    # Missing values in new rows are skipped, even a column missing in every new row.
    one = X.iloc[:1].assign(spend=np.nan, region=pd.array([None], dtype="str"))
    assert km.predict(one).shape == (1,)


def test_bad_matrices_and_parameters():
    D = euclidean_matrix(20, 9)
    asym = D.copy()
    asym[3, 5] += 0.5
    with pytest.raises(InvalidParameterError, match=r"symmetric.*d\[3\]\[5\]"):
        KMedoids(2, metric="precomputed").fit(asym)
    with pytest.raises(ShapeMismatchError, match="square"):
        KMedoids(2, metric="precomputed").fit(D[:10])
    neg = D.copy()
    neg[1, 2] = neg[2, 1] = -1
    with pytest.raises(NonFiniteError, match="2 negative"):
        KMedoids(2, metric="precomputed").fit(neg)
    with pytest.raises(InvalidParameterError, match="diagonal"):
        KMedoids(2, metric="precomputed").fit(D + np.eye(20))
    for init, error, words in [
        ([0, 1, 2], ShapeMismatchError, "init has 3 medoid"),
        ([0, 0], InvalidParameterError, "distinct"),
        ([0, 20], InvalidParameterError, r"in 0\.\.19"),
        ([0.5, 1.5], InvalidParameterError, "integer row indices"),
    ]:
        with pytest.raises(error, match=words):
            KMedoids(2, metric="precomputed", init=init).fit(D)
    with pytest.raises(InvalidParameterError, match="KMedoids: method must be one of"):
        KMedoids(2, method="clarans").fit(D)
    fitted = KMedoids(2, metric="precomputed").fit(D)
    with pytest.raises(ShapeMismatchError, match="distances from each new sample to the 20"):
        fitted.predict(D[:, :5])
    with pytest.raises(NotFittedError):
        KMedoids(2).predict(D)
    with pytest.raises(NonNumericError, match=r"\['channel', 'region'\].*metric='gower'"):
        KMedoids(2, metric="euclidean").fit(customers(20)[0])


def test_pairs_with_no_column_in_common_are_at_distance_one():
    X = pd.DataFrame(
        {
            "a": [1.0, np.nan, 2.0, 3.0, 2.5],
            "b": pd.array([None, "x", "y", "z", "y"], dtype="str"),
        }
    )
    expected = gower_distances(X)
    assert np.isnan(expected[0, 1]) and np.isnan(expected).sum() == 2
    expected[np.isnan(expected)] = 1.0
    km = KMedoids(5).fit(X)  # every row a medoid: transform gives every distance
    got = km.transform(X).to_numpy()[:, np.argsort(km.medoid_indices_)]
    np.testing.assert_array_equal(got, expected)


def test_max_iter_warns_and_memory_is_bounded(monkeypatch):
    D = euclidean_matrix(300, 10)
    with pytest.warns(ConvergenceWarning, match="max_iter=1 passes"):
        KMedoids(6, metric="precomputed", init="random", random_state=0, max_iter=1).fit(D)
    monkeypatch.setattr("segwise._distance.default_max_bytes", lambda: 100_000)
    X, _ = customers(200)
    with pytest.raises(AllocationError, match=r"200 x 200 float64.*method='clara'"):
        KMedoids(3).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert KMedoids(3, method="clara", random_state=0).fit(X).labels_.shape == (200,)


def test_inputs_are_not_modified():
    X, _ = customers(150)
    before = X.copy()
    D = gower_distances(X)
    D_before = D.copy()
    KMedoids(3).fit(X).predict(X)
    KMedoids(3, metric="precomputed", method="clara", random_state=0).fit(D)
    pd.testing.assert_frame_equal(X, before)
    np.testing.assert_array_equal(D, D_before)


@pytest.mark.slow
def test_clara_on_a_large_mixed_table():
    X, kind = customers(200_000, seed=11)
    km = KMedoids(3, method="clara", random_state=0).fit(X)
    assert adjusted_rand_score(kind, km.labels_) > 0.8


def test_blobs_through_every_method():
    X, y = blobs(n=400, d=3, k=4, seed=2)
    for method in ("fasterpam", "pam", "clara"):
        km = KMedoids(4, metric="euclidean", method=method, random_state=0).fit(X)
        assert adjusted_rand_score(y, km.labels_) > 0.95


def test_core_parameters_are_checked_and_named():
    d = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(InvalidParameterError, match="`max_iter`: must be >= 1, got 0"):
        _core.kmedoids_fasterpam_steps(d, [0], progress=(0, 0, 0, 0), max_iter=0, budget=10)
    # The distance kernels fill a float64 or float32 buffer, and nothing else.
    for dtype in (np.float64, np.float32):
        out = np.full((2, 2), -1.0, dtype=dtype)
        _core.euclidean_fill(d, d, out=out)
        np.testing.assert_array_equal(out, cdist(d, d).astype(dtype))
    with pytest.raises(TypeError):
        _core.euclidean_fill(d, d, out=np.zeros((2, 2), dtype=np.int64))
