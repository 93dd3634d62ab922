# Type stubs for the compiled module segwise._core (checked by mypy.stubtest).
# Every function here releases the GIL for its numeric work.
import numpy as np
import numpy.typing as npt

__version__: str

def current_num_threads() -> int: ...
def _panic_for_test() -> None: ...

# --- metrics (segwise.metrics): labels are dense non-negative int64 codes ---
def silhouette_samples(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]: ...
def silhouette_score(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float: ...
def calinski_harabasz_score(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]
) -> float: ...
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
