//! Per-column statistics and element-wise kernels behind segwise's scalers.
//!
//! Everything here is NaN-aware (NaN is skipped by the statistics and passed through by
//! the kernels) and deterministic: rows are cut into fixed blocks of [`BLOCK_ROWS`], each
//! block is reduced on its own (in parallel) and the block results are merged in block
//! order with compensated sums, so the answer does not depend on the number of threads.
//!
//! The formulas follow scikit-learn 1.9 (`_incremental_mean_and_var`, `np.nanpercentile`
//! with the 'linear' method, `np.nanmedian`) so that the scalers agree with it to ~1e-15.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use crate::core::{CoreError, CoreResult};

/// Rows per block: the unit of parallel work and of the fixed reduction order.
pub const BLOCK_ROWS: usize = 4096;

/// Float element types the kernels accept (`f32` and `f64`). Statistics are always
/// accumulated in `f64`; the transform kernels compute in the element type itself.
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + 'static
{
    /// Widen to `f64` (exact for `f32`).
    fn to_f64(self) -> f64;
    /// Narrow from `f64` (round to nearest for `f32`).
    fn from_f64(v: f64) -> Self;
    /// `true` for NaN.
    fn is_nan(self) -> bool;
    /// `ln(1 + x)`, accurate near zero.
    fn ln_1p(self) -> Self;
    /// `exp(x) - 1`, accurate near zero.
    fn exp_m1(self) -> Self;
    /// Additive identity.
    fn zero() -> Self;
}

impl Real for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    fn zero() -> Self {
        0.0
    }
}

impl Real for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn ln_1p(self) -> Self {
        f32::ln_1p(self)
    }
    fn exp_m1(self) -> Self {
        f32::exp_m1(self)
    }
    fn zero() -> Self {
        0.0
    }
}

/// Kahan-compensated running sum (a few ulps regardless of length).
#[derive(Clone, Copy, Debug, Default)]
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    #[inline(always)]
    fn add(&mut self, value: f64) {
        let y = value - self.compensation;
        let t = self.sum + y;
        self.compensation = (t - self.sum) - y;
        self.sum = t;
    }

    #[inline(always)]
    fn merge(&mut self, other: &CompensatedSum) {
        self.add(other.sum);
        self.add(-other.compensation);
    }

    fn value(&self) -> f64 {
        self.sum - self.compensation
    }
}

/// Statistics of one batch of rows, per column: what scikit-learn's
/// `_incremental_mean_and_var` computes for the new increment before merging it.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchMoments {
    /// Number of non-NaN values (sum of their weights when weighted).
    pub count: Array1<f64>,
    /// Sum of the non-NaN values (weighted).
    pub sum: Array1<f64>,
    /// Corrected two-pass sum of squared deviations from the batch mean (weighted):
    /// `sum w (x - m)^2 - (sum w (x - m))^2 / count`.
    pub unnormalized_var: Array1<f64>,
    /// Number of NaN values (unweighted).
    pub n_nan: Array1<f64>,
}

fn check_shape<T>(x: &ArrayView2<'_, T>) -> CoreResult<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(CoreError::EmptyInput(format!(
            "X has shape ({}, {}); at least one row and one column are required",
            x.nrows(),
            x.ncols()
        )));
    }
    Ok(())
}

fn check_len(what: &'static str, got: usize, expected: usize) -> CoreResult<()> {
    if got != expected {
        return Err(CoreError::ShapeMismatch {
            what,
            expected,
            got,
        });
    }
    Ok(())
}

/// Per-block, per-column reduction in row-major order, merged in block order.
///
/// `init` makes one accumulator per column; `step(acc, column, value, weight)` consumes
/// one non-NaN cell; `merge(into, from)` combines two block accumulators.
fn reduce_columns<T, A, S, M>(
    x: &ArrayView2<'_, T>,
    weights: Option<&[f64]>,
    init: A,
    step: S,
    merge: M,
) -> CoreResult<Vec<A>>
where
    T: Real,
    A: Clone + Send + Sync,
    S: Fn(&mut A, usize, T, f64) + Sync,
    M: Fn(&mut A, &A),
{
    let d = x.ncols();
    let x = x.as_standard_layout();
    // Standard layout is contiguous; `unwrap_or` only guards the impossible case.
    let Some(cells) = x.as_slice() else {
        return Err(CoreError::Internal(
            "standard-layout arrays must be contiguous".into(),
        ));
    };
    let n_blocks = x.nrows().div_ceil(BLOCK_ROWS);
    let blocks: Vec<Vec<A>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let start = b * BLOCK_ROWS;
            let stop = (start + BLOCK_ROWS).min(x.nrows());
            let mut acc = vec![init.clone(); d];
            let rows = cells[start * d..stop * d].chunks_exact(d);
            for (i, row) in (start..stop).zip(rows) {
                let w = weights.map_or(1.0, |w| w[i]);
                for (j, (&v, a)) in row.iter().zip(acc.iter_mut()).enumerate() {
                    if !v.is_nan() {
                        step(a, j, v, w);
                    }
                }
            }
            acc
        })
        .collect();
    let mut total = vec![init; d];
    for block in &blocks {
        for (t, a) in total.iter_mut().zip(block) {
            merge(t, a);
        }
    }
    Ok(total)
}

