"""Customer lifetime value: buy-till-you-die models fitted in Rust, and CLV per segment.

* Purchase models (repeat purchases and dropout), fitted by maximum likelihood with
  analytic gradients: :class:`BetaGeoModel` (BG/NBD), :class:`ParetoNBDModel`
  (Pareto/NBD), :class:`ModifiedBetaGeoModel` (MBG/NBD); the spend model
  :class:`GammaGammaModel` and :meth:`GammaGammaModel.customer_lifetime_value`.
  Names follow pymc-marketing (classes) and lifetimes (predictions).
* :func:`calibration_holdout` and :func:`holdout_check`: does the model predict the
  purchases of a period it did not see?
* :func:`segment_clv`: mean and total CLV, expected purchases and P(alive) per segment
  with bootstrap intervals.

The input is the table ``rfm_table(transactions, ..., convention="btyd")`` returns.

Examples
--------
>>> from segwise.clv import BetaGeoModel, GammaGammaModel
>>> from segwise.datasets import load_cdnow_summary
>>> data = load_cdnow_summary()
>>> bg = BetaGeoModel().fit(data)
>>> gg = GammaGammaModel().fit(data)
>>> clv = gg.customer_lifetime_value(bg, data, time=12, freq="W")
>>> round(float(clv.mean()), 2)
30.34
"""

from __future__ import annotations

from ._gamma_gamma import GammaGammaModel
from ._holdout import HoldoutCheck, calibration_holdout, holdout_check
from ._models import BetaGeoModel, ModelSummary, ModifiedBetaGeoModel, ParetoNBDModel
from ._segments import SegmentCLV, segment_clv

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "HoldoutCheck",
    "ModelSummary",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "SegmentCLV",
    "calibration_holdout",
    "holdout_check",
    "segment_clv",
]


def __dir__() -> list[str]:
    # PEP 562: dir() lists the public names only, not the imported modules and helpers.
    return list(__all__)
