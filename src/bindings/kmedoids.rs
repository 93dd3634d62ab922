//! Python bindings for `core::kmedoids`: one bounded step per call (Python loops, so
//! Ctrl-C stops a run between steps), on a float64 or float32 dissimilarity matrix that
//! the caller has checked (`check_dissimilarities`).

use numpy::IntoPyArray;
use pyo3::prelude::*;

use super::distance::Nearest;
use super::{dispatch_float, run_detached, run_sized, to_py_err, FloatArray2};
use crate::core::kmedoids::{self, Dissimilarities, FasterPamState, KMedoidsParams};
use crate::core::params::Params;

/// FasterPAM's progress across calls: `(cursor, since_swap, passes, swaps)`.
type Progress = (usize, usize, usize, usize);

/// BUILD's best candidate among points `start..stop` after `medoids`: `(point, score)`
/// (lower is better), or None.
#[pyfunction]
#[pyo3(signature = (d, medoids, *, start, stop))]
fn kmedoids_build_candidates(
    py: Python<'_>,
    d: FloatArray2<'_>,
    medoids: Vec<usize>,
    start: usize,
    stop: usize,
) -> PyResult<Option<(usize, f64)>> {
    dispatch_float!(d, d: F => {
        let d = d.as_array();
        run_detached(py, || {
            kmedoids::build_candidates(&Dissimilarities::<F>::new(d)?, &medoids, start..stop)
        })
    })
}

/// PAM's best swap with a candidate among points `start..stop`: `(candidate, slot,
/// change)`, or None when none there lowers the loss.
#[pyfunction]
#[pyo3(signature = (d, medoids, *, start, stop))]
fn kmedoids_pam_best_swap(
    py: Python<'_>,
    d: FloatArray2<'_>,
    medoids: Vec<usize>,
    start: usize,
    stop: usize,
) -> PyResult<Option<(usize, usize, f64)>> {
    dispatch_float!(d, d: F => {
        let d = d.as_array();
        run_detached(py, || {
            kmedoids::pam_best_swap(&Dissimilarities::<F>::new(d)?, &medoids, start..stop)
        })
    })
}

/// FasterPAM for at most `budget` candidates from `medoids` and the run's progress
/// `(cursor, since_swap, passes, swaps)`: returns `(medoids, progress, converged)`.
#[pyfunction]
#[pyo3(signature = (d, medoids, *, progress, max_iter, budget))]
fn kmedoids_fasterpam_steps(
    py: Python<'_>,
    d: FloatArray2<'_>,
    mut medoids: Vec<usize>,
    progress: Progress,
    max_iter: usize,
    budget: usize,
) -> PyResult<(Vec<usize>, Progress, bool)> {
    let params = KMedoidsParams { max_iter }.check().map_err(to_py_err)?;
    let mut state = FasterPamState {
        cursor: progress.0,
        since_swap: progress.1,
        passes: progress.2,
        swaps: progress.3,
    };
    let converged = dispatch_float!(d, d: F => {
        let d = d.as_array();
        run_detached(py, || {
            let d = Dissimilarities::<F>::new(d)?;
            kmedoids::fasterpam_steps(&d, &mut medoids, &mut state, &params, budget)
        })?
    });
    let progress = (state.cursor, state.since_swap, state.passes, state.swaps);
    Ok((medoids, progress, converged))
}

/// The nearest medoid slot of every point and its dissimilarity.
#[pyfunction]
fn kmedoids_assign<'py>(
    py: Python<'py>,
    d: FloatArray2<'py>,
    medoids: Vec<usize>,
) -> PyResult<Nearest<'py>> {
    let (labels, dists) = dispatch_float!(d, d: F => {
        let d = d.as_array();
        let cells = d.nrows().saturating_mul(medoids.len());
        run_sized(py, cells, |stop| {
            kmedoids::assign(&Dissimilarities::<F>::new(d)?, &medoids, stop)
        })?
    });
    Ok((labels.into_pyarray(py), dists.into_pyarray(py)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmedoids_build_candidates, m)?)?;
    m.add_function(wrap_pyfunction!(kmedoids_pam_best_swap, m)?)?;
    m.add_function(wrap_pyfunction!(kmedoids_fasterpam_steps, m)?)?;
    m.add_function(wrap_pyfunction!(kmedoids_assign, m)?)?;
    Ok(())
}
