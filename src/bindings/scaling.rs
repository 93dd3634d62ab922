//! Python bindings for `core::scaling`: one Python function per kernel for float32 and
//! float64 input ([`FloatArray2`] + [`dispatch_float!`]); statistics are float64 either way.

use numpy::{
    Element, IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray2,
};
use pyo3::prelude::*;

use super::{
    dispatch_float, run_detached, run_sized, to_py_err, with_csr, FloatArray1, FloatArray2,
};
use crate::core::numerics::{Finite, Float};
use crate::core::scaling::{self, AffineOp, RunningMoments};
use crate::core::{CoreError, CoreResult};

type Vec1<'py> = Bound<'py, PyArray1<f64>>;

fn parse_op(op: &str) -> CoreResult<AffineOp> {
    match op {
        "subtract_divide" => Ok(AffineOp::SubtractDivide),
        "multiply_add" => Ok(AffineOp::MultiplyAdd),
        other => Err(CoreError::InvalidParameter {
            name: "op",
            reason: format!("expected 'subtract_divide' or 'multiply_add', got {other:?}"),
        }),
    }
}

/// Running mean/var/count after adding one batch (StandardScaler.partial_fit).
/// Returns `(mean, var, count, n_nan)`; `last_*` are all given or all omitted.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight=None, last_mean=None, last_var=None, last_count=None))]
#[allow(clippy::type_complexity)]
fn scaler_moments<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    last_mean: Option<PyReadonlyArray1<'py, f64>>,
    last_var: Option<PyReadonlyArray1<'py, f64>>,
    last_count: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<(Vec1<'py>, Vec1<'py>, Vec1<'py>, Vec1<'py>)> {
    let weights = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let last = running_moments(last_mean, last_var, last_count)?;
    let batch = dispatch_float!(x, x: F => {
        let x = x.as_array();
        run_sized(py, x.len(), |stop| scaling::column_moments::<F>(x, weights, stop))?
    });
    merged_moments(py, last, batch)
}

type Moments<'py> = (Vec1<'py>, Vec1<'py>, Vec1<'py>, Vec1<'py>);

/// The running state of `partial_fit` (all three arrays or none).
fn running_moments(
    last_mean: Option<PyReadonlyArray1<'_, f64>>,
    last_var: Option<PyReadonlyArray1<'_, f64>>,
    last_count: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Option<RunningMoments>> {
    match (last_mean, last_var, last_count) {
        (Some(m), Some(v), Some(c)) => Ok(Some(RunningMoments {
            mean: m.as_array().to_owned(),
            var: v.as_array().to_owned(),
            count: c.as_array().to_owned(),
        })),
        (None, None, None) => Ok(None),
        _ => Err(to_py_err(CoreError::InvalidParameter {
            name: "last_mean",
            reason: "last_mean, last_var and last_count: give all three or none".into(),
        })),
    }
}

/// `(mean, var, count, n_nan)` of a batch merged into the running state.
fn merged_moments<'py>(
    py: Python<'py>,
    last: Option<RunningMoments>,
    batch: scaling::BatchMoments,
) -> PyResult<Moments<'py>> {
    let merged = run_detached(py, || scaling::merge_moments(last.as_ref(), &batch))?;
    Ok((
        merged.mean.into_pyarray(py),
        merged.var.into_pyarray(py),
        merged.count.into_pyarray(py),
        batch.n_nan.into_pyarray(py),
    ))
}

/// [`scaler_moments`] of a CSR matrix (`data`, `indices`, `indptr`, `shape`): the implicit
/// zeros count as values, stored NaN are skipped (StandardScaler(with_mean=False)).
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, *, shape, sample_weight=None, last_mean=None, last_var=None, last_count=None))]
#[allow(clippy::too_many_arguments)]
fn sparse_scaler_moments<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    last_mean: Option<PyReadonlyArray1<'py, f64>>,
    last_var: Option<PyReadonlyArray1<'py, f64>>,
    last_count: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Moments<'py>> {
    let weights = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let last = running_moments(last_mean, last_var, last_count)?;
    let batch = with_csr!((data, indices, indptr, shape, Finite::AllowNan), x: F => {
        run_sized(py, x.nnz() + x.n_rows(), |stop| {
            scaling::csr_column_moments::<F>(&x, weights, stop)
        })?
    });
    merged_moments(py, last, batch)
}

/// Per-column maximum absolute value of a CSR matrix, implicit zeros included, NaN skipped.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, *, shape))]
fn sparse_column_max_abs<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
) -> PyResult<Vec1<'py>> {
    let out = with_csr!((data, indices, indptr, shape, Finite::AllowNan), x: F => {
        run_sized(py, x.nnz() + x.n_rows(), |stop| scaling::csr_column_max_abs::<F>(&x, stop))?
    });
    Ok(out.into_pyarray(py))
}

/// The stored values of a CSR matrix times `factor[column]`, as a new array of their dtype.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, *, shape, factor))]
fn sparse_scale_columns<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
    factor: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let factor = factor.as_slice()?;
    with_csr!((data, indices, indptr, shape, Finite::AllowNan), x: F => {
        let out = run_detached(py, || scaling::csr_scale_columns::<F>(&x, factor))?;
        Ok(out.into_pyarray(py).into_any())
    })
}

