//! Sufficient statistics per (segment, arm, metric) in one parallel, deterministic pass.
//!
//! Every cell is a [`CellStats`]: the [`CoMoments`] of the metric `y` and of its auxiliary
//! column `x` (CUPED covariate or ratio denominator, zeros when there is none) over the
//! rows used, plus two counters (rows dropped for NaN, and values other than 0 and 1, for
//! binary detection). Python sees the same names as the fields of a numpy structured array
//! ([`CellStats::FIELDS`]).
//!
//! Centred moments instead of raw sums of squares keep the variance exact to rounding even
//! when the mean is large. Rows are cut into fixed-size blocks that depend only on `n`
//! ([`RowBlocks::bounded`]); each block is reduced with two passes (means, then centred
//! moments) and block results are merged in block order with Chan's pairwise update
//! ([`CellStats::merge`]), so the result is bit-identical for any number of threads.
//!
//! NaN policy: a row whose metric (or auxiliary) value is NaN is left out of that metric
//! only and counted in `n_nan`. Infinity is an error.

use ndarray::{Array3, Array4, ArrayView2};
use rayon::prelude::*;

use crate::numerics::{CoMoments, RowBlocks};
use crate::params::{at_least, invalid};
use crate::{CoreError, CoreResult};

/// Smallest block of rows (a block's per-cell accumulators must be worth their setup).
const MIN_BLOCK_ROWS: usize = 1 << 16;
/// At most this many blocks (larger inputs get larger blocks).
const MAX_BLOCKS: usize = 256;

/// Sufficient statistics of one (segment, arm, metric) cell.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CellStats {
    /// Count, sums and centred moments of the metric (`y`) and its auxiliary column
    /// (`x`) over the rows where neither is NaN.
    pub moments: CoMoments,
    /// Rows left out because the metric or its auxiliary value was NaN.
    pub n_nan: f64,
    /// Used values of the metric other than 0 and 1 (binary detection and validation).
    pub n_nonbinary: f64,
}

impl CellStats {
    /// Field names in the order of [`Self::to_array`]: the names Python uses too.
    pub const FIELDS: [&'static str; 8] = [
        "count",
        "sum_y",
        "m2_y",
        "sum_x",
        "m2_x",
        "c_xy",
        "n_nan",
        "n_nonbinary",
    ];

    /// The statistics as numbers, in the order of [`Self::FIELDS`].
    pub fn to_array(&self) -> [f64; 8] {
        let m = &self.moments;
        [
            m.count,
            m.sum_y,
            m.m2_y,
            m.sum_x,
            m.m2_x,
            m.c_xy,
            self.n_nan,
            self.n_nonbinary,
        ]
    }

    /// Add the statistics of another, disjoint set of rows: Chan's pairwise update of the
    /// moments ([`CoMoments::merge`]) and sums of the counters. Deterministic: the same
    /// parts merged in the same order give the same bits.
    #[inline]
    pub fn merge(&mut self, other: &CellStats) {
        self.moments.merge(&other.moments);
        self.n_nan += other.n_nan;
        self.n_nonbinary += other.n_nonbinary;
    }
}

