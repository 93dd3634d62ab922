//! Per-column statistics and element-wise kernels behind segwise's scalers.
//!
//! Everything here is NaN-aware (NaN is skipped by the statistics and passed through by
//! the kernels) and deterministic: rows are cut into fixed blocks of [`BLOCK_ROWS`], each
//! block is reduced on its own (in parallel) and the block results are merged in block
//! order with compensated sums, so the answer does not depend on the number of threads.
//!
//! Every pass over the rows takes an [`Interrupt`] and checks it once per block of rows
//! (before the block is reduced, so the check never changes the arithmetic): a requested
//! stop ends the call with [`CoreError::Interrupted`] within a block's work.
//!
//! The statistics are scikit-learn 1.9's (the running mean and variance of
//! `_incremental_mean_and_var`, merged with the shared Chan update of [`Moments`];
//! `np.nanpercentile` with the 'linear' method, `np.nanmedian`), so the scalers agree with
//! it to rounding (~1e-15).

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::numerics::{
    try_filled, try_filled_dims, try_with_capacity, CoMoments, CompensatedSum, CsrView, Float,
    Moments, RowBlocks,
};
use crate::stats::selection::{lerp, linear_plan, order_statistics};
use crate::{CoreError, CoreResult, Interrupt};

/// Rows per block: the unit of parallel work and of the fixed reduction order (a
/// [`RowBlocks::fixed`] partition; changing it changes the rounding of the statistics).
pub const BLOCK_ROWS: usize = 4096;

/// Statistics of one batch of rows, per column: what scikit-learn's
/// `_incremental_mean_and_var` computes for the new increment before merging it.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchMoments {
    /// Number of non-NaN values (sum of their weights when weighted).
    pub count: Array1<f64>,
    /// Mean of the non-NaN values (weighted).
    pub mean: Array1<f64>,
    /// Sum of squared deviations from the batch mean (weighted), the "unnormalized
    /// variance" of scikit-learn's `_incremental_mean_and_var`.
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
/// `init` makes one accumulator per column; `step(acc, column, value)` consumes one cell
/// (NaN included: the step must ignore it, branch-free so the loop vectorizes);
/// `merge(into, from)` combines two block accumulators.
fn reduce_columns<T, A, S, M>(
    x: &ArrayView2<'_, T>,
    init: A,
    step: S,
    merge: M,
    stop: &Interrupt,
) -> CoreResult<Vec<A>>
where
    T: Float,
    A: Clone + Send + Sync,
    S: Fn(&mut A, usize, T) + Sync,
    M: Fn(&mut A, &A),
{
    let d = x.ncols();
    let x = x.as_standard_layout();
    let Some(cells) = x.as_slice() else {
        return Err(CoreError::Internal(
            "standard-layout arrays must be contiguous".into(),
        ));
    };
    RowBlocks::fixed(x.nrows(), BLOCK_ROWS).try_reduce(
        vec![init.clone(); d],
        |_, rows| {
            stop.check()?;
            let mut acc = vec![init.clone(); d];
            for row in cells[rows.start * d..rows.end * d].chunks_exact(d) {
                for (j, (&v, a)) in row.iter().zip(acc.iter_mut()).enumerate() {
                    step(a, j, v);
                }
            }
            Ok(acc)
        },
        |total, block| {
            for (t, a) in total.iter_mut().zip(&block) {
                merge(t, a);
            }
        },
    )
}

/// Count, sum, mean and sum of squared deviations per column, skipping NaN, in one pass
/// over memory.
///
/// With `weights`, every quantity is weighted (the count becomes the sum of the weights
/// of the non-NaN cells), as scikit-learn's `StandardScaler(sample_weight=...)`.
///
/// Numerics: the data are shifted by a pilot mean `k` taken from up to [`PILOT_ROWS`]
/// rows spread evenly over the input, and compensated sums of `x - k` and `(x - k)^2`
/// are accumulated. `sum (x - k)^2 - (sum (x - k))^2 / n` is exact for any `k` and, with
/// `k` within ~std/64 of the mean, as accurate as scikit-learn's corrected two-pass
/// algorithm (which needs a second pass over the data to centre on the exact mean).
pub fn column_moments<T: Float>(
    x: ArrayView2<'_, T>,
    weights: Option<&[f64]>,
    stop: &Interrupt,
) -> CoreResult<BatchMoments> {
    check_shape(&x)?;
    crate::error::check_weights(weights, x.nrows())?;
    let shift = pilot_mean(&x);
    let sums = shifted_sums(&x, weights, &shift, stop)?;
    let n_rows = x.nrows() as f64;
    let d = x.ncols();
    let mut out = BatchMoments {
        count: Array1::zeros(d),
        mean: Array1::zeros(d),
        unnormalized_var: Array1::zeros(d),
        n_nan: Array1::zeros(d),
    };
    for (j, (c, &k)) in sums.iter().zip(&shift).enumerate() {
        let count = c.weight.value();
        let s1 = c.first.value();
        out.count[j] = count;
        out.mean[j] = k + s1 / count;
        out.unnormalized_var[j] = c.second.value() - s1 * s1 / count;
        out.n_nan[j] = n_rows - c.kept;
    }
    Ok(out)
}

