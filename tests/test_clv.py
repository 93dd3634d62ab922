"""segwise.clv against published estimates, lifetimes' test values and lifetimes itself.

Reference values live in tests/reference/clv/: ``published.json`` (typed from the papers
and lifetimes' tests, with their sources) and ``lifetimes_reference.json`` (made by
``make_lifetimes_reference.py`` with lifetimes 0.11.3)."""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import outputs_on_threads
from segwise.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    calibration_holdout,
    holdout_check,
    segment_clv,
)
from segwise.datasets import load_cdnow, load_cdnow_summary
from segwise.exceptions import (
    ColumnNotFoundError,
    ConvergenceWarning,
    InvalidParameterError,
    InvalidWeightsError,
    NonFiniteError,
    NotEnoughSamplesError,
    NotFittedError,
    ShapeMismatchError,
)
from segwise.profile import profile_segments
from segwise.rfm import rfm_table
from sklearn.base import clone

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes 0.11 sets a pandas option deprecated in pandas 3
    import lifetimes
    from lifetimes import BetaGeoFitter
    from lifetimes.datasets import load_cdnow_summary as lifetimes_cdnow_summary
    from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
    from lifetimes.utils import calibration_and_holdout_data

REF = Path(__file__).parent / "reference" / "clv"
PUBLISHED = json.loads((REF / "published.json").read_text())
LIFETIMES = json.loads((REF / "lifetimes_reference.json").read_text())
MODELS = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel, "paretonbd": ParetoNBDModel}


@pytest.fixture(scope="module")
def weeks() -> pd.DataFrame:
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def lifetimes_weeks() -> pd.DataFrame:
    """lifetimes' own copy of the CDNOW summary (recency and T rounded to 2 decimals)."""
    return load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def cdnow_days() -> pd.DataFrame:
    return rfm_table(
        load_cdnow(), amount="dollar_value", observation_end="1997-09-30", convention="btyd"
    )


def _with_params(cls, params):
    model = cls()
    model.params_ = pd.Series(params, index=list(cls._param_names_model))
    return model


# --------------------------------------------------------------------------- data


def test_cdnow_sample_is_lifetimes_sample():
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    cols = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"]
    theirs = pd.read_csv(path, sep=r"\s+", header=None, names=cols, dtype={"customer_id": str})
    mine = load_cdnow(sample=True)
    assert mine["customer_id"].nunique() == 2357 and len(mine) == len(theirs) == 6919
    keys = ["customer_id", "number_of_cds", "dollar_value"]
    a = mine.assign(date=mine["date"].dt.strftime("%Y%m%d").astype(int))[keys + ["date"]]
    b = theirs[keys + ["date"]]
    pd.testing.assert_frame_equal(
        a.sort_values(keys + ["date"]).reset_index(drop=True),
        b.sort_values(keys + ["date"]).reset_index(drop=True),
        check_dtype=False,
    )