/// Integer group codes of any width (pandas' categorical codes are i8/i16/i32), so the
/// caller never widens a 10-million-row code array just to call the core.
#[derive(Debug, Clone, Copy)]
pub enum Codes<'a> {
    /// 8-bit codes.
    I8(&'a [i8]),
    /// 16-bit codes.
    I16(&'a [i16]),
    /// 32-bit codes.
    I32(&'a [i32]),
    /// 64-bit codes.
    I64(&'a [i64]),
}

macro_rules! dispatch {
    ($codes:expr, $v:ident => $body:expr) => {
        match $codes {
            Codes::I8($v) => $body,
            Codes::I16($v) => $body,
            Codes::I32($v) => $body,
            Codes::I64($v) => $body,
        }
    };
}

impl<'a> Codes<'a> {
    /// Number of codes.
    pub fn len(&self) -> usize {
        dispatch!(self, v => v.len())
    }

    /// True when there are no codes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many codes fall outside `0..limit`.
    // The macro instantiates `i64 -> i64` too, where `into` is the identity.
    #[allow(clippy::useless_conversion)]
    fn count_out_of_range(&self, limit: usize) -> usize {
        dispatch!(self, v => v
            .par_iter()
            .filter(|&&c| {
                let c: i64 = c.into();
                c < 0 || c as usize >= limit
            })
            .count())
    }

    /// `out[i] = out[i] * mult + code[start + i]` (builds cell indices in two calls).
    fn fold_into(&self, start: usize, out: &mut [u32], mult: u32) {
        let end = start + out.len();
        dispatch!(self, v => {
            for (o, &c) in out.iter_mut().zip(&v[start..end]) {
                *o = *o * mult + c as u32;
            }
        })
    }
}

impl<'a> From<&'a [i64]> for Codes<'a> {
    fn from(v: &'a [i64]) -> Self {
        Codes::I64(v)
    }
}

struct Inputs<'a> {
    segments: Codes<'a>,
    arms: Codes<'a>,
    n_arms: usize,
    n_cells: usize,
    y: ArrayView2<'a, f64>,
    x: Option<ArrayView2<'a, f64>>,
    aux_index: &'a [i64],
}

/// Copy rows `start..end` of a (possibly strided) column into `buf` (cache-resident).
/// Contiguous columns (pandas' F-ordered blocks) are read in place; strided ones are
/// copied once per chunk.
fn gather<'b>(
    col: ndarray::ArrayView1<'b, f64>,
    start: usize,
    end: usize,
    buf: &'b mut Vec<f64>,
) -> &'b [f64] {
    let part = col.slice_move(ndarray::s![start..end]);
    if part.as_slice().is_some() {
        return part.to_slice().unwrap_or(&[]);
    }
    buf.clear();
    buf.extend(part.iter().copied());
    buf
}

/// Reduce rows `start..end`; returns the cell buffer or the first infinite value found.
fn reduce_chunk(
    inp: &Inputs<'_>,
    start: usize,
    end: usize,
) -> Result<Vec<CellStats>, (usize, usize)> {
    let n_metrics = inp.y.ncols();
    let n_cells = inp.n_cells;
    let mut out = vec![CellStats::default(); n_cells * n_metrics];
    // Per-cell accumulators of one metric: n, sum_y, sum_x, nan, non-binary, then centred.
    let mut acc = vec![[0.0f64; 8]; n_cells];
    let mut cells = vec![0u32; end - start];
    inp.segments.fold_into(start, &mut cells, 0);
    inp.arms.fold_into(start, &mut cells, inp.n_arms as u32);
    let mut ybuf_store = Vec::new();
    let mut xbuf_store = Vec::new();
    for j in 0..n_metrics {
        let ybuf = gather(inp.y.column(j), start, end, &mut ybuf_store);
        let (has_x, xbuf) = match (inp.aux_index[j], inp.x.as_ref()) {
            (k, Some(x)) if k >= 0 => (
                true,
                gather(x.column(k as usize), start, end, &mut xbuf_store),
            ),
            _ => (false, &[][..]),
        };
        acc.iter_mut().for_each(|a| *a = [0.0; 8]);
        let mut infinite = false;
        // Pass 1: counts and sums.
        if has_x {
            for ((&c, &yv), &xv) in cells.iter().zip(ybuf).zip(xbuf) {
                let a = &mut acc[c as usize];
                if yv.is_nan() || xv.is_nan() {
                    a[3] += 1.0;
                    continue;
                }
                infinite |= yv.is_infinite() | xv.is_infinite();
                a[0] += 1.0;
                a[1] += yv;
                a[2] += xv;
                a[4] += f64::from(u8::from(yv != 0.0 && yv != 1.0));
            }
        } else {
            for (&c, &yv) in cells.iter().zip(ybuf) {
                let a = &mut acc[c as usize];
                if yv.is_nan() {
                    a[3] += 1.0;
                    continue;
                }
                infinite |= yv.is_infinite();
                a[0] += 1.0;
                a[1] += yv;
                a[4] += f64::from(u8::from(yv != 0.0 && yv != 1.0));
            }
        }
        if infinite {
            let row = (0..ybuf.len())
                .find(|&i| ybuf[i].is_infinite() || (has_x && xbuf[i].is_infinite()))
                .unwrap_or(0);
            return Err((start + row, j));
        }
        // A 0/1 column needs no second pass: sum (y - p)^2 = s (n - s) / n exactly.
        if !has_x && acc.iter().all(|a| a[4] == 0.0) {
            for (c, a) in acc.iter().enumerate() {
                let m2 = if a[0] > 0.0 {
                    a[1] * (a[0] - a[1]) / a[0]
                } else {
                    0.0
                };
                out[c * n_metrics + j] = CellStats {
                    moments: CoMoments {
                        count: a[0],
                        sum_y: a[1],
                        m2_y: m2,
                        ..CoMoments::EMPTY
                    },
                    n_nan: a[3],
                    n_nonbinary: 0.0,
                };
            }
            continue;
        }
        // Means, kept in the centred slots until pass 2 overwrites them.
        let means: Vec<(f64, f64)> = acc
            .iter()
            .map(|a| {
                if a[0] > 0.0 {
                    (a[1] / a[0], a[2] / a[0])
                } else {
                    (0.0, 0.0)
                }
            })
            .collect();
        // Pass 2: centred moments around the chunk means.
        if has_x {
            for ((&c, &yv), &xv) in cells.iter().zip(ybuf).zip(xbuf) {
                if yv.is_nan() || xv.is_nan() {
                    continue;
                }
                let (my, mx) = means[c as usize];
                let (dy, dx) = (yv - my, xv - mx);
                let a = &mut acc[c as usize];
                a[5] += dy * dy;
                a[6] += dx * dx;
                a[7] += dx * dy;
            }
        } else {
            for (&c, &yv) in cells.iter().zip(ybuf) {
                if yv.is_nan() {
                    continue;
                }
                let dy = yv - means[c as usize].0;
                acc[c as usize][5] += dy * dy;
            }
        }
        for (c, a) in acc.iter().enumerate() {
            out[c * n_metrics + j] = CellStats {
                moments: CoMoments {
                    count: a[0],
                    sum_y: a[1],
                    m2_y: a[5],
                    sum_x: a[2],
                    m2_x: a[6],
                    c_xy: a[7],
                },
                n_nan: a[3],
                n_nonbinary: a[4],
            };
        }
    }
    Ok(out)
}

