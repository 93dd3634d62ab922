//! Python bindings for `core::scaling`: one `_f64` and one `_f32` function per kernel.

use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray2,
};
use pyo3::prelude::*;

use super::run_detached;
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

macro_rules! scaling_functions {
    ($t:ty, $moments:ident, $minmax:ident, $maxabs:ident, $pct:ident, $affine:ident,
     $log1p_count:ident) => {
        /// Running mean/var/count after adding one batch (StandardScaler.partial_fit).
        /// Returns `(mean, var, count, n_nan)`; `last_*` are all given or all omitted.
        #[pyfunction]
        #[pyo3(signature = (x, sample_weight=None, last_mean=None, last_var=None, last_count=None))]
        #[allow(clippy::type_complexity)]
        fn $moments<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $t>,
            sample_weight: Option<PyReadonlyArray1<'py, f64>>,
            last_mean: Option<PyReadonlyArray1<'py, f64>>,
            last_var: Option<PyReadonlyArray1<'py, f64>>,
            last_count: Option<PyReadonlyArray1<'py, f64>>,
        ) -> PyResult<(Vec1<'py>, Vec1<'py>, Vec1<'py>, Vec1<'py>)> {
            let x = x.as_array();
            let weights = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
            let last = match (last_mean, last_var, last_count) {
                (Some(m), Some(v), Some(c)) => Some(RunningMoments {
                    mean: m.as_array().to_owned(),
                    var: v.as_array().to_owned(),
                    count: c.as_array().to_owned(),
                }),
                (None, None, None) => None,
                _ => {
                    return Err(super::to_py_err(CoreError::InvalidParameter {
                        name: "last_mean/last_var/last_count",
                        reason: "give all three or none".into(),
                    }))
                }
            };
            let (merged, n_nan) = run_detached(py, || {
                let batch = scaling::column_moments(x, weights)?;
                let merged = scaling::merge_moments(last.as_ref(), &batch)?;
                Ok((merged, batch.n_nan))
            })?;
            Ok((
                merged.mean.into_pyarray(py),
                merged.var.into_pyarray(py),
                merged.count.into_pyarray(py),
                n_nan.into_pyarray(py),
            ))
        }

        /// Per-column (min, max) ignoring NaN.
        #[pyfunction]
        fn $minmax<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $t>,
        ) -> PyResult<(Vec1<'py>, Vec1<'py>)> {
            let x = x.as_array();
            let (lo, hi) = run_detached(py, || scaling::column_min_max(x))?;
            Ok((lo.into_pyarray(py), hi.into_pyarray(py)))
        }

        /// Per-column maximum absolute value ignoring NaN.
        #[pyfunction]
        fn $maxabs<'py>(py: Python<'py>, x: PyReadonlyArray2<'py, $t>) -> PyResult<Vec1<'py>> {
            let x = x.as_array();
            Ok(run_detached(py, || scaling::column_max_abs(x))?.into_pyarray(py))
        }

        /// Per-column nanpercentile ('linear'), plus the nanmedian as last row if asked.
        #[pyfunction]
        fn $pct<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $t>,
            percentiles: Vec<f64>,
            with_median: bool,
        ) -> PyResult<Bound<'py, PyArray2<f64>>> {
            let x = x.as_array();
            let out = run_detached(py, || {
                scaling::column_percentiles(x, &percentiles, with_median)
            })?;
            Ok(out.into_pyarray(py))
        }

        /// Write `(x - a) / b` ("subtract_divide") or `x * a + b` ("multiply_add"),
        /// optionally clipped to `clip = (lo, hi)`, into `out` (a fresh C-contiguous array
        /// from numpy, whose allocator uses huge pages: that halves the page-fault cost of
        /// a 1 GB output). `out` must not share memory with `x`.
        #[pyfunction]
        #[pyo3(signature = (x, a, b, op, out, clip=None))]
        fn $affine<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $t>,
            a: PyReadonlyArray1<'py, $t>,
            b: PyReadonlyArray1<'py, $t>,
            op: &str,
            mut out: PyReadwriteArray2<'py, $t>,
            clip: Option<($t, $t)>,
        ) -> PyResult<()> {
            let x = x.as_array();
            let a = a.as_array();
            let b = b.as_array();
            let out = out.as_array_mut();
            let op = parse_op(op).map_err(super::to_py_err)?;
            run_detached(py, || {
                let a = a.to_vec();
                let b = b.to_vec();
                scaling::affine_transform_into(x, out, &a, &b, op, clip)
            })
        }

        /// Per-column count of masked cells <= -1 (where log1p is undefined).
        #[pyfunction]
        fn $log1p_count<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $t>,
            columns: Vec<bool>,
        ) -> PyResult<Bound<'py, PyArray1<u64>>> {
            let x = x.as_array();
            let out = run_detached(py, || scaling::count_log1p_domain_errors(x, &columns))?;
            Ok(out.into_pyarray(py))
        }
    };
}

scaling_functions!(
    f64,
    scaler_moments_f64,
    column_min_max_f64,
    column_max_abs_f64,
    column_percentiles_f64,
    affine_transform_f64,
    log1p_domain_errors_f64
);
scaling_functions!(
    f32,
    scaler_moments_f32,
    column_min_max_f32,
    column_max_abs_f32,
    column_percentiles_f32,
    affine_transform_f32,
    log1p_domain_errors_f32
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scaler_moments_f64, m)?)?;
    m.add_function(wrap_pyfunction!(column_min_max_f64, m)?)?;
    m.add_function(wrap_pyfunction!(column_max_abs_f64, m)?)?;
    m.add_function(wrap_pyfunction!(column_percentiles_f64, m)?)?;
    m.add_function(wrap_pyfunction!(affine_transform_f64, m)?)?;
    m.add_function(wrap_pyfunction!(log1p_domain_errors_f64, m)?)?;
    m.add_function(wrap_pyfunction!(scaler_moments_f32, m)?)?;
    m.add_function(wrap_pyfunction!(column_min_max_f32, m)?)?;
    m.add_function(wrap_pyfunction!(column_max_abs_f32, m)?)?;
    m.add_function(wrap_pyfunction!(column_percentiles_f32, m)?)?;
    m.add_function(wrap_pyfunction!(affine_transform_f32, m)?)?;
    m.add_function(wrap_pyfunction!(log1p_domain_errors_f32, m)?)?;
    Ok(())
}
