//! Python bindings for `core::clv` (segwise.clv): model fits, predictions, CLV and the
//! per-segment bootstrap. The fitted parameters live in the Python estimators; every
//! prediction takes them back.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{contiguous, run_detached, run_interruptible, run_sized, with_threads};
use crate::core::clv::predict::{self, Horizon, Quantity};
use crate::core::clv::{self, gammagamma, segments, Fit, FitParams, Model};
use crate::core::optim::Status;
use crate::core::params::Params;

type F64Array1<'py> = Bound<'py, PyArray1<f64>>;
type F64Array2<'py> = Bound<'py, PyArray2<f64>>;

/// `(params, log_likelihood, n_iter, status, grad_norm, at_bound, hessian, covariance,
/// n_customers)`: what every fit returns (`n_customers`: total weight fitted).
type FitOut<'py> = (
    F64Array1<'py>,
    f64,
    usize,
    &'static str,
    f64,
    Vec<bool>,
    F64Array2<'py>,
    F64Array2<'py>,
    f64,
);

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Converged => "converged",
        Status::MaxIter => "max_iter",
        Status::LineSearchFailed => "line_search_failed",
        Status::Flat => "flat",
    }
}

fn square(v: Vec<f64>, k: usize) -> ndarray::Array2<f64> {
    ndarray::Array2::from_shape_vec((k, k), v)
        .unwrap_or_else(|_| ndarray::Array2::from_elem((k, k), f64::NAN))
}

fn fit_out(py: Python<'_>, f: Fit) -> FitOut<'_> {
    let k = f.params.len();
    (
        f.params.into_pyarray(py),
        f.log_likelihood,
        f.n_iter,
        status_name(f.status),
        f.grad_norm,
        f.at_bound,
        square(f.hessian, k).into_pyarray(py),
        square(f.covariance, k).into_pyarray(py),
        f.n_customers,
    )
}

/// Fit a purchase-count model ("bgnbd", "paretonbd", "mbgnbd") by maximum likelihood.
#[pyfunction]
#[pyo3(signature = (frequency, recency, t, *, model, sample_weight, penalizer, max_iter, tol, initial_params))]
#[allow(clippy::too_many_arguments)]
fn clv_fit<'py>(
    py: Python<'py>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    model: &str,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    penalizer: f64,
    max_iter: usize,
    tol: f64,
    initial_params: Option<Vec<f64>>,
) -> PyResult<FitOut<'py>> {
    let (x, tx, big_t) = (frequency.as_slice()?, recency.as_slice()?, t.as_slice()?);
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let model = model.to_owned();
    let fit = run_sized(py, x.len(), |stop| {
        let model = Model::parse(&model)?;
        let params = FitParams {
            penalizer,
            max_iter,
            tol,
            init: initial_params,
        }
        .check()?;
        let customers = clv::compress(x, tx, big_t, contiguous(&wv, "sample_weight")?)?;
        clv::fit(model, &customers, &params, stop)
    })?;
    Ok(fit_out(py, fit))
}

/// Fit the Gamma-Gamma spend model on the repeat buyers.
#[pyfunction]
#[pyo3(signature = (frequency, monetary_value, *, sample_weight, penalizer, max_iter, tol, initial_params))]
#[allow(clippy::too_many_arguments)]
fn gamma_gamma_fit<'py>(
    py: Python<'py>,
    frequency: PyReadonlyArray1<'py, f64>,
    monetary_value: PyReadonlyArray1<'py, f64>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    penalizer: f64,
    max_iter: usize,
    tol: f64,
    initial_params: Option<Vec<f64>>,
) -> PyResult<FitOut<'py>> {
    let (x, m) = (frequency.as_slice()?, monetary_value.as_slice()?);
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let f = run_sized(py, x.len(), |stop| {
        let params = FitParams {
            penalizer,
            max_iter,
            tol,
            init: initial_params,
        }
        .check()?;
        gammagamma::fit(x, m, contiguous(&wv, "sample_weight")?, &params, stop)
    })?;
    Ok(fit_out(py, f))
}

/// E[X(t)] of a new customer for each horizon in `t`.
#[pyfunction]
#[pyo3(signature = (t, *, model, params))]
fn clv_expected_purchases<'py>(
    py: Python<'py>,
    t: PyReadonlyArray1<'py, f64>,
    model: &str,
    params: Vec<f64>,
) -> PyResult<F64Array1<'py>> {
    let t = t.as_slice()?;
    let model = model.to_owned();
    let out = run_detached(py, || {
        predict::expected_purchases(Model::parse(&model)?, &params, t)
    })?;
    Ok(out.into_pyarray(py))
}

