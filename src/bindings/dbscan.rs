//! Python bindings for `core::dbscan`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::run_interruptible;
use crate::core::dbscan;
use crate::core::params::Params;

/// DBSCAN labels (int32, noise -1) and core sample indices (int64).
#[pyfunction]
#[pyo3(signature = (x, *, eps, min_samples))]
#[allow(clippy::type_complexity)]
fn dbscan_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    eps: f64,
    min_samples: usize,
) -> PyResult<(Bound<'py, PyArray1<i32>>, Bound<'py, PyArray1<i64>>)> {
    let x = x.as_array();
    let fit = run_interruptible(py, |stop| {
        let params = dbscan::DbscanParams { eps, min_samples }.check()?;
        dbscan::dbscan(x, &params, stop)
    })?;
    Ok((
        fit.labels.into_pyarray(py),
        fit.core_sample_indices.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dbscan_fit, m)?)?;
    Ok(())
}
