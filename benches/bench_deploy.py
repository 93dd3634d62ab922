"""Benchmark segwise.deploy: real-time assignment and in-database scoring, same run.

* ``SegmentModel.predict_one(dict)`` and ``predict`` of a one-row DataFrame (log1p +
  standard scaling + k-means, 12 features, k = 8) against scikit-learn's
  ``KMeans.predict`` on a one-row array (no preprocessing) and a scikit-learn
  ``Pipeline`` (FunctionTransformer(log1p) + StandardScaler + KMeans) on the one-row
  DataFrame. Microseconds per call, median of many calls.
* ``to_sql`` run in DuckDB on N customers (default 10,000,000; ``--quick`` 200,000)
  against segwise's ``predict`` on the same data already in memory, and against pulling
  the table into pandas first (``con.execute("SELECT *").df()`` + ``predict``). Every
  row checks that the answers agree (share of equal labels).
* The same for a mixed-type model (k-prototypes on 6 numeric and 3 text columns, k = 6):
  its SQL (squared differences plus gamma times the mismatches) in DuckDB against
  ``predict`` in memory and against pulling the table into pandas first; and one customer
  through ``predict_one`` against the fitted ``KPrototypes.predict`` of a one-row
  DataFrame.

Usage: ``python benches/bench_deploy.py [--quick] [--repeat N]``
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from _common import best_time, machine, parse_args, print_table
from segwise.cluster import KMeans
from segwise.deploy import SegmentModel, to_sql
from segwise.preprocessing import Log1pTransformer, StandardScaler


def per_call_us(fn: Any, calls: int) -> float:
    """Median time of one call over ``calls`` calls, in microseconds."""
    times = np.empty(calls)
    for i in range(calls):
        t = time.perf_counter()
        fn()
        times[i] = time.perf_counter() - t
    return float(np.median(times) * 1e6)


def main() -> None:
    args = parse_args(__doc__ or "")
    import duckdb
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.preprocessing import StandardScaler as SkStandardScaler

    print(machine())
    d, k = 12, 8
    n_fit = 20_000
    rng = np.random.default_rng(0)
    cols = [f"f{j}" for j in range(d)]
    X = pd.DataFrame(rng.gamma(2.0, 30.0, size=(n_fit, d)), columns=cols)
    steps = [Log1pTransformer(), StandardScaler()]
    Z = X
    for s in steps:
        Z = s.fit_transform(Z)
    km = KMeans(n_clusters=k, random_state=0).fit(Z)
    model = SegmentModel.from_estimator([*steps, km], X=X)
    sk_pipe = make_pipeline(
        FunctionTransformer(np.log1p), SkStandardScaler(), SkKMeans(k, random_state=0, n_init=1)
    ).fit(X)
    sk_km = sk_pipe[-1]
    calls = 1_000 if args.quick else 5_000
    one = X.iloc[[123]]
    as_dict = one.iloc[0].to_dict()
    one_arr = np.ascontiguousarray(sk_pipe[:-1].transform(one))
    t_one = per_call_us(lambda: model.predict_one(as_dict), calls)
    t_row = per_call_us(lambda: model.predict(one), calls)
    t_sk = per_call_us(lambda: sk_km.predict(one_arr), calls)
    t_pipe = per_call_us(lambda: sk_pipe.predict(one), calls)
    rows = [
        {
            "what": "segwise predict_one(dict), with preprocessing",
            "us_per_call": t_one,
            "vs sklearn KMeans.predict": t_sk / t_one,
            "vs sklearn Pipeline": t_pipe / t_one,
        },
        {
            "what": "segwise predict(1-row DataFrame), with preprocessing",
            "us_per_call": t_row,
            "vs sklearn KMeans.predict": t_sk / t_row,
            "vs sklearn Pipeline": t_pipe / t_row,
        },
        {
            "what": "sklearn KMeans.predict(1-row array), no preprocessing",
            "us_per_call": t_sk,
            "vs sklearn KMeans.predict": 1.0,
            "vs sklearn Pipeline": t_pipe / t_sk,
        },
        {
            "what": "sklearn Pipeline.predict(1-row DataFrame)",
            "us_per_call": t_pipe,
            "vs sklearn KMeans.predict": t_sk / t_pipe,
            "vs sklearn Pipeline": 1.0,
        },
    ]
    print_table(
        f"One customer, {d} features, k = {k} (median of {calls} calls; ratio > 1: segwise faster)",
        rows,
    )

    n = 200_000 if args.quick else 10_000_000
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE customers AS SELECT i AS customer_id, "
        + ", ".join(f"-30.0 * ln(1 - random()) * 2 AS {c}" for c in cols)
        + f" FROM range({n}) t(i)"
    )
    rows = score_in_database(con, model, "customers", args.repeat)
    print_table(
        f"Scoring {n:,} customers ({d} features, k = {k}); ratio > 1: faster than "
        "pulling the table into pandas",
        rows,
    )
    bench_mixed(args, con, n)


def score_in_database(con: Any, model: Any, table: str, repeat: int) -> list[dict[str, Any]]:
    """The table scored by the generated SQL in DuckDB, by ``predict`` on the data already
    in memory, and by pulling it into pandas first; the share of equal labels."""
    sql = to_sql(model, "duckdb", table=table, id_column="customer_id")
    t_sql, _ = best_time(
        lambda: con.execute(f"SELECT segment, count(*) FROM ({sql}) GROUP BY segment").fetchall(),
        repeat,
    )
    frame = con.execute(f"SELECT * FROM {table} ORDER BY customer_id").df()
    t_mem, labels = best_time(lambda: model.predict(frame), repeat)
    t_pull, _ = best_time(lambda: model.predict(con.execute(f"SELECT * FROM {table}").df()), repeat)
    check = con.execute(f"SELECT segment FROM ({sql}) ORDER BY customer_id").fetchnumpy()
    agree = float((np.asarray(check["segment"]) == labels).mean())
    return [
        {
            "what": "to_sql in DuckDB (scored in the database)",
            "seconds": t_sql,
            "ratio vs pull + predict": t_pull / t_sql,
            "agreement": agree,
        },
        {
            "what": "segwise predict, data already in memory",
            "seconds": t_mem,
            "ratio vs pull + predict": t_pull / t_mem,
            "agreement": 1.0,
        },
        {
            "what": "pull into pandas + segwise predict",
            "seconds": t_pull,
            "ratio vs pull + predict": 1.0,
            "agreement": 1.0,
        },
    ]


def bench_mixed(args: Any, con: Any, n: int) -> None:
    """k-prototypes: the generated SQL in DuckDB against predict (same run, same data)."""
    from segwise.cluster import KPrototypes

    levels = {"channel": ["web", "shop", "app"], "plan": ["basic", "gold"], "region": list("NESW")}
    num = [f"m{j}" for j in range(6)]
    rng = np.random.default_rng(1)
    n_fit = 20_000
    fit = pd.DataFrame(rng.gamma(2.0, 30.0, size=(n_fit, len(num))), columns=num)
    for c, lv in levels.items():
        fit[c] = rng.choice(lv, n_fit)
    kp = KPrototypes(n_clusters=6, random_state=0).fit(fit)
    model = SegmentModel.from_estimator(kp)
    calls = 300 if args.quick else 1_000
    one = fit.iloc[[7]]
    as_dict = one.iloc[0].to_dict()
    t_one = per_call_us(lambda: model.predict_one(as_dict), calls)
    t_est = per_call_us(lambda: kp.predict(one), calls)
    print_table(
        f"One customer, k-prototypes ({len(num)} numeric + {len(levels)} text columns, k = 6; "
        f"median of {calls} calls)",
        [
            {"what": "segwise predict_one(dict)", "us_per_call": t_one, "ratio": t_est / t_one},
            {"what": "KPrototypes.predict(1-row DataFrame)", "us_per_call": t_est, "ratio": 1.0},
        ],
    )
    # A uniformly drawn level per text column (DuckDB lists are 1-based).
    pick = ", ".join(
        "([" + ", ".join(f"'{v}'" for v in lv) + "])"
        f"[1 + CAST(floor(random() * {len(lv)}) AS INTEGER)] AS {c}"
        for c, lv in levels.items()
    )
    con.execute(
        "CREATE TABLE mixed AS SELECT i AS customer_id, "
        + ", ".join(f"-30.0 * ln(1 - random()) * 2 AS {c}" for c in num)
        + f", {pick} FROM range({n}) t(i)"
    )
    rows = score_in_database(con, model, "mixed", args.repeat)
    print_table(
        f"Scoring {n:,} customers with k-prototypes ({len(num)} numeric + {len(levels)} text "
        "columns, k = 6); ratio > 1: faster than pulling the table into pandas",
        rows,
    )


if __name__ == "__main__":
    main()
