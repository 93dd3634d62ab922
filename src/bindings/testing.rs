//! `segwise._core._testing`: exports that only tests (and benchmarks) call, kept out of
//! the public `_core` namespace: the error-mapping, panic-barrier and Ctrl-C hooks, and kernels
//! exposed so tests can feed an outside implementation identical inputs.

use pyo3::prelude::*;

use std::time::{Duration, Instant};

use super::{run_detached, run_interruptible};
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
        "Allocation" => CoreError::Allocation {
            what: "the bins".into(),
            bytes: 24 << 30,
        },
        "Interrupted" => CoreError::Interrupted,
        "Internal" => CoreError::Internal("broken invariant".into()),
        other => {
            return Err(pyo3::exceptions::PyKeyError::new_err(other.to_owned()));
        }
    };
    run_detached(py, move || -> CoreResult<()> { Err(err) })
}

/// Busy work for `seconds` that checks for a stop every millisecond (`check=True`) or
/// never (`check=False`): tests the Ctrl-C mechanism without a real kernel.
#[pyfunction]
#[pyo3(signature = (seconds, *, check))]
fn spin(py: Python<'_>, seconds: f64, check: bool) -> PyResult<f64> {
    let end = Instant::now() + Duration::from_secs_f64(seconds.clamp(0.0, 3600.0));
    run_interruptible(py, |stop| {
        let start = Instant::now();
        while Instant::now() < end {
            if check {
                stop.check()?;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(start.elapsed().as_secs_f64())
    })
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "_testing")?;
    m.add_function(wrap_pyfunction!(panic, &m)?)?;
    m.add_function(wrap_pyfunction!(raise_core_error, &m)?)?;
    m.add_function(wrap_pyfunction!(spin, &m)?)?;
    super::bootstrap::register_testing(&m)?;
    super::choose_k::register_testing(&m)?;
    super::drift::register_testing(&m)?;
    parent.add_submodule(&m)
}
