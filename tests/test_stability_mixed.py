"""choose_k, bootstrap_stability, prediction_strength and align_labels with any clusterer:
KPrototypes and KMedoids (Gower) on a mixed table, KMedoids (Euclidean) and scikit-learn
clusterers on numeric ones.

Oracles: Tibshirani & Walther's prediction strength counted pair by pair; scikit-learn's
silhouette_score(metric="precomputed") on the square root of the k-prototypes cost built
pair by pair; scikit-learn's adjusted_rand_score; the known groups of the test tables;
Python loops refitting the clusterer on the same resamples and splits.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import mixed_customers, outputs_on_threads, reference_max_jaccard
from segwise import _core
from segwise.cluster import KMedoids, KModes, KPrototypes
from segwise.exceptions import InvalidParameterError
from segwise.metrics import gower_distances
from segwise.stability import (
    align_labels,
    bootstrap_stability,
    choose_k,
    prediction_strength,
)
from segwise.stability._refit import (
    mixed_embedding,
    refit,
    seed_of,
    stream,
    strength,
    take_rows,
)
from sklearn.cluster import AgglomerativeClustering
from sklearn.cluster import KMeans as SkKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score


def _table(n: int = 300, k: int = 3, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    df = mixed_customers(n, k, seed=seed)
    return df.drop(columns="group"), df["group"].to_numpy()


def _brute_strength(own: np.ndarray, predicted: np.ndarray) -> float:
    """Prediction strength by its definition: for each own cluster, the share of its pairs
    that ``predicted`` also puts together; the minimum (a singleton cluster scores 1)."""
    values = []
    for c in np.unique(own):
        members = np.flatnonzero(own == c)
        pairs = list(itertools.combinations(members, 2))
        if not pairs:
            values.append(1.0)
            continue
        values.append(np.mean([predicted[i] == predicted[j] for i, j in pairs]))
    return float(min(values))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_strength_matches_pair_counting(seed):
    rng = np.random.default_rng(seed)
    own = rng.integers(0, 4, 60)
    own[0] = 7  # a singleton
    predicted = np.where(rng.random(60) < 0.7, own, rng.integers(0, 4, 60))
    assert strength(own, predicted) == pytest.approx(_brute_strength(own, predicted), abs=1e-12)


def test_mixed_embedding_distance_is_the_kprototypes_cost():
    X, _ = _table(80)
    model = KPrototypes(3, random_state=0).fit(X)
    points = mixed_embedding(model, X)
    num = X[["spend", "visits"]].to_numpy(float)
    cat = X[["channel", "size", "newbie"]].astype(str).to_numpy()
    cost = ((num[:, None, :] - num[None, :, :]) ** 2).sum(-1) + model.gamma_ * (
        cat[:, None, :] != cat[None, :, :]
    ).sum(-1)
    d2 = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(d2, cost, rtol=1e-10, atol=1e-10)


def test_choose_k_with_kprototypes_finds_the_groups_and_silhouette_matches_sklearn():
    X, _ = _table(240, k=3)
    res = choose_k(
        X,
        range(2, 6),
        estimator=KPrototypes(2, n_init=2),
        n_splits=4,
        n_boot=4,
        random_state=0,
    )
    assert res.recommended_k == 3
    assert list(res.table.index) == [2, 3, 4, 5]
    assert {"inertia", "silhouette", "prediction_strength", "bootstrap_ari"} <= set(
        res.table.columns
    )
    assert "gap" not in res.table.columns and "calinski_harabasz" not in res.table.columns
    # silhouette of k = 3: refit the same way, score with sklearn on sqrt(cost)
    model = KPrototypes(3, n_init=2, random_state=0)
    sil = res.table.loc[3, "silhouette"]
    fits = [KPrototypes(3, n_init=2, random_state=s).fit(X) for s in range(3)]
    num = X[["spend", "visits"]].to_numpy(float)
    cat = X[["channel", "size", "newbie"]].astype(str).to_numpy()
    refs = []
    for fit in fits:
        cost = ((num[:, None, :] - num[None, :, :]) ** 2).sum(-1) + fit.gamma_ * (
            cat[:, None, :] != cat[None, :, :]
        ).sum(-1)
        refs.append(silhouette_score(np.sqrt(cost), fit.labels_, metric="precomputed"))
    # the partition of well-separated groups does not depend on the seed
    assert np.ptp(refs) < 1e-9
    assert sil == pytest.approx(refs[0], abs=1e-9)
    assert model.n_clusters == 3  # the estimator passed in is never fitted or changed


def test_choose_k_with_estimator_is_reproducible_and_refuses_gap():
    X, _ = _table(150)
    kw = {"criteria": ["inertia", "prediction_strength"], "n_splits": 3, "random_state": 5}
    a = choose_k(X, range(2, 5), estimator=KPrototypes(2), **kw)
    b = choose_k(X, range(2, 5), estimator=KPrototypes(2), **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    with pytest.raises(InvalidParameterError, match="gap"):
        choose_k(X, range(2, 4), estimator=KPrototypes(2), criteria=["gap"])
    with pytest.raises(InvalidParameterError, match="numeric table"):
        choose_k(X, range(2, 4), estimator=KPrototypes(2), criteria=["calinski_harabasz"])


def test_choose_k_with_sklearn_kmeans_on_numeric_table():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.4, (50, 2)) for c in ([0, 0], [6, 0], [0, 6], [6, 6])])
    res = choose_k(
        X,
        range(2, 7),
        estimator=SkKMeans(2, n_init=1),
        n_splits=3,
        n_boot=3,
        random_state=0,
    )
    assert res.recommended_k == 4
    assert "calinski_harabasz" in res.table.columns
    fit = SkKMeans(4, n_init=3, random_state=0).fit(X)
    assert res.table.loc[4, "silhouette"] == pytest.approx(
        silhouette_score(X, fit.labels_), abs=1e-9
    )


def _hand_prediction_strength(estimator, X, ks, n_splits, seed):
    """Per k: the mean over the splits of the smaller prediction strength of the two halves,
    from the same splits and seeds as the library, counted pair by pair."""
    n = len(X)
    expected = []
    for s in range(n_splits):
        rng = stream(seed, 1, s)
        perm = rng.permutation(n)
        halves = (np.sort(perm[: n // 2]), np.sort(perm[n // 2 :]))
        row = []
        for k in ks:
            models = [refit(estimator, X, h, k, seed_of(rng), n_init=1) for h in halves]
            vals = [
                _brute_strength(
                    np.asarray(models[a].labels_),
                    np.asarray(models[b].predict(take_rows(X, halves[a]))),
                )
                for a, b in ((0, 1), (1, 0))
            ]
            row.append(min(vals))
        expected.append(row)
    return np.mean(expected, axis=0)


def test_prediction_strength_with_kprototypes_matches_a_hand_loop():
    X, _ = _table(200)
    res = prediction_strength(X, range(2, 5), estimator=KPrototypes(2), n_splits=3, random_state=1)
    assert res.optimal_k == 3
    assert res.table.loc[3, "mean"] > 0.8
    expected = _hand_prediction_strength(KPrototypes(2), X, (2, 3, 4), 3, 1)
    np.testing.assert_allclose(res.table.loc[[2, 3, 4], "mean"], expected)


def test_prediction_strength_needs_predict():
    X = np.random.default_rng(0).normal(size=(40, 2))
    with pytest.raises(InvalidParameterError, match="predict"):
        prediction_strength(X, range(2, 4), estimator=AgglomerativeClustering(2))


def test_bootstrap_stability_with_kprototypes_and_kmodes():
    X, group = _table(240)
    res = bootstrap_stability(X, KPrototypes(3, random_state=0), n_boot=10, random_state=0)
    assert res.table["mean_jaccard"].min() > 0.85
    assert adjusted_rand_score(group, np.asarray(res.labels)) > 0.8
    pd.testing.assert_index_equal(res.labels.index, X.index)
    again = bootstrap_stability(X, KPrototypes(3, random_state=0), n_boot=10, random_state=0)
    np.testing.assert_array_equal(res.jaccard, again.jaccard)
    cats = X[["channel", "size", "newbie"]]
    res_modes = bootstrap_stability(cats, KModes(3, random_state=0), n_boot=5, random_state=0)
    assert len(res_modes.table) == 3


def test_bootstrap_stability_with_sklearn_on_numeric_and_agglomerative():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 0.3, (40, 2)) for c in ([0, 0], [5, 0], [0, 5])])
    for est in (SkKMeans(3, n_init=2, random_state=0), AgglomerativeClustering(3)):
        res = bootstrap_stability(X, est, n_boot=8, random_state=0)
        assert res.table["mean_jaccard"].min() > 0.9


def test_bootstrap_stability_bad_mixed_table_raises_typed_error():
    X, _ = _table(60)
    X.loc[3, "spend"] = np.nan
    with pytest.raises(ValueError, match="spend"):
        bootstrap_stability(X, KPrototypes(3), n_boot=3)


def test_align_labels_with_kprototypes_models_and_labels():
    X, _ = _table(300)
    ref = KPrototypes(3, random_state=0).fit(X)
    perm = np.array([2, 0, 1])
    relabelled = perm[ref.labels_]
    # labels of the same customers, renamed: matched back on the reference's cost
    aligned, mapping = align_labels(relabelled, ref, X=X, return_mapping=True)
    np.testing.assert_array_equal(np.asarray(aligned), ref.labels_)
    assert mapping == {int(perm[j]): j for j in range(3)}
    # a model refit on other rows with another seed, matched prototype to prototype
    other = KPrototypes(3, random_state=7).fit(X.iloc[::2])
    aligned2 = align_labels(other, ref)
    agree = np.mean(np.asarray(aligned2) == ref.labels_[::2])
    assert agree > 0.95
    with pytest.raises(InvalidParameterError, match="X"):
        align_labels(relabelled, ref)
    with pytest.raises(InvalidParameterError, match="same kind"):
        align_labels(other, SkKMeans(3, n_init=1).fit(X[["spend", "visits"]]))


def test_align_labels_with_kmedoids_models_on_gower_and_euclidean():
    X, _ = _table(300)
    perm = np.array([2, 0, 1])
    for table, metric in ((X, "gower"), (X[["spend", "visits"]], "euclidean")):
        ref = KMedoids(3, metric=metric, random_state=0).fit(table)
        # the same medoids in another order: the same segments under other numbers
        other = KMedoids(3, metric=metric, init=list(ref.medoid_indices_[perm])).fit(table)
        assert not np.array_equal(other.labels_, ref.labels_)
        np.testing.assert_array_equal(np.asarray(align_labels(other, ref)), ref.labels_)
        # labels + X: each new segment scored by its customers' mean distance to the medoids
        aligned = align_labels(perm[ref.labels_], ref, X=table)
        np.testing.assert_array_equal(np.asarray(aligned), ref.labels_)


def test_precomputed_distance_clusterers_are_refused():
    X = np.random.default_rng(0).normal(size=(30, 2))
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    est = AgglomerativeClustering(2, metric="precomputed", linkage="average")
    with pytest.raises(InvalidParameterError, match="cannot be refit"):
        bootstrap_stability(D, est, n_boot=3)
    with pytest.raises(InvalidParameterError, match="cannot be refit"):
        choose_k(D, range(2, 4), estimator=est, criteria=["inertia", "silhouette"])


def test_choose_k_without_resampling_needs_no_predict():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(c, 0.3, (30, 2)) for c in ([0, 0], [5, 0], [0, 5])])
    res = choose_k(X, range(2, 5), estimator=AgglomerativeClustering(2), criteria=["silhouette"])
    assert res.recommended_k == 3
    with pytest.raises(InvalidParameterError, match="has no predict"):
        choose_k(X, range(2, 4), estimator=AgglomerativeClustering(2))


def test_generic_paths_same_on_one_and_two_threads():
    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from conftest import mixed_customers, outputs_on_threads, reference_max_jaccard
from segwise import _core
from segwise.cluster import KPrototypes
from segwise.stability import bootstrap_stability, choose_k
X = mixed_customers(150, 3, seed=4).drop(columns="group")
res = choose_k(X, range(2, 5), estimator=KPrototypes(2), n_splits=2, n_boot=2,
               random_state=3, progress=False)
print(res.table.to_csv(float_format="%.17g"))
stab = bootstrap_stability(X, KPrototypes(3, random_state=1), n_boot=4, random_state=2,
                           progress=False)
print(stab.jaccard.tolist())
"""
    one, two = outputs_on_threads(code)
    assert one == two and "prediction_strength" in one


