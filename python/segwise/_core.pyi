# Type stubs for the compiled module segwise._core (checked by mypy.stubtest).
# Every function here releases the GIL for its numeric work.

import types
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from segwise._distance import GowerScales

# Kernels that run on float32 or float64 take either; outputs in the data's dtype follow it.
_F = TypeVar("_F", np.float32, np.float64)

__version__: str

# Test-only exports (error mapping, panic barrier, oracle hooks): not part of the API.
_testing: types.ModuleType

def current_num_threads() -> int: ...

# --- scaling (segwise.preprocessing) -------------------------------------------------
# One function per kernel for float32 and float64 data; statistics are float64 either way.

def scaler_moments(
    x: npt.NDArray[_F],
    *,
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
def scaler_merge_moments(
    a: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]],
    b: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def column_min_max(
    x: npt.NDArray[_F],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def column_max_abs(x: npt.NDArray[_F]) -> npt.NDArray[np.float64]: ...

# Sparse (scipy CSR) kernels: data, indices (int64), indptr (int64) and the shape.
def sparse_scaler_moments(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
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
def sparse_column_max_abs(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
) -> npt.NDArray[np.float64]: ...
def sparse_scale_columns(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
    factor: npt.NDArray[np.float64],
) -> npt.NDArray[_F]: ...
def column_percentiles(
    x: npt.NDArray[_F], *, percentiles: list[float], with_median: bool
) -> npt.NDArray[np.float64]: ...
def affine_transform(
    x: npt.NDArray[_F],
    *,
    a: npt.NDArray[_F],
    b: npt.NDArray[_F],
    op: str,
    out: npt.NDArray[_F],
    clip: tuple[float, float] | None = None,
) -> None: ...
def log1p_domain_errors(x: npt.NDArray[_F], *, columns: list[bool]) -> npt.NDArray[np.uint64]: ...

# --- metrics (segwise.metrics): labels are dense non-negative int64 codes ---
def sparse_silhouette_samples(
    data: npt.NDArray[np.float64],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    labels: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
) -> npt.NDArray[np.float64]: ...
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
    x: npt.NDArray[np.float64], *, eps: float, min_samples: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]: ...

# --- k-means (segwise.cluster.KMeans / MiniBatchKMeans) ---
# float32 or float64 data; centres in the data's dtype.
def kmeans_fit(
    x: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[_F] | None,
    n_init: int,
    max_iter: int,
    tol: float,
    algorithm: str,
    seed: int,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[_F], npt.NDArray[np.int32], float, int]: ...
def kmeans_predict(
    x: npt.NDArray[_F], centers: npt.NDArray[_F], n_threads: int | None = None
) -> npt.NDArray[np.int32]: ...
def kmeans_labels_inertia(
    x: npt.NDArray[_F],
    centers: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.int32], float]: ...
def kmeans_transform(
    x: npt.NDArray[_F], centers: npt.NDArray[_F], n_threads: int | None = None
) -> npt.NDArray[_F]: ...
def kmeans_fit_sparse(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[_F] | None,
    n_init: int,
    max_iter: int,
    tol: float,
    seed: int,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[_F], npt.NDArray[np.int32], float, int]: ...
