"""KMeans on scipy sparse input (issue 13): never densified, equal to scikit-learn's sparse
k-means from the same initial centres and to segwise's own fit of the dense copy.

Oracles: ``sklearn.cluster.KMeans(algorithm="lloyd")`` on the same CSR matrix with the same
``init`` array (labels equal, centres and inertia within 1e-9 relative); the sparse cases
of scikit-learn's ``sklearn/cluster/tests/test_k_means.py`` (toy results computed by hand,
relocation of empty clusters, dense/sparse equivalence, predict on the other format),
rewritten for segwise.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")
skc = pytest.importorskip("sklearn.cluster")

from segwise.cluster import KMeans  # noqa: E402
from segwise.exceptions import (  # noqa: E402
    EmptyInputError,
    NonFiniteError,
    NotEnoughSamplesError,
    ShapeMismatchError,
)

FORMATS = ["csr", "csc", "coo", "csr_array"]


def as_format(X, fmt):
    return sp.csr_array(X) if fmt == "csr_array" else X.asformat(fmt)


@pytest.fixture(scope="module")
def basket():
    """A basket-like CSR matrix: 2,000 customers x 120 products, ~4 % filled, four groups
    of customers buying mostly from their own quarter of the products, some empty rows."""
    rng = np.random.default_rng(13)
    n, d = 2_000, 120
    group = rng.integers(0, 4, n)
    own = (np.arange(d)[None, :] % 4) == group[:, None]
    p = np.where(own, 0.12, 0.01)
    mask = rng.random((n, d)) < p
    mask[::97] = False  # customers who bought nothing
    values = np.where(mask, rng.integers(1, 6, (n, d)).astype(float), 0.0)
    return sp.csr_matrix(values)


@pytest.fixture(scope="module")
def init_centers(basket):
    """Six rows of the matrix as initial centres (the same start for both libraries)."""
    return basket[[3, 250, 700, 1100, 1500, 1900]].toarray()


def assert_same_fit(ours, ref, rtol=1e-9):
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=rtol, atol=1e-12)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=rtol)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_fit_equals_scikit_learn_from_the_same_start(basket, init_centers, fmt, weighted):
    X = as_format(basket, fmt)
    before = X.copy()
    w = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0]) if weighted else None
    kw = {"n_clusters": 6, "init": init_centers, "n_init": 1}
    ours = KMeans(**kw).fit(X, sample_weight=w)
    ref = skc.KMeans(algorithm="lloyd", **kw).fit(X, sample_weight=w)
    assert_same_fit(ours, ref)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.n_features_in_ == 120 and not hasattr(ours, "feature_names_in_")
    # predict, transform and score on the sparse matrix, as scikit-learn
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    dist = ours.transform(X)
    assert isinstance(dist, np.ndarray) and dist.shape == (2_000, 6)
    np.testing.assert_allclose(dist, ref.transform(X), rtol=1e-9, atol=1e-9)
    assert ours.score(X, sample_weight=w) == pytest.approx(ref.score(X, sample_weight=w), 1e-9)
    # the caller's matrix is untouched
    assert (X != before).nnz == 0


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_fit_equals_the_fit_of_the_dense_copy(basket, init, weighted):
    # Same random_state, same initial rows (k-means++ on the sparse rows draws the rows the
    # dense seeding draws), same Lloyd iterations: the same clustering.
    w = np.random.default_rng(2).uniform(0.2, 3.0, basket.shape[0]) if weighted else None
    kw = {"n_clusters": 5, "init": init, "n_init": 3, "random_state": 7}
    sparse = KMeans(**kw).fit(basket, sample_weight=w)
    dense = KMeans(algorithm="lloyd", **kw).fit(basket.toarray(), sample_weight=w)
    assert_same_fit(sparse, dense)
    assert sparse.n_iter_ == dense.n_iter_


def test_sparse_float32_keeps_its_dtype_and_agrees_with_float64(basket, init_centers):
    X32 = basket.astype(np.float32)
    ours = KMeans(n_clusters=6, init=init_centers.astype(np.float32), n_init=1).fit(X32)
    assert ours.cluster_centers_.dtype == np.float32
    assert ours.transform(X32).dtype == np.float32
    ref = skc.KMeans(n_clusters=6, init=init_centers, n_init=1, algorithm="lloyd").fit(basket)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-6, atol=1e-7)
    # float64 data predicted with float32 centres (and the other way round) works
    np.testing.assert_array_equal(ours.predict(basket), ours.labels_)


@pytest.mark.parametrize("fmt", ["csr", "csr_array"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_toy_results_by_hand(fmt, dtype):
    # scikit-learn's test_kmeans_results: weights 3, 1, 1, 3 pull the centres outwards.
    X = as_format(sp.csr_matrix(np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]], dtype=dtype)), fmt)
    km = KMeans(n_clusters=2, n_init=1, init=np.array([[0, 0], [1, 1]], dtype=dtype))
    km.fit(X, sample_weight=[3, 1, 1, 3])
    np.testing.assert_array_equal(km.labels_, [0, 0, 1, 1])
    assert km.inertia_ == pytest.approx(0.375)
    np.testing.assert_allclose(km.cluster_centers_, [[0.125, 0], [0.875, 1]], rtol=1e-6)
    assert km.n_iter_ == 2


def test_sparse_empty_cluster_is_relocated_as_scikit_learn():
    # scikit-learn's test_kmeans_relocated_clusters: the far centre is empty at first and
    # takes the point farthest from its centre. Rows 0 and 3 are equally far: segwise takes
    # the lower row (as its dense path), scikit-learn's argpartition the other one, so the
    # two labelings are the same partition with the labels swapped (scikit-learn's own
    # test accepts both).
    X = sp.csr_matrix(np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]]))
    init = np.array([[0.5, 0.5], [3, 3]])
    ours = KMeans(n_clusters=2, n_init=1, init=init).fit(X)
    ref = skc.KMeans(n_clusters=2, n_init=1, init=init, algorithm="lloyd").fit(X)
    assert ours.inertia_ == pytest.approx(0.25) == ref.inertia_
    assert ours.n_iter_ == 3 == ref.n_iter_
    np.testing.assert_array_equal(ours.labels_, [1, 1, 0, 0])
    np.testing.assert_array_equal(ref.labels_, [0, 0, 1, 1])
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_[::-1], rtol=1e-12)
    dense = KMeans(n_clusters=2, n_init=1, init=init).fit(X.toarray())
    assert_same_fit(ours, dense)


@pytest.mark.parametrize("init", ["random", "k-means++", "array"])
def test_sparse_and_dense_predict_each_other(basket, init):
    # scikit-learn's test_predict_dense_sparse: a model fitted on one format predicts the
    # other; fit_predict and fit_transform agree with fit + predict / transform.
    start = basket[[0, 1, 2, 3]].toarray() if init == "array" else init
    n_init = 1 if init == "array" else 4
    km = KMeans(n_clusters=4, init=start, n_init=n_init, random_state=0)
    dense = basket.toarray()
    km.fit(basket)
    np.testing.assert_array_equal(km.predict(dense), km.labels_)
    np.testing.assert_array_equal(km.fit_predict(basket), km.labels_)
    np.testing.assert_allclose(km.fit_transform(basket), km.transform(dense), rtol=1e-9)
    km.fit(dense)
    np.testing.assert_array_equal(km.predict(basket), km.labels_)


def test_sparse_callable_init_receives_the_csr_matrix(basket):
    seen = []

    def first_rows(X, n_clusters, random_state):
        seen.append(X.format)
        return X[:n_clusters].toarray()

    km = KMeans(n_clusters=3, init=first_rows, n_init=2).fit(basket.tocsc())
    ref = skc.KMeans(n_clusters=3, init=basket[:3].toarray(), n_init=1).fit(basket)
    assert seen == ["csr", "csr"]
    assert_same_fit(km, ref)


def test_sparse_empty_rows_and_columns_are_valid_data():
    # all-zero rows and columns: the zero row belongs to the centre with the smallest norm
    X = sp.csr_matrix(np.array([[0.0, 0, 0], [5, 0, 0], [6, 0, 0], [0, 0, 0], [0, 0, 1]]))
    init = np.array([[5.5, 0, 0], [0, 0, 0.5]])
    ours = KMeans(n_clusters=2, init=init, n_init=1).fit(X)
    ref = skc.KMeans(n_clusters=2, init=init, n_init=1, algorithm="lloyd").fit(X)
    assert_same_fit(ours, ref)
    np.testing.assert_array_equal(ours.labels_, [1, 0, 0, 1, 1])


def test_sparse_bad_input_is_a_clear_error(basket):
    bad = basket.copy()
    bad.data[10] = np.nan
    column = bad.indices[10]
    with pytest.raises(NonFiniteError, match=f"x{column}"):
        KMeans(n_clusters=2).fit(bad)
    bad.data[10] = np.inf
    with pytest.raises(NonFiniteError, match="NaN or infinity"):
        KMeans(n_clusters=2).fit(bad)
    fitted = KMeans(n_clusters=2, random_state=0).fit(basket)
    with pytest.raises(NonFiniteError):
        fitted.predict(bad)
    with pytest.raises(NotEnoughSamplesError, match="n_samples=3 should be >= n_clusters=4"):
        KMeans(n_clusters=4).fit(basket[:3])
    with pytest.raises(EmptyInputError, match="shape"):
        KMeans(n_clusters=1).fit(sp.csr_matrix((0, 5)))
    with pytest.raises(EmptyInputError, match="shape"):
        KMeans(n_clusters=1).fit(sp.csr_matrix((5, 0)))
    with pytest.raises(ShapeMismatchError, match="120 features"):
        fitted.predict(basket[:, :10])
    with pytest.raises(ShapeMismatchError):
        KMeans(n_clusters=2, init=np.zeros((2, 5)), n_init=1).fit(basket)
    with pytest.raises(ValueError, match="sample_weight"):
        KMeans(n_clusters=2).fit(basket, sample_weight=np.ones(5))


def test_sparse_indices_beyond_int32_and_huge_widths_are_refused_before_allocating():
    from segwise.cluster import MiniBatchKMeans
    from segwise.exceptions import AllocationError

    # 2**31 + 10 columns (int64 indices): the dense centres alone would be 17 GiB per
    # cluster pair; refused with the size, before any work
    wide = sp.csr_matrix(
        (np.ones(3), np.array([0, 2**31 + 5, 7], dtype=np.int64), np.array([0, 1, 2, 3])),
        shape=(3, 2**31 + 10),
    )
    assert wide.indices.dtype == np.int64
    for est in (KMeans(n_clusters=2), MiniBatchKMeans(n_clusters=2)):
        with pytest.raises(AllocationError, match=r"n_features=2,147,483,658 .* GiB"):
            est.fit(wide)
    # int64 indices within range are fine (and equal to the int32 result)
    X = sp.csr_matrix(np.array([[1.0, 0, 0], [0, 0, 2], [1, 0, 0], [0, 0, 3]]))
    X64 = X.copy()
    X64.indices = X64.indices.astype(np.int64)
    X64.indptr = X64.indptr.astype(np.int64)
    init = np.array([[1.0, 0, 0], [0, 0, 2]])
    a = KMeans(n_clusters=2, init=init, n_init=1).fit(X)
    b = KMeans(n_clusters=2, init=init, n_init=1).fit(X64)
    assert_same_fit(a, b, rtol=0)


def test_sparse_unsorted_and_duplicate_indices_are_summed_on_a_copy():
    # row 0 holds column 1 twice (1 + 2) and its columns out of order
    X = sp.csr_matrix(
        (np.array([3.0, 1.0, 2.0, 4.0]), np.array([1, 0, 1, 0]), np.array([0, 3, 4])),
        shape=(2, 2),
    )
    X.has_sorted_indices = False
    data_before, indices_before = X.data.copy(), X.indices.copy()
    km = KMeans(n_clusters=2, init=np.array([[0.0, 5.0], [4.0, 0.0]]), n_init=1).fit(X)
    np.testing.assert_allclose(km.cluster_centers_, [[1.0, 5.0], [4.0, 0.0]])
    np.testing.assert_array_equal(X.data, data_before)
    np.testing.assert_array_equal(X.indices, indices_before)


def test_sparse_integer_values_become_float64():
    X = sp.csr_matrix(np.array([[0, 0], [10, 10], [12, 9], [-1, 1], [2, 0], [8, 10]]))
    km = KMeans(n_clusters=2, init=np.array([[0.0, 0.0], [10.0, 10.0]]), n_init=1).fit(X)
    assert km.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(km.labels_, [0, 1, 1, 0, 0, 1])


def test_sparse_set_output_pandas_gives_a_frame_without_index(basket):
    km = KMeans(n_clusters=3, random_state=0).set_output(transform="pandas").fit(basket)
    out = km.transform(basket)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert len(out) == basket.shape[0]


def test_sparse_kmeans_same_on_one_or_two_threads():
    from conftest import outputs_on_threads

    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from segwise.cluster import KMeans\n"
        "X = sp.random(30000, 80, density=0.05, format='csr', random_state=0)\n"
        "km = KMeans(n_clusters=7, n_init=2, random_state=3).fit(X)\n"
        "print(repr(km.cluster_centers_.tobytes()), km.inertia_, km.labels_.sum())\n"
        "print(repr(km.transform(X).tobytes()[:4000]))\n"
    )
    one, two = outputs_on_threads(code)
    assert one == two and one


# --------------------------------------------------------------------------- MiniBatchKMeans


def test_sparse_minibatch_partial_fit_equals_scikit_learn(basket, init_centers):
    # Without random reassignment the mini-batch update is deterministic: the same batches
    # from the same initial centres give scikit-learn's centres and labels.
    from segwise.cluster import MiniBatchKMeans

    w = np.random.default_rng(5).uniform(0.5, 2.0, basket.shape[0])
    kw = {"n_clusters": 6, "init": init_centers, "n_init": 1, "reassignment_ratio": 0.0}
    ours, ref = MiniBatchKMeans(**kw), skc.MiniBatchKMeans(**kw)
    for lo in range(0, 2_000, 400):
        batch, bw = basket[lo : lo + 400], w[lo : lo + 400]
        ours.partial_fit(batch, sample_weight=bw)
        ref.partial_fit(batch, sample_weight=bw)
        np.testing.assert_allclose(
            ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-12
        )
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
    np.testing.assert_array_equal(ours.predict(basket), ref.predict(basket))


@pytest.mark.parametrize("init", ["k-means++", "random", "array"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_minibatch_fit_equals_the_fit_of_the_dense_copy(
    basket, init_centers, init, weighted
):
    # Same random streams: the same validation sample, seeds and batches as the dense fit.
    from segwise.cluster import MiniBatchKMeans

    w = np.random.default_rng(6).uniform(0.2, 3.0, basket.shape[0]) if weighted else None
    start = init_centers if init == "array" else init
    kw = {"n_clusters": 6, "init": start, "batch_size": 256, "random_state": 3, "max_iter": 5}
    sparse = MiniBatchKMeans(**kw).fit(basket, sample_weight=w)
    dense = MiniBatchKMeans(**kw).fit(basket.toarray(), sample_weight=w)
    assert sparse.n_steps_ == dense.n_steps_
    np.testing.assert_array_equal(sparse.labels_, dense.labels_)
    np.testing.assert_allclose(
        sparse.cluster_centers_, dense.cluster_centers_, rtol=1e-9, atol=1e-12
    )
    assert sparse.inertia_ == pytest.approx(dense.inertia_, rel=1e-9)


def test_sparse_minibatch_float32_bad_input_and_untouched_data(basket):
    from segwise.cluster import MiniBatchKMeans

    X32 = basket.astype(np.float32).tocsc()
    before = X32.copy()
    mbk = MiniBatchKMeans(n_clusters=4, random_state=0, batch_size=128).fit(X32)
    assert mbk.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(mbk.predict(X32), mbk.labels_)
    assert (X32 != before).nnz == 0
    mbk.partial_fit(X32[:100])  # float32 centres, float32 batch
    mbk.partial_fit(basket[:100])  # float64 batch against float32 centres
    bad = basket.copy()
    bad.data[4] = np.nan
    with pytest.raises(NonFiniteError, match=f"x{bad.indices[4]}"):
        MiniBatchKMeans(n_clusters=2).fit(bad)
    with pytest.raises(NonFiniteError):
        mbk.partial_fit(bad)
    with pytest.raises(NotEnoughSamplesError):
        MiniBatchKMeans(n_clusters=5).fit(basket[:4])
    with pytest.raises(ShapeMismatchError, match="120 features"):
        mbk.partial_fit(basket[:, :7])


def test_sparse_minibatch_same_on_one_or_two_threads():
    from conftest import outputs_on_threads

    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from segwise.cluster import MiniBatchKMeans\n"
        "X = sp.random(30000, 80, density=0.05, format='csr', random_state=0)\n"
        "m = MiniBatchKMeans(n_clusters=7, n_init=2, random_state=3).fit(X)\n"
        "print(repr(m.cluster_centers_.tobytes()), m.inertia_, m.labels_.sum())\n"
    )
    one, two = outputs_on_threads(code)
    assert one == two and one
