//! Sufficient statistics per (segment, arm, metric) in one parallel, deterministic pass.
//!
//! For every cell the pass returns [`N_STATS`] numbers, in this order:
//!
//! | index | meaning |
//! |---|---|
//! | 0 | `n`: rows used (metric, and its auxiliary column if any, not NaN) |
//! | 1 | `sum_y` |
//! | 2 | `m2_y = sum (y - mean_y)^2` (centred sum of squares) |
//! | 3 | `sum_x` of the auxiliary column (CUPED covariate or ratio denominator), else 0 |
//! | 4 | `m2_x = sum (x - mean_x)^2` |
//! | 5 | `c_xy = sum (x - mean_x)(y - mean_y)` |
//! | 6 | rows dropped because the metric or its auxiliary value was NaN |
//! | 7 | used values of the metric other than 0 and 1 (binary detection/validation) |
//!
//! Centred moments instead of raw sums of squares keep the variance exact to rounding even
//! when the mean is large (the raw sum of squares is `m2_y + sum_y^2 / n`). Rows are cut
//! into fixed-size chunks that depend only on `n`; each chunk is reduced with two passes
//! (means, then centred moments) and chunk results are merged in chunk order with Chan's
//! pairwise update, so the result is bit-identical for any number of threads.
//!
//! NaN policy: a row whose metric (or auxiliary) value is NaN is left out of that metric
//! only and counted in column 6. Infinity is an error.

use ndarray::{Array4, ArrayView2};
use rayon::prelude::*;

use crate::core::{CoreError, CoreResult};

/// Number of statistics per cell.
pub const N_STATS: usize = 8;

const MIN_CHUNK: usize = 1 << 16;
/// Chunks reduced in parallel before their sequential merge (bounds memory).
const BATCH: usize = 64;

/// Merge cell statistics `b` into `a` (Chan et al.'s pairwise update).
pub fn merge_cell(a: &mut [f64], b: &[f64]) {
    let (na, nb) = (a[0], b[0]);
    if nb == 0.0 {
        a[6] += b[6];
        a[7] += b[7];
        return;
    }
    if na == 0.0 {
        let (dropped, nonbinary) = (a[6] + b[6], a[7] + b[7]);
        a.copy_from_slice(b);
        a[6] = dropped;
        a[7] = nonbinary;
        return;
    }
    let n = na + nb;
    let dy = b[1] / nb - a[1] / na;
    let dx = b[3] / nb - a[3] / na;
    let f = na * nb / n;
    a[2] += b[2] + dy * dy * f;
    a[4] += b[4] + dx * dx * f;
    a[5] += b[5] + dx * dy * f;
    a[0] = n;
    a[1] += b[1];
    a[3] += b[3];
    a[6] += b[6];
    a[7] += b[7];
}

struct Inputs<'a> {
    segments: &'a [i64],
    arms: &'a [i64],
    n_arms: usize,
    n_cells: usize,
    y: ArrayView2<'a, f64>,
    x: Option<ArrayView2<'a, f64>>,
    aux_index: &'a [i64],
}

