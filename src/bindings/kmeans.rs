//! Python bindings for `core::kmeans`: fit, predict, labels+inertia, transform and the
//! mini-batch variants, each one Python function for float32 and float64 input
//! ([`FloatArray2`] + [`dispatch_float!`]). `n_threads` (optional) runs the work in a
//! dedicated rayon pool of that size (used by tests to show results do not depend on it).

use ndarray::Array2;
use numpy::{Element, IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::prelude::*;

use super::{
    contiguous, dispatch_float, fit_terms, run_detached, run_fit, run_sized, to_py_err, with_csr,
    with_threads, FloatArray1, FloatArray2,
};
use crate::core::kmeans::{self, minibatch, partial, sparse, Algorithm, Init, KMeansParams};
use crate::core::numerics::{CoMoments, CsrView, Finite, Float};
use crate::core::params::Params;
use crate::core::{CoreError, CoreResult, Interrupt};

fn parse_init(name: &str) -> CoreResult<bool> {
    match name {
        "k-means++" => Ok(true),
        "random" => Ok(false),
        other => Err(CoreError::InvalidParameter {
            name: "init",
            reason: format!("must be 'k-means++', 'random' or an array, got {other:?}"),
        }),
    }
}

/// Initial centres of the element type `F`, if given.
fn given_centres<'py, F: Float + Element>(
    centres: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<PyReadonlyArray3<'py, F>>> {
    centres.map(|c| c.extract()).transpose()
}

fn make_init<'a, F: Float>(
    given: Option<ndarray::ArrayView3<'a, F>>,
    name: &str,
) -> CoreResult<Init<'a, F>> {
    Ok(match given {
        Some(c) => Init::Given(c),
        None if parse_init(name)? => Init::KMeansPlusPlus,
        None => Init::Random,
    })
}

/// `work(x, weights, init, stop)` with the GIL released and Ctrl-C honoured, in a pool of
/// `n_threads` threads: the initial centres read in the dtype of `x` (or named by
/// `init_name`) and the weights as a slice (fit, mini-batch fit and mini-batch seeding).
/// `(k, n_init, max_iter)` bound the work ([`fit_terms`]; given centres count as many
/// restarts as they hold): a small fit runs on the calling thread.
fn with_init<'py, F, R, W>(
    x: &PyReadonlyArray2<'py, F>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    (init_name, init_centers): (&str, Option<&Bound<'py, PyAny>>),
    (k, n_init, max_iter): (usize, usize, usize),
    n_threads: Option<usize>,
    work: W,
) -> PyResult<R>
where
    F: Float + Element,
    R: Send,
    W: FnOnce(
            ndarray::ArrayView2<'_, F>,
            Option<&[f64]>,
            &Init<'_, F>,
            &Interrupt,
        ) -> CoreResult<R>
        + Send,
{
    let centres = given_centres::<F>(init_centers)?;
    let (xv, wv) = (x.as_array(), sample_weight.as_ref().map(|w| w.as_array()));
    let cv = centres.as_ref().map(|c| c.as_array());
    let restarts = cv.as_ref().map_or(n_init, |c| c.len_of(ndarray::Axis(0)));
    run_fit(
        x.py(),
        fit_terms(xv.len(), k, restarts, max_iter),
        move |stop| {
            let init = make_init(cv, init_name)?;
            let w = contiguous(&wv, "sample_weight")?;
            with_threads(n_threads, || work(xv, w, &init, stop))
        },
    )
}

