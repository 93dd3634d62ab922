//! Python bindings for `core::distance` (Gower and Euclidean distances, precomputed
//! matrices) and the silhouette on any distance. Distance matrices are written into a
//! block of rows of an array numpy allocated (`out`), so Python can fill a large matrix
//! in chunks and stop between them.

use numpy::ndarray::{Array1, ArrayView2};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use super::{dispatch_float, run_sized, to_py_err, FloatArray2, FloatArrayMut2};
use crate::core::distance::{self, Dissimilarities, Euclidean, Gower, GowerParams, Pairwise};
use crate::core::metrics;
use crate::core::mixed::MixedView;
use crate::core::numerics::Float;
use crate::core::params::Params;
use crate::core::{CoreError, CoreResult, Interrupt};

/// The scales and weights of a Gower distance, read from the attributes of a
/// `segwise._distance.GowerScales`.
#[derive(FromPyObject)]
pub struct Scales<'py> {
    #[pyo3(attribute)]
    n_levels: PyReadonlyArray1<'py, i64>,
    #[pyo3(attribute)]
    numeric_min: PyReadonlyArray1<'py, f64>,
    #[pyo3(attribute)]
    numeric_range: PyReadonlyArray1<'py, f64>,
    #[pyo3(attribute)]
    ordinal: PyReadonlyArray1<'py, bool>,
    #[pyo3(attribute)]
    level_rank: PyReadonlyArray1<'py, f64>,
    #[pyo3(attribute)]
    weights: PyReadonlyArray1<'py, f64>,
    #[pyo3(attribute)]
    undefined: f64,
}

/// A mixed table as the funnel hands it over: numeric block and level codes.
type Table<'a> = (ArrayView2<'a, f64>, ArrayView2<'a, i32>);

/// Borrowed slices of [`Scales`] (all contiguous), ready to cross into the detached work.
struct ScaleSlices<'a> {
    n_levels: Vec<usize>,
    numeric_min: &'a [f64],
    numeric_range: &'a [f64],
    ordinal: &'a [bool],
    level_rank: &'a [f64],
    weights: &'a [f64],
    undefined: f64,
}

impl<'py> Scales<'py> {
    fn slices(&self) -> PyResult<ScaleSlices<'_>> {
        let n_levels = self
            .n_levels
            .as_slice()?
            .iter()
            .map(|&l| usize::try_from(l))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                to_py_err(CoreError::InvalidParameter {
                    name: "n_levels",
                    reason: "numbers of levels must be >= 0".into(),
                })
            })?;
        Ok(ScaleSlices {
            n_levels,
            numeric_min: self.numeric_min.as_slice()?,
            numeric_range: self.numeric_range.as_slice()?,
            ordinal: self.ordinal.as_slice()?,
            level_rank: self.level_rank.as_slice()?,
            weights: self.weights.as_slice()?,
            undefined: self.undefined,
        })
    }
}

impl ScaleSlices<'_> {
    fn params(&self) -> GowerParams<'_> {
        GowerParams {
            numeric_min: self.numeric_min,
            numeric_range: self.numeric_range,
            ordinal: self.ordinal,
            level_rank: self.level_rank,
            weights: self.weights,
            undefined: self.undefined,
        }
    }

    /// The Gower distance between two mixed tables (numeric block, level codes).
    fn gower(&self, left: Table<'_>, right: Table<'_>) -> CoreResult<Gower> {
        // Views of the local borrow: one lifetime with `n_levels` (Gower copies the data).
        let l = MixedView::new(left.0.view(), left.1.view(), &self.n_levels, true)?;
        let r = MixedView::new(right.0.view(), right.1.view(), &self.n_levels, true)?;
        Gower::new(&l, &r, &self.params().check()?)
    }
}

