//! Python bindings for `core::metrics`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{csr_view, run_interruptible, run_sized};
use crate::core::metrics;
use crate::core::numerics::Finite;

/// Per-sample Euclidean silhouette (labels: non-negative int64 codes).
#[pyfunction]
fn silhouette_samples<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let x = x.as_array();
    let labels = labels.as_slice()?;
    let out = run_interruptible(py, |stop| metrics::silhouette_samples(x, labels, stop))?;
    Ok(out.into_pyarray(py))
}

/// Per-sample Euclidean silhouette of a CSR matrix (`data`, `indices`, `indptr`, `shape`),
/// never densified.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, labels, *, shape))]
fn sparse_silhouette_samples<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, f64>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    labels: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let labels = labels.as_slice()?;
    let (indices, indptr) = (indices.as_slice()?, indptr.as_slice()?);
    let x = csr_view(shape, indptr, indices, &data, Finite::All)?;
    let out = run_interruptible(py, |stop| metrics::csr_silhouette_samples(&x, labels, stop))?;
    Ok(out.into_pyarray(py))
}

/// Mean Euclidean silhouette.
#[pyfunction]
fn silhouette_score(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    let x = x.as_array();
    let labels = labels.as_slice()?;
    run_interruptible(py, |stop| metrics::silhouette_score(x, labels, stop))
}

/// Calinski-Harabasz index.
#[pyfunction]
fn calinski_harabasz_score(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    let x = x.as_array();
    let labels = labels.as_slice()?;
    run_sized(py, x.len(), |stop| {
        metrics::calinski_harabasz_score(x, labels, stop)
    })
}

/// Davies-Bouldin index.
#[pyfunction]
fn davies_bouldin_score(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    let x = x.as_array();
    let labels = labels.as_slice()?;
    run_sized(py, x.len(), |stop| {
        metrics::davies_bouldin_score(x, labels, stop)
    })
}

/// Per-sample simplified (centroid) silhouette.
#[pyfunction]
#[pyo3(signature = (x, labels, centers=None))]
fn simplified_silhouette_samples<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
    centers: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let x = x.as_array();
    let labels = labels.as_slice()?;
    let centers = centers.as_ref().map(|c| c.as_array());
    let out = run_sized(py, x.len(), |stop| {
        metrics::simplified_silhouette_samples(x, labels, centers, stop)
    })?;
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(silhouette_samples, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_silhouette_samples, m)?)?;
    m.add_function(wrap_pyfunction!(silhouette_score, m)?)?;
    m.add_function(wrap_pyfunction!(calinski_harabasz_score, m)?)?;
    m.add_function(wrap_pyfunction!(davies_bouldin_score, m)?)?;
    m.add_function(wrap_pyfunction!(simplified_silhouette_samples, m)?)?;
    Ok(())
}
