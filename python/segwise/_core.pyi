# Type stubs for the compiled module segwise._core (checked by mypy.stubtest).
# Every function here releases the GIL for its numeric work.
import numpy as np
import numpy.typing as npt

__version__: str

def current_num_threads() -> int: ...
def _panic_for_test() -> None: ...
def _raise_core_error_for_test(variant: str) -> None: ...

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