/// Fill `out` (float64 or float32, C-contiguous) with `metric`'s distances from row
/// `row0` on, with the GIL released and Ctrl-C honoured within the call ([`run_sized`]
/// on `columns` per distance: the work grows with both). The one binding that writes
/// into the caller's array rather than returning a new one: Python allocates the whole
/// matrix once (under its byte cap) and fills it a block of rows per call; returning each
/// block would copy every distance a second time.
fn fill_out<P: Pairwise>(
    py: Python<'_>,
    metric: impl FnOnce() -> CoreResult<P> + Send,
    columns: usize,
    out: FloatArrayMut2<'_>,
) -> PyResult<()> {
    dispatch_float!(FloatArrayMut2; out, o: F => {
        let mut o = o;
        let view = o.as_array_mut();
        let cells = view.len().saturating_mul(columns.max(1));
        run_sized(py, cells, move |stop| distance::fill::<P, F>(&metric()?, 0, view, stop))
    })
}

/// Cells of work of a nearest-row search: left rows x right rows x columns.
fn pair_cells(left_rows: usize, right_rows: usize, columns: usize) -> usize {
    left_rows
        .saturating_mul(right_rows)
        .saturating_mul(columns.max(1))
}

/// Gower distances from the rows of the left table to the rows of the right one, into
/// `out` (left rows x right rows, float64 or float32).
#[pyfunction]
#[pyo3(signature = (left_numeric, left_codes, right_numeric, right_codes, *, scales, out))]
fn gower_fill<'py>(
    py: Python<'py>,
    left_numeric: PyReadonlyArray2<'py, f64>,
    left_codes: PyReadonlyArray2<'py, i32>,
    right_numeric: PyReadonlyArray2<'py, f64>,
    right_codes: PyReadonlyArray2<'py, i32>,
    scales: Scales<'py>,
    out: FloatArrayMut2<'py>,
) -> PyResult<()> {
    let s = scales.slices()?;
    let l = (left_numeric.as_array(), left_codes.as_array());
    let r = (right_numeric.as_array(), right_codes.as_array());
    let columns = l.0.ncols() + l.1.ncols();
    fill_out(py, || s.gower(l, r), columns, out)
}

pub(super) type Nearest<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

/// For every left row, the nearest right row under Gower (-1 where undefined) and its
/// distance.
#[pyfunction]
#[pyo3(signature = (left_numeric, left_codes, right_numeric, right_codes, *, scales))]
fn gower_nearest<'py>(
    py: Python<'py>,
    left_numeric: PyReadonlyArray2<'py, f64>,
    left_codes: PyReadonlyArray2<'py, i32>,
    right_numeric: PyReadonlyArray2<'py, f64>,
    right_codes: PyReadonlyArray2<'py, i32>,
    scales: Scales<'py>,
) -> PyResult<Nearest<'py>> {
    let s = scales.slices()?;
    let l = (left_numeric.as_array(), left_codes.as_array());
    let r = (right_numeric.as_array(), right_codes.as_array());
    let cells = pair_cells(l.0.nrows(), r.0.nrows(), l.0.ncols() + l.1.ncols());
    let (labels, dists) = run_sized(py, cells, |stop| distance::nearest(&s.gower(l, r)?, stop))?;
    Ok((labels.into_pyarray(py), dists.into_pyarray(py)))
}

/// Euclidean distances between the rows of `left` and `right`, into `out`.
#[pyfunction]
#[pyo3(signature = (left, right, *, out))]
fn euclidean_fill<'py>(
    py: Python<'py>,
    left: PyReadonlyArray2<'py, f64>,
    right: PyReadonlyArray2<'py, f64>,
    out: FloatArrayMut2<'py>,
) -> PyResult<()> {
    let (l, r) = (left.as_array(), right.as_array());
    fill_out(py, || Euclidean::new(l, r), l.ncols(), out)
}

