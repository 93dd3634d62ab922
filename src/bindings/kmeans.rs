//! Python bindings for `core::kmeans`: fit, predict, labels+inertia, transform and the
//! mini-batch variants, each one Python function for float32 and float64 input
//! ([`FloatArray2`] + [`dispatch_float!`]). `n_threads` (optional) runs the work in a
//! dedicated rayon pool of that size (used by tests to show results do not depend on it).

use numpy::{Element, IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::prelude::*;

use super::{
    contiguous, dispatch_float, run_detached, run_interruptible, to_py_err, with_threads,
    FloatArray2,
};
use crate::core::kmeans::{self, minibatch, Algorithm, Init, KMeansParams};
use crate::core::numerics::Float;
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
fn with_init<'py, F, R, W>(
    x: &PyReadonlyArray2<'py, F>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    (init_name, init_centers): (&str, Option<&Bound<'py, PyAny>>),
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
    run_interruptible(x.py(), move |stop| {
        let init = make_init(cv, init_name)?;
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(n_threads, || work(xv, w, &init, stop))
    })
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
        let f = with_init(&x, sample_weight, how, n_threads, |x, w, init, stop| {
            kmeans::fit::<F>(x, w, &params, init, stop)
        })?;
        let centres = f.centres.into_pyarray(py);
        let out = (centres, f.labels.into_pyarray(py), f.inertia, f.n_iter);
        Ok(out.into_pyobject(py)?.into_any())
    })
}

/// `work(x, centres)` with `centers` read in the dtype of `x`, the GIL released and the
/// work in a pool of `n_threads` threads (predict, labels + inertia, transform).
fn against_centres<'py, F, R, W>(
    x: &PyReadonlyArray2<'py, F>,
    centers: &Bound<'py, PyAny>,
    n_threads: Option<usize>,
    work: W,
) -> PyResult<R>
where
    F: Float + Element,
    R: Send,
    W: FnOnce(ndarray::ArrayView2<'_, F>, ndarray::ArrayView2<'_, F>) -> CoreResult<R> + Send,
{
    let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
    let (xv, cv) = (x.as_array(), centers.as_array());
    run_detached(x.py(), move || with_threads(n_threads, || work(xv, cv)))
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
        against_centres::<F, _, _>(&x, &centers, n_threads, |x, c| kmeans::labels_inertia(x, c, w))?
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
        let f = with_init(&x, sample_weight, how, n_threads, |x, w, init, stop| {
            minibatch::fit::<F>(x, w, &params, init, stop)
        })?;
        let (centres, counts) = (f.centres.into_pyarray(py), f.counts.into_pyarray(py));
        let labels = f.labels.map(|l| l.into_pyarray(py));
        let state = (f.n_steps, f.n_iter, f.n_since_last_reassign);
        let out = (centres, counts, labels, f.inertia, state.0, state.1, state.2);
        Ok(out.into_pyobject(py)?.into_any())
    })
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
    let (c, n, since) = run_detached(py, move || {
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmeans_fit, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_predict, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_labels_inertia, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_transform, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_fit, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_partial_step, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_init_centers, m)?)?;
    Ok(())
}