fn n_cells_u64(a: usize, b: usize) -> u64 {
    (a as u64).saturating_mul(b as u64)
}

/// Rows per block of [`segment_arm_stats`] on `n` rows: the partition its result
/// depends on (at least 2^16 rows, at most 256 blocks).
pub fn block_rows(n: usize) -> usize {
    RowBlocks::bounded(n, MIN_BLOCK_ROWS, MAX_BLOCKS).rows_per_block()
}

/// Per (segment, arm, metric) sufficient statistics of `y` (rows x metrics).
///
/// `segments` and `arms` hold integer codes in `0..n_segments` and `0..n_arms`. `x` is an
/// optional auxiliary matrix (rows x k); `aux_index[j]` names the column of `x` paired with
/// metric `j` (a CUPED covariate or a ratio denominator), or `-1` for none. Returns an
/// array of shape `(n_segments, n_arms, n_metrics)` of [`CellStats`]: the statistics of
/// the blocks of [`block_rows`]`(n)` rows, merged in block order into empty cells.
///
/// # Errors
/// `ShapeMismatch` when lengths disagree, `InvalidParameter` for codes out of range or a
/// bad `aux_index`, `NonFinite` for an infinite value, `EmptyInput` for zero rows/metrics.
pub fn segment_arm_stats<'a>(
    segments: Codes<'a>,
    arms: Codes<'a>,
    n_segments: usize,
    n_arms: usize,
    y: ArrayView2<'a, f64>,
    x: Option<ArrayView2<'a, f64>>,
    aux_index: &'a [i64],
) -> CoreResult<Array3<CellStats>> {
    let inputs = checked_inputs(segments, arms, n_segments, n_arms, y, x, aux_index)?;
    let n = y.nrows();
    let n_metrics = y.ncols();
    let blocks = RowBlocks::fixed(n, block_rows(n));
    let total = blocks
        .try_reduce(
            vec![CellStats::default(); inputs.n_cells * n_metrics],
            |_, rows| reduce_chunk(&inputs, rows.start, rows.end),
            |total, part| {
                for (dst, src) in total.iter_mut().zip(&part) {
                    dst.merge(src);
                }
            },
        )
        .map_err(infinite)?;
    Array3::from_shape_vec((n_segments, n_arms, n_metrics), total)
        .map_err(|e| CoreError::Internal(e.to_string()))
}