/// For every row of `left`, the nearest row of `right` (Euclidean) and its distance.
#[pyfunction]
fn euclidean_nearest<'py>(
    py: Python<'py>,
    left: PyReadonlyArray2<'py, f64>,
    right: PyReadonlyArray2<'py, f64>,
) -> PyResult<Nearest<'py>> {
    let (l, r) = (left.as_array(), right.as_array());
    let cells = pair_cells(l.nrows(), r.nrows(), l.ncols());
    let (labels, dists) = run_sized(py, cells, |stop| {
        distance::nearest(&Euclidean::new(l, r)?, stop)
    })?;
    Ok((labels.into_pyarray(py), dists.into_pyarray(py)))
}

/// Check a precomputed dissimilarity matrix: square, finite, >= 0, zero diagonal, and
/// with `symmetric` symmetric.
#[pyfunction]
#[pyo3(signature = (d, *, symmetric))]
fn check_dissimilarities(py: Python<'_>, d: FloatArray2<'_>, symmetric: bool) -> PyResult<()> {
    dispatch_float!(d, d: F => {
        let d = d.as_array();
        run_sized(py, d.len(), |stop| Dissimilarities::<F>::new(d)?.check(symmetric, stop))
    })
}

/// Silhouette coefficients of samples `start..stop` from a precomputed matrix (checked
/// by the caller).
#[pyfunction]
#[pyo3(signature = (d, labels, *, start, stop))]
fn silhouette_rows_precomputed<'py>(
    py: Python<'py>,
    d: FloatArray2<'py>,
    labels: PyReadonlyArray1<'py, i64>,
    start: usize,
    stop: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let labels = labels.as_slice()?;
    let out = dispatch_float!(d, d: F => {
        let d = d.as_array();
        let cells = stop.saturating_sub(start).saturating_mul(d.ncols());
        run_sized(py, cells, |halt| rows_of::<F>(d, labels, start, stop, halt))?
    });
    Ok(out.into_pyarray(py))
}

fn rows_of<F: Float>(
    d: ArrayView2<'_, F>,
    labels: &[i64],
    start: usize,
    stop: usize,
    halt: &Interrupt,
) -> CoreResult<Array1<f64>> {
    metrics::silhouette_rows(&Dissimilarities::new(d)?, labels, start..stop, halt)
}

/// Silhouette coefficients of samples `start..stop` under Gower's distance.
#[pyfunction]
#[pyo3(signature = (numeric, codes, labels, *, scales, start, stop))]
#[allow(clippy::too_many_arguments)]
fn silhouette_rows_gower<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    codes: PyReadonlyArray2<'py, i32>,
    labels: PyReadonlyArray1<'py, i64>,
    scales: Scales<'py>,
    start: usize,
    stop: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    if numeric.shape()[0] != codes.shape()[0] {
        return Err(to_py_err(CoreError::ShapeMismatch {
            what: "rows of the categorical block",
            expected: numeric.shape()[0],
            got: codes.shape()[0],
        }));
    }
    let s = scales.slices()?;
    let labels = labels.as_slice()?;
    let table = (numeric.as_array(), codes.as_array());
    let cells = pair_cells(
        stop.saturating_sub(start),
        table.0.nrows(),
        table.0.ncols() + table.1.ncols(),
    );
    let out = run_sized(py, cells, |halt| {
        metrics::silhouette_rows(&s.gower(table, table)?, labels, start..stop, halt)
    })?;
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(gower_fill, m)?)?;
    m.add_function(wrap_pyfunction!(gower_nearest, m)?)?;
    m.add_function(wrap_pyfunction!(euclidean_fill, m)?)?;
    m.add_function(wrap_pyfunction!(euclidean_nearest, m)?)?;
    m.add_function(wrap_pyfunction!(check_dissimilarities, m)?)?;
    m.add_function(wrap_pyfunction!(silhouette_rows_precomputed, m)?)?;
    m.add_function(wrap_pyfunction!(silhouette_rows_gower, m)?)?;
    Ok(())
}
