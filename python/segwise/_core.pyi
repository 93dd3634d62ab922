# Type stubs for the compiled module segwise._core (checked by mypy.stubtest).
# Every function here releases the GIL for its numeric work.
import numpy as np
import numpy.typing as npt

__version__: str

def current_num_threads() -> int: ...
def _panic_for_test() -> None: ...

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