def test_cdnow_summary_matches_lifetimes_summary(weeks, lifetimes_weeks):
    # lifetimes' file rounds weeks to 2 decimals; ours keeps days / 7.
    np.testing.assert_array_equal(weeks["frequency"], lifetimes_weeks["frequency"])
    np.testing.assert_allclose(weeks["recency"], lifetimes_weeks["recency"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(weeks["T"], lifetimes_weeks["T"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(
        weeks["monetary_value"], lifetimes_weeks["monetary_value"], atol=0.005 + 1e-9
    )


# --------------------------------------------------------------------------- published


@pytest.mark.parametrize("name", ["bgnbd", "paretonbd"])
def test_published_estimates(name, weeks, lifetimes_weeks):
    pub = PUBLISHED[name]
    want = np.array(list(pub["params"].values()))
    for data in (weeks, lifetimes_weeks):
        model = MODELS[name]().fit(data)
        assert model.converged_
        np.testing.assert_allclose(model.params_.to_numpy(), want, atol=2e-3, rtol=0)
    if "log_likelihood" in pub:
        fitted = MODELS[name]().fit(lifetimes_weeks)
        assert fitted.log_likelihood_ == pytest.approx(pub["log_likelihood"], abs=0.05)


def test_published_gamma_gamma(weeks, lifetimes_weeks):
    want = np.array(list(PUBLISHED["gammagamma"]["params"].values()))
    for data in (weeks, lifetimes_weeks):
        gg = GammaGammaModel().fit(data)
        assert gg.converged_ and gg.n_customers_ == 946
        np.testing.assert_allclose(gg.params_.to_numpy(), want, atol=0.02, rtol=0)


def test_hardie_sheet_predictions(lifetimes_weeks):
    ref = PUBLISHED["bgnbd_predictions"]
    bg = BetaGeoModel().fit(lifetimes_weeks)
    e = ref["expected_purchases"]
    np.testing.assert_allclose(
        bg.expected_number_of_purchases_up_to_time(np.array(e["t"])), e["value"], atol=e["atol"]
    )
    c = ref["conditional_expected"]
    one = pd.DataFrame({"frequency": [c["x"]], "recency": [c["t_x"]], "T": [c["T"]]})
    got = bg.conditional_expected_number_of_purchases_up_to_time(c["t"], one).iloc[0]
    assert got == pytest.approx(c["value"], abs=c["atol"])


def test_btyd_package_pareto_predictions(lifetimes_weeks):
    ref = PUBLISHED["paretonbd_predictions"]
    pnbd = ParetoNBDModel().fit(lifetimes_weeks)
    e = ref["expected_purchases"]
    np.testing.assert_allclose(
        pnbd.expected_number_of_purchases_up_to_time(np.array(e["t"], dtype=float)),
        e["value"],
        atol=e["atol"],
    )
    c = ref["conditional_expected"]
    row = np.array([[c["x"], c["t_x"], c["T"]]], dtype=float)
    got = pnbd.conditional_expected_number_of_purchases_up_to_time(c["t"], row)[0]
    assert got == pytest.approx(c["value"], abs=c["atol"])
    a = ref["probability_alive"]
    alive = _with_params(ParetoNBDModel, a["params"])
    got = alive.conditional_probability_alive(np.array([[a["x"], a["t_x"], a["T"]]]))[0]
    assert got == pytest.approx(a["value"], abs=a["atol"])
    u = ref["underflow"]
    fixed = _with_params(ParetoNBDModel, u["params"])
    rows = np.array([case[:3] for case in u["cases"]], dtype=float)
    got = fixed.conditional_expected_number_of_purchases_up_to_time(u["t"], rows)
    np.testing.assert_allclose(got, [case[3] for case in u["cases"]], rtol=1e-6)


def test_hardie_sheet_expected_spend(lifetimes_weeks):
    ref = PUBLISHED["gammagamma"]
    gg = _with_params(GammaGammaModel, list(ref["params"].values()))
    got = gg.conditional_expected_average_profit(lifetimes_weeks.head(10))
    np.testing.assert_allclose(
        got.to_numpy(),
        ref["expected_spend_first_10"]["value"],
        atol=ref["expected_spend_first_10"]["atol"],
    )


# --------------------------------------------------------------------------- lifetimes


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(rows, dtype=float), columns=["frequency", "recency", "T"])


def _dataset(key: str, weeks, cdnow_days) -> pd.DataFrame:
    if key == "cdnow_weeks":
        return lifetimes_cdnow_summary()[["frequency", "recency", "T"]].astype(float)
    if key == "cdnow_full_days":
        return cdnow_days[["frequency", "recency", "T"]]
    return _frame(LIFETIMES[key]["data"])


@pytest.mark.parametrize(
    "key", ["cdnow_weeks", "cdnow_full_days", "simulated_bgnbd", "simulated_paretonbd"]
)
@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "paretonbd"])
def test_estimates_match_lifetimes(name, key, weeks, cdnow_days):
    ref = LIFETIMES[key][name]
    data = _dataset(key, weeks, cdnow_days)
    model = MODELS[name]().fit(data)
    assert model.converged_
    # Same optimum: the log-likelihood at least as high as lifetimes' (its optimisers stop
    # earlier: Nelder-Mead for Pareto/NBD), and estimates within lifetimes' precision.
    assert model.log_likelihood_ >= ref["log_likelihood"] - 1e-6 * abs(ref["log_likelihood"])
    assert model.log_likelihood_ - ref["log_likelihood"] < 0.05
    np.testing.assert_allclose(model.params_.to_numpy(), ref["params"], rtol=2e-2)


@pytest.mark.parametrize(
    "key", ["cdnow_weeks", "cdnow_full_days", "simulated_bgnbd", "simulated_paretonbd"]
)
@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "paretonbd"])
def test_predictions_match_lifetimes_at_its_estimates(name, key, weeks, cdnow_days):
    ref = LIFETIMES[key]
    theirs = ref[name]
    model = _with_params(MODELS[name], theirs["params"])
    head = _dataset(key, weeks, cdnow_days).head(ref["head"])
    np.testing.assert_allclose(
        model.conditional_expected_number_of_purchases_up_to_time(ref["t"], head),
        theirs["conditional_expected"],
        rtol=1e-7,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        model.conditional_probability_alive(head),
        theirs["probability_alive"],
        rtol=1e-7,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        model.expected_number_of_purchases_up_to_time(np.array([1.0, ref["t"], 4 * ref["t"]])),
        theirs["expected_purchases"],
        rtol=1e-7,
    )


