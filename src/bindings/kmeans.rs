//! Python bindings for `core::kmeans`: fit, predict, labels+inertia, transform and the
//! mini-batch variants, each one Python function for float32 and float64 input
//! ([`FloatArray2`] + [`dispatch_float!`]). `n_threads` (optional) runs the work in a
//! dedicated rayon pool of that size (used by tests to show results do not depend on it).

use numpy::{Element, IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::prelude::*;

use super::{contiguous, dispatch_float, run_detached, with_threads, FloatArray2};
use crate::core::kmeans::{self, minibatch, Algorithm, Init, KMeansParams};
use crate::core::numerics::Float;
use crate::core::params::Params;
use crate::core::{CoreError, CoreResult};

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

/// The settings of one `kmeans_fit` call.
struct FitArgs<'a> {
    n_clusters: usize,
    init: &'a str,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    algorithm: &'a str,
    seed: u64,
    n_threads: Option<usize>,
}

fn fit_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    init_centers: Option<&Bound<'py, PyAny>>,
    args: FitArgs<'_>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let centres = given_centres::<F>(init_centers)?;
    let (xv, wv) = (x.as_array(), sample_weight.as_ref().map(|w| w.as_array()));
    let cv = centres.as_ref().map(|c| c.as_array());
    let fitted = run_detached(py, move || {
        let params = KMeansParams {
            n_clusters: args.n_clusters,
            n_init: args.n_init,
            max_iter: args.max_iter,
            tol: args.tol,
            algorithm: Algorithm::parse(args.algorithm)?,
            seed: args.seed,
        }
        .check()?;
        let init = make_init(cv, args.init)?;
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(args.n_threads, || kmeans::fit(xv, w, &params, &init))
    })?;
    let out = (
        fitted.centres.into_pyarray(py),
        fitted.labels.into_pyarray(py),
        fitted.inertia,
        fitted.n_iter,
    );
    Ok(out.into_pyobject(py)?.into_any())
}

/// Fit k-means (float32 or float64 `x`); returns `(centers, labels, inertia, n_iter)`.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, n_clusters, init, init_centers, n_init, max_iter, tol, algorithm, seed, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn kmeans_fit<'py>(
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
    let args = FitArgs {
        n_clusters,
        init,
        n_init,
        max_iter,
        tol,
        algorithm,
        seed,
        n_threads,
    };
    dispatch_float!(x, x: F => fit_typed::<F>(x, sample_weight, init_centers.as_ref(), args))
}

fn predict_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    centers: &Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
    let (xv, cv) = (x.as_array(), centers.as_array());
    let labels = run_detached(py, move || {
        with_threads(n_threads, || kmeans::predict(xv, cv))
    })?;
    Ok(labels.into_pyarray(py).into_any())
}

/// Closest centre of each row (int32); `centers` has the dtype of `x`.
#[pyfunction]
#[pyo3(signature = (x, centers, n_threads=None))]
fn kmeans_predict<'py>(
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    dispatch_float!(x, x: F => predict_typed::<F>(x, &centers, n_threads))
}

fn labels_inertia_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    centers: &Bound<'py, PyAny>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
    let (xv, cv) = (x.as_array(), centers.as_array());
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let (labels, inertia) = run_detached(py, move || {
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(n_threads, || kmeans::labels_inertia(xv, cv, w))
    })?;
    Ok((labels.into_pyarray(py), inertia)
        .into_pyobject(py)?
        .into_any())
}

/// Labels and weighted inertia against given centres (of the dtype of `x`).
#[pyfunction]
#[pyo3(signature = (x, centers, *, sample_weight=None, n_threads=None))]
fn kmeans_labels_inertia<'py>(
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    dispatch_float!(x, x: F => labels_inertia_typed::<F>(x, &centers, sample_weight, n_threads))
}

fn transform_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    centers: &Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let centers: PyReadonlyArray2<'py, F> = centers.extract()?;
    let (xv, cv) = (x.as_array(), centers.as_array());
    let out = run_detached(py, move || {
        with_threads(n_threads, || kmeans::transform(xv, cv))
    })?;
    Ok(out.into_pyarray(py).into_any())
}

/// Euclidean distances of each row to each centre, `(n, k)`, in the dtype of `x`.
#[pyfunction]
#[pyo3(signature = (x, centers, n_threads=None))]
fn kmeans_transform<'py>(
    x: FloatArray2<'py>,
    centers: Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    dispatch_float!(x, x: F => transform_typed::<F>(x, &centers, n_threads))
}

/// The settings of one `minibatch_fit` call.
struct MiniBatchArgs<'a> {
    params: minibatch::MiniBatchParams,
    init: &'a str,
    n_threads: Option<usize>,
}

fn minibatch_fit_typed<'py, F: Float + Element>(
    x: PyReadonlyArray2<'py, F>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    init_centers: Option<&Bound<'py, PyAny>>,
    args: MiniBatchArgs<'_>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let centres = given_centres::<F>(init_centers)?;
    let (xv, wv) = (x.as_array(), sample_weight.as_ref().map(|w| w.as_array()));
    let cv = centres.as_ref().map(|c| c.as_array());
    let fitted = run_detached(py, move || {
        let params = args.params.check()?;
        let init = make_init(cv, args.init)?;
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(args.n_threads, || minibatch::fit(xv, w, &params, &init))
    })?;
    let out = (
        fitted.centres.into_pyarray(py),
        fitted.counts.into_pyarray(py),
        fitted.labels.map(|l| l.into_pyarray(py)),
        fitted.inertia,
        fitted.n_steps,
        fitted.n_iter,
        fitted.n_since_last_reassign,
    );
    Ok(out.into_pyobject(py)?.into_any())
}

/// Fit mini-batch k-means; returns
/// `(centers, counts, labels or None, inertia, n_steps, n_iter, n_since_last_reassign)`.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, n_clusters, init, init_centers, n_init, max_iter, batch_size, tol, max_no_improvement, init_size, reassignment_ratio, compute_labels, seed, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn minibatch_fit<'py>(
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
    let args = MiniBatchArgs {
        params: minibatch::MiniBatchParams {
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
        },
        init,
        n_threads,
    };
    dispatch_float!(x, x: F => minibatch_fit_typed::<F>(x, sample_weight, init_centers.as_ref(), args))
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
    let py = x.py();
    let centres = given_centres::<F>(init_centers)?;
    let (xv, wv) = (x.as_array(), sample_weight.as_ref().map(|w| w.as_array()));
    let cv = centres.as_ref().map(|c| c.as_array());
    let out = run_detached(py, move || {
        let init = make_init(cv, init)?;
        let w = contiguous(&wv, "sample_weight")?;
        minibatch::initial_centres(xv, w, n_clusters, &init, init_size, seed)
    })?;
    Ok(out.into_pyarray(py).into_any())
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
