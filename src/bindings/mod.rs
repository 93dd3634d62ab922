//! The only Rust code that knows Python: convert inputs, release the GIL, map errors.
//!
//! Every array function follows one shape: `PyReadonlyArray2<f64>` -> `.as_array()`
//! (no copy) -> [`run_detached`] (GIL released, `CoreError` -> Python exception,
//! panic -> `SegwiseInternalError`) -> `.into_pyarray(py)` (a move, not a copy).

use pyo3::prelude::*;

use crate::core::{CoreError, CoreResult};

mod abtest;
mod agreement;
mod bootstrap;
mod choose_k;
mod dbscan;
mod drift;
mod kmeans;
mod metrics;
mod profile;
mod rfm;
mod scaling;

// The exception hierarchy lives in Python (`segwise/exceptions.py`) so it carries
// docstrings and mixes in TypeError/AttributeError where scikit-learn expects them.
pyo3::import_exception!(segwise.exceptions, SegwiseInternalError);
pyo3::import_exception!(segwise.exceptions, InvalidParameterError);
pyo3::import_exception!(segwise.exceptions, EmptyInputError);
pyo3::import_exception!(segwise.exceptions, NotEnoughSamplesError);
pyo3::import_exception!(segwise.exceptions, ShapeMismatchError);
pyo3::import_exception!(segwise.exceptions, NonFiniteError);
pyo3::import_exception!(segwise.exceptions, InvalidWeightsError);

/// Map each core error variant to its own Python exception class.
pub fn to_py_err(err: CoreError) -> PyErr {
    let msg = err.to_string();
    match err {
        CoreError::EmptyInput(_) => EmptyInputError::new_err(msg),
        CoreError::InvalidParameter { .. } => InvalidParameterError::new_err(msg),
        CoreError::NotEnoughSamples { .. } => NotEnoughSamplesError::new_err(msg),
        CoreError::ShapeMismatch { .. } => ShapeMismatchError::new_err(msg),
        CoreError::NonFinite(_) => NonFiniteError::new_err(msg),
        CoreError::InvalidWeights(_) => InvalidWeightsError::new_err(msg),
        CoreError::Internal(_) => SegwiseInternalError::new_err(msg),
    }
}

/// Run core work with the GIL released. Errors become typed Python exceptions and a
/// stray panic becomes `SegwiseInternalError` instead of pyo3's `PanicException`.
pub fn run_detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: FnOnce() -> CoreResult<T> + Send,
    T: Send,
{
    let outcome = py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)));
    match outcome {
        Ok(result) => result.map_err(to_py_err),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(SegwiseInternalError::new_err(format!(
                "internal error in segwise core (please report): {what}"
            )))
        }
    }
}

/// Run `work` in a dedicated rayon pool of `n_threads` threads, or in the global pool
/// (tests use it to show results do not depend on the number of threads).
pub fn with_threads<T: Send>(
    n_threads: Option<usize>,
    work: impl FnOnce() -> CoreResult<T> + Send,
) -> CoreResult<T> {
    match n_threads {
        None => work(),
        Some(0) => Err(CoreError::InvalidParameter {
            name: "n_threads",
            reason: "must be >= 1".into(),
        }),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| CoreError::Internal(format!("thread pool: {e}")))?
            .install(work),
    }
}

/// Number of threads rayon uses (the `SEGWISE_NUM_THREADS` / `RAYON_NUM_THREADS` switch).
#[pyfunction]
fn current_num_threads() -> usize {
    rayon::current_num_threads()
}

/// Raise `SegwiseInternalError` from a deliberate panic (tests the panic barrier).
#[pyfunction]
fn _panic_for_test(py: Python<'_>) -> PyResult<()> {
    run_detached(py, || -> CoreResult<()> { panic!("deliberate test panic") })
}

/// Raise the Python exception that a core error variant maps to (tests the mapping).
#[pyfunction]
fn _raise_core_error_for_test(py: Python<'_>, variant: &str) -> PyResult<()> {
    let err = match variant {
        "EmptyInput" => CoreError::EmptyInput("no rows".into()),
        "InvalidParameter" => CoreError::InvalidParameter {
            name: "n_clusters",
            reason: "must be >= 1, got 0".into(),
        },
        "NotEnoughSamples" => CoreError::NotEnoughSamples {
            n_samples: 2,
            n_clusters: 3,
        },
        "ShapeMismatch" => CoreError::ShapeMismatch {
            what: "sample_weight",
            expected: 3,
            got: 2,
        },
        "NonFinite" => CoreError::NonFinite("column 0".into()),
        "InvalidWeights" => CoreError::InvalidWeights("all weights are zero".into()),
        "Internal" => CoreError::Internal("broken invariant".into()),
        other => {
            return Err(pyo3::exceptions::PyKeyError::new_err(other.to_owned()));
        }
    };
    run_detached(py, move || -> CoreResult<()> { Err(err) })
}

#[pymodule]
#[pyo3(name = "_core")]
fn segwise_core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(current_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(_raise_core_error_for_test, m)?)?;
    scaling::register(m)?;
    kmeans::register(m)?;
    dbscan::register(m)?;
    metrics::register(m)?;
    rfm::register(m)?;
    abtest::register(m)?;
    agreement::register(m)?;
    bootstrap::register(m)?;
    choose_k::register(m)?;
    drift::register(m)?;
    profile::register(m)?;
    Ok(())
}