/// Fit k-means (float32 or float64 `x`); returns `(centers, labels, inertia, n_iter)`.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, n_clusters, init, init_centers, n_init, max_iter, tol, algorithm, seed, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn kmeans_fit<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<Bound<'py, PyAny>>,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    algorithm: &str,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = KMeansParams {
        n_clusters,
        n_init,
        max_iter,
        tol,
        algorithm: Algorithm::parse(algorithm).map_err(to_py_err)?,
        seed,
    }
    .check()
    .map_err(to_py_err)?;
    dispatch_float!(x, x: F => {
        let how = (init, init_centers.as_ref());
        let bound = (n_clusters, n_init, max_iter);
        let f = with_init(&x, sample_weight, how, bound, n_threads, |x, w, init, stop| {
            kmeans::fit::<F>(x, w, &params, init, stop)
        })?;
        let centres = f.centres.into_pyarray(py);
        let out = (centres, f.labels.into_pyarray(py), f.inertia, f.n_iter);
        Ok(out.into_pyobject(py)?.into_any())
    })
}

/// `work(x, centres, stop)` with `centers` read in the dtype of `x`, the GIL released,
/// Ctrl-C honoured on large input ([`run_sized`]) and the work in a pool of `n_threads`
/// threads (predict, labels + inertia, transform).
fn against_centres<'py, F, R, W>(
    x: &PyReadonlyArray2<'py, F>,
    centers: &Bound<'py, PyAny>,
    n_threads: Option<usize>,
    work: W,
) -> PyResult<R>
where
    F: Float + Element,
    R: Send,
    W: FnOnce(ndarray::ArrayView2<'_, F>, ndarray::ArrayView2<'_, F>, &Interrupt) -> CoreResult<R>
        + Send,
{
    let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
    let (xv, cv) = (x.as_array(), centers.as_array());
    run_sized(x.py(), xv.len(), move |stop| {
        with_threads(n_threads, || work(xv, cv, stop))
    })
}

/// Closest centre of each row (int32); `centers` has the dtype of `x`.
#[pyfunction]
#[pyo3(signature = (x, centers, n_threads=None))]
fn kmeans_predict<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let labels = dispatch_float!(x, x: F => {
        against_centres::<F, _, _>(&x, &centers, n_threads, kmeans::predict::<F>)?
    });
    Ok(labels.into_pyarray(py).into_any())
}

/// Labels and weighted inertia against given centres (of the dtype of `x`).
#[pyfunction]
#[pyo3(signature = (x, centers, *, sample_weight=None, n_threads=None))]
fn kmeans_labels_inertia<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let w = contiguous(&wv, "sample_weight").map_err(to_py_err)?;
    let (labels, inertia) = dispatch_float!(x, x: F => {
        against_centres::<F, _, _>(&x, &centers, n_threads, |x, c, stop| {
            kmeans::labels_inertia(x, c, w, stop)
        })?
    });
    Ok((labels.into_pyarray(py), inertia)
        .into_pyobject(py)?
        .into_any())
}

/// Euclidean distances of each row to each centre, `(n, k)`, in the dtype of `x`.
#[pyfunction]
#[pyo3(signature = (x, centers, n_threads=None))]
fn kmeans_transform<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    dispatch_float!(x, x: F => {
        let out = against_centres::<F, _, _>(&x, &centers, n_threads, kmeans::transform::<F>)?;
        Ok(out.into_pyarray(py).into_any())
    })
}

/// [`kmeans_fit`] of a CSR matrix (`data` float32 or float64, `indices`, `indptr`, `shape`),
/// never densified; returns `(centers, labels, inertia, n_iter)`.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, *, shape, sample_weight, n_clusters, init, init_centers, n_init, max_iter, tol, seed, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn kmeans_fit_sparse<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<Bound<'py, PyAny>>,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = KMeansParams {
        n_clusters,
        n_init,
        max_iter,
        tol,
        algorithm: Algorithm::Lloyd,
        seed,
    }
    .check()
    .map_err(to_py_err)?;
    with_csr!((data, indices, indptr, shape, Finite::All), x: F => {
        let how = (init, init_centers.as_ref());
        let bound = (n_clusters, n_init, max_iter);
        let f = with_init_csr(py, x, &sample_weight, how, bound, n_threads, |x, w, init, stop| {
            sparse::fit::<F>(x, w, &params, init, stop)
        })?;
        let out = (f.centres.into_pyarray(py), f.labels.into_pyarray(py), f.inertia, f.n_iter);
        Ok(out.into_pyobject(py)?.into_any())
    })
}

