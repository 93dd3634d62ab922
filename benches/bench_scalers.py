"""Benchmark segwise's scalers against scikit-learn's, measured in the same run.

Prints, per scaler, the best-of-``--repeat`` wall time of ``fit`` + ``transform`` for
segwise and scikit-learn, the speed-up ratio (sklearn / segwise) and the largest absolute
difference between the two outputs. ``Log1p`` is compared with
``FunctionTransformer(np.log1p, validate=True)``.

    python benches/bench_scalers.py            # 10,000,000 x 12 float64 (needs ~4 GB RAM)
    python benches/bench_scalers.py --quick    # 200,000 x 12
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
import segwise
import segwise.preprocessing as swp
import sklearn.preprocessing as skp

SCALERS = ["StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "Log1p"]


def _fit_transform(factory, X):
    est = factory()
    return est.fit(X).transform(X)


def _timed(fn):
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _best_times(ours, theirs, repeat):
    """Best-of-``repeat`` times, alternating the two so both see the same machine load."""
    best_ours = best_theirs = np.inf
    out_ours = out_theirs = None
    for _ in range(repeat):
        out_ours = out_theirs = None
        t, out_ours = _timed(ours)
        best_ours = min(best_ours, t)
        t, out_theirs = _timed(theirs)
        best_theirs = min(best_theirs, t)
    return best_ours, best_theirs, out_ours, out_theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data (200,000 rows)")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--cols", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=SCALERS, choices=SCALERS)
    args = parser.parse_args()
    n = args.rows or (200_000 if args.quick else 10_000_000)
    repeat = args.repeat or (5 if args.quick else 3)

    rng = np.random.default_rng(0)
    X = rng.lognormal(mean=3.0, sigma=1.0, size=(n, args.cols))
    print(
        f"X: {n:,} x {args.cols} float64; segwise threads: {segwise.current_num_threads()}; "
        f"best of {repeat}; fit + transform"
    )
    header = f"{'scaler':<16}{'segwise s':>11}{'sklearn s':>11}{'ratio':>8}{'max abs diff':>15}"
    print(header)
    print("-" * len(header))
    for name in args.only:
        if name == "Log1p":
            ours_factory = swp.Log1pTransformer
            # validate=True: scikit-learn checks the input too, as segwise does.
            sk_factory = lambda: skp.FunctionTransformer(  # noqa: E731
                np.log1p, np.expm1, validate=True
            )
        else:
            ours_factory = getattr(swp, name)
            sk_factory = getattr(skp, name)
        # numpy/BLAS may use threads in scikit-learn; they stay at their defaults so each
        # library runs as a user would run it on this machine.
        t_ours, t_sk, out_ours, out_sk = _best_times(
            lambda f=ours_factory: _fit_transform(f, X),
            lambda f=sk_factory: _fit_transform(f, X),
            repeat,
        )
        diff = float(np.max(np.abs(out_ours - out_sk)))
        print(f"{name:<16}{t_ours:>11.3f}{t_sk:>11.3f}{t_sk / t_ours:>7.2f}x{diff:>15.2e}")
        del out_ours, out_sk


if __name__ == "__main__":
    main()