def test_object_array_with_numbers_and_text_is_read_as_a_mixed_table():
    X, group = _table(150)
    arr = X[["spend", "visits", "channel"]].to_numpy(dtype=object)
    res = bootstrap_stability(arr, KPrototypes(3, random_state=0), n_boot=3, random_state=0)
    ref = KPrototypes(3, random_state=0).fit(X[["spend", "visits", "channel"]])
    assert adjusted_rand_score(ref.labels_, np.asarray(res.labels)) > 0.9


# --- KMedoids: Gower on a mixed table, Euclidean on a numeric one --------------------------


def _four_blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 0.4, (50, 2)) for c in ([0, 0], [6, 0], [0, 6], [6, 6])])


def _kmedoids_case(metric: str) -> tuple[object, int]:
    """(table, true k): mixed customers for Gower, four numeric blobs for Euclidean."""
    if metric == "gower":
        return _table(240, k=3)[0], 3
    return _four_blobs(), 4


@pytest.mark.parametrize("metric", ["gower", "euclidean"])
def test_choose_k_with_kmedoids_finds_the_groups(metric):
    X, k_true = _kmedoids_case(metric)
    est = KMedoids(2, metric=metric)
    res = choose_k(X, range(2, 7), estimator=est, n_splits=3, n_boot=3, random_state=0)
    assert res.recommended_k == k_true
    assert {"inertia", "prediction_strength", "bootstrap_ari"} <= set(res.table.columns)
    # the inertia column is the k-medoids loss of a fit with that k (BUILD + FasterPAM are
    # deterministic, whatever the random_state choose_k draws)
    for k in range(2, 7):
        fit = KMedoids(k, metric=metric).fit(X)
        assert res.table.loc[k, "inertia"] == pytest.approx(fit.inertia_, rel=1e-12)
    assert est.n_clusters == 2 and not hasattr(est, "labels_")


