//! Python bindings for `core::kprototypes` (segwise.cluster.KPrototypes and KModes): fit,
//! predict, labels + cost, transform and the distinct-row count; and the batch
//! iteration's partial statistics for `segwise.dask` (`kprototypes_lloyd_partial`,
//! `kprototypes_farthest_rows`, `kprototypes_lloyd_finish`, `kprototypes_lloyd_converged`). A table crosses as its
//! two blocks from `_validation.check_mixed` (numeric float64, categorical int32 codes)
//! and the number of levels of each categorical column; prototypes as the same two
//! blocks. `n_threads` (optional) runs the work in a dedicated rayon pool of that size
//! (used by tests to show results do not depend on it).

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{contiguous, fit_terms, run_detached, run_fit, run_sized, to_py_err, with_threads};
use crate::core::kprototypes::{self, partial, Algorithm, Init, KPrototypesParams};
use crate::core::mixed::MixedView;
use crate::core::params::Params;
use crate::core::{CoreError, CoreResult, Interrupt};

/// The levels of each categorical column, as `usize`.
fn levels_of(n_levels: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    n_levels
        .as_array()
        .iter()
        .map(|&l| {
            usize::try_from(l).map_err(|_| {
                to_py_err(CoreError::InvalidParameter {
                    name: "n_levels",
                    reason: format!("must be >= 0, got {l}"),
                })
            })
        })
        .collect()
}

/// Fit k-prototypes; returns `(numeric prototypes, categorical prototypes, labels, cost,
/// n_iter, converged)`.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_levels, *, sample_weight, n_clusters, init, init_numeric, init_categorical, n_init, max_iter, gamma, algorithm, seed, n_threads=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn kprototypes_fit<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, i32>,
    n_levels: PyReadonlyArray1<'py, i64>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_numeric: Option<PyReadonlyArray2<'py, f64>>,
    init_categorical: Option<PyReadonlyArray2<'py, i32>>,
    n_init: usize,
    max_iter: usize,
    gamma: f64,
    algorithm: &str,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<i32>>,
    Bound<'py, PyArray1<i32>>,
    f64,
    usize,
    bool,
)> {
    let params = KPrototypesParams {
        n_clusters,
        n_init,
        max_iter,
        gamma,
        algorithm: Algorithm::parse(algorithm).map_err(to_py_err)?,
        seed,
    }
    .check()
    .map_err(to_py_err)?;
    let levels = levels_of(&n_levels)?;
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let given = match (&init_numeric, &init_categorical) {
        (Some(num), Some(cat)) => Some((num.as_array(), cat.as_array())),
        (None, None) => None,
        _ => {
            return Err(to_py_err(CoreError::InvalidParameter {
                name: "init",
                reason: "give both parts of the initial prototypes, or neither".into(),
            }))
        }
    };
    let init = match given {
        Some((num, cat)) => Init::Given(num, cat),
        None => Init::parse(init).map_err(to_py_err)?,
    };
    let (nv, cv) = (numeric.as_array(), categorical.as_array());
    let terms = fit_terms(nv.len() + cv.len(), n_clusters, n_init, max_iter);
    let fit = run_fit(py, terms, |stop| {
        let x = MixedView::new(nv, cv, &levels, false)?;
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(n_threads, || kprototypes::fit(&x, w, &params, &init, stop))
    })?;
    let (num, cat) = prototype_arrays(py, fit.prototypes)?;
    Ok((
        num,
        cat,
        fit.labels.into_pyarray(py),
        fit.cost,
        fit.n_iter,
        fit.converged,
    ))
}

/// `work(x, weights, stop)` on the table with the GIL released and Ctrl-C honoured on
/// large input ([`run_sized`]; codes unseen in fit allowed).
fn against_prototypes<'py, R: Send>(
    py: Python<'py>,
    (numeric, categorical, n_levels): (
        PyReadonlyArray2<'py, f64>,
        PyReadonlyArray2<'py, i32>,
        PyReadonlyArray1<'py, i64>,
    ),
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_threads: Option<usize>,
    work: impl FnOnce(&MixedView<'_>, Option<&[f64]>, &Interrupt) -> CoreResult<R> + Send,
) -> PyResult<R> {
    let levels = levels_of(&n_levels)?;
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let (nv, cv) = (numeric.as_array(), categorical.as_array());
    run_sized(py, nv.len() + cv.len(), |stop| {
        let x = MixedView::new(nv, cv, &levels, true)?;
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(n_threads, || work(&x, w, stop))
    })
}

