//! Python bindings for `core::stability::bootstrap` (segwise.stability.bootstrap_stability).
//! `n_threads` (optional) runs the work in a dedicated rayon pool of that size (used by
//! tests to show results do not depend on it).

use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
};
use pyo3::prelude::*;

use super::{run_detached, run_interruptible, with_threads};
use crate::core::kmeans::{Algorithm, KMeansClustering};
use crate::core::params::Params;
use crate::core::stability::bootstrap::{self, BootstrapConfig, Replicates, Scheme};
use crate::core::{CoreError, CoreResult};

fn parse_scheme(name: &str, size: usize) -> CoreResult<Scheme> {
    match name {
        "bootstrap" => Ok(Scheme::Bootstrap),
        "subsample" => Ok(Scheme::Subsample { size }),
        other => Err(CoreError::InvalidParameter {
            name: "scheme",
            reason: format!("must be 'bootstrap' or 'subsample', got {other:?}"),
        }),
    }
}

fn slice<'a, T>(a: &'a ndarray::ArrayView1<'_, T>, name: &'static str) -> CoreResult<&'a [T]> {
    a.as_slice().ok_or_else(|| CoreError::InvalidParameter {
        name,
        reason: "must be contiguous".into(),
    })
}

type ReplicatesOut<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<bool>>);

fn replicates_out(py: Python<'_>, r: Replicates) -> ReplicatesOut<'_> {
    (r.jaccard.into_pyarray(py), r.skipped.into_pyarray(py))
}

/// Rows (sorted, distinct, int64) of replicate `b` and the seed of its k-means restarts.
#[pyfunction]
#[pyo3(signature = (n, *, scheme, size, seed, b))]
fn bootstrap_draw<'py>(
    py: Python<'py>,
    n: usize,
    scheme: &str,
    size: usize,
    seed: u64,
    b: u64,
) -> PyResult<(Bound<'py, PyArray1<i64>>, u64)> {
    let scheme = scheme.to_owned();
    let (rows, kseed) = run_detached(py, move || {
        bootstrap::replicate_draw(n, parse_scheme(&scheme, size)?, seed, b)
    })?;
    let rows: Vec<i64> = rows.into_iter().map(|i| i as i64).collect();
    Ok((rows.into_pyarray(py), kseed))
}

/// Per original segment, the largest Jaccard similarity with a new segment (NaN if empty).
#[pyfunction]
#[pyo3(signature = (original, new, n_segments))]
fn bootstrap_max_jaccard<'py>(
    py: Python<'py>,
    original: PyReadonlyArray1<'py, i32>,
    new: PyReadonlyArray1<'py, i32>,
    n_segments: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (a, b) = (original.as_array(), new.as_array());
    let out = run_detached(py, move || {
        bootstrap::max_jaccard(slice(&a, "original")?, slice(&b, "new")?, n_segments)
    })?;
    Ok(out.into_pyarray(py))
}

/// Replicates `start..end` of the k-means fast path: `(jaccard (end-start, n_segments),
/// skipped (end-start,))`.
#[pyfunction]
#[pyo3(signature = (x, labels, *, n_segments, n_clusters, init, n_init, max_iter, tol, algorithm, scheme, size, seed, start, end, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn bootstrap_kmeans<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i32>,
    n_segments: usize,
    n_clusters: usize,
    init: &str,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    algorithm: &str,
    scheme: &str,
    size: usize,
    seed: u64,
    start: usize,
    end: usize,
    n_threads: Option<usize>,
) -> PyResult<ReplicatesOut<'py>> {
    let (xv, lv) = (x.as_array(), labels.as_array());
    let (init, algorithm, scheme) = (init.to_owned(), algorithm.to_owned(), scheme.to_owned());
    let out = run_interruptible(py, move |stop| {
        let plus_plus = match init.as_str() {
            "k-means++" => true,
            "random" => false,
            other => {
                return Err(CoreError::InvalidParameter {
                    name: "init",
                    reason: format!("must be 'k-means++' or 'random', got {other:?}"),
                })
            }
        };
        let config = BootstrapConfig {
            n_clusters,
            n_init,
            max_iter,
            tol,
            plus_plus,
            scheme: parse_scheme(&scheme, size)?,
            seed,
        }
        .check()?;
        let kmeans = KMeansClustering {
            algorithm: Algorithm::parse(&algorithm)?,
        };
        let lab = slice(&lv, "labels")?;
        with_threads(n_threads, || {
            let range = (start, end);
            bootstrap::kmeans_replicates(xv, lab, n_segments, &config, &kmeans, range, stop)
        })
    })?;
    Ok(replicates_out(py, out))
}

/// Test hook: replicates on given row indices from given initial centres (one run each).
#[pyfunction]
#[pyo3(signature = (x, labels, *, n_segments, indices, centres, max_iter, tol, algorithm, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn kmeans_replicates_given<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i32>,
    n_segments: usize,
    indices: Vec<PyReadonlyArray1<'py, i64>>,
    centres: PyReadonlyArray3<'py, f64>,
    max_iter: usize,
    tol: f64,
    algorithm: &str,
    n_threads: Option<usize>,
) -> PyResult<ReplicatesOut<'py>> {
    let mut rows = Vec::with_capacity(indices.len());
    for idx in &indices {
        let mut r = Vec::with_capacity(idx.len()?);
        for &i in idx.as_array().iter() {
            if i < 0 {
                return Err(super::to_py_err(CoreError::InvalidParameter {
                    name: "indices",
                    reason: format!("negative row index {i}"),
                }));
            }
            r.push(i as usize);
        }
        rows.push(r);
    }
    let (xv, lv, cv) = (x.as_array(), labels.as_array(), centres.as_array());
    let algorithm = algorithm.to_owned();
    let out = run_interruptible(py, move |stop| {
        let kmeans = KMeansClustering {
            algorithm: Algorithm::parse(&algorithm)?,
        };
        let lab = slice(&lv, "labels")?;
        with_threads(n_threads, || {
            bootstrap::kmeans_replicates_given(
                xv,
                lab,
                n_segments,
                &rows,
                cv,
                &kmeans,
                (max_iter, tol, stop),
            )
        })
    })?;
    Ok(replicates_out(py, out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bootstrap_draw, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_max_jaccard, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_kmeans, m)?)?;
    Ok(())
}

/// The test-only export (`_core._testing`): replicates fed given resamples and centres.
pub fn register_testing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmeans_replicates_given, m)?)?;
    Ok(())
}
