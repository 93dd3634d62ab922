"""segwise.stability: choose_k, gap_statistic, prediction_strength.

Oracles: R cluster::clusGap / maxSE and fpc::prediction.strength re-implemented here in
numpy + scikit-learn KMeans from the same reference sets, splits and initial centres;
scikit-learn's adjusted_rand_score and silhouette_score; kneed's KneeLocator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import outputs_on_threads
from hypothesis import given, settings
from hypothesis import strategies as hs
from segwise import _core
from segwise.exceptions import InvalidParameterError, NonFiniteError, NotEnoughSamplesError
from segwise.stability import choose_k, gap_statistic, prediction_strength
from segwise.stability._choose_k import (
    _gap_statistic,
    _kneedle,
    _max_se,
    _prediction_strength,
)
from sklearn.cluster import KMeans as SkKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score


def axis_blobs(n_per: int = 60, centres: int = 4, d: int = 3, sd: float = 0.5, seed: int = 0):
    """Blobs at 8 x the unit vectors (and the origin), rows in blob order: the tests read
    the true labels off the row order and rely on the fixed geometry (the knee at k=4)."""
    rng = np.random.default_rng(seed)
    centre = 8.0 * np.eye(max(centres, d))[:centres, :d]
    return np.vstack([rng.normal(c, sd, (n_per, d)) for c in centre])


# --------------------------------------------------------------------------- maxSE


# Each case traced by hand through cluster::maxSE's R code (k indices start at 1).
MAXSE_CASES = [
    # f, SE.f, SE.factor, {method: k}
    (
        [0.1, 0.5, 0.45, 0.7, 0.6],
        [0.05, 0.1, 0.1, 0.05, 0.1],
        1.0,
        {"firstmax": 2, "globalmax": 4, "Tibs2001SEmax": 2, "firstSEmax": 2, "globalSEmax": 4},
    ),
    (
        [0.1, 0.5, 0.45, 0.7, 0.6],
        [0.05, 0.1, 0.1, 0.05, 0.1],
        5.0,  # globalSEmax: 0.7 - 0.25 = 0.45 -> first of (F, T, T) is k = 2
        {"globalSEmax": 2, "firstSEmax": 1, "Tibs2001SEmax": 1},
    ),
    ([1.0, 2.0, 3.0], [0.1, 0.1, 0.1], 1.0, {"firstmax": 3, "Tibs2001SEmax": 3, "firstSEmax": 3}),
    ([1.0, 2.0, 3.0], [0.0, 0.0, 1.5], 1.0, {"firstSEmax": 2, "Tibs2001SEmax": 2}),
    (
        [0.2, 0.55, 0.6, 0.5],
        [0.1, 0.1, 0.1, 0.1],
        1.0,
        {"firstmax": 3, "globalmax": 3, "firstSEmax": 2, "Tibs2001SEmax": 2, "globalSEmax": 2},
    ),
    ([1.0, 1.0, 2.0], [0.0, 0.0, 0.0], 1.0, {"firstmax": 1, "firstSEmax": 1, "globalmax": 3}),
]


@pytest.mark.parametrize("f,se,factor,expected", MAXSE_CASES)
def test_max_se_rules_match_r(f, se, factor, expected):
    for method, k in expected.items():
        assert _max_se(np.array(f), np.array(se), method, factor) == k, method


# --------------------------------------------------------------------------- W_k


def numpy_w(X, labels, d_power):
    total = 0.0
    for c in np.unique(labels):
        xs = X[labels == c]
        d = np.sqrt(((xs[:, None, :] - xs[None, :, :]) ** 2).sum(-1))
        iu = np.triu_indices(len(xs), 1)
        total += (d[iu] ** d_power).sum() / len(xs)
    return 0.5 * total


@pytest.mark.parametrize("d_power", [1.0, 2.0, 1.5])
def test_within_dispersion_matches_numpy(d_power):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(700, 4))  # > one 128-row block in the biggest cluster
    labels = rng.integers(0, 3, 700).astype(np.int32)
    got = _core.choose_k_within_dispersion(X, labels, k=3, d_power=d_power)
    np.testing.assert_allclose(got, numpy_w(X, labels, d_power), rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    seed=hs.integers(0, 2**32 - 1),
    n=hs.integers(2, 60),
    k=hs.integers(1, 5),
    d_power=hs.sampled_from([1.0, 2.0, 0.5]),
)
def test_within_dispersion_invariant_to_row_order_and_label_names(seed, n, k, d_power):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    labels = rng.integers(0, k, n).astype(np.int32)
    perm = rng.permutation(n)
    names = rng.permutation(k).astype(np.int32)
    a = _core.choose_k_within_dispersion(X, labels, k=k, d_power=d_power)
    b = _core.choose_k_within_dispersion(
        np.ascontiguousarray(X[perm]), names[labels[perm]], k=k, d_power=d_power
    )
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a, numpy_w(X, labels, d_power), rtol=1e-10, atol=1e-12)


def test_within_dispersion_d2_is_half_inertia():
    X = axis_blobs()
    km = SkKMeans(4, n_init=3, random_state=0).fit(X)
    got = _core.choose_k_within_dispersion(X, km.labels_.astype(np.int32), k=4, d_power=2.0)
    np.testing.assert_allclose(got, km.inertia_ / 2, rtol=1e-9)


# --------------------------------------------------------------------------- gap


def reference_box(X, space):
    centre = X.mean(axis=0)
    xs = X - centre
    if space == "scaledPCA":
        v = np.linalg.svd(xs, full_matrices=False)[2].T
        rot = xs @ v
        return centre, rot.min(0), rot.max(0), np.ascontiguousarray(v)
    return centre, xs.min(0), xs.max(0), None


def sk_log_w(Z, k, d_power):
    if k == 1:
        labels = np.zeros(len(Z), dtype=int)
    else:
        labels = SkKMeans(k, init=Z[:k], n_init=1, tol=1e-4).fit(Z).labels_
    return np.log(numpy_w(Z, labels, d_power))


@pytest.mark.parametrize("space,d_power", [("scaledPCA", 2.0), ("original", 1.0)])
def test_gap_matches_python_reference(space, d_power):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(c, 0.6, (40, 3)) for c in ([0, 0, 0], [4, 1, 0], [0, 4, 2])])
    rng.shuffle(X)
    k_max, B, seed = 4, 6, 11
    # k-means seeded with the first k rows, as the oracle below (a private entry point:
    # the public function always uses k-means++).
    res = _gap_statistic(
        X,
        k_max,
        n_refs=B,
        space=space,
        d_power=d_power,
        method="firstSEmax",
        se_factor=1.0,
        n_init=1,
        seed=seed,
        progress=False,
        start="first_rows",
    )
    centre, lo, hi, rot = reference_box(X, space)
    log_w = np.array([sk_log_w(X, k, d_power) for k in range(1, k_max + 1)])
    ref = np.empty((B, k_max))
    for b in range(B):
        Z = _core._testing.reference_set(
            len(X), centre=centre, lower=lo, upper=hi, rotation=rot, seed=seed, b=b
        )
        inner = (Z - centre) @ rot if rot is not None else Z - centre
        assert (inner >= lo - 1e-9).all() and (inner <= hi + 1e-9).all()
        ref[b] = [sk_log_w(Z, k, d_power) for k in range(1, k_max + 1)]
    e_log_w = ref.mean(0)
    se = np.sqrt((1 + 1 / B) * ref.var(0, ddof=1))
    t = res.table
    np.testing.assert_allclose(t["log_w"], log_w, rtol=1e-9)
    np.testing.assert_allclose(t["e_log_w"], e_log_w, rtol=1e-9)
    np.testing.assert_allclose(t["gap"], e_log_w - log_w, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(t["se_sim"], se, rtol=1e-8)
    assert res.optimal_k == 3


def test_gap_picks_blobs_and_d_power_one_agrees():
    X = axis_blobs(40)
    a = gap_statistic(X, 6, n_refs=10, random_state=0)
    b = gap_statistic(X, 6, n_refs=10, d_power=1.0, random_state=0)
    assert a.optimal_k == b.optimal_k == 4
    assert list(a.table.index) == list(range(1, 7))


# --------------------------------------------------------------------------- prediction strength


def sk_prediction_strength(X, k, perm):
    half = len(X) // 2
    parts = [X[perm[:half]], X[perm[half:]]]
    fits = [SkKMeans(k, init=p[:k], n_init=1, tol=1e-4).fit(p) for p in parts]
    worst = []
    for i in range(2):
        own = fits[i].labels_
        other = fits[1 - i].predict(parts[i])
        scores = []
        for kk in range(k):
            members = own == kk
            nk = members.sum()
            if nk <= 1:
                scores.append(1.0)
                continue
            counts = np.bincount(other[members], minlength=k)
            scores.append(((counts**2).sum() - nk) / (nk * (nk - 1)))
        worst.append(min(scores))
    return min(worst)


def test_prediction_strength_matches_python_reference():
    X = axis_blobs(30, centres=3, sd=1.5, seed=5)
    ks, M, seed = [2, 3, 4, 6], 5, 7
    # first-k-rows seeding as the oracle (private entry point, see the gap test above)
    res = _prediction_strength(
        X, ks, n_splits=M, cutoff=0.8, n_init=1, seed=seed, progress=False, start="first_rows"
    )
    expected = np.empty((M, len(ks)))
    for m in range(M):
        perm = _core._testing.split_permutation(len(X), seed=seed, m=m)
        assert sorted(perm) == list(range(len(X)))
        for j, k in enumerate(ks):
            expected[m, j] = sk_prediction_strength(X, k, perm)
    np.testing.assert_allclose(res.per_split, expected, rtol=1e-12)
    np.testing.assert_allclose(res.table.loc[ks, "mean"], expected.mean(0), rtol=1e-12)
    assert res.table.loc[1, "mean"] == 1.0
    above = [k for k in [1, *ks] if res.table.loc[k, "mean"] > 0.8]
    assert res.optimal_k == max(above)


def test_prediction_strength_chunks_do_not_change_results():
    X = axis_blobs(30)
    a = prediction_strength(X, [2, 4], n_splits=9, random_state=2)
    b = prediction_strength(X, [2, 4], n_splits=4, random_state=2)
    np.testing.assert_array_equal(a.per_split[:4], b.per_split)


# --------------------------------------------------------------------------- bootstrap ARI


def test_bootstrap_ari_matches_sklearn_on_same_partitions():
    X = axis_blobs(30, sd=2.0)
    ks, seed = [2, 3, 5], 4
    ari = _core.choose_k_bootstrap_ari(
        X, ks=ks, r0=0, r1=3, start="first_rows", n_init=1, seed=seed
    )
    for r in range(3):
        ia, ib = _core._testing.bootstrap_indices(len(X), seed=seed, r=r)
        for j, k in enumerate(ks):
            a, b = _core._testing.bootstrap_partitions(
                X, k=k, r=r, start="first_rows", n_init=1, seed=seed
            )
            # the partitions are k-means on each bootstrap sample, predicting every row
            for idx, lab in ((ia, a), (ib, b)):
                sample = X[idx]
                sk = SkKMeans(k, init=sample[:k], n_init=1, tol=1e-4).fit(sample)
                assert adjusted_rand_score(sk.predict(X), lab) == pytest.approx(1.0)
            assert ari[r, j] == pytest.approx(adjusted_rand_score(a, b), rel=1e-12)


# --------------------------------------------------------------------------- knee


KNEE_CURVES = [
    # kneed's documentation example (convex, decreasing)
    (list(range(1, 11)), [7.0, 4.0, 2.5, 2.0, 1.75, 1.6, 1.5, 1.45, 1.4, 1.38]),
    (list(range(0, 10)), [100, 40, 20, 15, 12, 10, 9, 8, 7.5, 7]),
    (list(range(2, 11)), [5109.6, 2106.8, 283.1, 266.8, 245.1, 231.2, 207.2, 197.0, 184.4]),
    (list(range(1, 6)), [5.0, 4.0, 3.0, 2.0, 1.0]),  # a straight line: no knee
]


@pytest.mark.parametrize("x,y", KNEE_CURVES)
def test_kneedle_matches_kneed(x, y):
    import warnings

    import kneed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = kneed.KneeLocator(
            x, y, S=1.0, curve="convex", direction="decreasing", online=False
        ).knee
    got = _kneedle(x, y)
    assert (got is None and ref is None) or got == ref


def test_kneedle_matches_kneed_on_random_convex_curves():
    import warnings

    import kneed

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(4, 15))
        x = np.arange(2, 2 + n)
        y = np.cumsum(np.sort(rng.exponential(size=n))[::-1])[::-1] + rng.normal(0, 0.05, n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = kneed.KneeLocator(x, y, S=1.0, curve="convex", direction="decreasing").knee
        got = _kneedle(x, y)
        assert (got is None and ref is None) or got == ref, (x, y)


# --------------------------------------------------------------------------- choose_k


def test_every_criterion_picks_four_on_blobs():
    X = axis_blobs(80)
    res = choose_k(X, range(2, 9), n_refs=10, n_splits=10, n_boot=10, random_state=0)
    assert res.recommended_k == 4
    assert set(res.picks) == {
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "gap",
        "prediction_strength",
        "bootstrap_ari",
        "knee",
    }
    assert all(k == 4 for k in res.picks.values()), res.picks
    assert res.table.loc[4, "knee"] and res.table["knee"].sum() == 1
    assert "largest k" in res.reason and "prediction strength" in res.reason
    assert list(res.table.index) == list(range(2, 9))
    np.testing.assert_allclose(res.table.loc[4, "min_share"], 0.25)


def test_silhouette_sample_and_scores_match_sklearn():
    X = axis_blobs(50)
    res = choose_k(X, [3, 4], criteria=["silhouette"], silhouette_max_n=120, random_state=3)
    assert any("sample of 120" in n for n in res.notes)
    full = choose_k(X, [4], criteria=["silhouette", "inertia"], random_state=3)
    # k = 4 on these blobs: the fit recovers the blobs, so the labels are the blob index
    truth = np.repeat(np.arange(4), 50)
    idx = np.sort(np.random.default_rng(3).choice(200, size=120, replace=False))
    np.testing.assert_allclose(
        res.table.loc[4, "silhouette"], silhouette_score(X[idx], truth[idx]), rtol=1e-10
    )
    np.testing.assert_allclose(full.table.loc[4, "silhouette"], silhouette_score(X, truth))
    np.testing.assert_allclose(
        full.table.loc[4, "inertia"],
        sum(((X[truth == c] - X[truth == c].mean(0)) ** 2).sum() for c in range(4)),
        rtol=1e-9,
    )


def test_fallback_when_nothing_is_stable():
    X = np.random.default_rng(0).uniform(size=(200, 2))
    res = choose_k(
        X,
        [3, 4, 5],
        n_refs=5,
        n_splits=5,
        n_boot=5,
        ps_cutoff=0.99,
        ari_threshold=0.999,
        random_state=0,
    )
    assert res.reason.startswith("Fallback")
    assert res.recommended_k in (3, 4, 5)


def test_same_result_on_one_and_two_threads():
    code = (
        "import numpy as np; from segwise.stability import choose_k\n"
        "rng = np.random.default_rng(0); X = rng.normal(size=(400, 3))\n"
        "r = choose_k(X, [2, 3, 5], n_refs=6, n_splits=6, n_boot=6, random_state=1)\n"
        "print(r.table.astype(float).to_numpy().tobytes().hex())"
    )
    outs = outputs_on_threads(code)
    assert outs[0] == outs[1] and len(outs[0]) > 100


def test_result_objects_summary_html_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = pd.DataFrame(axis_blobs(30), columns=["a<b", "b", "c"])
    res = choose_k(X, range(2, 7), n_refs=4, n_splits=4, n_boot=4, random_state=0)
    assert res.table["knee"].any()
    text = res.summary()
    assert text.startswith(f"Recommended k = {res.recommended_k}") and "boot ARI" in text
    assert "Higher is better" in text and "lower is better: DB (Davies-Bouldin)" in text
    page = res._repr_html_()
    assert "<table>" in page and "<script" not in page and "&gt;=" in page
    axes = res.plot()
    visible = [a for a in axes.ravel() if a.get_visible()]
    assert len(visible) == 8
    titles = {a.get_title() for a in visible}
    # every panel says which way is better
    assert "silhouette\n(higher is better)" in titles
    assert "Davies-Bouldin\n(lower is better)" in titles
    assert all("\n(" in t for t in titles)
    inertia_ax = next(a for a in visible if a.get_title().startswith("inertia"))
    assert any(line.get_label() == "knee (Kneedle)" for line in inertia_ax.get_lines())
    assert "knee (Kneedle)" in [t.get_text() for t in inertia_ax.get_legend().get_texts()]
    gap = gap_statistic(X, 4, n_refs=4, random_state=0)
    ax = gap.plot()
    assert len(ax.get_lines()) >= 2 and "Gap statistic" in gap.summary()
    ps = prediction_strength(X, [2, 3], n_splits=3, random_state=0)
    assert ps.plot().get_ylabel() == "prediction strength"
    assert "Prediction strength" in ps._repr_html_()
    plt.close("all")


def test_plot_titles_do_not_overlap():
    """Each panel title is drawn where it fits: inside its own column (not wider than its
    axes), inside the figure, clear of every other title and of every other panel (its tick
    labels and axis label included). Measured on the rendered figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = pd.DataFrame(axis_blobs(30), columns=["a", "b", "c"])
    res = choose_k(X, range(2, 7), n_refs=4, n_splits=4, n_boot=4, random_state=0)
    axes = [a for a in res.plot().ravel() if a.get_visible()]
    assert len(axes) == 8
    fig = axes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    titles = [a.title.get_window_extent(renderer) for a in axes]
    for a, box in zip(axes, titles, strict=True):
        frame = a.get_window_extent(renderer)
        label = a.get_title().replace("\n", " ")
        assert box.width <= frame.width, f"title {label!r} is wider than its panel"
        assert page.x0 <= box.x0 and box.x1 <= page.x1, f"title {label!r} leaves the figure"
        assert page.y0 <= box.y0 and box.y1 <= page.y1, f"title {label!r} leaves the figure"
    for i, box in enumerate(titles):
        for j, other in enumerate(titles):
            if i < j:
                assert not box.overlaps(other), (axes[i].get_title(), axes[j].get_title())
        for j, a in enumerate(axes):
            if i != j:
                # the other panel with its ticks and labels, but without its own title
                a.title.set_visible(False)
                body = a.get_tightbbox(renderer)
                a.title.set_visible(True)
                assert not box.overlaps(body), (axes[i].get_title(), f"panel {j}")
    plt.close("all")


