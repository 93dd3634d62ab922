"""The Spark recipe of docs/spark.md: its functions run on pandas chunks (always) and on a
local Spark session (when pyspark is installed), and give the in-memory results."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from segwise.abtest import segment_lift
from segwise.cluster import KMeans
from segwise.exceptions import InvalidParameterError
from segwise.stability import psi

DOC = Path(__file__).resolve().parents[1] / "docs" / "spark.md"


def recipe():
    """The recipe's functions, executed from the document itself."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace


def map_in_pandas(chunks, fn):
    """What Spark's mapInPandas does, one partition at a time."""
    return pd.concat([out for chunk in chunks for out in fn(iter([chunk]))], ignore_index=True)


def split(df, n):
    """``n`` consecutive chunks of a DataFrame (Spark partitions)."""
    cuts = np.linspace(0, len(df), n + 1).astype(int)
    return [df.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def experiment(n=5000):
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            "segment": rng.choice(["a", "b", "c"], n),
            "variant": rng.choice(["A", "B"], n),
            "buy": rng.integers(0, 2, n),
            "spend": rng.gamma(2.0, 20.0, n),
        }
    )


def test_lift_recipe_equals_segment_lift():
    r = recipe()
    df = experiment()
    chunks = [df.iloc[i : i + 1300] for i in range(0, len(df), 1300)]
    partials = map_in_pandas(
        chunks, lambda it: r["lift_partials"](it, "segment", "variant", ["buy", "spend"])
    )
    got = r["finish_lift"](partials, control="A").table
    want = segment_lift(
        df, segment="segment", variant="variant", control="A", metrics=["buy", "spend"]
    ).table
    num = want.select_dtypes("number").columns
    np.testing.assert_allclose(got[num].to_numpy(float), want[num].to_numpy(float), rtol=1e-10)
    assert got["kind"].tolist() == want["kind"].tolist()


def psi_samples():
    """A reference and a current sample of one feature (a NaN in the current one), the
    in-memory psi and its interior edges."""
    rng = np.random.default_rng(12)
    ref = pd.DataFrame({"spend": rng.gamma(2.0, 20.0, 4000)})
    cur = pd.DataFrame({"spend": rng.gamma(2.2, 20.0, 3000)})
    cur.loc[5, "spend"] = np.nan
    want = psi(ref, cur)
    edges = want.bins["upper"].to_numpy()[: want.table.loc[0, "n_bins"] - 2]
    return ref, cur, want, edges


def blobs():
    """Three blobs, the in-memory Lloyd fit from the first three rows and those rows."""
    rng = np.random.default_rng(13)
    x = np.vstack([rng.normal(c, 1.0, (700, 2)) for c in (0.0, 6.0, 12.0)])
    init = x[[0, 1, 2]]
    want = KMeans(3, init=init, algorithm="lloyd", tol=0.0).fit(x)
    return pd.DataFrame(x, columns=["a", "b"]), init, want


def test_psi_recipe_equals_psi():
    r = recipe()
    ref, cur, want, edges = psi_samples()
    counts = pd.concat(
        [
            map_in_pandas(
                split(ref, 3), lambda it: r["bin_partials"](it, "spend", edges, "reference")
            ),
            map_in_pandas(
                split(cur, 2), lambda it: r["bin_partials"](it, "spend", edges, "current")
            ),
        ]
    )
    got = r["finish_psi"](counts, edges, "spend")
    assert got.table.loc[0, "psi"] == want.table.loc[0, "psi"]
    np.testing.assert_array_equal(got.bins["reference_count"], want.bins["reference_count"])
    np.testing.assert_array_equal(got.bins["current_count"], want.bins["current_count"])


def test_kmeans_recipe_equals_kmeans():
    r = recipe()
    df, init, want = blobs()
    centers = init.copy()
    for _ in range(300):
        partials = map_in_pandas(
            split(df, 4), lambda it, c=centers: r["lloyd_partials"](it, ["a", "b"], c)
        )
        centers, shift = r["finish_lloyd"](partials, centers)
        if shift == 0.0:
            break
    np.testing.assert_allclose(centers, want.cluster_centers_, rtol=1e-12)
    # An empty cluster without the farthest rows is a clear error, not a silent answer.
    with pytest.raises(InvalidParameterError, match="empty"):
        r["kmeans_update"](np.zeros((2, 2)), np.array([3.0, 0.0]), np.zeros((2, 2)))


@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="pyspark not installed")
# pyspark 4.3 warns that it does not fully support pandas >= 3 (segwise's test
# environment), and its Arrow conversion calls pandas APIs that pandas 3 deprecates: those
# warnings come from pyspark's own code; the recipe's results are checked below.
@pytest.mark.filterwarnings("ignore::FutureWarning:pyspark")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark")
def test_recipe_on_a_local_spark_session():
    """The three parts of docs/spark.md's "Driving it from Spark", with mapInPandas on a
    real local session: the lift report, PSI counts, and Lloyd iterations."""
    from pyspark.sql import SparkSession

    r = recipe()
    spark = SparkSession.builder.master("local[2]").appName("segwise").getOrCreate()
    try:
        df = experiment(2000)
        sdf = spark.createDataFrame(df).repartition(3)
        schema = (
            "segment string, variant string, metric string, kind string, n double, "
            "sum double, sum_sq double, sum_x double, sum_x_sq double, sum_xy double, "
            "n_nan double"
        )
        partials = sdf.mapInPandas(
            lambda it: r["lift_partials"](it, "segment", "variant", ["buy", "spend"]), schema
        ).toPandas()
        got = r["finish_lift"](partials, control="A").table
        want = segment_lift(
            df, segment="segment", variant="variant", control="A", metrics=["buy", "spend"]
        ).table
        num = want.select_dtypes("number").columns
        np.testing.assert_allclose(got[num].to_numpy(float), want[num].to_numpy(float), rtol=1e-10)

        ref, cur, want_psi, edges = psi_samples()
        schema = "sample string, bin long, count long"
        counts = pd.concat(
            [
                spark.createDataFrame(frame)
                .repartition(parts)
                .mapInPandas(lambda it, s=sample: r["bin_partials"](it, "spend", edges, s), schema)
                .toPandas()
                for frame, parts, sample in ((ref, 3, "reference"), (cur, 2, "current"))
            ]
        )
        got_psi = r["finish_psi"](counts, edges, "spend")
        # Integer counts summed in any order: the same PSI to the last bit.
        assert got_psi.table.loc[0, "psi"] == want_psi.table.loc[0, "psi"]
        np.testing.assert_array_equal(got_psi.bins["current_count"], want_psi.bins["current_count"])

        df, centers, want_km = blobs()
        sdf = spark.createDataFrame(df).repartition(4).cache()
        schema = "sums array<double>, weights array<double>, cost double"
        for _ in range(300):
            partials = sdf.mapInPandas(
                lambda it, c=centers: r["lloyd_partials"](it, ["a", "b"], c), schema
            ).toPandas()
            centers, shift = r["finish_lloyd"](partials, centers)
            if shift == 0.0:
                break
        # Sums over Spark's partitions, added in another order than in memory.
        np.testing.assert_allclose(centers, want_km.cluster_centers_, rtol=1e-12)
    finally:
        spark.stop()