def test_spend_and_clv_match_lifetimes(lifetimes_weeks):
    ref = LIFETIMES["cdnow_weeks"]
    gg = GammaGammaModel().fit(lifetimes_weeks)
    np.testing.assert_allclose(gg.params_.to_numpy(), ref["gammagamma"]["params"], rtol=1e-3)
    fixed = _with_params(GammaGammaModel, ref["gammagamma"]["params"])
    head = lifetimes_weeks.head(ref["head"])
    np.testing.assert_allclose(
        fixed.conditional_expected_average_profit(head),
        ref["gammagamma"]["expected_spend"],
        rtol=1e-10,
    )
    bg = _with_params(BetaGeoModel, ref["bgnbd"]["params"])
    clv = fixed.customer_lifetime_value(bg, head, time=12, discount_rate=0.01, freq="W")
    np.testing.assert_allclose(clv, ref["gammagamma"]["clv_bgnbd_12_months"], rtol=1e-6)


def test_penalizer_matches_lifetimes(lifetimes_weeks):
    model = BetaGeoModel(penalizer_coef=0.1).fit(lifetimes_weeks)
    np.testing.assert_allclose(
        model.params_.to_numpy(), LIFETIMES["cdnow_weeks"]["bgnbd_penalizer_0.1"], rtol=2e-3
    )
    plain = BetaGeoModel().fit(lifetimes_weeks)
    assert (model.params_ < plain.params_).all()


def test_standard_errors_from_observed_information(lifetimes_weeks):
    """The Hessian of lifetimes' own negative log-likelihood, by scipy's finite differences
    of its autograd gradient, inverted: the same standard errors."""
    from scipy.optimize import approx_fprime

    model = BetaGeoModel().fit(lifetimes_weeks)
    f, r, t = (lifetimes_weeks[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.ones(len(f))

    def total_nll(p):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return BetaGeoFitter._negative_log_likelihood(np.log(p), f, r, t, w, 0.0) * len(f)

    p = model.params_.to_numpy()
    steps = 1e-4 * p

    def grad(q):
        return approx_fprime(q, total_nll, steps)

    hess = np.array(
        [
            (grad(p + steps[i] * np.eye(4)[i]) - grad(p - steps[i] * np.eye(4)[i])) / (2 * steps[i])
            for i in range(4)
        ]
    )
    se = np.sqrt(np.diag(np.linalg.inv((hess + hess.T) / 2)))
    np.testing.assert_allclose(model.standard_errors_.to_numpy(), se, rtol=2e-2)
    summary = model.summary()
    assert list(summary.table.columns) == ["coef", "se(coef)", "lower 95% bound", "upper 95% bound"]
    assert "BG/NBD" in summary.summary() and "<table>" in summary._repr_html_()


# --------------------------------------------------------------------------- behaviour


def test_weights_equal_repeated_rows(weeks):
    compressed = weeks.groupby(["frequency", "recency", "T"]).size().rename("w").reset_index()
    a = BetaGeoModel().fit(weeks)
    b = BetaGeoModel().fit(compressed[["frequency", "recency", "T"]], sample_weight=compressed["w"])
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-7)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-10)


def test_same_answer_on_one_and_two_threads():
    code = (
        "import numpy as np\n"
        "from segwise.clv import ParetoNBDModel, segment_clv\n"
        "from segwise.datasets import load_cdnow_summary\n"
        "d = load_cdnow_summary()\n"
        "m = ParetoNBDModel().fit(d)\n"
        "print(m.params_.to_numpy().tobytes().hex(), m.log_likelihood_.hex())\n"
        "r = segment_clv(d, d['frequency'].clip(upper=3), freq='W', n_bootstrap=50,"
        " random_state=3, progress=False)\n"
        "print(r.table.drop(columns='model').to_numpy(dtype=float).tobytes().hex())\n"
    )
    one, two = outputs_on_threads(code)
    assert one == two