/// The statistics of each block of `block_rows` rows (the last one shorter), not merged:
/// shape `(n_blocks, n_segments, n_arms, n_metrics)`. A block holds the same bits as the
/// block of [`segment_arm_stats`] over the same rows, so a distributed caller that cuts
/// its data at the same row positions (multiples of [`block_rows`] of the whole table)
/// and merges the blocks in order, into empty cells, obtains the in-memory result bit
/// for bit, however its data is partitioned. Arguments and errors as
/// [`segment_arm_stats`]; `block_rows` must be at least 1.
#[allow(clippy::too_many_arguments)]
pub fn segment_arm_block_stats<'a>(
    segments: Codes<'a>,
    arms: Codes<'a>,
    n_segments: usize,
    n_arms: usize,
    y: ArrayView2<'a, f64>,
    x: Option<ArrayView2<'a, f64>>,
    aux_index: &'a [i64],
    block_rows: usize,
) -> CoreResult<Array4<CellStats>> {
    at_least("block_rows", block_rows, 1)?;
    let inputs = checked_inputs(segments, arms, n_segments, n_arms, y, x, aux_index)?;
    let blocks = RowBlocks::fixed(y.nrows(), block_rows);
    let parts: Vec<_> = blocks.map(|_, rows| reduce_chunk(&inputs, rows.start, rows.end));
    let mut out = Vec::with_capacity(parts.len() * inputs.n_cells * y.ncols());
    for part in parts {
        out.extend(part.map_err(infinite)?);
    }
    Array4::from_shape_vec((blocks.len(), n_segments, n_arms, y.ncols()), out)
        .map_err(|e| CoreError::Internal(e.to_string()))
}

/// The error of an infinite value found at `(row, metric)` by [`reduce_chunk`].
fn infinite((i, j): (usize, usize)) -> CoreError {
    CoreError::NonFinite(format!(
        "metric column {j} (or its auxiliary column) is infinite at row {i}"
    ))
}