/// A per-customer prediction: "conditional_expected_purchases" (over the next `t`) or
/// "probability_alive".
#[pyfunction]
#[pyo3(signature = (frequency, recency, t_age, *, model, params, quantity, t))]
#[allow(clippy::too_many_arguments)]
fn clv_predict<'py>(
    py: Python<'py>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    t_age: PyReadonlyArray1<'py, f64>,
    model: &str,
    params: Vec<f64>,
    quantity: &str,
    t: f64,
) -> PyResult<F64Array1<'py>> {
    let (x, tx, big_t) = (
        frequency.as_slice()?,
        recency.as_slice()?,
        t_age.as_slice()?,
    );
    let (model, quantity) = (model.to_owned(), quantity.to_owned());
    let out = run_sized(py, x.len(), |stop| {
        predict::per_customer(
            Model::parse(&model)?,
            &params,
            Quantity::parse(&quantity)?,
            t,
            x,
            tx,
            big_t,
            stop,
        )
    })?;
    Ok(out.into_pyarray(py))
}

/// Discounted CLV of each customer over `months` months (lifetimes' convention).
#[pyfunction]
#[pyo3(signature = (frequency, recency, t_age, spend, *, model, params, months, month_length, discount_rate))]
#[allow(clippy::too_many_arguments)]
fn clv_customer_lifetime_value<'py>(
    py: Python<'py>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    t_age: PyReadonlyArray1<'py, f64>,
    spend: PyReadonlyArray1<'py, f64>,
    model: &str,
    params: Vec<f64>,
    months: usize,
    month_length: f64,
    discount_rate: f64,
) -> PyResult<F64Array1<'py>> {
    let (x, tx, big_t, m) = (
        frequency.as_slice()?,
        recency.as_slice()?,
        t_age.as_slice()?,
        spend.as_slice()?,
    );
    let model = model.to_owned();
    let horizon = Horizon {
        months,
        month_length,
        discount_rate,
    };
    let out = run_sized(py, x.len().saturating_mul(months), |stop| {
        let model = Model::parse(&model)?;
        predict::customer_lifetime_value(model, &params, x, tx, big_t, m, horizon, stop)
    })?;
    Ok(out.into_pyarray(py))
}

/// E[M | x, m] of the Gamma-Gamma model for each customer.
#[pyfunction]
#[pyo3(signature = (frequency, monetary_value, *, params))]
fn gamma_gamma_expected_spend<'py>(
    py: Python<'py>,
    frequency: PyReadonlyArray1<'py, f64>,
    monetary_value: PyReadonlyArray1<'py, f64>,
    params: Vec<f64>,
) -> PyResult<F64Array1<'py>> {
    let (x, m) = (frequency.as_slice()?, monetary_value.as_slice()?);
    let out = run_detached(py, || predict::expected_average_spend(&params, x, m))?;
    Ok(out.into_pyarray(py))
}

/// Bootstrap replicates `start..end` of per-segment means: `(end - start, n_segments,
/// n_statistics)`.
#[pyfunction]
#[pyo3(signature = (values, labels, *, n_segments, seed, start, end, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn segment_bootstrap_means<'py>(
    py: Python<'py>,
    values: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i32>,
    n_segments: usize,
    seed: u64,
    start: usize,
    end: usize,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let (v, l) = (values.as_array(), labels.as_slice()?);
    let out = run_interruptible(py, |stop| {
        with_threads(n_threads, || {
            segments::bootstrap_means(v, l, n_segments, seed, (start, end), stop)
        })
    })?;
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(clv_fit, m)?)?;
    m.add_function(wrap_pyfunction!(gamma_gamma_fit, m)?)?;
    m.add_function(wrap_pyfunction!(clv_expected_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(clv_predict, m)?)?;
    m.add_function(wrap_pyfunction!(clv_customer_lifetime_value, m)?)?;
    m.add_function(wrap_pyfunction!(gamma_gamma_expected_spend, m)?)?;
    m.add_function(wrap_pyfunction!(segment_bootstrap_means, m)?)?;
    Ok(())
}
