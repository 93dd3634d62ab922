//! Python bindings for `core::abtest`: vectorized distributions, exact tests and the
//! sufficient-statistics pass. Python broadcasts arguments to equal lengths first.

use ndarray::{Array1, Array2, Array4, ArrayView1};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{run_detached, run_sized, to_py_err};
use crate::core::abtest::{self, Alternative, CellStats, Codes};
use crate::core::stats::special;
use crate::core::{CoreError, CoreResult};

fn same_len(what: &'static str, n: usize, got: usize) -> CoreResult<()> {
    if n == got {
        Ok(())
    } else {
        Err(CoreError::ShapeMismatch {
            what,
            expected: n,
            got,
        })
    }
}

macro_rules! unary {
    ($name:ident, $f:path, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        fn $name<'py>(
            py: Python<'py>,
            x: PyReadonlyArray1<'py, f64>,
        ) -> PyResult<Bound<'py, PyArray1<f64>>> {
            let x = x.as_array();
            let out = run_detached(py, || Ok(x.mapv($f)))?;
            Ok(out.into_pyarray(py))
        }
    };
}

macro_rules! binary {
    ($name:ident, $f:path, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        fn $name<'py>(
            py: Python<'py>,
            x: PyReadonlyArray1<'py, f64>,
            df: PyReadonlyArray1<'py, f64>,
        ) -> PyResult<Bound<'py, PyArray1<f64>>> {
            let (x, df) = (x.as_array(), df.as_array());
            let out = run_detached(py, || {
                same_len("df", x.len(), df.len())?;
                Ok(Array1::from_iter(
                    x.iter().zip(df.iter()).map(|(&a, &b)| $f(a, b)),
                ))
            })?;
            Ok(out.into_pyarray(py))
        }
    };
}

unary!(abtest_norm_cdf, special::norm_cdf, "Standard normal CDF.");
unary!(
    abtest_norm_sf,
    special::norm_sf,
    "Standard normal survival function."
);
unary!(
    abtest_norm_ppf,
    special::norm_ppf,
    "Standard normal quantile."
);
unary!(
    abtest_norm_isf,
    special::norm_isf,
    "Standard normal inverse survival function."
);
unary!(
    abtest_gammaln,
    special::ln_gamma,
    "Log of the gamma function."
);
binary!(abtest_t_cdf, special::t_cdf, "Student t CDF (x, df).");
binary!(
    abtest_t_sf,
    special::t_sf,
    "Student t survival function (x, df)."
);
binary!(abtest_t_ppf, special::t_ppf, "Student t quantile (p, df).");
binary!(
    abtest_t_isf,
    special::t_isf,
    "Student t inverse survival function (p, df)."
);
binary!(
    abtest_chi2_cdf,
    special::chi2_cdf,
    "Chi-square CDF (x, df)."
);
binary!(
    abtest_chi2_sf,
    special::chi2_sf,
    "Chi-square survival function (x, df)."
);

/// Regularized incomplete beta `I_x(a, b)`, elementwise.
#[pyfunction]
fn abtest_betainc<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    x: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (a, b, x) = (a.as_array(), b.as_array(), x.as_array());
    let out = run_detached(py, || {
        same_len("b", a.len(), b.len())?;
        same_len("x", a.len(), x.len())?;
        Ok(Array1::from_shape_fn(a.len(), |i| {
            special::beta_inc(a[i], b[i], x[i])
        }))
    })?;
    Ok(out.into_pyarray(py))
}