/// [`with_init`] for a checked CSR matrix `x`.
fn with_init_csr<'py, F, R, W>(
    py: Python<'py>,
    x: CsrView<'_, F>,
    sample_weight: &Option<PyReadonlyArray1<'py, f64>>,
    (init_name, init_centers): (&str, Option<&Bound<'py, PyAny>>),
    (k, n_init, max_iter): (usize, usize, usize),
    n_threads: Option<usize>,
    work: W,
) -> PyResult<R>
where
    F: Float + Element,
    R: Send,
    W: FnOnce(CsrView<'_, F>, Option<&[f64]>, &Init<'_, F>, &Interrupt) -> CoreResult<R> + Send,
{
    let centres = given_centres::<F>(init_centers)?;
    let cv = centres.as_ref().map(|c| c.as_array());
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let restarts = cv.as_ref().map_or(n_init, |c| c.len_of(ndarray::Axis(0)));
    let cells = x.nnz() + x.n_rows();
    run_fit(py, fit_terms(cells, k, restarts, max_iter), move |stop| {
        let init = make_init(cv, init_name)?;
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(n_threads, || work(x, w, &init, stop))
    })
}

/// [`kmeans_labels_inertia`] of a CSR matrix against dense centres of its dtype.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, centers, *, shape, sample_weight=None, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn kmeans_labels_inertia_sparse<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    centers: Bound<'py, PyAny>,
    shape: (usize, usize),
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let (labels, inertia) = with_csr!((data, indices, indptr, shape, Finite::All), x: F => {
        let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
        let cv = centers.as_array();
        run_sized(py, x.nnz() + x.n_rows(), move |stop| {
            let w = contiguous(&wv, "sample_weight")?;
            with_threads(n_threads, || sparse::labels_inertia::<F>(x, cv, w, stop))
        })?
    });
    Ok((labels.into_pyarray(py), inertia)
        .into_pyobject(py)?
        .into_any())
}

/// [`kmeans_transform`] of a CSR matrix: dense `(n, k)` distances in its dtype.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, centers, *, shape, n_threads=None))]
fn kmeans_transform_sparse<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    centers: Bound<'py, PyAny>,
    shape: (usize, usize),
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    with_csr!((data, indices, indptr, shape, Finite::All), x: F => {
        let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
        let cv = centers.as_array();
        let out = run_sized(py, x.nnz() + x.n_rows(), move |stop| {
            with_threads(n_threads, || sparse::transform::<F>(x, cv, stop))
        })?;
        Ok(out.into_pyarray(py).into_any())
    })
}

/// Fit mini-batch k-means; returns
/// `(centers, counts, labels or None, inertia, n_steps, n_iter, n_since_last_reassign)`.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, n_clusters, init, init_centers, n_init, max_iter, batch_size, tol, max_no_improvement, init_size, reassignment_ratio, compute_labels, seed, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn minibatch_fit<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<Bound<'py, PyAny>>,
    n_init: usize,
    max_iter: usize,
    batch_size: usize,
    tol: f64,
    max_no_improvement: Option<usize>,
    init_size: Option<usize>,
    reassignment_ratio: f64,
    compute_labels: bool,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = minibatch::MiniBatchParams {
        n_clusters,
        max_iter,
        batch_size,
        tol,
        max_no_improvement,
        init_size,
        n_init,
        reassignment_ratio,
        compute_labels,
        seed,
    }
    .check()
    .map_err(to_py_err)?;
    dispatch_float!(x, x: F => {
        let how = (init, init_centers.as_ref());
        let bound = (n_clusters, n_init, max_iter);
        let f = with_init(&x, sample_weight, how, bound, n_threads, |x, w, init, stop| {
            minibatch::fit::<F>(x, w, &params, init, stop)
        })?;
        minibatch_output(py, f)
    })
}

