//! Python bindings for `core::stability::drift`: label alignment, migration, PSI.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{run_detached, run_sized};
use crate::core::stability::drift;
use crate::core::stats::special;
use crate::core::CoreError;

type I64Array<'py> = Bound<'py, PyArray1<i64>>;
type F64Array<'py> = Bound<'py, PyArray1<f64>>;

/// `scipy.optimize.linear_sum_assignment`: `(row_ind, col_ind)` as int64.
#[pyfunction]
#[pyo3(signature = (cost, maximize=false))]
fn linear_sum_assignment<'py>(
    py: Python<'py>,
    cost: PyReadonlyArray2<'py, f64>,
    maximize: bool,
) -> PyResult<(I64Array<'py>, I64Array<'py>)> {
    let cost = cost.as_array();
    let (r, c) = run_detached(py, || drift::linear_sum_assignment(cost, maximize))?;
    let to_i64 = |v: Vec<usize>| v.into_iter().map(|x| x as i64).collect::<Vec<_>>();
    Ok((to_i64(r).into_pyarray(py), to_i64(c).into_pyarray(py)))
}

/// Overlap alignment of dense codes: (reference code per new code or -1, overlap table).
#[pyfunction]
fn drift_align_by_overlap<'py>(
    py: Python<'py>,
    new: PyReadonlyArray1<'py, i64>,
    reference: PyReadonlyArray1<'py, i64>,
) -> PyResult<(I64Array<'py>, Bound<'py, PyArray2<i64>>)> {
    let (new, reference) = (new.as_slice()?, reference.as_slice()?);
    let (k_new, k_ref, mapping, table) = run_detached(py, || {
        let (mapping, table) = drift::align_by_overlap(new, reference)?;
        let k_new = mapping.len();
        let k_ref = table.len().checked_div(k_new).unwrap_or(0);
        Ok((k_new, k_ref, mapping, table))
    })?;
    let table: Vec<i64> = table.into_iter().map(|c| c as i64).collect();
    let table = ndarray::Array2::from_shape_vec((k_new, k_ref), table)
        .map_err(|e| super::to_py_err(CoreError::Internal(e.to_string())))?;
    Ok((mapping.into_pyarray(py), table.into_pyarray(py)))
}

/// Centre alignment: (reference row per new row or -1, distance matrix).
#[pyfunction]
fn drift_align_by_centers<'py>(
    py: Python<'py>,
    new: PyReadonlyArray2<'py, f64>,
    reference: PyReadonlyArray2<'py, f64>,
) -> PyResult<(I64Array<'py>, Bound<'py, PyArray2<f64>>)> {
    let (new, reference) = (new.as_array(), reference.as_array());
    let (k_new, k_ref) = (new.nrows(), reference.nrows());
    let (mapping, dist) = run_detached(py, || drift::align_by_centers(new, reference))?;
    let dist = ndarray::Array2::from_shape_vec((k_new, k_ref), dist)
        .map_err(|e| super::to_py_err(CoreError::Internal(e.to_string())))?;
    Ok((mapping.into_pyarray(py), dist.into_pyarray(py)))
}

/// Cost alignment: the reference column matched to every row of `cost` (or -1).
#[pyfunction]
fn drift_align_by_cost<'py>(
    py: Python<'py>,
    cost: PyReadonlyArray2<'py, f64>,
) -> PyResult<I64Array<'py>> {
    let cost = cost.as_array();
    let mapping = run_detached(py, || drift::align_by_cost(cost))?;
    Ok(mapping.into_pyarray(py))
}

/// The (k_before, k_after) migration table (float64; weighted sums when weights given).
#[pyfunction]
#[pyo3(signature = (before, after, *, k_before, k_after, weights=None))]
fn drift_migration_counts<'py>(
    py: Python<'py>,
    before: PyReadonlyArray1<'py, i64>,
    after: PyReadonlyArray1<'py, i64>,
    k_before: usize,
    k_after: usize,
    weights: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (before, after) = (before.as_slice()?, after.as_slice()?);
    let weights = match &weights {
        Some(w) => Some(w.as_slice()?),
        None => None,
    };
    let counts = run_detached(py, || {
        drift::migration_counts(before, after, k_before, k_after, weights)
    })?;
    let counts = ndarray::Array2::from_shape_vec((k_before, k_after), counts)
        .map_err(|e| super::to_py_err(CoreError::Internal(e.to_string())))?;
    Ok(counts.into_pyarray(py))
}

/// Vectorised chi-square inverse survival function.
#[pyfunction]
fn chi2_isf<'py>(
    py: Python<'py>,
    p: PyReadonlyArray1<'py, f64>,
    df: PyReadonlyArray1<'py, f64>,
) -> PyResult<F64Array<'py>> {
    let (p, df) = (p.as_slice()?, df.as_slice()?);
    let out = run_detached(py, || {
        if p.len() != df.len() {
            return Err(CoreError::ShapeMismatch {
                what: "df (one per p)",
                expected: p.len(),
                got: df.len(),
            });
        }
        Ok(p.iter()
            .zip(df)
            .map(|(&p, &d)| special::chi2_isf(p, d))
            .collect::<Vec<_>>())
    })?;
    Ok(out.into_pyarray(py))
}

