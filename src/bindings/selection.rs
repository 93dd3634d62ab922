//! Python bindings for `core::stats::selection`: exact order statistics of data split into
//! partitions (the distributed quantiles of RobustScaler, the PSI bins and the profile).

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{run_detached, to_py_err};
use crate::core::stats::selection::{self, Bracket, BracketPart, Step};
use crate::core::CoreError;

type Part<'py> = (
    u64,
    u64,
    u64,
    u64,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<u64>>,
);

/// One partition's counts and values for each bracket `i` (column `columns[i]`, rows of
/// group `group_ids[i]` (-1: all), ends `lo[i]`..`hi[i]`): a list of
/// `(below, equal_lo, equal_hi, inner, values, ranks)`.
#[pyfunction]
#[pyo3(signature = (x, *, groups=None, columns, group_ids, lo, hi, max_values, summary))]
#[allow(clippy::too_many_arguments)]
fn selection_bracket_partial<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    groups: Option<PyReadonlyArray1<'py, i64>>,
    columns: Vec<usize>,
    group_ids: Vec<i64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    max_values: usize,
    summary: usize,
) -> PyResult<Vec<Part<'py>>> {
    let n = columns.len();
    if group_ids.len() != n || lo.len() != n || hi.len() != n {
        return Err(to_py_err(CoreError::ShapeMismatch {
            what: "bracket fields (one per bracket)",
            expected: n,
            got: group_ids.len().min(lo.len()).min(hi.len()),
        }));
    }
    let brackets: Vec<Bracket> = (0..n)
        .map(|i| Bracket {
            column: columns[i],
            group: group_ids[i],
            lo: lo[i],
            hi: hi[i],
        })
        .collect();
    let xv = x.as_array();
    let g = groups.as_ref().map(|g| g.as_slice()).transpose()?;
    let parts = run_detached(py, || {
        selection::bracket_partial(xv, g, &brackets, max_values, summary)
    })?;
    Ok(parts
        .into_iter()
        .map(|p| {
            (
                p.below,
                p.equal_lo,
                p.equal_hi,
                p.inner,
                p.values.into_pyarray(py),
                p.ranks.into_pyarray(py),
            )
        })
        .collect())
}

type PartIn<'py> = (
    u64,
    u64,
    u64,
    u64,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, u64>,
);

/// The next step of the search for the value of 0-based `rank` in the bracket `lo..hi`
/// from every partition's part: `(True, value, value)` when found, else
/// `(False, new_lo, new_hi)`.
#[pyfunction]
#[pyo3(signature = (rank, lo, hi, parts))]
fn selection_bracket_step(
    py: Python<'_>,
    rank: u64,
    lo: f64,
    hi: f64,
    parts: Vec<PartIn<'_>>,
) -> PyResult<(bool, f64, f64)> {
    let parts: Vec<BracketPart> = parts
        .into_iter()
        .map(
            |(below, equal_lo, equal_hi, inner, values, ranks)| BracketPart {
                below,
                equal_lo,
                equal_hi,
                inner,
                values: values.as_array().to_vec(),
                ranks: ranks.as_array().to_vec(),
            },
        )
        .collect();
    let step = run_detached(py, || selection::bracket_step(rank, lo, hi, &parts))?;
    Ok(match step {
        Step::Found(v) => (true, v, v),
        Step::Narrow { lo, hi } => (false, lo, hi),
    })
}

/// numpy's linear quantile from the two order statistics it reads: `lerp(a, b, gamma)`
/// with `(lo, hi, gamma) = linear_plan(n, q)`; returns `(lo, hi, gamma)`.
#[pyfunction]
#[pyo3(signature = (n, q))]
fn selection_linear_plan(n: usize, q: f64) -> PyResult<(usize, usize, f64)> {
    if n == 0 || !(0.0..=1.0).contains(&q) {
        return Err(to_py_err(CoreError::InvalidParameter {
            name: "q",
            reason: format!("need n >= 1 and 0 <= q <= 1, got n={n}, q={q}"),
        }));
    }
    Ok(selection::linear_plan(n, q))
}

/// numpy's `_lerp(a, b, t)`, bit for bit.
#[pyfunction]
fn selection_lerp(a: f64, b: f64, t: f64) -> f64 {
    selection::lerp(a, b, t)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(selection_bracket_partial, m)?)?;
    m.add_function(wrap_pyfunction!(selection_bracket_step, m)?)?;
    m.add_function(wrap_pyfunction!(selection_linear_plan, m)?)?;
    m.add_function(wrap_pyfunction!(selection_lerp, m)?)?;
    Ok(())
}
