//! Python bindings for `core::profile`: grouped moments and medians for segment profiles.

use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::run_detached;
use crate::core::profile::segment_moments;

type F64Array2<'py> = Bound<'py, PyArray2<f64>>;

/// Per segment x feature count, mean, variance (ddof=1) and median, NaN skipped per
/// feature; the last row of the first four arrays is the population. Also the mean and
/// variance of everyone outside each segment (for the segment-vs-rest Welch test).
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_groups))]
#[allow(clippy::type_complexity)]
fn profile_segment_moments<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    codes: PyReadonlyArray1<'py, i64>,
    n_groups: usize,
) -> PyResult<(
    F64Array2<'py>,
    F64Array2<'py>,
    F64Array2<'py>,
    F64Array2<'py>,
    F64Array2<'py>,
    F64Array2<'py>,
)> {
    let x = x.as_array();
    let codes = codes.as_slice()?;
    let s = run_detached(py, || segment_moments(x, codes, n_groups))?;
    Ok((
        s.counts.into_pyarray(py),
        s.means.into_pyarray(py),
        s.variances.into_pyarray(py),
        s.medians.into_pyarray(py),
        s.rest_means.into_pyarray(py),
        s.rest_variances.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(profile_segment_moments, m)?)?;
    Ok(())
}