/// PSI of two count vectors: (psi, per-bin terms, number of epsilon substitutions,
/// critical value at 5%, critical value at 1%, p-value). `n_ref`/`n_cur` are the sample
/// sizes used by the critical values.
#[pyfunction]
#[pyo3(signature = (reference, current, *, epsilon, n_ref, n_cur))]
fn drift_psi_from_counts<'py>(
    py: Python<'py>,
    reference: PyReadonlyArray1<'py, f64>,
    current: PyReadonlyArray1<'py, f64>,
    epsilon: f64,
    n_ref: f64,
    n_cur: f64,
) -> PyResult<(f64, F64Array<'py>, usize, f64, f64, f64)> {
    let (reference, current) = (reference.as_slice()?, current.as_slice()?);
    let (psi, terms, n_eps) =
        run_detached(py, || drift::psi_from_counts(reference, current, epsilon))?;
    let b = reference.len();
    Ok((
        psi,
        terms.into_pyarray(py),
        n_eps,
        drift::psi_critical_value(n_ref, n_cur, b, 0.05),
        drift::psi_critical_value(n_ref, n_cur, b, 0.01),
        drift::psi_p_value(psi, n_ref, n_cur, b),
    ))
}

/// Per-feature bins of columns `start..stop`: a list of (edges, reference counts, current
/// counts, reference NaN count, current NaN count), computed in parallel over the features.
#[allow(clippy::type_complexity)]
#[pyfunction]
#[pyo3(signature = (reference, current, *, bins, start=None, stop=None))]
fn drift_psi_feature_bins<'py>(
    py: Python<'py>,
    reference: PyReadonlyArray2<'py, f64>,
    current: PyReadonlyArray2<'py, f64>,
    bins: usize,
    start: Option<usize>,
    stop: Option<usize>,
) -> PyResult<Vec<(F64Array<'py>, I64Array<'py>, I64Array<'py>, u64, u64)>> {
    let (reference, current) = (reference.as_array(), current.as_array());
    let columns = start.unwrap_or(0)..stop.unwrap_or(reference.ncols());
    let cells = (reference.len() + current.len()).max(bins);
    let out = run_sized(py, cells, |stop| {
        drift::psi_features(reference, current, bins, Some(columns), stop)
    })?;
    let to_i64 = |v: Vec<u64>| v.into_iter().map(|x| x as i64).collect::<Vec<_>>();
    Ok(out
        .into_iter()
        .map(|f| {
            (
                f.edges.into_pyarray(py),
                to_i64(f.reference).into_pyarray(py),
                to_i64(f.current).into_pyarray(py),
                f.reference_missing,
                f.current_missing,
            )
        })
        .collect())
}

/// Ranks (among `n` non-NaN reference values) the PSI's quantile edges read.
#[pyfunction]
#[pyo3(signature = (n, *, bins))]
fn drift_edge_ranks<'py>(py: Python<'py>, n: usize, bins: usize) -> PyResult<I64Array<'py>> {
    let ranks: Vec<i64> = drift::edge_ranks(n, bins)
        .map_err(super::to_py_err)?
        .into_iter()
        .map(|r| r as i64)
        .collect();
    Ok(ranks.into_pyarray(py))
}

/// The PSI's inner bin edges from the reference's order statistics `values` at `ranks`
/// (those of `drift_edge_ranks(n, bins)`).
#[pyfunction]
#[pyo3(signature = (n, *, bins, ranks, values))]
fn drift_quantile_edges<'py>(
    py: Python<'py>,
    n: usize,
    bins: usize,
    ranks: PyReadonlyArray1<'py, i64>,
    values: PyReadonlyArray1<'py, f64>,
) -> PyResult<F64Array<'py>> {
    let (ranks, values) = (ranks.as_slice()?, values.as_slice()?);
    let expected = drift::edge_ranks(n, bins).map_err(super::to_py_err)?.len();
    if ranks.len() != values.len() || expected != ranks.len() {
        return Err(super::to_py_err(CoreError::ShapeMismatch {
            what: "order statistics (one per edge rank)",
            expected,
            got: values.len(),
        }));
    }
    let order = |k: usize| {
        ranks
            .iter()
            .position(|&r| r as usize == k)
            .map_or(f64::NAN, |i| values[i])
    };
    let edges = drift::quantile_edges(n, bins, order).map_err(super::to_py_err)?;
    Ok(edges.into_pyarray(py))
}

/// Counts of `values` in the PSI's right-closed bins of `edges`, and the NaN count.
#[pyfunction]
#[pyo3(signature = (values, *, edges))]
fn drift_bin_counts<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    edges: PyReadonlyArray1<'py, f64>,
) -> PyResult<(I64Array<'py>, u64)> {
    let (values, edges) = (values.as_array(), edges.as_slice()?);
    let (counts, missing) = run_sized(py, values.len(), |stop| {
        let values: Vec<f64> = values.iter().copied().collect();
        drift::bin_counts(&values, edges, stop)
    })?;
    let counts: Vec<i64> = counts.into_iter().map(|c| c as i64).collect();
    Ok((counts.into_pyarray(py), missing))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(drift_edge_ranks, m)?)?;
    m.add_function(wrap_pyfunction!(drift_quantile_edges, m)?)?;
    m.add_function(wrap_pyfunction!(drift_bin_counts, m)?)?;
    m.add_function(wrap_pyfunction!(drift_align_by_overlap, m)?)?;
    m.add_function(wrap_pyfunction!(drift_align_by_centers, m)?)?;
    m.add_function(wrap_pyfunction!(drift_align_by_cost, m)?)?;
    m.add_function(wrap_pyfunction!(drift_migration_counts, m)?)?;
    m.add_function(wrap_pyfunction!(drift_psi_from_counts, m)?)?;
    m.add_function(wrap_pyfunction!(drift_psi_feature_bins, m)?)?;
    Ok(())
}

/// The test-only exports (`_core._testing`): oracles compared with scipy one to one.
pub fn register_testing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(linear_sum_assignment, m)?)?;
    m.add_function(wrap_pyfunction!(chi2_isf, m)?)?;
    Ok(())
}
