"""Make the lifetimes reference values of tests/test_clv.py, and the CDNOW sample ids.

Run from the repository root with the test extra installed (lifetimes 0.11.3):

    python tests/reference/clv/make_lifetimes_reference.py

It writes

* ``python/segwise/datasets/cdnow_sample_ids.txt``: the master-file ids of the 2,357
  customers of lifetimes' ``CDNOW_sample.txt`` (its first column), after checking that
  each sample customer's transactions (date, CDs, dollars) are exactly that master
  customer's transactions;
* ``tests/reference/clv/lifetimes_reference.json``: lifetimes' estimates, log-likelihoods
  and predictions on (1) its CDNOW summary in weeks, (2) the full CDNOW log summarised in
  days by segwise's ``rfm_table`` (calibration to 1997-09-30) and (3) data simulated by
  lifetimes' own BG/NBD and Pareto/NBD generators.
"""

# lifetimes' generators draw from numpy's legacy global RNG, so it is seeded here.
# ruff: noqa: NPY002

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from lifetimes.datasets import load_cdnow_summary, load_cdnow_summary_data_with_monetary_value
from lifetimes.generate_data import beta_geometric_nbd_model, pareto_nbd_model
from segwise.datasets import load_cdnow
from segwise.rfm import rfm_table

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
LIFETIMES_DATA = Path(lifetimes.__file__).parent / "datasets"


def sample_ids() -> list[str]:
    cols = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"]
    sample = pd.read_csv(
        LIFETIMES_DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=cols,
        dtype={"customer_id": str, "sample_id": str, "date": str},
    )
    master = load_cdnow()
    master["date"] = master["date"].dt.strftime("%Y%m%d")
    ids = sorted(sample["customer_id"].unique())
    assert len(ids) == 2357 and sample["sample_id"].nunique() == 2357
    # The sample renumbers customers 1..2357 by first purchase date, then master id.
    first = sample.groupby("customer_id").agg(first=("date", "min"), sid=("sample_id", "first"))
    order = first.reset_index().sort_values(["first", "customer_id"])["sid"]
    assert (order.astype(int).to_numpy() == np.arange(1, 2358)).all()
    keys = ["customer_id", "date", "number_of_cds", "dollar_value"]
    mine = master[master["customer_id"].isin(ids)][keys].sort_values(keys).reset_index(drop=True)
    theirs = sample[keys].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    return ids


def fitted(model, *args, **kw):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(*args, **kw)
    return model, time.perf_counter() - start


def total_ll(model, f, r, t) -> float:
    """lifetimes' own log-likelihood at its estimates, summed over customers."""
    p = model.params_
    if isinstance(model, ParetoNBDFitter):
        return float(
            ParetoNBDFitter._conditional_log_likelihood(
                [p["r"], p["alpha"], p["s"], p["beta"]], f, r, t
            ).sum()
        )
    w = np.ones(len(f))
    nll = type(model)._negative_log_likelihood(
        np.log([p["r"], p["alpha"], p["a"], p["b"]]), f, r, t, w, 0.0
    )
    return float(-nll * len(f))


def purchase_reference(data: pd.DataFrame, t: float, head: int = 25) -> dict:
    f, r, T = (data[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    out = {}
    for name, cls in (
        ("bgnbd", BetaGeoFitter),
        ("mbgnbd", ModifiedBetaGeoFitter),
        ("paretonbd", ParetoNBDFitter),
    ):
        kw = {"maxiter": 20000} if cls is ParetoNBDFitter else {}
        model, seconds = fitted(cls(), f, r, T, **kw)
        out[name] = {
            "params": [float(v) for v in model.params_.to_numpy()],
            "log_likelihood": total_ll(model, f, r, T),
            "seconds": seconds,
            "conditional_expected": [
                float(v)
                for v in model.conditional_expected_number_of_purchases_up_to_time(
                    t, f[:head], r[:head], T[:head]
                )
            ],
            "probability_alive": [
                float(v) for v in model.conditional_probability_alive(f[:head], r[:head], T[:head])
            ],
            "expected_purchases": [
                float(v)
                for v in model.expected_number_of_purchases_up_to_time(np.array([1.0, t, 4 * t]))
            ],
        }
    out["t"] = t
    out["head"] = head
    return out


def main() -> None:
    ids = sample_ids()
    (ROOT / "python/segwise/datasets/cdnow_sample_ids.txt").write_text(
        "# Master-file ids of the 2,357 customers of Fader & Hardie's CDNOW sample "
        "(lifetimes'\n"
        "# CDNOW_sample.txt, MIT); made and checked by "
        "tests/reference/clv/make_lifetimes_reference.py\n" + "\n".join(ids) + "\n"
    )
    ref: dict = {"lifetimes_version": lifetimes.__version__}

    weeks = load_cdnow_summary()
    ref["cdnow_weeks"] = purchase_reference(weeks, t=39.0)
    money = load_cdnow_summary_data_with_monetary_value()
    repeat = money[money["frequency"] > 0]
    gg, _ = fitted(GammaGammaFitter(), repeat["frequency"], repeat["monetary_value"])
    bg, _ = fitted(BetaGeoFitter(), money["frequency"], money["recency"], money["T"])
    head = money.head(25)
    ref["cdnow_weeks"]["gammagamma"] = {
        "params": [float(v) for v in gg.params_.to_numpy()],
        "expected_spend": [
            float(v)
            for v in gg.conditional_expected_average_profit(
                head["frequency"], head["monetary_value"]
            )
        ],
        "clv_bgnbd_12_months": [
            float(v)
            for v in gg.customer_lifetime_value(
                bg,
                head["frequency"],
                head["recency"],
                head["T"],
                head["monetary_value"],
                time=12,
                discount_rate=0.01,
                freq="W",
            )
        ],
    }
    penalized, _ = fitted(
        BetaGeoFitter(penalizer_coef=0.1), weeks["frequency"], weeks["recency"], weeks["T"]
    )
    ref["cdnow_weeks"]["bgnbd_penalizer_0.1"] = [float(v) for v in penalized.params_.to_numpy()]

    days = rfm_table(
        load_cdnow(), amount="dollar_value", observation_end="1997-09-30", convention="btyd"
    )
    ref["cdnow_full_days"] = purchase_reference(days, t=90.0)

    rng_state = 20240
    np.random.seed(rng_state)
    T = np.random.uniform(20, 60, size=3000).round(2)
    sim = beta_geometric_nbd_model(T, 0.5, 8.0, 1.2, 3.5, size=3000)
    ref["simulated_bgnbd"] = {
        "seed": rng_state,
        "true": [0.5, 8.0, 1.2, 3.5],
        "data": sim[["frequency", "recency", "T"]].to_numpy().tolist(),
        **purchase_reference(sim, t=26.0),
    }
    np.random.seed(rng_state + 1)
    sim = pareto_nbd_model(T, 0.8, 6.0, 0.5, 9.0, size=3000)
    ref["simulated_paretonbd"] = {
        "seed": rng_state + 1,
        "true": [0.8, 6.0, 0.5, 9.0],
        "data": sim[["frequency", "recency", "T"]].to_numpy().tolist(),
        **purchase_reference(sim, t=26.0),
    }
    (HERE / "lifetimes_reference.json").write_text(json.dumps(ref, indent=1) + "\n")


if __name__ == "__main__":
    main()