/// Fisher's exact test on tables `[[a, b], [c, d]]`, elementwise: (odds ratios, p-values).
#[pyfunction]
#[pyo3(signature = (a, b, c, d, *, alternative))]
#[allow(clippy::type_complexity)]
fn abtest_fisher_exact<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'py, i64>,
    b: PyReadonlyArray1<'py, i64>,
    c: PyReadonlyArray1<'py, i64>,
    d: PyReadonlyArray1<'py, i64>,
    alternative: &str,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    let (a, b, c, d) = (a.as_array(), b.as_array(), c.as_array(), d.as_array());
    let alt = Alternative::parse(alternative).map_err(super::to_py_err)?;
    let (odds, p) = run_detached(py, || {
        for (what, v) in [("b", &b), ("c", &c), ("d", &d)] {
            same_len(what, a.len(), v.len())?;
        }
        let n = a.len();
        let mut odds = Array1::zeros(n);
        let mut p = Array1::zeros(n);
        for i in 0..n {
            let cells = [a[i], b[i], c[i], d[i]];
            if cells.iter().any(|&v| v < 0) {
                return Err(CoreError::InvalidParameter {
                    name: "table",
                    reason: format!("counts must be >= 0, got {cells:?}"),
                });
            }
            let (o, pv) =
                abtest::fisher_exact(a[i] as u64, b[i] as u64, c[i] as u64, d[i] as u64, alt);
            odds[i] = o;
            p[i] = pv;
        }
        Ok((odds, p))
    })?;
    Ok((odds.into_pyarray(py), p.into_pyarray(py)))
}

/// `P(p_B > p_A)` for Beta posteriors, elementwise (Evan Miller's closed form).
#[pyfunction]
fn abtest_prob_b_beats_a<'py>(
    py: Python<'py>,
    alpha_a: PyReadonlyArray1<'py, f64>,
    beta_a: PyReadonlyArray1<'py, f64>,
    alpha_b: PyReadonlyArray1<'py, f64>,
    beta_b: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (aa, ba, ab, bb) = (
        alpha_a.as_array(),
        beta_a.as_array(),
        alpha_b.as_array(),
        beta_b.as_array(),
    );
    // The work is one term per unit of alpha_b (a report's cells: a few thousand in all),
    // so small calls stay on this thread instead of paying for a worker thread's start.
    let terms = ab
        .iter()
        .map(|&v| {
            if v.is_finite() && v > 0.0 {
                v.min(1e15) as usize
            } else {
                0
            }
        })
        .fold(0usize, usize::saturating_add);
    let out = run_sized(py, terms, |stop| {
        for (what, v) in [("beta_a", &ba), ("alpha_b", &ab), ("beta_b", &bb)] {
            same_len(what, aa.len(), v.len())?;
        }
        let mut out = Array1::zeros(aa.len());
        for i in 0..aa.len() {
            out[i] = abtest::prob_b_beats_a(aa[i], ba[i], ab[i], bb[i], stop)?;
        }
        Ok(out)
    })?;
    Ok(out.into_pyarray(py))
}

/// The score functions' inputs: `x1` and four arrays of its length (`n1`, `x2`, `n2`,
/// then the null or the critical value, named `last`); whether `compare` is the ratio.
fn score_inputs(
    compare: &str,
    x1: &ArrayView1<'_, f64>,
    others: [&ArrayView1<'_, f64>; 4],
    last: &'static str,
) -> CoreResult<bool> {
    for (what, v) in ["n1", "x2", "n2", last].into_iter().zip(others) {
        same_len(what, x1.len(), v.len())?;
    }
    match compare {
        "diff" => Ok(false),
        "ratio" => Ok(true),
        other => Err(CoreError::InvalidParameter {
            name: "compare",
            reason: format!("must be 'diff' or 'ratio', got {other:?}"),
        }),
    }
}

/// Score statistic of `H0: p1 - p2 = null` (or `p1 / p2 = null`), elementwise.
#[pyfunction]
#[pyo3(signature = (x1, n1, x2, n2, null, *, compare, correction))]
#[allow(clippy::too_many_arguments)]
fn abtest_score_stat<'py>(
    py: Python<'py>,
    x1: PyReadonlyArray1<'py, f64>,
    n1: PyReadonlyArray1<'py, f64>,
    x2: PyReadonlyArray1<'py, f64>,
    n2: PyReadonlyArray1<'py, f64>,
    null: PyReadonlyArray1<'py, f64>,
    compare: &str,
    correction: bool,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (x1, n1, x2, n2, null) = (
        x1.as_array(),
        n1.as_array(),
        x2.as_array(),
        n2.as_array(),
        null.as_array(),
    );
    let out = run_detached(py, || {
        let ratio = score_inputs(compare, &x1, [&n1, &x2, &n2, &null], "null")?;
        Ok(Array1::from_shape_fn(x1.len(), |i| {
            if ratio {
                abtest::score_stat_ratio(x1[i], n1[i], x2[i], n2[i], null[i])
            } else {
                abtest::score_stat_diff(x1[i], n1[i], x2[i], n2[i], null[i], correction)
            }
        }))
    })?;
    Ok(out.into_pyarray(py))
}