/// Rows summed plainly before folding into the compensated sums of [`column_moments`]
/// (inside one [`BLOCK_ROWS`] block; part of the fixed summation order).
const FOLD_ROWS: usize = 32;

/// Rows sampled for the pilot mean of [`column_moments`].
pub const PILOT_ROWS: usize = 4096;

/// Mean of each column over up to [`PILOT_ROWS`] evenly spaced rows (NaN skipped); for a
/// column with no value there, its first non-NaN value; 0 for an all-NaN column.
fn pilot_mean<T: Float>(x: &ArrayView2<'_, T>) -> Vec<f64> {
    let n = x.nrows();
    let step = n.div_ceil(PILOT_ROWS).max(1);
    let d = x.ncols();
    let mut sum = vec![0.0; d];
    let mut kept = vec![0usize; d];
    for i in (0..n).step_by(step) {
        for (j, &v) in x.row(i).iter().enumerate() {
            if !v.is_nan() {
                sum[j] += v.to_f64();
                kept[j] += 1;
            }
        }
    }
    (0..d)
        .map(|j| {
            if kept[j] > 0 {
                sum[j] / kept[j] as f64
            } else {
                x.column(j)
                    .iter()
                    .find(|v| !v.is_nan())
                    .map_or(0.0, |v| v.to_f64())
            }
        })
        .collect()
}

/// Per-column sums over the non-NaN cells of one input.
#[derive(Clone, Copy, Debug, Default)]
struct ShiftedSums {
    /// `sum w (x - k)`
    first: CompensatedSum,
    /// `sum w (x - k)^2`
    second: CompensatedSum,
    /// `sum w`
    weight: CompensatedSum,
    /// number of non-NaN cells
    kept: f64,
}

