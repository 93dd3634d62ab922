# Type stubs for the compiled module segwise._core (checked by mypy.stubtest).
# Every function here releases the GIL for its numeric work.

import numpy as np
import numpy.typing as npt

__version__: str

def current_num_threads() -> int: ...
def _panic_for_test() -> None: ...
def _raise_core_error_for_test(variant: str) -> None: ...

# --- scaling (segwise.preprocessing) -------------------------------------------------
# One `_f64` and one `_f32` variant per kernel; statistics are float64 either way.

def scaler_moments_f64(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
    last_mean: npt.NDArray[np.float64] | None = None,
    last_var: npt.NDArray[np.float64] | None = None,
    last_count: npt.NDArray[np.float64] | None = None,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...
def scaler_moments_f32(
    x: npt.NDArray[np.float32],
    sample_weight: npt.NDArray[np.float64] | None = None,
    last_mean: npt.NDArray[np.float64] | None = None,
    last_var: npt.NDArray[np.float64] | None = None,
    last_count: npt.NDArray[np.float64] | None = None,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...
def column_min_max_f64(
    x: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def column_min_max_f32(
    x: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def column_max_abs_f64(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def column_max_abs_f32(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]: ...
def column_percentiles_f64(
    x: npt.NDArray[np.float64], percentiles: list[float], with_median: bool
) -> npt.NDArray[np.float64]: ...
def column_percentiles_f32(
    x: npt.NDArray[np.float32], percentiles: list[float], with_median: bool
) -> npt.NDArray[np.float64]: ...
def affine_transform_f64(
    x: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    op: str,
    out: npt.NDArray[np.float64],
    clip: tuple[float, float] | None = None,
) -> None: ...
def affine_transform_f32(
    x: npt.NDArray[np.float32],
    a: npt.NDArray[np.float32],
    b: npt.NDArray[np.float32],
    op: str,
    out: npt.NDArray[np.float32],
    clip: tuple[float, float] | None = None,
) -> None: ...
def log1p_domain_errors_f64(
    x: npt.NDArray[np.float64], columns: list[bool]
) -> npt.NDArray[np.uint64]: ...
def log1p_domain_errors_f32(
    x: npt.NDArray[np.float32], columns: list[bool]
) -> npt.NDArray[np.uint64]: ...

# --- metrics (segwise.metrics): labels are dense non-negative int64 codes ---
def silhouette_samples(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]: ...
def silhouette_score(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float: ...
def calinski_harabasz_score(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float: ...
def davies_bouldin_score(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float: ...
def simplified_silhouette_samples(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    centers: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]: ...

# --- dbscan (segwise.cluster.DBSCAN): (labels int32 with -1 = noise, core indices int64) ---
def dbscan_fit(
    x: npt.NDArray[np.float64], eps: float, min_samples: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]: ...

# --- k-means (segwise.cluster.KMeans / MiniBatchKMeans) ---
def kmeans_fit_f64(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float64] | None,
    n_init: int,
    max_iter: int,
    tol: float,
    algorithm: str,
    seed: int,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], float, int]: ...
def kmeans_fit_f32(
    x: npt.NDArray[np.float32],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float32] | None,
    n_init: int,
    max_iter: int,
    tol: float,
    algorithm: str,
    seed: int,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32], float, int]: ...
def kmeans_predict_f64(
    x: npt.NDArray[np.float64], centers: npt.NDArray[np.float64], n_threads: int | None = None
) -> npt.NDArray[np.int32]: ...
def kmeans_predict_f32(
    x: npt.NDArray[np.float32], centers: npt.NDArray[np.float32], n_threads: int | None = None
) -> npt.NDArray[np.int32]: ...
def kmeans_labels_inertia_f64(
    x: npt.NDArray[np.float64],
    centers: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.int32], float]: ...
def kmeans_labels_inertia_f32(
    x: npt.NDArray[np.float32],
    centers: npt.NDArray[np.float32],
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.int32], float]: ...
def kmeans_transform_f64(
    x: npt.NDArray[np.float64], centers: npt.NDArray[np.float64], n_threads: int | None = None
) -> npt.NDArray[np.float64]: ...
def kmeans_transform_f32(
    x: npt.NDArray[np.float32], centers: npt.NDArray[np.float32], n_threads: int | None = None
) -> npt.NDArray[np.float32]: ...
def minibatch_fit_f64(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float64] | None,
    n_init: int,
    max_iter: int,
    batch_size: int,
    tol: float,
    max_no_improvement: int | None,
    init_size: int | None,
    reassignment_ratio: float,
    compute_labels: bool,
    seed: int,
    n_threads: int | None = None,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int32] | None,
    float,
    int,
    int,
    int,
]: ...
def minibatch_partial_step_f64(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float64],
    counts: npt.NDArray[np.float64],
    n_since_last_reassign: int,
    reassignment_ratio: float,
    seed: int,
    step_index: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int]: ...
