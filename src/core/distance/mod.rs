//! Pairwise distances between the rows of two tables, shared by every feature that
//! measures how far customers are from each other (k-medoids, silhouettes, Gower).
//!
//! * [`Euclidean`]: numeric arrays, from direct differences (exactly symmetric, zero on
//!   the diagonal).
//! * [`Gower`]: mixed tables ([`crate::mixed::MixedView`]) with R `cluster::daisy`'s
//!   `metric = "gower"` semantics (see [`gower`]).
//! * [`Dissimilarities`]: a precomputed square matrix, with the checks it must pass
//!   (finite, non-negative, zero diagonal, symmetric where the method needs it).
//!
//! Both implement [`Pairwise`]: distances from one row of the left table to a run of rows
//! of the right table, which the right table keeps column-major so the run is a
//! vectorisable sweep. [`fill`] writes a block of the full matrix into a caller's buffer
//! (rows in parallel, each element computed on its own: the same bits on any number of
//! threads) and [`nearest`] finds, for every left row, the closest right row.

mod euclidean;
pub mod gower;
mod precomputed;

use ndarray::ArrayViewMut2;
use rayon::prelude::*;

pub use euclidean::Euclidean;
pub use gower::{Gower, GowerParams};
pub use precomputed::Dissimilarities;

use crate::numerics::Float;
use crate::{CoreError, CoreResult, Interrupt};

/// Right-hand rows per sweep: the accumulators (`TILE` f64) stay in L1 and the right
/// table's tile stays in L2 while every row of a task passes over it.
pub(crate) const TILE: usize = 512;
/// Left rows per parallel task.
const ROWS_PER_TASK: usize = 32;

/// A distance between the rows of a left table and the rows of a right table.
pub trait Pairwise: Sync {
    /// Rows of the left table.
    fn n_left(&self) -> usize;
    /// Rows of the right table.
    fn n_right(&self) -> usize;
    /// Distances from left row `i` to right rows `j0 .. j0 + out.len()`, into `out`
    /// (`out.len() <= TILE`). NaN where the distance is undefined (Gower: a pair with no
    /// column observed in both rows).
    fn row_tile(&self, i: usize, j0: usize, out: &mut [f64]);
}

/// Rows `row0 .. row0 + out.nrows()` of the left-by-right distance matrix, written to
/// `out` (standard layout, `n_right` columns) in `F`.
///
/// Checks `stop` before each tile of [`ROWS_PER_TASK`] x [`TILE`] distances (before
/// their arithmetic: a pass that is not stopped writes the same values) and returns
/// [`CoreError::Interrupted`] once it is requested, `out` then partly written.
pub fn fill<P: Pairwise, F: Float>(
    metric: &P,
    row0: usize,
    mut out: ArrayViewMut2<'_, F>,
    stop: &Interrupt,
) -> CoreResult<()> {
    let (rows, m) = out.dim();
    if m != metric.n_right() {
        return Err(CoreError::ShapeMismatch {
            what: "distance matrix columns",
            expected: metric.n_right(),
            got: m,
        });
    }
    if row0
        .checked_add(rows)
        .is_none_or(|end| end > metric.n_left())
    {
        return Err(CoreError::InvalidParameter {
            name: "row0",
            reason: format!(
                "rows {row0}..{row0}+{rows} are outside the {} rows of the table",
                metric.n_left()
            ),
        });
    }
    if rows == 0 || m == 0 {
        return Ok(());
    }
    let slice = out
        .as_slice_mut()
        .ok_or_else(|| CoreError::InvalidParameter {
            name: "out",
            reason: "must be C-contiguous".into(),
        })?;
    slice
        .par_chunks_mut(ROWS_PER_TASK * m)
        .enumerate()
        .try_for_each(|(task, chunk)| {
            let first = row0 + task * ROWS_PER_TASK;
            let mut buf = [0.0f64; TILE];
            let mut j0 = 0;
            while j0 < m {
                stop.check()?;
                let width = TILE.min(m - j0);
                for (r, row) in chunk.chunks_exact_mut(m).enumerate() {
                    metric.row_tile(first + r, j0, &mut buf[..width]);
                    for (o, &v) in row[j0..j0 + width].iter_mut().zip(&buf[..width]) {
                        *o = F::from_f64(v);
                    }
                }
                j0 += width;
            }
            Ok(())
        })
}