/// `(centers, counts, labels or None, inertia, n_steps, n_iter, n_since_last_reassign)`
/// of a mini-batch fit, dense or sparse.
fn minibatch_output<'py, F: Float + Element>(
    py: Python<'py>,
    f: minibatch::MiniBatchFit<F>,
) -> PyResult<Bound<'py, PyAny>> {
    let (centres, counts) = (f.centres.into_pyarray(py), f.counts.into_pyarray(py));
    let labels = f.labels.map(|l| l.into_pyarray(py));
    let state = (f.n_steps, f.n_iter, f.n_since_last_reassign);
    let out = (
        centres, counts, labels, f.inertia, state.0, state.1, state.2,
    );
    Ok(out.into_pyobject(py)?.into_any())
}

/// The state and settings of one `minibatch_partial_step` call.
struct StepArgs {
    n_since_last_reassign: usize,
    reassignment_ratio: f64,
    seed: u64,
    step_index: u64,
}

fn partial_step_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    centers: &Bound<'py, PyAny>,
    counts: PyReadonlyArray1<'py, f64>,
    args: StepArgs,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
    let xv = x.as_array();
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let mut c = centers.as_array().to_owned();
    let mut n = counts.as_array().to_owned();
    let (c, n, since) = run_sized(py, xv.len(), move |stop| {
        let w = contiguous(&wv, "sample_weight")?;
        let cs = c
            .as_slice_mut()
            .ok_or_else(|| CoreError::Internal("centres layout".into()))?;
        let ns = n
            .as_slice_mut()
            .ok_or_else(|| CoreError::Internal("counts layout".into()))?;
        let since = minibatch::partial_step(
            xv,
            w,
            cs,
            ns,
            args.n_since_last_reassign,
            args.reassignment_ratio,
            args.seed,
            args.step_index,
            stop,
        )?;
        Ok((c, n, since))
    })?;
    Ok((c.into_pyarray(py), n.into_pyarray(py), since)
        .into_pyobject(py)?
        .into_any())
}

/// One partial_fit step; returns `(centers, counts, n_since_last_reassign)`.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, centers, counts, n_since_last_reassign, reassignment_ratio, seed, step_index))]
#[allow(clippy::too_many_arguments)]
fn minibatch_partial_step<'py>(
    x: FloatArray2<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    centers: Bound<'py, PyAny>,
    counts: PyReadonlyArray1<'py, f64>,
    n_since_last_reassign: usize,
    reassignment_ratio: f64,
    seed: u64,
    step_index: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let args = StepArgs {
        n_since_last_reassign,
        reassignment_ratio,
        seed,
        step_index,
    };
    dispatch_float!(x, x: F => partial_step_typed::<F>(x, sample_weight, &centers, counts, args))
}

fn init_centers_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    (n_clusters, init, init_centers): (usize, &str, Option<&Bound<'py, PyAny>>),
    init_size: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let out = with_init(
        &x,
        sample_weight,
        (init, init_centers),
        (n_clusters, 1, 0),
        None,
        |xv, w, init, stop| {
            minibatch::initial_centres(xv, w, n_clusters, init, init_size, seed, stop)
        },
    )?;
    Ok(out.into_pyarray(x.py()).into_any())
}

/// Initial centres for the first partial_fit call.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, n_clusters, init, init_centers, init_size, seed))]
#[allow(clippy::too_many_arguments)]
fn minibatch_init_centers<'py>(
    x: FloatArray2<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<Bound<'py, PyAny>>,
    init_size: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let how = (n_clusters, init, init_centers.as_ref());
    dispatch_float!(x, x: F => init_centers_typed::<F>(x, sample_weight, how, init_size, seed))
}

