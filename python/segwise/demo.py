"""The main job, ``segwise demo``: segment the bundled CDNOW customers end to end.

The steps (each a function below, run in order by :func:`run_demo`):

1. CDNOW transactions -> per-customer recency / frequency / monetary (:func:`customer_rfm`).
2. log1p + standard scaling.
3. Choosing k: :func:`segwise.stability.choose_k` (every criterion, a recommended k with
   its reason), then k-means++ with 10 restarts at that k.
4. Stability of the chosen segments: :func:`segwise.stability.bootstrap_stability`.
5. Drift: the same scaling and k-means on each customer's RFM at the end of 1997 vs at the
   end of the log: :func:`segwise.stability.migration_matrix` and :func:`segwise.stability.psi`.
6. Personas: :func:`segwise.profile.profile_segments` with natural words for RFM.
7. Hillstrom: segments from the pre-treatment columns -> per-segment lift of each e-mail.
8. Hillstrom on mixed types: k-prototypes on the numeric and categorical pre-treatment
   columns, personas with categorical shares, the lift of each e-mail per persona
   (:func:`hillstrom_mixed`).

With ``out``: the tables as CSV and ``report.html``, one self-contained page with the
figures (the choose-k curves, stability bars, the migration heat map, the persona heat
map, the lift forest plots). Progress bars show on the long steps.

Examples
--------
>>> from segwise.demo import run_demo
>>> result = run_demo(k_values=[3, 4], verbose=False)
>>> int(result.segments["customers"].sum())
23570
"""

from __future__ import annotations

import dataclasses
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from ._results import PLOT_EXTRA, TEXT_WIDTH, detached_figure, text_table
from .abtest import LiftReport, segment_lift
from .cluster import KMeans, KPrototypes
from .datasets import load_cdnow, load_hillstrom
from .preprocessing import Log1pTransformer, StandardScaler
from .profile import SegmentProfile, profile_segments
from .report import Report
from .stability import (
    ChooseKResult,
    MigrationResult,
    PSIResult,
    StabilityResult,
    bootstrap_stability,
    choose_k,
    migration_matrix,
    psi,
)

FEATURES = ["recency_days", "frequency", "monetary"]

#: Natural words for the RFM features in persona names ("... than average"): (low value,
#: high value).
RFM_DESCRIPTORS = {
    "recency_days": ("more recent", "less recent"),
    "frequency": ("less frequent", "more frequent"),
    "monetary": ("lower spend", "higher spend"),
}

#: Bootstrap resamples for the stability step (fpc's clusterboot uses 100 by default; 50
#: keeps the demo fast and the mean Jaccard's standard error below about 0.02).
N_BOOT = 50

