//! Python bindings for `core::metrics::agreement` (labels: non-negative int64 codes).

use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;

use super::run_detached;
use crate::core::metrics::agreement::{self, AverageMethod, Contingency};
use crate::core::CoreError;

/// One agreement score of two labelings: "ari", "ami", "nmi", "fmi" or "mi".
#[pyfunction]
#[pyo3(signature = (labels_true, labels_pred, *, score, average_method="arithmetic"))]
fn agreement_score(
    py: Python<'_>,
    labels_true: PyReadonlyArray1<'_, i64>,
    labels_pred: PyReadonlyArray1<'_, i64>,
    score: &str,
    average_method: &str,
) -> PyResult<f64> {
    let (a, b) = (labels_true.as_slice()?, labels_pred.as_slice()?);
    run_detached(py, || {
        let method = AverageMethod::parse(average_method)?;
        let c = Contingency::from_labels(a, b)?;
        Ok(match score {
            "ari" => agreement::adjusted_rand_score(&c),
            "ami" => agreement::adjusted_mutual_info_score(&c, method),
            "nmi" => agreement::normalized_mutual_info_score(&c, method),
            "fmi" => agreement::fowlkes_mallows_score(&c),
            "mi" => agreement::mutual_info_score(&c),
            other => {
                return Err(CoreError::InvalidParameter {
                    name: "score",
                    reason: format!("unknown agreement score {other:?}"),
                })
            }
        })
    })
}

/// Dense contingency table `(n_classes, n_clusters)` of two labelings, as int64.
#[pyfunction]
fn contingency_table<'py>(
    py: Python<'py>,
    labels_true: PyReadonlyArray1<'py, i64>,
    labels_pred: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let (a, b) = (labels_true.as_slice()?, labels_pred.as_slice()?);
    let table = run_detached(py, || {
        let c = Contingency::from_labels(a, b)?;
        let shape = (c.rows.len(), c.cols.len());
        let dense: Vec<i64> = c.dense().into_iter().map(|v| v as i64).collect();
        ndarray::Array2::from_shape_vec(shape, dense)
            .map_err(|e| CoreError::Internal(format!("contingency shape: {e}")))
    })?;
    Ok(table.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(agreement_score, m)?)?;
    m.add_function(wrap_pyfunction!(contingency_table, m)?)?;
    Ok(())
}