/// [`minibatch_fit`] of a CSR matrix (`data`, `indices`, `indptr`, `shape`), never
/// densified; returns the same tuple.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, *, shape, sample_weight, n_clusters, init, init_centers, n_init, max_iter, batch_size, tol, max_no_improvement, init_size, reassignment_ratio, compute_labels, seed, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn minibatch_fit_sparse<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<Bound<'py, PyAny>>,
    n_init: usize,
    max_iter: usize,
    batch_size: usize,
    tol: f64,
    max_no_improvement: Option<usize>,
    init_size: Option<usize>,
    reassignment_ratio: f64,
    compute_labels: bool,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = minibatch::MiniBatchParams {
        n_clusters,
        max_iter,
        batch_size,
        tol,
        max_no_improvement,
        init_size,
        n_init,
        reassignment_ratio,
        compute_labels,
        seed,
    }
    .check()
    .map_err(to_py_err)?;
    with_csr!((data, indices, indptr, shape, Finite::All), x: F => {
        let how = (init, init_centers.as_ref());
        let bound = (n_clusters, n_init, max_iter);
        let f = with_init_csr(py, x, &sample_weight, how, bound, n_threads, |x, w, init, stop| {
            sparse::minibatch_fit::<F>(x, w, &params, init, stop)
        })?;
        minibatch_output(py, f)
    })
}

/// [`minibatch_partial_step`] on a CSR matrix; returns `(centers, counts,
/// n_since_last_reassign)`.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, *, shape, sample_weight, centers, counts, n_since_last_reassign, reassignment_ratio, seed, step_index))]
#[allow(clippy::too_many_arguments)]
fn minibatch_partial_step_sparse<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    centers: Bound<'py, PyAny>,
    counts: PyReadonlyArray1<'py, f64>,
    n_since_last_reassign: usize,
    reassignment_ratio: f64,
    seed: u64,
    step_index: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    with_csr!((data, indices, indptr, shape, Finite::All), x: F => {
        let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
        let mut c = centers.as_array().to_owned();
        let mut n = counts.as_array().to_owned();
        let (c, n, since) = run_sized(py, x.nnz() + x.n_rows(), move |stop| {
            let w = contiguous(&wv, "sample_weight")?;
            let cs = c
                .as_slice_mut()
                .ok_or_else(|| CoreError::Internal("centres layout".into()))?;
            let ns = n
                .as_slice_mut()
                .ok_or_else(|| CoreError::Internal("counts layout".into()))?;
            let since = sparse::minibatch_partial_step::<F>(
                x,
                w,
                cs,
                ns,
                n_since_last_reassign,
                reassignment_ratio,
                seed,
                step_index,
                stop,
            )?;
            Ok((c, n, since))
        })?;
        Ok((c.into_pyarray(py), n.into_pyarray(py), since)
            .into_pyobject(py)?
            .into_any())
    })
}

/// [`minibatch_init_centers`] of a CSR matrix.
#[pyfunction]
#[pyo3(signature = (data, indices, indptr, *, shape, sample_weight, n_clusters, init, init_centers, init_size, seed))]
#[allow(clippy::too_many_arguments)]
fn minibatch_init_centers_sparse<'py>(
    py: Python<'py>,
    data: FloatArray1<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, i64>,
    shape: (usize, usize),
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<Bound<'py, PyAny>>,
    init_size: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    with_csr!((data, indices, indptr, shape, Finite::All), x: F => {
        let how = (init, init_centers.as_ref());
        let bound = (n_clusters, 1, 0);
        let out = with_init_csr(py, x, &sample_weight, how, bound, None, |x, w, init, stop| {
            sparse::minibatch_initial_centres::<F>(x, w, n_clusters, init, init_size, seed, stop)
        })?;
        Ok(out.into_pyarray(py).into_any())
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmeans_fit, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_predict, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_labels_inertia, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_transform, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_fit_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_labels_inertia_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_transform_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_fit_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_partial_step_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_init_centers_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_fit, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_partial_step, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_init_centers, m)?)?;
    register_partial(m)
}

// ------------------------------------------------------------------ partitioned data

