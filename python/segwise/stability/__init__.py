"""Are the segments real? Choosing k, bootstrap stability and drift over time.

* :func:`bootstrap_stability`: Hennig's clusterboot (R fpc) per-segment Jaccard stability.
* :func:`choose_k`, :func:`gap_statistic`, :func:`prediction_strength`: one table per k with
  every common criterion and a recommended k.
* :func:`align_labels`, :func:`relabel`, :func:`migration_matrix`, :func:`psi`: keep
  segments meaningful as customers drift.
"""

from __future__ import annotations

from . import _bootstrap, _choose_k, _drift
from ._bootstrap import *  # noqa: F403
from ._choose_k import *  # noqa: F403
from ._drift import *  # noqa: F403

__all__ = [*_bootstrap.__all__, *_choose_k.__all__, *_drift.__all__]