/// Closest prototype of every row (int32).
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_levels, prototypes, *, gamma, n_threads=None))]
fn kprototypes_predict<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, i32>,
    n_levels: PyReadonlyArray1<'py, i64>,
    prototypes: (PyReadonlyArray2<'py, f64>, PyReadonlyArray2<'py, i32>),
    gamma: f64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<i32>>> {
    let (pn, pc) = (prototypes.0.as_array(), prototypes.1.as_array());
    let labels = against_prototypes(
        py,
        (numeric, categorical, n_levels),
        None,
        n_threads,
        |x, _, stop| kprototypes::predict(x, pn, pc, gamma, stop),
    )?;
    Ok(labels.into_pyarray(py))
}

/// Labels and the weighted total cost against given prototypes.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_levels, prototypes, *, gamma, sample_weight=None, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn kprototypes_labels_cost<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, i32>,
    n_levels: PyReadonlyArray1<'py, i64>,
    prototypes: (PyReadonlyArray2<'py, f64>, PyReadonlyArray2<'py, i32>),
    gamma: f64,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_threads: Option<usize>,
) -> PyResult<(Bound<'py, PyArray1<i32>>, f64)> {
    let (pn, pc) = (prototypes.0.as_array(), prototypes.1.as_array());
    let (labels, cost) = against_prototypes(
        py,
        (numeric, categorical, n_levels),
        sample_weight,
        n_threads,
        |x, w, stop| kprototypes::labels_cost(x, w, pn, pc, gamma, stop),
    )?;
    Ok((labels.into_pyarray(py), cost))
}

/// The cost of every row against every prototype, `(n, k)`.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_levels, prototypes, *, gamma, n_threads=None))]
fn kprototypes_transform<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, i32>,
    n_levels: PyReadonlyArray1<'py, i64>,
    prototypes: (PyReadonlyArray2<'py, f64>, PyReadonlyArray2<'py, i32>),
    gamma: f64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (pn, pc) = (prototypes.0.as_array(), prototypes.1.as_array());
    let out = against_prototypes(
        py,
        (numeric, categorical, n_levels),
        None,
        n_threads,
        |x, _, stop| kprototypes::transform(x, pn, pc, gamma, stop),
    )?;
    Ok(out.into_pyarray(py))
}

/// Number of distinct rows of the table, counted up to `limit`.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_levels, *, limit))]
fn kprototypes_distinct_rows<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, i32>,
    n_levels: PyReadonlyArray1<'py, i64>,
    limit: usize,
) -> PyResult<usize> {
    against_prototypes(
        py,
        (numeric, categorical, n_levels),
        None,
        None,
        |x, _, _| kprototypes::distinct_rows(x, limit),
    )
}

/// Prototypes as their two numpy blocks (numeric, categorical codes).
type PrototypeArrays<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<i32>>);

/// The prototypes' two blocks as owned arrays.
fn prototype_arrays<'py>(
    py: Python<'py>,
    p: kprototypes::Prototypes,
) -> PyResult<PrototypeArrays<'py>> {
    let to_array = |e: ndarray::ShapeError| to_py_err(CoreError::Internal(format!("{e}")));
    let num = ndarray::Array2::from_shape_vec((p.k, p.p), p.numeric).map_err(to_array)?;
    let cat = ndarray::Array2::from_shape_vec((p.k, p.q), p.categorical).map_err(to_array)?;
    Ok((num.into_pyarray(py), cat.into_pyarray(py)))
}

/// One partition's batch statistics against `prototypes`: `(sums (k, p), weights (k,),
/// members (k,), level_counts (k, L), cost, fingerprint (2,) uint64)`.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_levels, prototypes, *, gamma, sample_weight=None, offset, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn kprototypes_lloyd_partial<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, i32>,
    n_levels: PyReadonlyArray1<'py, i64>,
    prototypes: (PyReadonlyArray2<'py, f64>, PyReadonlyArray2<'py, i32>),
    gamma: f64,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    offset: u64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let levels = levels_of(&n_levels)?;
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let (nv, cv) = (numeric.as_array(), categorical.as_array());
    let (pn, pc) = (prototypes.0.as_array(), prototypes.1.as_array());
    let p = run_sized(py, nv.len() + cv.len(), |stop| {
        let x = MixedView::new(nv, cv, &levels, false)?;
        let w = contiguous(&wv, "sample_weight")?;
        with_threads(n_threads, || {
            partial::lloyd_partial(&x, w, pn, pc, gamma, offset, stop)
        })
    })?;
    let fingerprint = ndarray::Array1::from_vec(p.fingerprint.to_vec());
    Ok((
        p.sums.into_pyarray(py),
        p.weights.into_pyarray(py),
        p.members.into_pyarray(py),
        p.level_counts.into_pyarray(py),
        p.cost,
        fingerprint.into_pyarray(py),
    )
        .into_pyobject(py)?
        .into_any())
}