def test_predictions_keep_the_index_and_arrays_give_arrays(weeks):
    bg = BetaGeoModel().fit(weeks)
    shuffled = weeks.sample(frac=1.0, random_state=0)
    p = bg.conditional_probability_alive(shuffled)
    assert p.index.equals(shuffled.index) and p.name == "p_alive"
    arr = bg.conditional_probability_alive(shuffled[["frequency", "recency", "T"]].to_numpy())
    assert isinstance(arr, np.ndarray)
    np.testing.assert_array_equal(arr, p.to_numpy())
    assert ((p >= 0) & (p <= 1)).all()
    assert (p[shuffled["frequency"] == 0] == 1.0).all()
    np.testing.assert_array_equal(
        bg.predict(shuffled, t=10),
        bg.conditional_expected_number_of_purchases_up_to_time(10, shuffled),
    )


def test_caller_data_is_not_modified(weeks):
    data = weeks.copy()
    GammaGammaModel().fit(data)
    bg = BetaGeoModel().fit(data)
    bg.conditional_probability_alive(data)
    pd.testing.assert_frame_equal(data, weeks)


def test_estimators_clone_pickle_and_repr(weeks):
    for cls in (*MODELS.values(), GammaGammaModel):
        est = cls(penalizer_coef=0.01)
        assert clone(est).get_params() == est.get_params()
        assert repr(est) == f"{cls.__name__}(penalizer_coef=0.01)"
        fitted = est.fit(weeks)
        restored = pickle.loads(pickle.dumps(fitted))
        pd.testing.assert_series_equal(restored.params_, fitted.params_)
        assert not any(k.endswith("_") for k in vars(clone(fitted)))
    with pytest.raises(NotFittedError):
        BetaGeoModel().conditional_probability_alive(weeks)


def test_no_overflow_warnings_on_extreme_histories():
    # Heavy buyers over long periods: 2F1 terms far beyond float64 in linear space.
    rng = np.random.default_rng(0)
    n = 2000
    T = rng.uniform(100, 2000, n).round()
    x = rng.poisson(rng.gamma(0.5, 0.2, n) * T)
    t_x = np.where(x > 0, np.floor(rng.uniform(0.5, 1.0, n) * T), 0.0)
    data = pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for cls in MODELS.values():
                if cls is ParetoNBDModel:
                    # Its likelihood keeps rising as s, beta -> inf together (homogeneous
                    # dropout): the fit must stop and say so, not run for max_iter.
                    with pytest.warns(ConvergenceWarning, match="stopped improving"):
                        m = cls().fit(data)
                    assert not m.converged_ and m.n_iter_ < m.max_iter
                else:
                    m = cls().fit(data)
                    assert m.converged_
                p = m.conditional_probability_alive(data)
                e = m.conditional_expected_number_of_purchases_up_to_time(365, data)
                assert np.isfinite(p).all() and np.isfinite(e).all()
    pareto = _with_params(ParetoNBDModel, [10.465, 7.98565181e-03, 3.0516, 2.820])
    rows = np.array([[400.0, 5, 6], [500, 1, 37], [500, 4, 37]])
    p = pareto.conditional_probability_alive(rows)
    assert np.all((p >= 0) & (p <= 1))


def test_not_converging_warns_with_advice(weeks):
    with pytest.warns(ConvergenceWarning, match="penalizer_coef"):
        m = BetaGeoModel(max_iter=2).fit(weeks)
    assert not m.converged_ and m.n_iter_ == 2
    assert "WARNING: not converged" in m.summary().summary()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda d: d.assign(recency=d["T"] + 1), InvalidParameterError, "recency is larger than T"),
        (
            lambda d: d.assign(frequency=d["frequency"] + 0.5),
            InvalidParameterError,
            "whole numbers",
        ),
        (lambda d: d.assign(T=-d["T"]), InvalidParameterError, "'T' has negative values"),
        (
            lambda d: d.assign(recency=np.where(d["frequency"] == 0, 1.0, d["recency"])),
            InvalidParameterError,
            "frequency 0",
        ),
        (
            lambda d: d.assign(frequency=0.0, recency=0.0),
            InvalidParameterError,
            "no customer made a repeat",
        ),
        (lambda d: d.drop(columns="T"), ColumnNotFoundError, r"lacks column\(s\) \['T'\]"),
        (lambda d: d.assign(recency=np.nan), NonFiniteError, "recency"),
        (lambda d: d.iloc[:0], Exception, "0 sample"),
    ],
)
def test_bad_histories(weeks, change, error, message):
    with pytest.raises(error, match=message):
        BetaGeoModel().fit(change(weeks.copy()))


