"""The main job, ``segwise demo``: segment the bundled CDNOW customers end to end.

CDNOW: transactions -> per-customer recency / frequency / monetary -> log1p + standard
scaling -> k-means for several k -> silhouette -> the segment table of the best k.
Hillstrom: segments from the pre-treatment columns -> per-segment lift of each e-mail.

Examples
--------
>>> from segwise.demo import run_demo
>>> result = run_demo(k_values=[3], verbose=False)
>>> int(result.segments["customers"].sum())
23570
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import pandas as pd

from .abtest import LiftReport, segment_lift
from .cluster import KMeans
from .datasets import load_cdnow, load_hillstrom
from .metrics import silhouette_score
from .preprocessing import Log1pTransformer, StandardScaler

FEATURES = ["recency_days", "frequency", "monetary"]


@dataclass(frozen=True)
class DemoResult:
    """What ``run_demo`` computed: the per-customer table, the k comparison, the segments."""

    customers: pd.DataFrame
    k_table: pd.DataFrame
    segments: pd.DataFrame
    best_k: int
    lift: LiftReport


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
    labels = KMeans(n_clusters=n_segments, n_init=10, random_state=random_state).fit_predict(
        scaled
    )
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


def customer_rfm(transactions: pd.DataFrame) -> pd.DataFrame:
    """Per-customer recency (days before the log's last day), frequency and monetary value.

    Frequency counts distinct purchase days (the first one included); monetary is the total
    spend. Indexed by ``customer_id``.

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
    end = transactions["date"].max()
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


def run_demo(
    out: str | os.PathLike[str] | None = None,
    k_values: Sequence[int] = (2, 3, 4, 5, 6),
    random_state: int = 0,
    verbose: bool = True,
    stream: TextIO | None = None,
) -> DemoResult:
    """Run the CDNOW segmentation pipeline and print (and optionally save) its tables.

    Parameters
    ----------
    out : path, optional
        Directory to write ``customers.csv``, ``choose_k.csv`` and ``segments.csv`` into.
    k_values : sequence of int
        Numbers of segments to compare; the one with the highest silhouette wins.
    random_state : int
        Seed for k-means++.
    verbose : bool
        Print the summary.
    stream : file-like, optional
        Where to print (default: standard output).

    Returns
    -------
    DemoResult
    """
    stream = stream or sys.stdout

    def say(text: str = "") -> None:
        if verbose:
            print(text, file=stream, flush=True)

    t0 = time.perf_counter()
    transactions = load_cdnow()
    customers = customer_rfm(transactions)
    say(
        f"CDNOW: {len(transactions):,} purchases by {len(customers):,} customers, "
        f"{transactions['date'].min():%Y-%m-%d} to {transactions['date'].max():%Y-%m-%d}"
    )
    scaled = StandardScaler().fit_transform(Log1pTransformer().fit_transform(customers[FEATURES]))

    rows = []
    models = {}
    for k in k_values:
        model = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(scaled)
        models[k] = model
        rows.append(
            {
                "k": k,
                "inertia": model.inertia_,
                "silhouette": silhouette_score(scaled, model.labels_),
                "smallest_share": np.bincount(model.labels_).min() / len(customers),
            }
        )
    k_table = pd.DataFrame(rows).set_index("k")
    best_k = int(k_table["silhouette"].idxmax())
    say("\nChoosing k (log1p + standard scaling, k-means++, 10 restarts):")
    say(k_table.to_string(float_format=lambda v: f"{v:,.3f}"))

    # Name segments by value: 0 = highest mean spend.
    labels = models[best_k].labels_
    order = np.argsort(-customers.groupby(labels)["monetary"].mean().to_numpy())
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    customers = customers.assign(segment=rank[labels])
    segments = _segment_table(customers, customers["segment"].to_numpy())
    say(f"\nSegments for k = {best_k} (highest silhouette), by mean spend:")
    say(segments.to_string(float_format=lambda v: f"{v:,.2f}"))

    if out is not None:
        os.makedirs(out, exist_ok=True)
        customers.to_csv(os.path.join(out, "customers.csv"))
        k_table.to_csv(os.path.join(out, "choose_k.csv"))
        segments.to_csv(os.path.join(out, "segments.csv"))
        say(f"\nWrote customers.csv, choose_k.csv, segments.csv (and hillstrom_lift.csv) to {out}")
    say("\nHillstrom e-mail test: segments from pre-treatment columns, lift of each e-mail")
    lift = hillstrom_lift(random_state=random_state)
    say(lift.summary())
    if out is not None:
        lift.table.to_csv(os.path.join(out, "hillstrom_lift.csv"), index=False)
    say(f"\nDone in {time.perf_counter() - t0:.1f} s on {_threads()} thread(s).")
    return DemoResult(customers, k_table, segments, best_k, lift)


def _threads() -> int:
    from ._core import current_num_threads

    return current_num_threads()
