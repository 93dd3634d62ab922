"""Customer lifetime value per segment, with bootstrap confidence intervals."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._progress import progress as _progress
from .._progress import progress_enabled
from .._results import (
    TEXT_WIDTH,
    ResultMixin,
    Summary,
    Table,
    fmt_count,
    fmt_number,
    fmt_share,
)
from .._validation import (
    Cap,
    Constraints,
    HasMethods,
    Interval,
    StrOptions,
    check_random_state,
    encode_labels,
    validate_params,
)
from ..exceptions import (
    ConvergenceWarning,
    NotEnoughSamplesError,
    SegwiseError,
    _convergence_warning,
)
from ._data import check_histories
from ._gamma_gamma import MONTH_LENGTH, GammaGammaModel
from ._models import BetaGeoModel, _PurchaseModel

__all__ = ["SegmentCLV", "segment_clv"]

_STATISTICS = ("clv", "expected_purchases", "p_alive")
_N_CHUNKS = 16

_PARAMS: Constraints = {
    "model": [None, _PurchaseModel],
    "spend_model": [None, GammaGammaModel],
    "per_segment": ["boolean"],
    "time": [Interval(Integral, 1, 1200, closed="both")],
    "discount_rate": [Interval(Real, -1, None, closed="neither")],
    "freq": [StrOptions(MONTH_LENGTH)],
    "n_bootstrap": [
        Cap(
            0,
            100_000,
            bytes_each=8,
            buffer="the replicates' means, a float64 per segment and statistic",
        )
    ],
    "confidence_level": [Interval(Real, 0, 1, closed="neither")],
    "min_customers": [Interval(Integral, 2, None, closed="left")],
    "random_state": ["random_state"],
    "progress": ["boolean", None],
}
_ = HasMethods  # the constraint vocabulary used by this module's tables


@dataclass(frozen=True, repr=False)
class SegmentCLV(ResultMixin):
    """Expected customer lifetime value per segment (see :func:`segment_clv`).

    Attributes
    ----------
    table : DataFrame
        One row per segment: ``customers``, ``share``, then for ``clv`` (discounted value
        over the horizon), ``expected_purchases`` (over the horizon) and ``p_alive`` the
        segment mean with its bootstrap interval (``*_lower``, ``*_upper``), and
        ``clv_total`` (customers x mean CLV) with its interval; ``model`` says which fit
        priced the segment ("all customers" or "own").
    customers : DataFrame
        The per-customer ``segment``, ``clv``, ``expected_purchases``, ``p_alive`` and
        ``expected_spend``, on the input's index. To show the value in segment personas,
        add a column to the customer table:
        ``profile_segments(customers.assign(clv=res.customers["clv"]), labels)``.
    models : dict
        The fitted purchase and spend models: key ``"all"`` and, with ``per_segment``, one
        per segment fitted on its own.
    time, discount_rate, freq, n_bootstrap, confidence_level, per_segment
        The settings.
    warnings : list of str
        Segments priced by the all-customer model because they were too small or did not
        fit.
    """

    table: pd.DataFrame
    customers: pd.DataFrame
    models: dict[Any, tuple[Any, GammaGammaModel]]
    time: int
    discount_rate: float
    freq: str
    n_bootstrap: int
    confidence_level: float
    per_segment: bool
    warnings: list[str] = field(default_factory=list)

    def _summary(self) -> Summary:
        shown = self.table[
            [
                "customers",
                "share",
                "clv",
                "clv_lower",
                "clv_upper",
                "clv_total",
                "expected_purchases",
                "p_alive",
            ]
        ]
        money = lambda v: fmt_number(v, 5)  # noqa: E731
        level = f"{self.confidence_level:.0%}"
        formats = {
            "customers": fmt_count,
            "share": fmt_share,
            "clv": money,
            "clv_lower": money,
            "clv_upper": money,
            "clv_total": money,
            "p_alive": fmt_share,
        }
        legend: list[str] = []
        widest = max(map(len, Table(shown, formats=formats).text().splitlines()))
        if widest > TEXT_WIDTH:
            # Long segment names (personas) would push the table past a terminal's width:
            # the table shows S1, S2, ... and a legend names them.
            keys = [f"S{i + 1}" for i in range(len(shown))]
            legend = [f"S{i + 1}: {name}" for i, name in enumerate(shown.index)]
            shown = shown.set_axis(pd.Index(keys, name=shown.index.name))
        return Summary(
            f"Customer lifetime value per segment: {len(self.table)} segments, "
            f"{fmt_count(self.table['customers'].sum())} customers",
            lines=[
                f"{self.time} months, discount {self.discount_rate:.3g} a month; "
                f"{level} intervals from {self.n_bootstrap} bootstrap replicates "
                "(customers resampled within segments); "
                + ("one model per segment" if self.per_segment else "one model for all"),
            ],
            tables=[Table(shown, formats=formats)],
            after=[*legend, "clv: mean per customer; clv_total: customers x mean"],
            warnings=self.warnings,
        )

    def plot(self, ax: Any = None, statistic: str = "clv") -> Any:
        """Bar chart of the segment means of ``statistic`` ("clv", "expected_purchases" or
        "p_alive") with their bootstrap intervals.

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from segwise.clv import segment_clv
        >>> from segwise.datasets import load_cdnow_summary
        >>> data = load_cdnow_summary()
        >>> res = segment_clv(data, data["frequency"].clip(upper=2), freq="W",
        ...                   n_bootstrap=20, random_state=0, progress=False)
        >>> res.plot().get_ylabel()
        'mean clv per customer'
        """
        if statistic not in _STATISTICS:
            raise SegwiseError(f"statistic must be one of {_STATISTICS}, got {statistic!r}")
        ax = self._axes(ax, figsize=(7, 4))
        t = self.table
        mean = t[statistic].to_numpy()
        err = np.vstack([mean - t[f"{statistic}_lower"], t[f"{statistic}_upper"] - mean])
        ax.bar([str(s) for s in t.index], mean, yerr=err, capsize=4, color="#4C72B0")
        ax.set_ylabel(f"mean {statistic} per customer")
        ax.set_title(f"{statistic} per segment ({self.confidence_level:.0%} bootstrap intervals)")
        ax.tick_params(axis="x", rotation=30)
        return ax


def _fitted(model: Any, data: pd.DataFrame | np.ndarray) -> Any:
    """``model`` if fitted, else a fresh copy of it fitted on ``data``."""
    if hasattr(model, "params_"):
        return model
    return type(model)(**model.get_params()).fit(data)


def segment_clv(
    summary: Any,
    labels: Any,
    model: Any = None,
    spend_model: Any = None,
    per_segment: bool = False,
    time: int = 12,
    discount_rate: float = 0.01,
    freq: str = "D",
    n_bootstrap: int = 200,
    confidence_level: float = 0.95,
    min_customers: int = 200,
    random_state: Any = None,
    progress: bool | None = None,
) -> SegmentCLV:
    """Expected customer lifetime value, purchases and P(alive) per segment, with
    bootstrap confidence intervals.

    Every customer is priced by a purchase model (BG/NBD by default) and the Gamma-Gamma
    spend model, as :meth:`GammaGammaModel.customer_lifetime_value`; segment means and
    totals then get percentile intervals from ``n_bootstrap`` replicates that resample
    customers with replacement within each segment (in parallel in the Rust core, one
    seeded stream per replicate: the same ``random_state`` gives the same intervals on any
    number of threads). The intervals measure how much a segment's value rests on which
    customers it happens to hold; the models' parameters are held at their estimates.

    Parameters
    ----------
    summary : DataFrame or array
        ``frequency, recency, T, monetary_value`` per customer: the output of
        ``rfm_table(..., convention="btyd")``.
    labels : array-like or Series
        Segment of each customer (any hashable labels): one per row of ``summary``, or a
        Series indexed by customer id covering ``summary``'s index (aligned to it; ids not
        in ``summary`` are ignored, ids of ``summary`` missing from it raise
        :class:`~segwise.exceptions.ShapeMismatchError`).
    model : BetaGeoModel, ParetoNBDModel or ModifiedBetaGeoModel, optional
        The purchase model: fitted (used as is) or not (fitted on all customers, or per
        segment). Default ``BetaGeoModel()``.
    spend_model : GammaGammaModel, optional
        The spend model, likewise. Default ``GammaGammaModel()``.
    per_segment : bool, default False
        Fit both models on each segment's own customers. Segments with fewer than
        ``min_customers`` customers (or fewer than 10 repeat buyers), or whose fit fails or
        does not converge, are priced by the all-customer models, with a warning.
    time : int, default 12
        Horizon in months.
    discount_rate : float, default 0.01
        Monthly discount rate.
    freq : {"D", "W", "M", "H"}, default "D"
        The time unit of ``recency`` and ``T``.
    n_bootstrap : int, default 200
        Bootstrap replicates (0: no intervals).
    confidence_level : float, default 0.95
    min_customers : int, default 200
        Smallest segment fitted on its own with ``per_segment=True``.
    random_state : None, int or numpy Generator
        Seed of the bootstrap.
    progress : bool or None
        Progress bar of the replicates (None: on a terminal or in a notebook).

    Returns
    -------
    SegmentCLV

    Raises
    ------
    NotEnoughSamplesError
        A segment has a single customer (no interval can be drawn from it).

    Examples
    --------
    >>> from segwise.clv import segment_clv
    >>> from segwise.datasets import load_cdnow_summary
    >>> data = load_cdnow_summary()
    >>> buyers = data["frequency"].map(lambda f: "repeat" if f > 0 else "one-off")
    >>> res = segment_clv(data, buyers, freq="W", n_bootstrap=100, random_state=0,
    ...                   progress=False)
    >>> res.table[["customers", "clv", "p_alive"]].round(2)
             customers    clv  p_alive
    segment
    one-off       1411   9.61     1.00
    repeat         946  61.26     0.54
    """
    params = validate_params(locals(), _PARAMS, caller="segment_clv")
    h = check_histories(summary, spend=True, spend_required=True, name="summary")
    n = len(h)
    rows = summary.index if isinstance(summary, pd.DataFrame) else None
    if (
        rows is not None
        and isinstance(labels, pd.Series)
        and not labels.index.equals(rows)
        and labels.index.is_unique
        and rows.isin(labels.index).all()
    ):
        labels = labels.reindex(rows)  # align by customer id (extra ids dropped)
    # Any other Series goes through the one rule (align_to_rows): ids of summary missing
    # from it raise, never a silent match by position.
    enc = encode_labels(labels, n_samples=n, against="summary", rows=rows)
    codes = enc.codes
    segments = pd.Index(enc.uniques, name="segment", tupleize_cols=False)
    k = len(segments)
    sizes = np.bincount(codes, minlength=k)
    if sizes.min() < 2:
        lonely = [segments[i] for i in np.flatnonzero(sizes < 2)]
        raise NotEnoughSamplesError(
            f"segment(s) {lonely} have a single customer: a segment needs at least 2 "
            "customers for a bootstrap interval (merge small segments first)"
        )
    frame = pd.DataFrame(
        {
            "frequency": h.frequency,
            "recency": h.recency,
            "T": h.T,
            "monetary_value": h.monetary_value,
        }
    )
    model = BetaGeoModel() if params["model"] is None else params["model"]
    spend_model = GammaGammaModel() if params["spend_model"] is None else params["spend_model"]
    freq, time = params["freq"], params["time"]
    base = (_fitted(model, frame), _fitted(spend_model, frame))
    models: dict[Any, tuple[Any, GammaGammaModel]] = {"all": base}
    notes: list[str] = []
    priced_by = np.array(["all customers"] * k, dtype=object)
    assignment = [base] * k
    if params["per_segment"]:
        for s in range(k):
            rows = codes == s
            repeat = int((h.frequency[rows] > 0).sum())
            name = segments[s]
            if sizes[s] < params["min_customers"] or repeat < 10:
                notes.append(
                    f"segment {name!r} ({sizes[s]:,} customers, {repeat:,} repeat buyers) is "
                    f"too small to fit on its own (min_customers={params['min_customers']}, "
                    "10 repeat buyers): priced by the all-customer model"
                )
                continue
            part = frame[rows]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", ConvergenceWarning)
                    own = (
                        type(model)(**model.get_params()).fit(part),
                        type(spend_model)(**spend_model.get_params()).fit(part),
                    )
            except (SegwiseError, ConvergenceWarning) as err:
                notes.append(
                    f"segment {name!r}: its own fit failed ({err}); priced by the "
                    "all-customer model"
                )
                continue
            models[name] = own
            assignment[s] = own
            priced_by[s] = "own"
    for note in notes:
        warnings.warn(note, _convergence_warning(), stacklevel=2)

    horizon = time * MONTH_LENGTH[freq]
    values = np.empty((n, 4))
    for s in range(k):
        rows = np.flatnonzero(codes == s)
        buy, spend = assignment[s]
        part = frame.iloc[rows]
        values[rows, 0] = spend.customer_lifetime_value(
            buy, part, time=time, discount_rate=params["discount_rate"], freq=freq
        ).to_numpy()
        values[rows, 1] = buy.conditional_expected_number_of_purchases_up_to_time(
            horizon, part
        ).to_numpy()
        values[rows, 2] = buy.conditional_probability_alive(part).to_numpy()
        values[rows, 3] = spend.conditional_expected_average_profit(part).to_numpy()
    if not np.all(np.isfinite(values)):
        bad = int((~np.isfinite(values)).any(axis=1).sum())
        raise SegwiseError(
            f"the models gave no finite value for {bad:,} customer(s) (a hypergeometric series "
            "did not converge: a horizon very long against the purchase rates?)"
        )

    stats = np.ascontiguousarray(values[:, :3])
    means = np.vstack([stats[codes == s].mean(axis=0) for s in range(k)])
    n_boot = params["n_bootstrap"]
    alpha = 1 - params["confidence_level"]
    lower = np.full_like(means, np.nan)
    upper = np.full_like(means, np.nan)
    if n_boot > 0:
        seed = check_random_state(params["random_state"])
        reps = np.empty((n_boot, k, 3))
        label_codes = np.ascontiguousarray(codes, dtype=np.int32)
        chunk = max(1, -(-n_boot // _N_CHUNKS))
        with _progress(n_boot, "CLV bootstrap", progress_enabled(params["progress"])) as advance:
            for start in range(0, n_boot, chunk):
                end = min(start + chunk, n_boot)
                reps[start:end] = _core.segment_bootstrap_means(
                    stats, label_codes, n_segments=k, seed=seed, start=start, end=end
                )
                advance(end - start)
        lower = np.quantile(reps, alpha / 2, axis=0)
        upper = np.quantile(reps, 1 - alpha / 2, axis=0)

    table = pd.DataFrame(index=segments)
    table["customers"] = sizes
    table["share"] = sizes / n
    for j, stat in enumerate(_STATISTICS):
        table[stat] = means[:, j]
        table[f"{stat}_lower"] = lower[:, j]
        table[f"{stat}_upper"] = upper[:, j]
    for suffix in ("", "_lower", "_upper"):
        table[f"clv_total{suffix}"] = sizes * table[f"clv{suffix}"]
    table["model"] = priced_by
    customers = pd.DataFrame(
        {
            "segment": np.asarray(enc.uniques, dtype=object)[codes],
            "clv": values[:, 0],
            "expected_purchases": values[:, 1],
            "p_alive": values[:, 2],
            "expected_spend": values[:, 3],
        },
        index=h.index,
    )
    return SegmentCLV(
        table=table,
        customers=customers,
        models=models,
        time=time,
        discount_rate=float(params["discount_rate"]),
        freq=freq,
        n_bootstrap=n_boot,
        confidence_level=float(params["confidence_level"]),
        per_segment=bool(params["per_segment"]),
        warnings=notes,
    )