def test_bad_input_names_customers(weeks):
    bad = weeks.copy()
    bad.loc[[5, 9], "recency"] = bad.loc[[5, 9], "T"] + 1
    with pytest.raises(
        InvalidParameterError, match=r"2 of 2,357 customer\(s\), e.g. customers 5, 9"
    ):
        ParetoNBDModel().fit(bad)
    with pytest.raises(ShapeMismatchError, match="exactly 3"):
        BetaGeoModel().fit(np.zeros((5, 2)))
    with pytest.raises(InvalidWeightsError):
        BetaGeoModel().fit(weeks, sample_weight=-np.ones(len(weeks)))
    with pytest.raises(InvalidParameterError, match="penalizer_coef"):
        BetaGeoModel(penalizer_coef=-1).fit(weeks)
    with pytest.raises(InvalidParameterError, match="initial_params"):
        BetaGeoModel(initial_params=[1, 2]).fit(weeks)


def test_spend_model_bad_input(weeks):
    bad = weeks.copy()
    bad.loc[bad["frequency"] > 0, "monetary_value"] = 0.0
    with pytest.raises(InvalidParameterError, match="monetary_value must be > 0 for repeat buyers"):
        GammaGammaModel().fit(bad)
    with pytest.raises(InvalidParameterError, match="no repeat buyer"):
        GammaGammaModel().fit(weeks[weeks["frequency"] == 0])
    gg = _with_params(GammaGammaModel, [1.0, 0.8, 2.0])
    with pytest.raises(InvalidParameterError, match="q=0.8 <= 1"):
        gg.conditional_expected_average_profit(weeks)
    fitted = GammaGammaModel().fit(weeks)
    with pytest.raises(InvalidParameterError, match="transaction_model"):
        fitted.customer_lifetime_value("bgnbd", weeks)
    with pytest.raises(InvalidParameterError, match="freq"):
        fitted.customer_lifetime_value(BetaGeoModel().fit(weeks), weeks, freq="Y")


# --------------------------------------------------------------------------- holdout


def test_calibration_holdout_matches_lifetimes():
    tx = load_cdnow(sample=True)
    mine = calibration_holdout(tx, "1997-09-30", "1998-06-30", amount="dollar_value")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = calibration_and_holdout_data(
            tx, "customer_id", "date", "1997-09-30", "1998-06-30", monetary_value_col="dollar_value"
        )
    theirs = theirs.loc[mine.index]
    for col in (
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "monetary_value_cal",
        "frequency_holdout",
        "duration_holdout",
    ):
        np.testing.assert_allclose(mine[col], theirs[col], err_msg=col)
    with pytest.raises(InvalidParameterError, match="after calibration_end"):
        calibration_holdout(tx, "1998-01-01", "1997-01-01")


def test_holdout_check_by_frequency():
    split = calibration_holdout(load_cdnow(sample=True), "1997-09-30", "1998-06-30", freq="W")
    bg = BetaGeoModel()
    check = holdout_check(bg, split, n_buckets=7)
    assert not hasattr(bg, "params_")  # the caller's model is not fitted in place
    assert list(check.table.index) == ["0", "1", "2", "3", "4", "5", "6+"]
    assert check.table["customers"].sum() == len(split)
    assert check.actual_total == split["frequency_holdout"].sum()
    # FHL 2005 (figure 4): BG/NBD tracks the holdout purchases of the CDNOW sample closely.
    assert abs(check.predicted_total / check.actual_total - 1) < 0.1
    assert "Holdout check of BG/NBD" in check.summary()


# --------------------------------------------------------------------------- segments


def test_segment_clv_intervals(weeks):
    labels = pd.Series(np.where(weeks["frequency"] > 2, "loyal", "other"), index=weeks.index)
    res = segment_clv(weeks, labels, freq="W", n_bootstrap=200, random_state=1, progress=False)
    t = res.table
    assert list(t.index) == ["loyal", "other"]
    assert t["customers"].sum() == len(weeks)
    for stat in ("clv", "expected_purchases", "p_alive"):
        assert (t[f"{stat}_lower"] <= t[stat]).all() and (t[stat] <= t[f"{stat}_upper"]).all()
    np.testing.assert_allclose(t["clv_total"], t["customers"] * t["clv"])
    # The per-customer values are those of the models fitted on everyone.
    bg, gg = BetaGeoModel().fit(weeks), GammaGammaModel().fit(weeks)
    clv = gg.customer_lifetime_value(bg, weeks, freq="W")
    np.testing.assert_allclose(res.customers["clv"], clv, rtol=1e-9)
    np.testing.assert_allclose(t.loc["loyal", "clv"], clv[labels == "loyal"].mean(), rtol=1e-9)
    # Same seed, same intervals; labels aligned by customer id.
    again = segment_clv(
        weeks,
        labels.sample(frac=1.0, random_state=0),
        freq="W",
        n_bootstrap=200,
        random_state=1,
        progress=False,
    )
    pd.testing.assert_frame_equal(again.table, t)
    assert "Customer lifetime value per segment" in res.summary()


