//! Python bindings for `core::rfm`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::run_sized;
use crate::core::rfm::purchase_summary as core_purchase_summary;

type Summary<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Per-customer (n_periods, n_rows, first, last, total, repeat_total) of a transaction log.
#[pyfunction]
#[pyo3(signature = (customer, period, amount, *, n_customers))]
fn purchase_summary<'py>(
    py: Python<'py>,
    customer: PyReadonlyArray1<'py, i64>,
    period: PyReadonlyArray1<'py, i64>,
    amount: PyReadonlyArray1<'py, f64>,
    n_customers: usize,
) -> PyResult<Summary<'py>> {
    let (c, p, a) = (customer.as_slice()?, period.as_slice()?, amount.as_slice()?);
    let s = run_sized(py, c.len().max(n_customers), |stop| {
        core_purchase_summary(c, p, a, n_customers, stop)
    })?;
    Ok((
        s.n_periods.into_pyarray(py),
        s.n_rows.into_pyarray(py),
        s.first.into_pyarray(py),
        s.last.into_pyarray(py),
        s.total.into_pyarray(py),
        s.repeat_total.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(purchase_summary, m)?)?;
    Ok(())
}