def kmeans_labels_inertia_sparse(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    centers: npt.NDArray[_F],
    *,
    shape: tuple[int, int],
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.int32], float]: ...
def kmeans_transform_sparse(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    centers: npt.NDArray[_F],
    *,
    shape: tuple[int, int],
    n_threads: int | None = None,
) -> npt.NDArray[_F]: ...
def minibatch_fit(
    x: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[_F] | None,
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
    npt.NDArray[_F],
    npt.NDArray[np.float64],
    npt.NDArray[np.int32] | None,
    float,
    int,
    int,
    int,
]: ...
def minibatch_partial_step(
    x: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[_F],
    counts: npt.NDArray[np.float64],
    n_since_last_reassign: int,
    reassignment_ratio: float,
    seed: int,
    step_index: int,
) -> tuple[npt.NDArray[_F], npt.NDArray[np.float64], int]: ...
def minibatch_init_centers(
    x: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[_F] | None,
    init_size: int,
    seed: int,
) -> npt.NDArray[_F]: ...
def minibatch_fit_sparse(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[_F] | None,
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
    npt.NDArray[_F],
    npt.NDArray[np.float64],
    npt.NDArray[np.int32] | None,
    float,
    int,
    int,
    int,
]: ...
def minibatch_partial_step_sparse(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[_F],
    counts: npt.NDArray[np.float64],
    n_since_last_reassign: int,
    reassignment_ratio: float,
    seed: int,
    step_index: int,
) -> tuple[npt.NDArray[_F], npt.NDArray[np.float64], int]: ...
def minibatch_init_centers_sparse(
    data: npt.NDArray[_F],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    *,
    shape: tuple[int, int],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[_F] | None,
    init_size: int,
    seed: int,
) -> npt.NDArray[_F]: ...

# --- k-prototypes / k-modes (segwise.cluster.KPrototypes / KModes): a table as its numeric
# float64 block, its categorical int32 codes and the number of levels per column (int64) ---

_Prototypes = tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]

def kprototypes_fit(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.int32],
    n_levels: npt.NDArray[np.int64],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_numeric: npt.NDArray[np.float64] | None,
    init_categorical: npt.NDArray[np.int32] | None,
    n_init: int,
    max_iter: int,
    gamma: float,
    algorithm: str,
    seed: int,
    n_threads: int | None = None,
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.int32], npt.NDArray[np.int32], float, int, bool
]: ...
def kprototypes_predict(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.int32],
    n_levels: npt.NDArray[np.int64],
    prototypes: _Prototypes,
    *,
    gamma: float,
    n_threads: int | None = None,
) -> npt.NDArray[np.int32]: ...
def kprototypes_labels_cost(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.int32],
    n_levels: npt.NDArray[np.int64],
    prototypes: _Prototypes,
    *,
    gamma: float,
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.int32], float]: ...
def kprototypes_transform(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.int32],
    n_levels: npt.NDArray[np.int64],
    prototypes: _Prototypes,
    *,
    gamma: float,
    n_threads: int | None = None,
) -> npt.NDArray[np.float64]: ...
def kprototypes_distinct_rows(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.int32],
    n_levels: npt.NDArray[np.int64],
    *,
    limit: int,
) -> int: ...
def kprototypes_lloyd_partial(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.int32],
    n_levels: npt.NDArray[np.int64],
    prototypes: _Prototypes,
    *,
    gamma: float,
    sample_weight: npt.NDArray[np.float64] | None = None,
    offset: int,
    n_threads: int | None = None,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    float,
    npt.NDArray[np.uint64],
]: ...
def kprototypes_farthest_rows(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.int32],
    n_levels: npt.NDArray[np.int64],
    prototypes: _Prototypes,
    *,
    gamma: float,
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_far: int,
    offset: int,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int32],
]: ...
def kprototypes_lloyd_finish(
    stats: tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        float,
        npt.NDArray[np.uint64],
    ],
    n_levels: npt.NDArray[np.int64],
    prototypes: _Prototypes,
    *,
    far: tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.uint64],
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.int32],
    ]
    | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], npt.NDArray[np.uint64], int]: ...
def kprototypes_lloyd_converged(*, labels_changed: bool, cost: float, new_cost: float) -> bool: ...

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
    *,
    alternative: str,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

# The largest alpha_b whose exact sum abtest_prob_b_beats_a runs (core::abtest::MAX_BETA_TERMS).
ABTEST_MAX_BETA_TERMS: int