/// `(count, sum, m2)` per feature as a `(d, 3)` array (the tolerance's partial moments).
fn moments_array(moments: &[CoMoments]) -> CoreResult<Array2<f64>> {
    let flat: Vec<f64> = moments
        .iter()
        .flat_map(|m| [m.count, m.sum_y, m.m2_y])
        .collect();
    Array2::from_shape_vec((moments.len(), 3), flat)
        .map_err(|e| CoreError::Internal(format!("moments shape: {e}")))
}

fn moments_from_array(a: ndarray::ArrayView2<'_, f64>) -> CoreResult<Vec<CoMoments>> {
    if a.ncols() != 3 {
        return Err(CoreError::ShapeMismatch {
            what: "feature moments columns (count, sum, m2)",
            expected: 3,
            got: a.ncols(),
        });
    }
    Ok(a.rows()
        .into_iter()
        .map(|r| CoMoments {
            count: r[0],
            sum_y: r[1],
            m2_y: r[2],
            ..CoMoments::EMPTY
        })
        .collect())
}

/// Per-feature `(count, sum, m2)` of one partition, `(d, 3)`; rejects NaN/infinity.
#[pyfunction]
fn kmeans_partition_moments<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let out = dispatch_float!(x, x: F => {
        let x = x.as_array();
        run_detached(py, || moments_array(&partial::partition_moments::<F>(x)?))?
    });
    Ok(out.into_pyarray(py))
}

/// Chan's merge of two `(d, 3)` per-feature moment arrays (a before b).
#[pyfunction]
fn kmeans_merge_moments<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (a, b) = (a.as_array(), b.as_array());
    let out = run_detached(py, || {
        let mut total = moments_from_array(a)?;
        let part = moments_from_array(b)?;
        if part.len() != total.len() {
            return Err(CoreError::ShapeMismatch {
                what: "feature moments rows (one per feature)",
                expected: total.len(),
                got: part.len(),
            });
        }
        partial::merge_feature_moments(&mut total, &part);
        moments_array(&total)
    })?;
    Ok(out.into_pyarray(py))
}

/// `tol * mean per-feature variance` from merged `(d, 3)` moments (the absolute tolerance).
#[pyfunction]
#[pyo3(signature = (moments, *, tol))]
fn kmeans_tolerance(moments: PyReadonlyArray2<'_, f64>, tol: f64) -> PyResult<f64> {
    let m = moments_from_array(moments.as_array()).map_err(to_py_err)?;
    Ok(partial::tolerance_of(&m, tol))
}

/// One partition's Lloyd statistics against `centers`: `(sums (k, d), weights (k,), cost)`.
#[pyfunction]
#[pyo3(signature = (x, centers, *, sample_weight=None))]
fn kmeans_lloyd_partial<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyAny>> {
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let w = contiguous(&wv, "sample_weight").map_err(to_py_err)?;
    let p = dispatch_float!(x, x: F => {
        against_centres::<F, _, _>(&x, &centers, None, |x, c, stop| {
            partial::lloyd_partial(x, w, c, stop)
        })?
    });
    Ok(
        (p.sums.into_pyarray(py), p.weights.into_pyarray(py), p.cost)
            .into_pyobject(py)?
            .into_any(),
    )
}

fn far_tuple<'py, F: Float + Element>(
    py: Python<'py>,
    f: partial::FarRows<F>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok((
        f.distance.into_pyarray(py),
        f.index.into_pyarray(py),
        f.weight.into_pyarray(py),
        f.label.into_pyarray(py),
        f.rows.into_pyarray(py),
    )
        .into_pyobject(py)?
        .into_any())
}

/// One partition's `n_far` rows farthest from their closest centre:
/// `(distance, global index, weight, label, rows)`.
#[pyfunction]
#[pyo3(signature = (x, centers, *, sample_weight=None, n_far, offset))]
fn kmeans_farthest_rows<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_far: usize,
    offset: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let w = contiguous(&wv, "sample_weight").map_err(to_py_err)?;
    dispatch_float!(x, x: F => {
        let f = against_centres::<F, _, _>(&x, &centers, None, |x, c, stop| {
            partial::farthest_rows(x, w, c, n_far, offset, stop)
        })?;
        far_tuple(py, f)
    })
}

