//! Python bindings for `core::dbscan`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::run_detached;
use crate::core::dbscan;

/// DBSCAN labels (int32, noise -1) and core sample indices (int64).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn dbscan_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    eps: f64,
    min_samples: usize,
) -> PyResult<(Bound<'py, PyArray1<i32>>, Bound<'py, PyArray1<i64>>)> {
    let x = x.as_array();
    let fit = run_detached(py, || dbscan::dbscan(x, eps, min_samples))?;
    Ok((
        fit.labels.into_pyarray(py),
        fit.core_sample_indices.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dbscan_fit, m)?)?;
    Ok(())
}