@pytest.mark.parametrize("metric", ["gower", "euclidean"])
def test_prediction_strength_with_kmedoids_matches_a_hand_loop(metric):
    X, k_true = _kmedoids_case(metric)
    ks = (2, k_true, k_true + 1)
    est = KMedoids(2, metric=metric)
    res = prediction_strength(X, ks, estimator=est, n_splits=3, random_state=1)
    assert res.optimal_k == k_true
    assert res.table.loc[k_true, "mean"] > 0.8
    expected = _hand_prediction_strength(est, X, ks, 3, 1)
    np.testing.assert_allclose(res.table.loc[list(ks), "mean"], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("metric", ["gower", "euclidean"])
def test_bootstrap_stability_with_kmedoids_matches_a_python_loop(metric):
    # The generic path = per replicate: its rows and seed from bootstrap_draw, a fresh
    # KMedoids fit on those rows, the Jaccard of the original labels restricted to them.
    X, k_true = _kmedoids_case(metric)
    n, n_boot, seed = len(X), 6, 3
    rows_of = (lambda r: X.iloc[r]) if isinstance(X, pd.DataFrame) else (lambda r: X[r])
    for k in (k_true, k_true + 1):
        res = bootstrap_stability(
            X, KMedoids(k, metric=metric), n_boot, random_state=seed, progress=False
        )
        labels = KMedoids(k, metric=metric).fit(X).labels_
        np.testing.assert_array_equal(np.asarray(res.labels), labels)
        expected = np.empty((n_boot, k))
        for b in range(n_boot):
            rows, kseed = _core.bootstrap_draw(n, scheme="bootstrap", size=n, seed=seed, b=b)
            new = KMedoids(k, metric=metric, random_state=kseed % 2**32).fit(rows_of(rows))
            expected[b] = reference_max_jaccard(labels[rows], new.labels_, k)
        np.testing.assert_allclose(res.jaccard, expected, rtol=0, atol=1e-12)
        if k == k_true:  # separated groups: every replicate finds them again
            assert res.jaccard.min() > 0.97
        else:  # one group split in two: the comparison is not trivially all ones
            assert res.jaccard.min() < 0.9


@pytest.mark.parametrize("max_n", [20_000, 150])
def test_choose_k_silhouette_with_kmedoids_is_on_the_gower_distance(max_n):
    X, _ = _table(240, k=3)
    X.loc[[3, 17], "spend"] = np.nan  # Gower leaves a missing value out of its pairs
    est = KMedoids(2, weights={"spend": 2.0, "channel": 0.5})
    res = choose_k(
        X,
        range(2, 6),
        estimator=est,
        criteria=["inertia", "silhouette"],
        silhouette_max_n=max_n,
        random_state=0,
    )
    assert res.recommended_k == 3
    assert any("Gower" in note for note in res.notes)
    # scikit-learn on the Gower matrix (the estimator's weights, scales of all 240 rows)
    D = gower_distances(X, weights={"spend": 2.0, "channel": 0.5})
    rows = np.arange(len(X))
    if max_n < len(X):  # choose_k's documented sample: numpy's PCG64 seeded by random_state
        rows = np.sort(np.random.default_rng(0).choice(len(X), size=max_n, replace=False))
    for k in range(2, 6):
        fit = KMedoids(k, weights={"spend": 2.0, "channel": 0.5}).fit(X)  # BUILD: deterministic
        assert res.table.loc[k, "inertia"] == pytest.approx(fit.inertia_, rel=1e-12)
        expected = silhouette_score(D[np.ix_(rows, rows)], fit.labels_[rows], metric="precomputed")
        assert res.table.loc[k, "silhouette"] == pytest.approx(expected, abs=1e-10)


def test_choose_k_silhouette_follows_the_kmedoids_metric_on_a_numeric_table():
    X = _four_blobs()
    X[:, 1] *= 50.0  # Gower's range scaling and Euclidean distance disagree
    gower = choose_k(X, range(2, 6), estimator=KMedoids(2), criteria=["silhouette"])
    euclid = choose_k(
        X, range(2, 6), estimator=KMedoids(2, metric="euclidean"), criteria=["silhouette"]
    )
    D = gower_distances(X)
    for k in range(2, 6):
        lab_g = KMedoids(k).fit(X).labels_
        lab_e = KMedoids(k, metric="euclidean").fit(X).labels_
        assert gower.table.loc[k, "silhouette"] == pytest.approx(
            silhouette_score(D, lab_g, metric="precomputed"), abs=1e-10
        )
        assert euclid.table.loc[k, "silhouette"] == pytest.approx(
            silhouette_score(X, lab_e), abs=1e-10
        )