#: The drift comparison: customers as of the end of CDNOW's first year vs the whole log.
FIRST_YEAR_END = pd.Timestamp("1997-12-31")


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What ``run_demo`` computed.

    ``customers`` (RFM + segment per customer), ``k_table`` (one row per k),
    ``segments`` (the segment table of the best k, with the persona name), ``best_k``,
    ``lift`` (Hillstrom), ``profile`` (the personas), ``report_path`` (``out/report.html``
    or None); ``stability`` and ``drift`` stay None until the stability hooks are wired.
    """

    customers: pd.DataFrame
    choice: ChooseKResult
    segments: pd.DataFrame
    best_k: int
    lift: LiftReport
    profile: SegmentProfile
    stability: StabilityResult
    drift: DriftResult
    report_path: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    mixed: MixedSegments | None = None

    @property
    def k_table(self) -> pd.DataFrame:
        """One row per k with every criterion (``choice.table``)."""
        return self.choice.table


HILLSTROM_FEATURES = ["recency", "history", "mens", "womens", "newbie"]


def hillstrom_lift(n_segments: int = 4, random_state: int = 0) -> LiftReport:
    """Segment Hillstrom's customers on pre-treatment columns, then measure each e-mail's lift.

    Customers are clustered with k-means on recency, log1p(history), mens, womens and newbie
    (standardized); each segment gets the lift of "Mens E-Mail" and "Womens E-Mail" against
    "No E-Mail" on visit, conversion and spend, with Benjamini-Hochberg adjusted p-values.

    Examples
    --------
    >>> report = hillstrom_lift(n_segments=3)
    >>> sorted(report.table["metric"].unique())
    ['conversion', 'spend', 'visit']
    """
    df = load_hillstrom()
    features = df[HILLSTROM_FEATURES].astype(float)
    features = Log1pTransformer(columns=["history"]).fit_transform(features)
    scaled = StandardScaler().fit_transform(features)
    labels = KMeans(n_clusters=n_segments, n_init=10, random_state=random_state).fit_predict(scaled)
    # Name segments by their profile: mean past spend rank and new-customer share.
    profile = df.assign(_seg=labels).groupby("_seg")[["history", "newbie"]].mean()
    names = {
        seg: f"S{seg}: ${row.history:,.0f} history, {row.newbie:.0%} new"
        for seg, row in profile.iterrows()
    }
    segmented = df.assign(customer_segment=pd.Series(labels, index=df.index).map(names))
    return segment_lift(
        segmented,
        segment="customer_segment",
        variant="segment",
        control="No E-Mail",
        metrics=["visit", "conversion", "spend"],
    )


#: Hillstrom's pre-treatment columns for the mixed-type segments: two numeric, five
#: categorical (mens, womens and newbie are 0/1 flags, read as yes/no levels).
HILLSTROM_MIXED_NUMERIC = ["recency", "history"]
HILLSTROM_MIXED_CATEGORICAL = ["mens", "womens", "zip_code", "newbie", "channel"]

#: Persona words for the over-represented levels of the flags.
HILLSTROM_WORDS: dict[str, Any] = {
    "mens": {True: "men's line buyers", False: "non-buyers of the men's line"},
    "womens": {True: "women's line buyers", False: "non-buyers of the women's line"},
    "newbie": {True: "new customers", False: "returning customers"},
    "recency": ("more recent", "less recent"),
    "history": ("lower past spend", "higher past spend"),
}


@dataclass(frozen=True, eq=False)
class MixedSegments:
    """Hillstrom's customers segmented on numeric and categorical columns together.

    ``customers`` (the pre-treatment columns, the flags as booleans, ``segment``: "S0",
    "S1", ..., and ``persona``: its name), ``model`` (the fitted
    :class:`~segwise.cluster.KPrototypes`), ``profile``
    (:class:`~segwise.profile.SegmentProfile` with the share and index of each level),
    ``lift`` (each e-mail's lift per persona).
    """

    customers: pd.DataFrame
    model: KPrototypes
    profile: SegmentProfile
    lift: LiftReport

    def summary(self) -> str:
        """The personas, the categorical shares behind them and the lift table."""
        lines = [
            _wrap(
                f"k-prototypes: {self.model.n_clusters} segments, gamma = "
                f"{self.model.gamma_:.3g} per categorical mismatch (on standardized recency "
                "and log1p(history))",
                "",
                "  ",
            )
        ]
        for label, row in self.profile.segments.iterrows():
            lines.append(_wrap(f"S{label}: {row['description']}", "  ", "      "))
        return "\n".join(lines) + "\n\n" + self.lift.summary()


def hillstrom_mixed(n_segments: int = 4, random_state: int = 0) -> MixedSegments:
    """Segment Hillstrom's customers on numeric and categorical columns, then measure lift.

    :class:`~segwise.cluster.KPrototypes` on standardized recency and log1p(history) and
    the categorical mens, womens, zip_code, newbie and channel (gamma by kmodes' rule:
    half the mean standard deviation of the numeric columns); personas from
    :func:`~segwise.profile.profile_segments` (the share and index of each level,
    chi-square tests); each persona's lift of "Mens E-Mail" and "Womens E-Mail" against
    "No E-Mail" on visit, conversion and spend, Benjamini-Hochberg adjusted.

    Examples
    --------
    >>> mixed = hillstrom_mixed(n_segments=3)
    >>> mixed.profile.segments["size"].sum()
    np.int64(64000)
    >>> sorted(mixed.lift.table["metric"].unique())
    ['conversion', 'spend', 'visit']
    """
    df = load_hillstrom()
    flags = {c: df[c].astype(bool) for c in ("mens", "womens", "newbie")}
    table = df[HILLSTROM_MIXED_NUMERIC + HILLSTROM_MIXED_CATEGORICAL].assign(**flags)
    numeric = Log1pTransformer(columns=["history"]).fit_transform(table[HILLSTROM_MIXED_NUMERIC])
    X = pd.concat(
        [StandardScaler().fit_transform(numeric), table[HILLSTROM_MIXED_CATEGORICAL]], axis=1
    )
    model = KPrototypes(n_segments, n_init=4, random_state=random_state).fit(X)
    profile = profile_segments(
        table,
        model.labels_,
        categorical=HILLSTROM_MIXED_CATEGORICAL,
        descriptors=HILLSTROM_WORDS,
        name_terms=3,
    )
    # Short segment ids in the lift table ("S0"...); the summary lists their personas.
    short = pd.Series(model.labels_, index=df.index).map(lambda seg: f"S{seg}")
    persona = pd.Series(model.labels_, index=df.index).map(profile.segments["name"])
    lift = segment_lift(
        df.assign(persona=short),
        segment="persona",
        variant="segment",
        control="No E-Mail",
        metrics=["visit", "conversion", "spend"],
    )
    return MixedSegments(table.assign(segment=short, persona=persona), model, profile, lift)


def customer_rfm(transactions: pd.DataFrame, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per-customer recency (days before ``end``), frequency and monetary value.

    Frequency counts distinct purchase days (the first one included); monetary is the total
    spend. Indexed by ``customer_id``. ``end`` defaults to the log's last day; with an
    earlier ``end`` only the purchases up to that day count (a snapshot in time).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": pd.to_datetime(["2020-01-01", "2020-01-05", "2020-01-03"]),
    ...                    "dollar_value": [10.0, 5.0, 7.0]})
    >>> customer_rfm(tx)
                 recency_days  frequency  monetary
    customer_id
    a                       0          2      15.0
    b                       2          1       7.0
    """
    if end is None:
        end = transactions["date"].max()
    else:
        transactions = transactions[transactions["date"] <= end]
    grouped = transactions.groupby("customer_id", sort=True)
    return pd.DataFrame(
        {
            "recency_days": (end - grouped["date"].max()).dt.days,
            "frequency": grouped["date"].nunique(),
            "monetary": grouped["dollar_value"].sum(),
        }
    )


def _segment_table(customers: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    grouped = customers[FEATURES].groupby(labels)
    table = grouped.mean().add_prefix("mean_")
    table.insert(0, "share", grouped.size() / len(customers))
    table.insert(0, "customers", grouped.size())
    table["median_monetary"] = grouped["monetary"].median()
    table.index.name = "segment"
    return table


def _named_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """The segment table for reading: indexed by persona name, the means rounded."""
    table = segments.set_index("persona").drop(columns="median_monetary")
    table.index.name = None
    table.columns = [c.removeprefix("mean_").removesuffix("_days") for c in table.columns]
    return table


def _wrap(text: str, first: str, rest: str) -> str:
    """``text`` wrapped at the terminal width the summaries use."""
    return textwrap.fill(text, TEXT_WIDTH, initial_indent=first, subsequent_indent=rest)


# ----------------------------------------------------------------------------- the steps


@dataclass
class _Pipeline:
    """The fitted transformers, so a later snapshot (first year) is scaled the same way."""

    log: Log1pTransformer
    scaler: StandardScaler

    def transform(self, customers: pd.DataFrame) -> pd.DataFrame:
        return self.scaler.transform(self.log.transform(customers[FEATURES]))


def _step_scale(customers: pd.DataFrame) -> tuple[pd.DataFrame, _Pipeline]:
    log = Log1pTransformer().fit(customers[FEATURES])
    scaler = StandardScaler().fit(log.transform(customers[FEATURES]))
    pipe = _Pipeline(log, scaler)
    return pipe.transform(customers), pipe


def _step_choose_k(
    scaled: pd.DataFrame, k_values: Sequence[int], random_state: int, show: bool | None
) -> tuple[ChooseKResult, KMeans]:
    """Every criterion for every k (:func:`segwise.stability.choose_k`), then the final
    k-means++ fit with 10 restarts at the recommended k."""
    choice = choose_k(scaled, k_values, random_state=random_state, progress=show)
    model = KMeans(n_clusters=choice.recommended_k, n_init=10, random_state=random_state)
    return choice, model.fit(scaled)


def _value_order(customers: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """``rank[label]``: 0 for the segment with the highest mean spend, and so on."""
    order = np.argsort(-customers.groupby(labels)["monetary"].mean().to_numpy())
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank


def _step_stability(
    scaled: pd.DataFrame, model: KMeans, random_state: int, show: bool | None
) -> StabilityResult:
    """Hennig's clusterboot on the chosen segments: 50 bootstrap refits of the same model."""
    return bootstrap_stability(
        scaled, model, n_boot=N_BOOT, random_state=random_state, progress=show
    )


def _relabel_stability(stab: StabilityResult, rank: np.ndarray) -> StabilityResult:
    """The stability result with segment ``i`` renamed ``rank[i]`` (the value order)."""
    order = np.argsort(rank)  # order[new id] = old id
    labels = stab.labels
    new_labels = labels.map(lambda v: rank[v]) if isinstance(labels, pd.Series) else rank[labels]
    return dataclasses.replace(
        stab,
        table=stab.table.rename(index=lambda v: int(rank[v])).sort_index(),
        jaccard=stab.jaccard[:, order],
        labels=new_labels,
    )


@dataclass(frozen=True, eq=False)
class DriftResult:
    """Segments at :data:`FIRST_YEAR_END` against the end of the log.

    ``migration`` (who moved where), ``psi_segments`` (population stability of the segment
    shares) and ``psi_features`` (of each RFM feature, decile bins of the first year).
    """

    migration: MigrationResult
    psi_segments: PSIResult
    psi_features: PSIResult

    def summary(self) -> str:
        """Plain text: the migration summary and both PSI tables."""
        return "\n".join(
            [
                self.migration.summary(),
                "",
                "Population stability index (first year = reference):",
                self.psi_segments.summary(),
                self.psi_features.summary(),
            ]
        )


def _step_drift(
    first_year: pd.DataFrame, first_year_segments: np.ndarray, customers: pd.DataFrame
) -> DriftResult:
    """Segment migration between the end of 1997 and the end of the log, and the PSI.

    ``first_year`` is the RFM snapshot at :data:`FIRST_YEAR_END` (every CDNOW customer
    bought first in Q1 1997, so all are in it), ``first_year_segments`` its segments from
    the same fitted scaling and k-means (value-ordered ids, as ``customers["segment"]``).
    """
    before = pd.Series(first_year_segments, index=first_year.index, name="segment")
    return DriftResult(
        migration=migration_matrix(before, customers["segment"]),
        psi_segments=psi(before, customers["segment"]),
        psi_features=psi(first_year[FEATURES], customers[FEATURES]),
    )


def _step_personas(customers: pd.DataFrame) -> SegmentProfile:
    return profile_segments(
        customers, "segment", FEATURES, descriptors=RFM_DESCRIPTORS, name_terms=3
    )


# ----------------------------------------------------------------------------- outputs


def _write_csvs(out: Path, result: DemoResult) -> list[str]:
    tables: dict[str, tuple[pd.DataFrame, bool]] = {
        "customers.csv": (result.customers, True),
        "choose_k.csv": (result.k_table, True),
        "segments.csv": (result.segments, True),
        "hillstrom_lift.csv": (result.lift.table, False),
    }
    tables["profile.csv"] = (result.profile.table, False)
    tables["stability.csv"] = (result.stability.table, True)
    tables["migration.csv"] = (result.drift.migration.tidy, False)
    psi_table = pd.concat([result.drift.psi_segments.table, result.drift.psi_features.table])
    tables["psi.csv"] = (psi_table, False)
    if result.mixed is not None:
        tables["hillstrom_mixed_profile.csv"] = (result.mixed.profile.table, False)
        tables["hillstrom_mixed_lift.csv"] = (result.mixed.lift.table, False)
    for name, (table, with_index) in tables.items():
        table.to_csv(out / name, index=with_index)
    return list(tables)


def _small_multiples(rep: Report, plot: Callable[..., Any], caption: str) -> None:
    """Panels drawn by a result's ``plot(ax=figure)`` (it sizes the figure) into the report."""
    fig = detached_figure()
    if fig is None:
        rep.figure(lambda ax: None, caption=caption)  # the report's "no matplotlib" note
        return
    plot(ax=fig)
    rep.figure(fig, caption=caption)


def _named_migration(mig: MigrationResult, names: dict[Any, str]) -> MigrationResult:
    """The migration result with persona names for the segment numbers."""
    return dataclasses.replace(
        mig,
        counts=mig.counts.rename(index=names, columns=names),
        shares=mig.shares.rename(index=names, columns=names),
        retention=mig.retention.rename(index=names),
    )


def _build_report(result: DemoResult, context: dict[str, Any]) -> Report:
    rep = Report("segwise demo: CDNOW customer segments", subtitle=context["headline"])
    rep.section("Overview").text(
        "Per-customer recency (days since the last purchase), frequency (distinct purchase "
        "days) and monetary value (total spend) from the CDNOW transaction log; log1p and "
        "standard scaling; every criterion for choosing k; k-means++ with 10 restarts at "
        "the recommended k; bootstrap stability of each segment; migration and population "
        "stability between the end of 1997 and the end of the log; personas from the "
        "segment profiles; then, on Hillstrom's e-mail test, the lift of each e-mail per "
        "customer segment."
    )
    rep.table(
        pd.Series(result.timings, name="seconds").rename_axis("step").to_frame(),
        caption="Time per step",
        float_format="{:.2f}",
    )

    choice = result.choice
    rep.section("Choosing k")
    rep.html(choice._repr_html_())  # the reason, the per-k table, which way is better
    _small_multiples(
        rep,
        choice.plot,
        "Each criterion against k; the panel titles say which way is better. Dashed line: "
        "the recommended k; red cross: the knee of the inertia curve (Kneedle, where more "
        "segments stop paying); dotted green line: the 0.8 stability threshold",
    )

    prof = result.profile
    names = prof.segments["name"].to_dict()
    rep.section("Segments and personas")
    rep.html(prof._repr_html_())  # the personas, the means table and the notes
    rep.figure(
        lambda ax: prof.plot(ax=ax),
        caption="Standardized difference of each segment's mean from the "
        "population (red above, blue below); cells show the segment means",
        figsize=(7.5, 0.6 * len(prof.segments) + 1.8),
    )
    rep.table(result.segments.set_index("persona"), caption="Segments, highest mean spend first")

    stab = result.stability
    rep.section("Are the segments stable?")
    rep.text(
        f"Hennig's clusterboot: {stab.n_boot} bootstrap resamples (duplicates dropped), "
        "k-means refitted on each; per segment the mean Jaccard similarity with its best "
        "match. Below 0.6 a segment is not trustworthy, 0.6-0.75 doubtful, from 0.75 "
        "stable, from 0.85 highly stable."
    )
    named_stab = dataclasses.replace(stab, table=stab.table.rename(index=names))
    rep.table(named_stab.table, caption="Bootstrap stability per segment", float_format="{:.3f}")
    rep.figure(
        lambda ax: named_stab.plot(ax=ax),
        caption="Mean Jaccard per segment; the vertical lines are Hennig's thresholds "
        "(0.6 doubtful from there, 0.75 stable, 0.85 highly stable)",
        figsize=(7.5, 0.5 * len(stab.table) + 1.8),
    )

    drift = result.drift
    mig = _named_migration(drift.migration, names)
    rep.section("Segments over time: end of 1997 vs end of the log")
    rep.text(
        f"The same scaling and k-means applied to each customer's RFM as of "
        f"{FIRST_YEAR_END:%Y-%m-%d} and at the end of the log. Overall "
        f"{mig.overall_retention:.1%} of customers stayed in their segment."
    )
    rep.table(mig.counts, caption="Customers by segment: end of 1997 (rows) -> end of log")
    rep.figure(lambda ax: mig.plot(ax=ax), caption="Migration (row shares)", figsize=(9.0, 4.5))
    psi_table = pd.concat([drift.psi_segments.table, drift.psi_features.table])
    rep.table(
        psi_table,
        index=False,
        caption="Population stability index (first year = reference): the rule of thumb "
        "and Yurdakul & Naranjo's test against the 5% critical value",
        columns=["feature", "psi", "critical_value_05", "rule_of_thumb", "statistical"],
    )

    lift = result.lift
    rep.section("Hillstrom e-mail test: lift per customer segment")
    rep.text(
        "Customers segmented with k-means on the pre-treatment columns (recency, "
        "log1p(history), mens, womens, newbie); each segment's relative lift of the Mens "
        "and Womens e-mails against no e-mail, with Benjamini-Hochberg adjusted p-values. "
        "The intervals are at the level Benjamini-Hochberg decides at and invert each "
        "row's own test (Koopman's interval for the visit and conversion rates, Fieller's "
        "with Welch's degrees of freedom for spend): a row is significant exactly when its "
        "interval excludes 0."
    )
    rep.html(lift._repr_html_())  # the summary table and the warnings
    for metric in ("visit", "conversion", "spend"):
        n_rows = int((lift.table["metric"] == metric).sum())
        rep.figure(
            lambda ax, m=metric: lift.plot(m, ax=ax),
            caption=f"Relative lift of {metric} with its Benjamini-Hochberg-adjusted interval "
            "(red: significant, and exactly those intervals exclude 0)",
            figsize=(7.5, 0.35 * n_rows + 1.4),
        )
    if result.mixed is not None:
        _mixed_report(rep, result.mixed)
    return rep


def _mixed_report(rep: Report, mixed: MixedSegments) -> None:
    prof = mixed.profile
    rep.section("Hillstrom on numeric and categorical columns: k-prototypes personas")
    rep.text(
        "Customers segmented with k-prototypes on standardized recency and log1p(history) "
        "and the categorical mens, womens, zip_code, newbie and channel, with no one-hot "
        f"encoding: squared distance plus gamma = {mixed.model.gamma_:.3g} per categorical "
        "mismatch. Each persona shows its over-represented levels; the index is the "
        "segment's share of a level over the whole base's share x 100."
    )
    rep.html(prof._repr_html_())
    for feature in prof.tests.index:
        rep.table(
            prof.shares(feature, "index"),
            caption=f"{feature}: index of each level per segment (100 = as in the whole base)",
            float_format="{:.0f}",
        )
    rep.html(mixed.lift._repr_html_())


def run_demo(
    out: str | os.PathLike[str] | None = None,
    k_values: Sequence[int] = (2, 3, 4, 5, 6, 7, 8),
    random_state: int = 0,
    verbose: bool = True,
    stream: TextIO | None = None,
    progress: bool | None = None,
) -> DemoResult:
    """Run the CDNOW segmentation pipeline; print a summary and optionally save a report.

    Parameters
    ----------
    out : path, optional
        Directory to write ``customers.csv``, ``choose_k.csv``, ``segments.csv``,
        ``stability.csv``, ``migration.csv``, ``psi.csv``, ``profile.csv``,
        ``hillstrom_lift.csv``, ``hillstrom_mixed_profile.csv``,
        ``hillstrom_mixed_lift.csv`` and ``report.html`` into (created if needed).
    k_values : sequence of int
        Numbers of segments to compare with :func:`segwise.stability.choose_k`; its
        recommended k is used.
    random_state : int
        Seed for k-means++.
    verbose : bool
        Print the summary.
    stream : file-like, optional
        Where to print (default: standard output).
    progress : bool, optional
        Progress bars on the long steps (default: only on a terminal or in a notebook).

    Returns
    -------
    DemoResult
    """
    stream = stream or sys.stdout
    show = progress if verbose else False

    def say(text: str = "") -> None:
        if verbose:
            print(text, file=stream, flush=True)

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    clock = [t0]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = now - clock[0]
        clock[0] = now

    steps = 7
    say(f"[1/{steps}] CDNOW transactions -> recency, frequency, monetary per customer")
    transactions = load_cdnow()
    customers = customer_rfm(transactions)
    headline = (
        f"CDNOW: {len(transactions):,} purchases by {len(customers):,} customers, "
        f"{transactions['date'].min():%Y-%m-%d} to {transactions['date'].max():%Y-%m-%d}"
    )
    say(f"      {headline}")
    scaled, pipe = _step_scale(customers)
    lap("data and scaling")

    say(
        f"[2/{steps}] Choosing k among {list(k_values)}: inertia and knee, silhouette, "
        "Calinski-Harabasz,\n      Davies-Bouldin, gap, prediction strength, bootstrap ARI"
    )
    choice, model = _step_choose_k(scaled, k_values, random_state, show)
    best_k = choice.recommended_k
    lap("choosing k")
    say(choice.summary())

    # Segment ids by value: 0 = highest mean spend.
    rank = _value_order(customers, model.labels_)
    customers = customers.assign(segment=rank[model.labels_])

    # The personas come before the other steps so that these can name the segments.
    say(f"\n[3/{steps}] Personas of the {best_k} segments, by mean spend")
    profile = _step_personas(customers)
    segments = _segment_table(customers, customers["segment"].to_numpy())
    segments.insert(0, "persona", profile.segments["name"].reindex(segments.index))
    names = profile.segments["name"].to_dict()
    lap("personas")
    for label, row in profile.segments.iterrows():
        say(_wrap(f"{label}: {row['description']}", "  ", "     "))
    say("")
    say(text_table(_named_segments(segments)))

    say(f"\n[4/{steps}] Bootstrap stability of the {best_k} segments ({N_BOOT} resamples)")
    stability = _relabel_stability(_step_stability(scaled, model, random_state, show), rank)
    say(text_table(stability.table.rename(index=names)[["size", "mean_jaccard", "verdict"]]))
    say(
        "Hennig's scale: < 0.6 not trustworthy, 0.6-0.75 doubtful, from 0.75 stable, "
        "from 0.85 highly stable."
    )
    lap("stability")

    say(f"\n[5/{steps}] Drift: segments at {FIRST_YEAR_END:%Y-%m-%d} vs at the end of the log")
    first_year = customer_rfm(transactions, end=FIRST_YEAR_END)
    first_year_segments = rank[model.predict(pipe.transform(first_year))]
    drift = _step_drift(first_year, first_year_segments, customers)
    say(_wrap("Segments: " + "; ".join(f"{k} = {v}" for k, v in names.items()), "", "  "))
    say(drift.summary())
    lap("drift")

    say(
        f"\n[6/{steps}] Hillstrom e-mail test: segments from pre-treatment columns, "
        "lift of each e-mail"
    )
    lift = hillstrom_lift(random_state=random_state)
    lap("Hillstrom lift")
    say(lift.summary())

    say(
        f"\n[7/{steps}] Hillstrom on numeric and categorical columns: k-prototypes personas,\n"
        "      lift of each e-mail per persona"
    )
    mixed = hillstrom_mixed(random_state=random_state)
    lap("Hillstrom mixed")
    say(mixed.summary())

    result = DemoResult(
        customers,
        choice,
        segments,
        best_k,
        lift,
        profile,
        stability,
        drift,
        timings=timings,
        mixed=mixed,
    )
    if out is not None:
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = _write_csvs(out_dir, result)
        report = _build_report(result, {"headline": headline})
        lap("report")
        path = report.write(out_dir / "report.html")
        result = dataclasses.replace(result, report_path=path)
        say()
        say(_wrap(f"Wrote {', '.join(written)} and report.html to {out_dir}", "", "  "))
        if report.figures_omitted:
            say(
                f"Note: matplotlib is not installed, so report.html has its tables but none of "
                f"its {report.figures_omitted} figures\n      ({PLOT_EXTRA} adds them)."
            )
    say(f"\nDone in {time.perf_counter() - t0:.1f} s on {_threads()} thread(s).")
    return result


def _threads() -> int:
    from ._core import current_num_threads

    return current_num_threads()
