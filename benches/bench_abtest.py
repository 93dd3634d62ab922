"""Benchmark: one per-segment lift report vs pandas groupby + statsmodels/scipy.

Both sides produce the same numbers (checked at the end): per segment x metric x treatment
arm and overall, the test statistic, p-value, CI of the difference (Newcombe, as
statsmodels has it) and the BH-adjusted p-values. A second line times segment_lift with its
defaults (Mee and Koopman score intervals, Fieller with Welch df, and every interval again
at the corrected level) against the same reference; its Koopman intervals are checked
against statsmodels'. Run ``python benches/bench_abtest.py`` (10M rows) or ``--quick``
(200k rows).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def make_data(n: int, n_segments: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seg = pd.Categorical.from_codes(
        rng.integers(0, n_segments, n), [f"s{i:02d}" for i in range(n_segments)]
    )
    arm = pd.Categorical.from_codes(rng.integers(0, 3, n), ["control", "b", "c"])
    codes = np.asarray(arm.codes)
    visit = (rng.random(n) < 0.10 + 0.01 * (codes == 1)).astype(np.float64)
    conv = visit * (rng.random(n) < 0.1)
    spend = conv * rng.gamma(2.0, 50.0, n)
    return pd.DataFrame(
        {"segment": seg, "arm": arm, "visit": visit, "conversion": conv, "spend": spend}
    )


METRICS = {"visit": "binary", "conversion": "binary", "spend": "continuous"}


def reference(df: pd.DataFrame) -> pd.DataFrame:
    """pandas groupby for the statistics, statsmodels/scipy for every test."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    cols = list(METRICS)
    g = df.groupby(["segment", "arm"], observed=True)[cols].agg(["count", "sum", "var"])
    ga = df.groupby("arm", observed=True)[cols].agg(["count", "sum", "var"])
    ga.index = pd.MultiIndex.from_product([["(all)"], ga.index])
    g = pd.concat([g, ga])
    rows = []
    segs = list(df["segment"].cat.categories) + ["(all)"]
    for m, kind in METRICS.items():
        for t in ("b", "c"):
            for s in segs:
                n1, s1, v1 = g.loc[(s, t), m]
                n2, s2, v2 = g.loc[(s, "control"), m]
                if kind == "binary":
                    z, p = proportions_ztest([s1, s2], [n1, n2])
                    lo, hi = confint_proportions_2indep(s1, n1, s2, n2, method="newcomb")
                else:
                    r = stats.ttest_ind_from_stats(
                        s1 / n1, np.sqrt(v1), n1, s2 / n2, np.sqrt(v2), n2, equal_var=False
                    )
                    z, p = r.statistic, r.pvalue
                    se = np.sqrt(v1 / n1 + v2 / n2)
                    df_w = se**4 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
                    q = stats.t.ppf(0.975, df_w)
                    lo, hi = s1 / n1 - s2 / n2 - q * se, s1 / n1 - s2 / n2 + q * se
                rows.append((s, m, t, z, p, lo, hi))
    out = pd.DataFrame(
        rows,
        columns=[
            "segment",
            "metric",
            "treatment",
            "statistic",
            "pvalue",
            "abs_diff_low",
            "abs_diff_high",
        ],
    )
    seg_rows = out["segment"] != "(all)"
    out["pvalue_adj"] = np.nan
    out.loc[seg_rows, "pvalue_adj"] = multipletests(out.loc[seg_rows, "pvalue"], method="fdr_bh")[1]
    out.loc[~seg_rows, "pvalue_adj"] = multipletests(out.loc[~seg_rows, "pvalue"], method="fdr_bh")[
        1
    ]
    return out


def segwise_report(df: pd.DataFrame, **kw) -> pd.DataFrame:
    from segwise.abtest import segment_lift

    return segment_lift(
        df, segment="segment", variant="arm", control="control", metrics=METRICS, **kw
    ).table


def check_koopman(table: pd.DataFrame) -> float:
    """Largest relative difference of the binary rows' relative-lift intervals from
    statsmodels' score (Koopman) interval of the ratio."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    worst = 0.0
    for r in table[table["kind"] == "binary"].itertuples():
        lo, hi = confint_proportions_2indep(
            r.sum_treatment,
            r.n_treatment,
            r.sum_control,
            r.n_control,
            compare="ratio",
            method="score",
            correction=False,
        )
        got = np.array([r.rel_lift_low + 1, r.rel_lift_high + 1])
        worst = max(worst, float(np.max(np.abs(got - [lo, hi]) / np.abs([lo, hi]))))
    assert worst < 1e-6, worst
    return worst


def best_of(fn, *args, repeat: int):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="200k rows instead of 10M")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import segwise

    n = 200_000 if args.quick else 10_000_000
    df = make_data(n, 20)
    t_ref, ref = best_of(reference, df, repeat=args.repeat)
    t_sw, sw = best_of(
        lambda d: segwise_report(d, ci_method="newcombe", lift_method="delta"),
        df,
        repeat=args.repeat,
    )
    t_def, default = best_of(segwise_report, df, repeat=args.repeat)
    koopman = check_koopman(default)
    key = ["segment", "metric", "treatment"]
    merged = ref.merge(sw, on=key, suffixes=("_ref", "_sw"))
    assert len(merged) == len(ref) == len(sw)
    worst = 0.0
    for c in ("statistic", "pvalue", "abs_diff_low", "abs_diff_high", "pvalue_adj"):
        a, b = merged[f"{c}_sw"].to_numpy(float), merged[f"{c}_ref"].to_numpy(float)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-300)
        worst = max(worst, float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))))
    print(
        f"segwise.abtest.segment_lift vs pandas groupby + statsmodels/scipy "
        f"({segwise.current_num_threads()} threads, best of {args.repeat})"
    )
    print(
        f"{'rows':>12} {'metrics':>8} {'segments':>9} {'arms':>5} {'report rows':>12} "
        f"{'reference s':>12} {'segwise s':>10} {'speed-up':>9} {'max rel diff':>13}"
    )
    print(
        f"{n:>12,} {len(METRICS):>8} {20:>9} {3:>5} {len(sw):>12} {t_ref:>12.3f} "
        f"{t_sw:>10.3f} {t_ref / t_sw:>8.1f}x {worst:>13.1e}   (Newcombe, like the reference)"
    )
    print(
        f"{n:>12,} {len(METRICS):>8} {20:>9} {3:>5} {len(default):>12} {t_ref:>12.3f} "
        f"{t_def:>10.3f} {t_ref / t_def:>8.1f}x {koopman:>13.1e}   (defaults: score intervals "
        "and adjusted ones; Koopman vs statsmodels)"
    )


if __name__ == "__main__":
    main()
