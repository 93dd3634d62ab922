# Type stubs for the compiled module segwise._core (checked by mypy.stubtest).
# Every function here releases the GIL for its numeric work.
import numpy as np
import numpy.typing as npt

__version__: str

def current_num_threads() -> int: ...
def _panic_for_test() -> None: ...
def _raise_core_error_for_test(variant: str) -> None: ...
