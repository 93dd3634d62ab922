//! `segwise._core._testing`: exports that only tests (and benchmarks) call, kept out of
//! the public `_core` namespace: the error-mapping and panic-barrier hooks, and kernels
//! exposed so tests can feed an outside implementation identical inputs.

use pyo3::prelude::*;

use super::run_detached;
use crate::core::{CoreError, CoreResult};

/// Raise `SegwiseInternalError` from a deliberate panic (tests the panic barrier).
#[pyfunction]
fn panic(py: Python<'_>) -> PyResult<()> {
    run_detached(py, || -> CoreResult<()> { panic!("deliberate test panic") })
}

/// Raise the Python exception that a core error variant maps to (tests the mapping).
#[pyfunction]
fn raise_core_error(py: Python<'_>, variant: &str) -> PyResult<()> {
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

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "_testing")?;
    m.add_function(wrap_pyfunction!(panic, &m)?)?;
    m.add_function(wrap_pyfunction!(raise_core_error, &m)?)?;
    super::bootstrap::register_testing(&m)?;
    super::choose_k::register_testing(&m)?;
    super::drift::register_testing(&m)?;
    parent.add_submodule(&m)
}
