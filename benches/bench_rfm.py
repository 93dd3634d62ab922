"""rfm_table(convention="btyd") vs lifetimes' summary_data_from_transaction_data.

Same synthetic transaction log, same run; prints times, the ratio and the largest difference.
Full size: 10,000,000 transactions (``--quick``: 200,000).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from _common import best_time, machine, parse_args, print_table
from segwise.rfm import rfm_table


def synthetic_log(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_customers = max(n_rows // 10, 1)
    customer = rng.integers(0, n_customers, n_rows)
    day = rng.integers(0, 730, n_rows)
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": np.datetime64("2020-01-01") + day.astype("timedelta64[D]"),
            "amount": np.round(rng.gamma(2.0, 20.0, n_rows), 2),
        }
    )


def main() -> None:
    args = parse_args(__doc__ or "")
    n = 200_000 if args.quick else 10_000_000
    tx = synthetic_log(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes.utils import summary_data_from_transaction_data

        t_ref, ref = best_time(
            lambda: summary_data_from_transaction_data(tx, "customer_id", "date", "amount"),
            1 if not args.quick else args.repeat,
        )
    t_ours, ours = best_time(lambda: rfm_table(tx, convention="btyd"), args.repeat)
    ref = ref.loc[ours.index]
    rel = np.max(np.abs(ours.to_numpy() - ref.to_numpy()) / np.maximum(np.abs(ref.to_numpy()), 1))
    print(f"machine: {machine()}")
    print_table(
        f"RFM summary of {n:,} transactions ({tx['customer_id'].nunique():,} customers)",
        [
            {
                "task": "btyd summary",
                "segwise s": t_ours,
                "lifetimes s": t_ref,
                "speed-up": t_ref / t_ours,
                "max rel diff": rel,
            }
        ],
    )


if __name__ == "__main__":
    main()