/// Count, sum and corrected two-pass sum of squared deviations per column, skipping NaN.
///
/// With `weights`, every quantity is weighted (the count becomes the sum of the weights
/// of the non-NaN cells), as scikit-learn's `StandardScaler(sample_weight=...)`.
pub fn column_moments<T: Real>(
    x: ArrayView2<'_, T>,
    weights: Option<&[f64]>,
) -> CoreResult<BatchMoments> {
    check_shape(&x)?;
    crate::core::error::check_weights(weights, x.nrows())?;
    #[derive(Clone, Default)]
    struct First {
        count: CompensatedSum,
        sum: CompensatedSum,
        n_nan_complement: f64,
    }
    let first = reduce_columns(
        &x,
        weights,
        First::default(),
        |a, _, v, w| {
            a.count.add(w);
            a.sum.add(w * v.to_f64());
            a.n_nan_complement += 1.0;
        },
        |t, a| {
            t.count.merge(&a.count);
            t.sum.merge(&a.sum);
            t.n_nan_complement += a.n_nan_complement;
        },
    )?;
    let count: Array1<f64> = first.iter().map(|a| a.count.value()).collect();
    let sum: Array1<f64> = first.iter().map(|a| a.sum.value()).collect();
    let n_rows = x.nrows() as f64;
    let n_nan: Array1<f64> = first
        .iter()
        .map(|a| n_rows - a.n_nan_complement)
        .collect();
    let means: Vec<f64> = sum.iter().zip(&count).map(|(s, c)| s / c).collect();

    #[derive(Clone, Default)]
    struct Second {
        correction: CompensatedSum,
        squares: CompensatedSum,
    }
    let second = reduce_columns(
        &x,
        weights,
        Second::default(),
        |a, j, v, w| {
            let dev = v.to_f64() - means[j];
            a.correction.add(w * dev);
            a.squares.add(w * (dev * dev));
        },
        |t, a| {
            t.correction.merge(&a.correction);
            t.squares.merge(&a.squares);
        },
    )?;
    let unnormalized_var: Array1<f64> = second
        .iter()
        .zip(&count)
        .map(|(a, c)| {
            let corr = a.correction.value();
            a.squares.value() - corr * corr / c
        })
        .collect();
    Ok(BatchMoments {
        count,
        sum,
        unnormalized_var,
        n_nan,
    })
}

/// Running mean/variance state as scikit-learn's `StandardScaler` keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningMoments {
    /// Per-column mean.
    pub mean: Array1<f64>,
    /// Per-column population variance (ddof 0).
    pub var: Array1<f64>,
    /// Per-column number (or weight) of samples seen.
    pub count: Array1<f64>,
}

/// Merge a new batch into running moments with Chan, Golub & LeVeque's update, written
/// exactly as scikit-learn's `_incremental_mean_and_var` so partial_fit sequences agree.
/// `last = None` starts from zero samples.
pub fn merge_moments(
    last: Option<&RunningMoments>,
    batch: &BatchMoments,
) -> CoreResult<RunningMoments> {
    let d = batch.count.len();
    let Some(last) = last else {
        let mean = &batch.sum / &batch.count;
        let var = &batch.unnormalized_var / &batch.count;
        return Ok(RunningMoments {
            mean,
            var,
            count: batch.count.clone(),
        });
    };
    check_len("mean", last.mean.len(), d)?;
    check_len("var", last.var.len(), d)?;
    check_len("sample count", last.count.len(), d)?;
    let mut out = RunningMoments {
        mean: Array1::zeros(d),
        var: Array1::zeros(d),
        count: Array1::zeros(d),
    };
    for j in 0..d {
        let last_count = last.count[j];
        let new_count = batch.count[j];
        let new_sum = batch.sum[j];
        let last_sum = last.mean[j] * last_count;
        let updated_count = last_count + new_count;
        let updated_mean = (last_sum + new_sum) / updated_count;
        let updated_unnormalized = if last_count == 0.0 {
            batch.unnormalized_var[j]
        } else {
            let last_unnormalized = last.var[j] * last_count;
            let last_over_new = last_count / new_count;
            let gap = last_sum / last_over_new - new_sum;
            last_unnormalized
                + batch.unnormalized_var[j]
                + last_over_new / updated_count * (gap * gap)
        };
        out.mean[j] = updated_mean;
        out.var[j] = updated_unnormalized / updated_count;
        out.count[j] = updated_count;
    }
    Ok(out)
}