# --------------------------------------------------------------------------- bad input


def test_bad_k_range():
    X = axis_blobs(10)
    n = len(X)
    with pytest.raises(InvalidParameterError, match="k=1"):
        choose_k(X, [1, 2])
    with pytest.raises(InvalidParameterError, match=f"k={n}.*n_samples={n}"):
        choose_k(X, [2, n])
    with pytest.raises(InvalidParameterError, match="k=30.*half"):
        prediction_strength(X, [30])
    with pytest.raises(InvalidParameterError, match="k_max=1"):
        gap_statistic(X, 1)
    with pytest.raises(InvalidParameterError, match="empty"):
        choose_k(X, [])


def test_bad_counts_and_options():
    X = axis_blobs(10)
    for name in ("n_refs", "n_splits", "n_boot"):
        with pytest.raises(InvalidParameterError, match=name):
            choose_k(X, [2, 3], **{name: 0})
    with pytest.raises(InvalidParameterError, match="n_refs"):
        gap_statistic(X, 3, n_refs=0)
    with pytest.raises(InvalidParameterError, match="n_splits"):
        prediction_strength(X, [2], n_splits=0)
    with pytest.raises(InvalidParameterError, match="criteria"):
        choose_k(X, [2], criteria=["elbow"])
    with pytest.raises(InvalidParameterError, match="method"):
        gap_statistic(X, 3, method="best")
    with pytest.raises(InvalidParameterError, match="space"):
        gap_statistic(X, 3, space="pca")


def test_identical_points_and_nan():
    with pytest.raises(NotEnoughSamplesError, match="identical"):
        choose_k(np.ones((20, 2)), [2, 3])
    with pytest.raises(NotEnoughSamplesError, match="identical"):
        gap_statistic(np.ones((20, 2)), 3)
    df = pd.DataFrame(axis_blobs(10), columns=["recency", "spend", "freq"])
    df.loc[3, "spend"] = np.nan
    with pytest.raises(NonFiniteError, match="spend"):
        choose_k(df, [2, 3])
    with pytest.raises(NonFiniteError, match="spend"):
        prediction_strength(df, [2])


@pytest.mark.slow
def test_choose_k_larger_data_picks_blobs():
    X = axis_blobs(2_500, centres=5, d=6, sd=1.0)
    res = choose_k(X, range(2, 9), random_state=0, silhouette_max_n=5_000)
    assert res.recommended_k == 5
    assert any("sample of 5000" in n for n in res.notes)