type ArrayPair<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Score interval of `p1 - p2` (Miettinen–Nurminen / Mee) or `p1 / p2` (Koopman) at the
/// critical values `z`, elementwise: `(low, high)`.
#[pyfunction]
#[pyo3(signature = (x1, n1, x2, n2, z, *, compare, correction))]
#[allow(clippy::too_many_arguments)]
fn abtest_score_interval<'py>(
    py: Python<'py>,
    x1: PyReadonlyArray1<'py, f64>,
    n1: PyReadonlyArray1<'py, f64>,
    x2: PyReadonlyArray1<'py, f64>,
    n2: PyReadonlyArray1<'py, f64>,
    z: PyReadonlyArray1<'py, f64>,
    compare: &str,
    correction: bool,
) -> PyResult<ArrayPair<'py>> {
    let (x1, n1, x2, n2, z) = (
        x1.as_array(),
        n1.as_array(),
        x2.as_array(),
        n2.as_array(),
        z.as_array(),
    );
    let (low, high) = run_detached(py, || {
        let ratio = score_inputs(compare, &x1, [&n1, &x2, &n2, &z], "z")?;
        let mut low = Array1::zeros(x1.len());
        let mut high = Array1::zeros(x1.len());
        for i in 0..x1.len() {
            (low[i], high[i]) = if ratio {
                abtest::score_interval_ratio(x1[i], n1[i], x2[i], n2[i], z[i])
            } else {
                abtest::score_interval_diff(x1[i], n1[i], x2[i], n2[i], z[i], correction)
            };
        }
        Ok((low, high))
    })?;
    Ok((low.into_pyarray(py), high.into_pyarray(py)))
}

/// A readonly code array of any integer width numpy/pandas hands us.
enum CodeArray<'py> {
    I8(PyReadonlyArray1<'py, i8>),
    I16(PyReadonlyArray1<'py, i16>),
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

impl<'py> CodeArray<'py> {
    fn extract(ob: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Ok(a) = ob.extract::<PyReadonlyArray1<'py, i8>>() {
            return Ok(Self::I8(a));
        }
        if let Ok(a) = ob.extract::<PyReadonlyArray1<'py, i16>>() {
            return Ok(Self::I16(a));
        }
        if let Ok(a) = ob.extract::<PyReadonlyArray1<'py, i32>>() {
            return Ok(Self::I32(a));
        }
        if let Ok(a) = ob.extract::<PyReadonlyArray1<'py, i64>>() {
            return Ok(Self::I64(a));
        }
        Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "{name} must be a 1-D int8/int16/int32/int64 numpy array"
        )))
    }

    fn codes(&self) -> PyResult<Codes<'_>> {
        Ok(match self {
            Self::I8(a) => Codes::I8(a.as_slice()?),
            Self::I16(a) => Codes::I16(a.as_slice()?),
            Self::I32(a) => Codes::I32(a.as_slice()?),
            Self::I64(a) => Codes::I64(a.as_slice()?),
        })
    }
}

