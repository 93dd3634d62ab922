//! Python bindings for `core::kmeans`: fit, predict, labels+inertia, transform, each in
//! a float64 and a float32 flavour. `n_threads` (optional) runs the work in a dedicated
//! rayon pool of that size (used by tests to show results do not depend on it).

use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
};
use pyo3::prelude::*;

use super::{run_detached, with_threads};
use crate::core::kmeans::{self, minibatch, Algorithm, Init, KMeansParams};
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

type FitOut<'py, F> = (
    Bound<'py, PyArray2<F>>,
    Bound<'py, PyArray1<i32>>,
    f64,
    usize,
);

macro_rules! kmeans_functions {
    ($ty:ty, $fit:ident, $predict:ident, $labels_inertia:ident, $transform:ident) => {
        /// Fit k-means; returns `(centers, labels, inertia, n_iter)`.
        #[pyfunction]
        #[pyo3(signature = (x, sample_weight, n_clusters, init, init_centers, n_init, max_iter, tol, algorithm, seed, n_threads=None))]
        #[allow(clippy::too_many_arguments)]
        fn $fit<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $ty>,
            sample_weight: Option<PyReadonlyArray1<'py, f64>>,
            n_clusters: usize,
            init: &str,
            init_centers: Option<PyReadonlyArray3<'py, $ty>>,
            n_init: usize,
            max_iter: usize,
            tol: f64,
            algorithm: &str,
            seed: u64,
            n_threads: Option<usize>,
        ) -> PyResult<FitOut<'py, $ty>> {
            let xv = x.as_array();
            let wv = sample_weight.as_ref().map(|w| w.as_array());
            let cv = init_centers.as_ref().map(|c| c.as_array());
            let init_name = init.to_owned();
            let algorithm = algorithm.to_owned();
            let fitted = run_detached(py, move || {
                let params = KMeansParams {
                    n_clusters,
                    n_init,
                    max_iter,
                    tol,
                    algorithm: Algorithm::parse(&algorithm)?,
                    seed,
                };
                let init = match cv {
                    Some(c) => Init::Given(c),
                    None if parse_init(&init_name)? => Init::KMeansPlusPlus,
                    None => Init::Random,
                };
                let w = match &wv {
                    Some(w) => Some(w.as_slice().ok_or_else(|| CoreError::InvalidParameter {
                        name: "sample_weight",
                        reason: "must be contiguous".into(),
                    })?),
                    None => None,
                };
                with_threads(n_threads, || kmeans::fit(xv, w, &params, &init))
            })?;
            Ok((
                fitted.centres.into_pyarray(py),
                fitted.labels.into_pyarray(py),
                fitted.inertia,
                fitted.n_iter,
            ))
        }

        /// Closest centre of each row (int32).
        #[pyfunction]
        #[pyo3(signature = (x, centers, n_threads=None))]
        fn $predict<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $ty>,
            centers: PyReadonlyArray2<'py, $ty>,
            n_threads: Option<usize>,
        ) -> PyResult<Bound<'py, PyArray1<i32>>> {
            let (xv, cv) = (x.as_array(), centers.as_array());
            let labels = run_detached(py, move || {
                with_threads(n_threads, || kmeans::predict(xv, cv))
            })?;
            Ok(labels.into_pyarray(py))
        }

        /// Labels and weighted inertia against given centres.
        #[pyfunction]
        #[pyo3(signature = (x, centers, sample_weight=None, n_threads=None))]
        fn $labels_inertia<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $ty>,
            centers: PyReadonlyArray2<'py, $ty>,
            sample_weight: Option<PyReadonlyArray1<'py, f64>>,
            n_threads: Option<usize>,
        ) -> PyResult<(Bound<'py, PyArray1<i32>>, f64)> {
            let (xv, cv) = (x.as_array(), centers.as_array());
            let wv = sample_weight.as_ref().map(|w| w.as_array());
            let (labels, inertia) = run_detached(py, move || {
                let w = match &wv {
                    Some(w) => Some(w.as_slice().ok_or_else(|| CoreError::InvalidParameter {
                        name: "sample_weight",
                        reason: "must be contiguous".into(),
                    })?),
                    None => None,
                };
                with_threads(n_threads, || kmeans::labels_inertia(xv, cv, w))
            })?;
            Ok((labels.into_pyarray(py), inertia))
        }

        /// Euclidean distances of each row to each centre, `(n, k)`.
        #[pyfunction]
        #[pyo3(signature = (x, centers, n_threads=None))]
        fn $transform<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $ty>,
            centers: PyReadonlyArray2<'py, $ty>,
            n_threads: Option<usize>,
        ) -> PyResult<Bound<'py, PyArray2<$ty>>> {
            let (xv, cv) = (x.as_array(), centers.as_array());
            let out = run_detached(py, move || {
                with_threads(n_threads, || kmeans::transform(xv, cv))
            })?;
            Ok(out.into_pyarray(py))
        }
    };
}

kmeans_functions!(
    f64,
    kmeans_fit_f64,
    kmeans_predict_f64,
    kmeans_labels_inertia_f64,
    kmeans_transform_f64
);
kmeans_functions!(
    f32,
    kmeans_fit_f32,
    kmeans_predict_f32,
    kmeans_labels_inertia_f32,
    kmeans_transform_f32
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmeans_fit_f64, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_predict_f64, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_labels_inertia_f64, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_transform_f64, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_fit_f32, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_predict_f32, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_labels_inertia_f32, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_transform_f32, m)?)?;
    register_minibatch(m)
}

type MiniBatchOut<'py, F> = (
    Bound<'py, PyArray2<F>>,
    Bound<'py, PyArray1<f64>>,
    Option<Bound<'py, PyArray1<i32>>>,
    f64,
    usize,
    usize,
    usize,
);

