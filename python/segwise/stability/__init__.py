"""Are the segments real? Choosing k, bootstrap stability and drift over time.

* :func:`bootstrap_stability`: Hennig's clusterboot (R fpc) per-segment Jaccard stability.
* :func:`choose_k`, :func:`gap_statistic`, :func:`prediction_strength`: one table per k with
  every common criterion and a recommended k.
* :func:`align_labels`, :func:`relabel`, :func:`migration_matrix`, :func:`psi` (and
  :func:`psi_from_counts` for counts computed elsewhere): keep segments meaningful as
  customers drift.
"""

from __future__ import annotations

from ._alignment import align_labels, relabel
from ._bootstrap import StabilityResult, bootstrap_stability
from ._choose_k import (
    ChooseKResult,
    GapResult,
    PredictionStrengthResult,
    choose_k,
    gap_statistic,
    prediction_strength,
)
from ._migration import MigrationResult, migration_matrix
from ._psi import PSIResult, psi, psi_from_counts

__all__ = [
    "StabilityResult",
    "bootstrap_stability",
    "ChooseKResult",
    "GapResult",
    "PredictionStrengthResult",
    "choose_k",
    "gap_statistic",
    "prediction_strength",
    "align_labels",
    "relabel",
    "MigrationResult",
    "migration_matrix",
    "PSIResult",
    "psi",
    "psi_from_counts",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)