def minibatch_init_centers_f64(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float64] | None,
    init_size: int,
    seed: int,
) -> npt.NDArray[np.float64]: ...
def minibatch_fit_f32(
    x: npt.NDArray[np.float32],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float32] | None,
    n_init: int,
    max_iter: int,
    batch_size: int,
    tol: float,
    max_no_improvement: int | None,
    init_size: int | None,
    reassignment_ratio: float,
    compute_labels: bool,
    seed: int,
    n_threads: int | None = None,
) -> tuple[
    npt.NDArray[np.float32],
    npt.NDArray[np.float64],
    npt.NDArray[np.int32] | None,
    float,
    int,
    int,
    int,
]: ...
def minibatch_partial_step_f32(
    x: npt.NDArray[np.float32],
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float32],
    counts: npt.NDArray[np.float64],
    n_since_last_reassign: int,
    reassignment_ratio: float,
    seed: int,
    step_index: int,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64], int]: ...
def minibatch_init_centers_f32(
    x: npt.NDArray[np.float32],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float32] | None,
    init_size: int,
    seed: int,
) -> npt.NDArray[np.float32]: ...

# --- abtest: per-segment A/B statistics (src/bindings/abtest.rs) ---
# Vectorized distributions: equal-length 1-D float64 arrays in, one array out.
def abtest_norm_cdf(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def abtest_norm_sf(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def abtest_norm_ppf(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def abtest_norm_isf(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def abtest_gammaln(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def abtest_t_cdf(
    x: npt.NDArray[np.float64], df: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def abtest_t_sf(
    x: npt.NDArray[np.float64], df: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def abtest_t_ppf(
    x: npt.NDArray[np.float64], df: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def abtest_t_isf(
    x: npt.NDArray[np.float64], df: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def abtest_chi2_cdf(
    x: npt.NDArray[np.float64], df: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def abtest_chi2_sf(
    x: npt.NDArray[np.float64], df: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def abtest_betainc(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], x: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def abtest_fisher_exact(
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    c: npt.NDArray[np.int64],
    d: npt.NDArray[np.int64],
    alternative: str,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def abtest_prob_b_beats_a(
    alpha_a: npt.NDArray[np.float64],
    beta_a: npt.NDArray[np.float64],
    alpha_b: npt.NDArray[np.float64],
    beta_b: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def abtest_segment_arm_stats(
    segments: npt.NDArray[np.integer],
    arms: npt.NDArray[np.integer],
    n_segments: int,
    n_arms: int,
    y: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64] | None,
    aux_index: list[int],
) -> npt.NDArray[np.float64]: ...

# --- rfm (segwise.rfm) ---------------------------------------------------------------

def purchase_summary(
    customer: npt.NDArray[np.int64],
    period: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    n_customers: int,
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...

# --- agreement (segwise.metrics: ARI, AMI, NMI, FMI, contingency) ---------------------
def agreement_score(
    labels_true: npt.NDArray[np.int64],
    labels_pred: npt.NDArray[np.int64],
    score: str,
    average_method: str = "arithmetic",
) -> float: ...
def contingency_table(
    labels_true: npt.NDArray[np.int64], labels_pred: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]: ...

# --- drift: segments over time (segwise.stability align_labels / migration_matrix / psi) ---
# src/bindings/drift.rs; labels are dense non-negative int64 codes.

def drift_linear_sum_assignment(
    cost: npt.NDArray[np.float64], maximize: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def drift_align_by_overlap(
    new: npt.NDArray[np.int64], reference: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def drift_align_by_centers(
    new: npt.NDArray[np.float64], reference: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def drift_migration_counts(
    before: npt.NDArray[np.int64],
    after: npt.NDArray[np.int64],
    k_before: int,
    k_after: int,
    weights: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]: ...
def drift_chi2_isf(
    p: npt.NDArray[np.float64], df: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def drift_psi_from_counts(
    reference: npt.NDArray[np.float64],
    current: npt.NDArray[np.float64],
    epsilon: float,
    n_ref: float,
    n_cur: float,
) -> tuple[float, npt.NDArray[np.float64], int, float, float, float]: ...
def drift_psi_feature_bins(
    reference: npt.NDArray[np.float64],
    current: npt.NDArray[np.float64],
    bins: int,
    start: int | None = None,
    stop: int | None = None,
) -> list[
    tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64], int, int]
]: ...

# --- profile (segwise.profile.profile_segments) ----------------------------------------
# (counts, means, variances, medians) of shape (k + 1, d), last row the population, then
# (rest_means, rest_variances) of shape (k, d). NaN skipped per feature.
def profile_segment_moments(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.int64],
    n_groups: int,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...

# --- choose_k (segwise.stability: gap statistic, prediction strength, bootstrap ARI) ---
# `start` is "k-means++" (n_init restarts) or "first_rows"; every fit and draw has its own
# random stream derived from `seed`, so chunks (b0..b1, m0..m1, r0..r1) compose exactly.

def choose_k_fit_curve(
    x: npt.NDArray[np.float64], ks: list[int], start: str, n_init: int, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], npt.NDArray[np.float64]]: ...
def choose_k_within_dispersion(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int32], k: int, d_power: float
) -> float: ...
def choose_k_reference_set(
    n: int,
    centre: npt.NDArray[np.float64],
    lower: npt.NDArray[np.float64],
    upper: npt.NDArray[np.float64],
    rotation: npt.NDArray[np.float64] | None,
    seed: int,
    b: int,
) -> npt.NDArray[np.float64]: ...
def choose_k_gap_reference_log_w(
    n: int,
    centre: npt.NDArray[np.float64],
    lower: npt.NDArray[np.float64],
    upper: npt.NDArray[np.float64],
    rotation: npt.NDArray[np.float64] | None,
    k_max: int,
    d_power: float,
    b0: int,
    b1: int,
    start: str,
    n_init: int,
    seed: int,
) -> npt.NDArray[np.float64]: ...
def choose_k_split_permutation(n: int, seed: int, m: int) -> npt.NDArray[np.int64]: ...
def choose_k_prediction_strength(
    x: npt.NDArray[np.float64],
    ks: list[int],
    m0: int,
    m1: int,
    start: str,
    n_init: int,
    seed: int,
) -> npt.NDArray[np.float64]: ...
def choose_k_bootstrap_indices(
    n: int, seed: int, r: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def choose_k_bootstrap_partitions(
    x: npt.NDArray[np.float64], k: int, r: int, start: str, n_init: int, seed: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]: ...
def choose_k_bootstrap_ari(
    x: npt.NDArray[np.float64],
    ks: list[int],
    r0: int,
    r1: int,
    start: str,
    n_init: int,
    seed: int,
) -> npt.NDArray[np.float64]: ...

# --- bootstrap stability (segwise.stability.bootstrap_stability) ----------------------
# Labels are int32 codes 0..n_segments-1 (negative = noise, in no segment).

def bootstrap_draw(
    n: int, scheme: str, size: int, seed: int, b: int
) -> tuple[npt.NDArray[np.int64], int]: ...
def bootstrap_max_jaccard(
    original: npt.NDArray[np.int32], new: npt.NDArray[np.int32], n_segments: int
) -> npt.NDArray[np.float64]: ...
def bootstrap_kmeans_f64(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int32],
    n_segments: int,
    n_clusters: int,
    init: str,
    n_init: int,
    max_iter: int,
    tol: float,
    algorithm: str,
    scheme: str,
    size: int,
    seed: int,
    start: int,
    end: int,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]: ...
def bootstrap_kmeans_given_f64(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int32],
    n_segments: int,
    indices: list[npt.NDArray[np.int64]],
    centres: npt.NDArray[np.float64],
    max_iter: int,
    tol: float,
    algorithm: str,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]: ...