/// Per-column minimum and maximum ignoring NaN (NaN for an all-NaN column).
pub fn column_min_max<T: Real>(x: ArrayView2<'_, T>) -> CoreResult<(Array1<f64>, Array1<f64>)> {
    check_shape(&x)?;
    let acc = reduce_columns(
        &x,
        None,
        (f64::NAN, f64::NAN),
        |a, _, v, _| {
            let v = v.to_f64();
            // NaN comparisons are false, so the first value replaces the NaN seed.
            if !(v >= a.0) {
                a.0 = v;
            }
            if !(v <= a.1) {
                a.1 = v;
            }
        },
        |t, a| {
            if !(a.0 >= t.0) && !a.0.is_nan() {
                t.0 = a.0;
            }
            if !(a.1 <= t.1) && !a.1.is_nan() {
                t.1 = a.1;
            }
        },
    )?;
    Ok((
        acc.iter().map(|a| a.0).collect(),
        acc.iter().map(|a| a.1).collect(),
    ))
}

/// Per-column maximum absolute value ignoring NaN (NaN for an all-NaN column).
pub fn column_max_abs<T: Real>(x: ArrayView2<'_, T>) -> CoreResult<Array1<f64>> {
    let (lo, hi) = column_min_max(x)?;
    Ok(lo
        .iter()
        .zip(&hi)
        .map(|(l, h)| l.abs().max(h.abs()))
        .collect())
}

/// numpy's 'linear' interpolation between two neighbours (its `_lerp`, bit for bit).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Value of rank `k` (0-based) in `values` (reorders `values`).
fn select(values: &mut [f64], k: usize) -> f64 {
    let (_, v, _) = values.select_nth_unstable_by(k, f64::total_cmp);
    *v
}

/// Quantiles of one column's non-NaN values as `np.nanpercentile(col, percentiles)` and
/// optionally `np.nanmedian(col)` (appended last).
fn column_quantiles(values: &mut [f64], percentiles: &[f64], median: bool) -> Vec<f64> {
    let n = values.len();
    let mut out = Vec::with_capacity(percentiles.len() + usize::from(median));
    if n == 0 {
        out.resize(percentiles.len() + usize::from(median), f64::NAN);
        return out;
    }
    for &p in percentiles {
        let q = p / 100.0;
        let virtual_index = (n - 1) as f64 * q;
        let previous = virtual_index.floor();
        let gamma = virtual_index - previous;
        let lo = (previous.max(0.0) as usize).min(n - 1);
        let hi = (lo + 1).min(n - 1);
        let a = select(values, lo);
        let b = if hi == lo { a } else { select(values, hi) };
        out.push(lerp(a, b, gamma));
    }
    if median {
        let half = n / 2;
        let upper = select(values, half);
        if n % 2 == 1 {
            out.push(upper);
        } else {
            let lower = select(values, half - 1);
            // np.median averages the two middle values: (a + b) / 2.
            out.push((lower + upper) / 2.0);
        }
    }
    out
}

/// Per-column percentiles ignoring NaN, numpy's 'linear' method (`np.nanpercentile`),
/// plus the NaN-ignoring median as `np.nanmedian` when `with_median`.
///
/// Returns an array of shape `(percentiles.len() + with_median, n_columns)`; an all-NaN
/// column gives NaN. Percentiles must lie in [0, 100].
pub fn column_percentiles<T: Real>(
    x: ArrayView2<'_, T>,
    percentiles: &[f64],
    with_median: bool,
) -> CoreResult<Array2<f64>> {
    check_shape(&x)?;
    if let Some(bad) = percentiles
        .iter()
        .find(|p| !(0.0..=100.0).contains(*p))
    {
        return Err(CoreError::InvalidParameter {
            name: "quantile_range",
            reason: format!("percentiles must be in [0, 100], got {bad}"),
        });
    }
    let d = x.ncols();
    let rows = percentiles.len() + usize::from(with_median);
    let columns: Vec<Vec<f64>> = (0..d)
        .into_par_iter()
        .map(|j| {
            let mut values: Vec<f64> = x
                .column(j)
                .iter()
                .filter(|v| !v.is_nan())
                .map(|v| v.to_f64())
                .collect();
            column_quantiles(&mut values, percentiles, with_median)
        })
        .collect();
    let mut out = Array2::zeros((rows, d));
    for (j, col) in columns.iter().enumerate() {
        for (r, v) in col.iter().enumerate() {
            out[[r, j]] = *v;
        }
    }
    Ok(out)
}