/// Reduce rows `start..end`; returns the cell buffer or the first infinite value found.
fn reduce_chunk(inp: &Inputs<'_>, start: usize, end: usize) -> Result<Vec<f64>, (usize, usize)> {
    let n_metrics = inp.y.ncols();
    let mut out = vec![0.0; inp.n_cells * n_metrics * N_STATS];
    let mut cnt = vec![0.0; inp.n_cells];
    let mut sy = vec![0.0; inp.n_cells];
    let mut sx = vec![0.0; inp.n_cells];
    let cell_of = |i: usize| inp.segments[i] as usize * inp.n_arms + inp.arms[i] as usize;
    for j in 0..n_metrics {
        let ycol = inp.y.column(j);
        let xcol = match (inp.aux_index[j], inp.x.as_ref()) {
            (k, Some(x)) if k >= 0 => Some(x.column(k as usize)),
            _ => None,
        };
        cnt.iter_mut().for_each(|v| *v = 0.0);
        sy.iter_mut().for_each(|v| *v = 0.0);
        sx.iter_mut().for_each(|v| *v = 0.0);
        let base = |cell: usize| (cell * n_metrics + j) * N_STATS;
        // Pass 1: counts and sums.
        for i in start..end {
            let c = cell_of(i);
            let yv = ycol[i];
            let xv = xcol.as_ref().map_or(0.0, |x| x[i]);
            if yv.is_nan() || xv.is_nan() {
                out[base(c) + 6] += 1.0;
                continue;
            }
            if yv.is_infinite() || xv.is_infinite() {
                return Err((i, j));
            }
            cnt[c] += 1.0;
            sy[c] += yv;
            if yv != 0.0 && yv != 1.0 {
                out[base(c) + 7] += 1.0;
            }
            sx[c] += xv;
        }
        // Pass 2: centred moments around the chunk means.
        for c in 0..inp.n_cells {
            if cnt[c] > 0.0 {
                sy[c] /= cnt[c];
                sx[c] /= cnt[c];
            }
        }
        for i in start..end {
            let c = cell_of(i);
            let yv = ycol[i];
            let xv = xcol.as_ref().map_or(0.0, |x| x[i]);
            if yv.is_nan() || xv.is_nan() {
                continue;
            }
            let dy = yv - sy[c];
            let dx = xv - sx[c];
            let o = base(c);
            out[o + 2] += dy * dy;
            out[o + 4] += dx * dx;
            out[o + 5] += dx * dy;
        }
        for c in 0..inp.n_cells {
            let o = base(c);
            out[o] = cnt[c];
            out[o + 1] = sy[c] * cnt[c];
            out[o + 3] = sx[c] * cnt[c];
        }
    }
    Ok(out)
}