fn contiguous<'a>(
    w: &'a Option<ndarray::ArrayView1<'_, f64>>,
    name: &'static str,
) -> CoreResult<Option<&'a [f64]>> {
    match w {
        Some(w) => Ok(Some(w.as_slice().ok_or_else(|| {
            CoreError::InvalidParameter {
                name,
                reason: "must be contiguous".into(),
            }
        })?)),
        None => Ok(None),
    }
}

macro_rules! minibatch_functions {
    ($ty:ty, $fit:ident, $step:ident, $init:ident) => {
        /// Fit mini-batch k-means; returns
        /// `(centers, counts, labels or None, inertia, n_steps, n_iter, n_since_last_reassign)`.
        #[pyfunction]
        #[pyo3(signature = (x, sample_weight, n_clusters, init, init_centers, n_init, max_iter, batch_size, tol, max_no_improvement, init_size, reassignment_ratio, compute_labels, seed, n_threads=None))]
        #[allow(clippy::too_many_arguments)]
        fn $fit<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $ty>,
            sample_weight: Option<PyReadonlyArray1<'py, f64>>,
            n_clusters: usize,
            init: &str,
            init_centers: Option<PyReadonlyArray3<'py, $ty>>,
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
        ) -> PyResult<MiniBatchOut<'py, $ty>> {
            let xv = x.as_array();
            let wv = sample_weight.as_ref().map(|w| w.as_array());
            let cv = init_centers.as_ref().map(|c| c.as_array());
            let init_name = init.to_owned();
            let fitted = run_detached(py, move || {
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
                };
                let init = match cv {
                    Some(c) => Init::Given(c),
                    None if parse_init(&init_name)? => Init::KMeansPlusPlus,
                    None => Init::Random,
                };
                let w = contiguous(&wv, "sample_weight")?;
                with_threads(n_threads, || minibatch::fit(xv, w, &params, &init))
            })?;
            Ok((
                fitted.centres.into_pyarray(py),
                fitted.counts.into_pyarray(py),
                fitted.labels.map(|l| l.into_pyarray(py)),
                fitted.inertia,
                fitted.n_steps,
                fitted.n_iter,
                fitted.n_since_last_reassign,
            ))
        }

        /// One partial_fit step; returns `(centers, counts, n_since_last_reassign)`.
        #[pyfunction]
        #[pyo3(signature = (x, sample_weight, centers, counts, n_since_last_reassign, reassignment_ratio, seed, step_index))]
        #[allow(clippy::too_many_arguments)]
        fn $step<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $ty>,
            sample_weight: Option<PyReadonlyArray1<'py, f64>>,
            centers: PyReadonlyArray2<'py, $ty>,
            counts: PyReadonlyArray1<'py, f64>,
            n_since_last_reassign: usize,
            reassignment_ratio: f64,
            seed: u64,
            step_index: u64,
        ) -> PyResult<(Bound<'py, PyArray2<$ty>>, Bound<'py, PyArray1<f64>>, usize)> {
            let xv = x.as_array();
            let wv = sample_weight.as_ref().map(|w| w.as_array());
            let mut c = centers.as_array().to_owned();
            let mut n = counts.as_array().to_owned();
            let (c, n, since) = run_detached(py, move || {
                let w = contiguous(&wv, "sample_weight")?;
                let cs = c.as_slice_mut().ok_or_else(|| CoreError::Internal("centres layout".into()))?;
                let ns = n.as_slice_mut().ok_or_else(|| CoreError::Internal("counts layout".into()))?;
                let since = minibatch::partial_step(
                    xv,
                    w,
                    cs,
                    ns,
                    n_since_last_reassign,
                    reassignment_ratio,
                    seed,
                    step_index,
                )?;
                Ok((c, n, since))
            })?;
            Ok((c.into_pyarray(py), n.into_pyarray(py), since))
        }

        /// Initial centres for the first partial_fit call.
        #[pyfunction]
        #[pyo3(signature = (x, sample_weight, n_clusters, init, init_centers, init_size, seed))]
        #[allow(clippy::too_many_arguments)]
        fn $init<'py>(
            py: Python<'py>,
            x: PyReadonlyArray2<'py, $ty>,
            sample_weight: Option<PyReadonlyArray1<'py, f64>>,
            n_clusters: usize,
            init: &str,
            init_centers: Option<PyReadonlyArray3<'py, $ty>>,
            init_size: usize,
            seed: u64,
        ) -> PyResult<Bound<'py, PyArray2<$ty>>> {
            let xv = x.as_array();
            let wv = sample_weight.as_ref().map(|w| w.as_array());
            let cv = init_centers.as_ref().map(|c| c.as_array());
            let init_name = init.to_owned();
            let out = run_detached(py, move || {
                let init = match cv {
                    Some(c) => Init::Given(c),
                    None if parse_init(&init_name)? => Init::KMeansPlusPlus,
                    None => Init::Random,
                };
                let w = contiguous(&wv, "sample_weight")?;
                minibatch::initial_centres(xv, w, n_clusters, &init, init_size, seed)
            })?;
            Ok(out.into_pyarray(py))
        }
    };
}

minibatch_functions!(
    f64,
    minibatch_fit_f64,
    minibatch_partial_step_f64,
    minibatch_init_centers_f64
);
minibatch_functions!(
    f32,
    minibatch_fit_f32,
    minibatch_partial_step_f32,
    minibatch_init_centers_f32
);

pub fn register_minibatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(minibatch_fit_f64, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_partial_step_f64, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_init_centers_f64, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_fit_f32, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_partial_step_f32, m)?)?;
    m.add_function(wrap_pyfunction!(minibatch_init_centers_f32, m)?)?;
    Ok(())
}