/// How the affine kernel combines a cell with its column's two parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AffineOp {
    /// `(x - a) / b`: StandardScaler/RobustScaler transform, MinMaxScaler inverse.
    SubtractDivide,
    /// `x * a + b`: MinMaxScaler transform, Standard/Robust inverse.
    MultiplyAdd,
}

/// Apply a per-column affine map to every cell in one parallel pass, writing a new array
/// (the input is only read). NaN stays NaN. With `clip = Some((lo, hi))` results are
/// clipped to `[lo, hi]` afterwards, as `MinMaxScaler(clip=True)`.
///
/// Arithmetic is done in `T`, in the same order as scikit-learn's in-place operations.
pub fn affine_transform<T: Real>(
    x: ArrayView2<'_, T>,
    a: &[T],
    b: &[T],
    op: AffineOp,
    clip: Option<(T, T)>,
) -> CoreResult<Array2<T>> {
    let d = x.ncols();
    check_len("first parameter vector", a.len(), d)?;
    check_len("second parameter vector", b.len(), d)?;
    map_cells(x, |j, v| {
        let r = match op {
            AffineOp::SubtractDivide => (v - a[j]) / b[j],
            AffineOp::MultiplyAdd => v * a[j] + b[j],
        };
        match clip {
            // NaN fails both comparisons and passes through, as np.clip.
            Some((lo, _)) if r < lo => lo,
            Some((_, hi)) if r > hi => hi,
            _ => r,
        }
    })
}