/// Sufficient statistics per (segment, arm, metric); see `core::abtest::suffstats`.
///
/// Returned as a numpy structured array of shape `(n_segments, n_arms, n_metrics)` whose
/// float64 fields are named as `CellStats::FIELDS` (`count`, `sum_y`, `m2_y`, ...): a
/// view of one contiguous float64 block, no copy. With `block_rows`, the statistics of
/// each block of that many rows, not merged: `(n_blocks, n_segments, n_arms, n_metrics)`
/// (`abtest::segment_arm_block_stats`, for a partitioned caller).
#[pyfunction]
#[pyo3(signature = (segments, arms, y, *, n_segments, n_arms, x, aux_index, block_rows=None))]
#[allow(clippy::too_many_arguments)]
fn abtest_segment_arm_stats<'py>(
    py: Python<'py>,
    segments: &Bound<'py, PyAny>,
    arms: &Bound<'py, PyAny>,
    y: PyReadonlyArray2<'py, f64>,
    n_segments: usize,
    n_arms: usize,
    x: Option<PyReadonlyArray2<'py, f64>>,
    aux_index: Vec<i64>,
    block_rows: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let seg_arr = CodeArray::extract(segments, "segments")?;
    let arm_arr = CodeArray::extract(arms, "arms")?;
    let (seg, arm) = (seg_arr.codes()?, arm_arr.codes()?);
    let (y, x) = (y.as_array(), x.as_ref().map(|v| v.as_array()));
    let cells = run_detached(py, || match block_rows {
        None => abtest::segment_arm_stats(seg, arm, n_segments, n_arms, y, x, &aux_index)
            .map(|cells| cells.insert_axis(ndarray::Axis(0))),
        Some(b) => {
            abtest::segment_arm_block_stats(seg, arm, n_segments, n_arms, y, x, &aux_index, b)
        }
    })?;
    let out = cell_array(py, cells)?;
    match block_rows {
        None => out.get_item(0),
        Some(_) => Ok(out),
    }
}

/// Rows per block of `abtest_segment_arm_stats` on `n` rows.
#[pyfunction]
fn abtest_block_rows(n: usize) -> usize {
    abtest::block_rows(n)
}

/// Cell statistics as a numpy structured array of [`CellStats::FIELDS`], same shape.
fn cell_array<'py>(py: Python<'py>, cells: Array4<CellStats>) -> PyResult<Bound<'py, PyAny>> {
    let (b, s, a, m) = cells.dim();
    let values = cells.iter().flat_map(|c| c.to_array()).collect();
    let flat = Array2::from_shape_vec((b * s * a * m, CellStats::FIELDS.len()), values)
        .map_err(|e| to_py_err(CoreError::Internal(e.to_string())))?;
    let fields: Vec<(&str, &str)> = CellStats::FIELDS.iter().map(|&f| (f, "<f8")).collect();
    let dtype = py.import("numpy")?.getattr("dtype")?.call1((fields,))?;
    flat.into_pyarray(py)
        .call_method1("view", (dtype,))?
        .call_method1("reshape", ((b, s, a, m),))
}

/// Chan's merge of two `(..., 8)` float64 arrays of per-cell statistics (the fields of
/// `CellStats::FIELDS`, `a` before `b`): the combine step of a distributed report.
#[pyfunction]
fn abtest_merge_cell_stats<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    let (a, b) = (a.as_slice()?, b.as_slice()?);
    let out = run_detached(py, || {
        let width = CellStats::FIELDS.len();
        if a.len() != b.len() || a.len() % width != 0 {
            return Err(CoreError::ShapeMismatch {
                what: "cell statistics (8 fields per cell, same cells)",
                expected: a.len(),
                got: b.len(),
            });
        }
        let cell = |v: &[f64]| CellStats {
            moments: crate::core::numerics::CoMoments {
                count: v[0],
                sum_y: v[1],
                m2_y: v[2],
                sum_x: v[3],
                m2_x: v[4],
                c_xy: v[5],
            },
            n_nan: v[6],
            n_nonbinary: v[7],
        };
        Ok(a.chunks_exact(width)
            .zip(b.chunks_exact(width))
            .flat_map(|(x, y)| {
                let mut c = cell(x);
                c.merge(&cell(y));
                c.to_array()
            })
            .collect::<Vec<f64>>())
    })?;
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(abtest_merge_cell_stats, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_norm_cdf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_norm_sf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_norm_ppf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_norm_isf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_gammaln, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_t_cdf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_t_sf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_t_ppf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_t_isf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_chi2_cdf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_chi2_sf, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_betainc, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_fisher_exact, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_prob_b_beats_a, m)?)?;
    m.add("ABTEST_MAX_BETA_TERMS", abtest::MAX_BETA_TERMS)?;
    m.add_function(wrap_pyfunction!(abtest_score_stat, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_score_interval, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_segment_arm_stats, m)?)?;
    m.add_function(wrap_pyfunction!(abtest_block_rows, m)?)?;
    Ok(())
}
