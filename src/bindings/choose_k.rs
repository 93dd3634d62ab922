//! Python bindings: choose_k (gap statistic, prediction strength, bootstrap ARI).

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{run_detached, run_interruptible, run_sized};
use crate::core::kmeans::{Algorithm, KMeansClustering};
use crate::core::params::Params;
use crate::core::stability::choose_k as ck;
use crate::core::{CoreError, CoreResult};

/// The clustering the criteria refit: k-means, the iteration algorithm picked by shape.
const KMEANS: KMeansClustering = KMeansClustering {
    algorithm: Algorithm::Auto,
};

type Arr1<'py, T> = Bound<'py, PyArray1<T>>;
type Arr2<'py, T> = Bound<'py, PyArray2<T>>;

fn settings(start: &str, n_init: usize, seed: u64) -> CoreResult<ck::FitValidSettings> {
    let start = match start {
        "k-means++" => ck::Start::KMeansPlusPlus(n_init),
        "first_rows" => ck::Start::FirstRows,
        other => {
            return Err(CoreError::InvalidParameter {
                name: "start",
                reason: format!("must be 'k-means++' or 'first_rows', got {other:?}"),
            })
        }
    };
    ck::FitSettings {
        start,
        max_iter: 300,
        tol: 1e-4,
        seed,
    }
    .check()
}

/// k-means fits of the data for every k: (inertia, labels (len(ks), n), centres (len(ks), max k, d)).
#[pyfunction]
#[pyo3(signature = (x, *, ks, start, n_init, seed))]
#[allow(clippy::type_complexity)]
fn choose_k_fit_curve<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    ks: Vec<usize>,
    start: &str,
    n_init: usize,
    seed: u64,
) -> PyResult<(Arr1<'py, f64>, Arr2<'py, i32>, Bound<'py, PyArray3<f64>>)> {
    let x = x.as_array();
    let (a, b, c) = run_interruptible(py, |stop| {
        ck::fit_curve(x, &ks, (&settings(start, n_init, seed)?, &KMEANS, stop))
    })?;
    Ok((a.into_pyarray(py), b.into_pyarray(py), c.into_pyarray(py)))
}

/// clusGap's W_k of a labelled data set.
#[pyfunction]
#[pyo3(signature = (x, labels, *, k, d_power))]
fn choose_k_within_dispersion(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i32>,
    k: usize,
    d_power: f64,
) -> PyResult<f64> {
    let x = x.as_array();
    let labels = labels.as_slice()?;
    // Every within-cluster pair unless d_power = 2 (one pass over the rows).
    let cells = if d_power == 2.0 {
        x.len()
    } else {
        x.len().saturating_mul(x.nrows())
    };
    run_sized(py, cells, |stop| {
        ck::within_dispersion(x, labels, k, d_power, stop)
    })
}

/// Reference set `b` of the gap statistic.
#[pyfunction]
#[pyo3(signature = (n, *, centre, lower, upper, rotation, seed, b))]
#[allow(clippy::too_many_arguments)]
fn reference_set<'py>(
    py: Python<'py>,
    n: usize,
    centre: PyReadonlyArray1<'py, f64>,
    lower: PyReadonlyArray1<'py, f64>,
    upper: PyReadonlyArray1<'py, f64>,
    rotation: Option<PyReadonlyArray2<'py, f64>>,
    seed: u64,
    b: usize,
) -> PyResult<Arr2<'py, f64>> {
    let (centre, lower, upper) = (centre.as_slice()?, lower.as_slice()?, upper.as_slice()?);
    let rotation = rotation.as_ref().map(|r| r.as_array());
    let bx = ck::ReferenceBox {
        centre,
        lower,
        upper,
        rotation,
    };
    let out = run_detached(py, || ck::reference_set(n, &bx, seed, b))?;
    Ok(out.into_pyarray(py))
}

/// log W_k (k = 1..k_max) of reference sets b0..b1: shape (b1 - b0, k_max).
#[pyfunction]
#[pyo3(signature = (n, *, centre, lower, upper, rotation, k_max, d_power, b0, b1, start, n_init, seed))]
#[allow(clippy::too_many_arguments)]
fn choose_k_gap_reference_log_w<'py>(
    py: Python<'py>,
    n: usize,
    centre: PyReadonlyArray1<'py, f64>,
    lower: PyReadonlyArray1<'py, f64>,
    upper: PyReadonlyArray1<'py, f64>,
    rotation: Option<PyReadonlyArray2<'py, f64>>,
    k_max: usize,
    d_power: f64,
    b0: usize,
    b1: usize,
    start: &str,
    n_init: usize,
    seed: u64,
) -> PyResult<Arr2<'py, f64>> {
    let (centre, lower, upper) = (centre.as_slice()?, lower.as_slice()?, upper.as_slice()?);
    let rotation = rotation.as_ref().map(|r| r.as_array());
    let bx = ck::ReferenceBox {
        centre,
        lower,
        upper,
        rotation,
    };
    let out = run_interruptible(py, |stop| {
        let s = settings(start, n_init, seed)?;
        ck::gap_reference_log_w(n, &bx, k_max, d_power, b0..b1.max(b0), (&s, &KMEANS, stop))
    })?;
    Ok(out.into_pyarray(py))
}