/// For every left row, the closest right row (the first on ties) and its distance.
///
/// Undefined (NaN) distances never win; a left row whose distances are all undefined gets
/// label -1 and distance NaN. Meant for a small right table (the medoids).
///
/// Checks `stop` before each left row and each [`TILE`] of right rows (before their
/// arithmetic) and returns [`CoreError::Interrupted`] once it is requested.
pub fn nearest<P: Pairwise>(metric: &P, stop: &Interrupt) -> CoreResult<(Vec<i64>, Vec<f64>)> {
    let n = metric.n_left();
    let m = metric.n_right();
    let mut labels = vec![-1i64; n];
    let mut dists = vec![f64::NAN; n];
    labels
        .par_chunks_mut(ROWS_PER_TASK * 8)
        .zip(dists.par_chunks_mut(ROWS_PER_TASK * 8))
        .enumerate()
        .try_for_each(|(task, (lab, dist))| {
            let first = task * ROWS_PER_TASK * 8;
            let mut buf = [0.0f64; TILE];
            for (r, (l, d)) in lab.iter_mut().zip(dist.iter_mut()).enumerate() {
                let mut best = (-1i64, f64::INFINITY);
                let mut j0 = 0;
                while j0 < m {
                    stop.check()?;
                    let width = TILE.min(m - j0);
                    metric.row_tile(first + r, j0, &mut buf[..width]);
                    for (t, &v) in buf[..width].iter().enumerate() {
                        if v < best.1 {
                            best = ((j0 + t) as i64, v);
                        }
                    }
                    j0 += width;
                }
                if best.0 >= 0 {
                    *l = best.0;
                    *d = best.1;
                }
            }
            Ok(())
        })?;
    Ok((labels, dists))
}

/// Bytes of an `n x m` matrix of `elem`-byte values, or `None` on overflow: every caller
/// that allocates a distance matrix checks this against its cap first.
pub fn matrix_bytes(n: usize, m: usize, elem: usize) -> Option<usize> {
    n.checked_mul(m)?.checked_mul(elem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn fill_and_nearest_agree_with_row_tiles() {
        let a = array![[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]];
        let b = array![[0.0, 0.0], [3.0, 4.0]];
        let e = Euclidean::new(a.view(), b.view()).unwrap();
        let go = Interrupt::new();
        let mut out = Array2::<f64>::zeros((3, 2));
        fill(&e, 0, out.view_mut(), &go).unwrap();
        assert_eq!(
            out,
            array![[0.0, 5.0], [5.0, 0.0], [2f64.sqrt(), 13f64.sqrt()]]
        );
        let mut f32_out = Array2::<f32>::zeros((2, 2));
        fill(&e, 1, f32_out.view_mut(), &go).unwrap();
        assert_eq!(f32_out, array![[5.0f32, 0.0], [2f32.sqrt(), 13f32.sqrt()]]);
        let (labels, dists) = nearest(&e, &go).unwrap();
        assert_eq!(labels, vec![0, 1, 0]);
        assert_eq!(dists[2], 2f64.sqrt());
        assert!(fill(&e, 2, out.view_mut(), &go).is_err());
        let mut wrong = Array2::<f64>::zeros((1, 3));
        assert!(matches!(
            fill(&e, 0, wrong.view_mut(), &go),
            Err(CoreError::ShapeMismatch { .. })
        ));
        assert_eq!(matrix_bytes(usize::MAX, 2, 8), None);
    }

    #[test]
    fn large_tables_cross_tile_and_task_boundaries() {
        let (n, m) = (70, TILE + 37);
        let a = Array2::from_shape_fn((n, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        let b = Array2::from_shape_fn((m, 3), |(i, j)| ((i * 5 + j) % 13) as f64);
        let e = Euclidean::new(a.view(), b.view()).unwrap();
        let go = Interrupt::new();
        let mut out = Array2::<f64>::zeros((n, m));
        fill(&e, 0, out.view_mut(), &go).unwrap();
        for i in 0..n {
            for j in 0..m {
                let want: f64 = (0..3)
                    .map(|f| (a[[i, f]] - b[[j, f]]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                assert_eq!(out[[i, j]], want);
            }
        }
        let (labels, dists) = nearest(&e, &go).unwrap();
        for i in 0..n {
            let row = out.row(i);
            let best = row.iter().cloned().fold(f64::INFINITY, f64::min);
            let first = row.iter().position(|&v| v == best).unwrap();
            assert_eq!((labels[i] as usize, dists[i]), (first, best));
        }
    }

    #[test]
    fn a_requested_stop_ends_fill_and_nearest() {
        let a = Array2::from_shape_fn((100, 3), |(i, j)| ((i * 7 + j) % 11) as f64);
        let e = Euclidean::new(a.view(), a.view()).unwrap();
        let stop = Interrupt::new();
        stop.request();
        let mut out = Array2::<f64>::zeros((100, 100));
        assert_eq!(
            fill(&e, 0, out.view_mut(), &stop),
            Err(CoreError::Interrupted)
        );
        assert_eq!(nearest(&e, &stop).map(drop), Err(CoreError::Interrupted));
        // Checked before the arithmetic: nothing was written.
        assert!(out.iter().all(|&v| v == 0.0));
        // A one-row call checks too.
        let one = Euclidean::new(a.slice(ndarray::s![..1, ..]), a.view()).unwrap();
        assert_eq!(nearest(&one, &stop).map(drop), Err(CoreError::Interrupted));
    }
}