/// Merge two parts' `(mean, var, count)` (each a partition's `scaler_moments`): the combine
/// step of a distributed StandardScaler fit. Returns `(mean, var, count)`.
#[pyfunction]
#[pyo3(signature = (a, b))]
#[allow(clippy::type_complexity)]
fn scaler_merge_moments<'py>(
    py: Python<'py>,
    a: (
        PyReadonlyArray1<'py, f64>,
        PyReadonlyArray1<'py, f64>,
        PyReadonlyArray1<'py, f64>,
    ),
    b: (
        PyReadonlyArray1<'py, f64>,
        PyReadonlyArray1<'py, f64>,
        PyReadonlyArray1<'py, f64>,
    ),
) -> PyResult<(Vec1<'py>, Vec1<'py>, Vec1<'py>)> {
    let running = |(m, v, c): &(
        PyReadonlyArray1<'py, f64>,
        PyReadonlyArray1<'py, f64>,
        PyReadonlyArray1<'py, f64>,
    )| RunningMoments {
        mean: m.as_array().to_owned(),
        var: v.as_array().to_owned(),
        count: c.as_array().to_owned(),
    };
    let (a, b) = (running(&a), running(&b));
    let merged = run_detached(py, || scaling::merge_running(&a, &b))?;
    Ok((
        merged.mean.into_pyarray(py),
        merged.var.into_pyarray(py),
        merged.count.into_pyarray(py),
    ))
}

/// Per-column (min, max) ignoring NaN.
#[pyfunction]
fn column_min_max<'py>(py: Python<'py>, x: FloatArray2<'py>) -> PyResult<(Vec1<'py>, Vec1<'py>)> {
    let (lo, hi) = dispatch_float!(x, x: F => {
        let x = x.as_array();
        run_sized(py, x.len(), |stop| scaling::column_min_max::<F>(x, stop))?
    });
    Ok((lo.into_pyarray(py), hi.into_pyarray(py)))
}

/// Per-column maximum absolute value ignoring NaN.
#[pyfunction]
fn column_max_abs<'py>(py: Python<'py>, x: FloatArray2<'py>) -> PyResult<Vec1<'py>> {
    let out = dispatch_float!(x, x: F => {
        let x = x.as_array();
        run_sized(py, x.len(), |stop| scaling::column_max_abs::<F>(x, stop))?
    });
    Ok(out.into_pyarray(py))
}

/// Per-column nanpercentile ('linear'), plus the nanmedian as last row if asked.
#[pyfunction]
#[pyo3(signature = (x, *, percentiles, with_median))]
fn column_percentiles<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    percentiles: Vec<f64>,
    with_median: bool,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let out = dispatch_float!(x, x: F => {
        let x = x.as_array();
        run_sized(py, x.len(), |stop| {
            scaling::column_percentiles::<F>(x, &percentiles, with_median, stop)
        })?
    });
    Ok(out.into_pyarray(py))
}

fn affine_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    (a, b): (&Bound<'py, PyAny>, &Bound<'py, PyAny>),
    op: AffineOp,
    out: &Bound<'py, PyAny>,
    clip: Option<(f64, f64)>,
) -> PyResult<()> {
    let py = x.py();
    let a: PyReadonlyArray1<'py, F> = a.extract()?;
    let b: PyReadonlyArray1<'py, F> = b.extract()?;
    let mut out: PyReadwriteArray2<'py, F> = out.extract()?;
    let (x, a, b, out) = (x.as_array(), a.as_array(), b.as_array(), out.as_array_mut());
    let clip = clip.map(|(lo, hi)| (F::from_f64(lo), F::from_f64(hi)));
    run_sized(py, x.len(), |stop| {
        let (a, b) = (a.to_vec(), b.to_vec());
        scaling::affine_transform_into(x, out, &a, &b, op, clip, stop)
    })
}

/// Write `(x - a) / b` ("subtract_divide") or `x * a + b` ("multiply_add"), optionally
/// clipped to `clip = (lo, hi)`, into `out` (a fresh C-contiguous array from numpy, whose
/// allocator uses huge pages: that halves the page-fault cost of a 1 GB output). `a`, `b`
/// and `out` have the dtype of `x`; `out` must not share memory with `x`.
#[pyfunction]
#[pyo3(signature = (x, *, a, b, op, out, clip=None))]
fn affine_transform<'py>(
    x: FloatArray2<'py>,
    a: Bound<'py, PyAny>,
    b: Bound<'py, PyAny>,
    op: &str,
    out: Bound<'py, PyAny>,
    clip: Option<(f64, f64)>,
) -> PyResult<()> {
    let op = parse_op(op).map_err(to_py_err)?;
    dispatch_float!(x, x: F => affine_typed::<F>(x, (&a, &b), op, &out, clip))
}

/// Per-column count of masked cells <= -1 (where log1p is undefined).
#[pyfunction]
#[pyo3(signature = (x, *, columns))]
fn log1p_domain_errors<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    columns: Vec<bool>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let out = dispatch_float!(x, x: F => {
        let x = x.as_array();
        run_sized(py, x.len(), |stop| {
            scaling::count_log1p_domain_errors::<F>(x, &columns, stop)
        })?
    });
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scaler_moments, m)?)?;
    m.add_function(wrap_pyfunction!(scaler_merge_moments, m)?)?;
    m.add_function(wrap_pyfunction!(column_min_max, m)?)?;
    m.add_function(wrap_pyfunction!(column_max_abs, m)?)?;
    m.add_function(wrap_pyfunction!(column_percentiles, m)?)?;
    m.add_function(wrap_pyfunction!(affine_transform, m)?)?;
    m.add_function(wrap_pyfunction!(log1p_domain_errors, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_scaler_moments, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_column_max_abs, m)?)?;
    m.add_function(wrap_pyfunction!(sparse_scale_columns, m)?)?;
    Ok(())
}