/// The permutation of prediction-strength split `m` (int64).
#[pyfunction]
#[pyo3(signature = (n, *, seed, m))]
fn split_permutation<'py>(
    py: Python<'py>,
    n: usize,
    seed: u64,
    m: usize,
) -> PyResult<Arr1<'py, i64>> {
    // usize to i64 in place (same size and alignment): no second buffer.
    let perm = run_detached(py, || {
        Ok(ck::split_permutation(n, seed, m)?
            .into_iter()
            .map(|v| v as i64)
            .collect::<Vec<i64>>())
    })?;
    Ok(perm.into_pyarray(py))
}

/// Prediction strength of splits m0..m1 for every k: shape (m1 - m0, len(ks)).
#[pyfunction]
#[pyo3(signature = (x, *, ks, m0, m1, start, n_init, seed))]
#[allow(clippy::too_many_arguments)]
fn choose_k_prediction_strength<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    ks: Vec<usize>,
    m0: usize,
    m1: usize,
    start: &str,
    n_init: usize,
    seed: u64,
) -> PyResult<Arr2<'py, f64>> {
    let x = x.as_array();
    let out = run_interruptible(py, |stop| {
        ck::prediction_strength_splits(
            x,
            &ks,
            m0..m1.max(m0),
            (&settings(start, n_init, seed)?, &KMEANS, stop),
        )
    })?;
    Ok(out.into_pyarray(py))
}

/// Prediction strength of one half from its own labels and its classification by the
/// other half's model (int32 codes in `[0, k)`): the refits of clusterers other than
/// k-means use the same formula as [`choose_k_prediction_strength`].
#[pyfunction]
#[pyo3(signature = (own, classified, *, k))]
fn choose_k_half_strength(
    py: Python<'_>,
    own: PyReadonlyArray1<'_, i32>,
    classified: PyReadonlyArray1<'_, i32>,
    k: usize,
) -> PyResult<f64> {
    let (own, classified) = (own.as_slice()?, classified.as_slice()?);
    run_detached(py, || ck::half_strength(own, classified, k))
}

/// The two bootstrap samples (int64 row indices) of replicate `r`.
#[pyfunction]
#[pyo3(signature = (n, *, seed, r))]
fn bootstrap_indices<'py>(
    py: Python<'py>,
    n: usize,
    seed: u64,
    r: usize,
) -> PyResult<(Arr1<'py, i64>, Arr1<'py, i64>)> {
    let conv = |v: Vec<usize>| -> Vec<i64> { v.into_iter().map(|i| i as i64).collect() };
    let (a, b) = run_detached(py, || {
        let (a, b) = ck::bootstrap_indices(n, seed, r)?;
        Ok((conv(a), conv(b)))
    })?;
    Ok((a.into_pyarray(py), b.into_pyarray(py)))
}

/// The two predicted partitions of all rows for replicate `r` and `k` clusters.
#[pyfunction]
#[pyo3(signature = (x, *, k, r, start, n_init, seed))]
#[allow(clippy::too_many_arguments)]
fn bootstrap_partitions<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    k: usize,
    r: usize,
    start: &str,
    n_init: usize,
    seed: u64,
) -> PyResult<(Arr1<'py, i32>, Arr1<'py, i32>)> {
    let x = x.as_array();
    let (a, b) = run_interruptible(py, |stop| {
        ck::bootstrap_partitions(x, k, r, (&settings(start, n_init, seed)?, &KMEANS, stop))
    })?;
    Ok((a.into_pyarray(py), b.into_pyarray(py)))
}

/// Bootstrap ARI of replicates r0..r1 for every k: shape (r1 - r0, len(ks)).
#[pyfunction]
#[pyo3(signature = (x, *, ks, r0, r1, start, n_init, seed))]
#[allow(clippy::too_many_arguments)]
fn choose_k_bootstrap_ari<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    ks: Vec<usize>,
    r0: usize,
    r1: usize,
    start: &str,
    n_init: usize,
    seed: u64,
) -> PyResult<Arr2<'py, f64>> {
    let x = x.as_array();
    let out = run_interruptible(py, |stop| {
        ck::bootstrap_ari(
            x,
            &ks,
            r0..r1.max(r0),
            (&settings(start, n_init, seed)?, &KMEANS, stop),
        )
    })?;
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(choose_k_fit_curve, m)?)?;
    m.add_function(wrap_pyfunction!(choose_k_within_dispersion, m)?)?;
    m.add_function(wrap_pyfunction!(choose_k_gap_reference_log_w, m)?)?;
    m.add_function(wrap_pyfunction!(choose_k_prediction_strength, m)?)?;
    m.add_function(wrap_pyfunction!(choose_k_half_strength, m)?)?;
    m.add_function(wrap_pyfunction!(choose_k_bootstrap_ari, m)?)?;
    Ok(())
}

/// The test-only exports (`_core._testing`): the criteria's random streams one by one.
pub fn register_testing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(reference_set, m)?)?;
    m.add_function(wrap_pyfunction!(split_permutation, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_indices, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_partitions, m)?)?;
    Ok(())
}