def test_segment_clv_per_segment(weeks):
    labels = np.where(weeks["frequency"] > 0, "repeat", np.where(weeks.index < 40, "tiny", "new"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = segment_clv(
            weeks,
            labels,
            per_segment=True,
            min_customers=100,
            freq="W",
            n_bootstrap=20,
            random_state=0,
            progress=False,
        )
    messages = sorted(str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning))
    assert len(messages) == 2, messages
    assert "'new' (1,387 customers, 0 repeat buyers) is too small" in messages[0]
    assert "'tiny' (24 customers, 0 repeat buyers)" in messages[1] and "too small" in messages[1]
    assert res.table.loc["tiny", "model"] == "all customers"
    assert res.table.loc["new", "model"] == "all customers"
    assert res.table.loc["repeat", "model"] == "own"
    assert res.warnings == [str(w.message) for w in caught]
    assert set(res.models) >= {"all"}
    with pytest.raises(NotEnoughSamplesError, match="single customer"):
        segment_clv(weeks, np.r_[0, np.ones(len(weeks) - 1)], freq="W", progress=False)


def test_segment_clv_labels_series_is_matched_by_customer_id(weeks):
    # A labels Series is matched to summary's customers by id: extra ids are dropped, a
    # shuffled Series gives the same answer, and ids of summary missing from it raise
    # (a Series of other ids used to be taken by position without a word).
    tier = np.where(weeks["frequency"] == 0, "one-off", "repeat")
    labels = pd.Series(tier, index=weeks.index)
    kw = {"freq": "W", "n_bootstrap": 20, "random_state": 0, "progress": False}
    base = segment_clv(weeks, labels, **kw).table
    extra = pd.concat([labels, pd.Series(["repeat"], index=[10**9])]).sample(
        frac=1.0, random_state=2
    )
    pd.testing.assert_frame_equal(segment_clv(weeks, extra, **kw).table, base)
    with pytest.raises(ShapeMismatchError, match="matched to the rows of summary by index"):
        segment_clv(weeks, labels.set_axis(labels.index + 100_000), **kw)


def test_clv_column_in_profile_segments(weeks):
    # A persona profile shows CLV as one more numeric column: the models' per-customer
    # value, matched to the customer table by id (here shuffled, two customers unpriced),
    # labels as a Series in another order (matched by id too).
    bg, gg = BetaGeoModel().fit(weeks), GammaGammaModel().fit(weeks)
    priced = weeks.drop(index=weeks.index[[3, 500]])
    clv = gg.customer_lifetime_value(bg, priced, freq="W").sample(frac=1.0, random_state=0)
    tier = np.select(
        [weeks["frequency"] == 0, weeks["frequency"] <= 2], ["one-off", "some"], "loyal"
    )
    labels = pd.Series(tier, index=weeks.index).sample(frac=1.0, random_state=1)
    table = weeks[["frequency", "recency"]].assign(clv=clv)
    prof = profile_segments(table, labels, descriptors={"clv": ("lower value", "higher value")})

    oracle = pd.DataFrame({"clv": clv, "segment": labels}).groupby("segment")["clv"]
    np.testing.assert_allclose(
        prof.segments["mean_clv"], oracle.mean().reindex(prof.segments.index), rtol=1e-12
    )
    cells = prof.table[prof.table["feature"] == "clv"].set_index("segment")
    np.testing.assert_array_equal(cells["n"], oracle.count().reindex(cells.index))
    np.testing.assert_allclose(cells["median"], oracle.median().reindex(cells.index), rtol=1e-12)
    np.testing.assert_allclose(prof.population.loc["clv", "mean"], clv.mean(), rtol=1e-12)
    assert prof.population.loc["clv", "n_missing"] == 2
    assert any("'clv': 2" in note for note in prof.notes)
    assert prof.segments["size"].sum() == len(weeks)
    assert "higher value" in prof.segments.loc["loyal", "name"]
    assert "lower value" in prof.segments.loc["one-off", "name"]