type FarTuple<'py, F> = (
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, u64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, i64>,
    PyReadonlyArray2<'py, F>,
);

fn finish_typed<'py, F: Float + Element>(
    sums: PyReadonlyArray2<'py, f64>,
    weights: PyReadonlyArray1<'py, f64>,
    centers: PyReadonlyArray2<'py, F>,
    far: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = centers.py();
    let far: Option<FarTuple<'py, F>> = far.map(|f| f.extract()).transpose()?;
    let far = far.map(|(distance, index, weight, label, rows)| partial::FarRows {
        distance: distance.as_array().to_owned(),
        index: index.as_array().to_owned(),
        weight: weight.as_array().to_owned(),
        label: label.as_array().to_owned(),
        rows: rows.as_array().as_standard_layout().into_owned(),
    });
    let (s, c) = (sums.as_array(), centers.as_array());
    let w = weights.as_slice()?;
    let (new, shift) = run_detached(py, || partial::lloyd_finish(s, w, c, far.as_ref()))?;
    Ok((new.into_pyarray(py), shift).into_pyobject(py)?.into_any())
}

/// The M-step from merged Lloyd statistics: `(new centers, summed squared shift)`; `far`
/// (the merged [`kmeans_farthest_rows`] tuples) is needed only when a cluster is empty.
#[pyfunction]
#[pyo3(signature = (sums, weights, centers, *, far=None))]
fn kmeans_lloyd_finish<'py>(
    sums: PyReadonlyArray2<'py, f64>,
    weights: PyReadonlyArray1<'py, f64>,
    centers: FloatArray2<'py>,
    far: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    dispatch_float!(centers, c: F => finish_typed::<F>(sums, weights, c, far.as_ref()))
}

/// One partition's k-means|| round: `(cost, global index, ratio, rows)` of the rows that
/// may be drawn (drawn iff ratio > total cost).
#[pyfunction]
#[pyo3(signature = (x, candidates, *, sample_weight=None, oversampling, seed, round, offset))]
#[allow(clippy::too_many_arguments)]
fn kmeans_oversample_round<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    candidates: Bound<'py, PyAny>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    oversampling: f64,
    seed: u64,
    round: u64,
    offset: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let w = contiguous(&wv, "sample_weight").map_err(to_py_err)?;
    dispatch_float!(x, x: F => {
        let r = against_centres::<F, _, _>(&x, &candidates, None, |x, c, stop| {
            partial::oversample_round(x, w, c, oversampling, (seed, round, offset), stop)
        })?;
        let out = (r.cost, r.index.into_pyarray(py), r.ratio.into_pyarray(py), r.rows.into_pyarray(py));
        Ok(out.into_pyobject(py)?.into_any())
    })
}

/// One partition's `k` largest weighted-draw keys: `(keys, global index, rows)`.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight=None, k, seed, stream, offset))]
fn kmeans_random_keys<'py>(
    py: Python<'py>,
    x: FloatArray2<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    k: usize,
    seed: u64,
    stream: u64,
    offset: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let w = contiguous(&wv, "sample_weight").map_err(to_py_err)?;
    dispatch_float!(x, x: F => {
        let xv = x.as_array();
        let (keys, index, rows) =
            run_detached(py, || partial::random_keys::<F>(xv, w, k, (seed, stream, offset)))?;
        let out = (keys.into_pyarray(py), index.into_pyarray(py), rows.into_pyarray(py));
        Ok(out.into_pyobject(py)?.into_any())
    })
}

pub fn register_partial(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmeans_partition_moments, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_merge_moments, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_tolerance, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_lloyd_partial, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_farthest_rows, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_lloyd_finish, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_oversample_round, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_random_keys, m)?)?;
    Ok(())
}