/// Write `f(column, value)` for every cell into a new standard-layout array, in parallel
/// over row blocks.
fn map_cells<T: Real, F>(x: ArrayView2<'_, T>, f: F) -> CoreResult<Array2<T>>
where
    F: Fn(usize, T) -> T + Sync,
{
    let x = x.as_standard_layout();
    let d = x.ncols();
    let mut out = Array2::from_elem(x.dim(), T::zero());
    let (Some(src), Some(dst)) = (x.as_slice(), out.as_slice_mut()) else {
        return Err(CoreError::Internal(
            "standard-layout arrays must be contiguous".into(),
        ));
    };
    if d == 0 {
        return Ok(out);
    }
    let chunk = BLOCK_ROWS * d;
    dst.par_chunks_mut(chunk)
        .zip(src.par_chunks(chunk))
        .for_each(|(dst, src)| {
            for (drow, srow) in dst.chunks_exact_mut(d).zip(src.chunks_exact(d)) {
                for (j, (o, &v)) in drow.iter_mut().zip(srow).enumerate() {
                    *o = f(j, v);
                }
            }
        });
    Ok(out)
}

/// Number of cells per column where `log1p` is undefined or infinite (`x <= -1`).
pub fn count_log1p_domain_errors<T: Real>(
    x: ArrayView2<'_, T>,
    columns: &[bool],
) -> CoreResult<Vec<u64>> {
    check_len("column mask", columns.len(), x.ncols())?;
    let minus_one = T::from_f64(-1.0);
    reduce_columns(
        &x,
        None,
        0u64,
        |a, j, v, _| {
            if columns[j] && v <= minus_one {
                *a += 1;
            }
        },
        |t, a| *t += *a,
    )
}

/// `log1p` (or `expm1` with `inverse`) on the masked columns, a copy of the others.
/// Fails with [`CoreError::NonFinite`] if a masked cell is `<= -1` (forward direction);
/// callers wanting per-column counts call [`count_log1p_domain_errors`] first.
pub fn log1p_transform<T: Real>(
    x: ArrayView2<'_, T>,
    columns: &[bool],
    inverse: bool,
) -> CoreResult<Array2<T>> {
    check_len("column mask", columns.len(), x.ncols())?;
    if !inverse {
        let bad: u64 = count_log1p_domain_errors(x.view(), columns)?.iter().sum();
        if bad > 0 {
            return Err(CoreError::NonFinite(format!(
                "{bad} value(s) <= -1 where log1p is undefined"
            )));
        }
    }
    map_cells(x, |j, v| match (columns[j], inverse) {
        (false, _) => v,
        (true, false) => v.ln_1p(),
        (true, true) => v.exp_m1(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn naive_moments(col: &[f64]) -> (f64, f64) {
        let vals: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
        let n = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / n;
        let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn moments_match_naive_with_nan() {
        let x = array![[1.0, f64::NAN], [2.0, 5.0], [4.0, 7.0], [8.0, f64::NAN]];
        let m = merge_moments(None, &column_moments(x.view(), None).unwrap()).unwrap();
        for j in 0..2 {
            let col: Vec<f64> = x.column(j).to_vec();
            let (mean, var) = naive_moments(&col);
            assert!((m.mean[j] - mean).abs() < 1e-14);
            assert!((m.var[j] - var).abs() < 1e-14);
        }
        assert_eq!(m.count.to_vec(), vec![4.0, 2.0]);
    }

    #[test]
    fn weights_equal_repeats() {
        let x = array![[1.0], [2.0], [4.0]];
        let xr = array![[1.0], [2.0], [2.0], [4.0], [4.0], [4.0]];
        let w = [1.0, 2.0, 3.0];
        let a = merge_moments(None, &column_moments(x.view(), Some(&w)).unwrap()).unwrap();
        let b = merge_moments(None, &column_moments(xr.view(), None).unwrap()).unwrap();
        assert!((a.mean[0] - b.mean[0]).abs() < 1e-14);
        assert!((a.var[0] - b.var[0]).abs() < 1e-14);
    }

    #[test]
    fn merge_equals_whole() {
        let x = Array2::from_shape_fn((10_000, 3), |(i, j)| ((i * 7 + j * 13) % 101) as f64);
        let whole = merge_moments(None, &column_moments(x.view(), None).unwrap()).unwrap();
        let first = column_moments(x.slice(ndarray::s![..3000, ..]), None).unwrap();
        let second = column_moments(x.slice(ndarray::s![3000.., ..]), None).unwrap();
        let m1 = merge_moments(None, &first).unwrap();
        let m2 = merge_moments(Some(&m1), &second).unwrap();
        for j in 0..3 {
            assert!((whole.mean[j] - m2.mean[j]).abs() < 1e-12);
            assert!((whole.var[j] - m2.var[j]).abs() < 1e-9);
        }
    }

    #[test]
    fn deterministic_across_thread_counts() {
        let x = Array2::from_shape_fn((50_000, 4), |(i, j)| ((i as f64) * 0.37 + j as f64).sin());
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| column_moments(x.view(), None).unwrap())
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn percentiles_like_numpy() {
        // np.nanpercentile([1, 2, 3, 4, nan], [25, 75]) == [1.75, 3.25]; nanmedian == 2.5
        let x = array![[1.0], [f64::NAN], [4.0], [3.0], [2.0]];
        let q = column_percentiles(x.view(), &[25.0, 75.0], true).unwrap();
        assert_eq!(q.column(0).to_vec(), vec![1.75, 3.25, 2.5]);
        assert!(column_percentiles(x.view(), &[-1.0], false).is_err());
    }

    #[test]
    fn min_max_and_kernels() {
        let x = array![[1.0_f32, -3.0], [f32::NAN, 2.0], [5.0, 0.5]];
        let (lo, hi) = column_min_max(x.view()).unwrap();
        assert_eq!(lo.to_vec(), vec![1.0, -3.0]);
        assert_eq!(hi.to_vec(), vec![5.0, 2.0]);
        assert_eq!(column_max_abs(x.view()).unwrap().to_vec(), vec![5.0, 3.0]);
        let y = affine_transform(x.view(), &[1.0, 0.0], &[2.0, 1.0], AffineOp::SubtractDivide, None)
            .unwrap();
        assert_eq!(y[[2, 0]], 2.0);
        assert!(y[[1, 0]].is_nan());
        let z = affine_transform(x.view(), &[1.0, 1.0], &[0.0, 0.0], AffineOp::MultiplyAdd, Some((0.0, 1.0)))
            .unwrap();
        assert_eq!(z[[0, 1]], 0.0);
        assert_eq!(z[[2, 0]], 1.0);
    }

    #[test]
    fn log1p_round_trip_and_domain() {
        let x = array![[0.0_f64, -2.0], [1.0, 3.0]];
        assert!(log1p_transform(x.view(), &[true, true], false).is_err());
        assert_eq!(count_log1p_domain_errors(x.view(), &[true, true]).unwrap(), vec![0, 1]);
        let y = log1p_transform(x.view(), &[true, false], false).unwrap();
        assert_eq!(y[[0, 1]], -2.0);
        let back = log1p_transform(y.view(), &[true, false], true).unwrap();
        assert!((back[[1, 0]] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn empty_rejected() {
        let x = Array2::<f64>::zeros((0, 3));
        assert!(matches!(column_moments(x.view(), None), Err(CoreError::EmptyInput(_))));
    }
}