/// Per (segment, arm, metric) sufficient statistics of `y` (rows x metrics).
///
/// `segments` and `arms` hold integer codes in `0..n_segments` and `0..n_arms`. `x` is an
/// optional auxiliary matrix (rows x k); `aux_index[j]` names the column of `x` paired with
/// metric `j` (a CUPED covariate or a ratio denominator), or `-1` for none. Returns an
/// array of shape `(n_segments, n_arms, n_metrics, N_STATS)` (see the module docs).
///
/// # Errors
/// `ShapeMismatch` when lengths disagree, `InvalidParameter` for codes out of range or a
/// bad `aux_index`, `NonFinite` for an infinite value, `EmptyInput` for zero rows/metrics.
pub fn segment_arm_stats<'a>(
    segments: &'a [i64],
    arms: &'a [i64],
    n_segments: usize,
    n_arms: usize,
    y: ArrayView2<'a, f64>,
    x: Option<ArrayView2<'a, f64>>,
    aux_index: &'a [i64],
) -> CoreResult<Array4<f64>> {
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
    if n_segments == 0 || n_arms == 0 {
        return Err(CoreError::InvalidParameter {
            name: "n_segments/n_arms",
            reason: "must be >= 1".into(),
        });
    }
    let check_codes = |codes: &[i64], limit: usize, name: &'static str| -> CoreResult<()> {
        let bad = codes
            .par_iter()
            .filter(|&&c| c < 0 || c as usize >= limit)
            .count();
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
    let inputs = Inputs {
        segments,
        arms,
        n_arms,
        n_cells,
        y,
        x,
        aux_index,
    };
    let chunk = MIN_CHUNK.max(n.div_ceil(256));
    let n_chunks = n.div_ceil(chunk);
    let width = n_cells * n_metrics * N_STATS;
    let mut total = vec![0.0; width];
    let mut batch_start = 0;
    while batch_start < n_chunks {
        let batch_end = (batch_start + BATCH).min(n_chunks);
        let parts: Vec<Result<Vec<f64>, (usize, usize)>> = (batch_start..batch_end)
            .into_par_iter()
            .map(|c| reduce_chunk(&inputs, c * chunk, ((c + 1) * chunk).min(n)))
            .collect();
        for part in parts {
            let part = part.map_err(|(i, j)| {
                CoreError::NonFinite(format!(
                    "metric column {j} (or its auxiliary column) is infinite at row {i}"
                ))
            })?;
            for (dst, src) in total
                .chunks_exact_mut(N_STATS)
                .zip(part.chunks_exact(N_STATS))
            {
                merge_cell(dst, src);
            }
        }
        batch_start = batch_end;
    }
    Array4::from_shape_vec((n_segments, n_arms, n_metrics, N_STATS), total)
        .map_err(|e| CoreError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn matches_naive_two_pass() {
        let n = 200_000;
        let segments: Vec<i64> = (0..n).map(|i| (i % 3) as i64).collect();
        let arms: Vec<i64> = (0..n).map(|i| ((i / 3) % 2) as i64).collect();
        let y = Array2::from_shape_fn((n, 2), |(i, j)| {
            if j == 1 && i % 97 == 0 {
                f64::NAN
            } else {
                1e6 + ((i * 7919 + j) % 1000) as f64 / 10.0
            }
        });
        let x = Array2::from_shape_fn((n, 1), |(i, _)| ((i * 31) % 17) as f64);
        let out =
            segment_arm_stats(&segments, &arms, 3, 2, y.view(), Some(x.view()), &[0, -1]).unwrap();
        for s in 0..3 {
            for a in 0..2 {
                let rows: Vec<usize> = (0..n)
                    .filter(|&i| segments[i] == s as i64 && arms[i] == a as i64)
                    .collect();
                let ys: Vec<f64> = rows.iter().map(|&i| y[[i, 0]]).collect();
                let xs: Vec<f64> = rows.iter().map(|&i| x[[i, 0]]).collect();
                let m = ys.len() as f64;
                let my = ys.iter().sum::<f64>() / m;
                let mx = xs.iter().sum::<f64>() / m;
                let m2: f64 = ys.iter().map(|v| (v - my) * (v - my)).sum();
                let cxy: f64 = ys.iter().zip(&xs).map(|(v, w)| (v - my) * (w - mx)).sum();
                let cell = out.slice(ndarray::s![s, a, 0, ..]);
                assert_eq!(cell[0usize], m);
                assert_eq!(cell[7usize], m);
                assert!((cell[1usize] / m - my).abs() < 1e-9);
                assert!((cell[2usize] - m2).abs() < 1e-9 * m2);
                assert!((cell[5usize] - cxy).abs() < 1e-9 * cxy.abs().max(1.0));
                let dropped = rows.iter().filter(|&&i| i % 97 == 0).count() as f64;
                let cell1 = out.slice(ndarray::s![s, a, 1, ..]);
                assert_eq!(cell1[6usize], dropped);
                assert_eq!(cell1[0usize] + cell1[6usize], m);
            }
        }
    }

    #[test]
    fn errors_are_typed() {
        let y = Array2::<f64>::zeros((3, 1));
        let e = segment_arm_stats(&[0, 0], &[0, 0, 0], 1, 1, y.view(), None, &[-1]);
        assert!(matches!(e, Err(CoreError::ShapeMismatch { .. })));
        let e = segment_arm_stats(&[0, 5, 0], &[0, 0, 0], 1, 1, y.view(), None, &[-1]);
        assert!(matches!(e, Err(CoreError::InvalidParameter { .. })));
        let mut yi = y.clone();
        yi[[1, 0]] = f64::INFINITY;
        let e = segment_arm_stats(&[0, 0, 0], &[0, 0, 0], 1, 1, yi.view(), None, &[-1]);
        assert!(matches!(e, Err(CoreError::NonFinite(_))));
    }
}
