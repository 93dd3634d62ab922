//! Python bindings for `core::profile`: grouped moments and medians for segment profiles.

use ndarray::{s, Array3, ArrayView3};
use numpy::{
    IntoPyArray, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
};
use pyo3::prelude::*;

use super::{run_detached, run_sized};
use crate::core::error::{CoreError, CoreResult};
use crate::core::profile::{
    finish_segment_moments, segment_moments, segment_partial_moments, GroupMoments,
};

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
    let s = run_sized(py, x.len(), |stop| {
        segment_moments(x, codes, n_groups, stop)
    })?;
    Ok((
        s.counts.into_pyarray(py),
        s.means.into_pyarray(py),
        s.variances.into_pyarray(py),
        s.medians.into_pyarray(py),
        s.rest_means.into_pyarray(py),
        s.rest_variances.into_pyarray(py),
    ))
}

fn stacked(m: GroupMoments) -> Array3<f64> {
    let (k, d) = m.counts.dim();
    let mut out = Array3::zeros((3, k, d));
    out.slice_mut(s![0, .., ..]).assign(&m.counts);
    out.slice_mut(s![1, .., ..]).assign(&m.means);
    out.slice_mut(s![2, .., ..]).assign(&m.m2);
    out
}

fn unstacked(a: ArrayView3<f64>) -> CoreResult<GroupMoments> {
    if a.shape()[0] != 3 {
        return Err(CoreError::ShapeMismatch {
            what: "profile moments (count, mean, m2 stacked on the first axis)",
            expected: 3,
            got: a.shape()[0],
        });
    }
    Ok(GroupMoments {
        counts: a.slice(s![0, .., ..]).to_owned(),
        means: a.slice(s![1, .., ..]).to_owned(),
        m2: a.slice(s![2, .., ..]).to_owned(),
    })
}

/// One row block's per segment x feature moments, NaN skipped per feature (zero rows
/// allowed): `(3, n_groups, d)` = counts, means, centred sums of squares.
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_groups))]
fn profile_partial_moments<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    codes: PyReadonlyArray1<'py, i64>,
    n_groups: usize,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let x = x.as_array();
    let codes = codes.as_slice()?;
    let m = run_sized(py, x.len(), |stop| {
        segment_partial_moments(x, codes, n_groups, stop)
    })?;
    Ok(stacked(m).into_pyarray(py))
}

/// Chan's merge of two blocks' `(3, n_groups, d)` moments (`a` before `b`).
#[pyfunction]
fn profile_merge_moments<'py>(
    py: Python<'py>,
    a: PyReadonlyArray3<'py, f64>,
    b: PyReadonlyArray3<'py, f64>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let (a, b) = (a.as_array(), b.as_array());
    let m = run_detached(py, || {
        let mut m = unstacked(a)?;
        m.merge(&unstacked(b)?)?;
        Ok(m)
    })?;
    Ok(stacked(m).into_pyarray(py))
}

/// `profile_segment_moments` from merged `(3, n_groups, d)` moments, without medians:
/// `(counts, means, variances)` with the population as the last row, then the rest's
/// `(means, variances)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn profile_finish_moments<'py>(
    py: Python<'py>,
    moments: PyReadonlyArray3<'py, f64>,
) -> PyResult<(
    F64Array2<'py>,
    F64Array2<'py>,
    F64Array2<'py>,
    F64Array2<'py>,
    F64Array2<'py>,
)> {
    let a = moments.as_array();
    let s = run_detached(py, || finish_segment_moments(&unstacked(a)?))?;
    Ok((
        s.counts.into_pyarray(py),
        s.means.into_pyarray(py),
        s.variances.into_pyarray(py),
        s.rest_means.into_pyarray(py),
        s.rest_variances.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(profile_segment_moments, m)?)?;
    m.add_function(wrap_pyfunction!(profile_partial_moments, m)?)?;
    m.add_function(wrap_pyfunction!(profile_merge_moments, m)?)?;
    m.add_function(wrap_pyfunction!(profile_finish_moments, m)?)?;
    Ok(())
}