/// The inputs of a pass, checked (see [`segment_arm_stats`] for the errors).
fn checked_inputs<'a>(
    segments: Codes<'a>,
    arms: Codes<'a>,
    n_segments: usize,
    n_arms: usize,
    y: ArrayView2<'a, f64>,
    x: Option<ArrayView2<'a, f64>>,
    aux_index: &'a [i64],
) -> CoreResult<Inputs<'a>> {
    let (n, n_metrics) = y.dim();
    if n == 0 || n_metrics == 0 {
        return Err(CoreError::EmptyInput(format!(
            "metric matrix has shape ({n}, {n_metrics})"
        )));
    }
    for (what, len) in [("segments", segments.len()), ("arms", arms.len())] {
        if len != n {
            return Err(CoreError::ShapeMismatch {
                what,
                expected: n,
                got: len,
            });
        }
    }
    if aux_index.len() != n_metrics {
        return Err(CoreError::ShapeMismatch {
            what: "aux_index",
            expected: n_metrics,
            got: aux_index.len(),
        });
    }
    let k = match &x {
        Some(xv) => {
            if xv.nrows() != n {
                return Err(CoreError::ShapeMismatch {
                    what: "auxiliary matrix rows",
                    expected: n,
                    got: xv.nrows(),
                });
            }
            xv.ncols() as i64
        }
        None => 0,
    };
    if let Some(bad) = aux_index.iter().find(|&&a| a < -1 || a >= k) {
        return Err(CoreError::InvalidParameter {
            name: "aux_index",
            reason: format!("entries must be -1 or in 0..{k}, got {bad}"),
        });
    }
    at_least("n_segments", n_segments, 1)?;
    at_least("n_arms", n_arms, 1)?;
    if n_cells_u64(n_segments, n_arms) > u64::from(u32::MAX) {
        return Err(invalid(
            "n_segments",
            format!("{n_segments} segments x {n_arms} arms is too many cells"),
        ));
    }
    let check_codes = |codes: Codes<'_>, limit: usize, name: &'static str| -> CoreResult<()> {
        let bad = codes.count_out_of_range(limit);
        if bad > 0 {
            return Err(CoreError::InvalidParameter {
                name,
                reason: format!("{bad} code(s) outside 0..{limit} (missing labels?)"),
            });
        }
        Ok(())
    };
    check_codes(segments, n_segments, "segments")?;
    check_codes(arms, n_arms, "arms")?;

    let n_cells = n_segments * n_arms;
    Ok(Inputs {
        segments,
        arms,
        n_arms,
        n_cells,
        y,
        x,
        aux_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn matches_naive_two_pass() {
        let n = 200_000;
        let segments: Vec<i64> = (0..n).map(|i| (i % 3) as i64).collect();
        let arms: Vec<i32> = (0..n).map(|i| ((i / 3) % 2) as i32).collect();
        let y = Array2::from_shape_fn((n, 2), |(i, j)| {
            if j == 1 && i % 97 == 0 {
                f64::NAN
            } else {
                1e6 + ((i * 7919 + j) % 1000) as f64 / 10.0
            }
        });
        let x = Array2::from_shape_fn((n, 1), |(i, _)| ((i * 31) % 17) as f64);
        let out = segment_arm_stats(
            segments.as_slice().into(),
            Codes::I32(&arms),
            3,
            2,
            y.view(),
            Some(x.view()),
            &[0, -1],
        )
        .unwrap();
        for s in 0..3 {
            for a in 0..2 {
                let rows: Vec<usize> = (0..n)
                    .filter(|&i| segments[i] == s as i64 && arms[i] as usize == a)
                    .collect();
                let ys: Vec<f64> = rows.iter().map(|&i| y[[i, 0]]).collect();
                let xs: Vec<f64> = rows.iter().map(|&i| x[[i, 0]]).collect();
                let m = ys.len() as f64;
                let my = ys.iter().sum::<f64>() / m;
                let mx = xs.iter().sum::<f64>() / m;
                let m2: f64 = ys.iter().map(|v| (v - my) * (v - my)).sum();
                let cxy: f64 = ys.iter().zip(&xs).map(|(v, w)| (v - my) * (w - mx)).sum();
                let cell = out[[s, a, 0]];
                assert_eq!(cell.moments.count, m);
                assert_eq!(cell.n_nonbinary, m);
                assert!((cell.moments.sum_y / m - my).abs() < 1e-9);
                assert!((cell.moments.m2_y - m2).abs() < 1e-9 * m2);
                assert!((cell.moments.c_xy - cxy).abs() < 1e-9 * cxy.abs().max(1.0));
                let dropped = rows.iter().filter(|&&i| i % 97 == 0).count() as f64;
                let cell1 = out[[s, a, 1]];
                assert_eq!(cell1.n_nan, dropped);
                assert_eq!(cell1.moments.count + cell1.n_nan, m);
            }
        }
    }

    #[test]
    fn binary_column_shortcut_matches_definition() {
        let n = 150_000;
        let seg: Vec<i64> = (0..n).map(|i| (i % 2) as i64).collect();
        let arm: Vec<i64> = (0..n).map(|i| ((i / 2) % 2) as i64).collect();
        let y = Array2::from_shape_fn((n, 1), |(i, _)| ((i * 7919) % 11 < 3) as u8 as f64);
        let out = segment_arm_stats(
            Codes::I64(&seg),
            Codes::I64(&arm),
            2,
            2,
            y.view(),
            None,
            &[-1],
        )
        .unwrap();
        for s in 0..2 {
            for a in 0..2 {
                let ys: Vec<f64> = (0..n)
                    .filter(|&i| seg[i] == s as i64 && arm[i] == a as i64)
                    .map(|i| y[[i, 0]])
                    .collect();
                let m = ys.len() as f64;
                let mean = ys.iter().sum::<f64>() / m;
                let m2: f64 = ys.iter().map(|v| (v - mean) * (v - mean)).sum();
                let cell = out[[s, a, 0]];
                assert!((cell.moments.m2_y - m2).abs() <= 1e-9 * m2);
                assert_eq!(cell.n_nonbinary, 0.0);
            }
        }
    }

    #[test]
    fn blocks_cut_at_the_same_rows_merge_to_the_same_bits() {
        // The whole table's blocks, computed from pieces that start at block boundaries
        // (as a distributed caller cuts them) and merged in order into empty cells, give
        // the in-memory result bit for bit.
        let n = 150_000;
        let seg: Vec<i64> = (0..n).map(|i| ((i * 7) % 4) as i64).collect();
        let arm: Vec<i64> = (0..n).map(|i| ((i * 13) % 2) as i64).collect();
        let y = Array2::from_shape_fn((n, 2), |(i, j)| {
            if j == 0 && i % 101 == 0 {
                f64::NAN
            } else {
                1e3 + ((i * 2_654_435_761 + j) % 10_007) as f64 / 7.0
            }
        });
        let x = Array2::from_shape_fn((n, 1), |(i, _)| ((i * 31) % 17) as f64);
        let stats = |from: usize, to: usize, rows: Option<usize>| {
            let (s, a) = (Codes::I64(&seg[from..to]), Codes::I64(&arm[from..to]));
            let (yv, xv) = (
                y.slice(ndarray::s![from..to, ..]),
                x.slice(ndarray::s![from..to, ..]),
            );
            match rows {
                None => segment_arm_stats(s, a, 4, 2, yv, Some(xv), &[0, -1])
                    .unwrap()
                    .insert_axis(ndarray::Axis(0)),
                Some(b) => segment_arm_block_stats(s, a, 4, 2, yv, Some(xv), &[0, -1], b).unwrap(),
            }
        };
        let b = block_rows(n);
        assert_eq!(b, 1 << 16);
        let whole = stats(0, n, None);
        let mut merged = vec![CellStats::default(); 4 * 2 * 2];
        for (from, to) in [(0, 2 * b), (2 * b, n)] {
            for block in stats(from, to, Some(b)).outer_iter() {
                for (dst, src) in merged.iter_mut().zip(block.iter()) {
                    dst.merge(src);
                }
            }
        }
        assert_eq!(stats(0, 2 * b, Some(b)).dim().0, 2);
        let bits = |c: &CellStats| c.to_array().map(f64::to_bits);
        assert!(whole.iter().zip(&merged).all(|(u, v)| bits(u) == bits(v)));
        // A block size of 0 is refused by name.
        let err = segment_arm_block_stats(
            Codes::I64(&seg),
            Codes::I64(&arm),
            4,
            2,
            y.view(),
            None,
            &[-1, -1],
            0,
        );
        assert!(matches!(
            err,
            Err(CoreError::InvalidParameter {
                name: "block_rows",
                ..
            })
        ));
    }

    #[test]
    fn same_bits_on_one_and_two_threads() {
        let n = 400_000;
        let seg: Vec<i64> = (0..n).map(|i| ((i * 7) % 5) as i64).collect();
        let arm: Vec<i8> = (0..n).map(|i| ((i * 13) % 3) as i8).collect();
        let y = Array2::from_shape_fn((n, 2), |(i, j)| {
            1e3 + ((i * 2_654_435_761 + j) % 10_007) as f64 / 7.0
        });
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    segment_arm_stats(
                        Codes::I64(&seg),
                        Codes::I8(&arm),
                        5,
                        3,
                        y.view(),
                        None,
                        &[-1, -1],
                    )
                    .unwrap()
                })
        };
        let (a, b) = (run(1), run(2));
        assert!(a.iter().zip(b.iter()).all(|(x, y)| {
            let (x, y) = (x.to_array(), y.to_array());
            x.iter().zip(&y).all(|(u, v)| u.to_bits() == v.to_bits())
        }));
    }

    #[test]
    fn errors_are_typed() {
        let y = Array2::<f64>::zeros((3, 1));
        let c = |v: &'static [i64]| Codes::I64(v);
        let e = segment_arm_stats(c(&[0, 0]), c(&[0, 0, 0]), 1, 1, y.view(), None, &[-1]);
        assert!(matches!(e, Err(CoreError::ShapeMismatch { .. })));
        let e = segment_arm_stats(c(&[0, 5, 0]), c(&[0, 0, 0]), 1, 1, y.view(), None, &[-1]);
        assert!(matches!(e, Err(CoreError::InvalidParameter { .. })));
        let mut yi = y.clone();
        yi[[1, 0]] = f64::INFINITY;
        let e = segment_arm_stats(c(&[0, 0, 0]), c(&[0, 0, 0]), 1, 1, yi.view(), None, &[-1]);
        assert!(matches!(e, Err(CoreError::NonFinite(_))));
    }
}
