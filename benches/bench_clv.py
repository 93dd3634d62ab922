"""segwise.clv vs lifetimes: fitting BG/NBD, Pareto/NBD and Gamma-Gamma, and CLV per segment.

Same data, same run: the CDNOW sample summary (2,357 customers, weeks) repeated 100 times
(235,700 customers; ``--quick``: 10 times). Each model is fitted as its users call it
(lifetimes: ``fit(frequency, recency, T)``; segwise: ``fit(table)``); the table prints
both times, the speed-up and the largest relative difference of the estimates. Then
``segment_clv`` with 200 bootstrap replicates on the full CDNOW log (23,570 customers, days)
and, for scale, the same per-customer CLV with lifetimes.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from _common import best_time, machine, parse_args, print_table
from segwise.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel, segment_clv
from segwise.datasets import load_cdnow, load_cdnow_summary
from segwise.rfm import rfm_table


def _rel_diff(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.max(np.abs(ours - theirs) / np.abs(theirs)))


def main() -> None:
    args = parse_args(__doc__ or "")
    copies = 10 if args.quick else 100
    base = load_cdnow_summary()
    data = pd.concat([base] * copies, ignore_index=True)
    repeat = data[data["frequency"] > 0]
    f, r, t = (data[c].to_numpy() for c in ("frequency", "recency", "T"))
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    rows = []
    fitted = []
    cases = [
        ("BG/NBD", lambda: BetaGeoFitter().fit(f, r, t), lambda: BetaGeoModel().fit(data)),
        (
            "Pareto/NBD",
            lambda: ParetoNBDFitter().fit(f, r, t, maxiter=20000),
            lambda: ParetoNBDModel().fit(data),
        ),
        (
            "Gamma-Gamma",
            lambda: GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]),
            lambda: GammaGammaModel().fit(data),
        ),
    ]
    for name, theirs, ours in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_ref, ref = best_time(theirs, 1)
        t_ours, mine = best_time(ours, args.repeat)
        fitted.append((name, ref, mine))
        rows.append(
            {
                "model": name,
                "customers": len(data),
                "segwise s": t_ours,
                "lifetimes s": t_ref,
                "speed-up": t_ref / t_ours,
                "max rel diff of estimates": _rel_diff(
                    mine.params_.to_numpy(), ref.params_.to_numpy()
                ),
            }
        )
    print(f"machine: {machine()}")
    print_table(f"Fits on the CDNOW sample repeated {copies} times", rows)

    # Where the Pareto/NBD estimates differ, which is the better optimum? lifetimes' own
    # log-likelihood formula at both (its optimiser stops on a flat ridge).
    def ll(params: np.ndarray) -> float:
        return float(ParetoNBDFitter._conditional_log_likelihood(params, f, r, t).sum())

    pareto = {name: (ref, mine) for name, ref, mine in fitted}["Pareto/NBD"]
    theirs_ll, ours_ll = (ll(m.params_.to_numpy()) for m in pareto)
    print(
        f"Pareto/NBD log-likelihood by lifetimes' formula: segwise {ours_ll:.6f}, "
        f"lifetimes {theirs_ll:.6f} (segwise - lifetimes = {ours_ll - theirs_ll:.3g})"
    )

    summary = rfm_table(load_cdnow(), amount="dollar_value", convention="btyd")
    summary = summary[(summary["frequency"] == 0) | (summary["monetary_value"] > 0)]
    labels = pd.cut(summary["frequency"], [-1, 0, 1, 3, np.inf], labels=["0", "1", "2-3", "4+"])
    n_boot = 200
    t_seg, res = best_time(
        lambda: segment_clv(summary, labels, n_bootstrap=n_boot, random_state=0, progress=False),
        args.repeat,
    )
    bg, gg = res.models["all"]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lbg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        lgg = GammaGammaFitter().fit(
            summary.loc[summary["frequency"] > 0, "frequency"],
            summary.loc[summary["frequency"] > 0, "monetary_value"],
        )
        lclv = lgg.customer_lifetime_value(
            lbg, summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
        )
    t_life = time.perf_counter() - start
    print_table(
        f"segment_clv on the full CDNOW log ({len(summary):,} customers, 4 segments)",
        [
            {
                "task": f"segwise segment_clv: 2 fits, CLV, {n_boot} bootstrap replicates",
                "seconds": t_seg,
            },
            {
                "task": "lifetimes: 2 fits and per-customer CLV (no segments, no intervals)",
                "seconds": t_life,
            },
            {
                "task": "max rel diff of per-customer CLV (segwise vs lifetimes)",
                "seconds": _rel_diff(res.customers["clv"].to_numpy(), lclv.to_numpy()),
            },
        ],
    )


if __name__ == "__main__":
    main()