def abtest_prob_b_beats_a(
    alpha_a: npt.NDArray[np.float64],
    beta_a: npt.NDArray[np.float64],
    alpha_b: npt.NDArray[np.float64],
    beta_b: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def abtest_score_stat(
    x1: npt.NDArray[np.float64],
    n1: npt.NDArray[np.float64],
    x2: npt.NDArray[np.float64],
    n2: npt.NDArray[np.float64],
    null: npt.NDArray[np.float64],
    *,
    compare: str,
    correction: bool,
) -> npt.NDArray[np.float64]: ...
def abtest_score_interval(
    x1: npt.NDArray[np.float64],
    n1: npt.NDArray[np.float64],
    x2: npt.NDArray[np.float64],
    n2: npt.NDArray[np.float64],
    z: npt.NDArray[np.float64],
    *,
    compare: str,
    correction: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

# A structured array (n_segments, n_arms, n_metrics) with float64 fields count, sum_y,
# m2_y, sum_x, m2_x, c_xy, n_nan, n_nonbinary (core::abtest::CellStats).
def abtest_segment_arm_stats(
    segments: npt.NDArray[np.integer],
    arms: npt.NDArray[np.integer],
    y: npt.NDArray[np.float64],
    *,
    n_segments: int,
    n_arms: int,
    x: npt.NDArray[np.float64] | None,
    aux_index: list[int],
    block_rows: int | None = None,
) -> npt.NDArray[np.void]: ...
def abtest_block_rows(n: int) -> int: ...

# --- rfm (segwise.rfm) ---------------------------------------------------------------

def purchase_summary(
    customer: npt.NDArray[np.int64],
    period: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    *,
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
    *,
    score: str,
    average_method: str = "arithmetic",
) -> float: ...
def contingency_table(
    labels_true: npt.NDArray[np.int64], labels_pred: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]: ...

# --- drift: segments over time (segwise.stability align_labels / migration_matrix / psi) ---
# src/bindings/drift.rs; labels are dense non-negative int64 codes.

def drift_align_by_overlap(
    new: npt.NDArray[np.int64], reference: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def drift_align_by_centers(
    new: npt.NDArray[np.float64], reference: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def drift_align_by_cost(cost: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]: ...
def drift_migration_counts(
    before: npt.NDArray[np.int64],
    after: npt.NDArray[np.int64],
    *,
    k_before: int,
    k_after: int,
    weights: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]: ...
def drift_psi_from_counts(
    reference: npt.NDArray[np.float64],
    current: npt.NDArray[np.float64],
    *,
    epsilon: float,
    n_ref: float,
    n_cur: float,
) -> tuple[float, npt.NDArray[np.float64], int, float, float, float]: ...
def drift_edge_ranks(n: int, *, bins: int) -> npt.NDArray[np.int64]: ...
def drift_quantile_edges(
    n: int, *, bins: int, ranks: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def drift_bin_counts(
    values: npt.NDArray[np.float64], *, edges: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], int]: ...
def drift_psi_feature_bins(
    reference: npt.NDArray[np.float64],
    current: npt.NDArray[np.float64],
    *,
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
    *,
    n_groups: int,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...

# Partial statistics of a distributed profile (segwise.dask.profile_segments): one
# block's (3, n_groups, d) counts, means and centred sums of squares; Chan's merge of two
# blocks; the merged moments finished to profile_segment_moments' layout without medians
# (counts, means, variances with the population last, then the rest's means, variances).
def profile_partial_moments(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.int64],
    *,
    n_groups: int,
) -> npt.NDArray[np.float64]: ...
def profile_merge_moments(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def profile_finish_moments(
    moments: npt.NDArray[np.float64],
) -> tuple[
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
    x: npt.NDArray[np.float64], *, ks: list[int], start: str, n_init: int, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], npt.NDArray[np.float64]]: ...
def choose_k_within_dispersion(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int32], *, k: int, d_power: float
) -> float: ...
def choose_k_gap_reference_log_w(
    n: int,
    *,
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
def choose_k_prediction_strength(
    x: npt.NDArray[np.float64],
    *,
    ks: list[int],
    m0: int,
    m1: int,
    start: str,
    n_init: int,
    seed: int,
) -> npt.NDArray[np.float64]: ...
def choose_k_half_strength(
    own: npt.NDArray[np.int32], classified: npt.NDArray[np.int32], *, k: int
) -> float: ...
def choose_k_bootstrap_ari(
    x: npt.NDArray[np.float64],
    *,
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
    n: int, *, scheme: str, size: int, seed: int, b: int
) -> tuple[npt.NDArray[np.int64], int]: ...
def bootstrap_max_jaccard(
    original: npt.NDArray[np.int32], new: npt.NDArray[np.int32], n_segments: int
) -> npt.NDArray[np.float64]: ...
def bootstrap_kmeans(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int32],
    *,
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

# --- partitioned data (segwise.dask): partial statistics of one partition -------------
# Merged by the caller in a fixed order; see src/core/kmeans/partial.rs and
# src/core/stats/selection.rs.

def kmeans_partition_moments(x: npt.NDArray[_F]) -> npt.NDArray[np.float64]: ...
def kmeans_merge_moments(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def kmeans_tolerance(moments: npt.NDArray[np.float64], *, tol: float) -> float: ...
def kmeans_lloyd_partial(
    x: npt.NDArray[_F],
    centers: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]: ...
def kmeans_farthest_rows(
    x: npt.NDArray[_F],
    centers: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_far: int,
    offset: int,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
    npt.NDArray[_F],
]: ...
def kmeans_lloyd_finish(
    sums: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    centers: npt.NDArray[_F],
    *,
    far: tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.uint64],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
        npt.NDArray[_F],
    ]
    | None = None,
) -> tuple[npt.NDArray[_F], float]: ...
def kmeans_oversample_round(
    x: npt.NDArray[_F],
    candidates: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None = None,
    oversampling: float,
    seed: int,
    round: int,
    offset: int,
) -> tuple[float, npt.NDArray[np.uint64], npt.NDArray[np.float64], npt.NDArray[_F]]: ...
def kmeans_random_keys(
    x: npt.NDArray[_F],
    *,
    sample_weight: npt.NDArray[np.float64] | None = None,
    k: int,
    seed: int,
    stream: int,
    offset: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint64], npt.NDArray[_F]]: ...
def abtest_merge_cell_stats(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def selection_bracket_partial(
    x: npt.NDArray[np.float64],
    *,
    groups: npt.NDArray[np.int64] | None = None,
    columns: list[int],
    group_ids: list[int],
    lo: list[float],
    hi: list[float],
    max_values: int,
    summary: int,
) -> list[tuple[int, int, int, int, npt.NDArray[np.float64], npt.NDArray[np.uint64]]]: ...
def selection_bracket_step(
    rank: int,
    lo: float,
    hi: float,
    parts: list[tuple[int, int, int, int, npt.NDArray[np.float64], npt.NDArray[np.uint64]]],
) -> tuple[bool, float, float]: ...
def selection_linear_plan(n: int, q: float) -> tuple[int, int, float]: ...
def selection_lerp(a: float, b: float, t: float) -> float: ...

# --- distances (segwise._distance, segwise.metrics.gower_distances) -------------------
# Mixed tables come as (numeric float64 block, int32 level codes); `scales` is a
# segwise._distance.GowerScales. `out` (float64 or float32, C-contiguous) receives the
# left rows x right rows distances; Python fills large matrices in chunks of rows.

def gower_fill(
    left_numeric: npt.NDArray[np.float64],
    left_codes: npt.NDArray[np.int32],
    right_numeric: npt.NDArray[np.float64],
    right_codes: npt.NDArray[np.int32],
    *,
    scales: GowerScales,
    out: npt.NDArray[np.float64] | npt.NDArray[np.float32],
) -> None: ...
def gower_nearest(
    left_numeric: npt.NDArray[np.float64],
    left_codes: npt.NDArray[np.int32],
    right_numeric: npt.NDArray[np.float64],
    right_codes: npt.NDArray[np.int32],
    *,
    scales: GowerScales,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def euclidean_fill(
    left: npt.NDArray[np.float64],
    right: npt.NDArray[np.float64],
    *,
    out: npt.NDArray[np.float64] | npt.NDArray[np.float32],
) -> None: ...
def euclidean_nearest(
    left: npt.NDArray[np.float64], right: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def check_dissimilarities(d: npt.NDArray[_F], *, symmetric: bool) -> None: ...
def silhouette_rows_precomputed(
    d: npt.NDArray[_F], labels: npt.NDArray[np.int64], *, start: int, stop: int
) -> npt.NDArray[np.float64]: ...
def silhouette_rows_gower(
    numeric: npt.NDArray[np.float64],
    codes: npt.NDArray[np.int32],
    labels: npt.NDArray[np.int64],
    *,
    scales: GowerScales,
    start: int,
    stop: int,
) -> npt.NDArray[np.float64]: ...

# --- k-medoids (segwise.cluster.KMedoids): bounded steps on a checked square matrix ---
# `progress` is FasterPAM's (cursor, candidates since the last swap, passes, swaps).

def kmedoids_build_candidates(
    d: npt.NDArray[_F], medoids: list[int], *, start: int, stop: int
) -> tuple[int, float] | None: ...
def kmedoids_pam_best_swap(
    d: npt.NDArray[_F], medoids: list[int], *, start: int, stop: int
) -> tuple[int, int, float] | None: ...
def kmedoids_fasterpam_steps(
    d: npt.NDArray[_F],
    medoids: list[int],
    *,
    progress: tuple[int, int, int, int],
    max_iter: int,
    budget: int,
) -> tuple[list[int], tuple[int, int, int, int], bool]: ...
def kmedoids_assign(
    d: npt.NDArray[_F], medoids: list[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...

# --- clv (segwise.clv) -------------------------------------------------------------------
# A fit returns (params, log_likelihood, n_iter, status, grad_norm, at_bound, hessian,
# covariance, n_customers): status is "converged", "max_iter" or "line_search_failed";
# hessian is the observed information of the natural parameters; n_customers the total
# weight fitted (the repeat buyers for Gamma-Gamma).
_ClvFit = tuple[
    npt.NDArray[np.float64],
    float,
    int,
    str,
    float,
    list[bool],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    float,
]

def clv_fit(
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    *,
    model: str,
    sample_weight: npt.NDArray[np.float64] | None,
    penalizer: float,
    max_iter: int,
    tol: float,
    initial_params: list[float] | None,
) -> _ClvFit: ...
def gamma_gamma_fit(
    frequency: npt.NDArray[np.float64],
    monetary_value: npt.NDArray[np.float64],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    penalizer: float,
    max_iter: int,
    tol: float,
    initial_params: list[float] | None,
) -> _ClvFit: ...
def clv_expected_purchases(
    t: npt.NDArray[np.float64], *, model: str, params: list[float]
) -> npt.NDArray[np.float64]: ...
def clv_predict(
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    t_age: npt.NDArray[np.float64],
    *,
    model: str,
    params: list[float],
    quantity: str,
    t: float,
) -> npt.NDArray[np.float64]: ...
def clv_customer_lifetime_value(
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    t_age: npt.NDArray[np.float64],
    spend: npt.NDArray[np.float64],
    *,
    model: str,
    params: list[float],
    months: int,
    month_length: float,
    discount_rate: float,
) -> npt.NDArray[np.float64]: ...
def gamma_gamma_expected_spend(
    frequency: npt.NDArray[np.float64],
    monetary_value: npt.NDArray[np.float64],
    *,
    params: list[float],
) -> npt.NDArray[np.float64]: ...

# (end - start, n_segments, n_statistics) bootstrap means, customers resampled within
# segments; replicate b seeded from (seed, b).
def segment_bootstrap_means(
    values: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int32],
    *,
    n_segments: int,
    seed: int,
    start: int,
    end: int,
    n_threads: int | None = None,
) -> npt.NDArray[np.float64]: ...