/// One partition's `n_far` rows of largest cost: `(cost, global index, label, weight,
/// numeric rows, categorical rows)`.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_levels, prototypes, *, gamma, sample_weight=None, n_far, offset))]
#[allow(clippy::too_many_arguments)]
fn kprototypes_farthest_rows<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, i32>,
    n_levels: PyReadonlyArray1<'py, i64>,
    prototypes: (PyReadonlyArray2<'py, f64>, PyReadonlyArray2<'py, i32>),
    gamma: f64,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_far: usize,
    offset: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let levels = levels_of(&n_levels)?;
    let wv = sample_weight.as_ref().map(|w| w.as_array());
    let (nv, cv) = (numeric.as_array(), categorical.as_array());
    let (pn, pc) = (prototypes.0.as_array(), prototypes.1.as_array());
    let f = run_sized(py, nv.len() + cv.len(), |stop| {
        let x = MixedView::new(nv, cv, &levels, false)?;
        let w = contiguous(&wv, "sample_weight")?;
        partial::farthest_rows(&x, w, pn, pc, gamma, n_far, offset, stop)
    })?;
    Ok((
        f.cost.into_pyarray(py),
        f.index.into_pyarray(py),
        f.label.into_pyarray(py),
        f.weight.into_pyarray(py),
        f.numeric.into_pyarray(py),
        f.categorical.into_pyarray(py),
    )
        .into_pyobject(py)?
        .into_any())
}

type FarTuple<'py> = (
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, u64>,
    PyReadonlyArray1<'py, i64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray2<'py, f64>,
    PyReadonlyArray2<'py, i32>,
);

type StatsTuple<'py> = (
    PyReadonlyArray2<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, i64>,
    PyReadonlyArray2<'py, f64>,
    f64,
    PyReadonlyArray1<'py, u64>,
);

/// The M-step from merged statistics (the [`kprototypes_lloyd_partial`] tuple, added up):
/// `(numeric prototypes, categorical prototypes, fingerprint after relocation, rows
/// relocated)`; `far` (the merged [`kprototypes_farthest_rows`] tuples) is needed only
/// when a cluster has no row.
#[pyfunction]
#[pyo3(signature = (stats, n_levels, prototypes, *, far=None))]
#[allow(clippy::type_complexity)]
fn kprototypes_lloyd_finish<'py>(
    py: Python<'py>,
    stats: StatsTuple<'py>,
    n_levels: PyReadonlyArray1<'py, i64>,
    prototypes: (PyReadonlyArray2<'py, f64>, PyReadonlyArray2<'py, i32>),
    far: Option<FarTuple<'py>>,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<i32>>,
    Bound<'py, PyArray1<u64>>,
    usize,
)> {
    let levels = levels_of(&n_levels)?;
    let fp = stats.5.as_array();
    if fp.len() != 2 {
        return Err(to_py_err(CoreError::ShapeMismatch {
            what: "fingerprint",
            expected: 2,
            got: fp.len(),
        }));
    }
    let merged = partial::LloydPartial {
        sums: stats.0.as_array().to_owned(),
        weights: stats.1.as_array().to_owned(),
        members: stats.2.as_array().to_owned(),
        level_counts: stats.3.as_array().to_owned(),
        cost: stats.4,
        fingerprint: [fp[0], fp[1]],
    };
    let far = far.map(|(cost, index, label, weight, num, cat)| partial::FarRows {
        cost: cost.as_array().to_owned(),
        index: index.as_array().to_owned(),
        label: label.as_array().to_owned(),
        weight: weight.as_array().to_owned(),
        numeric: num.as_array().to_owned(),
        categorical: cat.as_array().to_owned(),
    });
    let (pn, pc) = (prototypes.0.as_array(), prototypes.1.as_array());
    let done = run_detached(py, || {
        partial::lloyd_finish(&merged, pn, pc, &levels, far.as_ref())
    })?;
    let (num, cat) = prototype_arrays(py, done.prototypes)?;
    let fingerprint = ndarray::Array1::from_vec(done.fingerprint.to_vec());
    Ok((num, cat, fingerprint.into_pyarray(py), done.relocated))
}

/// The batch iteration's stopping rule (the in-memory run's): whether the pass whose
/// labels' fingerprint differs (`labels_changed`) and whose cost is `new_cost` ends a run
/// whose previous pass cost `cost`.
#[pyfunction]
#[pyo3(signature = (*, labels_changed, cost, new_cost))]
fn kprototypes_lloyd_converged(labels_changed: bool, cost: f64, new_cost: f64) -> bool {
    partial::converged(labels_changed, cost, new_cost)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kprototypes_fit, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_predict, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_labels_cost, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_transform, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_distinct_rows, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_lloyd_partial, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_farthest_rows, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_lloyd_finish, m)?)?;
    m.add_function(wrap_pyfunction!(kprototypes_lloyd_converged, m)?)?;
    Ok(())
}