/// [`ShiftedSums`] per column. Blocks of [`BLOCK_ROWS`] rows run in parallel and are
/// merged in block order; the column loop is branch-free so it vectorizes.
fn shifted_sums<T: Float>(
    x: &ArrayView2<'_, T>,
    weights: Option<&[f64]>,
    shift: &[f64],
    stop: &Interrupt,
) -> CoreResult<Vec<ShiftedSums>> {
    let d = x.ncols();
    check_len("shift", shift.len(), d)?;
    let x = x.as_standard_layout();
    let Some(cells) = x.as_slice() else {
        return Err(CoreError::Internal(
            "standard-layout arrays must be contiguous".into(),
        ));
    };
    let shift = &shift[..d];
    RowBlocks::fixed(x.nrows(), BLOCK_ROWS).try_reduce(
        vec![ShiftedSums::default(); d],
        |_, rows| {
            stop.check()?;
            // Plain sums over runs of FOLD_ROWS rows (cheap, vectorizable, error at most
            // FOLD_ROWS * eps), folded into the compensated sums after each run. Each
            // vector has length exactly d (no bounds checks in the column loop).
            let mut sums = vec![ShiftedSums::default(); d];
            let (mut p1, mut p2, mut pw, mut kept) =
                (vec![0.0; d], vec![0.0; d], vec![0.0; d], vec![0.0; d]);
            let block = &cells[rows.start * d..rows.end * d];
            for (r, run) in block.chunks(FOLD_ROWS * d).enumerate() {
                let first_row = rows.start + r * FOLD_ROWS;
                for (i, row) in (first_row..).zip(run.chunks_exact(d)) {
                    let w = weights.map_or(1.0, |w| w[i]);
                    let row = &row[..d];
                    let (p1, p2, pw, kept) =
                        (&mut p1[..d], &mut p2[..d], &mut pw[..d], &mut kept[..d]);
                    for j in 0..d {
                        let v = row[j].to_f64();
                        let keep = !v.is_nan();
                        let dev = if keep { v - shift[j] } else { 0.0 };
                        let wk = if keep { w } else { 0.0 };
                        p1[j] += wk * dev;
                        p2[j] += wk * (dev * dev);
                        pw[j] += wk;
                        kept[j] += if keep { 1.0 } else { 0.0 };
                    }
                }
                for (j, s) in sums.iter_mut().enumerate() {
                    s.first.add(p1[j]);
                    s.second.add(p2[j]);
                    s.weight.add(pw[j]);
                    p1[j] = 0.0;
                    p2[j] = 0.0;
                    pw[j] = 0.0;
                }
            }
            for (s, k) in sums.iter_mut().zip(&kept) {
                s.kept = *k;
            }
            Ok(sums)
        },
        |total, block| {
            for (t, c) in total.iter_mut().zip(&block) {
                t.first.merge(&c.first);
                t.second.merge(&c.second);
                t.weight.merge(&c.weight);
                t.kept += c.kept;
            }
        },
    )
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

impl RunningMoments {
    /// Column `j` as one-variable [`Moments`] (`m2 = var * count`).
    fn column(&self, j: usize) -> Moments {
        Moments {
            count: self.count[j],
            mean: self.mean[j],
            m2: self.var[j] * self.count[j],
        }
    }

    fn check_len(&self, d: usize) -> CoreResult<()> {
        check_len("mean", self.mean.len(), d)?;
        check_len("var", self.var.len(), d)?;
        check_len("sample count", self.count.len(), d)
    }

    /// Merge `other(j)`, the moments of disjoint data, into every column `j` (Chan et al.'s
    /// update, [`Moments::merge`]): a column with no value in `other` keeps its state, a
    /// column with no value here takes `other`'s.
    fn merged(&self, other: impl Fn(usize) -> Moments) -> RunningMoments {
        let d = self.count.len();
        let mut out = self.clone();
        for j in 0..d {
            let new = other(j);
            if new.count == 0.0 {
                continue;
            }
            let m = self.column(j).merged(&new);
            out.mean[j] = m.mean;
            out.var[j] = m.m2 / m.count;
            out.count[j] = m.count;
        }
        out
    }
}

/// Merge a new batch into running moments with Chan, Golub & LeVeque's update
/// ([`Moments::merge`]; scikit-learn's `_incremental_mean_and_var` is the same update in
/// another operation order, so partial_fit sequences agree with it to rounding).
/// `last = None` starts from zero samples. One deliberate difference: a column with no new
/// (non-NaN) value keeps its running state, where scikit-learn would produce NaN.
pub fn merge_moments(
    last: Option<&RunningMoments>,
    batch: &BatchMoments,
) -> CoreResult<RunningMoments> {
    let d = batch.count.len();
    let Some(last) = last else {
        let mean = batch.mean.clone();
        let var = &batch.unnormalized_var / &batch.count;
        return Ok(RunningMoments {
            mean,
            var,
            count: batch.count.clone(),
        });
    };
    last.check_len(d)?;
    Ok(last.merged(|j| Moments {
        count: batch.count[j],
        mean: batch.mean[j],
        m2: batch.unnormalized_var[j],
    }))
}

/// Merge the moments of two disjoint parts of the data, each as [`RunningMoments`] (from
/// [`column_moments`] of a partition): the combine step of a distributed fit, the same
/// update as [`merge_moments`]. A column with no value in one part takes the other's; one
/// with no value in either has mean and variance 0.
pub fn merge_running(a: &RunningMoments, b: &RunningMoments) -> CoreResult<RunningMoments> {
    let d = a.count.len();
    a.check_len(d)?;
    b.check_len(d)?;
    // An all-NaN column has mean 0/0: it carries no information, so zero it.
    let mut a = a.clone();
    for j in 0..d {
        if a.count[j] == 0.0 {
            a.mean[j] = 0.0;
            a.var[j] = 0.0;
        }
    }
    Ok(a.merged(|j| b.column(j)))
}

/// Per-column minimum and maximum ignoring NaN (NaN for an all-NaN column).
pub fn column_min_max<T: Float>(
    x: ArrayView2<'_, T>,
    stop: &Interrupt,
) -> CoreResult<(Array1<f64>, Array1<f64>)> {
    check_shape(&x)?;
    let acc = reduce_columns(
        &x,
        (f64::NAN, f64::NAN),
        // f64::min/max return the other operand when one is NaN, so the NaN seed is
        // replaced by the first value and an all-NaN column stays NaN.
        |a, _, v| {
            let v = v.to_f64();
            a.0 = a.0.min(v);
            a.1 = a.1.max(v);
        },
        |t, a| {
            t.0 = t.0.min(a.0);
            t.1 = t.1.max(a.1);
        },
        stop,
    )?;
    Ok((
        acc.iter().map(|a| a.0).collect(),
        acc.iter().map(|a| a.1).collect(),
    ))
}

/// Per-column maximum absolute value ignoring NaN (NaN for an all-NaN column).
pub fn column_max_abs<T: Float>(x: ArrayView2<'_, T>, stop: &Interrupt) -> CoreResult<Array1<f64>> {
    let (lo, hi) = column_min_max(x, stop)?;
    Ok(lo
        .iter()
        .zip(&hi)
        .map(|(l, h)| l.abs().max(h.abs()))
        .collect())
}

/// Quantiles of one column's non-NaN values as `np.nanpercentile(col, percentiles)` and
/// optionally `np.nanmedian(col)` (appended last).
fn column_quantiles(values: &mut [f64], percentiles: &[f64], median: bool) -> Vec<f64> {
    let n = values.len();
    let n_out = percentiles.len() + usize::from(median);
    if n == 0 {
        return vec![f64::NAN; n_out];
    }
    // numpy 'linear': virtual index (n - 1) q between ranks floor and floor + 1.
    let plan: Vec<(usize, usize, f64)> = percentiles
        .iter()
        .map(|&p| linear_plan(n, p / 100.0))
        .collect();
    let half = n / 2;
    let mut ranks: Vec<usize> = plan.iter().flat_map(|&(lo, hi, _)| [lo, hi]).collect();
    if median {
        ranks.push(half);
        ranks.push(if n % 2 == 1 { half } else { half - 1 });
    }
    ranks.sort_unstable();
    ranks.dedup();
    let stats = order_statistics(values, &ranks);
    let at = |k: usize| ranks.binary_search(&k).map_or(f64::NAN, |i| stats[i]);
    let mut out: Vec<f64> = plan
        .iter()
        .map(|&(lo, hi, gamma)| lerp(at(lo), at(hi), gamma))
        .collect();
    if median {
        out.push(if n % 2 == 1 {
            at(half)
        } else {
            // np.median averages the two middle values: (a + b) / 2.
            (at(half - 1) + at(half)) / 2.0
        });
    }
    out
}

/// Rows per block of the row-major to column-major copy (fits in L2 for ~100 columns): a
/// cache tile of a copy, no reduction.
const TRANSPOSE_ROWS: usize = 1024;

/// Copy `x` to a column-major `f64` buffer (column `j` at `[j * n, (j + 1) * n)`) in one
/// parallel pass over blocks of rows, instead of one strided pass per column.
fn to_column_major<T: Float>(x: &ArrayView2<'_, T>, stop: &Interrupt) -> CoreResult<Vec<f64>> {
    let (n, d) = x.dim();
    let xs = x.as_standard_layout();
    let Some(cells) = xs.as_slice() else {
        return Err(CoreError::Internal(
            "standard-layout arrays must be contiguous".into(),
        ));
    };
    let mut buffer = try_filled_dims(&[n, d], 0.0, "the column-major copy of X")?;
    let n_blocks = n.div_ceil(TRANSPOSE_ROWS);
    // For each row block, its piece of every column.
    let mut pieces: Vec<Vec<&mut [f64]>> = (0..n_blocks).map(|_| Vec::with_capacity(d)).collect();
    for column in buffer.chunks_mut(n) {
        for (piece, block) in column.chunks_mut(TRANSPOSE_ROWS).zip(pieces.iter_mut()) {
            block.push(piece);
        }
    }
    pieces
        .into_par_iter()
        .enumerate()
        .try_for_each(|(b, mut columns)| {
            stop.check()?;
            let start = b * TRANSPOSE_ROWS;
            let end = (start + TRANSPOSE_ROWS).min(n);
            for (r, row) in cells[start * d..end * d].chunks_exact(d).enumerate() {
                for (column, &v) in columns.iter_mut().zip(row) {
                    column[r] = v.to_f64();
                }
            }
            Ok(())
        })?;
    Ok(buffer)
}

/// Per-column percentiles ignoring NaN, numpy's 'linear' method (`np.nanpercentile`),
/// plus the NaN-ignoring median as `np.nanmedian` when `with_median`.
///
/// Returns an array of shape `(percentiles.len() + with_median, n_columns)`; an all-NaN
/// column gives NaN. Percentiles must lie in [0, 100]. Uses a column-major copy of `x`.
pub fn column_percentiles<T: Float>(
    x: ArrayView2<'_, T>,
    percentiles: &[f64],
    with_median: bool,
    stop: &Interrupt,
) -> CoreResult<Array2<f64>> {
    check_shape(&x)?;
    if let Some(bad) = percentiles.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        return Err(CoreError::InvalidParameter {
            name: "quantile_range",
            reason: format!("percentiles must be in [0, 100], got {bad}"),
        });
    }
    let (n, d) = x.dim();
    let rows = percentiles.len() + usize::from(with_median);
    let mut buffer = to_column_major(&x, stop)?;
    // One column's selection is not interrupted (a few ms per million rows).
    let columns: Vec<Vec<f64>> = buffer
        .par_chunks_mut(n)
        .map(|column| {
            stop.check()?;
            // Drop NaN in place, keeping the order (irrelevant to quantiles anyway).
            let mut kept = 0;
            for i in 0..column.len() {
                if !column[i].is_nan() {
                    column[kept] = column[i];
                    kept += 1;
                }
            }
            Ok(column_quantiles(
                &mut column[..kept],
                percentiles,
                with_median,
            ))
        })
        .collect::<CoreResult<_>>()?;
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

/// Apply a per-column affine map to every cell, returning a new array (the input is only
/// read). NaN stays NaN. With `clip = Some((lo, hi))` results are clipped to `[lo, hi]`
/// afterwards, as `MinMaxScaler(clip=True)`.
///
/// Arithmetic is done in `T`, in the same order as scikit-learn's in-place operations.
pub fn affine_transform<T: Float>(
    x: ArrayView2<'_, T>,
    a: &[T],
    b: &[T],
    op: AffineOp,
    clip: Option<(T, T)>,
) -> CoreResult<Array2<T>> {
    let mut out = Array2::from_elem(x.dim(), T::zero());
    affine_transform_into(x, out.view_mut(), a, b, op, clip, &Interrupt::new())?;
    Ok(out)
}

/// [`affine_transform`] writing into a caller-provided array of the same shape (lets the
/// caller choose the allocation, e.g. one backed by huge pages). `out` must not alias `x`.
pub fn affine_transform_into<T: Float>(
    x: ArrayView2<'_, T>,
    out: ArrayViewMut2<'_, T>,
    a: &[T],
    b: &[T],
    op: AffineOp,
    clip: Option<(T, T)>,
    stop: &Interrupt,
) -> CoreResult<()> {
    let d = x.ncols();
    check_len("first parameter vector", a.len(), d)?;
    check_len("second parameter vector", b.len(), d)?;
    // One monomorphic loop per case so the row loop vectorizes.
    match (op, clip) {
        (AffineOp::SubtractDivide, None) => map_rows_into(x, out, stop, |out, row| {
            for (((o, &v), &a), &b) in out.iter_mut().zip(row).zip(a).zip(b) {
                *o = (v - a) / b;
            }
        }),
        (AffineOp::MultiplyAdd, None) => map_rows_into(x, out, stop, |out, row| {
            for (((o, &v), &a), &b) in out.iter_mut().zip(row).zip(a).zip(b) {
                *o = v * a + b;
            }
        }),
        (op, Some((lo, hi))) => map_rows_into(x, out, stop, |out, row| {
            for (((o, &v), &a), &b) in out.iter_mut().zip(row).zip(a).zip(b) {
                let r = match op {
                    AffineOp::SubtractDivide => (v - a) / b,
                    AffineOp::MultiplyAdd => v * a + b,
                };
                // NaN fails both comparisons and passes through, as np.clip.
                *o = if r < lo {
                    lo
                } else if r > hi {
                    hi
                } else {
                    r
                };
            }
        }),
    }
}

/// Write `f(out_row, in_row)` for every row of `x` into `out`, in parallel over blocks
/// of rows.
fn map_rows_into<T: Float, F>(
    x: ArrayView2<'_, T>,
    mut out: ArrayViewMut2<'_, T>,
    stop: &Interrupt,
    f: F,
) -> CoreResult<()>
where
    F: Fn(&mut [T], &[T]) + Sync,
{
    if out.dim() != x.dim() {
        return Err(CoreError::ShapeMismatch {
            what: "output array (rows x columns)",
            expected: x.len(),
            got: out.len(),
        });
    }
    let x = x.as_standard_layout();
    let d = x.ncols();
    let (Some(src), Some(dst)) = (x.as_slice(), out.as_slice_mut()) else {
        return Err(CoreError::InvalidParameter {
            name: "out",
            reason: "the output array must be C-contiguous".into(),
        });
    };
    if d == 0 {
        return Ok(());
    }
    // Element-wise, so the block size is only the unit of parallel work.
    let chunk = BLOCK_ROWS * d;
    dst.par_chunks_mut(chunk)
        .zip(src.par_chunks(chunk))
        .try_for_each(|(dst, src)| {
            stop.check()?;
            for (drow, srow) in dst.chunks_exact_mut(d).zip(src.chunks_exact(d)) {
                f(drow, srow);
            }
            Ok(())
        })
}

/// Number of cells per column (among the `columns` marked true) where `log1p` is
/// undefined or infinite (`x <= -1`). NaN cells are not counted.
pub fn count_log1p_domain_errors<T: Float>(
    x: ArrayView2<'_, T>,
    columns: &[bool],
    stop: &Interrupt,
) -> CoreResult<Vec<u64>> {
    check_len("column mask", columns.len(), x.ncols())?;
    let minus_one = T::from_f64(-1.0);
    reduce_columns(
        &x,
        0u64,
        |a, j, v| {
            if columns[j] && v <= minus_one {
                *a += 1;
            }
        },
        |t, a| *t += *a,
        stop,
    )
}

// --------------------------------------------------------------------------- sparse (CSR)

/// One column's stored values within one block of CSR rows, as sums shifted by the
/// column's first stored (non-NaN) value in the block, which keeps the one-pass sum of
/// squares free of cancellation when the mean is large.
#[derive(Clone, Copy, Debug)]
struct SparseColumn {
    /// The shift (NaN until the column's first stored value in the block).
    shift: f64,
    /// `sum w (x - shift)` over the stored non-NaN values
    s1: f64,
    /// `sum w (x - shift)^2` over the stored non-NaN values
    s2: f64,
    /// `sum w` over the stored non-NaN values
    stored: f64,
    /// `sum w` over the stored NaN values
    nan_weight: f64,
    /// number of stored NaN values
    n_nan: f64,
}

impl SparseColumn {
    const EMPTY: SparseColumn = SparseColumn {
        shift: f64::NAN,
        s1: 0.0,
        s2: 0.0,
        stored: 0.0,
        nan_weight: 0.0,
        n_nan: 0.0,
    };

    /// The column's moments over the block's `rows_weight` (all rows' weights): its
    /// stored values, then its implicit zeros (the rows' weight not stored here), merged.
    fn finish(&self, rows_weight: f64) -> CoMoments {
        let mut m = CoMoments::EMPTY;
        if self.stored > 0.0 {
            let m2 = self.s2 - self.s1 * self.s1 / self.stored;
            m = CoMoments {
                count: self.stored,
                sum_y: self.shift * self.stored + self.s1,
                m2_y: if m2 < 0.0 { 0.0 } else { m2 },
                ..CoMoments::EMPTY
            };
        }
        let zeros = rows_weight - self.stored - self.nan_weight;
        if zeros > 0.0 {
            m.merge(&CoMoments {
                count: zeros,
                ..CoMoments::EMPTY
            });
        }
        m
    }
}

/// [`column_moments`] of a CSR matrix: the implicit zeros are values (weighted by their
/// rows' weights), stored NaN are skipped, as scikit-learn's `mean_variance_axis`.
///
/// One pass over the stored values only (never over the zeros): each block of
/// [`BLOCK_ROWS`] rows accumulates shifted sums per column ([`SparseColumn`]), turns them
/// into the moments of its stored values and of its zeros, and the blocks' per-column
/// [`CoMoments`] are merged in block order (Chan et al.'s update), so the result does
/// not depend on the number of threads.
pub fn csr_column_moments<T: Float>(
    x: &CsrView<'_, T>,
    weights: Option<&[f64]>,
    stop: &Interrupt,
) -> CoreResult<BatchMoments> {
    crate::error::check_weights(weights, x.n_rows())?;
    let d = x.n_cols();
    let blocks = RowBlocks::fixed(x.n_rows(), BLOCK_ROWS);
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    // n_features is the CSR's declared width, not bounded by its stored values: every
    // per-column buffer is reserved fallibly.
    let what = "the per-column moments";
    let (moments, n_nan) = blocks.try_reduce(
        (
            try_filled(d, CoMoments::EMPTY, what)?,
            try_filled(d, 0.0f64, what)?,
        ),
        |_, rows| {
            stop.check()?;
            let mut acc = try_filled(d, SparseColumn::EMPTY, what)?;
            let mut rows_weight = 0.0;
            for i in rows {
                let w = weight(i);
                rows_weight += w;
                let (cols, vals) = x.row(i);
                for (&j, &v) in cols.iter().zip(vals) {
                    let a = &mut acc[j as usize];
                    let v = v.to_f64();
                    if v.is_nan() {
                        a.nan_weight += w;
                        a.n_nan += 1.0;
                        continue;
                    }
                    if a.shift.is_nan() {
                        a.shift = v;
                    }
                    let t = v - a.shift;
                    a.s1 += w * t;
                    a.s2 += w * t * t;
                    a.stored += w;
                }
            }
            let mut n_nan = try_with_capacity(d, what)?;
            n_nan.extend(acc.iter().map(|a| a.n_nan));
            let mut moments = try_with_capacity(d, what)?;
            moments.extend(acc.iter().map(|a| a.finish(rows_weight)));
            Ok((moments, n_nan))
        },
        |(total, nan), (block, block_nan)| {
            for (t, b) in total.iter_mut().zip(&block) {
                t.merge(b);
            }
            for (t, b) in nan.iter_mut().zip(&block_nan) {
                *t += b;
            }
        },
    )?;
    let column = |f: fn(&CoMoments) -> f64| -> CoreResult<Array1<f64>> {
        let mut out = try_with_capacity(d, what)?;
        out.extend(moments.iter().map(f));
        Ok(Array1::from(out))
    };
    Ok(BatchMoments {
        count: column(|m| m.count)?,
        mean: column(|m| m.mean_y())?,
        // NaN for a column with no values (every row NaN), as the mean
        unnormalized_var: column(|m| if m.count > 0.0 { m.m2_y } else { f64::NAN })?,
        n_nan: Array1::from(n_nan),
    })
}

/// Per-column maximum absolute value of a CSR matrix, the implicit zeros included and
/// stored NaN skipped (NaN for a column whose every row holds a stored NaN).
pub fn csr_column_max_abs<T: Float>(
    x: &CsrView<'_, T>,
    stop: &Interrupt,
) -> CoreResult<Array1<f64>> {
    let d = x.n_cols();
    let blocks = RowBlocks::fixed(x.n_rows(), BLOCK_ROWS);
    let what = "the per-column maxima";
    let (max_abs, n_nan) = blocks.try_reduce(
        (try_filled(d, f64::NAN, what)?, try_filled(d, 0usize, what)?),
        |_, rows| {
            stop.check()?;
            let mut acc = (try_filled(d, f64::NAN, what)?, try_filled(d, 0usize, what)?);
            for i in rows {
                let (cols, vals) = x.row(i);
                for (&j, &v) in cols.iter().zip(vals) {
                    let j = j as usize;
                    if v.is_nan() {
                        acc.1[j] += 1;
                    } else {
                        acc.0[j] = acc.0[j].max(v.to_f64().abs());
                    }
                }
            }
            Ok(acc)
        },
        |(m, n), (bm, bn)| {
            for j in 0..d {
                m[j] = m[j].max(bm[j]);
                n[j] += bn[j];
            }
        },
    )?;
    // a column with fewer stored values than rows has zeros; stored (non-NaN) values or zeros
    let mut stored = try_filled(d, 0usize, what)?;
    for &j in x.indices() {
        stored[j as usize] += 1;
    }
    let mut out = try_with_capacity(d, what)?;
    out.extend((0..d).map(|j| {
        if stored[j] < x.n_rows() {
            max_abs[j].max(0.0)
        } else if stored[j] == n_nan[j] {
            f64::NAN
        } else {
            max_abs[j]
        }
    }));
    Ok(Array1::from(out))
}

/// The stored values of a CSR matrix multiplied column-wise by `factor` (scikit-learn's
/// `inplace_column_scale`, written to a new array; the zeros stay zeros, NaN stays NaN).
pub fn csr_scale_columns<T: Float>(x: &CsrView<'_, T>, factor: &[f64]) -> CoreResult<Vec<T>> {
    check_len("factor", factor.len(), x.n_cols())?;
    let mut out = try_with_capacity(x.data().len(), "the scaled values")?;
    out.par_extend(
        x.data()
            .par_iter()
            .zip(x.indices().par_iter())
            .with_min_len(1 << 14)
            .map(|(&v, &j)| T::from_f64(v.to_f64() * factor[j as usize])),
    );
    Ok(out)
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
        let m = merge_moments(
            None,
            &column_moments(x.view(), None, &Interrupt::new()).unwrap(),
        )
        .unwrap();
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
        let a = merge_moments(
            None,
            &column_moments(x.view(), Some(&w), &Interrupt::new()).unwrap(),
        )
        .unwrap();
        let b = merge_moments(
            None,
            &column_moments(xr.view(), None, &Interrupt::new()).unwrap(),
        )
        .unwrap();
        assert!((a.mean[0] - b.mean[0]).abs() < 1e-14);
        assert!((a.var[0] - b.var[0]).abs() < 1e-14);
    }

    #[test]
    fn merge_equals_whole() {
        let x = Array2::from_shape_fn((10_000, 3), |(i, j)| ((i * 7 + j * 13) % 101) as f64);
        let whole = merge_moments(
            None,
            &column_moments(x.view(), None, &Interrupt::new()).unwrap(),
        )
        .unwrap();
        let first =
            column_moments(x.slice(ndarray::s![..3000, ..]), None, &Interrupt::new()).unwrap();
        let second =
            column_moments(x.slice(ndarray::s![3000.., ..]), None, &Interrupt::new()).unwrap();
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
                .install(|| column_moments(x.view(), None, &Interrupt::new()).unwrap())
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn percentiles_like_numpy() {
        // np.nanpercentile([1, 2, 3, 4, nan], [25, 75]) == [1.75, 3.25]; nanmedian == 2.5
        let x = array![[1.0], [f64::NAN], [4.0], [3.0], [2.0]];
        let q = column_percentiles(x.view(), &[25.0, 75.0], true, &Interrupt::new()).unwrap();
        assert_eq!(q.column(0).to_vec(), vec![1.75, 3.25, 2.5]);
        assert!(column_percentiles(x.view(), &[-1.0], false, &Interrupt::new()).is_err());
    }

    #[test]
    fn order_statistics_match_sorting() {
        let values: Vec<f64> = (0..1001)
            .map(|i| ((i * 7919) % 1009) as f64 * 0.5)
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let ranks = [0, 1, 249, 250, 500, 749, 750, 999, 1000];
        let mut work = values.clone();
        let got = order_statistics(&mut work, &ranks);
        let want: Vec<f64> = ranks.iter().map(|&k| sorted[k]).collect();
        assert_eq!(got, want);
        // numpy: np.percentile(values, [25, 75]) and np.median(values) via the plan.
        let mut work = values.clone();
        let q = column_quantiles(&mut work, &[25.0, 75.0, 100.0], true);
        assert_eq!(q, vec![sorted[250], sorted[750], sorted[1000], sorted[500]]);
    }

    #[test]
    fn min_max_and_kernels() {
        let x = array![[1.0_f32, -3.0], [f32::NAN, 2.0], [5.0, 0.5]];
        let (lo, hi) = column_min_max(x.view(), &Interrupt::new()).unwrap();
        assert_eq!(lo.to_vec(), vec![1.0, -3.0]);
        assert_eq!(hi.to_vec(), vec![5.0, 2.0]);
        assert_eq!(
            column_max_abs(x.view(), &Interrupt::new())
                .unwrap()
                .to_vec(),
            vec![5.0, 3.0]
        );
        let y = affine_transform(
            x.view(),
            &[1.0, 0.0],
            &[2.0, 1.0],
            AffineOp::SubtractDivide,
            None,
        )
        .unwrap();
        assert_eq!(y[[2, 0]], 2.0);
        assert!(y[[1, 0]].is_nan());
        let z = affine_transform(
            x.view(),
            &[1.0, 1.0],
            &[0.0, 0.0],
            AffineOp::MultiplyAdd,
            Some((0.0, 1.0)),
        )
        .unwrap();
        assert_eq!(z[[0, 1]], 0.0);
        assert_eq!(z[[2, 0]], 1.0);
    }

    #[test]
    fn log1p_domain() {
        let x = array![[0.0_f64, -2.0], [-1.0, 3.0]];
        assert_eq!(
            count_log1p_domain_errors(x.view(), &[true, true], &Interrupt::new()).unwrap(),
            vec![1, 1]
        );
        assert_eq!(
            count_log1p_domain_errors(x.view(), &[false, true], &Interrupt::new()).unwrap(),
            vec![0, 1]
        );
        assert!(count_log1p_domain_errors(x.view(), &[true], &Interrupt::new()).is_err());
    }

    #[test]
    fn into_checks_output_shape() {
        let x = array![[1.0_f64, 2.0]];
        let mut out = Array2::<f64>::zeros((2, 2));
        let r = affine_transform_into(
            x.view(),
            out.view_mut(),
            &[0.0; 2],
            &[1.0; 2],
            AffineOp::MultiplyAdd,
            None,
            &Interrupt::new(),
        );
        assert!(matches!(r, Err(CoreError::ShapeMismatch { .. })));
    }

    #[test]
    fn empty_rejected() {
        let x = Array2::<f64>::zeros((0, 3));
        assert!(matches!(
            column_moments(x.view(), None, &Interrupt::new()),
            Err(CoreError::EmptyInput(_))
        ));
    }

    /// A dense matrix with many zeros, a NaN and its CSR form.
    fn sparse_example() -> (Array2<f64>, Vec<i64>, Vec<i64>, Vec<f64>) {
        let n = 9000; // more than two blocks
        let mut dense = Array2::<f64>::zeros((n, 3));
        for i in 0..n {
            if i % 7 == 0 {
                dense[[i, 0]] = (i % 13) as f64 - 6.0;
            }
            if i % 3 == 0 {
                dense[[i, 2]] = 1e3 + (i % 5) as f64;
            }
        }
        dense[[14, 0]] = f64::NAN;
        let (mut indptr, mut indices, mut data) = (vec![0i64], vec![], vec![]);
        for row in dense.rows() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    indices.push(j as i64);
                    data.push(v);
                }
            }
            indptr.push(indices.len() as i64);
        }
        (dense, indptr, indices, data)
    }

    #[test]
    fn sparse_statistics_equal_the_dense_ones() {
        use crate::numerics::{CsrView, Finite};
        let (dense, indptr, indices, data) = sparse_example();
        let x = CsrView::new(dense.nrows(), 3, &indptr, &indices, &data, Finite::AllowNan).unwrap();
        let weights: Vec<f64> = (0..dense.nrows()).map(|i| 1.0 + (i % 4) as f64).collect();
        for w in [None, Some(weights.as_slice())] {
            let sparse = csr_column_moments(&x, w, &Interrupt::new()).unwrap();
            let reference = column_moments(dense.view(), w, &Interrupt::new()).unwrap();
            assert_eq!(sparse.count, reference.count);
            assert_eq!(sparse.n_nan, reference.n_nan);
            for j in 0..3 {
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
                assert!(close(sparse.mean[j], reference.mean[j]));
                assert!(close(
                    sparse.unnormalized_var[j],
                    reference.unnormalized_var[j]
                ));
            }
        }
        let max_abs = csr_column_max_abs(&x, &Interrupt::new()).unwrap();
        assert_eq!(
            max_abs.to_vec(),
            column_max_abs(dense.view(), &Interrupt::new())
                .unwrap()
                .to_vec()
        );
        let scaled = csr_scale_columns(&x, &[2.0, 0.5, 0.25]).unwrap();
        assert_eq!(scaled[0], data[0] * 2.0);
        assert!(csr_scale_columns(&x, &[1.0]).is_err());
    }

    #[test]
    fn sparse_statistics_same_on_one_or_two_threads() {
        use crate::numerics::{CsrView, Finite};
        let (dense, indptr, indices, data) = sparse_example();
        let x = CsrView::new(dense.nrows(), 3, &indptr, &indices, &data, Finite::AllowNan).unwrap();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| csr_column_moments(&x, None, &Interrupt::new()).unwrap())
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn a_requested_stop_ends_every_pass() {
        let x = Array2::from_shape_fn((10_000, 3), |(i, j)| (i + j) as f64);
        let stop = Interrupt::new();
        stop.request();
        let stopped = |r: CoreResult<()>| assert_eq!(r, Err(CoreError::Interrupted));
        stopped(column_moments(x.view(), None, &stop).map(drop));
        stopped(column_min_max(x.view(), &stop).map(drop));
        stopped(column_percentiles(x.view(), &[50.0], true, &stop).map(drop));
        stopped(count_log1p_domain_errors(x.view(), &[true; 3], &stop).map(drop));
        let mut out = Array2::<f64>::zeros((10_000, 3));
        let (a, b) = ([0.0; 3], [1.0; 3]);
        stopped(affine_transform_into(
            x.view(),
            out.view_mut(),
            &a,
            &b,
            AffineOp::SubtractDivide,
            None,
            &stop,
        ));
    }

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        use crate::numerics::{CsrView, Finite};
        // Two rows of a CSR matrix whose declared width no machine can hold per column.
        let (indptr, indices, data) = ([0i64, 1, 1], [3i64], [2.0f64]);
        let wide = usize::MAX / 8;
        let x = CsrView::new(2, wide, &indptr, &indices, &data, Finite::AllowNan).unwrap();
        let stop = Interrupt::new();
        match csr_column_moments(&x, None, &stop) {
            Err(CoreError::Allocation { what, .. }) => assert_eq!(what, "the per-column moments"),
            other => panic!("{other:?}"),
        }
        match csr_column_max_abs(&x, &stop) {
            Err(CoreError::Allocation { what, .. }) => assert_eq!(what, "the per-column maxima"),
            other => panic!("{other:?}"),
        }
        // The same rows at a width that fits.
        let x = CsrView::new(2, 5, &indptr, &indices, &data, Finite::AllowNan).unwrap();
        assert_eq!(
            csr_column_max_abs(&x, &stop).unwrap().to_vec(),
            [0.0, 0.0, 0.0, 2.0, 0.0]
        );
    }
}
